// The shapes that flow between stages: targets → collectors → observations → inventory →
// rules → findings → reports. Every object that a finding or a maturity level may cite has a
// stable id that is the same across runs (sha256 for certificates, "address:port[#sni]" for
// endpoints, a hash of rule and subject for findings), so later runs can be diffed.

export type Severity = "critical" | "high" | "medium" | "low" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/** The maturity model's six categories (shared/reference/keyfactor-pki-maturity-model.txt). */
export type Category =
  | "reliability"
  | "efficiency"
  | "security"
  | "policy-governance"
  | "agility"
  | "strategy";

/** What a TLS probe saw. `closed` covers refused and unanswered TCP connects (the error says which). */
/**
 * `no-starttls`: the server spoke the plaintext protocol but refused or did not offer its upgrade
 * to TLS (a STARTTLS probe; the error keeps the server's words).
 */
export type EndpointStatus = "tls" | "closed" | "timeout" | "not-tls" | "no-starttls" | "error";

/** The TLS protocol versions a protocol-posture probe (`--protocols`) tries, oldest first. */
export const TLS_PROTOCOL_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
export type TlsProtocolVersion = (typeof TLS_PROTOCOL_VERSIONS)[number];

/** What one extra handshake pinned to a version found: accepted, refused, or could not tell (with why). */
export type ProtocolProbeResult = { outcome: "accepted" | "refused" } | { outcome: "error"; error: string };

/** Protocol posture of one endpoint: one entry per version probed. */
export type ProtocolSupport = Partial<Record<TlsProtocolVersion, ProtocolProbeResult>>;

/** One TCP endpoint to probe; produced lazily by the target expander. */
export interface Probe {
  address: string;
  port: number;
  /** Hostname sent as SNI; null for bare addresses. */
  sni: string | null;
  /** Hostname still to resolve (set for hostname targets; address is "" until resolved). */
  hostname?: string;
  /** The address as a number (block targets), so exclusions are checked without re-parsing. */
  ip?: { family: 4 | 6; value: bigint };
  /**
   * The plaintext protocol to upgrade to TLS first (a name from the STARTTLS registry, e.g.
   * "smtp"); null for TLS from the first byte; absent: the port's default (the TLS collector decides).
   */
  starttls?: string | null;
}

export interface EndpointObservation {
  address: string;
  port: number;
  sni: string | null;
  status: EndpointStatus;
  error: string | null;
  tlsVersion: string | null;
  cipher: string | null;
  /** Raw DER certificates, in the order the server sent them. */
  chainDer: Buffer[];
  /** OCSP response stapled by the server, when it stapled one. */
  stapledOcsp: Buffer | null;
  observedAt: string;
  durationMs: number;
  /** The plaintext protocol negotiated before TLS (e.g. "smtp", "rdp"); null or absent for implicit TLS. */
  starttls?: string | null;
  /** Which TLS versions the endpoint accepts, when `--protocols` asked; null or absent otherwise. */
  protocols?: ProtocolSupport | null;
}

/** Where a certificate was seen: served over TLS, a file, an AIA fetch, a trust anchor, a directory (LDAP). */
export type SightingSource = "tls" | "file" | "aia" | "anchor" | "ldap";

/** A certificate seen somewhere: the unit collectors hand to the inventory. */
export interface CertificateSighting {
  der: Buffer;
  source: SightingSource;
  /** Endpoint id, file path, AIA URL, anchor bundle path, or LDAP DN. */
  location: string;
  /** Position in a served chain (0 = leaf), null elsewhere. */
  position: number | null;
  observedAt: string;
}

export type KeyAlgorithm = "RSA" | "EC" | "DSA" | "Ed25519" | "Ed448" | "unknown";

/** Parsed certificate fields, computed once at first sight and stored. */
export interface CertificateRecord {
  sha256: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  keyAlgorithm: KeyAlgorithm;
  /** Bits for RSA/DSA, field size for EC. */
  keySize: number | null;
  /** Named curve (e.g. "P-256"); null for non-EC or explicit parameters. */
  curve: string | null;
  /** SHA-256 of the SubjectPublicKeyInfo: equal keys have equal values. */
  spkiSha256: string;
  signatureAlgorithm: string;
  /** Hash inside the signature algorithm ("md5", "sha1", "sha256", ...), null if none/unknown. */
  signatureHash: string | null;
  sans: string[];
  hasSanExtension: boolean;
  isCA: boolean;
  pathLength: number | null;
  keyUsage: string[];
  extendedKeyUsage: string[];
  authorityKeyId: string | null;
  subjectKeyId: string | null;
  crlDistributionPoints: string[];
  ocspUrls: string[];
  caIssuersUrls: string[];
  certificatePolicies: string[];
  /** CPS URIs of the policies' qualifiers (absent in records of parser version 2 and earlier: read as none). */
  cpsUris?: string[];
  /** Subject and issuer DER are equal (the signature check is in the path result). */
  selfIssued: boolean;
  /** Weakness facts derived from the key once, so rules never touch raw bytes. */
  rsaWeakness: {
    roca: boolean;
    fermatFactored: boolean;
    fermat: { iterations: number; gapBits: number } | null;
  } | null;
  /** Non-fatal parse problems (an undecodable extension); the certificate is still inventoried. */
  parseWarnings: string[];
  /**
   * A DSA key without parameters of its own: they come from the issuer's key (RFC 3279 §2.3.2),
   * so keySize is null. Absent in records of parser version 3 and earlier.
   */
  keyParametersInherited?: boolean;
  /** How the certificate is encoded, for profile checks (absent in records of parser version 3 and earlier: unknown). */
  profile?: CertificateProfile;
}

