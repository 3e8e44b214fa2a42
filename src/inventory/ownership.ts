// Who owns what, from the profile a run was scanned with: an endpoint belongs to the first network
// (in profile order) whose targets contain it; a certificate to the networks of the endpoints
// serving it and the file sources it was imported from, its owner and site those of the first of
// them that names one, its tags all of theirs.
import { sep } from "node:path";
import { type IpValue, blockContains, parseIp } from "../targets/address.js";
import { type TargetSpec, parseTarget } from "../targets/targets.js";
import type { Ownership, ProfileRecord } from "../model/profile.js";
import type { EndpointRow } from "../store/store.js";

export interface OwnershipIndex {
  /** The run's profile names at least one owner (else nothing can have a known owner). */
  ownersConfigured: boolean;
  /** By endpoint id; endpoints of no network are absent. */
  endpoints: ReadonlyMap<string, Ownership>;
  /** By certificate sha256; certificates of no network or file source are absent. */
  certificates: ReadonlyMap<string, Ownership>;
}

/** Where a certificate was seen: the endpoints serving it and the files it came from. */
export interface CertificatePlaces {
  sha256: string;
  endpoints: readonly string[];
  files: readonly string[];
}

export function buildOwnership(
  profile: ProfileRecord | null, endpoints: readonly EndpointRow[], certificates: readonly CertificatePlaces[],
): OwnershipIndex {
  if (!profile) return { ownersConfigured: false, endpoints: new Map(), certificates: new Map() };
  const networks = profile.networks.map((n, rank) => ({ rank, ownership: ownershipOf(n), specs: n.targets.map(parseTarget), ports: n.ports }));
  const byEndpoint = new Map<string, { rank: number; ownership: Ownership }>();
  for (const e of endpoints) {
    const ip = parseIp(e.address);
    const network = networks.find((n) => (n.ports === null || n.ports.includes(e.port)) && n.specs.some((s) => contains(s, ip, e)));
    if (network) byEndpoint.set(e.id, network);
  }
  // File sources rank after the networks, in profile order.
  const fileSources = profile.files.map((f, i) => ({ rank: networks.length + i, ownership: ownershipOf(f), path: f.path }));
  const byCertificate = new Map<string, Ownership>();
  for (const c of certificates) {
    const holders = [
      ...c.endpoints.flatMap((id) => byEndpoint.get(id) ?? []),
      ...fileSources.filter((s) => c.files.some((file) => file === s.path || file.startsWith(s.path.endsWith(sep) ? s.path : s.path + sep))),
    ].sort((a, b) => a.rank - b.rank).map((h) => h.ownership);
    if (holders.length > 0) byCertificate.set(c.sha256, merged(holders));
  }
  return {
    ownersConfigured: [...profile.networks, ...profile.files].some((n) => n.owner !== null),
    endpoints: new Map([...byEndpoint].map(([id, n]) => [id, n.ownership])),
    certificates: byCertificate,
  };
}

function ownershipOf(source: Ownership): Ownership {
  return { owner: source.owner, site: source.site, tags: source.tags };
}

function contains(spec: TargetSpec, ip: IpValue | null, e: EndpointRow): boolean {
  if (spec.port !== null && spec.port !== e.port) return false;
  if (spec.kind === "host") return e.sni === spec.hostname;
  return ip !== null && blockContains(spec.block, ip);
}

function merged(holders: readonly Ownership[]): Ownership {
  return {
    owner: holders.find((h) => h.owner !== null)?.owner ?? null,
    site: holders.find((h) => h.site !== null)?.site ?? null,
    tags: [...new Set(holders.flatMap((h) => h.tags))].sort(),
  };
}
