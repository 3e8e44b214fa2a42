// Certificates inside a blob: every PEM certificate block (text before, between and after
// blocks is ignored, as in config files and CA bundles), else the whole blob when it is DER.

const PEM_BLOCK = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

export function certificatesInBlob(content: Buffer): Buffer[] {
  const text = content.toString("latin1");
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => Buffer.from(m[1]!.replace(/[^A-Za-z0-9+/=]/g, ""), "base64"));
  if (blocks.length > 0) return blocks;
  // 0x30 opens an ASN.1 SEQUENCE: a DER certificate (or garbage the parser will name as such).
  return content[0] === 0x30 ? [content] : [];
}
