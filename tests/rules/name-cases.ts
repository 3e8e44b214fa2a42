// Behaviour table of name-mismatch: endpoints probed with a name ("address:port#name", the name
// sent as SNI) and the leaf they served. The matching rules themselves, case by case and beside
// Node's own check, are in tests/inventory/host-names.test.ts.
import { nameMismatch } from "../../rules/name-mismatch.js";
import { NOT_APPLICABLE, type RuleCase, SILENT, casesOf, examined } from "./cases.js";
import { type CertificateOptions, type Keys, type ViewSpec, issued, selfSigned, served, serverProfile, caProfile } from "./inventory.js";

/** A view where `endpoint` served a leaf named `cn` with `names` (SAN options) under a sanctioned root. */
const servedFor = (endpoint: string, cn: string, names: CertificateOptions) => (k: Keys): ViewSpec => {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const leaf = issued(cn, k.ec(), root, serverProfile(`${cn}.test`, names));
  return { certificates: served(endpoint, leaf, root), anchors: [root] };
};

const dns = (...dnsNames: string[]): CertificateOptions => ({ dnsNames });

export const NAME_CASES: readonly RuleCase[] = casesOf(nameMismatch, [
  ["name outside the certificate's SANs", servedFor("192.0.2.10:443#www.example.test", "leaf", dns("other.example.test")), { leaf: "high" }, examined(1)],
  ["name among the SANs, in another case", servedFor("192.0.2.10:443#www.example.test", "leaf", dns("other.example.test", "WWW.Example.TEST")), SILENT, examined(1)],
  ["wildcard standing for the one leftmost label", servedFor("192.0.2.10:443#www.example.test", "leaf", dns("*.example.test")), SILENT, examined(1)],
  ["wildcard does not span two labels", servedFor("192.0.2.10:443#a.www.example.test", "leaf", dns("*.example.test")), { leaf: "high" }, examined(1)],
  ["wildcard does not cover its parent domain", servedFor("192.0.2.10:443#example.test", "leaf", dns("*.example.test")), { leaf: "high" }, examined(1)],
  ["wildcard inside a label is no wildcard", servedFor("192.0.2.10:443#www.example.test", "leaf", dns("w*.example.test")), { leaf: "high" }, examined(1)],
  ["U-label name against its A-label SAN", servedFor("192.0.2.10:443#bücher.example.test", "leaf", dns("xn--bcher-kva.example.test")), SILENT, examined(1)],
  ["no SAN extension: the CN is read (missing-san reports the missing SAN)",
    servedFor("192.0.2.10:443#www.example.test", "www.example.test", { dnsNames: undefined }), SILENT, examined(1)],
  ["SANs naming only an IP address: the CN is not read",
    servedFor("192.0.2.10:443#www.example.test", "www.example.test", { dnsNames: undefined, ipAddresses: ["192.0.2.10"] }), { "www.example.test": "high" }, examined(1)],
  ["one name answered at two addresses: one finding", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const leaf = issued("leaf", k.ec(), root, serverProfile("other.example.test"));
    return {
      certificates: [...served("192.0.2.10:443#www.example.test", leaf, root), ...served("192.0.2.11:443#www.example.test", leaf, root)],
      anchors: [root],
    };
  }, { leaf: "high" }, examined(2)],
  ["two names, the certificate of one does not cover it", (k) => {
    const root = selfSigned("Root CA", k.ec(), caProfile());
    const www = issued("www", k.ec(), root, serverProfile("www.example.test"));
    const api = issued("api", k.ec(), root, serverProfile("www.example.test"));
    return {
      certificates: [...served("192.0.2.10:443#www.example.test", www, root), ...served("192.0.2.11:443#api.example.test", api, root)],
      anchors: [root],
    };
  }, { api: "high" }, examined(2)],
  ["probed by address, no name sent: not examined", servedFor("192.0.2.10:443", "leaf", dns("other.example.test")), SILENT, NOT_APPLICABLE],
]);
