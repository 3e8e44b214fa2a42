// The collector registry. Source collectors read the scan's own targets in the first pass (TLS
// endpoints, files, directories); follow-up collectors (aia, crl, ocsp) take targets the engine
// derives from what the first pass found. Adding a source collector is one entry here.
import type { TargetSpec } from "../src/targets/targets.js";
import { countProbes } from "../src/targets/targets.js";
import type { AdcsCollectorOptions } from "./adcs/ldap-source.js";
import type { CollectorContext, CollectorMeta, CollectorTally } from "./collector.js";
import { fileCollector } from "./files/index.js";
import { tlsCollector } from "./tls/index.js";

export { aiaCollector } from "./aia/index.js";
export { crlCollector } from "./crl/index.js";
export { ocspCollector } from "./ocsp/index.js";
export { type AdcsCollectorOptions, describeLdapSource, parseLdapUrl } from "./adcs/ldap-source.js";

/** What a scan was asked to read, as the source collectors take it. */
export interface ScanSources {
  specs: readonly TargetSpec[];
  ports: readonly number[];
  files: readonly string[];
  /** The password of keystores and encrypted keys under `files`, when one was given. */
  keystorePassword?: string | null;
  /** Domain controllers to read AD CS from, with the bind secret. */
  ldap: readonly AdcsCollectorOptions[];
  /** Probe each TLS endpoint's protocol posture (--protocols). */
  protocols?: boolean;
  /** STARTTLS by port (--starttls PORT=PROTO): the protocol, or null for TLS at once. */
  starttls?: Readonly<Record<number, string | null>>;
}

export interface SourceCollector {
  meta: CollectorMeta;
  /** Units of work for the progress bar (probes, paths, directories); 0 when the scan gives it nothing. */
  units(sources: ScanSources): bigint;
  collect(sources: ScanSources, ctx: CollectorContext): Promise<CollectorTally>;
}

export const SOURCE_COLLECTORS: readonly SourceCollector[] = [
  {
    meta: tlsCollector.meta,
    units: (s) => (s.specs.length > 0 ? countProbes(s.specs, s.ports) : 0n),
    collect: (s, ctx) => tlsCollector.collect({ specs: s.specs, ports: s.ports, protocols: s.protocols ?? false, starttls: s.starttls ?? {} }, ctx),
  },
  {
    meta: fileCollector.meta,
    units: (s) => BigInt(s.files.length),
    collect: (s, ctx) => fileCollector.collect({ paths: s.files, keystorePassword: s.keystorePassword ?? null }, ctx),
  },
  {
    meta: { name: "adcs", description: "AD CS configuration over LDAP: enterprise CAs, templates, NTAuth, ACLs, published CRLs" },
    units: (s) => BigInt(s.ldap.length),
    // Loaded only by scans that read a directory: its LDAP modules are start-up the rest would pay.
    collect: async (s, ctx) => (await import("./adcs/index.js")).collectAdcsSources(s.ldap, ctx),
  },
];
