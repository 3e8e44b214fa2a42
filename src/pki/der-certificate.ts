// One walk over a certificate's DER that reads every field parseCertificate() describes. Why by
// hand: building @peculiar/x509's ASN.1 object model (asn1js, then asn1-schema) was about 40% of
// an import's CPU, measured over 100,000 P-256 leaves; this walk reads the same fields in
// microseconds. It takes only strict DER of the usual shapes (definite lengths, every element
// filling its parent, times as YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ, names of printable ASCII
// strings) and returns null for anything else, which parseCertificate() then reads through the
// ASN.1 model as before: tests/pki/der-certificate.test.ts checks the two agree on every
// certificate of the pyca-x509 and NIST PKITS corpora.
import type { CertificateRecord } from "../model/types.js";
import { EXTENDED_KEY_USAGES, KEY_USAGE_NAMES } from "./oids.js";
import { type Element, children, element, oidText } from "./signatures.js";

/** What parseCertificate() describes, however it was read. */
export interface CertificateFields {
  /** As encoded: 0 for v1 (also when absent). */
  version: number;
  /** The serialNumber INTEGER's content octets. */
  serial: Uint8Array;
  /** As @peculiar/x509 prints a Name ("CN=a, O=b"). */
  subject: string;
  issuer: string;
  emptySubject: boolean;
  emptyIssuer: boolean;
  notBefore: Date;
  notAfter: Date;
  signatureOid: string;
  /** The outer signatureAlgorithm's DER (read for RSASSA-PSS parameters only). */
  signatureDer: () => Uint8Array;
  /** The SubjectPublicKeyInfo as encoded. */
  spki: Buffer;
  keyOid: string;
  /** The key algorithm's parameters, their whole DER; null when absent. */
  keyParameters: Uint8Array | null;
  /** The subjectPublicKey BIT STRING's bits (its unused-bits octet left out). */
  keyBits: Uint8Array;
  extensions: { oid: string; critical: boolean; value: Uint8Array }[];
}

const BOOLEAN = 0x01;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const UTF8_STRING = 0x0c;
const PRINTABLE_STRING = 0x13;
const IA5_STRING = 0x16;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const SEQUENCE = 0x30;
const SET = 0x31;
const VERSION = 0xa0;
const EXTENSIONS = 0xa3;

/** The fields of a certificate in strict, usual DER; null for anything this walk does not read (see above). */
export function readCertificateFields(der: Buffer): CertificateFields | null {
  const certificate = element(der, 0, der.length);
  const parts = certificate?.tag === SEQUENCE && certificate.end === der.length ? children(der, certificate) : null;
  if (parts?.length !== 3) return null;
  const [tbs, signatureAlgorithm, signatureValue] = parts as [Element, Element, Element];
  const fields = tbs.tag === SEQUENCE ? children(der, tbs) : null;
  if (!fields || !bitString(der, signatureValue) || signatureAlgorithm.tag !== SEQUENCE) return null;
  let version = 0;
  if (fields[0]?.tag === VERSION) {
    const inner = children(der, fields.shift()!);
    if (inner?.length !== 1 || inner[0]!.tag !== INTEGER || inner[0]!.end - inner[0]!.start !== 1 || der[inner[0]!.start]! > 2) return null;
    version = der[inner[0]!.start]!;
  }
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then only [3] extensions.
  if (fields.length < 6 || fields.length > 7) return null;
  const [serial, tbsSignature, issuer, validity, subject, spki, extensions] = fields as [Element, Element, Element, Element, Element, Element, Element?];
  if (serial.tag !== INTEGER || serial.end === serial.start || tbsSignature.tag !== SEQUENCE || algorithmOid(der, tbsSignature) === null) return null;
  const signatureOid = algorithmOid(der, signatureAlgorithm);
  const times = validity.tag === SEQUENCE ? children(der, validity) : null;
  const notBefore = times?.length === 2 ? timeOf(der, times[0]!) : null;
  const notAfter = times?.length === 2 ? timeOf(der, times[1]!) : null;
  const subjectText = nameText(der, subject);
  const issuerText = nameText(der, issuer);
  const key = spki.tag === SEQUENCE ? children(der, spki) : null;
  const keyAlgorithm = key?.length === 2 && key[0]!.tag === SEQUENCE ? children(der, key[0]!) : null;
  const keyOid = keyAlgorithm && keyAlgorithm.length <= 2 ? strictOid(der, keyAlgorithm[0]!) : null;
  const bits = key?.[1];
  const extensionList = extensions ? extensionsOf(der, extensions) : [];
  if (signatureOid === null || notBefore === null || notAfter === null || subjectText === null || issuerText === null) return null;
  if (keyOid === null || !bits || !bitString(der, bits) || extensionList === null) return null;
  const parameters = keyAlgorithm![1];
  return {
    version,
    serial: der.subarray(serial.start, serial.end),
    subject: subjectText,
    issuer: issuerText,
    emptySubject: subject.end === subject.start,
    emptyIssuer: issuer.end === issuer.start,
    notBefore,
    notAfter,
    signatureOid,
    signatureDer: () => der.subarray(signatureAlgorithm.header, signatureAlgorithm.end),
    spki: der.subarray(spki.header, spki.end),
    keyOid,
    keyParameters: parameters ? der.subarray(parameters.header, parameters.end) : null,
    keyBits: der.subarray(bits.start + 1, bits.end),
    extensions: extensionList,
  };
}

