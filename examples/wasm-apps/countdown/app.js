// countdown: a command component (exports wasi:cli/run, no HTTP handler), for Jobs and exec.
//   argv[1] or env COUNT   how many lines to print (default 3): "countdown: N" ... "countdown: 1"
//   env INTERVAL_MS        wait this long before each line (a real clock wait: wasi:clocks pollable)
//   env EXIT_CODE          exit with this code once done (default 0)
//   argv[1] = "cat"        copy stdin to stdout instead (kubectl exec -i), then say how many bytes
import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.12';
import { exitWithCode } from 'wasi:cli/exit@0.2.12';
import { getStdin } from 'wasi:cli/stdin@0.2.12';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';

function env(name) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return undefined;
}

function count(text, fallback) {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Copies stdin to stdout until stdin is closed; returns the byte count. */
function cat() {
  const stdin = getStdin();
  const stdout = getStdout();
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stdin.blockingRead(65536n);
    } catch {
      break; // closed: all of it was read
    }
    total += chunk.length;
    // A blocking write takes at most 4096 bytes.
    for (let off = 0; off < chunk.length; off += 4096) stdout.blockingWriteAndFlush(chunk.subarray(off, off + 4096));
  }
  return total;
}

export const run = {
  run() {
    const args = getArguments();
    if (args[1] === 'cat') {
      const total = cat();
      console.error(`countdown: copied ${total} bytes`);
      return;
    }
    const lines = count(args[1], count(env('COUNT'), 3));
    const intervalMs = count(env('INTERVAL_MS'), 0);
    for (let i = lines; i >= 1; i--) {
      if (intervalMs > 0) subscribeDuration(BigInt(intervalMs) * 1_000_000n).block();
      console.log(`countdown: ${i}`);
    }
    const code = count(env('EXIT_CODE'), 0);
    if (code !== 0) exitWithCode(Math.min(code, 255));
  },
};
