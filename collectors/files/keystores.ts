// Keystores in scanned files: PKCS#12 / PFX (node-forge: it decrypts the PBES2 stores OpenSSL 3
// and Java write and the legacy RC2 and 3DES ones Windows and older Java write, which Node's
// OpenSSL no longer loads by default) and Java's JKS (jks-js, which checks the store's keyed
// SHA-1 digest when given the password). What comes back is certificate DER and facts about
// each key; decrypted key material lives only inside these functions.

// Passwords tried: see passwords.ts.
import { createPrivateKey } from "node:crypto";
import forge from "node-forge";
import * as jks from "jks-js";
import type { KeyAccess, PrivateKeyFormat, PrivateKeyRecord } from "../../src/model/keys.js";
import { messageOf, sha256Hex } from "../../src/pki/certificate.js";
import { MAX_KDF_ITERATIONS, describePrivateKey, describePublicKeyOf } from "../../src/pki/private-key.js";
import { openWithCandidates } from "./passwords.js";

/** What a keystore held: certificates as DER, and its keys described. */
export interface KeystoreContents {
  format: "pkcs12" | "jks";
  certificates: { der: Buffer; entry: string | null }[];
  keys: KeyFacts[];
  integrity: "verified" | "failed" | "not-verified";
  opened: Exclude<KeyAccess, "locked"> | null;
  /** What could not be read (a key not opened, an entry not decoded); null when all was. */
  error: string | null;
}

export type KeyFacts = Omit<PrivateKeyRecord, "file" | "observedAt">;

// ---- PKCS#12 ----

const OIDS = { keyBag: "1.2.840.113549.1.12.10.1.1", shroudedKeyBag: "1.2.840.113549.1.12.10.1.2", certBag: "1.2.840.113549.1.12.10.1.3" };

/** Key derivation work one keystore may cost, over all passwords tried and all its bags. */
const KDF_BUDGET = 8 * MAX_KDF_ITERATIONS;
let kdfSpent = 0;

/**
 * Caps forge's key derivations: a hostile file names its own iteration counts, and forge runs
 * them synchronously. Installed once; each keystore read resets the budget.
 */
function capKeyDerivation(): void {
  const pkcs12 = forge.pkcs12 as unknown as Record<string, unknown>;
  const pbe = (forge.pki as unknown as { pbe: Record<string, unknown> }).pbe;
  const pkcs5 = forge.pkcs5 as unknown as Record<string, unknown>;
  const guard = (owner: Record<string, unknown>, name: string, iterationsAt: number): void => {
    const original = owner[name] as (...args: unknown[]) => unknown;
    owner[name] = (...args: unknown[]) => {
      const iterations = Number(args[iterationsAt]);
      if (!(iterations <= MAX_KDF_ITERATIONS)) throw new Error(`${iterations} key derivation iterations are over the cap of ${MAX_KDF_ITERATIONS}`);
      kdfSpent += iterations;
      if (kdfSpent > KDF_BUDGET) throw new Error(`the keystore's key derivations are over the budget of ${KDF_BUDGET} iterations`);
      return original(...args);
    };
  };
  guard(pkcs12, "generateKey", 3);
  guard(pbe, "generatePkcs12Key", 3);
  guard(pkcs5, "pbkdf2", 2);
}
capKeyDerivation();

interface ForgeBag {
  type: string;
  attributes: { localKeyId?: string[]; friendlyName?: string[] };
  key?: forge.pki.rsa.PrivateKey | null;
  cert?: forge.pki.Certificate | null;
  asn1?: forge.asn1.Asn1;
}

