/**
 * A cluster's hub URL and certificate authority in the config file, as kubectl keeps them:
 * `edgectl config set-cluster NAME --server URL --certificate-authority FILE [--embed-certs]` and
 * `config view --flatten`, which embeds a referenced CA file so the output stands alone.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '../../api/index.js';
import type { EdgeConfig } from '../config/index.js';
import { ConfigError, UsageError } from '../errors.js';

export interface SetClusterFlags {
  server?: string;
  /** A PEM file of the CA that signed the hub's serving certificate. */
  certificateAuthority?: string;
  /** Store the CA file's content (`certificate-authority-data`) rather than its path. */
  embedCerts?: boolean;
  insecureSkipTlsVerify?: boolean;
}

type Cluster = EdgeConfig['clusters'][number]['cluster'];
/** Reads a file; the default reads the disk (tests pass their own). */
export type ReadFile = (path: string) => Buffer;

const readDisk: ReadFile = (path) => readFileSync(path);

/** A CA file's bytes, refused unless it holds a PEM certificate (a wrong path fails here, not at the first TLS handshake). */
function readCa(path: string, read: ReadFile): Buffer {
  let data: Buffer;
  try {
    data = read(path);
  } catch (err) {
    throw new ConfigError(`could not read certificate-authority data from ${path}: ${errorMessage(err)}`);
  }
  if (!data.toString('utf8').includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(`certificate-authority ${path} holds no PEM certificate`);
  return data;
}

/**
 * Creates or changes cluster NAME. As kubectl: a CA file clears insecure mode and the other form of
 * the CA (data or path); insecure mode clears the CA; a CA and insecure mode together are refused.
 */
export function setCluster(
  config: EdgeConfig,
  name: string,
  flags: SetClusterFlags,
  read: ReadFile = readDisk,
): EdgeConfig {
  const hint = 'edgectl config set-cluster --help';
  if (flags.embedCerts && flags.certificateAuthority === undefined)
    throw new UsageError('--embed-certs needs --certificate-authority FILE', hint);
  if (flags.insecureSkipTlsVerify && flags.certificateAuthority !== undefined)
    throw new UsageError('--certificate-authority and --insecure-skip-tls-verify cannot both be given', hint);
  const i = config.clusters.findIndex((c) => c.name === name);
  const existing = config.clusters[i]?.cluster;
  const server = flags.server ?? existing?.server;
  if (server === undefined) throw new UsageError(`cluster "${name}" needs a hub: pass --server URL`, hint);
  const cluster: Cluster = { ...(existing ?? {}), server };
  if (flags.certificateAuthority !== undefined) {
    delete cluster['insecure-skip-tls-verify'];
    if (flags.embedCerts) {
      cluster['certificate-authority-data'] = readCa(flags.certificateAuthority, read).toString('base64');
      delete cluster['certificate-authority'];
    } else {
      const path = resolve(flags.certificateAuthority);
      readCa(path, read);
      cluster['certificate-authority'] = path;
      delete cluster['certificate-authority-data'];
    }
  }
  if (flags.insecureSkipTlsVerify !== undefined) {
    if (flags.insecureSkipTlsVerify) {
      cluster['insecure-skip-tls-verify'] = true;
      delete cluster['certificate-authority'];
      delete cluster['certificate-authority-data'];
    } else delete cluster['insecure-skip-tls-verify'];
  }
  const clusters = [...config.clusters];
  if (i >= 0) clusters[i] = { ...clusters[i]!, cluster };
  else clusters.push({ name, cluster });
  return { ...config, clusters };
}

/** The config with each cluster's CA file embedded as `certificate-authority-data` (kubectl's `--flatten`). */
export function flatten(config: EdgeConfig, read: ReadFile = readDisk): EdgeConfig {
  return {
    ...config,
    clusters: config.clusters.map((c) => {
      const path = c.cluster['certificate-authority'];
      if (path === undefined) return c;
      const cluster: Cluster = { ...c.cluster, 'certificate-authority-data': readCa(path, read).toString('base64') };
      delete cluster['certificate-authority'];
      return { ...c, cluster };
    }),
  };
}
