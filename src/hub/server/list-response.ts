/**
 * List answers. A large list is serialized in slices with a turn of the event loop between them, so
 * a 100,000-pod list does not hold the hub (heartbeats, other requests) for the whole encoding.
 */
import type { ObjectList } from '../../api/index.js';
import { setImmediate as yieldTurn } from 'node:timers/promises';

/** Items encoded per slice before yielding. */
const SLICE_ITEMS = 200;

/** The JSON response of `list`: one buffer when small, else a stream of slices. */
export function listResponse(list: ObjectList, status = 200): Response {
  const headers = { 'content-type': 'application/json' };
  if (list.items.length <= SLICE_ITEMS) return new Response(JSON.stringify(list), { status, headers });
  const { items, ...head } = list;
  // The envelope without items, opened at its `items` array: `{"apiVersion":…,"items":[`.
  const open = JSON.stringify({ ...head, items: [] }).slice(0, -2);
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => {
      controller.enqueue(Buffer.from(open));
    },
    pull: async (controller) => {
      if (next > 0) await yieldTurn();
      const end = Math.min(items.length, next + SLICE_ITEMS);
      const parts: string[] = [];
      for (let i = next; i < end; i++) parts.push(JSON.stringify(items[i]));
      const sep = next === 0 ? '' : ',';
      next = end;
      controller.enqueue(Buffer.from(sep + parts.join(',') + (next >= items.length ? ']}' : '')));
      if (next >= items.length) controller.close();
    },
  });
  return new Response(stream, { status, headers });
}
