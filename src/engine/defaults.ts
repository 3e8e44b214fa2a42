// Defaults of the scan plan, in a module with no heavy imports so the CLI can show them in
// --help without loading the scanner. The thresholds the rules read come from rules/thresholds.ts,
// data the rules import too, so --help and input errors do not load the rules or the parser.
import { startTlsDefaultPorts, startTlsProtocols } from "../../collectors/tls/starttls/index.js";

export { IMPLICIT_TLS } from "../../collectors/tls/starttls/index.js";
export { DEFAULT_PER_HOST } from "../../collectors/collector.js";
import { RULE_THRESHOLDS } from "../../rules/thresholds.js";
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

/**
 * Ports probed where a target names none: those that speak TLS from the first byte (HTTPS and
 * its alternate, LDAPS, IMAPS, POP3S, SMTPS, and RDP's TLS), then every port a STARTTLS protocol
 * speaks by default, which the TLS collector probes with that protocol.
 */
export const DEFAULT_PORTS: readonly number[] = [...new Set([443, 8443, 636, 993, 995, 465, 3389, ...startTlsDefaultPorts()])];

/** The STARTTLS protocols a target scheme or --starttls may name. */
export const STARTTLS_PROTOCOL_NAMES: readonly string[] = startTlsProtocols().map((p) => p.name);

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
export const THRESHOLDS: readonly ThresholdSpec[] = RULE_THRESHOLDS;

export const DEFAULT_THRESHOLDS: Readonly<Record<string, number>> = Object.fromEntries(THRESHOLDS.map((t) => [t.key, t.default]));
