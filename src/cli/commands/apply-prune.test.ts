import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import { UsageError } from '../errors.js';
import { allowlistType, appliedBy } from './apply-prune.js';

describe('apply --prune', () => {
  it('reads kubectl’s group/version/Kind allowlist entries, core included', () => {
    expect(allowlistType('core/v1/ConfigMap').kind).toBe('ConfigMap');
    expect(allowlistType('apps/v1/Deployment').plural).toBe('deployments');
    expect(allowlistType('rbac.authorization.k8s.io/v1/Role').kind).toBe('Role');
    expect(() => allowlistType('v1/ConfigMap')).toThrow(UsageError);
    expect(() => allowlistType('batch/v1/CronJob')).toThrow(/invalid --prune-allowlist entry "batch\/v1\/CronJob"/);
  });

  it('prunes only what the manager applied (server-side apply), not what it merely updated', () => {
    const obj = (managedFields: { manager: string; operation: string }[]): KubeObject =>
      ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', managedFields } }) as KubeObject;
    expect(appliedBy(obj([{ manager: 'edgectl', operation: 'Apply' }]), 'edgectl')).toBe(true);
    expect(appliedBy(obj([{ manager: 'edgectl', operation: 'Update' }]), 'edgectl')).toBe(false);
    expect(appliedBy(obj([{ manager: 'kubectl', operation: 'Apply' }]), 'edgectl')).toBe(false);
    expect(appliedBy(obj([]), 'edgectl')).toBe(false);
  });
});
