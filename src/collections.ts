// Grouping, written once: every stage groups certificates, CRLs or answers by some key, and a
// copy-on-append grouping (map.set(k, [...list, item])) is quadratic on the 100,000 certificates
// one CA can issue.

/** Items by key, in their order; items whose key is null are left out. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string | null): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
