// The scan-wide bound on new connections per second (--rate), shared by the collector's thread and
// its probe worker threads. Each connection reserves the next free moment on one clock, spaced
// 1/rate apart (GCRA with no burst: any window of W seconds holds at most W × rate + 1 connects),
// and sleeps until then. Hand-written rather than `limiter` or `bottleneck` because those keep
// their bucket in one thread's memory: here the clock is a SharedArrayBuffer every worker gets in
// its workerData and updates with Atomics, so the bound holds however many threads dial.
import { whenInterrupted } from "./interrupt.js";

/** Plain data, so it crosses to a worker thread: the buffer is shared, not copied. */
export interface ConnectRate {
  perSecond: number;
  /** One BigInt64: the next free moment, in microseconds of absoluteMicros(). */
  clock: SharedArrayBuffer;
}

export function connectRate(perSecond: number): ConnectRate {
  return { perSecond, clock: new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT) };
}

/**
 * performance.now() counts from each thread's own timeOrigin; adding the origin gives a time
 * every thread reads alike, at microsecond resolution (Date.now() has milliseconds only, too
 * coarse for rates above a thousand a second).
 */
function absoluteMicros(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

/** Waits for this connection's turn under `rate` (at once with no rate); returns early when `signal` aborts. */
export async function awaitConnectTurn(rate: ConnectRate | null, signal: AbortSignal): Promise<void> {
  if (!rate) return;
  const next = new BigInt64Array(rate.clock);
  const interval = BigInt(Math.max(1, Math.round(1_000_000 / rate.perSecond)));
  let turn: bigint;
  for (;;) {
    const reserved = Atomics.load(next, 0);
    const now = absoluteMicros();
    // An idle clock does not bank turns: a rate after a lull is still a rate, not a burst.
    turn = reserved > now ? reserved : now;
    if (Atomics.compareExchange(next, 0, reserved, turn + interval) === reserved) break;
  }
  const waitMs = Number(turn - absoluteMicros()) / 1000;
  if (waitMs <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      stopWaiting();
      resolve();
    }, waitMs);
    const stopWaiting = whenInterrupted(signal, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
