// Behaviour tables of the rules that judge one certificate at a time: key, signature, validity,
// subjectAltName, self-signed leaves and certificate profiles. Each row: case, inventory, what fires (CN → severity),
// outcome (status, certificates examined). Unless a row says otherwise, the leaf "leaf" is
// issued by a sanctioned root "Root CA" that the endpoint does not serve; the root joins the
// run as an anchor, so rules that examine every certificate count it.
import { randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { RawExtension } from "../../fixtures/lib/certificate-builder.js";
import { certificateProfile } from "../../rules/certificate-profile.js";
import { expired } from "../../rules/expired.js";
import { expiringSoon } from "../../rules/expiring-soon.js";
import { longValidity } from "../../rules/long-validity.js";
import { missingSan } from "../../rules/missing-san.js";
import { selfSignedLeaf } from "../../rules/self-signed-leaf.js";
import { weakKey } from "../../rules/weak-key.js";
import { weakSignature } from "../../rules/weak-signature.js";
import { NOT_APPLICABLE, type RuleCase, SILENT, casesOf, examined } from "./cases.js";
import {
  type CertificateOptions, type KeyPair, type Keys, type ViewSpec,
  NOW, caProfile, daysFromNow, inFile, inLdap, issued, selfSigned, served, serverProfile, viaAia,
} from "./inventory.js";
import { forest } from "./adcs-cases.js";

const WWW = "192.0.2.10:443";

/** "leaf" issued by the sanctioned "Root CA", served alone by WWW. */
function servedLeaf(k: Keys, options: CertificateOptions = {}, keys: { leaf?: KeyPair; root?: KeyPair; rootOptions?: CertificateOptions } = {}): ViewSpec {
  const root = selfSigned("Root CA", keys.root ?? k.ec(), caProfile(keys.rootOptions));
  const leaf = issued("leaf", keys.leaf ?? k.ec(), root, serverProfile("leaf.test", options));
  return { certificates: served(WWW, leaf), anchors: [root] };
}

/** The same leaf, imported from a file instead of served. */
function importedLeaf(k: Keys, options: CertificateOptions = {}): ViewSpec {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  return { certificates: inFile("/etc/ssl/leaf.pem", issued("leaf", k.ec(), root, serverProfile("leaf.test", options))), anchors: [root] };
}

/** Valid `days` days in all, from ten days ago. */
const validFor = (days: number): CertificateOptions => ({ notBefore: daysFromNow(-10), notAfter: daysFromNow(days - 10) });
/** Expires `days` from now (fractions allowed), issued 60 days ago. */
const expiresIn = (days: number): CertificateOptions => ({ notBefore: daysFromNow(-60), notAfter: daysFromNow(days) });
/** Valid `lifetime` days in all, `left` of them still to come. */
const lifetimeLeft = (lifetime: number, left: number): CertificateOptions => ({ notBefore: daysFromNow(left - lifetime), notAfter: daysFromNow(left) });

const weakKeyCases = casesOf(weakKey, [
  ["RSA-1024 leaf", (k) => servedLeaf(k, {}, { leaf: k.rsa1024 }), { leaf: "high" }, examined(2)],
  ["RSA-512 leaf is critical", (k) => servedLeaf(k, {}, { leaf: k.rsa512 }), { leaf: "critical" }, examined(2)],
  ["RSA-2048 leaf", (k) => servedLeaf(k, {}, { leaf: k.rsa2048 }), SILENT, examined(2)],
  ["P-256 leaf", (k) => servedLeaf(k), SILENT, examined(2)],
  ["P-384 leaf", (k) => servedLeaf(k, {}, { leaf: k.ec("P-384") }), SILENT, examined(2)],
  ["P-224 leaf", (k) => servedLeaf(k, {}, { leaf: k.ec("P-224") }), { leaf: "high" }, examined(2)],
  ["DSA leaf", (k) => servedLeaf(k, {}, { leaf: k.dsa1024 }), { leaf: "high" }, examined(2)],
  ["ROCA-fingerprinted RSA-2048 leaf is critical", (k) => servedLeaf(k, {}, { leaf: k.roca2048 }), { leaf: "critical" }, examined(2)],
  ["Fermat-factorable RSA-2048 leaf is critical", (k) => servedLeaf(k, {}, { leaf: k.fermat2048 }), { leaf: "critical" }, examined(2)],
  ["RSA-1024 sanctioned root: anchors are examined too", (k) => servedLeaf(k, {}, { root: k.rsa1024 }), { "Root CA": "high" }, examined(2)],
  ["empty inventory", () => ({}), SILENT, NOT_APPLICABLE],
]);

const weakSignatureCases: RuleCase[] = casesOf(weakSignature, [
  ["ECDSA-SHA1 leaf", (k) => servedLeaf(k, { hash: "sha1" }), { leaf: "high" }, examined(1)],
  ["RSA-MD5 leaf is critical", (k) => servedLeaf(k, { hash: "md5" }, { root: k.rsa2048 }), { leaf: "critical" }, examined(1)],
  ["SHA-256 leaf", (k) => servedLeaf(k), SILENT, examined(1)],
  ["SHA-1 signed intermediate", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const issuing = issued("Issuing CA", k.ec(), root, caProfile({ hash: "sha1" }));
    return { certificates: served(WWW, issued("leaf", k.ec(), issuing, serverProfile("leaf.test")), issuing), anchors: [root] };
  }, { "Issuing CA": "high" }, examined(2)],
  ["SHA-1 self-signed sanctioned root, served too", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile({ hash: "sha1" }));
    return { certificates: served(WWW, issued("leaf", k.ec(), root, serverProfile("leaf.test")), root), anchors: [root] };
  }, SILENT, examined(1)],
  ["SHA-1 self-signed root that is not sanctioned", (k) => {
    const shadow = selfSigned("Shadow Root", k.ec(), caProfile({ hash: "sha1" }));
    return { certificates: served(WWW, issued("leaf", k.ec(), shadow, serverProfile("leaf.test")), shadow) };
  }, SILENT, examined(1)],
  ["MD5 self-signed root in an imported trust store", (k) => ({
    certificates: inFile("/etc/ssl/certs/legacy.pem", selfSigned("Legacy Root", k.rsa2048, caProfile({ hash: "md5" }))),
  }), SILENT, NOT_APPLICABLE],
  ["SHA-1 self-signed served leaf", (k) => ({
    certificates: served(WWW, selfSigned("self.test", k.ec(), serverProfile("self.test", { hash: "sha1" }))),
  }), SILENT, NOT_APPLICABLE],
  // Self-issued (same name) but signed by the old key, not its own: that signature is relied on.
  ["SHA-1 key-rollover certificate (new root key signed by the old one)", (k) => {
    const old = selfSigned("Root CA", k.ec(), caProfile());
    return { certificates: inFile("/etc/ssl/rollover.pem", issued("Root CA", k.ec(), old, caProfile({ hash: "sha1" }))), anchors: [old] };
  }, { "Root CA": "high" }, examined(1)],
]);

