// Reads X.509 CRLs (RFC 5280 section 5, CertificateList) straight from their DER, without an
// object per revoked entry. Written by hand on purpose: every ASN.1 library here (asn1js/pkijs,
// @peculiar/x509) builds a tree of the whole list, about 9 KB and 200 µs per entry, so a
// 1M-entry enterprise CRL costs minutes and gigabytes, and asn1js' default limits reject CRLs of
// about 2,000 entries with a misleading error (../shared/docs/stack-notes.md). No library walks a
// CRL without that tree, so this is a small DER walker: every TLV header is checked against its
// parent and the buffer (definite lengths only, nothing allocated from a declared length), all
// entries are counted, and only entries whose serial the caller asks about are decoded. Only the
// issuer Name goes through @peculiar/x509 (loaded on first use, x509-model.ts), once, to be printed.
import type { KeyObject } from "node:crypto";
import { derLength, describeSignatureAlgorithm, pssParameters, RSASSA_PSS, verifySignature } from "./signatures.js";
import { sha256Hex } from "./certificate.js";
import { normalisedNameKey } from "./der-names.js";
import { x509Model } from "./x509-model.js";

/** RFC 5280 5.3.1 CRLReason names; a value outside the enumeration keeps its number. */
export type CrlReasonName =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "removeFromCRL"
  | "privilegeWithdrawn"
  | "aACompromise";
export type CrlReason = CrlReasonName | `unrecognized(${number})`;

/** RFC 5280 4.2.1.13 ReasonFlags, by bit (bit 0 is unused): the reasons a scoped CRL covers. */
export const REASON_FLAGS = [
  "keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", "privilegeWithdrawn", "aACompromise",
] as const;
export type ReasonFlag = (typeof REASON_FLAGS)[number];

/**
 * A GeneralName as a comparable key: "dn:" and a directoryName compared as RFC 5280 7.1 says
 * (normalisedNameKey), "uri:" and a URI, or "der:" and the hex of any other form.
 */
export type NameKey = string;

/** DistributionPointName: a full name, or a name relative to the CRL issuer (an RDN's DER, as a SET). */
export type DistributionPointName = { fullName: NameKey[] } | { relativeName: Buffer };

/** IssuingDistributionPoint, RFC 5280 5.2.5. */
export interface IssuingDistributionPoint {
  name: DistributionPointName | null;
  onlyUserCerts: boolean;
  onlyCaCerts: boolean;
  onlyAttributeCerts: boolean;
  /** null: all reasons. */
  onlySomeReasons: ReasonFlag[] | null;
  indirect: boolean;
  /** The extension value's hex: a delta CRL applies over a complete CRL of the same scope. */
  der: string;
}

/** A certificate's DistributionPoint, RFC 5280 4.2.1.13. */
export interface CertificateDistributionPoint {
  name: DistributionPointName | null;
  /** null: all reasons. */
  reasons: ReasonFlag[] | null;
  crlIssuer: NameKey[] | null;
}

export interface CrlEntryMatch {
  /** normalizeSerial() form: the INTEGER's bytes without leading zeros, so read it with `negative`. */
  serial: string;
  /** The INTEGER is negative (RFC 5280 forbids it; PKITS lists -1 to see it not taken for 255). */
  negative: boolean;
  /** In an indirect CRL, the issuer the entry is about (certificateIssuer, carried over from earlier entries); null: the CRL's issuer. */
  certificateIssuer: NameKey[] | null;
  revocationDate: string;
  reason: CrlReason | null;
  invalidityDate: string | null;
  /** OIDs of critical entry extensions this reader does not interpret (e.g. certificateIssuer in indirect CRLs). */
  unhandledCriticalExtensions: string[];
}

/**
 * A CRL as read. The Buffer fields are views into the DER that was read (no copies): keeping a
 * CrlInfo keeps that DER alive, so copy out what must outlive it.
 */
export interface CrlInfo {
  /** Of the DER (after PEM decoding). */
  sha256: string;
  size: number;
  /** 1 or 2. */
  version: number;
  /** The issuer Name exactly as encoded, to match certificates' issuer and subject names. */
  issuerNameDer: Buffer;
  /** sha256 hex of issuerNameDer: the name hash the inventory indexes certificates by. */
  issuerNameHash: string;
  issuer: string;
  thisUpdate: string;
  nextUpdate: string | null;
  /** Hex, normalizeSerial() form. */
  crlNumber: string | null;
  deltaCrlIndicator: string | null;
  authorityKeyId: string | null;
  /** The CRL's scope (RFC 5280 5.2.5); null when it covers every certificate of its issuer, for every reason. */
  issuingDistributionPoint: IssuingDistributionPoint | null;
  /** OIDs of critical CRL extensions this reader does not interpret. */
  unhandledCriticalExtensions: string[];
  entryCount: number;
  signatureAlgorithmOid: string;
  signatureAlgorithm: string;
  /** The algorithm's hash (for RSASSA-PSS, from its parameters); null for EdDSA or an unknown hash. */
  signatureHash: string | null;
  /** The whole AlgorithmIdentifier (RSASSA-PSS parameters live in it). */
  signatureAlgorithmDer: Buffer;
  /** The signed bytes, tbsCertList. */
  tbs: Buffer;
  /** The BIT STRING contents without the unused-bits byte. */
  signature: Buffer;
  /** Entries whose serial is in `wantedSerials`, in CRL order (a serial listed twice appears twice). */
  matches: CrlEntryMatch[];
}

