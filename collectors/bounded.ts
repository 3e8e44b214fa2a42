// Runs an async function over a lazy iterable with p-limit, pulling items only as slots free up,
// so a target list of millions of probes is never materialised as promises.
import pLimit from "p-limit";

export async function forEachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const limit = pLimit(concurrency);
  // Keep a little more than `concurrency` queued so a free slot never waits for the iterator.
  const maxQueued = concurrency * 2;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let failure: { error: unknown } | null = null;
  const settle = (): void => {
    inFlight--;
    wake?.();
    wake = null;
  };
  const slotFreed = (): Promise<void> => new Promise((resolve) => (wake = resolve));

  for (const item of items) {
    if (signal.aborted || failure) break;
    while (inFlight >= maxQueued) await slotFreed();
    inFlight++;
    limit(() => fn(item)).then(settle, (error: unknown) => {
      failure ??= { error };
      settle();
    });
  }
  while (inFlight > 0) await slotFreed();
  // fn records target failures as data, so anything thrown here is a bug: surface it.
  if (failure) throw (failure as { error: unknown }).error;
}
