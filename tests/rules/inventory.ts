// Small inventories for rule tests. A case names a few real certificates (built with the fixture
// builder), where each was seen (served by an endpoint, imported from a file, fetched over AIA,
// read from LDAP) and which roots are sanctioned; viewOf() parses them, builds their paths with
// the run's own analysis (analyseRun), and returns the InventoryView the rules read, as a scan
// would. Revocation rules read judged CRL and OCSP observations, the analysis' output: cases give
// them directly (crlObservation, ocspObservation), so each field a rule reads is set on purpose.
import type { KeyObject } from "node:crypto";
import { buildCertificate, type CertificateSpec } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { generateFermatKeyPair, generateRocaKeyPair } from "../../fixtures/lib/weak-rsa-keys.js";
import { DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { analyseRun } from "../../src/inventory/analyse.js";
import { type InventoryView, buildInventoryView } from "../../src/inventory/inventory.js";
import type { TrustAnchorSet } from "../../src/inventory/trust-anchors.js";
import type { AdcsSnapshot } from "../../src/model/adcs.js";
import type { CrlFacts, CrlObservation, OcspObservation } from "../../src/model/revocation.js";
import type { SightingSource } from "../../src/model/types.js";
import { parseCertificate, sha256Hex } from "../../src/pki/certificate.js";
import type { EndpointRow, RunObservations, SightingRow } from "../../src/store/store.js";
import type { PrivateKeyRecord } from "../../src/model/keys.js";
import { storedCertificate } from "../../src/observations/recorder.js";

/** The clock of every case: whole seconds, as certificate times are. */
export const NOW = new Date("2026-06-01T00:00:00Z");
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const daysFromNow = (days: number): Date => new Date(NOW.getTime() + days * DAY_MS);
export const hoursFromNow = (hours: number): Date => new Date(NOW.getTime() + hours * HOUR_MS);

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/**
 * Keys for a test file, made on first use and kept: one of each slow kind per file. `ec()` gives
 * a fresh P-256 key on every call (they cost about a millisecond), so unrelated certificates of
 * a case never share a key by accident.
 */
export interface Keys {
  ec(curve?: string): KeyPair;
  readonly rsa2048: KeyPair;
  readonly rsa1024: KeyPair;
  readonly rsa512: KeyPair;
  readonly dsa1024: KeyPair;
  readonly roca2048: KeyPair;
  readonly fermat2048: KeyPair;
}

export function testKeys(): Keys {
  const made = new Map<string, KeyPair>();
  const once = (name: string, make: () => KeyPair): KeyPair => {
    const known = made.get(name);
    if (known) return known;
    const key = make();
    made.set(name, key);
    return key;
  };
  return {
    ec: (curve = "P-256") => generateKeyPair({ kind: "ec", curve }),
    get rsa2048() { return once("rsa2048", () => generateKeyPair({ kind: "rsa", bits: 2048 })); },
    get rsa1024() { return once("rsa1024", () => generateKeyPair({ kind: "rsa", bits: 1024 })); },
    get rsa512() { return once("rsa512", () => generateKeyPair({ kind: "rsa", bits: 512 })); },
    get dsa1024() { return once("dsa1024", () => generateKeyPair({ kind: "dsa", bits: 1024 })); },
    get roca2048() { return once("roca2048", () => generateRocaKeyPair(2048)); },
    get fermat2048() { return once("fermat2048", () => generateFermatKeyPair(2048)); },
  };
}

/** A certificate of a case: its DER, its id, and the key that signs what it issues. */
export interface TestCertificate {
  /** The subject CN, which is also what findings on it are reported by (see nameOf). */
  name: string;
  der: Buffer;
  sha256: string;
  key: KeyPair;
}

export type CertificateOptions = Partial<Omit<CertificateSpec, "publicKey" | "issuer" | "selfSignKey">>;

/** Basic constraints and key usage of a CA, valid ten years. */
export function caProfile(options: CertificateOptions = {}): CertificateOptions {
  return { isCA: true, keyUsage: ["keyCertSign", "cRLSign"], notBefore: daysFromNow(-365), notAfter: daysFromNow(3285), ...options };
}

export const CDP_URL = "http://pki.test/issuing.crl";
export const OCSP_URL = "http://ocsp.pki.test";

/** A well-formed TLS server certificate for `dnsName`: SAN, serverAuth, CDP and OCSP URL, 90 days. */
export function serverProfile(dnsName: string, options: CertificateOptions = {}): CertificateOptions {
  return {
    isCA: false, dnsNames: [dnsName], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"],
    crlDistributionPoints: [CDP_URL], ocspUrls: [OCSP_URL], ...options,
  };
}

function certificate(name: string, key: KeyPair, signer: Pick<CertificateSpec, "issuer" | "selfSignKey">, options: CertificateOptions): TestCertificate {
  const built = buildCertificate({
    subject: [["CN", name]], publicKey: key.publicKey, notBefore: daysFromNow(-10), notAfter: daysFromNow(80), ...signer, ...options,
  });
  return { name, der: built.der, sha256: sha256Hex(built.der), key };
}

/** Self-signed with its own key (subject = issuer = CN=name). */
export function selfSigned(name: string, key: KeyPair, options: CertificateOptions = {}): TestCertificate {
  return certificate(name, key, { selfSignKey: key.privateKey }, options);
}

/** Issued by `issuer`, signed with the issuer's key. */
export function issued(name: string, key: KeyPair, issuer: TestCertificate, options: CertificateOptions = {}): TestCertificate {
  return certificate(name, key, { issuer: { certificateDer: issuer.der, privateKey: issuer.key.privateKey } }, options);
}

export interface Sighting {
  source: SightingSource;
  location: string;
  /** Position in a served chain (0 = leaf); null elsewhere. */
  position: number | null;
}

/** One certificate and where it was seen; entries for the same certificate add up. */
export interface CertificateEntry {
  certificate: TestCertificate;
  sources: Sighting[];
}

/** The chain an endpoint ("address:port", "address:port#sni") served, leaf first. */
export function served(endpoint: string, ...chain: TestCertificate[]): CertificateEntry[] {
  return chain.map((certificate, position) => ({ certificate, sources: [{ source: "tls", location: endpoint, position }] }));
}

/** Certificates imported from a file (or a trust store) at `path`. */
export function inFile(path: string, ...certificates: TestCertificate[]): CertificateEntry[] {
  return certificates.map((certificate) => ({ certificate, sources: [{ source: "file", location: path, position: null }] }));
}

/** Certificates fetched over AIA caIssuers during collection: known, not in use. */
export function viaAia(url: string, ...certificates: TestCertificate[]): CertificateEntry[] {
  return certificates.map((certificate) => ({ certificate, sources: [{ source: "aia", location: url, position: null }] }));
}

/** Certificates read from a directory object (an AD CS store) at `dn`. */
export function inLdap(dn: string, ...certificates: TestCertificate[]): CertificateEntry[] {
  return certificates.map((certificate) => ({ certificate, sources: [{ source: "ldap", location: dn, position: null }] }));
}

export interface ViewSpec {
  certificates?: CertificateEntry[];
  /** The run's sanctioned trust anchors (an explicit bundle). Absent: none, nothing is trusted. */
  anchors?: TestCertificate[];
  crls?: CrlObservation[];
  ocsp?: OcspObservation[];
  /** AD CS configuration snapshots, one per LDAP source. */
  adcs?: AdcsSnapshot[];
  now?: Date;
  /** Overrides of DEFAULT_THRESHOLDS. */
  thresholds?: Record<string, number>;
  /** What the TLS collector recorded beyond the chain, by endpoint id (negotiated version, protocol posture). */
  endpoints?: Record<string, Partial<Pick<EndpointRow, "tlsVersion" | "protocols">>>;
  /** Private keys the file collector recorded. */
  privateKeys?: PrivateKeyRecord[];
}

/** Stored as the recorder stores it, parsed strictly: a fixture that does not parse fails the test. */
const parsedCertificate = (der: Buffer) => storedCertificate(der, undefined, parseCertificate(der));

/** Endpoints as the TLS collector stores them, from the served sightings: chain ordered by position. */
function endpointsOf(sightings: readonly SightingRow[], observedAt: string, recorded: ViewSpec["endpoints"] = {}): EndpointRow[] {
  const chains = new Map<string, { position: number; sha256: string }[]>();
  for (const s of sightings) {
    if (s.source !== "tls") continue;
    chains.set(s.location, [...(chains.get(s.location) ?? []), { position: s.position ?? 0, sha256: s.sha256 }]);
  }
  return [...chains.entries()].map(([id, links]) => {
    // "address:port", or "address:port#name" for an endpoint probed with a name (sent as SNI).
    const [hostPort, sni = null] = id.split("#") as [string, string?];
    const colon = hostPort.lastIndexOf(":");
    return {
      id, address: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)), sni, status: "tls", error: null, tlsVersion: "TLSv1.3",
      cipher: "TLS_AES_128_GCM_SHA256", chain: links.sort((a, b) => a.position - b.position).map((l) => l.sha256),
      stapledOcsp: null, observedAt, durationMs: 5, ...recorded[id],
    };
  });
}

