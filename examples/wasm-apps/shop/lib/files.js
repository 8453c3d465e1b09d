// Reading a file of a mounted volume (a ConfigMap, a Secret) through wasi:filesystem: the pod's
// volumes are the component's preopens, one per mountPath. Imported as ../lib/files.js by the shop
// components that read mounted files (the catalog); a component that imports it needs
// wasi:filesystem in its world.
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

const decoder = new TextDecoder();
const MAX_FILE_BYTES = 1 << 20;

// The preopens, asked for once: each call hands out new descriptors, which a long-lived instance
// would otherwise pile up request after request.
let preopens;

/** The text of the file at absolute `path`, read through the mount that holds it; throws saying why not. */
export function readText(path) {
  preopens ??= getDirectories();
  let best;
  for (const [dir, at] of preopens) {
    const prefix = at.endsWith('/') ? at : `${at}/`;
    if (path.startsWith(prefix) && (!best || at.length > best.at.length))
      best = { dir, at, rest: path.slice(prefix.length) };
  }
  if (!best) throw new Error(`no volume is mounted above ${path}`);
  let file;
  try {
    // Followed symlinks stay inside the mount (the host refuses others): a ConfigMap's files are
    // links into its `..data` directory.
    file = best.dir.openAt({ symlinkFollow: true }, best.rest, {}, { read: true });
  } catch (err) {
    throw new Error(`${path}: ${describe(err)}`);
  }
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

/** wasi:filesystem errors arrive as thrown values carrying an error code: say which. */
function describe(err) {
  const payload = err && typeof err === 'object' && 'payload' in err ? err.payload : undefined;
  if (typeof payload === 'string') return payload;
  return err instanceof Error ? err.message : String(err);
}
