// RFC 5280 §6.1 path validation of a trusted path (the path builder found it: names chain and
// every signature verifies), as a relying party runs it at a validation time: validity of every
// certificate (the anchor's reported apart), revocation as the run's judged CRLs and OCSP
// answers say, basicConstraints and pathLenConstraint, keyUsage keyCertSign, name constraints
// (DNS, IP, directory names, email, URI; permitted and excluded; subject and SANs), unknown
// critical extensions, and the signature algorithm agreeing with the one signed over. Policy
// processing (§6.1.3 d–f) is left out: the run has no initial policy set to judge against.
//
// Written here rather than on pkijs' CertificateChainValidationEngine: measured on NIST PKITS
// (sections 4.1–4.7, 4.13–4.16) it agrees on 129 of 161 certificates: it ignores
// pathLenConstraint and unknown critical extensions, rejects valid DSA paths (WebCrypto has no
// DSA) and some valid directory-name constraints.
import { BlockList, isIP } from "node:net";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  BasicConstraints, Certificate, GeneralName, KeyUsage, KeyUsageFlags, NameConstraints, SubjectAlternativeName,
  id_ce_basicConstraints, id_ce_keyUsage, id_ce_nameConstraints, id_ce_subjectAltName,
} from "@peculiar/asn1-x509";
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
import type { PathCheck, PathValidation, PathValidationFailure } from "../model/types.js";
import { sha256Hex } from "../pki/certificate.js";
import { revocationStatus } from "./revocation-facts.js";
import { attributeTexts, certificateNames, normalisedNameKey, normalisedRdns } from "../pki/der-names.js";
import { readCertificateFields } from "../pki/der-certificate.js";
import { certificateSignedData } from "../pki/signatures.js";

/** Extensions a relying party processes, or that carry nothing it must act on (RFC 5280 §4.2). */
const UNDERSTOOD_EXTENSIONS = new Set([
  "2.5.29.14", // subjectKeyIdentifier
  "2.5.29.15", // keyUsage
  "2.5.29.17", // subjectAltName
  "2.5.29.18", // issuerAltName
  "2.5.29.19", // basicConstraints
  "2.5.29.30", // nameConstraints
  "2.5.29.31", // cRLDistributionPoints
  "2.5.29.32", // certificatePolicies
  "2.5.29.33", // policyMappings
  "2.5.29.35", // authorityKeyIdentifier
  "2.5.29.36", // policyConstraints
  "2.5.29.37", // extKeyUsage
  "2.5.29.46", // freshestCRL
  "2.5.29.54", // inhibitAnyPolicy
  "2.5.29.9", // subjectDirectoryAttributes
  "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
  "1.3.6.1.5.5.7.1.11", // subjectInfoAccess
  "1.3.6.1.4.1.11129.2.4.2", // signed certificate timestamps
]);
const EMAIL_ADDRESS = "1.2.840.113549.1.9.1";
/** The same OID's content octets, as attributeTexts() takes a type. */
const EMAIL_ADDRESS_DER_HEX = "2a864886f70d010901";

/** What validation reads of one certificate, parsed once however many paths it is on. */
interface Facts {
  notBefore: Date;
  notAfter: Date;
  /** X.509 version as people number it. */
  version: number;
  selfIssued: boolean;
  /** SHA-256 of the issuer Name DER, as CRLs name their issuer. */
  issuerNameHash: string;
  subjectRdns: string[] | null;
  /** emailAddress attributes of the subject: rfc822Name constraints apply to them (§4.2.1.10). */
  subjectEmails: string[];
  sans: GeneralName[];
  basicConstraints: { cA: boolean; pathLength: number | null } | null;
  /** keyUsage bits; null when the extension is absent. */
  keyUsage: number | null;
  nameConstraints: { permitted: GeneralName[]; excluded: GeneralName[] } | null;
  unknownCritical: string[];
  /** The signature algorithm outside the TBS differs from the one signed inside it (§4.1.1.2). */
  algorithmMismatch: boolean;
}

/**
 * What the run's judged CRLs (as revocationStatus reads them, the one CRL verdict rules share) and
 * OCSP answers say about the status of each certificate on a path.
 */
