// CRLs that AD CS publishes in the directory, found by the URL certificates name them with:
// "ldap:///CN=<CA>,CN=<host>,CN=CDP,CN=Public%20Key%20Services,...?certificateRevocationList?base?objectClass=cRLDistributionPoint".
// Such URLs usually have no host (clients ask their own DC), so they cannot be fetched as they
// stand; the LDAP collector has already read the CRL, and this is how the revocation stage finds it.
import { parseLdapUrl } from "../../net/fetcher.js";
import type { PublishedCrl } from "../../model/adcs.js";
import { isAdcsSnapshot } from "./facts.js";

type Published = PublishedCrl & { dn: string };

/** The CRLs each directory snapshot of a run holds (kind "adcs"), as `findPublishedCrl` reads them. */
export function publishedCrls(snapshots: readonly { kind: string; snapshot: unknown }[]): { crls: Published[] }[] {
  return snapshots.flatMap((row) =>
    row.kind === "adcs" && isAdcsSnapshot(row.snapshot)
      ? [{ crls: row.snapshot.cdp.flatMap((entry) => entry.crls.map((crl) => ({ ...crl, dn: entry.dn }))) }]
      : [],
  );
}

/** The CRL the directory holds at the DN and attribute `url` names, from any forest read. */
export function findPublishedCrl(inventories: readonly { crls: readonly Published[] }[], url: string): Published | null {
  const wanted = parseLdapUrl(url);
  if ("error" in wanted) return null;
  const dn = normalizeDn(wanted.dn);
  for (const adcs of inventories) {
    const found = adcs.crls.find((crl) => normalizeDn(crl.dn) === dn && crl.attribute.toLowerCase() === wanted.attribute.toLowerCase());
    if (found) return found;
  }
  return null;
}

/** DNs compare case-insensitively, and AD CS writes them with or without spaces after commas. */
function normalizeDn(dn: string): string {
  return dn.toLowerCase().replace(/,\s+/g, ",");
}
