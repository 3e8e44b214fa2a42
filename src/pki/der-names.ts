// The subject and issuer Name of a certificate, as the exact DER bytes it carries, and names
// compared as RFC 5280 §7.1 compares them (normalisedRdns) for chaining and name constraints. A full parse costs about 3 ms a certificate
// (so ~0.4 s for Node's 144 default roots on every scan); walking five TLV headers costs
// microseconds. Bounds-checked: hostile input returns null, never throws past this function.

export interface CertificateNames {
  issuer: Buffer;
  subject: Buffer;
}

const SEQUENCE = 0x30;
const VERSION_TAG = 0xa0;

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

function readTlv(der: Buffer, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // DER lengths of a certificate fit in 4 octets; 0 octets is the indefinite form.
    if (octets === 0 || octets > 4 || start + octets > limit) return null;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    start += octets;
  }
  const end = start + length;
  return end > limit ? null : { tag, offset, start, end };
}

export function certificateNames(der: Buffer): CertificateNames | null {
  const certificate = readTlv(der, 0, der.length);
  if (!certificate || certificate.tag !== SEQUENCE) return null;
  const tbs = readTlv(der, certificate.start, certificate.end);
  if (!tbs || tbs.tag !== SEQUENCE) return null;
  let field = readTlv(der, tbs.start, tbs.end);
  if (field?.tag === VERSION_TAG) field = readTlv(der, field.end, tbs.end);
  // serialNumber, signature, issuer, validity, subject.
  const fields: Tlv[] = [];
  while (field && fields.length < 5) {
    fields.push(field);
    field = fields.length < 5 ? readTlv(der, field.end, tbs.end) : null;
  }
  const [, , issuer, , subject] = fields;
  if (!issuer || !subject || issuer.tag !== SEQUENCE || subject.tag !== SEQUENCE) return null;
  return { issuer: der.subarray(issuer.offset, issuer.end), subject: der.subarray(subject.offset, subject.end) };
}

const SET = 0x31;
const OID = 0x06;
/** Tags of the string types a Name's attribute values come in, and how each is decoded. */
const STRING_DECODERS: ReadonlyMap<number, (bytes: Buffer) => string> = new Map([
  [0x0c, (b: Buffer) => b.toString("utf8")], // UTF8String
  [0x13, (b: Buffer) => b.toString("latin1")], // PrintableString
  [0x14, (b: Buffer) => b.toString("latin1")], // TeletexString (T.61; latin1 covers what CAs put there)
  [0x16, (b: Buffer) => b.toString("latin1")], // IA5String
  [0x1c, decodeUtf32be], // UniversalString
  [0x1e, (b: Buffer) => Buffer.from(b).swap16().toString("utf16le")], // BMPString
]);

function decodeUtf32be(bytes: Buffer): string {
  let text = "";
  for (let i = 0; i + 4 <= bytes.length; i += 4) text += String.fromCodePoint(Math.min(bytes.readUInt32BE(i), 0x10ffff));
  return text;
}

/** One attribute of a Name: its type (an OID) and its value, as laid out in the DER. */
interface Attribute {
  type: Tlv;
  value: Tlv;
}

/** A Name's RDNs in order, each its attributes as encoded; null when the bytes are not a Name. */
function rdnsOf(nameDer: Buffer): Attribute[][] | null {
  const name = readTlv(nameDer, 0, nameDer.length);
  if (!name || name.tag !== SEQUENCE || name.end !== nameDer.length) return null;
  const rdns: Attribute[][] = [];
  for (let rdn = readTlv(nameDer, name.start, name.end); rdn; rdn = readTlv(nameDer, rdn.end, name.end)) {
    if (rdn.tag !== SET) return null;
    const attributes: Attribute[] = [];
    for (let ava = readTlv(nameDer, rdn.start, rdn.end); ava; ava = readTlv(nameDer, ava.end, rdn.end)) {
      const type = ava.tag === SEQUENCE ? readTlv(nameDer, ava.start, ava.end) : null;
      const value = type?.tag === OID ? readTlv(nameDer, type.end, ava.end) : null;
      if (!type || !value) return null;
      attributes.push({ type, value });
    }
    rdns.push(attributes);
  }
  return rdns;
}

/**
 * The relative distinguished names of a Name's DER, in order, each as one comparable string:
 * its attributes' types (OID content, hex) and values, string values in the form RFC 5280 §7.1
 * (after RFC 4518) compares them: Unicode NFKC, case folded, leading and trailing whitespace
 * dropped and internal runs compressed to one space, so a PrintableString and a UTF8String of
 * the same text are equal. A multi-valued RDN's attributes are sorted (a SET has no order).
 * Values of other types compare by their DER. Null when the bytes are not a Name.
 */
export function normalisedRdns(nameDer: Buffer): string[] | null {
  const rdns = rdnsOf(nameDer);
  if (!rdns) return null;
  return rdns.map((attributes) =>
    attributes.map(({ type, value }) => `${nameDer.toString("hex", type.start, type.end)}=${normalisedValue(nameDer, value)}`).sort().join("+"));
}

/**
 * The values of a Name's attributes of one type (its OID's content octets, in hex), in order,
 * decoded as their string types are; null when the bytes are not a Name or such a value is not a
 * string.
 */
export function attributeTexts(nameDer: Buffer, typeHex: string): string[] | null {
  const rdns = rdnsOf(nameDer);
  if (!rdns) return null;
  const texts: string[] = [];
  for (const { type, value } of rdns.flat()) {
    if (nameDer.toString("hex", type.start, type.end) !== typeHex) continue;
    const decode = STRING_DECODERS.get(value.tag);
    if (!decode) return null;
    texts.push(decode(nameDer.subarray(value.start, value.end)));
  }
  return texts;
}

/** One key for names equal under RFC 5280 §7.1 (see normalisedRdns); null when not a Name. */
export function normalisedNameKey(nameDer: Buffer): string | null {
  const rdns = normalisedRdns(nameDer);
  return rdns ? JSON.stringify(rdns) : null;
}

function normalisedValue(der: Buffer, value: Tlv): string {
  const decode = STRING_DECODERS.get(value.tag);
  if (!decode) return `#${der.toString("hex", value.offset, value.end)}`;
  const text = decode(der.subarray(value.start, value.end)).normalize("NFKC").toLowerCase();
  return JSON.stringify(text.trim().replace(/\s+/g, " "));
}
