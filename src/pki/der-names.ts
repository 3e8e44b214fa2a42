// The subject and issuer Name of a certificate, as the exact DER bytes it carries. Hashing them
// is how the inventory matches issuers to subjects. A full parse costs about 3 ms a certificate
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
