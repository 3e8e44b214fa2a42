// What the file collector records besides certificates: the private keys it found (facts about
// them, never the key material: not its bytes, encrypted or not, nor a hash of them; the
// public key's SPKI hash is what matches a key to its certificates), and the files that are
// keystores or could not be read whole, so a scan that could not read something says so.
import type { KeyAlgorithm } from "./types.js";

/** How a private key is kept in its file. */
export type PrivateKeyFormat =
  /** PEM or DER PrivateKeyInfo (RFC 5208), unencrypted. */
  | "pkcs8"
  /** PEM or DER EncryptedPrivateKeyInfo. */
  | "encrypted-pkcs8"
  /** "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC 1), "DSA PRIVATE KEY", unencrypted. */
  | "traditional"
  /** A traditional PEM key with OpenSSL's Proc-Type: 4,ENCRYPTED header. */
  | "encrypted-traditional"
  /** A PKCS#12 keyBag (unencrypted PrivateKeyInfo) or pkcs8ShroudedKeyBag. */
  | "pkcs12"
  /** A JKS private-key entry (Sun's password-based key protection). */
  | "jks";

/**
 * Who can read the key: `plaintext` anyone who can read the file; `empty-password` and
 * `default-password` (Java's "changeit") anyone who knows the well-known password it was
 * protected with; `given-password` whoever knows the password given to the scan; `locked` it is
 * encrypted and none of those opened it.
 */
export type KeyAccess = "plaintext" | "empty-password" | "default-password" | "given-password" | "locked";

/** The accesses that need no secret: the key is exposed to whoever reads the file. */
export const EXPOSED_ACCESS: readonly KeyAccess[] = ["plaintext", "empty-password", "default-password"];

export interface PrivateKeyRecord {
  /** The file's path as the scan reached it. */
  file: string;
  /** Where in the file: "block 3" (PEM), the keystore alias, or null for a file that is the key. */
  entry: string | null;
  /** The container: a PEM text, a DER file, a PKCS#12 file or a Java keystore. */
  container: "pem" | "der" | "pkcs12" | "jks";
  format: PrivateKeyFormat;
  /** Encrypted in the file (whether or not the scan could open it). */
  encrypted: boolean;
  access: KeyAccess;
  /** From the key itself when it could be read, else from the certificate its container pairs it with; "unknown" when neither. */
  keyAlgorithm: KeyAlgorithm;
  keySize: number | null;
  curve: string | null;
  /** SHA-256 of the public key's SubjectPublicKeyInfo (the certificates' spkiSha256); null when the key could not be read. */
  spkiSha256: string | null;
  /** Certificates the container pairs the key with (PKCS#12 localKeyId, the chain of a JKS entry), by sha256. */
  pairedCertificates: string[];
  observedAt: string;
  /** Why the key could not be read or described, when it could not. */
  error: string | null;
}

/** What kind of file a record describes. */
export type ScannedFileFormat = "pem" | "der" | "pkcs12" | "jks" | "jceks" | null;

/**
 * A file the scan recorded on its own: every keystore (opened or not), and every path it could
 * not read whole (unreadable, a broken link, an oversized PEM block, an undecryptable keystore).
 */
export interface FileRecord {
  path: string;
  format: ScannedFileFormat;
  /** A keystore's integrity check (PKCS#12 MAC, JKS keyed digest): null for other files. */
  integrity: "verified" | "failed" | "not-verified" | null;
  /** How a keystore was opened (the access of keys inside it), null for other files or when it was not. */
  opened: Exclude<KeyAccess, "locked"> | null;
  certificates: number;
  privateKeys: number;
  observedAt: string;
  /** What could not be read, naming the part of the file; null when all of it was. */
  error: string | null;
}
