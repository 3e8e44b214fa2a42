// Which STARTTLS protocol a probe speaks: a target's scheme, else --starttls PORT=PROTO (and a
// profile network's starttls map, which the command line overrides port by port), else the
// port's default from the registry; the default port list holds every protocol's ports.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStartTlsPorts, startTlsFor, startTlsProtocols, startTlsSpecs } from "../../collectors/tls/starttls/index.js";
import { buildScanPlan } from "../../src/cli/scan-command.js";
import { DEFAULT_PORTS } from "../../src/engine/defaults.js";
import { UsageError } from "../../src/errors.js";
import { expandProbes, parseTarget } from "../../src/targets/targets.js";
import { SCAN_OPTIONS } from "../cli/cli-helpers.js";

describe("target schemes", () => {
  it.each([
    ["smtp://mail.example.com:2525", { kind: "host", port: 2525, starttls: "smtp" }],
    ["imap://192.0.2.7", { kind: "block", port: null, starttls: "imap" }],
    ["ldap://[2001:db8::1]:3890", { kind: "block", port: 3890, starttls: "ldap" }],
    ["FTP://192.0.2.0/30", { kind: "block", port: null, starttls: "ftp" }],
    ["smtp://mx.example.com@192.0.2.9:25", { kind: "block", port: 25, starttls: "smtp", sni: "mx.example.com" }],
  ])("parses %s", (text, expected) => {
    expect(parseTarget(text)).toMatchObject({ text, ...expected });
  });

  it("probes a protocol named without a port on its default ports, and tls:// on the scan's", () => {
    expect(startTlsSpecs(parseTarget("smtp://192.0.2.7")).map((s) => [s.port, s.starttls])).toEqual([[25, "smtp"], [587, "smtp"]]);
    expect(startTlsSpecs(parseTarget("smtp://192.0.2.7:2525")).map((s) => [s.port, s.starttls])).toEqual([[2525, "smtp"]]);
    expect(startTlsSpecs(parseTarget("tls://192.0.2.7:25")).map((s) => [s.port, s.starttls])).toEqual([[25, null]]);
    const probes = [...expandProbes(startTlsSpecs(parseTarget("tls://192.0.2.7")), [25, 443])];
    expect(probes.map((p) => [p.port, p.starttls])).toEqual([[25, null], [443, null]]);
  });

  it("rejects an unknown scheme with a usage error naming the target and the known protocols", () => {
    expect(() => startTlsSpecs(parseTarget("gopher://192.0.2.7:70"))).toThrow(UsageError);
    expect(() => startTlsSpecs(parseTarget("gopher://192.0.2.7:70"))).toThrow(/"gopher" in target "gopher:\/\/192.0.2.7:70" \(known: smtp, .*tls\)/);
  });
});

describe("--starttls PORT=PROTO", () => {
  it("reads repeated and comma-separated items, later ones winning", () => {
    expect(parseStartTlsPorts(["2525=smtp,10143=IMAP", "25=tls", "2525=ftp"])).toEqual({ 2525: "ftp", 10143: "imap", 25: null });
  });

  it.each(["2525", "smtp=2525", "0=smtp", "2525=gopher"])("rejects %s", (item) => {
    expect(() => parseStartTlsPorts([item])).toThrow(UsageError);
  });

  it("is overridden by a target's scheme and overrides the port's default", () => {
    expect(startTlsFor("imap", 25, { 25: "ftp" })).toBe("imap");
    expect(startTlsFor(null, 25, { 25: "ftp" })).toBeNull();
    expect(startTlsFor(undefined, 25, { 25: "ftp" })).toBe("ftp");
    expect(startTlsFor(undefined, 25, { 25: null })).toBeNull();
    expect(startTlsFor(undefined, 25, {})).toBe("smtp");
    expect(startTlsFor(undefined, 443, {})).toBeNull();
  });
});

