/**
 * `edgectl api-resources`, `cluster-info` and `--version` against a real hub: api-resources prints what
 * the real kubectl (v1.32) prints against the same hub, with its filters and -o name.
 */
import { describe, expect, it } from 'vitest';
import { useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub();

describe('discovery and the hub', () => {
  it('api-resources prints what kubectl prints, also with --namespaced=false and -o name', async () => {
    const out = await p.same(['api-resources']);
    expect(out.split('\n')[0]).toMatch(/^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$/);
    expect(out).toMatch(/\ndeployments +deploy +apps\/v1 +true +Deployment\n/);
    await p.same(['api-resources', '--namespaced=false']);
    await p.same(['api-resources', '-o', 'name']);
    await p.same(['api-resources', '--api-group=apps']);
  });

  it('cluster-info says where the hub runs; --version prints the client version', async () => {
    expect((await p.edgectl(['cluster-info'])).out).toContain(
      `Edgeplane hub (v0.1.0-parity) is running at ${p.hub.url}\n`,
    );
    expect(await p.edgectl(['--version'])).toEqual({ code: 0, out: 'Client Version: v0.1.0\n', err: '' });
  });
});