class RevocationStatus {
  /** OCSP answers the CA signed or delegated: revoked certificates with the URL, and those decided. */
  private readonly ocspRevoked = new Map<string, string>();
  private readonly ocspDecided = new Set<string>();
  /** Issuer name hashes of the CRLs the run read, and certificates whose CDP the run fetched. */
  private readonly consulted = new Set<string>();
  /** Whether the analysis judged CRL scope (runs before it did record no coverage: status is never "unknown" for them). */
  private readonly scoped: boolean;
  private readonly crlView: { crls: readonly CrlObservation[]; now: Date };

  constructor(crls: readonly CrlObservation[], ocsp: readonly OcspObservation[], at: Date) {
    this.crlView = { crls, now: at };
    this.scoped = crls.some((c) => c.covers !== undefined);
    for (const crl of crls) {
      for (const id of crl.certificates) this.consulted.add(id);
      if (crl.crl) this.consulted.add(crl.crl.issuerNameHash);
    }
    for (const o of ocsp) {
      // As revoked-in-use reads them: only an answer the CA signed or delegated.
      if (!o.signatureValid || (o.signer !== "issuer" && o.signer !== "delegated")) continue;
      if (o.certStatus === "revoked" && !this.ocspRevoked.has(o.certificate)) this.ocspRevoked.set(o.certificate, `OCSP ${o.url ?? "staple"}`);
      if (o.certStatus === "good" || o.certStatus === "revoked") this.ocspDecided.add(o.certificate);
    }
  }

  revokedBy(sha256: string): string | undefined {
    const crl = revocationStatus(this.crlView, sha256);
    return crl.status === "revoked" ? `CRL ${crl.crls[0]}` : this.ocspRevoked.get(sha256);
  }

  /**
   * The run read revocation information for this certificate (a CRL of its issuer, or its own
   * distribution point) and none of it decides its status: a relying party that checks
   * revocation cannot accept it (§6.3.3 (k)). Nothing read at all is not a verdict (--no-fetch,
   * no CDP): no-revocation-info and crl-unreachable report that.
   */
  undetermined(sha256: string, issuerNameHash: string): boolean {
    if (!this.scoped || this.ocspDecided.has(sha256)) return false;
    if (!this.consulted.has(issuerNameHash) && !this.consulted.has(sha256)) return false;
    return revocationStatus(this.crlView, sha256).status === "unknown";
  }
}

export class PathValidator {
  private readonly facts = new Map<string, Facts | null>();

  private readonly revocation: RevocationStatus;

  constructor(private readonly context: {
    at: Date;
    /** The run's judged CRLs and OCSP answers. */
    crls: readonly CrlObservation[];
    ocsp: readonly OcspObservation[];
    derOf(sha256: string): Buffer | null;
  }) {
    this.revocation = new RevocationStatus(context.crls, context.ocsp, context.at);
  }

