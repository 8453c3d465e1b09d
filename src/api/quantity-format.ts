/**
 * Kubernetes resource quantities (`500m`, `2`, `128Mi`, `1G`, `1e3`). Parsing follows
 * k8s.io/apimachinery/pkg/api/resource: decimal SI suffixes, binary Ki..Ei suffixes, `m` for milli,
 * and decimal exponents.
 *
 * Bounds: a quantity must be finite (no `Infinity`, `NaN`, or exponent that overflows a double)
 * and within what the runtimes can express exactly: memory at most 2^53-1 bytes (JavaScript
 * numbers count bytes exactly that far; runc and the Engine API take int64), CPU at most
 * `MAX_CPU_CORES` (Engine API `NanoCpus` = millicores × 10^6 must stay an exact integer), any
 * other count at most 2^53-1. The schemas say which bound was passed, on the field's path.
 */
// The parsing and formatting half of quantities, without zod: edgectl's tables use it (quantity.ts adds the schemas).

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

// Anchored, no nested quantifiers, and inputs are length-capped first: linear whatever the input.
const QUANTITY_RE = /^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

/** Longest quantity string accepted (Kubernetes' own are far shorter). */
export const MAX_QUANTITY_LENGTH = 64;
/** Largest memory quantity: 2^53-1 bytes (8 PiB), the largest byte count a JS number holds exactly. */
export const MAX_MEMORY_BYTES = Number.MAX_SAFE_INTEGER;
/** Largest CPU quantity, in cores (a million cores: far past any node, exact in every runtime's unit). */
export const MAX_CPU_CORES = 1_000_000;
/** Largest other quantity (counts such as `pods`). */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** What a quantity measures, which decides its upper bound. */
export type QuantityKind = 'cpu' | 'memory' | 'count';

/** Parses a quantity into its numeric value (cores for cpu, bytes for memory); `undefined` if malformed or not finite. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (text.length > MAX_QUANTITY_LENGTH) return undefined;
  const m = QUANTITY_RE.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  let v = base;
  if (m[2] !== undefined) v = base * (BINARY[m[2]] ?? DECIMAL[m[2]] ?? 1);
  else if (m[3] !== undefined) v = base * 10 ** Number(m[3]);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Why `value` is not an acceptable quantity of `kind`, or `undefined` when it is. The reason is
 * worded for a field cause: `Invalid value: "1e400": …`.
 */
export function quantityProblem(value: unknown, kind: QuantityKind = 'count'): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number')
    return 'Invalid value: must be a quantity such as 500m, 2, 128Mi or 1G';
  const raw = String(value);
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  const invalid = (why: string): string => `Invalid value: "${shown}": ${why}`;
  if (typeof value === 'string' && value.length > MAX_QUANTITY_LENGTH)
    return invalid(`a quantity has at most ${MAX_QUANTITY_LENGTH} characters`);
  const v = parseQuantity(value);
  if (v === undefined) {
    const looksNumeric =
      typeof value === 'number' || (QUANTITY_RE.test(value.trim()) && value.length <= MAX_QUANTITY_LENGTH);
    return invalid(
      looksNumeric
        ? 'quantity is not finite (Infinity, NaN or an exponent too large)'
        : "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (e.g. 500m, 2, 128Mi, 1G)",
    );
  }
  if (v < 0) return invalid('must be greater than or equal to 0');
  if (kind === 'memory' && v > MAX_MEMORY_BYTES) return invalid(`must be no more than ${MAX_MEMORY_BYTES} bytes (8Pi)`);
  if (kind === 'cpu' && v > MAX_CPU_CORES) return invalid(`must be no more than ${MAX_CPU_CORES} cores`);
  if (kind === 'count' && v > MAX_COUNT) return invalid(`must be no more than ${MAX_COUNT}`);
  return undefined;
}

/** True when `text` is a well-formed, finite, non-negative quantity within the bound of `kind`. */
export function isQuantity(text: string | number, kind: QuantityKind = 'count'): boolean {
  return quantityProblem(text, kind) === undefined;
}

/** CPU quantity in millicores (`500m` → 500, `2` → 2000); malformed → 0, clamped into [0, MAX_CPU_CORES]. */
export function cpuMillis(text: string | number | undefined): number {
  if (text === undefined) return 0;
  return Math.round(Math.min(MAX_CPU_CORES, Math.max(0, parseQuantity(text) ?? 0)) * 1000);
}

/** Memory quantity in bytes (`128Mi` → 134217728); malformed → 0, clamped into [0, MAX_MEMORY_BYTES]. */
export function memoryBytes(text: string | number | undefined): number {
  if (text === undefined) return 0;
  return Math.min(MAX_MEMORY_BYTES, Math.max(0, Math.round(parseQuantity(text) ?? 0)));
}

/** Formats bytes the way `kubectl` shows capacity (`3906Mi`, `16Gi`). */
export function formatBytes(bytes: number): string {
  for (const [suffix, size] of [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)}Mi`;
  return String(bytes);
}

/** Formats millicores (`1500` → `1500m`, `2000` → `2`). */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}
