// What the revocation collectors observed: one record per CRL URL fetched (or CRL file read),
// one per OCSP check (a responder query or a stapled response). Stored as JSON per run.

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
   * Critical extensions pkiscope does not interpret (issuingDistributionPoint of a partitioned
   * CRL, certificateIssuer of an indirect one). RFC 5280 §6.3.3: such a CRL, or such an entry,
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

export interface CrlObservation {
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
  /** Signature check against the CA that issued the certificates naming this URL. */
  signature: { status: "valid" | "invalid" | "issuer-unknown"; issuer: string | null };
  /** Inventory certificates whose CRL distribution points name this URL. */
  certificates: string[];
  /** Those certificates this CRL lists as revoked. */
  revoked: CrlRevocation[];
}

export type OcspCertStatus = "good" | "revoked" | "unknown";

export interface OcspObservation {
  /** Responder URL; null for a response stapled in a TLS handshake. */
  url: string | null;
  source: "responder" | "staple";
  /** The endpoint that stapled it (staples only). */
  endpoint: string | null;
  certificate: string;
  issuer: string | null;
  fetchedAt: string;
  latencyMs: number;
  httpStatus: number | null;
  /** Why there is no usable answer at the transport level (refused, timeout, HTTP error). */
  error: string | null;
  /** Why no request was sent (no issuer certificate to build it, --no-fetch, fetch policy). */
  skipped: string | null;
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