  /** Validates a trusted path: sha256 list from the certificate to the anchor inclusive. */
  validate(path: readonly string[]): PathValidation {
    const failures: PathValidationFailure[] = [];
    const fail = (check: PathCheck, certificate: string, section: string, detail: string): void => {
      failures.push({ check, certificate, section: `RFC 5280 ${section}`, detail });
    };
    const anchor = path[path.length - 1]!;
    const anchorFacts = this.factsOf(anchor);
    if (anchorFacts) this.checkValidity(anchorFacts, (_, detail) => fail("anchor-validity", anchor, "§6.1.1 (d)", `trust anchor ${detail}`));

    const certificates = path.slice(0, -1);
    let maxPathLength = certificates.length;
    let pathLengthSetBy = anchor;
    // One list per (extension, form): a name must be within one base of every list of its form.
    const permitted: FormName[][] = [];
    const excluded: FormName[] = [];
    // From the certificate the anchor issued down to the end entity, as §6.1.3 processes them.
    for (let i = certificates.length - 1; i >= 0; i--) {
      const id = certificates[i]!;
      const isEndEntity = i === 0;
      const c = this.factsOf(id);
      if (!c) {
        fail("signature-algorithm", id, "§6.1.3 (a)(1)", "the certificate could not be decoded");
        continue;
      }
      this.checkValidity(c, (check, detail) => fail(check, id, "§6.1.3 (a)(2)", detail));
      const revokedBy = this.revocation.revokedBy(id);
      if (revokedBy) fail("revocation", id, "§6.1.3 (a)(3)", `revoked (${revokedBy})`);
      else if (this.revocation.undetermined(id, c.issuerNameHash)) {
        fail("revocation-unknown", id, "§6.1.3 (a)(3)", "the run read revocation information for it, and none usable decides its status");
      }
      if (c.algorithmMismatch) fail("signature-algorithm", id, "§4.1.1.2", "signatureAlgorithm differs from the algorithm in the signed TBSCertificate");
      // Self-issued CA certificates (key rollover) are exempt from name constraints (§6.1.3 (b)).
      if (isEndEntity || !c.selfIssued) {
        for (const problem of nameConstraintViolations(c, permitted, excluded)) fail("name-constraints", id, "§6.1.3 (b)-(c)", problem);
      }
      for (const oid of c.unknownCritical) fail("critical-extension", id, isEndEntity ? "§6.1.5 (f)" : "§6.1.4 (o)", `unrecognised critical extension ${oid}`);
      if (isEndEntity) continue;

      // Preparation for the next certificate (§6.1.4): this one is an issuer.
      if (c.nameConstraints) {
        const bases = c.nameConstraints.permitted.map(formName);
        for (const form of new Set(bases.map((b) => b.form))) permitted.push(bases.filter((b) => b.form === form));
        excluded.push(...c.nameConstraints.excluded.map(formName));
      }
      if (c.version < 3) fail("basic-constraints", id, "§6.1.4 (k)", `a version ${c.version} certificate cannot be shown to be a CA, yet it issued the next certificate`);
      else if (!c.basicConstraints?.cA) fail("basic-constraints", id, "§6.1.4 (k)", c.basicConstraints ? "basicConstraints cA is false, yet it issued the next certificate" : "no basicConstraints extension, yet it issued the next certificate");
      if (!c.selfIssued) {
        if (maxPathLength <= 0) {
          const setBy = pathLengthSetBy === id ? "" : ` set by "${this.subjectOf(pathLengthSetBy)}"`;
          fail("path-length", id, "§6.1.4 (l)", `a CA below the pathLenConstraint${setBy}`);
        }
        maxPathLength--;
      }
      const constraint = c.basicConstraints?.pathLength;
      if (constraint != null && constraint < maxPathLength) {
        maxPathLength = constraint;
        pathLengthSetBy = id;
      }
      if (c.keyUsage !== null && !(c.keyUsage & KeyUsageFlags.keyCertSign)) fail("key-usage", id, "§6.1.4 (n)", "keyUsage lacks keyCertSign, yet it issued the next certificate");
    }
    return { valid: failures.length === 0, failures };
  }

  private checkValidity(c: Facts, fail: (check: "not-yet-valid" | "expired", detail: string) => void): void {
    const at = this.context.at.getTime();
    if (at < c.notBefore.getTime()) fail("not-yet-valid", `not valid before ${c.notBefore.toISOString()}`);
    if (at > c.notAfter.getTime()) fail("expired", `expired ${c.notAfter.toISOString()}`);
  }

  private subjectOf(sha256: string): string {
    const der = this.context.derOf(sha256);
    const names = der && certificateNames(der);
    return names ? (normalisedRdns(names.subject) ?? []).join(", ") : sha256;
  }

  private factsOf(sha256: string): Facts | null {
    let facts = this.facts.get(sha256);
    if (facts === undefined) {
      const der = this.context.derOf(sha256);
      try {
        facts = der ? readFacts(der) : null;
      } catch {
        facts = null;
      }
      this.facts.set(sha256, facts);
    }
    return facts;
  }
}