/** The view the rules would read after a scan that observed `spec` and analysed it. */
export async function viewOf(spec: ViewSpec): Promise<InventoryView> {
  const now = spec.now ?? NOW;
  const observedAt = now.toISOString();
  const entries = spec.certificates ?? [];
  const certificates = [...new Map(entries.map((e) => [e.certificate.sha256, parsedCertificate(e.certificate.der)])).values()];
  const sightings: SightingRow[] = entries.flatMap((e) =>
    e.sources.map((s) => ({ sha256: e.certificate.sha256, source: s.source, location: s.location, position: s.position, observedAt, error: null })),
  );
  const observations: RunObservations = {
    run: { id: "rule-test", startedAt: observedAt, finishedAt: observedAt, complete: true, targets: [], ports: [], options: {}, stats: {} },
    endpoints: endpointsOf(sightings, observedAt, spec.endpoints),
    sightings,
    certificates,
    snapshots: (spec.adcs ?? []).map((snapshot) => ({ kind: "adcs", source: snapshot.source, observedAt, snapshot })),
    fetches: [],
    crlBodies: new Map(),
    privateKeys: spec.privateKeys ?? [],
  };
  const trust: TrustAnchorSet = {
    source: "rule-test-anchors.pem",
    explicit: true,
    anchors: (spec.anchors ?? []).map((a) => ({ sha256: a.sha256, der: a.der, subjectNameHash: parsedCertificate(a.der).subjectNameHash! })),
  };
  const analysis = await analyseRun(observations, trust, { checkStaples: false, now });
  return buildInventoryView(
    {
      ...observations,
      // Anchors the run did not observe join it, as the scan adds them.
      certificates: [...certificates, ...analysis.anchorCertificates],
      sightings: [...sightings, ...analysis.anchorSightings],
      paths: analysis.paths,
      anchors: analysis.anchors,
      crls: spec.crls ?? [],
      ocsp: spec.ocsp ?? [],
    },
    { ...DEFAULT_THRESHOLDS, ...spec.thresholds },
    now,
  );
}