/** A primitive BIT STRING, its unused-bits octet 0 to 7 (asn1js refuses others). */
function bitString(der: Uint8Array, bits: Element): boolean {
  return bits.tag === BIT_STRING && bits.end > bits.start && der[bits.start]! <= 7;
}

/** An OID in minimal form (no subidentifier led by 0x80, which asn1js may read otherwise). */
function strictOid(der: Uint8Array, oid: Element): string | null {
  for (let i = oid.start; i < oid.end; i++) if (der[i] === 0x80 && (i === oid.start || (der[i - 1]! & 0x80) === 0)) return null;
  return oidText(der, oid);
}

function algorithmOid(der: Uint8Array, algorithm: Element): string | null {
  const parts = children(der, algorithm);
  return parts && parts.length >= 1 && parts.length <= 2 ? strictOid(der, parts[0]!) : null;
}

function extensionsOf(der: Uint8Array, tagged: Element): CertificateFields["extensions"] | null {
  if (tagged.tag !== EXTENSIONS) return null;
  const wrapped = children(der, tagged);
  const list = wrapped?.length === 1 && wrapped[0]!.tag === SEQUENCE ? children(der, wrapped[0]!) : null;
  if (!list) return null;
  const extensions: CertificateFields["extensions"] = [];
  for (const extension of list) {
    const parts = extension.tag === SEQUENCE ? children(der, extension) : null;
    if (!parts || parts.length < 2 || parts.length > 3) return null;
    const oid = strictOid(der, parts[0]!);
    const flag = parts.length === 3 ? parts[1]! : null;
    const value = parts[parts.length - 1]!;
    if (oid === null || value.tag !== OCTET_STRING || (flag && (flag.tag !== BOOLEAN || flag.end - flag.start !== 1))) return null;
    extensions.push({ oid, critical: flag !== null && der[flag.start] !== 0, value: der.subarray(value.start, value.end) });
  }
  return extensions;
}

