import { describe, expect, it } from 'vitest';
import {
  parseBytes,
  parseDuration,
  parseEtcdEndpoints,
  parseEtcdPrefix,
  parseListen,
  parsePositiveDuration,
  parsePositiveInt,
  parseBool,
  parseStoreKind,
} from './flags.js';

describe('hub flags', () => {
  it('parses durations in s, m, ms and bare seconds', () => {
    expect(parseDuration('10s')).toBe(10);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('7')).toBe(7);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });
  it('parses listen addresses', () => {
    expect(parseListen('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListen(':9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(() => parseListen('nohost')).toThrow(/host:port/);
  });
  it('parses sizes, counts and positive durations, naming what is wrong', () => {
    expect(parseBytes('10Gi')).toBe(10 * 1024 ** 3);
    expect(parseBytes('1G')).toBe(1e9);
    expect(parseBytes('4096')).toBe(4096);
    expect(() => parseBytes('lots')).toThrow(/not a size in bytes/);
    expect(() => parseBytes('0')).toThrow(/not a size in bytes/);
    expect(() => parseBytes('1e400')).toThrow(/not a size in bytes/);
    expect(parsePositiveInt('100')).toBe(100);
    expect(() => parsePositiveInt('0')).toThrow(/at least 1/);
    expect(() => parsePositiveInt('1.5')).toThrow(/at least 1/);
    expect(parsePositiveDuration('1h')).toBe(3600);
    expect(() => parsePositiveDuration('0s')).toThrow(/longer than zero/);
  });
  it('parses the store flags: --store, --etcd-endpoints, --etcd-prefix', () => {
    expect(parseStoreKind('etcd')).toBe('etcd');
    expect(parseStoreKind('sqlite')).toBe('sqlite');
    expect(() => parseStoreKind('mysql')).toThrow(/one of: sqlite, etcd/);
    // --leader-elect=false, as kube-controller-manager's flag takes it.
    expect(parseBool('false')).toBe(false);
    expect(parseBool('True')).toBe(true);
    expect(parseBool('1')).toBe(true);
    expect(() => parseBool('maybe')).toThrow(/not a boolean/);
    expect(parseEtcdEndpoints('http://127.0.0.1:2379, https://etcd-2:2379,[::1]:2379')).toEqual([
      'http://127.0.0.1:2379',
      'https://etcd-2:2379',
      '[::1]:2379',
    ]);
    expect(() => parseEtcdEndpoints('')).toThrow(/no etcd endpoint/);
    expect(() => parseEtcdEndpoints('etcd-1')).toThrow(/"etcd-1" is not an etcd endpoint/);
    expect(() => parseEtcdEndpoints('ftp://a:1')).toThrow(/not an etcd endpoint/);
    expect(() => parseEtcdEndpoints('a:1,a:1')).toThrow(/twice/);
    expect(parseEtcdPrefix('/clusters/a')).toBe('/clusters/a');
    expect(() => parseEtcdPrefix('edgeplane')).toThrow(/starts with \//);
  });
});
