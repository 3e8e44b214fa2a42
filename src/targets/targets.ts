// Target lists: CIDR blocks (IPv4 and IPv6), address ranges, single addresses, hostnames
// (sent as SNI), host:port, and virtual hosts `name@address` (the name sent as SNI to the address
// as given, no DNS). Expansion is a generator: a /16 with ten ports is 655,360
// probes and is never held in memory.
import type { Probe } from "../model/types.js";
import { UsageError } from "../errors.js";
import {
  type AddressBlock,
  type IpValue,
  blockContains,
  formatIp,
  parseCidr,
  parseIp,
} from "./address.js";

export type TargetSpec = (
  // `sni`: the name a virtual-host target (`name@address`) sends to every address of the block.
  | { kind: "block"; text: string; block: AddressBlock; port: number | null; sni?: string }
  | { kind: "host"; text: string; hostname: string; port: number | null }
) & {
  /**
   * The scheme of a `proto://target` item, as written (the STARTTLS registry checks the name and
   * turns "tls" into null: TLS from the first byte); absent: the port decides.
   */
  starttls?: string | null;
  /** The site whose scanners must probe it (a profile network's `site`): distributed scans hand it only to workers there. */
  site?: string;
};

/** Refuse blocks whose expansion could never finish (an IPv6 /64 is 2^64 probes). */
const MAX_BLOCK_ADDRESSES = 1n << 32n;

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

export function parsePort(text: string, what = "port"): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`invalid ${what} "${text}"`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(`${what} out of range: ${text}`);
  return port;
}

export function parsePortList(text: string): number[] {
  const ports = new Set<number>();
  for (const part of splitList(text)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const lo = parsePort(range[1]!);
      const hi = parsePort(range[2]!);
      if (hi < lo) throw new UsageError(`invalid port range "${part}"`);
      for (let p = lo; p <= hi; p++) ports.add(p);
    } else {
      ports.add(parsePort(part));
    }
  }
  if (ports.size === 0) throw new UsageError("--ports is empty");
  return [...ports];
}

export function splitList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !s.startsWith("#"));
}

/** Parses one target item; throws UsageError naming the item when it is none of the forms. */
export function parseTarget(text: string): TargetSpec {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (scheme) return { ...parseTarget(scheme[2]!), text, starttls: scheme[1]!.toLowerCase() };
  const at = text.lastIndexOf("@");
  if (at >= 0) return virtualHost(text.slice(0, at), text.slice(at + 1), text);

  const cidr = parseCidr(text);
  if (cidr) return checkedBlock(text, cidr, null);

  const range = parseRange(text);
  if (range) return checkedBlock(text, range, null);

  const { host, port } = splitHostPort(text);
  const ip = parseIp(host);
  if (ip) return { kind: "block", text, block: single(ip), port };
  const hostname = hostName(host);
  if (hostname) return { kind: "host", text, hostname, port };
  throw new UsageError(`not a CIDR, range, address, hostname, host:port or name@address: "${text}"`);
}

/** A hostname, lowercased and without its trailing dot; null when `text` is none. */
function hostName(text: string): string | null {
  // A numeric last label is a mistyped address ("10.0.0.300", "10.1"), never a hostname.
  return HOSTNAME.test(text) && !/(^|\.)\d+\.?$/.test(text) ? text.toLowerCase().replace(/\.$/, "") : null;
}

/** The name of a virtual host (sent as SNI), normalised; a UsageError quoting `text` when it is no host name. */
export function virtualHostName(name: string, text: string): string {
  const sni = hostName(name);
  if (!sni) throw new UsageError(`not a host name before the @ of "${text}"`);
  return sni;
}

/**
 * A virtual host `name@address`: the name sent as SNI to an address (`address:port`, `[v6]:port`,
 * or a range or CIDR: every address of it), dialled as given, never looked up.
 */