function readFacts(der: Buffer): Facts {
  const names = certificateNames(der);
  const tbs = tbsFacts(der, names);
  const extension = <T>(oid: string, type: new () => T): T | null => {
    const found = tbs.extensions.find((e) => e.oid === oid);
    return found ? AsnConvert.parse(found.value, type) : null;
  };
  const bc = extension(id_ce_basicConstraints, BasicConstraints);
  const ku = extension(id_ce_keyUsage, KeyUsage);
  const nc = extension(id_ce_nameConstraints, NameConstraints);
  return {
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    version: tbs.version + 1,
    selfIssued: !!names && normalisedNameKey(names.subject) === normalisedNameKey(names.issuer),
    issuerNameHash: names ? sha256Hex(names.issuer) : "",
    subjectRdns: names ? normalisedRdns(names.subject) : null,
    subjectEmails: tbs.subjectEmails,
    sans: [...(extension(id_ce_subjectAltName, SubjectAlternativeName) ?? [])],
    basicConstraints: bc ? { cA: bc.cA, pathLength: bc.pathLenConstraint ?? null } : null,
    keyUsage: ku ? ku.toNumber() : null,
    nameConstraints: nc ? { permitted: (nc.permittedSubtrees ?? []).map((s) => s.base), excluded: (nc.excludedSubtrees ?? []).map((s) => s.base) } : null,
    unknownCritical: tbs.extensions.filter((e) => e.critical && !UNDERSTOOD_EXTENSIONS.has(e.oid)).map((e) => e.oid),
    algorithmMismatch: tbs.algorithmMismatch,
  };
}

/** What validation reads of a certificate's TBS, however it was read. */
export interface TbsFacts {
  /** As encoded: 0 for v1. */
  version: number;
  notBefore: Date;
  notAfter: Date;
  extensions: readonly { oid: string; critical: boolean; value: ArrayBufferView }[];
  subjectEmails: string[];
  algorithmMismatch: boolean;
}

/**
 * The TBS of the usual certificate read by the DER walks (der-certificate.ts, signatures.ts), of
 * the rest through the ASN.1 model (which throws on what it cannot parse); exported so tests can
 * compare the two readings. Why the walks: the model's parse of a whole certificate costs about
 * 3.5 ms a certificate in a fresh process (some 30 certificates on a small scan: 0.1 s of
 * CPU), the walks microseconds. The signature algorithms are compared as encoded, as
 * X509_verify compares them.
 */
export function tbsFacts(der: Buffer, names = certificateNames(der)): TbsFacts {
  const fields = readCertificateFields(der);
  const signed = fields && certificateSignedData(der);
  const subject = signed && names?.subject;
  const subjectEmails = subject && attributeTexts(subject, EMAIL_ADDRESS_DER_HEX);
  if (!fields || !signed || !subjectEmails) return tbsFactsThroughModel(der);
  const { version, notBefore, notAfter, extensions } = fields;
  return { version, notBefore, notAfter, extensions, subjectEmails, algorithmMismatch: !signed.algorithmsAgree };
}

/** The TBS read through @peculiar/asn1-x509's model: any certificate it can parse (it throws otherwise). */
export function tbsFactsThroughModel(der: Buffer): TbsFacts {
  const certificate = AsnConvert.parse(der, Certificate);
  const tbs = certificate.tbsCertificate;
  return {
    version: tbs.version,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    extensions: (tbs.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical, value: e.extnValue })),
    subjectEmails: tbs.subject.flatMap((rdn) => rdn.filter((a) => a.type === EMAIL_ADDRESS).map((a) => a.value.toString())),
    algorithmMismatch: !Buffer.from(AsnConvert.serialize(tbs.signature)).equals(Buffer.from(AsnConvert.serialize(certificate.signatureAlgorithm))),
  };
}

// ---- name constraints (§4.2.1.10) ----

/** A name or a subtree base in one comparable form: its GeneralName form and its value. */
interface FormName {
  form: string;
  /** The string of the string forms (dNSName, rfc822Name, uniformResourceIdentifier, iPAddress). */
  text?: string;
  /** Normalised RDNs of a directoryName. */
  rdns?: string[];
}

const STRING_FORMS = ["dNSName", "rfc822Name", "uniformResourceIdentifier", "iPAddress"] as const;

function formName(name: GeneralName): FormName {
  for (const form of STRING_FORMS) if (name[form] !== undefined) return { form, text: name[form] };
  if (name.directoryName) return { form: "directoryName", rdns: normalisedRdns(Buffer.from(AsnConvert.serialize(name.directoryName))) ?? [] };
  // otherName, x400Address, ediPartyName, registeredID: forms pkiscope does not compare.
  return { form: Object.keys(name).find((k) => name[k as keyof GeneralName] !== undefined) ?? "unknown" };
}

