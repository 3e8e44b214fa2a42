// Behaviour tables of the rules that read paths and the inventory as a whole: untrusted-issuer,
// invalid-chain, incomplete-chain, key-reuse. Paths are the analysis' own (analyseRun over the case's
// certificates and sanctioned anchors), never written by hand.
import { incompleteChain } from "../../rules/incomplete-chain.js";
import { invalidChain } from "../../rules/invalid-chain.js";
import { keyReuse } from "../../rules/key-reuse.js";
import { untrustedIssuer } from "../../rules/untrusted-issuer.js";
import { NOT_APPLICABLE, type RuleCase, SILENT, casesOf, examined } from "./cases.js";
import {
  type CertificateEntry, type CertificateOptions, type Keys, type TestCertificate, type ViewSpec,
  caProfile, daysFromNow, inFile, issued, selfSigned, served, serverProfile, viaAia,
} from "./inventory.js";

const WWW = "192.0.2.10:443";
const API = "192.0.2.11:443";

/** A sanctioned root, an issuing CA under it (published over AIA), and a leaf maker for that CA. */
function sanctionedPki(k: Keys) {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const issuing = issued("Issuing CA", k.ec(), root, caProfile({ pathLength: 0 }));
  const leaf = (name: string, issuer: TestCertificate = issuing) => issued(name, k.ec(), issuer, serverProfile(`${name}.test`));
  return { root, issuing, leaf, aia: viaAia("http://pki.test/issuing.cer", issuing) };
}

type Pki = ReturnType<typeof sanctionedPki>;

/** A view of the sanctioned PKI (its root the one anchor) holding what `seen` says was observed. */
const inPki = (seen: (pki: Pki) => CertificateEntry[]) => (k: Keys): ViewSpec => {
  const pki = sanctionedPki(k);
  return { certificates: seen(pki), anchors: [pki.root] };
};
/** Scenarios both path rules look at, each from its side. */
const LEAF_WITH_ISSUING_CA = inPki((p) => served(WWW, p.leaf("leaf"), p.issuing));
const LEAF_WITH_ISSUING_CA_OVER_AIA = inPki((p) => [...served(WWW, p.leaf("leaf")), ...p.aia]);

/** A root nobody sanctioned, and a leaf it issued. */
function shadowPki(k: Keys) {
  const shadow = selfSigned("Shadow Root", k.ec(), caProfile());
  return { shadow, leaf: issued("leaf", k.ec(), shadow, serverProfile("leaf.test")) };
}

const untrustedIssuerCases = casesOf(untrustedIssuer, [
  ["leaf of a shadow root, served with it", (k) => {
    const { shadow, leaf } = shadowPki(k);
    return { certificates: served(WWW, leaf, shadow), anchors: [sanctionedPki(k).root] };
  }, { leaf: "high" }, examined(1)],
  ["leaf of the sanctioned PKI, served with its issuing CA", LEAF_WITH_ISSUING_CA, SILENT, examined(1)],
  ["leaf of the sanctioned PKI whose issuing CA came over AIA", LEAF_WITH_ISSUING_CA_OVER_AIA, SILENT, examined(1)],
  ["leaf whose issuer was never seen", inPki((p) => served(WWW, p.leaf("leaf"))), { leaf: "high" }, examined(1)],
  ["leaf in a run with no sanctioned anchor at all", (k) => {
    const pki = sanctionedPki(k);
    return { certificates: served(WWW, pki.leaf("leaf"), pki.issuing, pki.root) };
  }, { leaf: "high" }, examined(1)],
  ["self-signed leaf imported from a file", (k) => ({
    certificates: inFile("/etc/ssl/self.pem", selfSigned("self.test", k.ec(), serverProfile("self.test"))),
  }), { "self.test": "high" }, examined(1)],
  ["served self-signed leaf: self-signed-leaf's case", (k) => ({
    certificates: served(WWW, selfSigned("self.test", k.ec(), serverProfile("self.test"))),
  }), SILENT, NOT_APPLICABLE],
  ["shadow root imported from a file: CAs are not examined", (k) => ({ certificates: inFile("/etc/ssl/shadow.pem", shadowPki(k).shadow) }), SILENT, NOT_APPLICABLE],
]);

/** A sanctioned root, an issuing CA with `issuing` options, and its served leaf (with `leaf` options). */
const throughIssuing = (issuing: CertificateOptions, leaf: CertificateOptions = {}) => (k: Keys): ViewSpec => {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const ca = issued("Issuing CA", k.ec(), root, caProfile(issuing));
  return { certificates: served(WWW, issued("leaf", k.ec(), ca, serverProfile("leaf.test", leaf)), ca), anchors: [root] };
};

