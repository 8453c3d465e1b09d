import { describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../../api/index.js';
import { envName, serviceEnv } from './service-env.js';

function svc(name: string, ports: ServiceRoute['ports'], namespace = 'default'): ServiceRoute {
  return { namespace, name, type: 'ClusterIP', sessionAffinity: 'None', ports, endpoints: [] };
}

/** Listener ports as a fixed table: `name:port` → local port. */
function portsFrom(table: Record<string, number>): (s: ServiceRoute, port: number) => number | undefined {
  return (s, port) => table[`${s.name}:${port}`];
}

describe('envName', () => {
  it('upper-cases and turns dashes into underscores, as Kubernetes does', () => {
    expect(envName('catalog')).toBe('CATALOG');
    expect(envName('my-cart-v2')).toBe('MY_CART_V2');
    expect(envName('metrics-http')).toBe('METRICS_HTTP');
  });

  it('refuses what would not be a portable variable name', () => {
    expect(envName('2fast')).toBeUndefined(); // a DNS-1123 label may start with a digit; a shell variable may not
    expect(envName('a.b')).toBeUndefined();
    expect(envName('')).toBeUndefined();
    expect(envName('-x')).toBe('_X');
  });
});

describe('serviceEnv', () => {
  it('writes the Kubernetes variables of each Service, with the node listener for the cluster IP', () => {
    const env = serviceEnv({
      services: [
        svc('catalog', [
          { port: 80, targetPort: 8080, name: 'http' },
          { port: 9090, targetPort: 'metrics', name: 'metrics-port' },
        ]),
      ],
      address: '10.88.0.1',
      portOf: portsFrom({ 'catalog:80': 20001, 'catalog:9090': 20002 }),
      proxyPort: undefined,
    });
    expect(env).toEqual({
      CATALOG_SERVICE_HOST: '10.88.0.1',
      CATALOG_SERVICE_PORT: '20001',
      CATALOG_SERVICE_PORT_HTTP: '20001',
      CATALOG_SERVICE_PORT_METRICS_PORT: '20002',
      CATALOG_PORT: 'tcp://10.88.0.1:20001',
      CATALOG_PORT_80_TCP: 'tcp://10.88.0.1:20001',
      CATALOG_PORT_80_TCP_PROTO: 'tcp',
      CATALOG_PORT_80_TCP_PORT: '20001',
      CATALOG_PORT_80_TCP_ADDR: '10.88.0.1',
      CATALOG_PORT_9090_TCP: 'tcp://10.88.0.1:20002',
      CATALOG_PORT_9090_TCP_PROTO: 'tcp',
      CATALOG_PORT_9090_TCP_PORT: '20002',
      CATALOG_PORT_9090_TCP_ADDR: '10.88.0.1',
    });
  });

  it('gives an unnamed port no _SERVICE_PORT_<NAME>, and dashed Service names underscores', () => {
    const env = serviceEnv({
      services: [svc('hello-world', [{ port: 80, targetPort: 8080 }])],
      address: '127.0.0.1',
      portOf: portsFrom({ 'hello-world:80': 21000 }),
      proxyPort: undefined,
    });
    expect(Object.keys(env).sort()).toEqual([
      'HELLO_WORLD_PORT',
      'HELLO_WORLD_PORT_80_TCP',
      'HELLO_WORLD_PORT_80_TCP_ADDR',
      'HELLO_WORLD_PORT_80_TCP_PORT',
      'HELLO_WORLD_PORT_80_TCP_PROTO',
      'HELLO_WORLD_SERVICE_HOST',
      'HELLO_WORLD_SERVICE_PORT',
    ]);
  });

  it('leaves out Services whose name makes no variable, and ports without a listener', () => {
    const env = serviceEnv({
      services: [
        svc('9lives', [{ port: 80, targetPort: 80 }]),
        svc('cart', [
          { port: 80, targetPort: 80, name: 'web' },
          { port: 81, targetPort: 81, name: 'admin' },
        ]),
        svc('gone', [{ port: 80, targetPort: 80 }]),
      ],
      address: '10.88.0.1',
      portOf: portsFrom({ '9lives:80': 20000, 'cart:81': 20005 }),
      proxyPort: undefined,
    });
    expect(Object.keys(env).some((k) => k.startsWith('9') || k.startsWith('GONE'))).toBe(false);
    // The first port with a listener stands for the Service.
    expect(env.CART_SERVICE_PORT).toBe('20005');
    expect(env.CART_SERVICE_PORT_ADMIN).toBe('20005');
    expect(env.CART_SERVICE_PORT_WEB).toBeUndefined();
    expect(env.CART_PORT_81_TCP).toBe('tcp://10.88.0.1:20005');
  });

  it('brackets an IPv6 listener address in URLs only', () => {
    const env = serviceEnv({
      services: [svc('db', [{ port: 5432, targetPort: 5432 }])],
      address: '::1',
      portOf: () => 20010,
      proxyPort: 20011,
    });
    expect(env.DB_SERVICE_HOST).toBe('::1');
    expect(env.DB_PORT).toBe('tcp://[::1]:20010');
    expect(env.HTTP_PROXY).toBe('http://[::1]:20011');
  });

  it('adds the HTTP proxy, with loopback and the listener address left out of it', () => {
    const env = serviceEnv({ services: [], address: '10.88.0.1', portOf: () => undefined, proxyPort: 20100 });
    expect(env).toEqual({
      HTTP_PROXY: 'http://10.88.0.1:20100',
      http_proxy: 'http://10.88.0.1:20100',
      NO_PROXY: 'localhost,127.0.0.1,::1,10.88.0.1',
      no_proxy: 'localhost,127.0.0.1,::1,10.88.0.1',
    });
    expect(serviceEnv({ services: [], address: '127.0.0.1', portOf: () => undefined, proxyPort: 1 }).NO_PROXY).toBe(
      'localhost,127.0.0.1,::1',
    );
  });

  it('does not depend on the order Services were listed in', () => {
    const a = svc('a', [{ port: 1, targetPort: 1 }]);
    const b = svc('b', [{ port: 1, targetPort: 1 }]);
    const input = { address: '10.0.0.1', portOf: () => 20000, proxyPort: undefined };
    expect(JSON.stringify(serviceEnv({ ...input, services: [b, a] }))).toBe(
      JSON.stringify(serviceEnv({ ...input, services: [a, b] })),
    );
  });
});
