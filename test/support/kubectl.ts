/**
 * The real `kubectl` binary for end-to-end tests: a runner, a presence check that fails loudly, and a
 * kubeconfig writer for a test `Cluster`. Tokens go into kubeconfig files (0600), never on a command
 * line or into test output.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';

/** The reference client on these machines (v1.32); `.ci/run` installs it where it is missing. */
export const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/** What a kubectl run gave back. */
export interface KubectlResult {
  code: number;
  out: string;
  err: string;
}

/** Options of one kubectl run. */
export interface KubectlOptions {
  /** Written to kubectl's stdin, then closed. Without it stdin is closed at once. */
  stdin?: string;
  /** Extra environment (e.g. `KUBE_EDITOR`), on top of this process's. */
  env?: Record<string, string>;
  /** Kills kubectl after this many ms (default 60 s), so a hung command fails the test, not the run. */
  timeoutMs?: number;
}

/** Runs `kubectl --kubeconfig <config> ...args` and collects its exit code, stdout and stderr. */
export function kubectl(config: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(KUBECTL, ['--kubeconfig', config, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    // Decoded across reads: a character split between two reads must not become two U+FFFD.
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), out, err });
    });
    p.stdin.end(opts.stdin ?? '');
  });
}

/**
 * Throws (so the suite FAILS, never skips) when the kubectl binary is missing. Call it in `beforeAll`.
 */
export function requireKubectl(): void {
  if (!existsSync(KUBECTL))
    throw new Error(
      `kubectl not found at ${KUBECTL}: these tests need the real kubectl (v1.32). ` +
        'Install it (`.ci/run` does) or point KUBECTL at it; they are never skipped.',
    );
}

/** Options of a kubeconfig written for a cluster. */
export interface KubeconfigOptions {
  /** File name inside `cluster.dir` (default `kubectl-<user>.kubeconfig`). */
  file?: string;
  /** User name in the file (default `admin`). */
  user?: string;
  /** Token of that user (default the hub's admin token). */
  token?: string;
  /** Default namespace of the context (default `default`). */
  namespace?: string;
}

/**
 * Writes a kubeconfig (0600) for `cluster` — its URL, its CA when it serves TLS, and a bearer token
 * (the admin's unless given) — and returns its path. Call it after `cluster.startHub()`.
 */
export function writeKubeconfig(cluster: Cluster, opts: KubeconfigOptions = {}): string {
  const user = opts.user ?? 'admin';
  const path = join(cluster.dir, opts.file ?? `kubectl-${user}.kubeconfig`);
  const tls = cluster.url.startsWith('https:');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'hub', cluster: { server: cluster.url, ...(tls ? { 'certificate-authority': cluster.caFile } : {}) } },
    ],
    users: [{ name: user, user: { token: opts.token ?? cluster.adminToken } }],
    contexts: [{ name: user, context: { cluster: 'hub', user, namespace: opts.namespace ?? 'default' } }],
    'current-context': user,
  };
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}
