// flood: a test command for output caps.
//   argv: flood N [M]   writes N bytes to stdout and M (default 0) to stderr, in 64 KiB chunks, then
//                       exits 0; the bytes are "0123456789" repeated, so a test can check what was kept
//   no arguments        waits (a real clock wait) about an hour: a container that stays running
import { getArguments } from 'wasi:cli/environment@0.2.12';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';

const CHUNK = 65536;
const pattern = new Uint8Array(CHUNK).map((_, i) => 48 + (i % 10));

function write(stream, n) {
  for (let left = n; left > 0; left -= CHUNK) stream.blockingWriteAndFlush(pattern.subarray(0, Math.min(CHUNK, left)));
}

export const run = {
  run() {
    const args = getArguments();
    if (args.length < 2) {
      subscribeDuration(3600n * 1_000_000_000n).block();
      return;
    }
    write(getStdout(), Number(args[1]));
    write(getStderr(), Number(args[2] ?? '0'));
  },
};
