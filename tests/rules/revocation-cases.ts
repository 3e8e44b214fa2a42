// Behaviour tables of the revocation rules. They read judged CRL and OCSP observations (the
// analysis' output), so each case writes the judgement it needs with crlObservation() and
// ocspObservation(); certificates are real where a rule looks at them (revoked-in-use, the
// OCSP answer rules, no-revocation-info). URL-keyed findings are named by their URL.
import { crlBadSignature } from "../../rules/crl-bad-signature.js";
import { crlExpiring } from "../../rules/crl-expiring.js";
import { crlSlow } from "../../rules/crl-slow.js";
import { crlStale } from "../../rules/crl-stale.js";
import { crlUnreachable } from "../../rules/crl-unreachable.js";
import { noRevocationInfo } from "../../rules/no-revocation-info.js";
import { ocspBadResponse } from "../../rules/ocsp-bad-response.js";
import { ocspSlow } from "../../rules/ocsp-slow.js";
import { ocspUnreachable } from "../../rules/ocsp-unreachable.js";
import { revokedInUse } from "../../rules/revoked-in-use.js";
import type { Rule } from "../../src/engine/rule.js";
import type { CrlRevocation, OcspObservation } from "../../src/model/revocation.js";
import { NOT_APPLICABLE, type RuleCase, SILENT, casesOf, examined } from "./cases.js";
import {
  CDP_URL, type CertificateOptions, type CrlOverrides, type Keys, OCSP_URL, type TestCertificate, type ViewSpec,
  caProfile, crlObservation, daysFromNow, hoursFromNow, inFile, issued, ocspObservation, selfSigned, served, serverProfile, viaAia,
} from "./inventory.js";

const WWW = "192.0.2.10:443";
const OTHER_CDP = "http://pki.test/other.crl";
const CRL_FILE = "/var/lib/pki/issuing.crl";
const OTHER_OCSP = "http://ocsp2.pki.test";

/** "leaf" of the sanctioned "Root CA", served alone by WWW, plus whatever `extra` adds (CRLs, OCSP). */
function servedLeaf(k: Keys, extra: (leaf: TestCertificate) => ViewSpec = () => ({}), options: CertificateOptions = {}): ViewSpec {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const leaf = issued("leaf", k.ec(), root, serverProfile("leaf.test", options));
  const more = extra(leaf);
  return { ...more, certificates: [...served(WWW, leaf), ...(more.certificates ?? [])], anchors: [root] };
}

/** The entry a judged CRL has for a certificate it revokes. */
const revocationOf = (c: TestCertificate): CrlRevocation => ({
  certificate: c.sha256, serial: "01", revocationDate: daysFromNow(-3).toISOString(), reason: "keyCompromise",
});

/** A view holding one judged CRL. */
const crls = (url: string, overrides: CrlOverrides = {}): ViewSpec => ({ crls: [crlObservation(url, overrides)] });
const nextUpdateIn = (hours: number | null): CrlOverrides => ({ crl: { nextUpdate: hours === null ? null : hoursFromNow(hours).toISOString() } });
const unreadable = (error: string, httpStatus: number | null = null): CrlOverrides => ({ error, httpStatus, crl: null });
/** Not fetched: the fetch policy refused the URL. */
const SKIPPED_FETCH = { error: null, skipped: "refused by the fetch policy (--deny pki.test)", latencyMs: 0, httpStatus: null } as const;

