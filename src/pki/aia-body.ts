// Issuer certificates fetched from AIA caIssuers URLs: a DER certificate, a PEM bundle, or a
// PKCS#7 certs-only bundle (.p7c, as RFC 5280 §4.2.2.1 allows). pkijs decodes PKCS#7; it is
// loaded only for a body that carries the signedData OID, since most AIA URLs serve plain DER.
import type * as pkijsTypes from "pkijs";
import { certificatesInBlob } from "./pem.js";

const SIGNED_DATA_OID = "1.2.840.113549.1.7.2";
/** The DER of that OID (06 09 2a 86 48 86 f7 0d 01 07 02). */
const SIGNED_DATA_OID_DER = Buffer.from("06092a864886f70d010702", "hex");
export async function certificatesInAiaBody(body: Buffer): Promise<Buffer[]> {
  return (body.includes(SIGNED_DATA_OID_DER) ? await pkcs7Certificates(body) : null) ?? certificatesInBlob(body);
}

async function pkcs7Certificates(body: Buffer): Promise<Buffer[] | null> {
  const [asn1js, pkijs] = await Promise.all([import("asn1js"), import("pkijs")]);
  try {
    const asn = asn1js.fromBER(new Uint8Array(body));
    if (asn.offset === -1) return null;
    const info = new pkijs.ContentInfo({ schema: asn.result });
    if (info.contentType !== SIGNED_DATA_OID) return null;
    const signed = new pkijs.SignedData({ schema: info.content });
    return (signed.certificates ?? [])
      .filter((c): c is pkijsTypes.Certificate => c instanceof pkijs.Certificate)
      .map((c) => Buffer.from(c.toSchema().toBER()));
  } catch {
    // Not PKCS#7: the caller tries DER and PEM next.
    return null;
  }
}
