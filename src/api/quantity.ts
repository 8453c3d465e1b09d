/**
 * Kubernetes resource quantities (`500m`, `2`, `128Mi`, `1G`, `1e3`). Parsing follows
 * k8s.io/apimachinery/pkg/api/resource: decimal SI suffixes, binary Ki..Ei suffixes, `m` for milli,
 * and decimal exponents.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY_RE = /^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

/** Parses a quantity into its numeric value (cores for cpu, bytes for memory); `undefined` if malformed. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const m = QUANTITY_RE.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * (BINARY[m[2]] ?? DECIMAL[m[2]] ?? 1);
  if (m[3] !== undefined) return base * 10 ** Number(m[3]);
  return base;
}

/** True when `text` is a well-formed, non-negative quantity. */
export function isQuantity(text: string | number): boolean {
  const v = parseQuantity(text);
  return v !== undefined && v >= 0;
}

/** CPU quantity in millicores (`500m` → 500, `2` → 2000). */
export function cpuMillis(text: string | number | undefined): number {
  if (text === undefined) return 0;
  return Math.round((parseQuantity(text) ?? 0) * 1000);
}

/** Memory quantity in bytes (`128Mi` → 134217728). */
export function memoryBytes(text: string | number | undefined): number {
  if (text === undefined) return 0;
  return Math.round(parseQuantity(text) ?? 0);
}

/** Formats bytes the way `kubectl` shows capacity (`3906Mi`, `16Gi`). */
export function formatBytes(bytes: number): string {
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)}Mi`;
  return String(bytes);
}

/** Formats millicores (`1500` → `1500m`, `2000` → `2`). */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}
