// crash-on-start: "a service that crashes on start". Its `run` writes why to stderr and exits with
// EXIT_CODE (default 1) at once, so a pod running it goes through the restart policy and, with
// restartPolicy Always, into CrashLoopBackOff with growing delays.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { exitWithCode } from 'wasi:cli/exit@0.2.12';

function env(name) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return null;
}

export const run = {
  run() {
    const code = Number(env('EXIT_CODE') ?? '1');
    const exitCode = Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
    console.error(
      `crash-on-start: ${env('POD_NAME') ?? 'pod'} cannot start (missing config); exiting with ${exitCode}`,
    );
    exitWithCode(exitCode);
  },
};
