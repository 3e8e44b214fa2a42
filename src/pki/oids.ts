// Object identifiers the inventory names. Unknown OIDs are kept as dotted strings, never dropped.

// Signature and hash algorithms are in signatures.ts, beside their verification.

export const PUBLIC_KEY_ALGORITHMS: Readonly<Record<string, "RSA" | "EC" | "DSA" | "Ed25519" | "Ed448">> = {
  "1.2.840.113549.1.1.1": "RSA",
  "1.2.840.113549.1.1.10": "RSA",
  "1.2.840.10045.2.1": "EC",
  "1.2.840.10040.4.1": "DSA",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
};

/** OpenSSL curve names (as node:crypto reports them) → the names PKI people use, with field size. */
export const NAMED_CURVES: Readonly<Record<string, { name: string; bits: number }>> = {
  prime192v1: { name: "P-192", bits: 192 },
  secp224r1: { name: "P-224", bits: 224 },
  prime256v1: { name: "P-256", bits: 256 },
  secp384r1: { name: "P-384", bits: 384 },
  secp521r1: { name: "P-521", bits: 521 },
  secp256k1: { name: "secp256k1", bits: 256 },
  brainpoolP256r1: { name: "brainpoolP256r1", bits: 256 },
  brainpoolP384r1: { name: "brainpoolP384r1", bits: 384 },
  brainpoolP512r1: { name: "brainpoolP512r1", bits: 512 },
};

export const EXTENDED_KEY_USAGES: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
  "1.3.6.1.4.1.311.20.2.2": "smartcardLogon",
  "1.3.6.1.5.2.3.4": "pkinitClientAuth",
  "1.3.6.1.4.1.311.20.2.1": "certificateRequestAgent",
};

export const KEY_USAGE_NAMES: readonly string[] = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];
