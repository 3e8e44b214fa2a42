// Runs an async function over a lazy iterable with at most `concurrency` calls in flight, pulling
// items only as slots free up, so a target list of millions of probes is never materialised as
// promises. With `perKey`, at most `perKey.limit` calls share a key (the politeness bound per
// host): an item whose key is at its bound waits aside, without a slot, while items of other keys
// go ahead. Hand-written rather than p-limit because p-limit cannot see keys: an item waiting for
// its host inside a p-limit slot would hold the slot, and a host with many ports would stall the
// whole sweep behind it.

export interface PerKeyBound<T> {
  key(item: T): string;
  limit: number;
}

export async function forEachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<void>,
  perKey?: PerKeyBound<T>,
): Promise<void> {
  // Items set aside for a busy key; past this many the iterator waits, so memory stays bounded.
  const maxWaiting = concurrency * 2;
  let active = 0;
  let waiting = 0;
  const activeByKey = new Map<string, number>();
  const waitingByKey = new Map<string, T[]>();
  let wake: (() => void) | null = null;
  let failure: { error: unknown } | null = null;
  const slotFreed = (): Promise<void> => new Promise((resolve) => (wake = resolve));

  const start = (item: T, key: string | null): void => {
    active++;
    if (key !== null) activeByKey.set(key, (activeByKey.get(key) ?? 0) + 1);
    new Promise<void>((resolve) => resolve(fn(item))).then(() => finish(key), (error: unknown) => {
      failure ??= { error };
      finish(key);
    });
  };
  const finish = (key: string | null): void => {
    active--;
    if (key !== null) {
      const next = waitingByKey.get(key)?.shift();
      if (next !== undefined) {
        // The key's freed place goes to its next waiting item, which takes this call's slot.
        if (waitingByKey.get(key)!.length === 0) waitingByKey.delete(key);
        waiting--;
        activeByKey.set(key, activeByKey.get(key)! - 1);
        start(next, key);
      } else {
        const left = activeByKey.get(key)! - 1;
        if (left === 0) activeByKey.delete(key);
        else activeByKey.set(key, left);
      }
    }
    wake?.();
    wake = null;
  };

  for (const item of items) {
    if (signal.aborted || failure) break;
    while (active >= concurrency || waiting >= maxWaiting) await slotFreed();
    const key = perKey ? perKey.key(item) : null;
    if (key !== null && (activeByKey.get(key) ?? 0) >= perKey!.limit) {
      const queue = waitingByKey.get(key);
      if (queue) queue.push(item);
      else waitingByKey.set(key, [item]);
      waiting++;
      continue;
    }
    start(item, key);
  }
  while (active > 0 || waiting > 0) await slotFreed();
  // fn records target failures as data, so anything thrown here is a bug: surface it.
  if (failure) throw (failure as { error: unknown }).error;
}