describe("default ports", () => {
  it("probe every protocol's ports with that protocol, and the implicit-TLS ports with TLS at once", () => {
    for (const protocol of startTlsProtocols()) {
      for (const port of protocol.defaultPorts) {
        expect(DEFAULT_PORTS).toContain(port);
        expect(startTlsFor(undefined, port, {})).toBe(protocol.name);
      }
    }
    for (const port of [443, 8443, 465, 636, 993, 995]) {
      expect(DEFAULT_PORTS).toContain(port);
      expect(startTlsFor(undefined, port, {})).toBeNull();
    }
    expect(Object.fromEntries([25, 587, 143, 110, 21, 389].map((p) => [p, startTlsFor(undefined, p, {})]))).toEqual({
      25: "smtp", 587: "smtp", 143: "imap", 110: "pop3", 21: "ftp", 389: "ldap",
    });
  });

  it("are the README's: its STARTTLS table, its TLS-at-once ports and the --ports default", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### STARTTLS"), readme.indexOf("### Virtual hosts"));
    const portsIn = (text: string): number[] => [...text.matchAll(/\b\d+\b/g)].map((m) => Number(m[0]));
    const table = [...section.matchAll(/^\| `(\w+)` \| ([\d, ]+) \|/gm)].map((m) => [m[1], portsIn(m[2]!)]);
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(startTlsProtocols().map((p) => [p.name, [...p.defaultPorts]])));
    const atOnce = portsIn(/^Ports ([^.]*) speak TLS at once\./m.exec(section)![1]!);
    for (const port of atOnce) expect(startTlsFor(undefined, port, {}), `port ${port}`).toBeNull();
    expect(new Set([...atOnce, ...table.flatMap(([, ports]) => ports as number[])])).toEqual(new Set(DEFAULT_PORTS));
    const optionRow = /^\| `-p, --ports LIST` \|[^|]*\| ([\d, ]+) /m.exec(readme)!;
    expect(portsIn(optionRow[1]!)).toEqual([...DEFAULT_PORTS]);
  });
});

describe("the scan plan", () => {
  let dir: string;
  const base = SCAN_OPTIONS;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pkiscope-starttls-plan-"));
    await writeFile(join(dir, "pkiscope.yaml"), [
      "profiles:",
      "  mail:",
      "    networks:",
      "      - targets: [192.0.2.0/30, smtp://192.0.2.9]",
      "        starttls: { 2525: smtp, 10143: imap }",
      "      - targets: [198.51.100.1]",
      "        starttls: { 8025: tls }",
      "",
    ].join("\n"));
    await writeFile(join(dir, "bad.yaml"), "profiles:\n  mail:\n    networks:\n      - targets: [192.0.2.1]\n        starttls: { 2525: gopher }\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("carries --starttls, --starttls-timeout and target schemes", async () => {
    const plan = await buildScanPlan({ ...base, targets: ["ftp://192.0.2.1,192.0.2.2"], starttls: ["2121=ftp"], starttlsTimeout: "700" });
    expect(plan.starttls).toEqual({ 2121: "ftp" });
    expect(plan.timeouts).toEqual({ connectMs: 1000, handshakeMs: 2000, starttlsStepMs: 700 });
    expect(plan.specs.map((s) => [s.text, s.port, s.starttls])).toEqual([["ftp://192.0.2.1", 21, "ftp"], ["192.0.2.2", null, undefined]]);
  });

  it("leaves the step timeout to the handshake timeout when not given", async () => {
    expect((await buildScanPlan({ ...base, targets: ["192.0.2.1"] })).timeouts).toEqual({ connectMs: 1000, handshakeMs: 2000 });
  });

  it("merges the profile networks' starttls maps, the command line winning port by port", async () => {
    const options = { ...base, config: join(dir, "pkiscope.yaml"), profile: "mail", starttls: ["2525=ftp"] };
    const plan = await buildScanPlan(options, {}, (key) => key === "starttls");
    expect(plan.starttls).toEqual({ 2525: "ftp", 10143: "imap", 8025: null });
    expect(plan.specs.filter((s) => s.starttls === "smtp").map((s) => s.port)).toEqual([25, 587]);
  });

  it("rejects an unknown protocol in a profile with its line", async () => {
    await expect(buildScanPlan({ ...base, config: join(dir, "bad.yaml"), profile: "mail" })).rejects.toThrow(/bad\.yaml:5:.*starttls/);
  });

  it("rejects an unknown --starttls protocol before any probe", async () => {
    await expect(buildScanPlan({ ...base, targets: ["192.0.2.1"], starttls: ["25=gopher"] })).rejects.toThrow(UsageError);
  });
});
