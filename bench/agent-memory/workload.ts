/** The agent memory benchmark's workload: the `hello-c` Deployment pinned to one node, and a request to each pod. */
import type { Pod } from '../../src/api/index.js';
import { kind } from '../../test/support/cluster.js';
import { type Cluster, WASM, applyAndWait, deployment, until } from '../wasm-support.js';
import { ADDRESS } from './options.js';

/** Scales the `hello-c` Deployment (pinned to `node`) and waits until exactly `n` pods run on it. */
export async function scaleTo(cluster: Cluster, node: string, n: number, nodePort: number): Promise<void> {
  const extra = `\n      nodeSelector: {kubernetes.io/hostname: ${node}}`;
  if (n > 0) {
    await applyAndWait(
      cluster,
      deployment('hello-c', WASM.helloC, n, nodePort).replace(
        '      containers:',
        `${extra.slice(1)}\n      containers:`,
      ),
      'hello-c',
      n,
    );
    return;
  }
  const r = await cluster.edgectl(['delete', 'deployment', 'hello-c']);
  if (r.code !== 0) throw new Error(`delete failed: ${r.stderr}`);
  await until(
    'every hello-c pod gone',
    async () =>
      (await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=hello-c' })).items
        .length === 0,
    300_000,
    200,
  );
}

/** Every pod answers once through the NodePort (its instances are touched). */
export async function requestEach(n: number, nodePort: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://${ADDRESS}:${nodePort}/`);
    await res.arrayBuffer();
    if (res.status === 200) ok++;
  }
  return ok;
}
