// The RDP module against real xrdp 0.9 servers on loopback: security_layer=tls serving leaf +
// intermediate, security_layer=negotiate, and security_layer=rdp (standard RDP security only).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartTlsRefused } from "../../collectors/tls/starttls/protocol.js";
import { rdp } from "../../collectors/tls/starttls/rdp.js";
import { type RunningServer, type ServedChain, startXrdp, startedTogether, writeServedChain } from "../../fixtures/lib/starttls-servers.js";
import { upgradeAndCaptureChain } from "./starttls-upgrade.js";

const TLS_ONLY = "127.163.0.21";
const NEGOTIATE = "127.163.0.22";
const RDP_ONLY = "127.163.0.23";
let dirs: string[] = [];
let servers: RunningServer[] = [];
let chain: ServedChain;

beforeAll(async () => {
  dirs = await Promise.all([1, 2, 3].map(() => mkdtemp(join(tmpdir(), "pkiscope-xrdp-"))));
  chain = await writeServedChain(dirs[0]!, "rdp.pkiscope.test");
  servers = await startedTogether([
    startXrdp({ dir: dirs[0]!, address: TLS_ONLY, tls: chain, securityLayer: "tls" }),
    startXrdp({ dir: dirs[1]!, address: NEGOTIATE, tls: chain, securityLayer: "negotiate" }),
    startXrdp({ dir: dirs[2]!, address: RDP_ONLY, securityLayer: "rdp" }),
  ]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("RDP X.224 negotiation against xrdp", () => {
  it.each([
    ["security_layer=tls", TLS_ONLY],
    ["security_layer=negotiate", NEGOTIATE],
  ])("upgrades with %s and captures the chain exactly as configured", async (_layer, address) => {
    const sent = await upgradeAndCaptureChain(rdp, { hostname: null, address, port: 3389 });
    expect(sent.map((d) => d.toString("hex"))).toEqual(chain.sentDer.map((d) => d.toString("hex")));
  });

  it("records standard RDP security (security_layer=rdp) as no TLS", async () => {
    const refusal = await upgradeAndCaptureChain(rdp, { hostname: null, address: RDP_ONLY, port: 3389 }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(StartTlsRefused);
    expect((refusal as Error).message).toMatch(/standard RDP security/);
  });
});
