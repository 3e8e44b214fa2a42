// Defaults of the scan plan, in a module with no heavy imports so the CLI can show them in
// --help without loading the scanner.
import type { InventorySettings } from "../inventory/inventory.js";
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

export const DEFAULT_SETTINGS: InventorySettings = { expiryDays: 30, crlExpiryHours: 24, slowMs: 2000 };
