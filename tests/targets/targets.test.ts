import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import {
  ExclusionList,
  countProbes,
  expandProbes,
  parsePortList,
  parseTarget,
  parseTargetsText,
} from "../../src/targets/targets.js";

describe("target parsing", () => {
  it.each([
    ["10.0.0.0/30", { kind: "block", count: 4n, port: null }],
    ["10.0.0.7/24", { kind: "block", count: 256n, port: null }],
    ["192.0.2.5-192.0.2.40", { kind: "block", count: 36n, port: null }],
    ["192.0.2.9", { kind: "block", count: 1n, port: null }],
    ["192.0.2.9:8443", { kind: "block", count: 1n, port: 8443 }],
    ["2001:db8::/126", { kind: "block", count: 4n, port: null }],
    ["[2001:db8::1]:636", { kind: "block", count: 1n, port: 636 }],
    ["::1", { kind: "block", count: 1n, port: null }],
    ["intranet.example.com", { kind: "host", count: 1n, port: null }],
    ["ldap-1.example.com:636", { kind: "host", count: 1n, port: 636 }],
  ])("parses %s", (text, expected) => {
    const spec = parseTarget(text);
    expect(spec.kind).toBe(expected.kind);
    expect(spec.port).toBe(expected.port);
    expect(countProbes([spec], [443])).toBe(expected.count);
  });

  it.each(["10.0.0.0/33", "10.0.0.300", "10.1", "host:99999", "a..b", "10.0.0.9-10.0.0.1", "10.0.0.1-::1", "::/0", "10.0.0.1:0"])(
    "rejects %s with a usage error",
    (text) => {
      expect(() => parseTarget(text)).toThrow(UsageError);
    },
  );

  it("reads target files with comments and several targets per line", () => {
    expect(parseTargetsText("# lab\n10.0.0.0/30, 10.0.1.1\n\nweb.example.com:8443 # front end\n")).toEqual([
      "10.0.0.0/30",
      "10.0.1.1",
      "web.example.com:8443",
    ]);
  });

  it("parses port lists and ranges", () => {
    expect(parsePortList("443,8443-8445")).toEqual([443, 8443, 8444, 8445]);
    expect(() => parsePortList("80-70")).toThrow(UsageError);
  });
});

describe("probe expansion", () => {
  it("walks addresses and ports in order, with a target's own port overriding --ports", () => {
    const probes = [...expandProbes([parseTarget("10.0.0.254/31"), parseTarget("10.0.1.1:636")], [443, 8443])];
    expect(probes.map((p) => `${p.address}:${p.port}`)).toEqual([
      "10.0.0.254:443",
      "10.0.0.254:8443",
      "10.0.0.255:443",
      "10.0.0.255:8443",
      "10.0.1.1:636",
    ]);
  });

  it("formats the edges of the IPv4 space", () => {
    const edges = [...expandProbes([parseTarget("0.0.0.0/31"), parseTarget("255.255.255.254/31"), parseTarget("128.0.0.1")], [443])];
    expect(edges.map((p) => p.address)).toEqual(["0.0.0.0", "0.0.0.1", "255.255.255.254", "255.255.255.255", "128.0.0.1"]);
  });

  it("sends hostnames as SNI and formats IPv6 compactly", () => {
    const [host] = [...expandProbes([parseTarget("web.example.com")], [443])];
    expect(host).toMatchObject({ sni: "web.example.com", hostname: "web.example.com", port: 443 });
    const v6 = [...expandProbes([parseTarget("2001:db8::/127")], [443])].map((p) => p.address);
    expect(v6).toEqual(["2001:db8::", "2001:db8::1"]);
  });

  it("is lazy: a /16 with ten ports is counted, not materialised", () => {
    const specs = [parseTarget("10.20.0.0/16")];
    const ports = [443, 8443, 636, 993, 995, 465, 3389, 8080, 9443, 10443];
    expect(countProbes(specs, ports)).toBe(655_360n);
    const before = process.memoryUsage().heapUsed;
    const iterator = expandProbes(specs, ports);
    let last;
    for (let i = 0; i < 1000; i++) last = iterator.next().value;
    expect(last).toMatchObject({ address: "10.20.0.99", port: 10443 });
    // A materialised list would hold 655,360 probe objects (tens of MB).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });
});

describe("exclusions", () => {
  it("covers CIDRs, ranges and single addresses of both families", () => {
    const list = new ExclusionList(["10.0.0.0/8", "192.0.2.10-192.0.2.20", "2001:db8::1"]);
    expect(list.excludes("10.255.1.1")).toBe(true);
    expect(list.excludes("192.0.2.15")).toBe(true);
    expect(list.excludes("192.0.2.21")).toBe(false);
    expect(list.excludes("2001:db8::1")).toBe(true);
    expect(list.excludes("2001:db8::2")).toBe(false);
    expect(list.excludes("not-an-address")).toBe(true);
  });

  it("rejects what is not an address block", () => {
    expect(() => new ExclusionList(["example.com"])).toThrow(UsageError);
  });
});
