// Where the TLS collector's probes run: in its own thread, or spread over worker threads so the
// TCP connects and TLS handshakes of a large sweep use more than one core (in Node, a refused
// connect costs tens of microseconds of JavaScript; a /16 is 65,536 of them). Each worker runs
// probeTarget on sockets of its own with the same timeouts and interrupt; the collector keeps
// the concurrency bound, the exclusions (checked before a target is handed over) and the recorder.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { EndpointObservation } from "../../src/model/types.js";
import { type ProbeOutcome, type ProbeSettings, type ProbeTarget, probeTarget } from "./probe-target.js";
import type { FromWorker, ToWorker, WorkerOutcome } from "./probe-worker.js";

export interface ProbeRunner {
  probe(target: ProbeTarget): Promise<ProbeOutcome>;
  close(): Promise<void>;
}

/** Below this many probes a sweep stays in one thread: starting workers costs more than they save. */
export const THREADED_SWEEP_MIN_PROBES = 4096n;
const MAX_AUTO_THREADS = 4;

/** Worker threads for a sweep of `probes` when none were asked for: one per core from 4,096 probes on. */
export function autoProbeThreads(probes: bigint): number {
  if (probes < THREADED_SWEEP_MIN_PROBES) return 0;
  const cores = availableParallelism();
  return cores > 1 ? Math.min(cores, MAX_AUTO_THREADS) : 0;
}

/**
 * How long threads stay parked after a sweep for the next one of the same interrupt and settings:
 * a run's shards are sweeps in turn, and each thread costs a quarter second of CPU to start and
 * more to warm up (a /16 in 8 shards took 1.7× the CPU of one sweep before threads were kept).
 */
const PARK_MS = 2000;
const parked = new WeakMap<AbortSignal, Map<string, ThreadedRunner>>();

/** `threads` 0: probes run in this thread. Closing a threaded runner parks its threads for PARK_MS. */
export function startProbeRunner(threads: number, settings: ProbeSettings, signal: AbortSignal): ProbeRunner {
  if (threads <= 0) {
    return { probe: (target) => probeTarget(target, settings, signal), close: async () => {} };
  }
  // A rate bound keeps its clock in the threads' shared memory: a sweep with one starts its own.
  const key = settings.rate === null ? `${threads} ${JSON.stringify(settings)}` : null;
  const shelf = parked.get(signal) ?? new Map<string, ThreadedRunner>();
  parked.set(signal, shelf);
  const parkedRunner = key === null ? undefined : shelf.get(key);
  const warm = parkedRunner?.alive ? parkedRunner : undefined;
  if (key !== null) shelf.delete(key);
  const runner = warm ?? new ThreadedRunner(threads, settings, signal);
  runner.unpark();
  return {
    probe: (target) => runner.probe(target),
    close: async () => {
      if (key === null || signal.aborted) return runner.close();
      await shelf.get(key)?.close();
      shelf.set(key, runner);
      runner.park(() => {
        if (shelf.get(key) === runner) shelf.delete(key);
        void runner.close();
      });
    },
  };
}

interface Pending {
  resolve(outcome: ProbeOutcome): void;
  reject(error: unknown): void;
}

class ProbeThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  exited = false;
  private outbox: ToWorker & { kind: "probe" } = { kind: "probe", batch: [] };

  constructor(settings: ProbeSettings) {
    this.worker = startWorker(settings);
    this.worker.on("message", (outcomes: FromWorker) => {
      for (const o of outcomes) this.settle(o);
    });
    const failAll = (error: unknown): void => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    // A worker that dies is a bug (probes record failures as data): every probe it held fails with it.
    this.worker.on("error", failAll);
    this.worker.on("exit", (code) => {
      this.exited = true;
      failAll(new Error(`TLS probe worker exited (code ${code}) with probes in flight`));
    });
  }

  send(seq: number, target: ProbeTarget, pending: Pending): void {
    this.pending.set(seq, pending);
    // Probes handed over in the same turn of the event loop go in one message.
    if (this.outbox.batch.length === 0) setImmediate(() => this.flush());
    this.outbox.batch.push({ seq, target });
  }

  private flush(): void {
    this.worker.postMessage(this.outbox);
    this.outbox = { kind: "probe", batch: [] };
  }

  private settle({ seq, status, observation }: WorkerOutcome): void {
    const p = this.pending.get(seq);
    this.pending.delete(seq);
    p?.resolve({ status, observation: observation && withBuffers(observation) });
  }
}

class ThreadedRunner implements ProbeRunner {
  private readonly threads: ProbeThread[];
  private seq = 0;

  constructor(count: number, settings: ProbeSettings, private readonly signal: AbortSignal) {
    this.threads = Array.from({ length: count }, () => new ProbeThread(settings));
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    for (const t of this.threads) t.worker.postMessage({ kind: "abort" } satisfies ToWorker);
  };

  probe(target: ProbeTarget): Promise<ProbeOutcome> {
    // The least loaded thread: a thread held up by slow handshakes gets fewer new probes.
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return new Promise((resolve, reject) => thread.send(this.seq++, target, { resolve, reject }));
  }

  private parkTimer: NodeJS.Timeout | null = null;

  get alive(): boolean {
    return this.threads.every((t) => !t.exited);
  }

  /** Idle between sweeps: the threads no longer keep the process alive, and end after PARK_MS unless taken again. */
  park(expire: () => void): void {
    for (const t of this.threads) t.worker.unref();
    this.parkTimer = setTimeout(expire, PARK_MS);
    this.parkTimer.unref();
  }

  unpark(): void {
    if (this.parkTimer) clearTimeout(this.parkTimer);
    this.parkTimer = null;
    for (const t of this.threads) t.worker.ref();
  }

  async close(): Promise<void> {
    if (this.parkTimer) clearTimeout(this.parkTimer);
    this.signal.removeEventListener("abort", this.onAbort);
    await Promise.all(this.threads.map((t) => {
      t.worker.removeAllListeners("exit");
      return t.worker.terminate();
    }));
  }
}

/**
 * The built worker is plain JavaScript. Run from source (tsx, vitest) its URL names a .ts file,
 * which a worker thread cannot load by itself: tsx's loader is registered inside it first.
 */
function startWorker(settings: ProbeSettings): Worker {
  const fromSource = new URL(import.meta.url).pathname.endsWith(".ts");
  const url = new URL(fromSource ? "./probe-worker.ts" : "./probe-worker.js", import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: settings });
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: settings });
}

/** Buffers arrive from a worker as plain Uint8Arrays (structured clone); the recorder wants Buffers. */
function withBuffers(o: EndpointObservation): EndpointObservation {
  const buffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return { ...o, chainDer: o.chainDer.map(buffer), stapledOcsp: o.stapledOcsp && buffer(o.stapledOcsp) };
}
