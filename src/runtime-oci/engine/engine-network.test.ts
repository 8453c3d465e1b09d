import { describe, expect, it } from 'vitest';
import { containerAddresses } from './engine-network.js';

describe('containerAddresses', () => {
  it("reads the default bridge's top-level fields (dockerd) or the per-network ones (podman, user networks)", () => {
    expect(
      containerAddresses({
        IPAddress: '172.17.0.2',
        Gateway: '172.17.0.1',
        Networks: { bridge: { IPAddress: '172.17.0.2', Gateway: '172.17.0.1' } },
      }),
    ).toEqual({ ip: '172.17.0.2', gateway: '172.17.0.1' });
    expect(
      containerAddresses({
        IPAddress: '',
        Gateway: '',
        Networks: { edgetest: { IPAddress: '10.215.2.5', Gateway: '10.215.2.1' } },
      }),
    ).toEqual({ ip: '10.215.2.5', gateway: '10.215.2.1' });
  });

  it('has nothing for a host-network container', () => {
    expect(containerAddresses({ IPAddress: '', Networks: { host: {} } })).toEqual({});
    expect(containerAddresses(undefined)).toEqual({});
  });
});
