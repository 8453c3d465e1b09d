/** The client's own version, without loading any command (`edgectl --version` is answered with it). */
import { readFileSync } from 'node:fs';

/** The package version, read from package.json (two levels up from both src/cli and dist/cli). */
export function clientVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? `v${pkg.version}` : 'unknown';
  } catch {
    return 'unknown';
  }
}