const revokedInUseCases = casesOf(revokedInUse, [
  ["a judged CRL lists the served leaf", (k) => servedLeaf(k, (leaf) => crls(CDP_URL, { certificates: [leaf.sha256], revoked: [revocationOf(leaf)] })), { leaf: "critical" }, examined(1)],
  // Imported certificates are in use too (a store a service reads them from): revoked, they are reported.
  ["a judged CRL lists an imported certificate that is not served", (k) => servedLeaf(k, () => {
    const root = selfSigned("Old Root", k.ec(), caProfile());
    const retired = issued("retired", k.ec(), root, serverProfile("retired.test"));
    return { certificates: inFile("/etc/ssl/retired.pem", retired), ...crls(CDP_URL, { revoked: [revocationOf(retired)] }) };
  }), { retired: "critical" }, examined(2)],
  ["a judged CRL lists a certificate only fetched over AIA, which nothing in use chains through", (k) => servedLeaf(k, () => {
    const root = selfSigned("Old Root", k.ec(), caProfile());
    const fetched = issued("fetched", k.ec(), root, serverProfile("fetched.test"));
    return { certificates: viaAia("http://pki.test/fetched.crt", fetched), ...crls(CDP_URL, { revoked: [revocationOf(fetched)] }) };
  }), SILENT, examined(1)],
  ["a judged CRL lists the intermediate the served leaf chains through (fetched over AIA, not served)", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const intermediate = issued("Issuing CA", k.ec(), root, caProfile());
    const leaf = issued("leaf", k.ec(), intermediate, serverProfile("leaf.test"));
    return {
      certificates: [...served(WWW, leaf), ...viaAia("http://pki.test/issuing.crt", intermediate)], anchors: [root],
      ...crls(CDP_URL, { revoked: [revocationOf(intermediate)] }),
    };
  }, { "Issuing CA": "critical" }, examined(1)],
  ["a delta CRL takes the served leaf off hold", (k) => servedLeaf(k, (leaf) => ({
    crls: [
      crlObservation(CDP_URL, { covers: [leaf.sha256], revoked: [{ ...revocationOf(leaf), reason: "certificateHold" }] }),
      crlObservation(OTHER_CDP, { covers: [leaf.sha256], deltaOf: CDP_URL, released: [leaf.sha256], crl: { deltaCrlIndicator: "1", crlNumber: "2" } }),
    ],
  })), SILENT, examined(1)],
  ["a delta CRL that takes the leaf off hold is stale: the hold stands", (k) => servedLeaf(k, (leaf) => ({
    crls: [
      crlObservation(CDP_URL, { covers: [leaf.sha256], revoked: [{ ...revocationOf(leaf), reason: "certificateHold" }] }),
      crlObservation(OTHER_CDP, {
        covers: [leaf.sha256], deltaOf: CDP_URL, released: [leaf.sha256], crl: { deltaCrlIndicator: "1", crlNumber: "2", nextUpdate: hoursFromNow(-1).toISOString() },
      }),
    ],
  })), { leaf: "critical" }, examined(1)],
  ["a judged CRL that lists nothing", (k) => servedLeaf(k, () => crls(CDP_URL)), SILENT, examined(1)],
  ["the OCSP responder says revoked, signed by the CA", (k) => servedLeaf(k, (leaf) => ({
    ocsp: [ocspObservation(leaf, { certStatus: "revoked", revocationTime: daysFromNow(-3).toISOString(), revocationReason: "keyCompromise" })],
  })), { leaf: "critical" }, examined(1)],
  ["a stapled OCSP response says revoked", (k) => servedLeaf(k, (leaf) => ({
    ocsp: [ocspObservation(leaf, { source: "staple", url: null, endpoint: WWW, certStatus: "revoked" })],
  })), { leaf: "critical" }, examined(1)],
  ["an OCSP 'revoked' whose signature does not verify", (k) => servedLeaf(k, (leaf) => ({
    ocsp: [ocspObservation(leaf, { certStatus: "revoked", signatureValid: false, problems: ["response signature does not verify"] })],
  })), SILENT, examined(1)],
  ["no CRL read and no OCSP answer", (k) => servedLeaf(k), SILENT, NOT_APPLICABLE],
  ["only a CRL that could not be read", (k) => servedLeaf(k, () => crls(CDP_URL, unreadable("HTTP 404", 404))), SILENT, NOT_APPLICABLE],
]);

const crlStaleCases = casesOf(crlStale, [
  ["nextUpdate an hour ago", () => crls(CDP_URL, nextUpdateIn(-1)), { [CDP_URL]: "high" }, examined(1)],
  ["nextUpdate a second ago", () => crls(CDP_URL, nextUpdateIn(-1 / 3600)), { [CDP_URL]: "high" }, examined(1)],
  ["nextUpdate this very second: not yet stale", () => crls(CDP_URL, nextUpdateIn(0)), SILENT, examined(1)],
  ["nextUpdate in six days", () => crls(CDP_URL), SILENT, examined(1)],
  ["no nextUpdate", () => crls(CDP_URL, nextUpdateIn(null)), SILENT, examined(1)],
  ["stale CRL read from a local file", () => crls(CRL_FILE, { ...nextUpdateIn(-48), source: "file" }), { [CRL_FILE]: "high" }, examined(1)],
  ["two CRLs, one stale", () => ({ crls: [crlObservation(CDP_URL, nextUpdateIn(-5)), crlObservation(OTHER_CDP)] }), { [CDP_URL]: "high" }, examined(2)],
  ["only a CRL that could not be read", () => crls(CDP_URL, unreadable("timeout after 5000 ms")), SILENT, NOT_APPLICABLE],
  ["no CRL", () => ({}), SILENT, NOT_APPLICABLE],
]);

