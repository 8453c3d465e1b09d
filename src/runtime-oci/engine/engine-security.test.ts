import { describe, expect, it } from 'vitest';
import { securityHostConfig } from './engine-security.js';

describe('securityHostConfig', () => {
  it('turns on no-new-privileges by default and leaves seccomp to the daemon', () => {
    expect(securityHostConfig({})).toEqual({ SecurityOpt: ['no-new-privileges'] });
  });

  it('maps capabilities (with the CAP_ prefix the Engine API documents), read-only root, groups and Unconfined', () => {
    expect(
      securityHostConfig({
        capabilities: { add: ['NET_ADMIN', 'CAP_SYS_TIME'], drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        supplementalGroups: [4000, 5000],
        seccompProfile: 'Unconfined',
        allowPrivilegeEscalation: false,
      }),
    ).toEqual({
      CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'],
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      GroupAdd: ['4000', '5000'],
      SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'],
    });
  });

  it('lets escalation and privileged containers keep setuid working', () => {
    expect(securityHostConfig({ allowPrivilegeEscalation: true })).toEqual({});
    expect(securityHostConfig({ privileged: true })).toEqual({ Privileged: true });
  });
});