const expiredCases = casesOf(expired, [
  ["served leaf expired yesterday", (k) => servedLeaf(k, expiresIn(-1)), { leaf: "high" }, examined(1)],
  ["served leaf expired a second ago", (k) => servedLeaf(k, { notBefore: daysFromNow(-60), notAfter: new Date(NOW.getTime() - 1000) }), { leaf: "high" }, examined(1)],
  ["served leaf whose notAfter is this very second", (k) => servedLeaf(k, { notBefore: daysFromNow(-60), notAfter: NOW }), SILENT, examined(1)],
  ["served leaf valid 80 more days", (k) => servedLeaf(k), SILENT, examined(1)],
  ["imported leaf expired ten days ago", (k) => importedLeaf(k, expiresIn(-10)), { leaf: "high" }, examined(1)],
  ["expired leaf only fetched over AIA: not in use", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    return { certificates: viaAia("http://pki.test/leaf.cer", issued("leaf", k.ec(), root, serverProfile("leaf.test", expiresIn(-10)))), anchors: [root] };
  }, SILENT, NOT_APPLICABLE],
  ["expired sanctioned root: anchors are not examined", (k) => servedLeaf(k, {}, { rootOptions: { notBefore: daysFromNow(-3650), notAfter: daysFromNow(-1) } }), SILENT, examined(1)],
  // Trust stores keep expired roots (Debian's /etc/ssl/certs held five): they validate nothing and take no service down.
  ["expired self-signed root in an imported trust store", (k) => ({
    certificates: inFile("/etc/ssl/certs/Old_Root.pem", selfSigned("Old Root", k.ec(), caProfile({ notBefore: daysFromNow(-7300), notAfter: daysFromNow(-30) }))),
  }), SILENT, NOT_APPLICABLE],
  ["expired unsanctioned root sent in a served chain", (k) => {
    const shadow = selfSigned("Shadow Root", k.ec(), caProfile({ notBefore: daysFromNow(-7300), notAfter: daysFromNow(-30) }));
    return { certificates: served(WWW, issued("leaf", k.ec(), shadow, serverProfile("leaf.test")), shadow) };
  }, SILENT, examined(1)],
  ["expired self-signed CA certificate served as the leaf", (k) => ({
    certificates: served(WWW, selfSigned("appliance.test", k.ec(), caProfile({ notBefore: daysFromNow(-400), notAfter: daysFromNow(-5) }))),
  }), { "appliance.test": "high" }, examined(1)],
  ["expired self-signed CA certificate an enterprise CA issues with (read from AD)", (k) => {
    const root = selfSigned("Online Root", k.ec(), caProfile({ notBefore: daysFromNow(-4000), notAfter: daysFromNow(-2) }));
    return { certificates: inLdap("CN=Online Root,CN=Enrollment Services,CN=Public Key Services,CN=Services,CN=Configuration,DC=corp,DC=test", root), adcs: [forest({ caCertificates: [root] })] };
  }, { "Online Root": "high" }, examined(1)],
  ["expired root in NTAuth, no enterprise CA's", (k) => {
    const root = selfSigned("Old NTAuth Root", k.ec(), caProfile({ notBefore: daysFromNow(-4000), notAfter: daysFromNow(-2) }));
    return { certificates: inLdap("CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,DC=corp,DC=test", root), adcs: [forest({ ntAuth: { certificates: [root] } })] };
  }, SILENT, NOT_APPLICABLE],
  ["expired intermediate in an imported store", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    return { certificates: inFile("/etc/pki/chain.pem", issued("Old Issuing CA", k.ec(), root, caProfile({ notBefore: daysFromNow(-1000), notAfter: daysFromNow(-3) }))), anchors: [root] };
  }, { "Old Issuing CA": "high" }, examined(1)],
]);

