/**
 * `describe` of ConfigMaps and Secrets, as kubectl prints them: a Secret shows its type and each
 * key's size, never a value; a ConfigMap shows its data (configuration, not secret) and the sizes of
 * its binaryData. kubectl's last-applied annotation is left out of a Secret (it would hold the data).
 */
import { base64Size, type ConfigMap, type Event, type Secret } from '../../api/index.js';
import { writeMeta } from './describe-pod.js';
import { DescribeWriter, writeEvents } from './describe-writer.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const sorted = <V>(r: Record<string, V> | undefined): Array<[string, V]> =>
  Object.entries(r ?? {}).sort(([a], [b]) => a.localeCompare(b));

/** `describe secret`: key names and sizes only. */
export function describeSecret(s: Secret, events: readonly Event[], now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, s, true);
  w.map(0, 'Labels', s.metadata.labels);
  const annotations = Object.fromEntries(sorted(s.metadata.annotations).filter(([k]) => k !== LAST_APPLIED));
  w.map(0, 'Annotations', annotations, ': ');
  w.heading(0, '');
  w.kv(0, 'Type', s.type ?? 'Opaque');
  w.heading(0, '');
  w.heading(0, 'Data');
  w.heading(0, '====');
  for (const [k, v] of sorted(s.data)) w.kv(0, k, `${base64Size(v)} bytes`);
  writeEvents(w, events, now);
  return w.toString();
}

/** `describe configmap`: the data, and binaryData sizes. */
export function describeConfigMap(cm: ConfigMap, events: readonly Event[], now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, cm, true);
  w.map(0, 'Labels', cm.metadata.labels);
  w.map(0, 'Annotations', cm.metadata.annotations, ': ');
  w.heading(0, '');
  w.heading(0, 'Data');
  w.heading(0, '====');
  for (const [k, v] of sorted(cm.data)) {
    w.heading(0, `${k}:`);
    w.heading(0, '----');
    w.heading(0, v);
    w.heading(0, '');
  }
  w.heading(0, '');
  w.heading(0, 'BinaryData');
  w.heading(0, '====');
  for (const [k, v] of sorted(cm.binaryData)) w.kv(0, k, `${base64Size(v)} bytes`);
  w.heading(0, '');
  writeEvents(w, events, now);
  return w.toString();
}
