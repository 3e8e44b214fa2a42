// Facts about revocation sources, so revocation rules read facts, not observations' internals.
import { groupBy } from "../collections.js";
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
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