/** Encoding facts a certificate's profile is judged by (RFC 5280, CA/Browser Forum BR §7.1). */
export interface CertificateProfile {
  /** The X.509 version as people number it: 1, 2 or 3. */
  version: number;
  /** Content octets of the serialNumber INTEGER as encoded (RFC 5280 §4.1.2.2 allows at most 20). */
  serialBytes: number;
  serialSign: "negative" | "zero" | "positive";
  /** Extensions marked critical, by name where known, else OID. */
  criticalExtensions: string[];
  /** Extensions that appear more than once, by name where known, else OID. */
  duplicateExtensions: string[];
  emptySubject: boolean;
  emptyIssuer: boolean;
}

/** Result of building a path from a certificate towards a sanctioned trust anchor. */
export interface PathResult {
  sha256: string;
  /** sha256 list from this certificate to the anchor inclusive; null when no path exists. */
  trustedPath: string[] | null;
  /** The longest verified path found when no trusted one exists (ends at its top certificate). */
  partialPath: string[];
  /** Self-signed and its own signature verifies. */
  selfSigned: boolean;
  /** Why the path stopped, when it did not reach an anchor. */
  stopReason: string | null;
  /**
   * Whether a relying party would accept the trusted path (RFC 5280 §6.1 without policy
   * processing), judged at the analysis' validation time. Absent when there is no trusted path,
   * and in runs analysed before pkiscope validated paths.
   */
  validation?: PathValidation;
}

/** The checks of RFC 5280 §6.1 pkiscope applies to a trusted path. */
export type PathCheck =
  | "not-yet-valid"
  | "expired"
  | "anchor-validity"
  | "revocation"
  | "revocation-unknown"
  | "signature-algorithm"
  | "basic-constraints"
  | "path-length"
  | "key-usage"
  | "name-constraints"
  | "critical-extension";

export interface PathValidationFailure {
  check: PathCheck;
  /** sha256 of the certificate on the path where the check failed. */
  certificate: string;
  /** Where RFC 5280 requires it, e.g. "RFC 5280 §6.1.4 (k)". */
  section: string;
  detail: string;
}

export interface PathValidation {
  valid: boolean;
  failures: PathValidationFailure[];
}

export interface FindingDraft {
  message: string;
  certificate: string | null;
  endpoints: string[];
  url: string | null;
  evidence: Record<string, unknown>;
  /** Disambiguates several findings of one rule on the same certificate/url. */
  subjectKey?: string;
}

export interface Finding extends Omit<FindingDraft, "subjectKey"> {
  id: string;
  ruleId: string;
  category: Category;
  severity: Severity;
}

export interface RunInfo {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  targets: string[];
  ports: number[];
  options: Record<string, unknown>;
  /** Probe counts by status and other tallies, written when the run ends; `failure` for a run that failed before scanning. */
  stats: Record<string, unknown>;
}

/**
 * A run's state: complete; failed (it stopped on an error, `stats.failure` says which: a run that
 * could not start holds no observations, one that broke later keeps what it saw, unanalysed);
 * interrupted (stopped early and saved partial); or incomplete (not finished: still running, or
 * killed). Only complete runs are compared and scored.
 */
export type RunState = "complete" | "failed" | "interrupted" | "incomplete";

export function runState(run: RunInfo): RunState {
  if (run.complete) return "complete";
  if (run.finishedAt === null) return "incomplete";
  return runFailure(run) === null ? "interrupted" : "failed";
}

/** Why a failed run failed; null for any other run. */
export function runFailure(run: RunInfo): string | null {
  return typeof run.stats.failure === "string" ? run.stats.failure : null;
}

export function endpointId(e: { address: string; port: number; sni: string | null }): string {
  const host = e.address.includes(":") ? `[${e.address}]` : e.address;
  return e.sni ? `${host}:${e.port}#${e.sni}` : `${host}:${e.port}`;
}
