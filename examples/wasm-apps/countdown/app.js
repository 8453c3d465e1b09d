// countdown: a command component (exports wasi:cli/run, no HTTP handler), for Jobs and exec.
//   argv[1] or env COUNT   how many lines to print (default 3): "countdown: N" ... "countdown: 1"
//   env INTERVAL_MS        wait this long before each line (a real clock wait: wasi:clocks pollable)
//   env EXIT_CODE          exit with this code once done (default 0)
import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.12';
import { exitWithCode } from 'wasi:cli/exit@0.2.12';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';

function env(name) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return undefined;
}

function count(text, fallback) {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}

export const run = {
  run() {
    const args = getArguments();
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
