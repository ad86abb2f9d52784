/**
 * Kubernetes keeps each resource type under /registry/<type>/ (apps types under /registry/<group>/<type>
 * in some versions, e.g. /registry/deployments/ in 1.20): counting per type shows at a glance what a
 * restore lost.
 */
export function countByType(keys: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const t = typeOfKey(k);
    if (t) out[t] = (out[t] ?? 0) + 1;
  }
  return out;
}

/** The resource type a Kubernetes key names (/registry/<type>/…); undefined for other keys. */
export function typeOfKey(key: string): string | undefined {
  return /^\/registry\/([^/]+)\//.exec(key)?.[1] || undefined;
}

/** Both sides' counts per type, types sorted, zero where a side has none. */
export function typeCounts(
  before: Iterable<string>,
  after: Iterable<string>,
): Record<string, { backup: number; restored: number }> {
  const b = countByType(before);
  const a = countByType(after);
  const types = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  return Object.fromEntries(types.map((t) => [t, { backup: b[t] ?? 0, restored: a[t] ?? 0 }]));
}
