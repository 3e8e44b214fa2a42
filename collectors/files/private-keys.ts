// Private keys in PEM blocks and DER files, described (algorithm, size or curve, public key
// hash) when they can be read: unencrypted ones always, encrypted ones when a password the
// keystores try (keystores.ts) opens them. The key object lives only inside these functions.
import { type KeyObject, createPrivateKey } from "node:crypto";
import type { PrivateKeyFormat, PrivateKeyRecord } from "../../src/model/keys.js";
import { messageOf } from "../../src/pki/certificate.js";
import { describePrivateKey, kdfCostProblem, readDerKey } from "../../src/pki/private-key.js";
import { openWithCandidates } from "./passwords.js";
import type { PemBlock } from "./pem-blocks.js";

/** A key as the collector found it, before it is placed in its file. */
export type FoundKey = Omit<PrivateKeyRecord, "file" | "entry" | "observedAt">;

const UNDESCRIBED = { keyAlgorithm: "unknown", keySize: null, curve: null, spkiSha256: null } as const;

/**
 * The largest key handed to OpenSSL. A 16384-bit RSA key in PKCS#8 is under 10 KiB; OpenSSL's
 * decoders take time in proportion to what they are given (about 10 µs a byte of nested BER,
 * tried once per encoding and password), so a 16 MiB file shaped like a key would cost minutes.
 */
export const MAX_KEY_BYTES = 64 * 1024;

/** A key too large to be one, recorded unread; null when `der` is within MAX_KEY_BYTES. */
function oversizedKey(der: Buffer, container: FoundKey["container"], format: PrivateKeyFormat, encrypted: boolean): FoundKey | null {
  if (der.length <= MAX_KEY_BYTES) return null;
  const error = `${der.length} bytes: larger than any private key (at most ${MAX_KEY_BYTES} are read)`;
  return { container, pairedCertificates: [], format, encrypted, access: encrypted ? "locked" : "plaintext", ...UNDESCRIBED, error };
}

/** A key in DER: an EncryptedPrivateKeyInfo when `encrypted`, else unencrypted (PKCS#8 or traditional). */
export function derKey(der: Buffer, encrypted: boolean, password: string | null, container: "der" | "pem" = "der"): FoundKey {
  const base = { container, pairedCertificates: [] };
  const tooLarge = oversizedKey(der, container, encrypted ? "encrypted-pkcs8" : "pkcs8", encrypted);
  if (tooLarge) return tooLarge;
  if (encrypted) {
    return { ...base, ...opened(der, password, (passphrase) => createPrivateKey({ key: der, format: "der", type: "pkcs8", passphrase })), format: "encrypted-pkcs8" };
  }
  const read = readDerKey(der);
  if ("error" in read) return { ...base, format: "pkcs8", encrypted: false, access: "plaintext", ...UNDESCRIBED, error: read.error };
  return { ...base, format: read.format, encrypted: false, access: "plaintext", ...describePrivateKey(read.key), error: null };
}

/** A key in a PEM block: PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA/EC/DSA PRIVATE KEY (with Proc-Type: 4,ENCRYPTED when encrypted). */
export function pemKey(block: PemBlock & { der: Buffer }, password: string | null): FoundKey {
  const base = { container: "pem" as const, pairedCertificates: [] };
  if (block.label === "ENCRYPTED PRIVATE KEY") return derKey(block.der, true, password, "pem");
  const traditional = block.label !== "PRIVATE KEY";
  const encrypted = traditional && /ENCRYPTED/i.test(block.headers["Proc-Type"] ?? "");
  const tooLarge = oversizedKey(block.der, "pem", encrypted ? "encrypted-traditional" : traditional ? "traditional" : "pkcs8", encrypted);
  if (tooLarge) return tooLarge;
  if (encrypted) {
    // OpenSSL's legacy PEM encryption: one MD5 round of key derivation, nothing to cap.
    const pem = pemText(block);
    return { ...base, ...opened(null, password, (passphrase) => createPrivateKey({ key: pem, passphrase })), format: "encrypted-traditional" };
  }
  const format: PrivateKeyFormat = traditional ? "traditional" : "pkcs8";
  try {
    return { ...base, format, encrypted: false, access: "plaintext", ...describePrivateKey(createPrivateKey(pemText(block))), error: null };
  } catch (err) {
    return { ...base, format, encrypted: false, access: "plaintext", ...UNDESCRIBED, error: `not a private key OpenSSL reads (${messageOf(err)})` };
  }
}

/** An encrypted key opened with the first password that works, or recorded locked with why. */
function opened(encryptedPkcs8: Buffer | null, password: string | null, open: (passphrase: string) => KeyObject): Pick<FoundKey, "encrypted" | "access" | "keyAlgorithm" | "keySize" | "curve" | "spkiSha256" | "error"> {
  const tooCostly = encryptedPkcs8 ? kdfCostProblem(encryptedPkcs8) : null;
  if (tooCostly) return { encrypted: true, access: "locked", ...UNDESCRIBED, error: `encrypted, not opened: ${tooCostly}` };
  const result = openWithCandidates(password, open);
  if ("error" in result) {
    return { encrypted: true, access: "locked", ...UNDESCRIBED, error: `encrypted, not opened${password === null ? " (no --keystore-password-env given)" : " with the given password"}` };
  }
  return { encrypted: true, access: result.access, ...describePrivateKey(result.value), error: null };
}

function pemText(block: PemBlock & { der: Buffer }): string {
  const headers = Object.entries(block.headers).map(([name, value]) => `${name}: ${value}\n`).join("");
  const body = block.der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${block.label}-----\n${headers}${headers ? "\n" : ""}${body}\n-----END ${block.label}-----\n`;
}
