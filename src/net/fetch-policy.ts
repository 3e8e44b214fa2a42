// Which URLs taken from certificates may be fetched. URLs in certificates are attacker-chosen:
// only http, https and ldap; hosts filtered by an allow list and a deny list (names or CIDRs,
// checked against every address a name resolves to, at connect time, so DNS cannot be used to
// slip past the list); a per-host concurrency limit; and --no-fetch for scans that must not
// leave their target list.
import { lookup as dnsLookup } from "node:dns";
import type { LookupFunction } from "node:net";
import pLimit, { type LimitFunction } from "p-limit";
import { UsageError } from "../errors.js";
import { type AddressBlock, blockContains, parseCidr, parseIp } from "../targets/address.js";

export const FETCH_SCHEMES = ["http:", "https:", "ldap:"] as const;

export interface FetchPolicyOptions {
  enabled: boolean;
  /** Hosts (exact names, or "*.example.com") and CIDRs/addresses; empty means any host. */
  allow: readonly string[];
  deny: readonly string[];
  perHostConcurrency: number;
  timeoutMs: number;
  maxBytes: number;
}

interface HostRules {
  names: string[];
  blocks: AddressBlock[];
}

export class FetchPolicy {
  private readonly allow: HostRules;
  private readonly deny: HostRules;
  private readonly limits = new Map<string, LimitFunction>();

  constructor(readonly options: FetchPolicyOptions) {
    this.allow = parseRules(options.allow, "--fetch-allow");
    this.deny = parseRules(options.deny, "--fetch-deny");
  }

  /** Why this URL must not be fetched, or null when it may be (addresses are checked again at connect). */
  refusal(url: string): string | null {
    if (!this.options.enabled) return "fetching is off (--no-fetch)";
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return "not a valid URL";
    }
    if (!(FETCH_SCHEMES as readonly string[]).includes(parsed.protocol)) return `scheme ${parsed.protocol} is never fetched`;
    const host = hostOf(parsed);
    const literal = parseIp(host) ? host : null;
    if (matches(this.deny, host, literal)) return `host ${host} is denied (--fetch-deny)`;
    if (!this.hasAllowList() || matches(this.allow, host, literal)) return null;
    // A name may still resolve into an allowed block: `lookup` decides at connect time.
    if (!literal && this.allow.blocks.length > 0) return null;
    return `host ${host} is not in --fetch-allow`;
  }

  private hasAllowList(): boolean {
    return this.allow.names.length + this.allow.blocks.length > 0;
  }

  /** A DNS lookup for sockets that refuses addresses the lists exclude (checked after resolution). */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const permitted = addresses.filter((a) => this.addressPermitted(hostname, a.address));
      if (permitted.length === 0) {
        const error = Object.assign(new Error(`every address of ${hostname} is excluded by the fetch allow/deny lists`), {
          code: "EFETCHPOLICY",
        });
        return callback(error, "", 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof permitted) => void)(null, permitted);
      callback(null, permitted[0]!.address, permitted[0]!.family);
    });
  };

  /** Runs `work` within the per-host concurrency limit. */
  limitFor(url: string): LimitFunction {
    let host: string;
    try {
      host = hostOf(new URL(url));
    } catch {
      host = "";
    }
    let limit = this.limits.get(host);
    if (!limit) this.limits.set(host, (limit = pLimit(this.options.perHostConcurrency)));
    return limit;
  }

  private addressPermitted(hostname: string, address: string): boolean {
    if (matches(this.deny, hostname, address)) return false;
    return !this.hasAllowList() || matches(this.allow, hostname, address);
  }
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

function parseRules(items: readonly string[], option: string): HostRules {
  const rules: HostRules = { names: [], blocks: [] };
  for (const item of items) {
    const block = parseCidr(item);
    const ip = parseIp(item);
    if (block) rules.blocks.push(block);
    else if (ip) rules.blocks.push({ family: ip.family, first: ip.value, last: ip.value });
    else if (/^(\*\.)?[a-z0-9_.-]+$/i.test(item)) rules.names.push(item.toLowerCase());
    else throw new UsageError(`${option} takes host names, *.domain patterns, addresses or CIDRs, not "${item}"`);
  }
  return rules;
}

function matches(rules: HostRules, host: string, address: string | null): boolean {
  const name = host.toLowerCase();
  const nameHit = rules.names.some((rule) => (rule.startsWith("*.") ? name.endsWith(rule.slice(1)) : name === rule));
  if (nameHit) return true;
  const ip = address ? parseIp(address) : null;
  return ip !== null && rules.blocks.some((b) => blockContains(b, ip));
}