const invalidChainCases = casesOf(invalidChain, [
  ["issuing CA whose basicConstraints say cA false", throughIssuing({ isCA: false }), { leaf: "high" }, examined(2)],
  ["issuing CA without keyCertSign", throughIssuing({ keyUsage: ["digitalSignature", "cRLSign"] }), { leaf: "high" }, examined(2)],
  ["issuing CA expired: the leaf's path fails there, the CA's own expiry is expired's", throughIssuing({ notBefore: daysFromNow(-400), notAfter: daysFromNow(-5) }), { leaf: "high" }, examined(2)],
  ["leaf with an unknown critical extension", throughIssuing({}, { extraExtensions: [{ oid: "1.3.6.1.4.1.99999.1", critical: true, valueDer: new Uint8Array([0x05, 0x00]) }] }), { leaf: "high" }, examined(2)],
  ["leaf with an unknown non-critical extension", throughIssuing({}, { extraExtensions: [{ oid: "1.3.6.1.4.1.99999.1", critical: false, valueDer: new Uint8Array([0x05, 0x00]) }] }), SILENT, examined(2)],
  ["a CA below a pathLenConstraint of 0 (its own path ends with it, so only the leaf's fails)", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const policy = issued("Policy CA", k.ec(), root, caProfile({ pathLength: 0 }));
    const issuing = issued("Issuing CA", k.ec(), policy, caProfile());
    const leaf = issued("leaf", k.ec(), issuing, serverProfile("leaf.test"));
    return { certificates: served(WWW, leaf, issuing, policy), anchors: [root] };
  }, { leaf: "high" }, examined(3)],
  ["leaf expired under a healthy CA: expired's case", throughIssuing({}, { notBefore: daysFromNow(-100), notAfter: daysFromNow(-1) }), SILENT, examined(2)],
  ["leaf of the sanctioned PKI, served with its issuing CA", LEAF_WITH_ISSUING_CA, SILENT, examined(2)],
  ["leaf of a shadow root: untrusted-issuer's case", (k) => {
    const { shadow, leaf } = shadowPki(k);
    return { certificates: served(WWW, leaf, shadow), anchors: [sanctionedPki(k).root] };
  }, SILENT, NOT_APPLICABLE],
]);

const incompleteChainCases = casesOf(incompleteChain, [
  ["leaf served without its issuing CA (AIA completes the path)", LEAF_WITH_ISSUING_CA_OVER_AIA, { leaf: "medium" }, examined(1)],
  ["leaf served with its issuing CA", LEAF_WITH_ISSUING_CA, SILENT, examined(1)],
  ["leaf served with its issuing CA and the root", inPki((p) => served(WWW, p.leaf("leaf"), p.issuing, p.root)), SILENT, examined(1)],
  ["leaf issued by the root itself, served alone: the anchor need not be served", inPki((p) => served(WWW, p.leaf("leaf", p.root))), SILENT, examined(1)],
  ["leaf served with its issuing CA but not the policy CA above it", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const policy = issued("Policy CA", k.ec(), root, caProfile());
    const issuing = issued("Issuing CA", k.ec(), policy, caProfile());
    const leaf = issued("leaf", k.ec(), issuing, serverProfile("leaf.test"));
    return { certificates: [...served(WWW, leaf, issuing), ...viaAia("http://pki.test/policy.cer", policy)], anchors: [root] };
  }, { leaf: "medium" }, examined(1)],
  ["leaf with no trusted path: untrusted-issuer's case", (k) => {
    const { shadow, leaf } = shadowPki(k);
    return { certificates: [...served(WWW, leaf), ...viaAia("http://shadow.test/root.cer", shadow)], anchors: [sanctionedPki(k).root] };
  }, SILENT, examined(1)],
  ["two endpoints, only one incomplete", inPki((p) => [...served(WWW, p.leaf("www"), p.issuing), ...served(API, p.leaf("api"))]), { api: "medium" }, examined(2)],
  ["certificates imported from files: no endpoint", inPki((p) => inFile("/etc/ssl/leaf.pem", p.leaf("leaf"))), SILENT, NOT_APPLICABLE],
]);

/** Two certificates from one CA: `second` names its subject, both carry one key. */
function sharedKey(k: Keys, second: string) {
  const pki = sanctionedPki(k);
  const key = k.ec();
  const first = issued("a", key, pki.issuing, serverProfile("a.test"));
  return { pki, key, first, second: issued(second, key, pki.issuing, serverProfile(`${second}.test`)) };
}

const keyReuseCases = casesOf(keyReuse, [
  ["one key, two subjects", (k) => {
    const { pki, first, second } = sharedKey(k, "b");
    return { certificates: [...served(WWW, first, pki.issuing), ...served(API, second, pki.issuing)], anchors: [pki.root] };
  }, { "a + b": "high" }, examined(4)],
  ["one subject re-issued with the same key", (k) => {
    const { pki, first, second } = sharedKey(k, "a");
    return { certificates: [...served(WWW, first, pki.issuing), ...inFile("/etc/ssl/a-old.pem", second)], anchors: [pki.root] };
  }, SILENT, examined(4)],
  ["one key, three certificates for two subjects", (k) => {
    const { pki, key, first, second } = sharedKey(k, "b");
    const renewed = issued("a", key, pki.issuing, serverProfile("a.test"));
    return { certificates: [...served(WWW, first), ...served(API, second), ...inFile("/etc/ssl/a.pem", renewed)], anchors: [pki.root] };
  }, { "a + a + b": "high" }, examined(4)],
  ["a key each", inPki((p) => [...served(WWW, p.leaf("a"), p.issuing), ...served(API, p.leaf("b"), p.issuing)]), SILENT, examined(4)],
  ["empty inventory", () => ({}), SILENT, NOT_APPLICABLE],
]);

export const CHAIN_CASES: readonly RuleCase[] = [...untrustedIssuerCases, ...invalidChainCases, ...incompleteChainCases, ...keyReuseCases];