function show(name: FormName): string {
  if (name.rdns) return `${name.form} "${name.rdns.join(", ")}"`;
  return name.text !== undefined ? `${name.form} ${JSON.stringify(name.text)}` : name.form;
}

/** The names of a certificate that constraints apply to: a non-empty subject, its emailAddress attributes, its SANs. */
function constrainedNames(c: Facts): FormName[] {
  const subject = c.subjectRdns && c.subjectRdns.length > 0 ? [{ form: "directoryName", rdns: c.subjectRdns }] : [];
  return [...subject, ...c.subjectEmails.map((text) => ({ form: "rfc822Name", text })), ...c.sans.map(formName)];
}

function nameConstraintViolations(c: Facts, permitted: readonly FormName[][], excluded: readonly FormName[]): string[] {
  if (permitted.length === 0 && excluded.length === 0) return [];
  const problems: string[] = [];
  for (const name of constrainedNames(c)) {
    const unsupported = `${name.form} constraints cannot be checked, and the certificate has a ${name.form}`;
    for (const set of permitted) {
      if (set[0]!.form !== name.form) continue;
      const within = set.map((base) => matches(name, base));
      if (within.includes(null)) problems.push(unsupported);
      else if (!within.includes(true)) problems.push(`${show(name)} is outside the permitted subtrees (${set.map(show).join("; ")})`);
    }
    for (const base of excluded.filter((e) => e.form === name.form)) {
      const inside = matches(name, base);
      if (inside === null) problems.push(unsupported);
      else if (inside) problems.push(`${show(name)} is within the excluded subtree ${show(base)}`);
    }
  }
  return [...new Set(problems)];
}

/** Whether `name` is within the subtree `base` of the same form; null for forms pkiscope cannot compare. */
function matches(name: FormName, base: FormName): boolean | null {
  if (name.rdns && base.rdns) return base.rdns.length <= name.rdns.length && base.rdns.every((rdn, i) => name.rdns![i] === rdn);
  if (name.text === undefined || base.text === undefined) return null;
  switch (name.form) {
    case "dNSName": return withinDomain(name.text, base.text, true);
    case "rfc822Name": return emailWithin(name.text, base.text);
    case "uniformResourceIdentifier": {
      const host = uriHost(name.text);
      return host !== null && withinDomain(host, base.text, false);
    }
    default: return ipWithin(name.text, base.text);
  }
}

/**
 * DNS names: the base and any name made by adding labels on its left ("example.com" covers
 * "www.example.com"); a leading dot covers subdomains only. URI hosts (`labelsAdded` false)
 * must equal a base without a leading dot (§4.2.1.10).
 */
function withinDomain(name: string, base: string, labelsAdded: boolean): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const b = base.toLowerCase().replace(/\.$/, "");
  if (b === "") return true;
  if (b.startsWith(".")) return n.endsWith(b);
  return n === b || (labelsAdded && n.endsWith(`.${b}`));
}

/** A mailbox ("user@host"), every mailbox at a host ("host"), or at any subdomain (".host"). */
function emailWithin(name: string, base: string): boolean {
  const at = name.lastIndexOf("@");
  if (at < 0) return false;
  if (base.includes("@")) return name.slice(0, at) === base.slice(0, base.lastIndexOf("@")) && name.slice(at + 1).toLowerCase() === base.slice(base.lastIndexOf("@") + 1).toLowerCase();
  const host = name.slice(at + 1).toLowerCase();
  const b = base.toLowerCase();
  return b.startsWith(".") ? host.endsWith(b) : host === b;
}

function uriHost(uri: string): string | null {
  try {
    const host = new URL(uri).hostname;
    return host === "" ? null : host.replace(/^\[|\]$/g, "");
  } catch {
    return null;
  }
}

/** An address SAN against an address/prefix constraint (the parser renders masks as prefixes). */
function ipWithin(address: string, base: string): boolean {
  const [network, prefixText] = base.split("/");
  const family = isIP(address);
  const prefix = Number(prefixText);
  if (!network || family === 0 || isIP(network) !== family || !Number.isInteger(prefix)) return false;
  const block = new BlockList();
  block.addSubnet(network, prefix, family === 4 ? "ipv4" : "ipv6");
  return block.check(address, family === 4 ? "ipv4" : "ipv6");
}