/** The CN of a certificate of the view (its TestCertificate name), its first DNS name when its subject has none, or its id when unknown. */
export function nameOf(view: InventoryView, sha256: string): string {
  const record = view.bySha.get(sha256)?.record;
  return record?.subject.match(/CN=([^,+]+)/)?.[1] ?? record?.sans.find((san) => san.startsWith("DNS:"))?.slice(4) ?? sha256;
}

export type CrlOverrides = Partial<Omit<CrlObservation, "crl">> & { crl?: Partial<CrlFacts> | null };

/**
 * A judged CRL, by default fetched from `url` in 40 ms, read, signed by its issuer, valid from a
 * day ago for another six days, revoking nothing. `crl: null` for one that could not be read.
 */
export function crlObservation(url: string, overrides: CrlOverrides = {}): CrlObservation {
  const { crl, ...rest } = overrides;
  const facts: CrlFacts = {
    sha256: "c".repeat(64), size: 512, issuer: "CN=Issuing CA", issuerNameHash: "d".repeat(64),
    thisUpdate: daysFromNow(-1).toISOString(), nextUpdate: daysFromNow(6).toISOString(), crlNumber: "1", deltaCrlIndicator: null,
    entryCount: 0, signatureAlgorithm: "ecdsa-with-SHA256", unhandledCriticalExtensions: [], ...crl,
  };
  return {
    url, source: "cdp", fetchedAt: NOW.toISOString(), latencyMs: 40, httpStatus: 200, error: null, skipped: null,
    crl: crl === null ? null : facts, signature: { status: "valid", issuer: null }, certificates: [], revoked: [], ...rest,
  };
}

/** A judged OCSP answer for `certificate`: by default "good" from OCSP_URL, signed by the CA, in 30 ms. */
export function ocspObservation(certificate: TestCertificate, overrides: Partial<OcspObservation> = {}): OcspObservation {
  return {
    certificate: certificate.sha256, issuer: null, fetchedAt: NOW.toISOString(), latencyMs: 30, httpStatus: 200, error: null, skipped: null,
    url: OCSP_URL, source: "responder", endpoint: null, responseStatus: "successful", certStatus: "good", revocationTime: null,
    revocationReason: null, thisUpdate: hoursFromNow(-1).toISOString(), nextUpdate: daysFromNow(1).toISOString(), signer: "issuer",
    signatureValid: true, problems: [], ...overrides,
  };
}