export type CrlErrorCode =
  | "not-der"
  | "bad-pem"
  | "truncated"
  | "unsupported-length"
  | "bad-structure"
  | "bad-version"
  | "bad-time"
  | "duplicate-extension";

export class CrlParseError extends Error {
  constructor(
    readonly code: CrlErrorCode,
    message: string,
    /** Byte offset in the DER where the problem was found, when there is one. */
    readonly offset: number | null = null,
  ) {
    super(offset === null ? message : `${message} (at byte ${offset})`);
    this.name = "CrlParseError";
  }
}

const BOOLEAN = 0x01;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const ENUMERATED = 0x0a;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const SEQUENCE = 0x30;
const TIME = [UTC_TIME, GENERALIZED_TIME] as const;
/** [n] EXPLICIT, constructed. */
const context = (n: number): number => 0xa0 | n;
/** [0] IMPLICIT OCTET STRING: AuthorityKeyIdentifier's keyIdentifier. */
const KEY_IDENTIFIER = 0x80;

const EXT_CRL_NUMBER = "2.5.29.20";
const EXT_DELTA_CRL_INDICATOR = "2.5.29.27";
const EXT_AUTHORITY_KEY_ID = "2.5.29.35";
const EXT_REASON_CODE = "2.5.29.21";
const EXT_INVALIDITY_DATE = "2.5.29.24";
const EXT_ISSUING_DISTRIBUTION_POINT = "2.5.29.28";
const EXT_CERTIFICATE_ISSUER = "2.5.29.29";
const EXT_CRL_DISTRIBUTION_POINTS = "2.5.29.31";
const EXT_KEY_USAGE = "2.5.29.15";
const SET = 0x31;
/** [n] IMPLICIT, primitive. */
const implicit = (n: number): number => 0x80 | n;

/** Indexed by reason code; 7 is unassigned. */
const REASONS: readonly (CrlReasonName | undefined)[] = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  undefined,
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

/**
 * A decoded TLV header. Mutable so the entry loop can reuse a few of them rather than allocate
 * per entry.
 */
class Tlv {
  tag = 0;
  start = 0;
  contentStart = 0;
  end = 0;
  get length(): number {
    return this.end - this.contentStart;
  }
}

// Four length octets reach 4 GiB, past any Buffer here, so longer length forms can only be hostile.
const MAX_LENGTH_OCTETS = 4;

// Running past the buffer is truncation; running past a parent that fits is a lie about lengths.
function overrun(der: Buffer, offset: number, limit: number, what: string): CrlParseError {
  return limit >= der.length
    ? new CrlParseError("truncated", `${what} runs past the end of the data`, offset)
    : new CrlParseError("bad-structure", `${what} overruns its enclosing element`, offset);
}

/**
 * Reads the header at `offset`; the element must end by `limit` (its parent's end). Called once
 * per element of a million-entry list: it allocates nothing and creates no closure.
 */
function readTlv(der: Buffer, offset: number, limit: number, into: Tlv = new Tlv()): Tlv {
  if (offset + 2 > limit) throw overrun(der, offset, limit, "TLV header");
  const tag = der[offset]!;
  // High tag numbers (0x1f) never occur in the parts of a CRL this reader walks.
  if ((tag & 0x1f) === 0x1f) throw new CrlParseError("bad-structure", `unexpected multi-byte tag 0x${tag.toString(16)}`, offset);
  const first = der[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first === 0x80) throw new CrlParseError("unsupported-length", "indefinite length (BER, not DER)", offset);
  if (first > 0x80) {
    const octets = first & 0x7f;
    if (octets > MAX_LENGTH_OCTETS) throw new CrlParseError("unsupported-length", `length of ${octets} octets`, offset);
    if (contentStart + octets > limit) throw overrun(der, offset, limit, "length octets");
    // Non-minimal length forms are tolerated: they change nothing read here, and the signature
    // covers the bytes as they are.
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += octets;
  }
  if (contentStart + length > limit) throw overrun(der, offset, limit, `element of ${length} bytes`);
  into.tag = tag;
  into.start = offset;
  into.contentStart = contentStart;
  into.end = contentStart + length;
  return into;
}

const hexTag = (tag: number): string => `0x${tag.toString(16).padStart(2, "0")}`;