// The window is min(expiryDays, a third of the lifetime): ACME renews 90-day certificates with 30
// days left and 45-day ones with 15, so those are on schedule until then.
const expiringSoonCases = casesOf(expiringSoon, [
  ["29 days left (threshold 30)", (k) => servedLeaf(k, expiresIn(29)), { leaf: "medium" }, examined(1)],
  ["31 days left (threshold 30)", (k) => servedLeaf(k, expiresIn(31)), SILENT, examined(1)],
  ["exactly 30 days left: the threshold is inclusive", (k) => servedLeaf(k, expiresIn(30)), { leaf: "medium" }, examined(1)],
  ["7 days left is high", (k) => servedLeaf(k, expiresIn(7)), { leaf: "high" }, examined(1)],
  ["8 days left is medium", (k) => servedLeaf(k, expiresIn(8)), { leaf: "medium" }, examined(1)],
  ["one-year certificate with 45 days left, expiryDays 60", (k) => ({ ...servedLeaf(k, lifetimeLeft(365, 45)), thresholds: { expiryDays: 60 } }), { leaf: "medium" }, examined(1)],
  ["20 days left with expiryDays 10", (k) => ({ ...servedLeaf(k, expiresIn(20)), thresholds: { expiryDays: 10 } }), SILENT, examined(1)],
  ["one-year certificate with 20 days left", (k) => servedLeaf(k, lifetimeLeft(365, 20)), { leaf: "medium" }, examined(1)],
  ["one-year certificate with 31 days left: the threshold bounds long lifetimes", (k) => servedLeaf(k, lifetimeLeft(365, 31)), SILENT, examined(1)],
  ["45-day certificate with 17 days left: renewed at a third, on schedule", (k) => servedLeaf(k, lifetimeLeft(45, 17)), SILENT, examined(1)],
  ["45-day certificate with 15 days left: a third is inclusive", (k) => servedLeaf(k, lifetimeLeft(45, 15)), { leaf: "medium" }, examined(1)],
  ["45-day certificate with 10 days left", (k) => servedLeaf(k, lifetimeLeft(45, 10)), { leaf: "medium" }, examined(1)],
  ["90-day certificate with 40 days left, expiryDays 60: a third bounds it", (k) => ({ ...servedLeaf(k, lifetimeLeft(90, 40)), thresholds: { expiryDays: 60 } }), SILENT, examined(1)],
  ["6-day certificate with 3 days left: on schedule", (k) => servedLeaf(k, lifetimeLeft(6, 3)), SILENT, examined(1)],
  ["6-day certificate with 1 day left is high", (k) => servedLeaf(k, lifetimeLeft(6, 1)), { leaf: "high" }, examined(1)],
  ["imported leaf with 10 days left", (k) => importedLeaf(k, expiresIn(10)), { leaf: "medium" }, examined(1)],
  ["already expired: expired's case", (k) => servedLeaf(k, expiresIn(-1)), SILENT, NOT_APPLICABLE],
  ["sanctioned root with 10 days left: anchors are not examined", (k) => servedLeaf(k, expiresIn(5), { rootOptions: expiresIn(10) }), { leaf: "high" }, examined(1)],
]);