const crlExpiringCases = casesOf(crlExpiring, [
  ["nextUpdate in 23 hours (threshold 24)", () => crls(CDP_URL, nextUpdateIn(23)), { [CDP_URL]: "medium" }, examined(1)],
  ["nextUpdate in 25 hours (threshold 24)", () => crls(CDP_URL, nextUpdateIn(25)), SILENT, examined(1)],
  ["nextUpdate in exactly 24 hours: the threshold is inclusive", () => crls(CDP_URL, nextUpdateIn(24)), { [CDP_URL]: "medium" }, examined(1)],
  ["nextUpdate this very second", () => crls(CDP_URL, nextUpdateIn(0)), { [CDP_URL]: "medium" }, examined(1)],
  ["nextUpdate passed: crl-stale's case", () => crls(CDP_URL, nextUpdateIn(-1)), SILENT, examined(1)],
  ["nextUpdate in 30 hours with crlExpiryHours 48", () => ({ ...crls(CDP_URL, nextUpdateIn(30)), thresholds: { crlExpiryHours: 48 } }), { [CDP_URL]: "medium" }, examined(1)],
  ["nextUpdate in 10 hours with crlExpiryHours 6", () => ({ ...crls(CDP_URL, nextUpdateIn(10)), thresholds: { crlExpiryHours: 6 } }), SILENT, examined(1)],
  ["no nextUpdate", () => crls(CDP_URL, nextUpdateIn(null)), SILENT, examined(1)],
  ["no CRL", () => ({}), SILENT, NOT_APPLICABLE],
]);

const crlUnreachableCases = casesOf(crlUnreachable, [
  ["the CDP answers 404", () => crls(CDP_URL, unreadable("HTTP 404", 404)), { [CDP_URL]: "high" }, examined(1)],
  ["the CDP times out", () => crls(CDP_URL, unreadable("timeout after 5000 ms")), { [CDP_URL]: "high" }, examined(1)],
  ["the CDP serves something that is not a CRL", () => crls(CDP_URL, unreadable("not a CRL: unexpected tag", 200)), { [CDP_URL]: "high" }, examined(1)],
  ["a --crl-url CRL that fails", () => crls(OTHER_CDP, { ...unreadable("HTTP 503", 503), source: "cli" }), { [OTHER_CDP]: "high" }, examined(1)],
  ["the CDP serves its CRL", () => crls(CDP_URL), SILENT, examined(1)],
  ["two CDPs, one failing", () => ({ crls: [crlObservation(CDP_URL), crlObservation(OTHER_CDP, unreadable("connection refused"))] }), { [OTHER_CDP]: "high" }, examined(2)],
  ["an unreadable local CRL file: not a distribution point", () => crls(CRL_FILE, { ...unreadable("not a CRL"), source: "file" }), SILENT, NOT_APPLICABLE],
  ["no CRL", () => ({}), SILENT, NOT_APPLICABLE],
]);

const crlBadSignatureCases = casesOf(crlBadSignature, [
  ["no certificate of the named CA verifies it", () => crls(CDP_URL, { signature: { status: "invalid", issuer: null } }), { [CDP_URL]: "high" }, examined(1)],
  ["a local CRL file that does not verify", () => crls(CRL_FILE, { source: "file", signature: { status: "invalid", issuer: null } }), { [CRL_FILE]: "high" }, examined(1)],
  ["signed by its issuer", () => crls(CDP_URL), SILENT, examined(1)],
  ["issuer not in the run: nothing to verify with", () => crls(CDP_URL, { signature: { status: "issuer-unknown", issuer: null } }), SILENT, examined(1)],
  ["only a CRL that could not be read", () => crls(CDP_URL, unreadable("HTTP 404", 404)), SILENT, NOT_APPLICABLE],
]);

