// Facts about revocation sources, so revocation rules read facts, not observations' internals.
import { groupBy } from "../collections.js";
import type { CrlObservation, CrlRevocation, OcspObservation } from "../model/revocation.js";
import { REASON_FLAGS } from "../pki/crl.js";
import type { InventoryView } from "./inventory.js";

/** Endpoints serving any of these certificates: who is affected by a URL's failure. */
export function endpointsServing(inventory: InventoryView, certificates: readonly string[]): string[] {
  return [...new Set(certificates.flatMap((id) => inventory.bySha.get(id)?.endpoints ?? []))];
}

/** Certificates whose OCSP URL list includes this one (for OCSP findings grouped per URL). */
export function ocspByUrl(inventory: InventoryView): Map<string, OcspObservation[]> {
  return groupBy(inventory.ocsp, (o) => (o.source === "responder" && o.url ? o.url : null));
}

/** CRLs that were read (fetched and parsed). */
export function readCrls(inventory: InventoryView): (CrlObservation & { crl: NonNullable<CrlObservation["crl"]> })[] {
  return inventory.crls.filter((c): c is CrlObservation & { crl: NonNullable<CrlObservation["crl"]> } => c.crl !== null);
}

export function hoursUntil(iso: string, now: Date): number {
  return (Date.parse(iso) - now.getTime()) / 3_600_000;
}

/** OCSP checks that happened (a request sent, or a staple read): skipped ones examined nothing. */
export function answered(inventory: InventoryView): OcspObservation[] {
  return inventory.ocsp.filter((o) => o.skipped === null);
}

/** Responder URLs at least one request was sent to. */
export function queriedResponders(inventory: InventoryView): number {
  return [...ocspByUrl(inventory).values()].filter((checks) => checks.some((o) => o.skipped === null)).length;
}

/** What the run's CRLs say about one certificate, at one time. */
export interface RevocationVerdict {
  /** revoked: a usable CRL lists it; good: fresh usable CRLs decide it for every reason and none lists it; unknown: neither. */
  status: "revoked" | "good" | "unknown";
  revocations: (CrlRevocation & { url: string })[];
  /** URLs of the fresh CRLs that decided it. */
  crls: string[];
}

const ALL_REASON_COUNT = REASON_FLAGS.length;

interface CrlIndex {
  /** Per certificate, the CRLs deciding it (null reasons: all of them). */
  deciding: Map<string, { crl: CrlObservation; reasons: readonly string[] | null }[]>;
  /** Per certificate, the CRL entries revoking it. */
  revoked: Map<string, { crl: CrlObservation; entry: CrlRevocation }[]>;
}

const indexes = new WeakMap<readonly CrlObservation[], CrlIndex>();

/** The run's CRLs indexed by certificate once per list, so judging every certificate stays linear. */
function indexOf(crls: readonly CrlObservation[]): CrlIndex {
  let index = indexes.get(crls);
  if (!index) {
    const deciding: CrlIndex["deciding"] = new Map();
    const revoked: CrlIndex["revoked"] = new Map();
    const push = <T>(map: Map<string, T[]>, id: string, value: T): void => {
      const list = map.get(id);
      if (list) list.push(value);
      else map.set(id, [value]);
    };
    for (const crl of crls) {
      for (const id of crl.covers ?? []) push(deciding, id, { crl, reasons: null });
      for (const partial of crl.coversReasons ?? []) push(deciding, partial.certificate, { crl, reasons: partial.reasons });
      for (const entry of crl.revoked) push(revoked, entry.certificate, { crl, entry });
    }
    index = { deciding, revoked };
    indexes.set(crls, index);
  }
  return index;
}

const fresh = (crl: CrlObservation, at: Date): boolean =>
  crl.crl !== null && Date.parse(crl.crl.thisUpdate) <= at.getTime() && (crl.crl.nextUpdate === null || Date.parse(crl.crl.nextUpdate) >= at.getTime());

/**
 * A certificate's revocation status from the run's CRLs, as a relying party checking CRLs would
 * judge it at `at` (the view's time by default; RFC 5280 6.3.3): revoked when a usable CRL lists
 * it (a hold counts, unless a fresh delta CRL takes it off), good when fresh complete CRLs (and
 * the fresh delta CRLs over them) cover every reason, unknown otherwise (no CRL, a stale one, a
 * CRL with a bad signature or out of scope). What path validation reads for every certificate of a path.
 */
export function revocationStatus(inventory: Pick<InventoryView, "crls" | "now">, sha256: string, at: Date = inventory.now): RevocationVerdict {
  const index = indexOf(inventory.crls);
  const deciding = index.deciding.get(sha256) ?? [];
  const released = new Set(deciding.filter((d) => d.crl.deltaOf && fresh(d.crl, at) && d.crl.released?.includes(sha256)).map((d) => d.crl.deltaOf!));
  const revocations = (index.revoked.get(sha256) ?? [])
    .filter(({ crl, entry }) => !(entry.reason === "certificateHold" && released.has(crl.url)))
    .map(({ crl, entry }) => ({ ...entry, url: crl.url }));
  if (revocations.length > 0) return { status: "revoked", revocations, crls: [...new Set(revocations.map((r) => r.url))] };
  const complete = deciding.filter((d) => !d.crl.crl?.deltaCrlIndicator && fresh(d.crl, at));
  const usedUrls = new Set(complete.map((d) => d.crl.url));
  // A delta over a complete CRL that is used must be fresh too: a stale one leaves changes unknown.
  const deltas = deciding.filter((d) => d.crl.deltaOf && usedUrls.has(d.crl.deltaOf));
  const reasons = new Set(complete.flatMap((d) => d.reasons ?? REASON_FLAGS));
  const good = reasons.size === ALL_REASON_COUNT && deltas.every((d) => fresh(d.crl, at));
  return { status: good ? "good" : "unknown", revocations: [], crls: good ? [...usedUrls, ...deltas.map((d) => d.crl.url)] : [] };
}