export function readPkcs12(der: Buffer, given: string | null): KeystoreContents {
  kdfSpent = 0;
  const parse = (withoutMac: boolean) => {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString("binary")));
    if (withoutMac && Array.isArray(asn1.value)) asn1.value = asn1.value.slice(0, 2);
    return asn1;
  };
  const hasMac = (() => {
    const value = parse(false).value;
    return Array.isArray(value) && value.length > 2;
  })();
  const opened = openWithCandidates(given, (password) => forge.pkcs12.pkcs12FromAsn1(parse(false), false, password));
  let p12: forge.pkcs12.Pkcs12Pfx;
  let access: Exclude<KeyAccess, "locked">;
  let integrity: KeystoreContents["integrity"];
  if ("value" in opened) {
    p12 = opened.value;
    access = opened.access;
    integrity = hasMac ? "verified" : "not-verified";
  } else {
    // No password opens the MAC: what is stored unencrypted (-keypbe NONE -certpbe NONE) is
    // still readable by anyone, so read that much without checking integrity.
    try {
      p12 = forge.pkcs12.pkcs12FromAsn1(parse(true), false, "");
    } catch {
      throw new Error(`cannot open the PKCS#12 store: ${opened.error}${given === null ? " (no --keystore-password-env given)" : ""}`);
    }
    access = "plaintext";
    integrity = "not-verified";
  }

  const certificates: KeystoreContents["certificates"] = [];
  const certsByKeyId = new Map<string, string[]>();
  const keyBags: { bag: ForgeBag; inEncryptedSafe: boolean }[] = [];
  const problems: string[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags as ForgeBag[]) {
      const name = bag.attributes.friendlyName?.[0] ?? null;
      if (bag.type === OIDS.certBag) {
        const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
        if (!asn1) {
          problems.push(`a certificate bag${name ? ` (${name})` : ""} could not be decoded`);
          continue;
        }
        const certDer = Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
        certificates.push({ der: certDer, entry: name });
        const keyId = bag.attributes.localKeyId?.[0];
        if (keyId !== undefined) certsByKeyId.set(keyId, [...(certsByKeyId.get(keyId) ?? []), sha256Hex(certDer)]);
      } else if (bag.type === OIDS.keyBag || bag.type === OIDS.shroudedKeyBag) {
        keyBags.push({ bag, inEncryptedSafe: safe.encrypted });
      }
    }
  }
  const keys = keyBags.map(({ bag, inEncryptedSafe }): KeyFacts => {
    const encrypted = bag.type === OIDS.shroudedKeyBag || inEncryptedSafe;
    const keyId = bag.attributes.localKeyId?.[0];
    const base = {
      entry: bag.attributes.friendlyName?.[0] ?? null, container: "pkcs12" as const, format: "pkcs12" as PrivateKeyFormat, encrypted,
      access: encrypted ? access : "plaintext" as KeyAccess, pairedCertificates: keyId !== undefined ? certsByKeyId.get(keyId) ?? [] : [],
    };
    try {
      const keyAsn1 = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
      if (!keyAsn1) throw new Error("the key bag could not be decoded");
      const key = createPrivateKey({ key: Buffer.from(forge.asn1.toDer(keyAsn1).getBytes(), "binary"), format: "der", type: "pkcs8" });
      return { ...base, ...describePrivateKey(key), error: null };
    } catch (err) {
      return { ...base, ...pairedKeyFacts(base.pairedCertificates, certificates), spkiSha256: null, error: `the key could not be described: ${messageOf(err)}` };
    }
  });
  return { format: "pkcs12", certificates, keys, integrity, opened: access, error: problems.length > 0 ? problems.join("; ") : null };
}

/** Algorithm, size and curve of a key that could not be read, from the certificate its store pairs it with. */
function pairedKeyFacts(paired: readonly string[], certificates: KeystoreContents["certificates"]): Pick<KeyFacts, "keyAlgorithm" | "keySize" | "curve"> {
  const der = certificates.find((c) => sha256Hex(c.der) === paired[0])?.der;
  const described = der ? describePublicKeyOf(der) : null;
  return described ?? { keyAlgorithm: "unknown", keySize: null, curve: null };
}

// ---- JKS ----

const JKS_WRONG_PASSWORD = "Password verification failed";

export function readJks(data: Buffer, given: string | null): KeystoreContents {
  // The keyed digest verifies with the store password; without one, the entries are still read.
  const verified = openWithCandidates(given, (password) => {
    if (password === "") throw new Error("an empty password does not key a JKS digest");
    return jks.parseJks(data, password);
  });
  let entries: ReturnType<typeof jks.parseJks>;
  let integrity: KeystoreContents["integrity"];
  const problems: string[] = [];
  if ("value" in verified) {
    entries = verified.value;
    integrity = "verified";
  } else {
    entries = jks.parseJks(data, "");
    integrity = given !== null && verified.error === JKS_WRONG_PASSWORD ? "failed" : "not-verified";
    if (integrity === "failed") problems.push("the integrity digest does not match the given password (a wrong password, or the store was altered)");
  }
  const certificates: KeystoreContents["certificates"] = [];
  const keys: KeyFacts[] = [];
  let opened: KeystoreContents["opened"] = null;
  for (const entry of entries) {
    if (!("chain" in entry)) {
      certificates.push({ der: entry.cert.value, entry: entry.alias });
      continue;
    }
    const chain = entry.chain.map((c) => c.value);
    for (const der of chain) certificates.push({ der, entry: entry.alias });
    const paired = chain.slice(0, 1).map((der) => sha256Hex(der));
    const base = { entry: entry.alias, container: "jks" as const, format: "jks" as const, encrypted: true, pairedCertificates: paired };
    const recovered = openWithCandidates(given, (password) => createPrivateKey(jks.decrypt(entry.protectedPrivateKey, password)));
    if ("value" in recovered) {
      opened ??= recovered.access;
      keys.push({ ...base, access: recovered.access, ...describePrivateKey(recovered.value), error: null });
    } else {
      keys.push({
        ...base, access: "locked", ...pairedKeyFacts(paired, certificates), spkiSha256: null,
        error: `the key was not opened: ${recovered.error}`,
      });
    }
  }
  return { format: "jks", certificates, keys, integrity, opened, error: problems.length > 0 ? problems.join("; ") : null };
}