const longValidityCases = casesOf(longValidity, [
  ["served leaf valid 398 days", (k) => servedLeaf(k, validFor(398)), SILENT, examined(1)],
  ["served leaf valid 399 days", (k) => servedLeaf(k, validFor(399)), { leaf: "low" }, examined(1)],
  ["served leaf without EKU valid 825 days", (k) => servedLeaf(k, { ...validFor(825), extKeyUsage: undefined }), { leaf: "low" }, examined(1)],
  ["imported serverAuth certificate valid 825 days", (k) => importedLeaf(k, validFor(825)), { leaf: "low" }, examined(1)],
  ["imported clientAuth-only certificate valid 825 days: not a TLS server certificate", (k) => importedLeaf(k, { ...validFor(825), extKeyUsage: ["clientAuth"] }), SILENT, NOT_APPLICABLE],
  ["ten-year self-signed CA:TRUE certificate served as the endpoint's leaf (an appliance)", (k) => ({
    certificates: served(WWW, selfSigned("printer.test", k.ec(), serverProfile("printer.test", { ...validFor(3650), isCA: true }))),
  }), { "printer.test": "low" }, examined(1)],
  ["imported ten-year CA:TRUE certificate with serverAuth: a CA, not a TLS server certificate", (k) => ({
    certificates: inFile("/etc/ssl/appliance.pem", selfSigned("appliance.test", k.ec(), serverProfile("appliance.test", { ...validFor(3650), isCA: true }))),
  }), SILENT, NOT_APPLICABLE],
  ["ten-year CA served in the chain: not a TLS server certificate", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const issuing = issued("Issuing CA", k.ec(), root, caProfile());
    return { certificates: served(WWW, issued("leaf", k.ec(), issuing, serverProfile("leaf.test")), issuing), anchors: [root] };
  }, SILENT, examined(1)],
]);

const missingSanCases = casesOf(missingSan, [
  ["served leaf without subjectAltName", (k) => servedLeaf(k, { dnsNames: undefined }), { leaf: "medium" }, examined(1)],
  ["served leaf with a DNS name", (k) => servedLeaf(k), SILENT, examined(1)],
  ["served leaf with only an IP address", (k) => servedLeaf(k, { dnsNames: undefined, ipAddresses: ["192.0.2.10"] }), SILENT, examined(1)],
  ["imported serverAuth certificate without subjectAltName", (k) => importedLeaf(k, { dnsNames: undefined }), { leaf: "medium" }, examined(1)],
  ["imported clientAuth certificate without subjectAltName: not a TLS server certificate", (k) => importedLeaf(k, { dnsNames: undefined, extKeyUsage: ["clientAuth"] }), SILENT, NOT_APPLICABLE],
  ["self-signed CA:TRUE certificate without subjectAltName served as the endpoint's leaf", (k) => ({
    certificates: served(WWW, selfSigned("printer.test", k.ec(), serverProfile("printer.test", { dnsNames: undefined, isCA: true }))),
  }), { "printer.test": "medium" }, examined(1)],
  ["CA without subjectAltName served in the chain", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const issuing = issued("Issuing CA", k.ec(), root, caProfile());
    return { certificates: served(WWW, issued("leaf", k.ec(), issuing, serverProfile("leaf.test")), issuing), anchors: [root] };
  }, SILENT, examined(1)],
]);

