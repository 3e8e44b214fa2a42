// The sanctioned trust anchors of a run: a PEM bundle given with --trust-anchors, or Node's
// bundled Mozilla root store when none is given. Only the subject name is read here;
// anchors that enter the inventory are parsed fully, once, by the recorder.
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { UsageError } from "../errors.js";
import { certificateNames } from "../pki/der-names.js";
import { certificatesInBlob } from "../pki/pem.js";
import { sha256Hex } from "../pki/certificate.js";

export interface TrustAnchor {
  sha256: string;
  der: Buffer;
  subjectNameHash: string;
}

export interface TrustAnchorSet {
  /** Where the anchors came from: the bundle path, or "mozilla" for the default store. */
  source: string;
  /** An explicit bundle enters the CA inventory whole; the default store only where it is used. */
  explicit: boolean;
  anchors: TrustAnchor[];
}

export async function loadTrustAnchors(bundlePath: string | null): Promise<TrustAnchorSet> {
  if (bundlePath === null) {
    return { source: "mozilla", explicit: false, anchors: rootCertificates.flatMap((pem) => anchorsFrom(Buffer.from(pem))) };
  }
  let content: Buffer;
  try {
    content = await readFile(bundlePath);
  } catch (err) {
    throw new UsageError(`cannot read --trust-anchors ${bundlePath}: ${(err as Error).message}`, { cause: err });
  }
  const anchors = anchorsFrom(content);
  if (anchors.length === 0) throw new UsageError(`--trust-anchors ${bundlePath} holds no parsable certificate`);
  return { source: bundlePath, explicit: true, anchors };
}

function anchorsFrom(content: Buffer): TrustAnchor[] {
  return certificatesInBlob(content).flatMap((der) => {
    const names = certificateNames(der);
    return names ? [{ sha256: sha256Hex(der), der, subjectNameHash: sha256Hex(names.subject) }] : [];
  });
}
