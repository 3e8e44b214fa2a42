// Behaviour table of exposed-private-key: keys as the file collector records them (facts about a
// real key of the case's certificates, described by the same code the collector uses), matched by
// public key or by keystore pairing.
import { exposedPrivateKey } from "../../rules/exposed-private-key.js";
import type { KeyAccess, PrivateKeyRecord } from "../../src/model/keys.js";
import { describePrivateKey } from "../../src/pki/private-key.js";
import { NOT_APPLICABLE, SILENT, casesOf, examined } from "./cases.js";
import { type Keys, type TestCertificate, caProfile, inFile, issued, selfSigned, served, serverProfile } from "./inventory.js";

const WWW = "192.0.2.10:443";

/** The record of `owner`'s private key found in `file`, readable as `access` says. */
function keyOf(owner: TestCertificate, file: string, access: KeyAccess, fields: Partial<PrivateKeyRecord> = {}): PrivateKeyRecord {
  return {
    file, entry: null, container: "pem", format: access === "plaintext" ? "pkcs8" : "encrypted-pkcs8", encrypted: access !== "plaintext",
    access, ...describePrivateKey(owner.key.privateKey), pairedCertificates: [], observedAt: "2026-06-01T00:00:00.000Z", error: null, ...fields,
  };
}

function pki(k: Keys) {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const leaf = issued("leaf", k.ec(), root, serverProfile("leaf.test"));
  return { root, leaf, certificates: [...inFile("/srv/pki/root.pem", root), ...served(WWW, leaf, root)] };
}

export const KEY_CASES = casesOf(exposedPrivateKey, [
  ["unencrypted root CA key beside its certificate", (k) => {
    const p = pki(k);
    return { certificates: p.certificates, anchors: [p.root], privateKeys: [keyOf(p.root, "/mnt/usb/root.key", "plaintext")] };
  }, { "Root CA": "critical" }, examined(1)],
  ["unencrypted key of a served leaf", (k) => {
    const p = pki(k);
    return { certificates: p.certificates, anchors: [p.root], privateKeys: [keyOf(p.leaf, "/etc/nginx/leaf.key", "plaintext", { format: "traditional" })] };
  }, { leaf: "high" }, examined(1)],
  ["PKCS#12 under the empty password, its key unread but paired with a CA certificate", (k) => {
    const p = pki(k);
    const key = keyOf(p.root, "/srv/backup/ca.p12", "empty-password", { container: "pkcs12", format: "pkcs12", spkiSha256: null, pairedCertificates: [p.root.sha256] });
    return { certificates: p.certificates, anchors: [p.root], privateKeys: [key] };
  }, { "Root CA": "critical" }, examined(1)],
  ["JKS under Java's default password", (k) => {
    const p = pki(k);
    return { certificates: p.certificates, privateKeys: [keyOf(p.leaf, "/opt/app/keystore.jks", "default-password", { container: "jks", format: "jks", entry: "server" })] };
  }, { leaf: "high" }, examined(1)],
  ["unencrypted key no certificate of the run has", (k) => {
    const stray = selfSigned("stray", k.ec(), serverProfile("stray.test"));
    return { certificates: pki(k).certificates, privateKeys: [keyOf(stray, "/home/ops/old.key", "plaintext")] };
  }, { "/home/ops/old.key": "high" }, examined(1)],
  ["root CA key encrypted, opened with the given password", (k) => {
    const p = pki(k);
    return { certificates: p.certificates, privateKeys: [keyOf(p.root, "/srv/pki/root.key", "given-password")] };
  }, SILENT, examined(1)],
  ["root CA key encrypted and not opened", (k) => {
    const p = pki(k);
    const key = keyOf(p.root, "/srv/pki/root.p12", "locked", { container: "pkcs12", format: "pkcs12", spkiSha256: null, pairedCertificates: [p.root.sha256] });
    return { certificates: p.certificates, privateKeys: [key] };
  }, SILENT, examined(1)],
  ["no private key in the scanned paths", (k) => ({ certificates: pki(k).certificates }), SILENT, NOT_APPLICABLE],
]);
