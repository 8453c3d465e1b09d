/**
 * Images through the Engine API: the daemon pulls (`POST /images/create`, credentials in
 * `X-Registry-Auth`, the node's platform asked for) and verifies; the pull policy is Kubernetes'
 * default, as for runc (a digest-pinned image or a non-`latest` tag already present is not pulled
 * again). The image's ID (its config digest) is what containers are created from.
 */
import { ImagePullError } from '../../api/index.js';
import type { PulledImage } from '../../api/index.js';
import type { PullOpts } from '../adapter.js';
import {
  type Platform,
  type RegistryCredentials,
  formatPlatform,
  formatReference,
  parseImageReference,
} from '../../distribution/index.js';
import { EngineError, type EngineClient } from './engine-client.js';

interface ImageInspect {
  Id: string;
  Size?: number;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Architecture?: string;
  Os?: string;
}

/** Pulls and lists the daemon's images. */
export class EngineImages {
  #names: string[] = [];

  constructor(
    private readonly client: EngineClient,
    private readonly credentials: RegistryCredentials | undefined,
  ) {}

  /** References and IDs of the daemon's images, as of the last pull or refresh. */
  names(): string[] {
    return this.#names;
  }

  async refresh(): Promise<void> {
    const list = (await this.client.call<ImageInspect[]>('GET', '/images/json')) ?? [];
    this.#names = [...new Set(list.flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? []), i.Id]))].filter(
      (n) => n && !n.startsWith('<none>'),
    );
  }

  async pull(ref: string, platform: Platform, opts: PullOpts = {}): Promise<PulledImage> {
    const parsed = parseImageReference(ref);
    const canonical = formatReference(parsed);
    const cached = parsed.digest !== undefined || parsed.tag !== 'latest' ? await this.#inspect(canonical) : undefined;
    if (cached) return { ref, digest: cached.Id, sizeBytes: cached.Size ?? 0 };
    const repo = formatReference({ registry: parsed.registry, repository: parsed.repository });
    const headers: Record<string, string> = {};
    const creds = opts.auth ?? this.credentials?.lookup(parsed.registry);
    if (creds) {
      // URL-safe base64 *with* padding: podman's decoder refuses it unpadded.
      const json = JSON.stringify({
        username: creds.username,
        password: creds.password,
        serveraddress: parsed.registry,
      });
      headers['x-registry-auth'] = Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    }
    let res;
    try {
      res = await this.client.open('POST', '/images/create', {
        query: { fromImage: repo, tag: parsed.digest ?? parsed.tag, platform: formatPlatform(platform) },
        headers,
        timeoutMs: 0,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      throw new ImagePullError(`pulling ${canonical}: ${err instanceof EngineError ? err.message : String(err)}`, err);
    }
    // The daemon answers 200 at once and reports failures inside the progress stream.
    const text = await res.body.text();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let msg: { error?: unknown; errorDetail?: { message?: unknown } };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      const error =
        typeof msg.errorDetail?.message === 'string'
          ? msg.errorDetail.message
          : typeof msg.error === 'string'
            ? msg.error
            : undefined;
      if (error !== undefined) throw new ImagePullError(`pulling ${canonical}: ${error}`);
    }
    const image = await this.#inspect(canonical);
    if (!image) throw new ImagePullError(`pulling ${canonical}: the daemon reported success but has no such image`);
    await this.refresh().catch(() => undefined);
    return { ref, digest: image.Id, sizeBytes: image.Size ?? 0 };
  }

  async #inspect(name: string): Promise<ImageInspect | undefined> {
    try {
      return await this.client.call<ImageInspect>('GET', `/images/${encodeURI(name)}/json`);
    } catch (err) {
      if (err instanceof EngineError && err.status === 404) return undefined;
      throw new ImagePullError(`inspecting image ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
}
