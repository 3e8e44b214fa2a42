// Defaults of the scan plan, in a module with no heavy imports so the CLI can show them in
// --help without loading the scanner. Thresholds are declared by the rules that read them.
import { ruleThresholds } from "../../rules/index.js";
import type { ThresholdSpec } from "../model/rules.js";
import type { FetchPolicyOptions } from "../net/fetch-policy.js";

export interface RevocationPlan {
  /** Query CRL distribution points and OCSP responders found in certificates. */
  enabled: boolean;
  /** --crl-url: CRLs to fetch whether or not a certificate names them. */
  crlUrls: string[];
  /** --crl-file: local CRL files (PEM or DER). */
  crlFiles: string[];
}

/** Real CRLs reach tens of megabytes; nothing a certificate points at is legitimately larger. */
export const DEFAULT_FETCH: FetchPolicyOptions = {
  enabled: true,
  allow: [],
  deny: [],
  perHostConcurrency: 4,
  timeoutMs: 5000,
  maxBytes: 64 * 1024 * 1024,
};

export const DEFAULT_REVOCATION: RevocationPlan = { enabled: true, crlUrls: [], crlFiles: [] };

/** Every threshold a rule declares: key, default and the scan option that sets it. */
export const THRESHOLDS: readonly ThresholdSpec[] = ruleThresholds();

export const DEFAULT_THRESHOLDS: Readonly<Record<string, number>> = Object.fromEntries(THRESHOLDS.map((t) => [t.key, t.default]));
