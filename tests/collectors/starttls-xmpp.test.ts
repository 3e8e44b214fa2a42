// The XMPP module against a real Prosody 0.12 on loopback with three kinds of `to`: a
// VirtualHost with a certificate (leaf + intermediate), one with mod_tls disabled (no STARTTLS
// in its features), and a name the server does not serve (a stream error).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartTlsProtocolError, StartTlsRefused } from "../../collectors/tls/starttls/protocol.js";
import { xmpp } from "../../collectors/tls/starttls/xmpp.js";
import { type RunningServer, type ServedChain, startProsody, writeServedChain } from "../../fixtures/lib/starttls-servers.js";
import { upgradeAndCaptureChain } from "./starttls-upgrade.js";

const ADDRESS = "127.163.0.31";
const WITH_TLS = "xmpp.pkiscope.test";
const WITHOUT_TLS = "plain.pkiscope.test";
let dir: string;
let server: RunningServer;
let chain: ServedChain;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-prosody-"));
  chain = await writeServedChain(dir, WITH_TLS);
  server = await startProsody({ dir, address: ADDRESS, hosts: [{ domain: WITH_TLS, tls: chain }, { domain: WITHOUT_TLS }] });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const target = (hostname: string | null) => ({ hostname, address: ADDRESS, port: 5222 });

describe("XMPP STARTTLS against Prosody", () => {
  it("upgrades after <proceed/> and captures the chain exactly as configured", async () => {
    const sent = await upgradeAndCaptureChain(xmpp, target(WITH_TLS));
    expect(sent.map((d) => d.toString("hex"))).toEqual(chain.sentDer.map((d) => d.toString("hex")));
  });

  it("records a host whose stream features offer no <starttls/> as refusing the upgrade", async () => {
    const refusal = await upgradeAndCaptureChain(xmpp, target(WITHOUT_TLS)).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(StartTlsRefused);
    expect((refusal as Error).message).toMatch(/does not offer STARTTLS \(features: .*mechanisms/);
  });

  it("records the stream error of a `to` the server does not serve (a bare address), with its condition", async () => {
    const failure = await upgradeAndCaptureChain(xmpp, target(null)).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StartTlsProtocolError);
    expect((failure as Error).message).toBe(`XMPP stream error for to='${ADDRESS}': host-unknown`);
  });
});
