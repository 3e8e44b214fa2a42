// Revocation, in two layers. What the collectors observed (`CrlFetch`, `OcspExchange`,
// `AiaFetch`: transport facts and the bytes received) is stored as it came. What those bytes
// mean for this run's certificates (`CrlObservation`, `OcspObservation`: which CA signed the CRL,
// what it revokes, whether an OCSP answer can be trusted) is derived once, by the analysis
// (src/inventory/revocation.ts), and stored with the run's analysis so reports of it never change.

export type CrlSource = "cdp" | "cli" | "file";

export interface CrlFacts {
  sha256: string;
  size: number;
  issuer: string;
  issuerNameHash: string;
  thisUpdate: string;
  nextUpdate: string | null;
  crlNumber: string | null;
  deltaCrlIndicator: string | null;
  entryCount: number;
  signatureAlgorithm: string;
  /**
   * Critical extensions pkiscope does not interpret (issuingDistributionPoint, deltaCRLIndicator
   * and an indirect CRL's certificateIssuer are interpreted). RFC 5280 §5.2, §5.3: such a CRL
   * must not decide revocation, so none of its entries count as revocations here.
   */
  unhandledCriticalExtensions: string[];
}

export interface CrlRevocation {
  certificate: string;
  serial: string;
  revocationDate: string;
  reason: string | null;
}

/** One CRL URL fetched or CRL file read, as the collector saw it; the DER is stored by `crl.sha256`. */
export interface CrlFetch {
  /** The distribution point URL, or the file path for a local CRL. */
  url: string;
  source: CrlSource;
  fetchedAt: string;
  latencyMs: number;
  httpStatus: number | null;
  /** Why the CRL could not be fetched or parsed; null when it was read or not tried. */
  error: string | null;
  /** Why it was not fetched at all (--no-fetch, refused by the fetch policy); null when it was tried. */
  skipped: string | null;
  crl: CrlFacts | null;
}

/** A CRL as the analysis judged it against the run's certificates (the report's shape). */
export interface CrlObservation extends CrlFetch {
  /** Signature check against the CA certificates of the run named as the CRL's issuer. */
  signature: { status: "valid" | "invalid" | "issuer-unknown"; issuer: string | null };
  /** Inventory certificates whose CRL distribution points name this URL. */
  certificates: string[];
  /** Certificates of the run this CRL lists as revoked (within its scope); empty unless it is usable. */
  revoked: CrlRevocation[];
  /**
   * Certificates of the run whose status this CRL decides for every reason: usable (its issuer's
   * key verifies it, that issuer may sign CRLs and is not itself revoked, every critical extension
   * interpreted) and in scope (issuer, issuing distribution point, the certificate's distribution
   * points, reasons). A delta CRL covers only where its complete CRL does. Absent in runs analysed
   * before pkiscope judged CRL scope (read as none).
   */
  covers?: string[];
  /** Certificates it decides for some reasons only (onlySomeReasons, a distribution point's reasons). */
  coversReasons?: { certificate: string; reasons: string[] }[];
  /** For a delta CRL: the URL of the complete CRL it applies over; null when there is none. */
  deltaOf?: string | null;
  /** For a delta CRL: certificates it takes off hold (removeFromCRL). */
  released?: string[];
  /** Why this CRL decides nothing, or less than its entries say (a signer without cRLSign, a delta without its base). */
  problems?: string[];
}

/** How an OCSP answer was obtained, for one certificate: what a fetched and a judged answer share. */
export interface OcspTransport {
  certificate: string;
  /** The issuing CA certificate the request was built for; null when none was known. */
  issuer: string | null;
  fetchedAt: string;
  latencyMs: number;
  httpStatus: number | null;
  /** Why there is no usable answer at the transport level (refused, timeout, HTTP error). */
  error: string | null;
  /** Why no request was sent (no issuer certificate to build it, --no-fetch, fetch policy). */
  skipped: string | null;
}

/** One OCSP request sent to a responder, as the collector saw it (the response kept as received). */
export interface OcspExchange extends OcspTransport {
  url: string;
  /** The response body, base64, as received. */
  response: string | null;
  /** The nonce the request carried, base64. */
  nonce: string | null;
}

/** An AIA caIssuers URL fetched during collection, and the certificates it gave. */
export interface AiaFetch {
  url: string;
  fetchedAt: string;
  /** Why no certificate came of it; null when it gave at least one. */
  error: string | null;
  certificates: string[];
}

/** What the collectors record about URLs taken from certificates, in one stored list per run. */
export type UrlFetchRecord =
  | { kind: "crl"; fetch: CrlFetch }
  | { kind: "ocsp"; fetch: OcspExchange }
  | { kind: "aia"; fetch: AiaFetch };

export type OcspCertStatus = "good" | "revoked" | "unknown";

/** An OCSP answer as the analysis judged it: a responder's reply or a staple (the report's shape). */
export interface OcspObservation extends OcspTransport {
  /** Responder URL; null for a response stapled in a TLS handshake. */
  url: string | null;
  source: "responder" | "staple";
  /** The endpoint that stapled it (staples only). */
  endpoint: string | null;
  responseStatus: string | null;
  certStatus: OcspCertStatus | null;
  revocationTime: string | null;
  revocationReason: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  signer: string | null;
  signatureValid: boolean | null;
  /** Reasons the response cannot be trusted (bad signature, unauthorised signer, stale, malformed). */
  problems: string[];
}
