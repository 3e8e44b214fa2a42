// A probe worker thread (./probe-pool.ts starts them): runs the targets the collector posts, on
// sockets of its own, and posts back each outcome. Refused probes, the bulk of any sweep, go back
// as their status alone; the others as the whole observation, for the collector's recorder.
import { parentPort, workerData } from "node:worker_threads";
import type { EndpointObservation, EndpointStatus } from "../../src/model/types.js";
import { type ProbeSettings, type ProbeTarget, probeTarget } from "./probe-target.js";

export type ToWorker = { kind: "probe"; batch: { seq: number; target: ProbeTarget }[] } | { kind: "abort" };
/** One probe's outcome: "skipped" when the interrupt came before it touched the network. */
export type WorkerOutcome = { seq: number; status: EndpointStatus | "skipped"; observation: EndpointObservation | null };
export type FromWorker = WorkerOutcome[];

// No stack traces in this thread. Every refused connect of a sweep is an ECONNREFUSED error
// object, and Node reads its .stack when it destroys the socket: capturing and formatting those
// traces was about a fifth of the CPU a refused probe costs here (18 of 88 µs, measured). The
// errors are data, classified by their code and message; nothing here ever shows their stack.
// A bug that kills this thread is reported without one: the same probes run in the collector's
// own thread (threads 0) keep theirs.
Error.stackTraceLimit = 0;

const port = parentPort;
if (!port) throw new Error("probe-worker.ts runs as a worker thread only");
const settings = workerData as ProbeSettings;
const interrupt = new AbortController();
let outbox: WorkerOutcome[] = [];

// Outcomes that settle in the same turn of the event loop go back in one message.
const post = (outcome: WorkerOutcome): void => {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(outcome);
};
const flush = (): void => {
  port.postMessage(outbox satisfies FromWorker);
  outbox = [];
};

port.on("message", (message: ToWorker) => {
  if (message.kind === "abort") return interrupt.abort();
  for (const { seq, target } of message.batch) {
    if (interrupt.signal.aborted) {
      post({ seq, status: "skipped", observation: null });
      continue;
    }
    void probeTarget(target, settings, interrupt.signal).then(({ status, observation }) => post({ seq, status, observation }));
  }
});
