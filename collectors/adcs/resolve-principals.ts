// Names for the SIDs found in descriptors: well-known SIDs from the table, the rest by
// searching objectSid in the domain (batched OR filters, paged), with the well-known domain
// RIDs as a fallback for what the search does not find (another domain's groups, say).
import { type Client, EqualityFilter, OrFilter } from "ldapts";
import { type AdcsError, type AdcsSnapshot, type Principal, snapshotObjects } from "../../src/model/adcs.js";
import { isWellKnownSid, wellKnownName } from "../../src/pki/well-known-sids.js";
import { sidToBytes, sidToString } from "../../src/pki/security-descriptor.js";
import { LdapEntry } from "./ldap-entry.js";
import { step, stepError } from "./ldap-session.js";
import { pagedSearch } from "./paged-search.js";

/** SIDs per search: enough to keep round trips few, small enough for any server's filter limits. */
const SIDS_PER_SEARCH = 50;

/** Every SID an owner, group or ACE of the snapshot names. */
export function sidsIn(snapshot: AdcsSnapshot): Set<string> {
  const sids = new Set<string>();
  for (const { security } of snapshotObjects(snapshot)) {
    if (!security) continue;
    if (security.owner) sids.add(security.owner);
    if (security.group) sids.add(security.group);
    for (const ace of security.dacl ?? []) sids.add(ace.sid);
  }
  return sids;
}

export async function domainSid(client: Client, defaultNamingContext: string): Promise<string | null> {
  const { searchEntries } = await step(
    "domain-sid",
    client.search(defaultNamingContext, { scope: "base", attributes: ["objectSid"], explicitBufferAttributes: ["objectSid"] }),
  );
  return parsedSid(searchEntries[0] ? new LdapEntry(searchEntries[0]).buffer("objectSid") : undefined);
}

/** Never throws: a failed search is recorded and its SIDs fall back to the table or stay unresolved. */
export async function resolvePrincipals(
  client: Client,
  defaultNamingContext: string | null,
  sids: ReadonlySet<string>,
  signal: AbortSignal,
  errors: AdcsError[],
): Promise<Record<string, Principal>> {
  const principals: Record<string, Principal> = {};
  const toSearch: string[] = [];
  for (const sid of sids) {
    if (isWellKnownSid(sid)) principals[sid] = { name: wellKnownName(sid)!, resolution: "well-known" };
    else toSearch.push(sid);
  }
  if (defaultNamingContext) {
    for (let i = 0; i < toSearch.length; i += SIDS_PER_SEARCH) {
      try {
        Object.assign(principals, await searchSids(client, defaultNamingContext, toSearch.slice(i, i + SIDS_PER_SEARCH), signal));
      } catch (err) {
        errors.push(stepError(err));
      }
    }
  }
  for (const sid of toSearch) {
    if (principals[sid]) continue;
    const fallback = wellKnownName(sid);
    principals[sid] = fallback ? { name: fallback, resolution: "well-known" } : { name: sid, resolution: "unresolved" };
  }
  return principals;
}

async function searchSids(client: Client, base: string, sids: readonly string[], signal: AbortSignal): Promise<Record<string, Principal>> {
  const filter = new OrFilter({ filters: sids.map((sid) => new EqualityFilter({ attribute: "objectSid", value: sidToBytes(sid) })) });
  const { entries } = await pagedSearch(
    client, "sid-resolution", base,
    { filter, attributes: ["objectSid", "sAMAccountName", "cn"], explicitBufferAttributes: ["objectSid"] },
    [], { maxEntries: sids.length, signal },
  );
  const found: Record<string, Principal> = {};
  for (const raw of entries) {
    const entry = new LdapEntry(raw);
    const sid = parsedSid(entry.buffer("objectSid"));
    const name = entry.string("sAMAccountName") ?? entry.string("cn");
    if (sid && name) found[sid] = { name, resolution: "directory" };
  }
  return found;
}

/** A malformed objectSid names nobody; the SID stays unresolved rather than failing the rest. */
function parsedSid(raw: Buffer | undefined): string | null {
  if (!raw) return null;
  try {
    return sidToString(raw);
  } catch {
    return null;
  }
}