function expectTlv(der: Buffer, offset: number, limit: number, tags: number | readonly number[], what: string, into?: Tlv): Tlv {
  const tlv = readTlv(der, offset, limit, into);
  const ok = typeof tags === "number" ? tlv.tag === tags : tags.includes(tlv.tag);
  if (!ok) {
    const wanted = typeof tags === "number" ? hexTag(tags) : tags.map(hexTag).join(" or ");
    throw new CrlParseError("bad-structure", `${what}: expected tag ${wanted}, found ${hexTag(tlv.tag)}`, offset);
  }
  return tlv;
}

/** The children of one constructed element, read in order. */
class Children {
  private pos: number;
  constructor(
    private readonly der: Buffer,
    private readonly parent: Tlv,
    private readonly what: string,
  ) {
    this.pos = parent.contentStart;
  }

  private peek(): number | null {
    return this.pos < this.parent.end ? this.der[this.pos]! : null;
  }

  hasMore(): boolean {
    return this.pos < this.parent.end;
  }

  next(what: string, tags: number | readonly number[]): Tlv {
    const tlv = expectTlv(this.der, this.pos, this.parent.end, tags, `${this.what}.${what}`);
    this.pos = tlv.end;
    return tlv;
  }

  /** Any element (e.g. algorithm parameters, whose type depends on the algorithm). */
  nextAny(): Tlv {
    const tlv = readTlv(this.der, this.pos, this.parent.end);
    this.pos = tlv.end;
    return tlv;
  }

  optional(what: string, tags: number | readonly number[]): Tlv | null {
    const tag = this.peek();
    const matches = tag !== null && (typeof tags === "number" ? tag === tags : tags.includes(tag));
    return matches ? this.next(what, tags) : null;
  }

  end(): void {
    if (this.pos !== this.parent.end) throw new CrlParseError("bad-structure", `${this.what}: unexpected element ${hexTag(this.der[this.pos]!)}`, this.pos);
  }
}

/** The one element an OCTET STRING (extnValue) or explicit tag wraps, filling it exactly. */
function single(der: Buffer, wrapper: Tlv, tags: number | readonly number[], what: string): Tlv {
  const tlv = expectTlv(der, wrapper.contentStart, wrapper.end, tags, what);
  if (tlv.end !== wrapper.end) throw new CrlParseError("bad-structure", `${what}: trailing bytes`, tlv.end);
  return tlv;
}

// ---------------------------------------------------------------------------------------------
// Input

const PEM_BEGIN = "-----BEGIN X509 CRL-----";
const PEM_END = "-----END X509 CRL-----";

/** The DER of a CRL given as DER or as (the first) PEM `X509 CRL` block with text around it. */
export function crlDer(input: Buffer): Buffer {
  if (input[0] === SEQUENCE) return input;
  const begin = input.indexOf(PEM_BEGIN);
  if (begin < 0) throw new CrlParseError("not-der", "neither DER (a SEQUENCE) nor a PEM X509 CRL block");
  const bodyStart = begin + PEM_BEGIN.length;
  const end = input.indexOf(PEM_END, bodyStart);
  if (end < 0) throw new CrlParseError("bad-pem", `${PEM_BEGIN} without ${PEM_END}`);
  const body = input.toString("latin1", bodyStart, end);
  // Node's base64 decoder skips what it does not know; refuse such bodies instead of misreading them.
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) throw new CrlParseError("bad-pem", "PEM body is not base64");
  return Buffer.from(body, "base64");
}

// ---------------------------------------------------------------------------------------------
// Serials

/**
 * Canonical serial text for matching certificates against CRL entries: lowercase hex, an even
 * number of digits, no colons, no leading zero bytes (at least one byte). Serials are compared as
 * unsigned magnitudes because their printed forms disagree about zeros: DER pads positive serials
 * whose first bit is set with 00, which colon-separated dumps keep and node:crypto drops, while
 * @peculiar/x509 drops that pad but keeps the zeros of a non-minimal encoding, as some CAs write
 * in CRL entries. (A negative serial, forbidden by RFC 5280, could collide with a positive one;
 * that is accepted.)
 */
export function normalizeSerial(hex: string): string {
  const digits = hex.replace(/[:\s]/g, "").toLowerCase();
  if (!/^[0-9a-f]+$/.test(digits)) throw new TypeError(`not a hexadecimal serial number: ${JSON.stringify(hex.slice(0, 80))}`);
  const even = digits.length % 2 === 1 ? `0${digits}` : digits;
  return even.replace(/^(?:00)+(?=..)/, "");
}

function skipLeadingZeros(bytes: Uint8Array, start: number, end: number): number {
  while (end - start > 1 && bytes[start] === 0) start++;
  return start;
}

/** INTEGER contents as normalizeSerial() text. */
function unsignedHex(der: Buffer, tlv: Tlv): string {
  if (tlv.length === 0) throw new CrlParseError("bad-structure", "empty INTEGER", tlv.start);
  return der.toString("hex", skipLeadingZeros(der, tlv.contentStart, tlv.end), tlv.end);
}

