// Virtual hosts from a list of names (`--sni-names FILE`, a profile network's `sniNames`): one
// address often serves many names, and only the name sent as SNI picks the certificate. A line
// `name address` probes that address with that name; a bare `name` probes every address of the
// scan's address targets (addresses, ranges, CIDRs; hostname targets carry their own name) with
// it, beside the probe without a name. A names list may also give ranges or CIDRs as addresses.
import { UsageError } from "../errors.js";
import { type TargetSpec, blockSize, parseTarget, virtualHostName } from "./targets.js";

/** One entry of a names list: a name, and the address (with an optional port) it is asked at, if any. */
export interface SniName {
  name: string;
  address: string | null;
}

/**
 * Most (bare name, address) pairs a names list may add: each is a probe per port, and a few
 * names over a large block multiply quickly. Past it, give each name its address.
 */
export const MAX_SNI_NAME_ADDRESSES = 65_536;

/** One line of a names list; null for a blank or comment line. Throws UsageError for anything else. */
export function parseSniLine(line: string): SniName | null {
  const fields = line.replace(/#.*/, "").trim().split(/\s+/).filter((f) => f.length > 0);
  if (fields.length === 0) return null;
  if (fields.length > 2) throw new UsageError(`expected "name" or "name address", got ${fields.length} fields`);
  const [name, address = null] = fields as [string, string?];
  const sni = virtualHostName(name, fields.join(" "));
  // Checked now by the one parser of virtual hosts, so a bad address fails with its line number.
  if (address !== null) parseTarget(`${sni}@${address}`);
  return { name: sni, address };
}

/** A names file: every bad line is a usage error naming `source:LINE`. */
export function parseSniNames(text: string, source: string): SniName[] {
  return text.split("\n").flatMap((line, i) => {
    try {
      return parseSniLine(line) ?? [];
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${source}:${i + 1}: ${err.message}`);
      throw err;
    }
  });
}

/** The target specs `names` add to a scan of `specs`: each addressed name once, each bare name at every address target. */
export function sniTargetSpecs(names: readonly SniName[], specs: readonly TargetSpec[], source: string): TargetSpec[] {
  const addressed = new Map<string, TargetSpec>();
  const bare = new Set<string>();
  for (const { name, address } of names) {
    if (address === null) bare.add(name);
    else addressed.set(`${name}@${address}`, parseTarget(`${name}@${address}`));
  }
  // Blocks probed by address alone: the ones a bare name is asked at.
  const blocks = specs.filter((s) => s.kind === "block" && s.sni === undefined);
  const pairs = BigInt(bare.size) * blocks.reduce((n, s) => n + blockSize(s), 0n);
  if (pairs > BigInt(MAX_SNI_NAME_ADDRESSES)) {
    throw new UsageError(
      `${source}: ${bare.size} names without an address would each be probed at ${pairs / BigInt(bare.size)} addresses (more than ${MAX_SNI_NAME_ADDRESSES} pairs): give each name its address ("name address")`,
    );
  }
  const everywhere = [...bare].flatMap((sni) => blocks.map((s) => ({ ...s, text: `${sni}@${s.text}`, sni })));
  return [...addressed.values(), ...everywhere];
}
