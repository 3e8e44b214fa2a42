// The thresholds the rules read, as plain data: the CLI shows them in --help and takes each as a
// scan option without loading the rules (and the certificate parser they import). Each rule
// names its own in meta.thresholds; tests/rules/registry.test.ts checks the two agree.
import type { ThresholdSpec } from "../src/model/rules.js";

export const EXPIRY_DAYS: ThresholdSpec = {
  key: "expiryDays", default: 30, option: "--expiry-days",
  description: "expiring-soon renewal lead time in days (for a certificate valid less than three times this: the last third of its lifetime)",
};

export const CRL_EXPIRY_HOURS: ThresholdSpec = { key: "crlExpiryHours", default: 24, option: "--crl-expiry-hours", description: "crl-expiring threshold: nextUpdate this close, in hours" };

/** Shared by crl-slow and ocsp-slow: one --slow-ms for both kinds of revocation source. */
export const SLOW_MS: ThresholdSpec = { key: "slowMs", default: 2000, option: "--slow-ms", description: "crl-slow / ocsp-slow threshold in milliseconds" };

/** Every threshold, in the order of the rules that declare them (RULES). */
export const RULE_THRESHOLDS: readonly ThresholdSpec[] = [EXPIRY_DAYS, CRL_EXPIRY_HOURS, SLOW_MS];
