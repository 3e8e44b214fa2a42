// The AD CS collector: reads CN=Public Key Services of a forest over LDAP (templates, enterprise
// CAs, the root store, NTAuth, AIA, CDP, OIDs, and every object's security descriptor), records
// each CA certificate as an "ldap" sighting so it joins the CA inventory, and stores the decoded
// configuration as one directory snapshot. A DC that cannot be reached or refuses the bind is
// a recorded error, not an exception; the password is used for the bind and nowhere else.
import type { Client } from "ldapts";
import { ADCS_SNAPSHOT_VERSION, type AdcsError, type AdcsSnapshot, snapshotObjects } from "../../src/model/adcs.js";
import type { Collector, CollectorContext, CollectorTally } from "../collector.js";
import {
  type AdcsCollectorOptions,
  INVALID_SOURCE,
  LdapStepError,
  closeQuietly,
  openSession,
  parseLdapUrl,
  redact,
  step,
  stepError,
} from "./ldap-session.js";
import { LdapEntry } from "./ldap-entry.js";
import { pagedSearch } from "./paged-search.js";
import { BINARY_ATTRIBUTES, type FoundCertificate, PKI_ATTRIBUTES, addEntry } from "./pki-objects.js";
import { domainSid, resolvePrincipals, sidsIn } from "./resolve-principals.js";
import { SdFlagsControl } from "./sd-flags-control.js";

export { type AdcsCollectorOptions, describeLdapSource, parseLdapUrl } from "./ldap-session.js";

const DEFAULT_MAX_ENTRIES = 20_000;

/** Collects each source in turn (until interrupted) and sums their tallies. */
export async function collectAdcsSources(sources: readonly AdcsCollectorOptions[], ctx: CollectorContext): Promise<CollectorTally> {
  const total: CollectorTally = {};
  for (const source of sources) {
    if (ctx.signal.aborted) break;
    for (const [key, n] of Object.entries(await adcsCollector.collect(source, ctx))) total[key] = (total[key] ?? 0) + n;
  }
  return total;
}

export const adcsCollector: Collector<AdcsCollectorOptions> = {
  meta: { name: "adcs", description: "AD CS over LDAP: enterprise CAs, certificate templates, NTAuth, ACLs" },
  async collect(options, ctx) {
    const observedAt = new Date().toISOString();
    const snapshot = emptySnapshot(INVALID_SOURCE);
    let certificates: FoundCertificate[] = [];
    let client: Client | null = null;
    try {
      const endpoint = parseLdapUrl(options.url);
      snapshot.source = endpoint.url;
      client = await openSession(endpoint, options, ctx.exclusions);
      certificates = await readPublicKeyServices(client, snapshot, options, ctx.signal);
    } catch (err) {
      snapshot.errors.push(stepError(err));
    } finally {
      if (client) await closeQuietly(client);
    }
    snapshot.errors = snapshot.errors.map((e) => ({ context: e.context, message: redact(e.message, [options.password]) }));

    for (const { der, location } of certificates) {
      await ctx.recorder.addSighting({ der, source: "ldap", location, position: null, observedAt });
    }
    await ctx.recorder.addSnapshot({ kind: "adcs", source: snapshot.source, observedAt, snapshot });
    report(snapshot, certificates.length, ctx);
    return tally(snapshot, certificates.length);
  },
};

function emptySnapshot(source: string): AdcsSnapshot {
  return {
    version: ADCS_SNAPSHOT_VERSION, source, configurationNamingContext: null, defaultNamingContext: null, domainSid: null,
    templates: [], enrollmentServices: [], certificationAuthorities: [], ntAuth: null, aia: [], cdp: [], oids: [],
    otherObjects: [], principals: {}, errors: [], truncated: false,
  };
}

/** Fills the snapshot from an open session; returns the CA certificates found. Throws LdapStepError when a whole step fails. */
async function readPublicKeyServices(
  client: Client,
  snapshot: AdcsSnapshot,
  options: AdcsCollectorOptions,
  signal: AbortSignal,
): Promise<FoundCertificate[]> {
  const rootDse = await step(
    "rootDSE",
    client.search("", { scope: "base", attributes: ["configurationNamingContext", "defaultNamingContext"] }),
  );
  const root = rootDse.searchEntries[0] ? new LdapEntry(rootDse.searchEntries[0]) : null;
  snapshot.configurationNamingContext = root?.string("configurationNamingContext") ?? null;
  snapshot.defaultNamingContext = root?.string("defaultNamingContext") ?? null;
  if (!snapshot.configurationNamingContext) {
    throw new LdapStepError("rootDSE", "the rootDSE names no configuration naming context: not an Active Directory DC?");
  }

  const base = `CN=Public Key Services,CN=Services,${snapshot.configurationNamingContext}`;
  const { entries, truncated } = await pagedSearch(
    client, "search", base,
    { attributes: PKI_ATTRIBUTES, explicitBufferAttributes: BINARY_ATTRIBUTES },
    [new SdFlagsControl()],
    { maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES, signal },
  );
  snapshot.truncated = truncated;
  if (truncated) snapshot.errors.push({ context: "search", message: `stopped after ${entries.length} entries (limit or interrupt)` });
  const certificates = entries.flatMap((raw) => addEntry(new LdapEntry(raw), base, snapshot));
  const unreadable = snapshotObjects(snapshot).filter((o) => o.securityError !== null).length;
  if (unreadable > 0) {
    snapshot.errors.push({
      context: "nTSecurityDescriptor",
      message: `${unreadable} objects without a readable descriptor (see each object's securityError): ACL-based checks cannot assess them`,
    });
  }

  if (snapshot.defaultNamingContext) snapshot.domainSid = await recordFailure(snapshot.errors, domainSid(client, snapshot.defaultNamingContext));
  snapshot.principals = await resolvePrincipals(client, snapshot.defaultNamingContext, sidsIn(snapshot), signal, snapshot.errors);
  return certificates;
}

/** A step whose failure leaves the rest of the snapshot useful: record it and carry on with null. */
async function recordFailure<T>(errors: AdcsError[], work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (err) {
    errors.push(stepError(err));
    return null;
  }
}

/** Errors logged one per line up to this many; all of them are in the snapshot. */
const MAX_LOGGED_ERRORS = 10;

function report(snapshot: AdcsSnapshot, certificateCount: number, ctx: CollectorContext): void {
  for (const e of snapshot.errors.slice(0, MAX_LOGGED_ERRORS)) ctx.log.warn(`adcs ${snapshot.source}: ${e.context}: ${e.message}`);
  if (snapshot.errors.length > MAX_LOGGED_ERRORS) ctx.log.warn(`adcs ${snapshot.source}: ${snapshot.errors.length - MAX_LOGGED_ERRORS} more errors in the snapshot`);
  const read = snapshot.configurationNamingContext !== null;
  ctx.log.info(
    `adcs ${snapshot.source}: ${read ? "" : "not read; "}${snapshot.templates.length} templates, ` +
      `${snapshot.enrollmentServices.length} enterprise CAs, ${certificateCount} CA certificates, ${snapshot.errors.length} errors`,
  );
  ctx.onProgress(read ? "ldap" : "ldap-failed");
}

function tally(snapshot: AdcsSnapshot, certificateCount: number): CollectorTally {
  return {
    sources: 1,
    failed: snapshot.configurationNamingContext === null ? 1 : 0,
    templates: snapshot.templates.length,
    enterpriseCas: snapshot.enrollmentServices.length,
    caCertificates: certificateCount,
    crls: snapshot.cdp.reduce((n, entry) => n + entry.crls.length, 0),
    errors: snapshot.errors.length,
  };
}
