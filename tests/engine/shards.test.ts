// The shard planner: shards cover exactly the probes of the targets, in order, none above its
// size (unless the shard count would pass MAX_SHARDS), never two sites in one, and survive JSON.
import { describe, expect, it } from "vitest";
import { DEFAULT_SHARD_PROBES, MAX_SHARDS, planShards, shardTargets } from "../../src/engine/shards.js";
import { type TargetSpec, countProbes, expandProbes, parseTarget } from "../../src/targets/targets.js";

const probeKeys = (specs: readonly TargetSpec[], ports: readonly number[]): string[] =>
  [...expandProbes(specs, ports)].map((p) => `${p.address}|${p.hostname ?? ""}|${p.port}|${p.sni ?? ""}|${p.starttls ?? ""}`);

describe("planShards", () => {
  it("cuts a /16 on two ports into shards of the size asked, covering every probe once, in order", () => {
    const specs = [parseTarget("10.1.0.0/16")];
    const shards = planShards({ specs, sources: false }, [443, 8443], 5000);
    // 65,536 × 2 probes in shards of at most 5000 (2500 addresses): 27 shards, the last partial.
    expect(shards).toHaveLength(Math.ceil(65_536 / 2500));
    const roundTripped = shards.map((s) => JSON.parse(JSON.stringify(s.spec)) as typeof s.spec);
    for (const spec of roundTripped) expect(countProbes(shardTargets(spec), [443, 8443])).toBeLessThanOrEqual(5000n);
    expect(roundTripped.flatMap((spec) => probeKeys(shardTargets(spec), [443, 8443]))).toEqual(probeKeys(specs, [443, 8443]));
    expect(new Set(shards.map((s) => s.id)).size).toBe(shards.length);
  });

  it("packs small targets together, keeps ports, schemes and names, and adds one shard for files and LDAP", () => {
    const specs = ["127.0.0.1", "smtp://127.0.0.2", "mail.example@127.0.0.3:2525", "host.example:8443", "127.0.1.0/30"].map(parseTarget);
    const shards = planShards({ specs, sources: true }, [443], DEFAULT_SHARD_PROBES);
    expect(shards.map((s) => [s.id, s.spec.kind])).toEqual([["probes-00000", "probes"], ["sources", "sources"]]);
    expect(probeKeys(shardTargets(JSON.parse(JSON.stringify(shards[0]!.spec))), [443])).toEqual(probeKeys(specs, [443]));
  });

  it("never puts two sites in one shard", () => {
    const specs: TargetSpec[] = [
      { ...parseTarget("127.0.0.0/28"), site: "dmz" },
      parseTarget("127.0.1.0/28"),
      { ...parseTarget("127.0.2.0/28"), site: "dmz" },
      { ...parseTarget("127.0.3.0/28"), site: "lab" },
    ];
    const shards = planShards({ specs, sources: false }, [443], 1000);
    expect(shards.map((s) => s.site)).toEqual(["dmz", null, "dmz", "lab"]);
    for (const s of shards) expect(shardTargets(s.spec).every((t) => (t.site ?? null) === s.site)).toBe(true);
  });

  it("grows shards past the size asked rather than plan more than MAX_SHARDS", () => {
    const specs = [parseTarget("2001:db8::/96")];
    const shards = planShards({ specs, sources: false }, [443], 1);
    expect(shards.length).toBeLessThanOrEqual(MAX_SHARDS);
    expect(shards.reduce((n, s) => n + countProbes(shardTargets(s.spec), [443]), 0n)).toBe(countProbes(specs, [443]));
  });
});
