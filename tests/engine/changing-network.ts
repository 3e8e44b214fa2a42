// A loopback network that tests change between scans: named TLS endpoints that start, stop and
// change their chains, and the scan plan that sweeps them (no fetching, no revocation), shared by
// the diff and trends tests.
import { serveIdentity } from "../../fixtures/sample-network.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import { DEFAULT_FETCH, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import type { ScanPlan } from "../../src/engine/scan.js";
import { parseTarget } from "../../src/targets/targets.js";

export class ChangingNetwork<Name extends string> {
  private readonly running = new Map<Name, () => Promise<void>>();

  constructor(readonly addresses: Readonly<Record<Name, string>>, readonly port: number) {}

  async serve(name: Name, chain: SampleCertificate[]): Promise<void> {
    this.running.set(name, await serveIdentity({ name, description: name, chain, expectedRules: [] }, this.addresses[name], this.port));
  }

  async stop(name: Name): Promise<void> {
    await this.running.get(name)?.();
    this.running.delete(name);
  }

  async stopAll(): Promise<void> {
    for (const name of [...this.running.keys()]) await this.stop(name);
  }

  /** A plan sweeping `targets` (every endpoint's address by default) on the network's port. */
  plan(trustAnchors: string, targets: string[] = Object.values(this.addresses)): ScanPlan {
    return {
      targetTexts: targets, specs: targets.map((t) => parseTarget(t)), ports: [this.port], exclude: [], files: [], trustAnchors,
      concurrency: 8, timeouts: { connectMs: 2000, handshakeMs: 5000 },
      fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: { enabled: false, crlUrls: [], crlFiles: [] }, thresholds: { ...DEFAULT_THRESHOLDS },
    };
  }
}