/** A UTCTime YYMMDDHHMMSSZ (years 1950-2049) or GeneralizedTime YYYYMMDDHHMMSSZ, fields in range. */
function timeOf(der: Uint8Array, time: Element): Date | null {
  const yearDigits = time.tag === UTC_TIME ? 2 : time.tag === GENERALIZED_TIME ? 4 : 0;
  const length = time.end - time.start;
  if (yearDigits === 0 || length !== yearDigits + 11 || der[time.end - 1] !== 0x5a) return null;
  const digits = (from: number, count: number): number => {
    let value = 0;
    for (let i = time.start + from; i < time.start + from + count; i++) {
      const digit = der[i]! - 0x30;
      if (digit < 0 || digit > 9) return NaN;
      value = value * 10 + digit;
    }
    return value;
  };
  let year = digits(0, yearDigits);
  if (yearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((at) => digits(yearDigits + at, 2)) as [number, number, number, number, number];
  // Out-of-range fields (and Date.UTC's two-digit years) go the model's way.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** @peculiar/x509's short names of attribute types (its Name class); others print as OIDs. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

const PLAIN_STRINGS: ReadonlySet<number> = new Set([UTF8_STRING, PRINTABLE_STRING, IA5_STRING]);

/**
 * A Name printed as @peculiar/x509's Name.toString() prints it (RDNs joined by ", ", attributes
 * by "+", RFC 4514 escapes), when every value is a UTF8, Printable or IA5 string of printable
 * ASCII; null otherwise (other strings decode in ways the model knows best).
 */
function nameText(der: Uint8Array, name: Element): string | null {
  const rdns = name.tag === SEQUENCE ? children(der, name) : null;
  if (!rdns) return null;
  const printed: string[] = [];
  for (const rdn of rdns) {
    const attributes = rdn.tag === SET ? children(der, rdn) : null;
    if (!attributes || attributes.length === 0) return null;
    const parts: string[] = [];
    for (const attribute of attributes) {
      const typeAndValue = attribute.tag === SEQUENCE ? children(der, attribute) : null;
      if (typeAndValue?.length !== 2) return null;
      const type = strictOid(der, typeAndValue[0]!);
      const value = typeAndValue[1]!;
      if (type === null || !PLAIN_STRINGS.has(value.tag)) return null;
      if (!printableAscii(der, value)) return null;
      parts.push(`${ATTRIBUTE_NAMES[type] ?? type}=${escapeValue(latin1(der, value))}`);
    }
    printed.push(parts.join("+"));
  }
  return printed.join(", ");
}

/** x509's escape() for printable ASCII (its control-character rule cannot apply). */
function escapeValue(text: string): string {
  return text.replace(/([,+"\\<>;])/g, "\\$1").replace(/^([ #])/, "\\$1").replace(/([ ]$)/, "\\$1");
}

/** The record's fields the extensions fill. */
export type ExtensionFields = Pick<
  CertificateRecord,
  | "sans"
  | "hasSanExtension"
  | "isCA"
  | "pathLength"
  | "keyUsage"
  | "extendedKeyUsage"
  | "authorityKeyId"
  | "subjectKeyId"
  | "crlDistributionPoints"
  | "ocspUrls"
  | "caIssuersUrls"
  | "certificatePolicies"
  | "cpsUris"
>;

/**
 * What an extension of the usual shape sets, read from its value's DER; null when the extension is
 * not one read here or not of that shape (parseCertificate() then decodes it with
 * @peculiar/asn1-x509, which was about 30% of an import's CPU once the certificate itself was walked).
 */
export function walkExtension(oid: string, value: Uint8Array): Partial<ExtensionFields> | null {
  const outer = element(value, 0, value.length);
  if (!outer || outer.end !== value.length) return null;
  return EXTENSION_WALKS[oid]?.(value, outer) ?? null;
}

type ExtensionWalk = (der: Uint8Array, outer: Element) => Partial<ExtensionFields> | null;

const hex = (der: Uint8Array, from: number, to: number): string => Buffer.from(der.buffer, der.byteOffset + from, to - from).toString("hex");

/** The elements of a SEQUENCE (OF), or null. */
const sequence = (der: Uint8Array, outer: Element): Element[] | null => (outer.tag === SEQUENCE ? children(der, outer) : null);

const EXTENSION_WALKS: Readonly<Record<string, ExtensionWalk>> = {
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
  "2.5.29.19": (der, outer) => {
    const parts = sequence(der, outer);
    if (!parts || parts.length > 2) return null;
    const [first, second] = parts;
    const flag = first?.tag === BOOLEAN ? first : null;
    const limit = flag ? second : first;
    if ((flag && flag.end - flag.start !== 1) || (flag === null && parts.length === 2)) return null;
    // A small non-negative pathLen only (asn1-schema reads longer INTEGERs its own ways).
    if (limit && (limit.tag !== INTEGER || limit.end - limit.start !== 1 || der[limit.start]! > 0x7f)) return null;
    return { isCA: flag !== null && der[flag.start] !== 0, pathLength: limit ? der[limit.start]! : null };
  },
  // KeyUsage ::= BIT STRING, bit 0 (digitalSignature) the first octet's high bit.
  "2.5.29.15": (der, outer) => {
    if (!bitString(der, outer)) return null;
    const unused = der[outer.start]!;
    const bitCount = (outer.end - outer.start - 1) * 8 - unused;
    if (bitCount < 0 || (bitCount === 0 && unused !== 0)) return null;
    const set = (bit: number): boolean => bit < bitCount && (der[outer.start + 1 + (bit >> 3)]! & (0x80 >> (bit & 7))) !== 0;
    return { keyUsage: KEY_USAGE_NAMES.filter((_, bit) => set(bit)) };
  },
  // ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId (OID)
  "2.5.29.37": (der, outer) => {
    const oids = sequence(der, outer)?.map((purpose) => strictOid(der, purpose));
    if (!oids || oids.includes(null)) return null;
    return { extendedKeyUsage: (oids as string[]).map((oid) => EXTENDED_KEY_USAGES[oid] ?? oid) };
  },
  "2.5.29.17": (der, outer) => {
    const sans = generalNames(der, outer);
    return sans ? { hasSanExtension: true, sans: sans.map((name) => `${name.kind}:${name.text}`) } : null;
  },
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }: the usual one, alone.
  "2.5.29.35": (der, outer) => {
    const parts = sequence(der, outer);
    if (!parts || parts.length > 1 || (parts[0] && parts[0].tag !== 0x80)) return null;
    return { authorityKeyId: parts[0] ? hex(der, parts[0].start, parts[0].end) : null };
  },
  // SubjectKeyIdentifier ::= OCTET STRING
  "2.5.29.14": (der, outer) => (outer.tag === OCTET_STRING ? { subjectKeyId: hex(der, outer.start, outer.end) } : null),
  // CRLDistributionPoints ::= SEQUENCE OF SEQUENCE { distributionPoint [0] { fullName [0] GeneralNames } }: the usual shape only.
  "2.5.29.31": (der, outer) => {
    const urls: string[] = [];
    for (const point of sequence(der, outer) ?? [null]) {
      const parts = point && sequence(der, point);
      const name = parts?.length === 1 && parts[0]!.tag === 0xa0 ? children(der, parts[0]!) : null;
      const full = name?.length === 1 && name[0]!.tag === 0xa0 ? namesIn(der, children(der, name[0]!)) : null;
      if (!full || full.some((n) => n.kind !== "URL")) return null;
      urls.push(...full.map((n) => n.text));
    }
    return { crlDistributionPoints: urls };
  },
  // AuthorityInfoAccessSyntax ::= SEQUENCE OF SEQUENCE { accessMethod OID, accessLocation GeneralName }
  "1.3.6.1.5.5.7.1.1": (der, outer) => {
    const ocspUrls: string[] = [];
    const caIssuersUrls: string[] = [];
    for (const access of sequence(der, outer) ?? [null]) {
      const parts = access && sequence(der, access);
      const method = parts?.length === 2 ? strictOid(der, parts[0]!) : null;
      const location = method === null ? null : generalName(der, parts![1]!);
      if (!location) return null;
      if (location.kind !== "URL") continue;
      if (method === "1.3.6.1.5.5.7.48.1") ocspUrls.push(location.text);
      else if (method === "1.3.6.1.5.5.7.48.2") caIssuersUrls.push(location.text);
    }
    return { ocspUrls, caIssuersUrls };
  },
};

/** The GeneralName forms read here, as describeGeneralName names them, by their IMPLICIT tags. */
const GENERAL_NAME_KINDS: ReadonlyMap<number, string> = new Map([
  [0x81, "EMAIL"], // rfc822Name
  [0x82, "DNS"], // dNSName
  [0x86, "URL"], // uniformResourceIdentifier
]);

interface GeneralName {
  kind: string;
  text: string;
}

/** A GeneralName of an IA5String form in printable ASCII, or null. */
function generalName(der: Uint8Array, name: Element): GeneralName | null {
  const kind = GENERAL_NAME_KINDS.get(name.tag);
  return kind !== undefined && printableAscii(der, name) ? { kind, text: latin1(der, name) } : null;
}

/** GeneralNames (a SEQUENCE OF GeneralName) read by generalName(); null when any is another form. */
function generalNames(der: Uint8Array, outer: Element): GeneralName[] | null {
  return namesIn(der, sequence(der, outer));
}

function namesIn(der: Uint8Array, names: Element[] | null): GeneralName[] | null {
  const read = names?.map((name) => generalName(der, name));
  return read && !read.includes(null) ? (read as GeneralName[]) : null;
}

function printableAscii(der: Uint8Array, value: Element): boolean {
  for (let i = value.start; i < value.end; i++) if (der[i]! < 0x20 || der[i]! > 0x7e) return false;
  return true;
}

function latin1(der: Uint8Array, value: Element): string {
  return Buffer.from(der.buffer, der.byteOffset + value.start, value.end - value.start).toString("latin1");
}