function virtualHost(name: string, addresses: string, text: string): TargetSpec {
  const sni = virtualHostName(name, text);
  const spec = parseTarget(addresses);
  if (spec.kind !== "block" || spec.sni !== undefined) throw new UsageError(`not an address, range or CIDR after the @ of "${text}"`);
  return { ...spec, text, sni };
}

/** Parses a file of targets: one or more per line, '#' starts a comment. */
export function parseTargetsText(text: string): string[] {
  return text.split("\n").flatMap((line) => splitList(line.replace(/#.*/, "")));
}

function checkedBlock(text: string, block: AddressBlock, port: number | null): TargetSpec {
  if (block.last - block.first + 1n > MAX_BLOCK_ADDRESSES) {
    throw new UsageError(`target "${text}" has more than 2^32 addresses; split it into smaller blocks`);
  }
  return { kind: "block", text, block, port };
}

function single(ip: IpValue): AddressBlock {
  return { family: ip.family, first: ip.value, last: ip.value };
}

function parseRange(text: string): AddressBlock | null {
  // "-" is legal in hostnames, so only a pair of addresses of one family is a range.
  const dash = text.indexOf("-");
  if (dash < 0) return null;
  const a = parseIp(text.slice(0, dash));
  const b = parseIp(text.slice(dash + 1));
  if (!a || !b) return null;
  if (a.family !== b.family) throw new UsageError(`range "${text}" mixes IPv4 and IPv6`);
  if (b.value < a.value) throw new UsageError(`range "${text}" ends before it starts`);
  return { family: a.family, first: a.value, last: b.value };
}

function splitHostPort(text: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? parsePort(bracketed[2]) : null };
  const colons = text.split(":").length - 1;
  if (colons === 1) {
    const [host, port] = text.split(":") as [string, string];
    return { host, port: parsePort(port) };
  }
  return { host: text, port: null };
}

export function blockSize(spec: TargetSpec): bigint {
  return spec.kind === "block" ? spec.block.last - spec.block.first + 1n : 1n;
}

/** Number of probes the specs expand to (exclusions are applied later, at dial time). */
export function countProbes(specs: readonly TargetSpec[], ports: readonly number[]): bigint {
  let total = 0n;
  for (const spec of specs) total += blockSize(spec) * BigInt(spec.port === null ? ports.length : 1);
  return total;
}

export function* expandProbes(specs: readonly TargetSpec[], ports: readonly number[]): Generator<Probe> {
  for (const spec of specs) {
    const specPorts = spec.port === null ? ports : [spec.port];
    const starttls = spec.starttls !== undefined ? { starttls: spec.starttls } : {};
    if (spec.kind === "host") {
      for (const port of specPorts) yield { address: "", port, sni: spec.hostname, hostname: spec.hostname, ...starttls };
      continue;
    }
    for (let v = spec.block.first; v <= spec.block.last; v++) {
      const ip = { family: spec.block.family, value: v };
      const address = formatIp(ip);
      for (const port of specPorts) yield { address, port, sni: spec.sni ?? null, ip, ...starttls };
    }
  }
}

/** CIDRs (or addresses) that must never receive a packet. */
export class ExclusionList {
  private readonly blocks: AddressBlock[];

  constructor(items: readonly string[]) {
    this.blocks = items.map((item) => {
      const block = parseCidr(item) ?? parseRange(item);
      if (block) return block;
      const ip = parseIp(item);
      if (!ip) throw new UsageError(`--exclude takes CIDRs, ranges or addresses, not "${item}"`);
      return single(ip);
    });
  }

  get size(): number {
    return this.blocks.length;
  }

  /** Takes the parsed form when the caller has it: a sweep checks every probe. */
  excludes(address: string | IpValue): boolean {
    const ip = typeof address === "string" ? parseIp(address) : address;
    // An address we cannot parse is never dialled, so treat it as excluded.
    if (!ip) return true;
    return this.blocks.some((b) => blockContains(b, ip));
  }
}

