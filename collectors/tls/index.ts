// The TLS collector: sweeps the expanded probes with bounded concurrency and records every
// endpoint that did not simply refuse. Exclusions are checked here, after DNS resolution and
// before the first packet to the target.
import { forEachBounded } from "../bounded.js";
import type { Probe } from "../../src/model/types.js";
import { type TargetSpec, expandProbes } from "../../src/targets/targets.js";
import { type Collector, outcomeCounter } from "../collector.js";
import { probeProtocols } from "./posture.js";
import { openForTls, probeTls, resolveProbe } from "./probe.js";
import { startTlsFor } from "./starttls/index.js";

export interface TlsCollectorOptions {
  specs: readonly TargetSpec[];
  ports: readonly number[];
  /** Protocol posture (--protocols): which TLS versions each endpoint that answered TLS accepts. */
  protocols?: boolean;
  /**
   * STARTTLS by port (--starttls PORT=PROTO): the protocol, or null for TLS at once. A target's
   * own scheme (`smtp://host:2525`) wins; a port in neither speaks its registry default.
   */
  starttls?: Readonly<Record<number, string | null>>;
}

export const tlsCollector: Collector<TlsCollectorOptions> = {
  meta: { name: "tls", description: "TLS endpoints: certificate chains as served, protocol, cipher, stapling" },
  async collect({ specs, ports, protocols = false, starttls = {} }, ctx) {
    const { tally, count } = outcomeCounter(ctx);
    await forEachBounded<Probe>(expandProbes(specs, ports), ctx.concurrency, ctx.signal, async (probe) => {
      // Probes queued before an interrupt never touched the network: they are not observations.
      if (ctx.signal.aborted) return count("skipped");
      const resolved = await resolveProbe(probe);
      if ("error" in resolved) {
        await ctx.recorder.addEndpoint({
          address: probe.hostname ?? probe.address, port: probe.port, sni: probe.sni, status: "error",
          error: resolved.error, tlsVersion: null, cipher: null, chainDer: [], stapledOcsp: null,
          observedAt: new Date().toISOString(), durationMs: 0,
        });
        return count("error");
      }
      for (const address of resolved.addresses) {
        if (ctx.exclusions.excludes(probe.ip ?? address)) {
          count("excluded");
          continue;
        }
        const target = { ...probe, address, starttls: startTlsFor(probe.starttls, probe.port, starttls) };
        const observation = await probeTls(target, ctx.timeouts, ctx.signal);
        // In this probe's slot, after its handshake: posture never adds to the concurrency bound.
        if (protocols && observation.status === "tls") {
          const ready = () => openForTls(target, ctx.timeouts, ctx.signal);
          observation.protocols = await probeProtocols(ready, probe.sni, ctx.timeouts.handshakeMs, ctx.signal);
        }
        // Refused ports are the bulk of any sweep; they are counted, not stored.
        if (observation.status !== "closed") await ctx.recorder.addEndpoint(observation);
        count(observation.status);
      }
    });
    return tally;
  },
};
