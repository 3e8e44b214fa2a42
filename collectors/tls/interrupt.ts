// One "abort" listener per signal however many probes wait on it. An AbortSignal keeps its
// listeners in a list that every removeEventListener scans, so with hundreds of probes in flight,
// each adding and removing its own listener, the removals were a sweep's hottest JavaScript.
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `onAbort` when `signal` aborts (never if it already has); returns the function that cancels that. */
export function whenInterrupted(signal: AbortSignal, onAbort: () => void): () => void {
  let callbacks = waiting.get(signal);
  if (!callbacks) {
    const created = new Set<() => void>();
    signal.addEventListener("abort", () => {
      for (const callback of [...created]) callback();
      created.clear();
    }, { once: true });
    waiting.set(signal, created);
    callbacks = created;
  }
  callbacks.add(onAbort);
  return () => callbacks.delete(onAbort);
}
