// config-reader: answers GET / with a file of a mounted volume and a wasi:config key, as JSON:
//   {"file": "/etc/config/greeting", "content": "...", "key": "greeting", "value": "..."}
// CONFIG_FILE and CONFIG_KEY (env) choose them; GET /file?path=/x and /config?key=k read others.
// The file is opened afresh on every request, so an updated ConfigMap shows up without a restart.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import { get as getConfig } from 'wasi:config/store@0.2.0-draft';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_FILE_BYTES = 1 << 20;

function env(name, fallback) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return fallback;
}

function respond(responseOut, status, doc) {
  const headers = Fields.fromList([['content-type', encoder.encode('application/json')]]);
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(encoder.encode(JSON.stringify(doc) + '\n'));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

// The preopens, asked for once: each call hands out new descriptors, which a long-lived instance
// would otherwise pile up request after request.
let preopens;

/** Reads the file at absolute `path` through the preopen (mount) that holds it. */
function readFile(path) {
  preopens ??= getDirectories();
  let best;
  for (const [dir, at] of preopens) {
    const prefix = at.endsWith('/') ? at : `${at}/`;
    if (path.startsWith(prefix) && (!best || at.length > best.at.length))
      best = { dir, at, rest: path.slice(prefix.length) };
  }
  if (!best) throw new Error(`no volume is mounted above ${path}`);
  const file = best.dir.openAt({ symlinkFollow: true }, best.rest, {}, { read: true });
  const chunks = [];
  try {
    let offset = 0n;
    for (;;) {
      const [bytes, end] = file.read(65536n, offset);
      chunks.push(bytes);
      offset += BigInt(bytes.length);
      if (offset > BigInt(MAX_FILE_BYTES)) throw new Error(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
      if (end || bytes.length === 0) break;
    }
  } finally {
    file[Symbol.dispose](); // drop the descriptor now, not whenever the engine collects it
  }
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

/** wasi:filesystem and wasi:config errors arrive as thrown values: say what they were. */
function describe(err) {
  const payload = err && typeof err === 'object' && 'payload' in err ? err.payload : undefined;
  if (typeof payload === 'string') return payload;
  if (payload && typeof payload === 'object' && 'tag' in payload) return `${payload.tag}: ${payload.val ?? ''}`;
  return err instanceof Error ? err.message : String(err);
}

export const incomingHandler = {
  handle(request, responseOut) {
    const url = new URL(request.pathWithQuery() ?? '/', 'http://component');
    const file =
      url.pathname === '/file' ? (url.searchParams.get('path') ?? '') : env('CONFIG_FILE', '/etc/config/greeting');
    const key = url.pathname === '/config' ? (url.searchParams.get('key') ?? '') : env('CONFIG_KEY', 'greeting');
    const doc = {};
    let status = 200;
    if (url.pathname !== '/config') {
      doc.file = file;
      try {
        doc.content = readFile(file);
      } catch (err) {
        doc.error = describe(err);
        status = 404;
      }
    }
    if (url.pathname !== '/file') {
      doc.key = key;
      try {
        doc.value = getConfig(key) ?? null;
      } catch (err) {
        doc.error = describe(err);
        status = 500;
      }
    }
    respond(responseOut, status, doc);
  },
};
