/** The compact diff of an audit entry: one line per field that changed. Pure, no DOM. */

export interface DiffLine {
  /** `role`, `sites`, `config.engineers.eve.skills`, ... */
  path: string;
  /** JSON text of the value before; undefined when the field did not exist. */
  before?: string;
  after?: string;
}

// Arrays are compared whole: a site list reads better as one value than as indexed lines.
function flatten(value: unknown, prefix: string, into: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) into.set(prefix, '{}');
    for (const [key, inner] of entries) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
    return;
  }
  into.set(prefix || '(value)', JSON.stringify(value));
}

/** The fields that differ between before and after, in the order they first appear. */
export function auditDiff(before: unknown, after: unknown): DiffLine[] {
  const old = new Map<string, string>();
  const now = new Map<string, string>();
  if (before !== undefined) flatten(before, '', old);
  if (after !== undefined) flatten(after, '', now);
  const paths = [...new Set([...old.keys(), ...now.keys()])];
  return paths
    .filter((path) => old.get(path) !== now.get(path))
    .map((path) => ({
      path,
      ...(old.has(path) ? { before: old.get(path) } : {}),
      ...(now.has(path) ? { after: now.get(path) } : {}),
    }));
}
