/**
 * Pod events as the wire accepts them. A message can carry text from outside the node (a registry's
 * error, a runtime's stderr, a guest's trap), and an oversized `event` frame is refused by the hub and
 * counted as a protocol violation against the node; so every event is cut to the caps of the wire
 * schema (read from it, never copied) before it is sent.
 */
import { NodeEvent } from '../api/index.js';

const REASON_MAX = NodeEvent.shape.reason.maxLength ?? 128;
const MESSAGE_MAX = NodeEvent.shape.message.maxLength ?? 4096;

/** A lone UTF-16 surrogate (half a pair): not encodable as UTF-8, so its length could change on the wire. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` made well-formed and cut to `max` UTF-16 units, an ellipsis marking the cut, never half a pair. */
export function truncateText(text: string, max: number): string {
  const clean = text.replace(LONE_SURROGATE, '\uFFFD');
  if (clean.length <= max) return clean;
  let cut = clean.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** `reason` and `message` fitted to the wire's `event` frame: never refused for their size or an empty reason. */
export function fitEvent(reason: string, message: string): { reason: string; message: string } {
  return { reason: truncateText(reason, REASON_MAX) || 'Unknown', message: truncateText(message, MESSAGE_MAX) };
}