const selfSignedLeafCases: RuleCase[] = [
  ...casesOf(selfSignedLeaf, [
    ["served self-signed leaf", (k) => ({ certificates: served(WWW, selfSigned("self.test", k.ec(), serverProfile("self.test"))) }), { "self.test": "medium" }, examined(1)],
    ["served CA-issued leaf", (k) => servedLeaf(k), SILENT, examined(1)],
    ["served self-signed leaf pinned as a sanctioned anchor", (k) => {
      const pinned = selfSigned("self.test", k.ec(), serverProfile("self.test"));
      return { certificates: served(WWW, pinned), anchors: [pinned] };
    }, SILENT, examined(1)],
    ["self-signed leaf only in a file: not served", (k) => ({ certificates: inFile("/etc/ssl/self.pem", selfSigned("self.test", k.ec(), serverProfile("self.test"))) }), SILENT, NOT_APPLICABLE],
    // Same subject and issuer name, but another key signed it: self-issued, not self-signed.
    ["served self-issued leaf signed by a CA of the same name", (k) => {
      const ca = selfSigned("appliance.test", k.ec(), caProfile());
      return { certificates: served(WWW, issued("appliance.test", k.ec(), ca, serverProfile("appliance.test"))) };
    }, SILENT, examined(1)],
  ]),
  {
    rule: selfSignedLeaf,
    // `openssl req -x509` marks its certificates CA:TRUE by default: served at position 0 it is still the server's own.
    name: "served self-signed certificate with CA:TRUE as the endpoint's leaf",
    view: (k) => ({ certificates: served(WWW, selfSigned("appliance.test", k.ec(), serverProfile("appliance.test", { isCA: true }))) }),
    fires: { "appliance.test": "medium" },
    outcome: examined(1),
  },
];

// Extensions the builder writes only one way, written by hand to break the profile.
const authorityKeyIdentifier = (critical: boolean): RawExtension => ({
  oid: "2.5.29.35", critical,
  valueDer: new Uint8Array(new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: randomBytes(20) }) }).toSchema().toBER()),
});
const subjectKeyIdentifier = (critical: boolean): RawExtension => ({
  oid: "2.5.29.14", critical, valueDer: new Uint8Array(new asn1js.OctetString({ valueHex: randomBytes(20) }).toBER()),
});
const dnsSubjectAltName = (name: string, critical: boolean): RawExtension => ({
  oid: "2.5.29.17", critical,
  valueDer: new Uint8Array(new pkijs.AltName({ altNames: [new pkijs.GeneralName({ type: 2, value: name })] }).toSchema().toBER()),
});

/** "leaf" served by WWW with the intermediate "Issuing CA" it was issued by, under the sanctioned "Root CA". */
function servedIntermediate(k: Keys, options: CertificateOptions): ViewSpec {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const issuing = issued("Issuing CA", k.ec(), root, caProfile(options));
  return { certificates: served(WWW, issued("leaf", k.ec(), issuing, serverProfile("leaf.test")), issuing), anchors: [root] };
}

/** A version 1 certificate: no extensions at all. */
const version1: CertificateOptions = { version: 1, subjectKeyIdentifier: false, authorityKeyIdentifier: false };