// FNV-1a over the serial's last (at most) 8 bytes and its length, read in place so looking an
// entry up allocates nothing: serials differ in their low bytes whether sequential or random, and
// a full comparison settles collisions. Cut to 30 bits, which V8 keeps unboxed.
const HASHED_BYTES = 8;
function serialHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  for (let i = Math.max(start, end - HASHED_BYTES); i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash & 0x3fffffff;
}

// A bit per hash value modulo 2^20: most unwanted entries are ruled out without a Map lookup.
const FILTER_BITS = 1 << 20;

/** The wanted serials as bytes, bucketed by hash; entries are looked up without decoding them. */
class SerialIndex {
  private readonly buckets = new Map<number, Buffer[]>();
  private readonly filter = new Uint8Array(FILTER_BITS / 8);

  constructor(serials: Iterable<string>) {
    for (const serial of serials) {
      const bytes = Buffer.from(normalizeSerial(serial), "hex");
      const key = serialHash(bytes, 0, bytes.length);
      this.filter[(key & (FILTER_BITS - 1)) >>> 3]! |= 1 << (key & 7);
      const bucket = this.buckets.get(key);
      if (bucket === undefined) this.buckets.set(key, [bytes]);
      else if (!bucket.some((b) => b.equals(bytes))) bucket.push(bytes);
    }
  }

