/**
 * How the node comes to trust its hub before it sends the join token, as K3s's agent does: with a
 * pinned token (`K10<ca-hash>::<secret>`) the node fetches the hub's CA bundle from the
 * unauthenticated `GET /cacerts` (over TLS it cannot verify yet — that is what the hash is for),
 * checks that its sha256 is the token's hash, stores it as `<data-dir>/pki/hub-ca.crt`, and from then
 * on verifies the hub with that CA only. A hub whose CA does not match is refused before anything
 * secret is sent. A bare token needs `--ca-file`. Plain `http://` trusts nothing (the hub runs
 * `--insecure-http`).
 *
 * With several hubs (one cluster: they share the CA), the CA is fetched from the first that answers;
 * a hub that answers with another CA is refused at once, whatever the others would say.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { Logger } from '../api/index.js';
import { errorMessage } from '../api/index.js';
import { writeFileDurable } from '../durable/index.js';
import { caHash, splitCertificateBundle } from '../pki/lite.js';

/** The node cannot establish trust in the hub: the CLI prints the message and exits 1. */
export class HubTrustError extends Error {
  override readonly name = 'HubTrustError';
}

/** What {@link establishHubTrust} needs. */
export interface HubTrustOptions {
  /** The hub URL (`https://`, `wss://`, or plain `http://`/`ws://`), or the URLs of several hubs of one cluster. */
  server: string | readonly string[];
  /** The CA hash of the join token (`K10<hash>::…`), if it has one. */
  caHash?: string;
  /** `--ca-file`: the hub's CA bundle given by hand. */
  caFile?: string;
  dataDir: string;
  logger: Logger;
  /** Deadline of the `/cacerts` fetch (default 15 s). */
  timeoutMs?: number;
}

/** The largest CA bundle accepted from `/cacerts`. */
const MAX_CACERTS_BYTES = 64 * 1024;

/** Where the pinned hub CA is stored. */
export const hubCaPath = (dataDir: string): string => path.join(dataDir, 'pki', 'hub-ca.crt');

/**
 * Returns the CA bundle (PEM) to verify the hub with, or undefined for a plain-HTTP hub. Throws
 * {@link HubTrustError} when the hub cannot be trusted; nothing secret has been sent then.
 */
export async function establishHubTrust(opts: HubTrustOptions): Promise<string | undefined> {
  const servers = typeof opts.server === 'string' ? [opts.server] : opts.server;
  const url = new URL(servers[0]!);
  if (url.protocol === 'http:' || url.protocol === 'ws:') {
    opts.logger.warn(
      { server: opts.server },
      'the hub is plain HTTP: the join token and pod specs cross the network in clear (the hub must run --insecure-http)',
    );
    return undefined;
  }
  if (opts.caFile !== undefined) return fromCaFile(opts.caFile, opts.caHash);
  if (opts.caHash === undefined) {
    throw new HubTrustError(
      "the join token carries no CA hash (it is not K10<ca-hash>::<secret>): give the hub CA with --ca-file, or use the hub's join.token",
    );
  }
  // A CA pinned on an earlier start is reused while the token still pins it (no round trip needed).
  const stored = await readFile(hubCaPath(opts.dataDir), 'utf8').catch(() => undefined);
  if (stored !== undefined && safeHash(stored) === opts.caHash) return stored;

  const { bundle, from } = await fetchFromFirstAnswering(servers, opts);
  const got = safeHash(bundle);
  if (got !== opts.caHash) {
    throw new HubTrustError(
      `the hub at ${from.host} presented a CA with sha256 ${got ?? '(not a CA bundle)'}, but the join token pins ${opts.caHash}: refusing to join (the join token was not sent)`,
    );
  }
  await mkdir(path.dirname(hubCaPath(opts.dataDir)), { recursive: true, mode: 0o700 });
  await writeFileDurable(hubCaPath(opts.dataDir), bundle, { mode: 0o644 });
  opts.logger.info({ server: from.href, caHash: got }, 'pinned the hub CA');
  return bundle;
}

/** The CA bundle of the first hub that answers `/cacerts` (the error of the last one when none does). */
async function fetchFromFirstAnswering(
  servers: readonly string[],
  opts: HubTrustOptions,
): Promise<{ bundle: string; from: URL }> {
  let last: unknown;
  for (const server of servers) {
    const from = new URL(server);
    try {
      return { bundle: await fetchCaBundle(from, opts.timeoutMs ?? 15_000), from };
    } catch (err) {
      last = err;
      if (servers.length > 1) opts.logger.warn({ server, err: errorMessage(err) }, 'hub unreachable; trying the next');
    }
  }
  throw last;
}

async function fromCaFile(file: string, pinned: string | undefined): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new HubTrustError(`--ca-file: cannot read ${file}: ${errorMessage(err)}`);
  }
  let bundle: string;
  try {
    bundle = splitCertificateBundle(text).join('');
  } catch (err) {
    throw new HubTrustError(`--ca-file ${file}: ${errorMessage(err)}`);
  }
  if (pinned !== undefined && caHash(bundle) !== pinned) {
    throw new HubTrustError(`--ca-file ${file} is not the CA the join token pins (sha256 ${pinned})`);
  }
  return bundle;
}

function safeHash(pem: string): string | undefined {
  try {
    return caHash(splitCertificateBundle(pem).join(''));
  } catch {
    return undefined;
  }
}

/**
 * GETs `/cacerts` without verifying the hub's certificate (the caller checks the answer's hash) and
 * without any credential. The answer is bounded in size and time.
 */
function fetchCaBundle(server: URL, timeoutMs: number): Promise<string> {
  const target = new URL('/cacerts', `https://${server.host}`);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void =>
      reject(new HubTrustError(`cannot fetch the hub CA from ${target.href}: ${why}`));
    const req = httpsRequest(target, { method: 'GET', rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`HTTP ${res.statusCode ?? 0}`);
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_CACERTS_BYTES) {
          req.destroy();
          fail(`the answer is larger than ${MAX_CACERTS_BYTES} bytes`);
        }
      });
      res.on('end', () => resolve(body));
      res.on('error', (err) => fail(errorMessage(err)));
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    });
    req.on('error', (err) => fail(errorMessage(err)));
    req.end();
  });
}
