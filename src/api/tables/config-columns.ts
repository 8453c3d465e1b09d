/**
 * `get` columns of ConfigMaps and Secrets, as kubectl prints them: DATA is the key count; a value is
 * never a column (values appear only with `-o yaml|json`, base64 for Secrets, as in Kubernetes).
 */
import type { ConfigMap, Secret } from '../config.js';
import type { KubeObject } from '../meta.js';
import { age } from './age.js';

const created = (o: KubeObject, now: number): string => age(o.metadata.creationTimestamp, now);

/** The columns of `v1 ConfigMap` and `v1 Secret` (`KindColumns` of columns.ts, which spreads them in). */
export const CONFIG_COLUMNS = {
  ConfigMap: {
    headers: ['DATA', 'AGE'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject, now: number): string[] => {
      const cm = o as ConfigMap;
      return [String(Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length), created(o, now)];
    },
    wideCells: (): string[] => [],
  },
  Secret: {
    headers: ['TYPE', 'DATA', 'AGE'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject, now: number): string[] => {
      const s = o as Secret;
      return [s.type ?? 'Opaque', String(Object.keys(s.data ?? {}).length), created(o, now)];
    },
    wideCells: (): string[] => [],
  },
};