  has(der: Buffer, start: number, end: number): boolean {
    const from = skipLeadingZeros(der, start, end);
    const key = serialHash(der, from, end);
    if ((this.filter[(key & (FILTER_BITS - 1)) >>> 3]! & (1 << (key & 7))) === 0) return false;
    const bucket = this.buckets.get(key);
    return bucket !== undefined && bucket.some((wanted) => der.compare(wanted, 0, wanted.length, from, end) === 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Primitive values

function oidText(der: Buffer, tlv: Tlv): string {
  if (tlv.length === 0 || (der[tlv.end - 1]! & 0x80) !== 0) throw new CrlParseError("bad-structure", "malformed OBJECT IDENTIFIER", tlv.start);
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const byte = der[i]!;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

// Reason codes: small by definition, so anything longer is refused.
function smallInteger(der: Buffer, tlv: Tlv, what: string): number {
  if (tlv.length === 0 || tlv.length > 4 || (der[tlv.contentStart]! & 0x80) !== 0) {
    throw new CrlParseError("bad-structure", `${what}: not a small non-negative integer`, tlv.start);
  }
  return der.readUIntBE(tlv.contentStart, tlv.length);
}

const TIME_PATTERNS: Readonly<Record<number, RegExp>> = {
  [UTC_TIME]: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/,
  [GENERALIZED_TIME]: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/,
};

/** RFC 5280 5.1.2.4: UTCTime YYMMDDHHMMSSZ (years 1950–2049), GeneralizedTime YYYYMMDDHHMMSSZ. */
function timeIso(der: Buffer, tlv: Tlv, what: string): string {
  const bad = (): CrlParseError => new CrlParseError("bad-time", `${what}: not a valid DER time`, tlv.start);
  // Both forms are at most 15 bytes: check before turning bytes into text.
  if (tlv.length > 15) throw bad();
  const match = TIME_PATTERNS[tlv.tag]?.exec(der.toString("latin1", tlv.contentStart, tlv.end));
  if (!match) throw bad();
  const [, y, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const year = tlv.tag === UTC_TIME ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  // Date rolls 31 February into March; a time that does not round-trip is invalid.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw bad();
  }
  return date.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Extensions

interface ExtensionRef {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING. */
  value: Tlv;
}

function readExtensions(der: Buffer, list: Tlv, what: string): ExtensionRef[] {
  const items = new Children(der, list, what);
  const extensions: ExtensionRef[] = [];
  const seen = new Set<string>();
  while (items.hasMore()) {
    const fields = new Children(der, items.next("Extension", SEQUENCE), `${what}.Extension`);
    const oid = oidText(der, fields.next("extnID", OID));
    const criticalTlv = fields.optional("critical", BOOLEAN);
    const critical = criticalTlv !== null && criticalTlv.length === 1 && der[criticalTlv.contentStart] !== 0;
    const value = fields.next("extnValue", OCTET_STRING);
    fields.end();
    // RFC 5280 4.2 and 5.2: an extension appears at most once; which copy counts would be a guess.
    if (seen.has(oid)) throw new CrlParseError("duplicate-extension", `${what}: extension ${oid} appears twice`, value.start);
    seen.add(oid);
    extensions.push({ oid, critical, value });
  }
  return extensions;
}

interface CrlExtensionFields {
  crlNumber: string | null;
  deltaCrlIndicator: string | null;
  authorityKeyId: string | null;
  issuingDistributionPoint: IssuingDistributionPoint | null;
  unhandledCriticalExtensions: string[];
}

function crlExtensionFields(der: Buffer, wrapper: Tlv | null): CrlExtensionFields {
  const fields: CrlExtensionFields = { crlNumber: null, deltaCrlIndicator: null, authorityKeyId: null, issuingDistributionPoint: null, unhandledCriticalExtensions: [] };
  if (wrapper === null) return fields;
  for (const ext of readExtensions(der, single(der, wrapper, SEQUENCE, "crlExtensions"), "crlExtensions")) {
    if (ext.oid === EXT_CRL_NUMBER) fields.crlNumber = unsignedHex(der, single(der, ext.value, INTEGER, "cRLNumber"));
    else if (ext.oid === EXT_DELTA_CRL_INDICATOR) fields.deltaCrlIndicator = unsignedHex(der, single(der, ext.value, INTEGER, "deltaCRLIndicator"));
    else if (ext.oid === EXT_AUTHORITY_KEY_ID) fields.authorityKeyId = keyIdentifier(der, single(der, ext.value, SEQUENCE, "authorityKeyIdentifier"));
    else if (ext.oid === EXT_ISSUING_DISTRIBUTION_POINT) fields.issuingDistributionPoint = issuingDistributionPoint(der, ext.value);
    else if (ext.critical) fields.unhandledCriticalExtensions.push(ext.oid);
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Names and scopes (issuing distribution points, certificates' distribution points)

/** The key of a directoryName (a Name's DER): equal for names RFC 5280 7.1 calls equal; an unreadable Name keys by its bytes. */
export const directoryNameKey = (nameDer: Buffer): NameKey => `dn:${normalisedNameKey(nameDer) ?? `#${sha256Hex(nameDer)}`}`;

function nameKey(der: Buffer, name: Tlv): NameKey {
  if (name.tag === context(4)) {
    const dn = single(der, name, SEQUENCE, "directoryName");
    return directoryNameKey(der.subarray(dn.start, dn.end));
  }
  if (name.tag === implicit(6)) return `uri:${der.toString("latin1", name.contentStart, name.end)}`;
  return `der:${der.toString("hex", name.start, name.end)}`;
}

function generalNames(der: Buffer, list: Tlv, what: string): NameKey[] {
  const items = new Children(der, list, what);
  const keys: NameKey[] = [];
  while (items.hasMore()) keys.push(nameKey(der, items.nextAny()));
  if (keys.length === 0) throw new CrlParseError("bad-structure", `${what}: no names`, list.start);
  return keys;
}

function distributionPointName(der: Buffer, wrapper: Tlv): DistributionPointName {
  const choice = single(der, wrapper, [context(0), context(1)], "distributionPoint");
  if (choice.tag === context(0)) return { fullName: generalNames(der, choice, "fullName") };
  // [1] IMPLICIT RelativeDistinguishedName: re-tagged as the SET it is, to append to a Name.
  return { relativeName: Buffer.concat([Buffer.from([SET]), der.subarray(choice.start + 1, choice.end)]) };
}

/**
 * The names a DistributionPointName stands for: a relative name is appended to the name of the
 * CRL issuer (RFC 5280 4.2.1.13, 5.2.5), `issuerNameDer`.
 */
export function distributionPointNames(name: DistributionPointName, issuerNameDer: Buffer): NameKey[] {
  if ("fullName" in name) return name.fullName;
  const issuer = expectTlv(issuerNameDer, 0, issuerNameDer.length, SEQUENCE, "issuer");
  const content = Buffer.concat([issuerNameDer.subarray(issuer.contentStart, issuer.end), name.relativeName]);
  return [directoryNameKey(Buffer.concat([Buffer.from([SEQUENCE]), derLength(content.length), content]))];
}

/** Whether bit `bit` of a BIT STRING is set (bit 0 is the first, most significant). */
function bitSet(der: Buffer, bits: Tlv, bit: number): boolean {
  if (bits.length === 0) throw new CrlParseError("bad-structure", "empty BIT STRING", bits.start);
  const at = bits.contentStart + 1 + (bit >> 3);
  return at < bits.end && (der[at]! & (0x80 >> (bit & 7))) !== 0;
}

const reasonFlags = (der: Buffer, bits: Tlv): ReasonFlag[] => REASON_FLAGS.filter((_, i) => bitSet(der, bits, i + 1));

function implicitBoolean(tlv: Tlv | null, der: Buffer): boolean {
  return tlv !== null && tlv.length === 1 && der[tlv.contentStart] !== 0;
}

function issuingDistributionPoint(der: Buffer, value: Tlv): IssuingDistributionPoint {
  const idp = single(der, value, SEQUENCE, "issuingDistributionPoint");
  const fields = new Children(der, idp, "issuingDistributionPoint");
  const name = fields.optional("distributionPoint", context(0));
  const onlyUserCerts = implicitBoolean(fields.optional("onlyContainsUserCerts", implicit(1)), der);
  const onlyCaCerts = implicitBoolean(fields.optional("onlyContainsCACerts", implicit(2)), der);
  const reasons = fields.optional("onlySomeReasons", implicit(3));
  const indirect = implicitBoolean(fields.optional("indirectCRL", implicit(4)), der);
  const onlyAttributeCerts = implicitBoolean(fields.optional("onlyContainsAttributeCerts", implicit(5)), der);
  fields.end();
  return {
    name: name === null ? null : distributionPointName(der, name),
    onlyUserCerts, onlyCaCerts, onlyAttributeCerts,
    onlySomeReasons: reasons === null ? null : reasonFlags(der, reasons),
    indirect,
    der: der.toString("hex", idp.start, idp.end),
  };
}

function distributionPoints(der: Buffer, value: Tlv): CertificateDistributionPoint[] {
  const items = new Children(der, single(der, value, SEQUENCE, "cRLDistributionPoints"), "cRLDistributionPoints");
  const points: CertificateDistributionPoint[] = [];
  while (items.hasMore()) {
    const fields = new Children(der, items.next("DistributionPoint", SEQUENCE), "DistributionPoint");
    const name = fields.optional("distributionPoint", context(0));
    const reasons = fields.optional("reasons", implicit(1));
    const crlIssuer = fields.optional("cRLIssuer", context(2));
    fields.end();
    points.push({
      name: name === null ? null : distributionPointName(der, name),
      reasons: reasons === null ? null : reasonFlags(der, reasons),
      crlIssuer: crlIssuer === null ? null : generalNames(der, crlIssuer, "cRLIssuer"),
    });
  }
  return points;
}

/** What judging a certificate against CRLs needs from it, read from its DER (its parsed record drops the serial's sign). */
export interface CertificateRevocationFields {
  /** normalizeSerial() form of the INTEGER's bytes, read with `negative`. */
  serial: string;
  negative: boolean;
  issuerNameDer: Buffer;
  /** null: no cRLDistributionPoints extension. */
  distributionPoints: CertificateDistributionPoint[] | null;
  /** keyUsage is absent or asserts cRLSign (RFC 5280 4.2.1.3, 6.3.3 f). */
  mayCrlSign: boolean;
}

/** Throws CrlParseError when the certificate's DER does not have the shape RFC 5280 gives it. */
export function certificateRevocationFields(der: Buffer): CertificateRevocationFields {
  const outer = expectTlv(der, 0, der.length, SEQUENCE, "Certificate");
  const tbs = new Children(der, expectTlv(der, outer.contentStart, outer.end, SEQUENCE, "tbsCertificate"), "tbsCertificate");
  tbs.optional("version", context(0));
  const serial = tbs.next("serialNumber", INTEGER);
  if (serial.length === 0) throw new CrlParseError("bad-structure", "serialNumber: empty INTEGER", serial.start);
  tbs.next("signature", SEQUENCE);
  const issuer = tbs.next("issuer", SEQUENCE);
  for (const what of ["validity", "subject", "subjectPublicKeyInfo"]) tbs.next(what, SEQUENCE);
  tbs.optional("issuerUniqueID", implicit(1));
  tbs.optional("subjectUniqueID", implicit(2));
  const extensions = tbs.optional("extensions", context(3));
  const fields: CertificateRevocationFields = {
    serial: unsignedHex(der, serial),
    negative: (der[serial.contentStart]! & 0x80) !== 0,
    issuerNameDer: der.subarray(issuer.start, issuer.end),
    distributionPoints: null,
    mayCrlSign: true,
  };
  for (const ext of extensions === null ? [] : readExtensions(der, single(der, extensions, SEQUENCE, "extensions"), "extensions")) {
    if (ext.oid === EXT_CRL_DISTRIBUTION_POINTS) fields.distributionPoints = distributionPoints(der, ext.value);
    // keyUsage bit 6 is cRLSign.
    else if (ext.oid === EXT_KEY_USAGE) fields.mayCrlSign = bitSet(der, single(der, ext.value, BIT_STRING, "keyUsage"), 6);
  }
  return fields;
}

function keyIdentifier(der: Buffer, aki: Tlv): string | null {
  const parts = new Children(der, aki, "authorityKeyIdentifier");
  while (parts.hasMore()) {
    const part = parts.nextAny();
    if (part.tag === KEY_IDENTIFIER) return der.toString("hex", part.contentStart, part.end);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Entries

/**
 * Counts the revokedCertificates entries, checking each one's shape (a SEQUENCE of INTEGER, Time
 * and optional extensions, exactly filled) from headers alone, and decodes the wanted ones.
 * The only allocations are for matches.
 */
function walkEntries(der: Buffer, list: Tlv, wanted: SerialIndex | null, matches: CrlEntryMatch[], indirect: boolean): number {
  // In an indirect CRL each entry's issuer is the last certificateIssuer given (RFC 5280 5.3.3):
  // every entry's extensions are read there, and only there.
  let certificateIssuer: NameKey[] | null = null;
  const entry = new Tlv();
  const serial = new Tlv();
  const date = new Tlv();
  const extensions = new Tlv();
  let count = 0;
  for (let pos = list.contentStart; pos < list.end; pos = entry.end) {
    expectTlv(der, pos, list.end, SEQUENCE, "revokedCertificates entry", entry);
    expectTlv(der, entry.contentStart, entry.end, INTEGER, "userCertificate", serial);
    if (serial.length === 0) throw new CrlParseError("bad-structure", "userCertificate: empty INTEGER", serial.start);
    expectTlv(der, serial.end, entry.end, TIME, "revocationDate", date);
    const hasExtensions = date.end !== entry.end;
    if (hasExtensions && expectTlv(der, date.end, entry.end, SEQUENCE, "crlEntryExtensions", extensions).end !== entry.end) {
      throw new CrlParseError("bad-structure", "revokedCertificates entry: unexpected element after crlEntryExtensions", extensions.end);
    }
    count++;
    if (indirect && hasExtensions) certificateIssuer = entryCertificateIssuer(der, extensions) ?? certificateIssuer;
    if (wanted !== null && wanted.has(der, serial.contentStart, serial.end)) {
      matches.push(decodeEntry(der, serial, date, hasExtensions ? extensions : null, indirect, certificateIssuer));
    }
  }
  return count;
}

function entryCertificateIssuer(der: Buffer, extensions: Tlv): NameKey[] | null {
  const ext = readExtensions(der, extensions, "crlEntryExtensions").find((e) => e.oid === EXT_CERTIFICATE_ISSUER);
  return ext ? generalNames(der, single(der, ext.value, SEQUENCE, "certificateIssuer"), "certificateIssuer") : null;
}

function decodeEntry(der: Buffer, serial: Tlv, date: Tlv, extensions: Tlv | null, indirect: boolean, certificateIssuer: NameKey[] | null): CrlEntryMatch {
  const match: CrlEntryMatch = {
    serial: unsignedHex(der, serial),
    negative: (der[serial.contentStart]! & 0x80) !== 0,
    certificateIssuer,
    revocationDate: timeIso(der, date, "revocationDate"),
    reason: null,
    invalidityDate: null,
    unhandledCriticalExtensions: [],
  };
  for (const ext of extensions === null ? [] : readExtensions(der, extensions, "crlEntryExtensions")) {
    if (ext.oid === EXT_REASON_CODE) {
      const code = smallInteger(der, single(der, ext.value, ENUMERATED, "reasonCode"), "reasonCode");
      match.reason = REASONS[code] ?? `unrecognized(${code})`;
    } else if (ext.oid === EXT_INVALIDITY_DATE) {
      match.invalidityDate = timeIso(der, single(der, ext.value, GENERALIZED_TIME, "invalidityDate"), "invalidityDate");
    } else if (ext.critical && !(indirect && ext.oid === EXT_CERTIFICATE_ISSUER)) {
      // certificateIssuer is read by walkEntries, and means something in an indirect CRL only.
      match.unhandledCriticalExtensions.push(ext.oid);
    }
  }
  return match;
}

// ---------------------------------------------------------------------------------------------
// Signature algorithm

/** The algorithm of an AlgorithmIdentifier, whose parameters may be any one element. */
function algorithmOid(der: Buffer, algorithm: Tlv, what: string): string {
  const fields = new Children(der, algorithm, what);
  const oid = oidText(der, fields.next("algorithm", OID));
  if (fields.hasMore()) fields.nextAny();
  fields.end();
  return oid;
}

function signatureDescription(der: Buffer, algorithm: Tlv): { oid: string; name: string; hash: string | null } {
  const oid = algorithmOid(der, algorithm, "signatureAlgorithm");
  const algorithmDer = der.subarray(algorithm.start, algorithm.end);
  // RSASSA-PSS parameters say how the CRL is signed: a CRL whose parameters cannot be read is malformed.
  if (oid === RSASSA_PSS && pssParameters(algorithmDer) === null) {
    throw new CrlParseError("bad-structure", "signatureAlgorithm: unreadable RSASSA-PSS parameters", algorithm.start);
  }
  return { oid, ...describeSignatureAlgorithm(oid, algorithmDer) };
}

// ---------------------------------------------------------------------------------------------
// The CRL

function readVersion(der: Buffer, tlv: Tlv | null): number {
  if (tlv === null) return 1;
  // v1 is normally encoded by leaving the field out, but an explicit 0 reads the same.
  const value = tlv.length === 1 ? der[tlv.contentStart]! : -1;
  if (value !== 0 && value !== 1) throw new CrlParseError("bad-version", `CRL version ${der.toString("hex", tlv.contentStart, Math.min(tlv.end, tlv.contentStart + 8))}: only v1 (absent or 0) and v2 (1) exist`, tlv.start);
  return value + 1;
}

function signatureBits(der: Buffer, bits: Tlv): Buffer {
  // Signatures are whole octets: the unused-bits byte must be 0.
  if (bits.length === 0 || der[bits.contentStart] !== 0) throw new CrlParseError("bad-structure", "signatureValue: not a whole-octet BIT STRING", bits.start);
  return der.subarray(bits.contentStart + 1, bits.end);
}

function issuerText(nameDer: Buffer, offset: number): string {
  try {
    return new (x509Model().x509.Name)(nameDer).toString();
  } catch (err) {
    throw new CrlParseError("bad-structure", `issuer: not a readable Name (${err instanceof Error ? err.message : String(err)})`, offset);
  }
}

/**
 * Reads a CRL (DER, or PEM `X509 CRL`) and the entries for `wantedSerials` (any form
 * normalizeSerial() accepts). Throws CrlParseError for anything malformed, and TypeError for a
 * wanted serial that is not hex.
 */
export function readCrl(input: Buffer, wantedSerials?: ReadonlySet<string>): CrlInfo {
  const wanted = wantedSerials === undefined || wantedSerials.size === 0 ? null : new SerialIndex(wantedSerials);
  const der = crlDer(input);
  const outer = expectTlv(der, 0, der.length, SEQUENCE, "CertificateList");
  if (outer.end !== der.length) throw new CrlParseError("bad-structure", `${der.length - outer.end} bytes after the CertificateList`, outer.end);
  const top = new Children(der, outer, "CertificateList");
  const tbs = top.next("tbsCertList", SEQUENCE);
  const signatureAlgorithm = top.next("signatureAlgorithm", SEQUENCE);
  const signatureValue = top.next("signatureValue", BIT_STRING);
  top.end();

  const fields = new Children(der, tbs, "tbsCertList");
  const version = readVersion(der, fields.optional("version", INTEGER));
  const innerAlgorithm = fields.next("signature", SEQUENCE);
  // RFC 5280 5.1.1.2: the signed copy must equal the outer one, or the algorithm could be swapped.
  if (Buffer.compare(der.subarray(innerAlgorithm.start, innerAlgorithm.end), der.subarray(signatureAlgorithm.start, signatureAlgorithm.end)) !== 0) {
    throw new CrlParseError("bad-structure", "tbsCertList.signature differs from signatureAlgorithm", innerAlgorithm.start);
  }
  const issuer = fields.next("issuer", SEQUENCE);
  const thisUpdate = timeIso(der, fields.next("thisUpdate", TIME), "thisUpdate");
  const nextUpdateTlv = fields.optional("nextUpdate", TIME);
  const nextUpdate = nextUpdateTlv === null ? null : timeIso(der, nextUpdateTlv, "nextUpdate");
  const revoked = fields.optional("revokedCertificates", SEQUENCE);
  const extensions = crlExtensionFields(der, fields.optional("crlExtensions", context(0)));
  fields.end();
  const signature = signatureDescription(der, signatureAlgorithm);
  const signatureBytes = signatureBits(der, signatureValue);
  const issuerNameDer = der.subarray(issuer.start, issuer.end);
  const issuerName = issuerText(issuerNameDer, issuer.start);

  const matches: CrlEntryMatch[] = [];
  const entryCount = revoked === null ? 0 : walkEntries(der, revoked, wanted, matches, extensions.issuingDistributionPoint?.indirect ?? false);
  return {
    sha256: sha256Hex(der),
    size: der.length,
    version,
    issuerNameDer,
    issuerNameHash: sha256Hex(issuerNameDer),
    issuer: issuerName,
    thisUpdate,
    nextUpdate,
    ...extensions,
    entryCount,
    signatureAlgorithmOid: signature.oid,
    signatureAlgorithm: signature.name,
    signatureHash: signature.hash,
    signatureAlgorithmDer: der.subarray(signatureAlgorithm.start, signatureAlgorithm.end),
    tbs: der.subarray(tbs.start, tbs.end),
    signature: signatureBytes,
    matches,
  };
}

// ---------------------------------------------------------------------------------------------
// Signature verification

/**
 * Whether `issuerPublicKey` signed this CRL: PKCS#1 v1.5 RSA (any hash OpenSSL still offers),
 * RSASSA-PSS, ECDSA, DSA, Ed25519, Ed448. Never throws: an unsupported algorithm, a key of the
 * wrong type or a malformed signature is simply false.
 */
export function verifyCrlSignature(crl: CrlInfo, issuerPublicKey: KeyObject): boolean {
  return verifySignature({ algorithmOid: crl.signatureAlgorithmOid, algorithmDer: crl.signatureAlgorithmDer, signed: crl.tbs, signature: crl.signature }, issuerPublicKey);
}