const certificateProfileCases = casesOf(certificateProfile, [
  ["healthy served leaf", (k) => servedLeaf(k), SILENT, examined(1)],
  ["healthy intermediate with serverAuth and clientAuth, served with its leaf", (k) => servedIntermediate(k, { extKeyUsage: ["serverAuth", "clientAuth"] }), SILENT, examined(2)],
  ["serial number zero", (k) => servedLeaf(k, { serialNumber: 0n }), { leaf: "low" }, examined(1)],
  ["negative serial number", (k) => servedLeaf(k, { serialNumber: -1n }), { leaf: "low" }, examined(1)],
  ["serial number of 21 octets", (k) => servedLeaf(k, { serialNumber: 2n ** 160n }), { leaf: "low" }, examined(1)],
  // 2^159 sets the top bit of 20 octets: positive, it takes a 21st.
  ["serial number 2^159: 21 octets with its sign byte", (k) => servedLeaf(k, { serialNumber: 2n ** 159n }), { leaf: "low" }, examined(1)],
  ["serial number of 20 octets", (k) => servedLeaf(k, { serialNumber: 2n ** 159n - 1n }), SILENT, examined(1)],
  ["leaf without an authority key identifier", (k) => servedLeaf(k, { authorityKeyIdentifier: false }), { leaf: "low" }, examined(1)],
  ["self-signed certificate without an authority key identifier, served as the endpoint's leaf", (k) => ({
    certificates: served(WWW, selfSigned("self.test", k.ec(), serverProfile("self.test"))),
  }), SILENT, examined(1)],
  ["critical authority key identifier", (k) => servedLeaf(k, { authorityKeyIdentifier: false, extraExtensions: [authorityKeyIdentifier(true)] }), { leaf: "low" }, examined(1)],
  ["intermediate without a subject key identifier", (k) => servedIntermediate(k, { subjectKeyIdentifier: false }), { "Issuing CA": "low" }, examined(2)],
  ["leaf without a subject key identifier: the BRs advise against one", (k) => servedLeaf(k, { subjectKeyIdentifier: false }), SILENT, examined(1)],
  ["critical subject key identifier", (k) => servedIntermediate(k, { subjectKeyIdentifier: false, extraExtensions: [subjectKeyIdentifier(true)] }), { "Issuing CA": "low" }, examined(2)],
  ["empty issuer name", (k) => {
    const nameless = selfSigned("nameless root", k.ec(), caProfile({ subject: [] }));
    return { certificates: served(WWW, issued("leaf", k.ec(), nameless, serverProfile("leaf.test"))), anchors: [nameless] };
  }, { leaf: "low" }, examined(1)],
  ["empty subject with a non-critical subjectAltName", (k) => servedLeaf(k, { subject: [], dnsNames: undefined, extraExtensions: [dnsSubjectAltName("blank.test", false)] }), { "blank.test": "low" }, examined(1)],
  ["empty subject with a critical subjectAltName", (k) => servedLeaf(k, { subject: [], dnsNames: ["blank.test"] }), SILENT, examined(1)],
  ["subject key identifier twice", (k) => servedLeaf(k, { extraExtensions: [subjectKeyIdentifier(false)] }), { leaf: "low" }, examined(1)],
  ["version 1 intermediate that issued the leaf", (k) => servedIntermediate(k, { ...version1, isCA: undefined, keyUsage: undefined }), { "Issuing CA": "low" }, examined(2)],
  ["version 1 leaf: only a version 1 CA is a defect", (k) => servedLeaf(k, { ...version1, dnsNames: undefined, extKeyUsage: undefined, keyUsage: undefined, isCA: undefined, crlDistributionPoints: undefined, ocspUrls: undefined }), SILENT, examined(1)],
  ["leaf with keyCertSign", (k) => servedLeaf(k, { keyUsage: ["digitalSignature", "keyCertSign"] }), { leaf: "low" }, examined(1)],
  ["intermediate with anyExtendedKeyUsage", (k) => servedIntermediate(k, { extKeyUsage: ["anyExtendedKeyUsage"] }), { "Issuing CA": "low" }, examined(2)],
  ["intermediate with OCSPSigning", (k) => servedIntermediate(k, { extKeyUsage: ["serverAuth", "OCSPSigning"] }), { "Issuing CA": "low" }, examined(2)],
  ["intermediate with serverAuth and codeSigning", (k) => servedIntermediate(k, { extKeyUsage: ["serverAuth", "codeSigning"] }), { "Issuing CA": "low" }, examined(2)],
  ["intermediate with codeSigning and emailProtection only: not a TLS CA", (k) => servedIntermediate(k, { extKeyUsage: ["codeSigning", "emailProtection"] }), SILENT, examined(2)],
  ["enterprise root with an EKU (read from AD)", (k) => {
    const root = selfSigned("Online Root", k.ec(), caProfile({ extKeyUsage: ["serverAuth"] }));
    return { certificates: inLdap("CN=Online Root,CN=Enrollment Services,CN=Public Key Services,CN=Services,CN=Configuration,DC=corp,DC=test", root), adcs: [forest({ caCertificates: [root] })] };
  }, { "Online Root": "low" }, examined(1)],
  ["self-signed CA:TRUE certificate with serverAuth served as the endpoint's leaf (an appliance)", (k) => ({
    certificates: served(WWW, selfSigned("appliance.test", k.ec(), serverProfile("appliance.test", { isCA: true }))),
  }), SILENT, examined(1)],
  ["root in an imported trust store with an EKU: a trust decision, not examined", (k) => ({
    certificates: inFile("/etc/ssl/certs/Vendor_Root.pem", selfSigned("Vendor Root", k.ec(), caProfile({ extKeyUsage: ["serverAuth"] }))),
  }), SILENT, NOT_APPLICABLE],
  ["defective leaf only fetched over AIA: not in use", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    return { certificates: viaAia("http://pki.test/leaf.cer", issued("leaf", k.ec(), root, serverProfile("leaf.test", { serialNumber: 0n }))), anchors: [root] };
  }, SILENT, NOT_APPLICABLE],
]);

export const CERTIFICATE_CASES: readonly RuleCase[] = [
  ...weakKeyCases, ...weakSignatureCases, ...expiredCases, ...expiringSoonCases, ...longValidityCases, ...missingSanCases, ...selfSignedLeafCases,
  ...certificateProfileCases,
];
