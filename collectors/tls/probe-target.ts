// One endpoint of a sweep, start to finish: the chain probe and, when asked, the protocol posture
// probes in the same slot (posture never adds to the concurrency bound). The same function runs
// in the collector's thread and in its probe worker threads (./probe-pool.ts).
import type { EndpointObservation, Probe } from "../../src/model/types.js";
import type { ProbeTimeouts } from "../collector.js";
import { probeProtocols } from "./posture.js";
import { openForTls, probeTls } from "./probe.js";

/** A probe whose address is resolved, excluded or not, and whose STARTTLS protocol is decided. */
export type ProbeTarget = Probe & { address: string; starttls: string | null };

export interface ProbeSettings {
  timeouts: ProbeTimeouts;
  /** Protocol posture (--protocols) on every endpoint that answered TLS. */
  protocols: boolean;
}

export async function probeTarget(target: ProbeTarget, settings: ProbeSettings, signal: AbortSignal): Promise<EndpointObservation> {
  const observation = await probeTls(target, settings.timeouts, signal);
  if (settings.protocols && observation.status === "tls") {
    const ready = () => openForTls(target, settings.timeouts, signal);
    observation.protocols = await probeProtocols(ready, target.sni, settings.timeouts.handshakeMs, signal);
  }
  return observation;
}
