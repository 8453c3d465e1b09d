/**
 * Kubernetes' RBAC rule semantics, as pure functions: does a rule allow a request
 * (`rbac.RuleAllows`), and does a set of rules cover another (`validation.Covers`, used to refuse
 * escalation). Wildcards: verb `*`, API group `*`, resource `*` and `*` + `/<subresource>` (any resource's subresource), URL `*` and a
 * trailing `*` prefix; no `resourceNames` means every name.
 */
import type { PolicyRule } from '../../../api/index.js';
import type { RequestAttributes } from '../authorize.js';

const ALL = '*';

const has = (list: readonly string[] | undefined, v: string): boolean => list?.includes(v) ?? false;
const hasAll = (list: readonly string[] | undefined, vs: readonly string[] | undefined): boolean =>
  (vs ?? []).every((v) => has(list, v));

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

function groupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/** `pods/exec` matches `pods/exec`, `*` and `*` + `/exec`; `pods` matches `pods` and `*` only. */
function resourceMatches(rule: PolicyRule, combined: string, subresource: string | undefined): boolean {
  return (rule.resources ?? []).some(
    (r) => r === ALL || r === combined || (subresource !== undefined && subresource !== '' && r === `*/${subresource}`),
  );
}

function nameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (name !== undefined && names.includes(name));
}

/** Whether URL pattern `pattern` (exact, `*`, or a prefix ending in `*`) matches `path`. */
function urlMatches(pattern: string, path: string): boolean {
  if (pattern === ALL || pattern === path) return true;
  return pattern.endsWith(ALL) && path.startsWith(pattern.replace(/\*+$/, ''));
}

/** Whether `rule` allows the request. */
export function ruleAllows(rule: PolicyRule, what: RequestAttributes): boolean {
  if (!verbMatches(rule, what.verb)) return false;
  if (what.kind === 'nonResource') return (rule.nonResourceURLs ?? []).some((u) => urlMatches(u, what.path));
  const combined = what.subresource ? `${what.resource}/${what.subresource}` : what.resource;
  return (
    groupMatches(rule, what.group) && resourceMatches(rule, combined, what.subresource) && nameMatches(rule, what.name)
  );
}

/** Splits a rule into rules of one verb on one group/resource(/name), or one verb on one URL. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        else
          for (const n of names)
            out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [n] });
      }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

function resourcesCovered(owner: readonly string[], sub: readonly string[]): boolean {
  if (owner.includes(ALL)) return true;
  return sub.every((r) => {
    if (owner.includes(r)) return true;
    const slash = r.indexOf('/');
    return slash >= 0 && owner.includes(`*/${r.slice(slash + 1)}`);
  });
}

/** Kubernetes' `ruleCovers`: whether `owner` grants at least what `sub` grants. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCovered(owner.resources ?? [], sub.resources ?? []);
  const urls = (sub.nonResourceURLs ?? []).every((u) => (owner.nonResourceURLs ?? []).some((p) => urlMatches(p, u)));
  const ownerNames = owner.resourceNames ?? [];
  const names =
    ownerNames.length === 0 || ((sub.resourceNames ?? []).length > 0 && hasAll(ownerNames, sub.resourceNames));
  return verbs && groups && resources && urls && names;
}

/**
 * The parts of `wanted` that no rule of `owned` covers (empty: `owned` covers it all), each a rule of
 * one verb on one resource or URL, as Kubernetes lists them in an escalation refusal.
 */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted)
    for (const part of breakdownRule(rule)) if (!owned.some((o) => ruleCovers(o, part))) missing.push(part);
  return missing;
}

/** A rule as Kubernetes prints it in refusals: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}`. */
export function formatRule(rule: PolicyRule): string {
  const q = (vs: readonly string[]): string => `[${vs.map((v) => JSON.stringify(v)).join(' ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${q(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${q(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${q(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(rule.nonResourceURLs)}`);
  parts.push(`Verbs:${q(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}
