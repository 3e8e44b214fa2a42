// A run's collection in shards: the units it is resumed by (`scan --resume`) and handed out in
// (`pkiscope coordinator` and its workers). A shard is either a slice of the probe targets, at
// most a given number of probes, all of one site, or the run's other sources (files, LDAP).
// Shards are planned once, when the run is opened, and stored with it as JSON; the targets in
// them keep their parsed form (blocks as decimal strings: JSON has no bigint).
import type { ShardRecord } from "../store/store.js";
import { type TargetSpec, blockSize, countProbes } from "../targets/targets.js";

/** Probes per shard unless the plan says otherwise: a /16 on two ports is 16 shards, a /24 one. */
export const DEFAULT_SHARD_PROBES = 8192;

/** Shards a run is cut into at most: a huge IPv6 block gets bigger shards, not millions of rows. */
export const MAX_SHARDS = 4096;

/** A target spec as JSON holds it. */
export type StoredTargetSpec =
  | (Omit<Extract<TargetSpec, { kind: "block" }>, "block"> & { block: { family: 4 | 6; first: string; last: string } })
  | Extract<TargetSpec, { kind: "host" }>;

export type ShardSpec =
  | { kind: "probes"; specs: StoredTargetSpec[] }
  | { kind: "sources" };

export interface PlannedShard extends ShardRecord {
  spec: ShardSpec;
}

export interface ShardSources {
  specs: readonly TargetSpec[];
  /** Whether the run has files or LDAP sources to read (one shard, with no site). */
  sources: boolean;
}

/**
 * Splits the targets into shards of at most `probesPerShard` probes (a block larger than that is
 * cut into blocks that fit; a port-less spec counts once per port), keeping the targets' order
 * and never mixing sites in one shard. Shards grow past `probesPerShard` to stay under MAX_SHARDS.
 */
export function planShards({ specs, sources }: ShardSources, ports: readonly number[], probesPerShard = DEFAULT_SHARD_PROBES): PlannedShard[] {
  const groups: { site: string | null; specs: TargetSpec[]; probes: bigint }[] = [];
  const total = countProbes(specs, ports);
  const limit = bigMax(BigInt(Math.max(1, probesPerShard)), (total + BigInt(MAX_SHARDS) - 1n) / BigInt(MAX_SHARDS));
  for (const spec of specs) {
    const site = spec.site ?? null;
    const perAddress = BigInt(spec.port === null ? ports.length : 1);
    if (perAddress === 0n) continue;
    for (const piece of slices(spec, limit, perAddress)) {
      const probes = blockSize(piece) * perAddress;
      const last = groups.at(-1);
      if (!last || last.site !== site || last.probes + probes > limit) groups.push({ site, specs: [piece], probes });
      else {
        last.specs.push(piece);
        last.probes += probes;
      }
    }
  }
  const shards: PlannedShard[] = groups.map((g, i) => ({ id: shardId(i), site: g.site, spec: { kind: "probes", specs: g.specs.map(storeSpec) } }));
  if (sources) shards.push({ id: "sources", site: null, spec: { kind: "sources" } });
  return shards;
}

const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Ordinal shard ids sort in plan order. */
function shardId(ordinal: number): string {
  return `probes-${String(ordinal).padStart(5, "0")}`;
}

/** A block cut into pieces of at most `limit` probes (at least one address each); a host spec as it is. */
function* slices(spec: TargetSpec, limit: bigint, perAddress: bigint): Generator<TargetSpec> {
  if (spec.kind === "host") {
    yield spec;
    return;
  }
  const addresses = limit / perAddress > 0n ? limit / perAddress : 1n;
  for (let first = spec.block.first; first <= spec.block.last; first += addresses) {
    const last = first + addresses - 1n < spec.block.last ? first + addresses - 1n : spec.block.last;
    yield { ...spec, block: { ...spec.block, first, last } };
  }
}

export function storeSpec(spec: TargetSpec): StoredTargetSpec {
  if (spec.kind === "host") return spec;
  return { ...spec, block: { family: spec.block.family, first: spec.block.first.toString(), last: spec.block.last.toString() } };
}

export function loadSpec(spec: StoredTargetSpec): TargetSpec {
  if (spec.kind === "host") return spec;
  return { ...spec, block: { family: spec.block.family, first: BigInt(spec.block.first), last: BigInt(spec.block.last) } };
}

/** The target specs of a stored shard (none for the sources shard). */
export function shardTargets(spec: ShardSpec): TargetSpec[] {
  return spec.kind === "probes" ? spec.specs.map(loadSpec) : [];
}