/** One OCSP answer for the served leaf. */
const answer = (k: Keys, o: Partial<OcspObservation> = {}): ViewSpec => servedLeaf(k, (leaf) => ({ ocsp: [ocspObservation(leaf, o)] }));
/** OCSP answers for two served leaves, "a" and "b". */
function twoLeaves(k: Keys, a: Partial<OcspObservation>, b: Partial<OcspObservation>): ViewSpec {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const [leafA, leafB] = ["a", "b"].map((name) => issued(name, k.ec(), root, serverProfile(`${name}.test`)));
  return {
    certificates: [...served(WWW, leafA!), ...served("192.0.2.11:443", leafB!)],
    anchors: [root],
    ocsp: [ocspObservation(leafA!, a), ocspObservation(leafB!, b)],
  };
}
const refused = { error: "connection refused", httpStatus: null, responseStatus: null, certStatus: null, signer: null, signatureValid: null } as const;

const ocspUnreachableCases = casesOf(ocspUnreachable, [
  ["the responder refuses connections", (k) => answer(k, refused), { [OCSP_URL]: "high" }, examined(1)],
  ["the responder answers HTTP 500", (k) => answer(k, { ...refused, error: "HTTP 500", httpStatus: 500 }), { [OCSP_URL]: "high" }, examined(1)],
  ["one of two certificates fails at the same responder", (k) => twoLeaves(k, {}, refused), { [OCSP_URL]: "high" }, examined(1)],
  ["two responders, one down", (k) => twoLeaves(k, {}, { ...refused, url: OTHER_OCSP }), { [OTHER_OCSP]: "high" }, examined(2)],
  ["the responder answers", (k) => answer(k), SILENT, examined(1)],
  ["a stapled response only: no responder asked", (k) => answer(k, { source: "staple", url: null, endpoint: WWW }), SILENT, NOT_APPLICABLE],
  ["no OCSP answer", (k) => servedLeaf(k), SILENT, NOT_APPLICABLE],
]);

const ocspBadResponseCases = casesOf(ocspBadResponse, [
  ["signed by a certificate the CA did not authorise", (k) => answer(k, { signer: "unauthorized", problems: ["signed by a certificate the CA did not authorise for OCSP"] }), { leaf: "high" }, examined(1)],
  ["signature does not verify", (k) => answer(k, { signatureValid: false, problems: ["response signature does not verify"] }), { leaf: "high" }, examined(1)],
  ["responder status unauthorized", (k) => answer(k, { responseStatus: "unauthorized", certStatus: null, signer: null, signatureValid: null }), { leaf: "high" }, examined(1)],
  ["successful but no answer for this certificate", (k) => answer(k, { certStatus: null }), { leaf: "high" }, examined(1)],
  ["stale stapled response", (k) => answer(k, { source: "staple", url: null, endpoint: WWW, nextUpdate: hoursFromNow(-30).toISOString(), problems: ["nextUpdate has passed"] }), { leaf: "high" }, examined(1)],
  ["good, signed by the CA", (k) => answer(k), SILENT, examined(1)],
  ["revoked, signed by a delegated responder: a sound answer", (k) => answer(k, { certStatus: "revoked", signer: "delegated" }), SILENT, examined(1)],
  ["transport error: ocsp-unreachable's case", (k) => answer(k, refused), SILENT, examined(1)],
  ["no OCSP answer", (k) => servedLeaf(k), SILENT, NOT_APPLICABLE],
]);

const ocspSlowCases = casesOf(ocspSlow, [
  ["answered in 2500 ms (threshold 2000)", (k) => answer(k, { latencyMs: 2500 }), { [OCSP_URL]: "low" }, examined(1)],
  ["answered in exactly 2000 ms", (k) => answer(k, { latencyMs: 2000 }), SILENT, examined(1)],
  ["answered in 1500 ms with slowMs 1000", (k) => ({ ...answer(k, { latencyMs: 1500 }), thresholds: { slowMs: 1000 } }), { [OCSP_URL]: "low" }, examined(1)],
  ["the slowest of two answers is over the threshold", (k) => twoLeaves(k, { latencyMs: 300 }, { latencyMs: 2600 }), { [OCSP_URL]: "low" }, examined(1)],
  ["gave up after 6000 ms: ocsp-unreachable's case", (k) => answer(k, { ...refused, error: "timeout after 6000 ms", latencyMs: 6000 }), SILENT, examined(1)],
  ["a slow staple: no responder asked", (k) => answer(k, { source: "staple", url: null, endpoint: WWW, latencyMs: 5000 }), SILENT, NOT_APPLICABLE],
]);

