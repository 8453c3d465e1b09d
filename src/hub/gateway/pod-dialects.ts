/**
 * Upgrade skew on pods: `spec.dnsPolicy` was added to the Pod schema during protocol 5, so only
 * protocol 6 agents all accept it; an older agent's strict schema refuses the pod, and with a
 * `podSync` its whole set. Edgeplane has no cluster DNS (the three accepted values behave alike), so
 * leaving the field out for an older session changes nothing it runs.
 */
import type { Pod } from '../../api/index.js';

/** First protocol whose every agent accepts `spec.dnsPolicy`. */
export const DNS_POLICY_PROTOCOL = 6;

/** `pod` as an agent of `protocol` accepts it (the same object when nothing is left out). */
export function podIn(pod: Pod, protocol: number): Pod {
  if (protocol >= DNS_POLICY_PROTOCOL || pod.spec.dnsPolicy === undefined) return pod;
  const spec = { ...pod.spec };
  delete spec.dnsPolicy;
  return { ...pod, spec };
}
