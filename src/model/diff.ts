// What changed between two runs (`pkiscope diff`): objects by their stable ids (certificates by
// sha256, endpoints by address:port[#sni], findings by their id), each with when the store first
// and last saw it across complete runs.
import type { MaturityCategory } from "./maturity.js";
import type { Severity } from "./types.js";

/** When an object was first and last seen across the store's complete runs; null when no complete run saw it. */
export interface SeenSpan {
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface DiffRun {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  targets: string[];
  /** The profile the run was scanned with (options.profile), null without one. */
  profile: string | null;
}

export interface DiffCertificate extends SeenSpan {
  sha256: string;
  /** null when the certificate could not be parsed. */
  subject: string | null;
  issuer: string | null;
  notAfter: string | null;
  /** Endpoints that served it (as leaf or in the chain) in the run it was seen in. */
  endpoints: string[];
}

/** A CA: a subject and key, whichever certificates carry them (a CA certificate re-issued over the same key is the same CA). */
export interface DiffCa extends SeenSpan {
  subject: string;
  spkiSha256: string;
  certificates: string[];
}

export interface DiffEndpoint extends SeenSpan {
  id: string;
  /** sha256 of the leaf it served in the run it was seen in. */
  leaf: string;
}

/** Same endpoint, a leaf it had not served before (src/maturity/history.ts decides what a renewal is). */
export interface DiffRenewal {
  endpoint: string;
  previous: string;
  current: string;
  subject: string | null;
  previousNotAfter: string;
  /** When the new leaf was seen in the later run. */
  observedAt: string;
  /** Days before the old leaf's expiry the new one was seen; negative: after it expired. */
  leadDays: number;
}

/** A leaf that expired between the runs while an endpoint kept serving it. */
export interface DiffExpiredInService {
  endpoint: string;
  certificate: string;
  subject: string | null;
  notAfter: string;
  observedAt: string;
}

export interface DiffFinding {
  id: string;
  ruleId: string;
  severity: Severity;
  message: string;
  certificate: string | null;
  endpoints: string[];
}

export interface DiffMaturityChange {
  category: MaturityCategory | "overall";
  /** null: not assessed (or the run was scored before maturity existed). */
  from: number | null;
  to: number | null;
}

export interface Changes<T> {
  appeared: T[];
  vanished: T[];
}

export interface RunDiff {
  from: DiffRun;
  to: DiffRun;
  /** End-entity certificates (CA certificates are under `cas`); trust-store roots the paths ended at are not counted. */
  certificates: Changes<DiffCertificate>;
  cas: Changes<DiffCa>;
  /** Endpoints that served a certificate. */
  endpoints: Changes<DiffEndpoint>;
  renewals: DiffRenewal[];
  expiredInService: DiffExpiredInService[];
  findings: { opened: DiffFinding[]; resolved: DiffFinding[] };
  /** Every category and the overall level, changed or not. */
  maturity: DiffMaturityChange[];
}