const crlSlowCases = casesOf(crlSlow, [
  ["fetched in 2500 ms (threshold 2000)", () => crls(CDP_URL, { latencyMs: 2500 }), { [CDP_URL]: "low" }, examined(1)],
  ["fetched in exactly 2000 ms", () => crls(CDP_URL, { latencyMs: 2000 }), SILENT, examined(1)],
  ["fetched in 1500 ms with slowMs 1000", () => ({ ...crls(CDP_URL, { latencyMs: 1500 }), thresholds: { slowMs: 1000 } }), { [CDP_URL]: "low" }, examined(1)],
  ["a slow --crl-url CRL", () => crls(OTHER_CDP, { latencyMs: 3000, source: "cli" }), { [OTHER_CDP]: "low" }, examined(1)],
  ["gave up after 6000 ms: crl-unreachable's case", () => crls(CDP_URL, { ...unreadable("timeout after 6000 ms"), latencyMs: 6000 }), SILENT, examined(1)],
  ["a local CRL file read slowly: not a distribution point", () => crls(CRL_FILE, { latencyMs: 3000, source: "file" }), SILENT, NOT_APPLICABLE],
]);

const withoutRevocationInfo: CertificateOptions = { crlDistributionPoints: undefined, ocspUrls: undefined };

const noRevocationInfoCases = casesOf(noRevocationInfo, [
  ["served leaf without CDP or OCSP URL", (k) => servedLeaf(k, undefined, withoutRevocationInfo), { leaf: "medium" }, examined(1)],
  ["served leaf with a CDP only", (k) => servedLeaf(k, undefined, { ocspUrls: undefined }), SILENT, examined(1)],
  ["served leaf with an OCSP URL only", (k) => servedLeaf(k, undefined, { crlDistributionPoints: undefined }), SILENT, examined(1)],
  ["served intermediate without either", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const issuing = issued("Issuing CA", k.ec(), root, caProfile());
    return { certificates: served(WWW, issued("leaf", k.ec(), issuing, serverProfile("leaf.test")), issuing), anchors: [root] };
  }, { "Issuing CA": "medium" }, examined(2)],
  ["served root without either: roots are trusted directly", (k) => {
    const root = selfSigned("Shadow Root", k.ec(), caProfile());
    return { certificates: served(WWW, issued("leaf", k.ec(), root, serverProfile("leaf.test")), root) };
  }, SILENT, examined(1)],
  ["leaf without either, only fetched over AIA: not in use", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    return { certificates: viaAia("http://pki.test/leaf.cer", issued("leaf", k.ec(), root, serverProfile("leaf.test", withoutRevocationInfo))), anchors: [root] };
  }, SILENT, NOT_APPLICABLE],
]);

/** A CRL or OCSP request never sent examined nothing: "evaluated, 0 findings" would claim it was checked and clean. */
function neverFetched(rule: Rule, view: (k: Keys) => ViewSpec): RuleCase {
  return {
    rule,
    name: "its only source was skipped by the fetch policy: nothing examined",
    view,
    fires: SILENT,
    outcome: NOT_APPLICABLE,
  };
}
const skippedCrl = () => crls(CDP_URL, { ...SKIPPED_FETCH, crl: null });
const skippedOcsp = (k: Keys) => answer(k, { ...refused, ...SKIPPED_FETCH });

const untrustedSources: RuleCase[] = [
  {
    rule: revokedInUse,
    // A rogue responder's own signature verifies too: like a forged CRL, it must not revoke anything.
    name: "an OCSP 'revoked' signed by a responder the CA never authorised",
    view: (k) => answer(k, { certStatus: "revoked", signer: "unauthorized", problems: ["signed by a certificate the CA did not authorise for OCSP"] }),
    fires: SILENT,
    outcome: examined(1),
  },
  neverFetched(crlUnreachable, skippedCrl),
  neverFetched(crlSlow, skippedCrl),
  neverFetched(ocspUnreachable, skippedOcsp),
  neverFetched(ocspSlow, skippedOcsp),
  neverFetched(ocspBadResponse, skippedOcsp),
  neverFetched(revokedInUse, skippedOcsp),
];

export const REVOCATION_CASES: readonly RuleCase[] = [
  ...revokedInUseCases, ...crlStaleCases, ...crlExpiringCases, ...crlUnreachableCases, ...crlBadSignatureCases,
  ...ocspUnreachableCases, ...ocspBadResponseCases, ...ocspSlowCases, ...crlSlowCases, ...noRevocationInfoCases, ...untrustedSources,
];
