// The TLS collector: sweeps the expanded probes with bounded concurrency and records every
// endpoint that did not simply refuse. Exclusions are checked here, after DNS resolution and
// before the first packet to the target; so is the bound per target (--per-host), while the
// scan-wide rate (--rate) is kept at each connect, in whichever thread dials. The probes themselves run in this thread or, for a
// large sweep, in worker threads (./probe-pool.ts); the bound and the recorder stay here.
import { forEachBounded } from "../bounded.js";
import type { Probe } from "../../src/model/types.js";
import { type TargetSpec, countProbes, expandProbes } from "../../src/targets/targets.js";
import { type Collector, DEFAULT_PER_HOST, outcomeCounter } from "../collector.js";
import { connectRate } from "./connect-rate.js";
import { autoProbeThreads, startProbeRunner } from "./probe-pool.js";
import { resolveHostname } from "./probe.js";
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
  /** Worker threads for the probes; 0 runs them in this thread. Default: autoProbeThreads (by sweep size and cores). */
  threads?: number;
}

export const tlsCollector: Collector<TlsCollectorOptions> = {
  meta: { name: "tls", description: "TLS endpoints: certificate chains as served, protocol, cipher, stapling" },
  async collect({ specs, ports, protocols = false, starttls = {}, threads }, ctx) {
    const { tally, count } = outcomeCounter(ctx);
    const { ratePerSecond = null, perHost = DEFAULT_PER_HOST } = ctx.politeness ?? {};
    const rate = ratePerSecond === null ? null : connectRate(ratePerSecond);
    const runner = startProbeRunner(threads ?? autoProbeThreads(countProbes(specs, ports)), { timeouts: ctx.timeouts, protocols, rate }, ctx.signal);
    // A probe holds one connection at a time (posture handshakes follow the chain's, one by one), so
    // probes in flight per target bound its connections. A hostname's key is the name it resolves from.
    const perTarget = { key: (probe: Probe) => probe.hostname ?? probe.address, limit: perHost };
    const probeAddress = async (probe: Probe, address: string): Promise<void> => {
      if (ctx.exclusions.excludes(probe.ip ?? address)) return count("excluded");
      // Only what the probe thread reads crosses to it (a block's numeric ip stays here).
      const target = { address, port: probe.port, sni: probe.sni, starttls: startTlsFor(probe.starttls, probe.port, starttls) };
      const { status, observation } = await runner.probe(target);
      // Refused ports are the bulk of any sweep; they are counted, not stored.
      if (observation) await ctx.recorder.addEndpoint(observation);
      count(status);
    };
    try {
      await forEachBounded<Probe>(expandProbes(specs, ports), ctx.concurrency, ctx.signal, async (probe) => {
        // Probes queued before an interrupt never touched the network: they are not observations.
        if (ctx.signal.aborted) return count("skipped");
        if (!probe.hostname) return probeAddress(probe, probe.address);
        const resolved = await resolveHostname(probe.hostname);
        if ("error" in resolved) {
          await ctx.recorder.addEndpoint({
            address: probe.hostname, port: probe.port, sni: probe.sni, status: "error",
            error: resolved.error, tlsVersion: null, cipher: null, chainDer: [], stapledOcsp: null,
            observedAt: new Date().toISOString(), durationMs: 0,
          });
          return count("error");
        }
        for (const address of resolved.addresses) await probeAddress(probe, address);
      }, perTarget);
    } finally {
      await runner.close();
    }
    return tally;
  },
};
