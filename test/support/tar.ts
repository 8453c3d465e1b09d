/**
 * Tar archives crafted by the tests (image layers, hostile layers, fuzz cases), written by tar-stream's
 * `pack` — the same library the layer reader parses with, so no hand-written header code remains.
 * A path or link name longer than ustar's 100-byte fields always gets a PAX header (tar-stream alone
 * would split some long paths into ustar's prefix and name instead), so the image and hostile-layer
 * tests keep sending the layer reader PAX long names, as the hand-written writer did.
 */
import { constants } from 'node:fs';
import { pack, type Header } from 'tar-stream';

/** One tar member. */
export interface TarMember {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  /** Permission bits (setuid, setgid and sticky included); 0o755 for a dir and 0o644 otherwise. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** The body of a `file`; ignored for every other type. */
  data?: Buffer | string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

type MemberType = NonNullable<TarMember['type']>;

/** tar-stream's name for each member type, and the file-type bits of a stat mode for it. */
const TYPES: Record<MemberType, { type: Header['type']; ifmt: number }> = {
  file: { type: 'file', ifmt: constants.S_IFREG },
  hardlink: { type: 'link', ifmt: constants.S_IFREG },
  symlink: { type: 'symlink', ifmt: constants.S_IFLNK },
  char: { type: 'character-device', ifmt: constants.S_IFCHR },
  block: { type: 'block-device', ifmt: constants.S_IFBLK },
  dir: { type: 'directory', ifmt: constants.S_IFDIR },
  fifo: { type: 'fifo', ifmt: constants.S_IFIFO },
};

/** A fixed time for every member, so the same members always make the same bytes (and layer digest). */
const MTIME = new Date(1_700_000_000_000);

/** Longer than a ustar name or link name field (100 bytes). */
const long = (name: string): boolean => Buffer.byteLength(name) > 100;

function header(m: TarMember): Header {
  const type = m.type ?? 'file';
  const { type: tarType, ifmt } = TYPES[type];
  const permissions = m.mode ?? (type === 'dir' ? 0o755 : 0o644);
  return {
    name: m.path,
    type: tarType,
    // The mode is given as a whole stat mode (file-type bits too): tar-stream replaces a mode of 0 by its
    // default, and the tests craft mode 0 on purpose. It writes only the low 12 bits into the header.
    mode: ifmt | permissions,
    uid: m.uid ?? 0,
    gid: m.gid ?? 0,
    size: 0,
    mtime: MTIME,
    linkname: m.linkname ?? '',
    uname: 'root',
    gname: 'root',
    devmajor: m.devmajor ?? 0,
    devminor: m.devminor ?? 0,
    // Any `pax` object makes tar-stream write a PAX header carrying the path and link name.
    pax: long(m.path) || long(m.linkname ?? '') ? {} : null,
  };
}

/** A tar archive of `members`, in order. */
export async function tar(members: readonly TarMember[]): Promise<Buffer> {
  const archive = pack();
  for (const m of members) {
    // Every entry gets its body as a buffer (empty but for files), so each one is complete at once —
    // an empty buffer is also how a symlink with an empty link name is finished.
    const body = (m.type ?? 'file') === 'file' ? Buffer.from(m.data ?? '') : Buffer.alloc(0);
    archive.entry(header(m), body);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('tar-stream produced a chunk that is not bytes');
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks);
}
