// OCSP request building and response verification against real `openssl ocsp` responders, one
// per way of signing: the CA itself, delegated responders (RSA PKCS#1 v1.5, RSA-PSS, Ed25519,
// responderID by name and by key), and signers the CA never authorised. The PKI is generated at
// test time; responders listen on all interfaces and are only queried through 127.0.0.1.
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionOptions, connect as tlsConnect, createServer as createTlsServer, type TLSSocketOptions } from "node:tls";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOcspRequest, type OcspResult, parseOcspResponse } from "../../src/pki/ocsp.js";
import { buildCertificate, type BuiltCertificate, type CertificateSpec, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair, type KeyPair } from "../../fixtures/lib/keys.js";
import { type OcspIndexEntry, type RunningOcspResponder, startOpensslOcsp } from "../../fixtures/lib/openssl-ocsp.js";

const PORT_BASE = 19170;
const DAY_MS = 86_400_000;
const NOW = Date.now();
const daysFromNow = (days: number) => new Date(NOW + days * DAY_MS);
// Index and certificate times are whole seconds.
const REVOKED_AT = new Date(Math.floor(daysFromNow(-2).getTime() / 1000) * 1000);

interface Identity {
  cert: BuiltCertificate;
  key: KeyPair;
}

function certify(commonName: string, key: KeyPair, issuer: Identity | null, extra: Partial<CertificateSpec> = {}): Identity {
  const cert = buildCertificate({
    subject: { CN: commonName },
    publicKey: key.publicKey,
    ...(issuer === null ? { selfSignKey: key.privateKey } : { issuer: { certificateDer: issuer.cert.der, privateKey: issuer.key.privateKey } }),
    notBefore: daysFromNow(-1),
    notAfter: daysFromNow(30),
    ...extra,
  });
  return { cert, key };
}

const ecKey = () => generateKeyPair({ kind: "ec", curve: "P-256" });
const CA: Partial<CertificateSpec> = { isCA: true, keyUsage: ["keyCertSign", "cRLSign"] };
const OCSP_SIGNING: Partial<CertificateSpec> = { extKeyUsage: ["OCSPSigning"] };

const root = certify("pkiscope OCSP Test Root", ecKey(), null, CA);
const issuing = certify("pkiscope OCSP Test Issuing CA", ecKey(), root, CA);
const delegated = certify("pkiscope OCSP Responder", generateKeyPair({ kind: "rsa", bits: 2048 }), issuing, OCSP_SIGNING);
const edDelegated = certify("pkiscope OCSP Responder Ed25519", generateKeyPair({ kind: "ed25519" }), issuing, OCSP_SIGNING);
const expiredDelegated = certify("pkiscope OCSP Responder Expired", ecKey(), issuing, { ...OCSP_SIGNING, notBefore: daysFromNow(-30), notAfter: daysFromNow(-1) });
const withoutOcspEku = certify("pkiscope TLS Server", ecKey(), issuing, { extKeyUsage: ["serverAuth"] });
// Another CA's certificate with the very name of the real responder, so that the responderID
// alone cannot tell them apart.
const rogue = certify("pkiscope OCSP Responder", ecKey(), certify("Rogue CA", ecKey(), null, CA), OCSP_SIGNING);

const leaves = {
  good: certify("good.pkiscope.test", ecKey(), issuing, { serialNumber: 0x1001n, dnsNames: ["good.pkiscope.test"] }),
  revoked: certify("revoked.pkiscope.test", ecKey(), issuing, { serialNumber: 0x1002n }),
  expired: certify("expired.pkiscope.test", ecKey(), issuing, { serialNumber: 0x1003n }),
  // Issued, but never recorded in the responder's index.
  unrecorded: certify("unrecorded.pkiscope.test", ecKey(), issuing, { serialNumber: 0x1004n }),
};

const serialOf = (identity: Identity) => new X509Certificate(identity.cert.der).serialNumber;

const INDEX: OcspIndexEntry[] = [
  { serialHex: serialOf(leaves.good), status: "V", expiry: daysFromNow(30), subject: "/CN=good.pkiscope.test" },
  { serialHex: serialOf(leaves.revoked), status: "R", expiry: daysFromNow(30), revoked: REVOKED_AT, reason: "keyCompromise", subject: "/CN=revoked.pkiscope.test" },
  { serialHex: serialOf(leaves.expired), status: "E", expiry: daysFromNow(-1), subject: "/CN=expired.pkiscope.test" },
];

const RESPONDERS = {
  delegated: { signer: delegated },
  issuer: { signer: issuing },
  issuerWithoutCertificates: { signer: issuing, extraArgs: ["-resp_no_certs"] },
  byKey: { signer: delegated, extraArgs: ["-resp_key_id"] },
  pss: { signer: delegated, extraArgs: ["-rsigopt", "rsa_padding_mode:pss"] },
  sha1: { signer: delegated, extraArgs: ["-rmd", "sha1"] },
  ed25519: { signer: edDelegated },
  expiredSigner: { signer: expiredDelegated },
  rogue: { signer: rogue },
  withoutOcspEku: { signer: withoutOcspEku },
  noCertificates: { signer: delegated, extraArgs: ["-resp_no_certs"] },
} satisfies Record<string, { signer: Identity; extraArgs?: string[] }>;

type ResponderName = keyof typeof RESPONDERS;

let workDir: string;
const responders = new Map<ResponderName, { port: number; responder: RunningOcspResponder }>();

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "pkiscope-ocsp-protocol-"));
  await Promise.all(
    Object.entries(RESPONDERS).map(async ([name, config], index) => {
      const port = PORT_BASE + index;
      const responder = await startOpensslOcsp({
        workDir: join(workDir, name),
        port,
        issuerCertPem: issuing.cert.pem,
        signerCertPem: config.signer.cert.pem,
        signerKeyPem: privateKeyPem(config.signer.key.privateKey),
        entries: INDEX,
        nmin: 60,
        extraArgs: "extraArgs" in config ? config.extraArgs : [],
      });
      responders.set(name as ResponderName, { port, responder });
    }),
  );
});

afterAll(async () => {
  await Promise.all([...responders.values()].map(({ responder }) => responder.stop()));
  await rm(workDir, { recursive: true, force: true });
});

function responderAt(name: ResponderName): { port: number; responder: RunningOcspResponder } {
  const entry = responders.get(name);
  if (entry === undefined) throw new Error(`responder ${name} did not start`);
  return entry;
}

function evaluate(der: Buffer, leaf: Identity, options: { nonce?: Buffer | null; now?: Date } = {}): OcspResult {
  return parseOcspResponse(der, { certificateDer: leaf.cert.der, issuerDer: issuing.cert.der, ...options });
}

async function ask(name: ResponderName, leaf: Identity, options: { nonce?: boolean; hash?: "sha1" | "sha256" } = {}) {
  const built = buildOcspRequest({ certificateDer: leaf.cert.der, issuerDer: issuing.cert.der, ...options });
  const response = await request(responderAt(name).responder.url, {
    method: "POST",
    body: built.der,
    headers: { "content-type": "application/ocsp-request" },
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  expect(response.statusCode).toBe(200);
  const der = Buffer.from(await response.body.arrayBuffer());
  return { der, nonce: built.nonce, result: evaluate(der, leaf, { nonce: built.nonce }) };
}

/**
 * openssl answers a request it cannot parse only once the client has half-closed the connection
 * (it keeps reading until EOF), and then writes "HTTP/1.0 400 Bad Request" followed by a second,
 * 200, response carrying the OCSP answer. An HTTP client never sees it, so speak raw TCP.
 */
async function postThenHalfClose(port: number, body: Buffer): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  socket.setTimeout(5_000, () => socket.destroy(new Error("openssl did not answer")));
  await once(socket, "connect");
  socket.end(Buffer.concat([Buffer.from(`POST / HTTP/1.0\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

const clean = { responseStatus: "successful", signatureValid: true, problems: [] } as const;

const SHA1_OID_DER = Buffer.from("06052b0e03021a", "hex");
const SHA256_OID_DER = Buffer.from("0609608648016503040201", "hex");
const RSASSA_PSS_OID_DER = Buffer.from("06092a864886f70d01010a", "hex");
const SHA1_WITH_RSA_OID_DER = Buffer.from("06092a864886f70d010105", "hex");
const SHA256_WITH_RSA_OID_DER = Buffer.from("06092a864886f70d01010b", "hex");

describe("a delegated responder (RSA PKCS#1 v1.5, responderID by name)", () => {
  it("says good, with the responder certificate carried and verified, and echoes the nonce", async () => {
    const { result } = await ask("delegated", leaves.good);
    expect(result).toMatchObject({ ...clean, certStatus: "good", signer: "delegated", nonceMatches: true, revocationTime: null, revocationReason: null });
    expect(result.responderCertificates).toEqual([delegated.cert.der]);
    // -nmin 60
    expect(Date.parse(result.nextUpdate ?? "") - Date.parse(result.thisUpdate ?? "")).toBe(3_600_000);
    expect(Math.abs(Date.parse(result.producedAt ?? "") - Date.now())).toBeLessThan(60_000);
  });

  it("says revoked, with the time and reason from the index", async () => {
    const { result } = await ask("delegated", leaves.revoked);
    expect(result).toMatchObject({ ...clean, certStatus: "revoked", revocationTime: REVOKED_AT.toISOString(), revocationReason: "keyCompromise" });
  });

  it("says unknown for a serial it has no record of, which is an answer, not a fault", async () => {
    const { result } = await ask("delegated", leaves.unrecorded);
    expect(result).toMatchObject({ ...clean, certStatus: "unknown", signer: "delegated" });
  });

  it("leaves index rows marked expired (E) out of the response altogether", async () => {
    const { result } = await ask("delegated", leaves.expired);
    expect(result).toMatchObject({ responseStatus: "successful", signatureValid: true, certStatus: null, problems: ["no response for this certificate"] });
  });

  it("sends no nonce back when the request had none", async () => {
    const { result, nonce } = await ask("delegated", leaves.good, { nonce: false });
    expect(nonce).toBeNull();
    expect(result).toMatchObject({ ...clean, certStatus: "good", nonceMatches: null });
  });

  it("answers a SHA-256 CertID with a SHA-256 CertID", async () => {
    const { der, result } = await ask("delegated", leaves.good, { hash: "sha256" });
    expect(result).toMatchObject({ ...clean, certStatus: "good" });
    expect(der.includes(SHA256_OID_DER)).toBe(true);
    expect(der.includes(SHA1_OID_DER)).toBe(false);
  });

  it("is judged stale once nextUpdate has passed, and premature before thisUpdate", async () => {
    const { der, nonce } = await ask("delegated", leaves.good);
    expect(evaluate(der, leaves.good, { nonce, now: daysFromNow(1) }).problems).toEqual(["nextUpdate has passed"]);
    expect(evaluate(der, leaves.good, { nonce, now: daysFromNow(-1) }).problems).toEqual(["thisUpdate is in the future"]);
    // Within the five minutes of tolerated clock skew: still fine.
    expect(evaluate(der, leaves.good, { nonce, now: new Date(Date.now() - 60_000) }).problems).toEqual([]);
  });

  it("flags a response whose nonce is not the one sent", async () => {
    const { der } = await ask("delegated", leaves.good);
    const result = evaluate(der, leaves.good, { nonce: Buffer.alloc(16, 7) });
    expect(result).toMatchObject({ nonceMatches: false, signatureValid: true, problems: ["nonce does not match the request (a replayed or misdirected response)"] });
  });

  it("detects a byte changed inside tbsResponseData", async () => {
    const { der, nonce } = await ask("delegated", leaves.good);
    if (nonce === null) throw new Error("the request should carry a nonce");
    const tampered = Buffer.from(der);
    const at = tampered.indexOf(nonce);
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0x01, at);
    const result = evaluate(tampered, leaves.good, { nonce });
    expect(result).toMatchObject({ signer: "delegated", signatureValid: false, certStatus: "good", nonceMatches: false });
    expect(result.problems).toContain("response signature does not verify");
  });

});

describe("who signed the response", () => {
  it("the issuing CA with its own key: issuer", async () => {
    const { result } = await ask("issuer", leaves.revoked);
    expect(result).toMatchObject({ ...clean, signer: "issuer", certStatus: "revoked", revocationReason: "keyCompromise" });
    expect(result.responderCertificates).toEqual([issuing.cert.der]);
  });

  it("the issuing CA attaching no certificate: issuer, checked with the issuer certificate we hold", async () => {
    const { result } = await ask("issuerWithoutCertificates", leaves.good);
    expect(result).toMatchObject({ ...clean, signer: "issuer", certStatus: "good", responderCertificates: [] });
  });

  it("a delegated responder named by key hash: delegated", async () => {
    const { result } = await ask("byKey", leaves.good);
    expect(result).toMatchObject({ ...clean, signer: "delegated", certStatus: "good" });
  });

  it("a delegated responder signing with RSA-PSS: delegated", async () => {
    const { der, result } = await ask("pss", leaves.good);
    expect(der.includes(RSASSA_PSS_OID_DER)).toBe(true);
    expect(result).toMatchObject({ ...clean, signer: "delegated", certStatus: "good" });
  });

  it("a delegated responder signing with SHA-1, as old ones do: delegated, signature checked", async () => {
    const { der, result } = await ask("sha1", leaves.good);
    expect(der.includes(SHA1_WITH_RSA_OID_DER)).toBe(true);
    expect(result).toMatchObject({ ...clean, signer: "delegated", certStatus: "good" });
  });

  it("a signature algorithm node cannot check: said so, and not trusted", async () => {
    const { der, nonce } = await ask("delegated", leaves.good);
    const renamed = Buffer.from(der);
    // sha256WithRSAEncryption (1.2.840.113549.1.1.11) becomes 1.2.840.113549.1.1.15, sha512-224WithRSAEncryption
    renamed.writeUInt8(0x0f, renamed.indexOf(SHA256_WITH_RSA_OID_DER) + SHA256_WITH_RSA_OID_DER.length - 1);
    const result = evaluate(renamed, leaves.good, { nonce });
    expect(result).toMatchObject({ signer: "delegated", signatureValid: false, certStatus: "good" });
    expect(result.problems).toEqual(["signature algorithm 1.2.840.113549.1.1.15 is not supported"]);
  });

  it("a delegated responder signing with Ed25519: delegated", async () => {
    const { result } = await ask("ed25519", leaves.good);
    expect(result).toMatchObject({ ...clean, signer: "delegated", certStatus: "good" });
  });

  it("a delegated responder whose certificate has expired: delegated, but not to be trusted", async () => {
    const { result } = await ask("expiredSigner", leaves.good);
    expect(result).toMatchObject({ signer: "delegated", signatureValid: true, problems: ["responder certificate is outside its validity period"] });
  });

  it.each([
    ["another CA's certificate bearing the responder's name", "rogue"],
    ["a certificate from the CA without id-kp-OCSPSigning", "withoutOcspEku"],
  ] as const)("%s: unauthorized", async (_, name) => {
    const { result } = await ask(name, leaves.good);
    expect(result).toMatchObject({ signer: "unauthorized", signatureValid: true, certStatus: "good", problems: ["signed by a certificate the CA did not authorise for OCSP"] });
  });

  it("a delegated responder that leaves its certificate out: none, since nothing can check it", async () => {
    const { result } = await ask("noCertificates", leaves.good);
    expect(result).toMatchObject({ signer: "none", signatureValid: false, responderCertificates: [], certStatus: "good" });
    expect(result.problems).toEqual(["signer not identified: neither the CA nor a certificate in the response"]);
  });
});

describe("bytes that are not a usable response", () => {
  it.each([
    ["empty", Buffer.alloc(0)],
    ["text", Buffer.from("<html>502 Bad Gateway</html>")],
    ["a DER INTEGER", Buffer.from("020101", "hex")],
    ["a length running past the end", Buffer.from("3082ffff0a0100", "hex")],
  ])("%s: malformed, without throwing", (_, der) => {
    const result = evaluate(der, leaves.good);
    expect(result).toMatchObject({ responseStatus: "malformed", certStatus: null, signer: "none", signatureValid: false });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^malformed: /);
  });

  it("a real response cut short at any length, or followed by junk: malformed", async () => {
    const { der } = await ask("delegated", leaves.good);
    for (let length = 0; length < der.length; length++) {
      expect(evaluate(der.subarray(0, length), leaves.good).responseStatus, `first ${length} bytes`).toBe("malformed");
    }
    expect(evaluate(Buffer.concat([der, Buffer.from([0])]), leaves.good).problems).toEqual(["malformed: 1 unexpected bytes after the OCSP response"]);
  });

  it.each([
    ["300303010a", "malformed"], // a BOOLEAN where the status should be
    ["30030a0101", "malformedRequest"],
    ["30030a0102", "internalError"],
    ["30030a0103", "tryLater"],
    ["30030a0105", "sigRequired"],
    ["30030a0106", "unauthorized"],
    ["30030a0104", "unknown status 4"],
  ])("%s: %s", (hex, responseStatus) => {
    const result = evaluate(Buffer.from(hex, "hex"), leaves.good);
    expect(result.responseStatus).toBe(responseStatus);
    expect(result).toMatchObject({ certStatus: null, signer: "none", signatureValid: false });
    expect(result.problems).toHaveLength(1);
  });

  it("openssl's own answer to a request it cannot parse is malformedRequest", async () => {
    const reply = await postThenHalfClose(responderAt("delegated").port, Buffer.from("3003020100", "hex"));
    expect(reply.startsWith("HTTP/1.0 400 Bad Request\r\n\r\nHTTP/1.0 200 OK\r\n")).toBe(true);
    const body = Buffer.from(reply.slice(reply.lastIndexOf("\r\n\r\n") + 4), "latin1");
    expect(body.toString("hex")).toBe("30030a0101");
    expect(evaluate(body, leaves.good)).toMatchObject({ responseStatus: "malformedRequest", problems: ["the responder answered malformedRequest"] });
  });

  // Checking a delegated response costs several milliseconds, so its carried certificate is
  // changed at every seventh byte only, which still reaches each of its fields.
  it.each([
    ["a CA-signed response, every byte", "issuerWithoutCertificates", () => 0, 1],
    ["the responder certificate in a delegated response, every seventh byte", "delegated", (der: Buffer) => der.indexOf(delegated.cert.der), 7],
  ] as const)("%s changed: flagged, or it changes nothing that is reported", async (_, name, from, stride) => {
    const { der, nonce } = await ask(name, leaves.good);
    const original = evaluate(der, leaves.good, { nonce });
    expect(original.problems).toEqual([]);
    for (let at = from(der); at < der.length; at += stride) {
      const changed = Buffer.from(der);
      changed.writeUInt8(changed.readUInt8(at) ^ 0xff, at);
      const result = evaluate(changed, leaves.good, { nonce });
      // e.g. the NULL after the signature OID becoming another empty element: not signed, and harmless
      if (result.problems.length === 0) expect(result, `byte ${at}`).toEqual(original);
    }
  });

  it("a successful response of a type other than id-pkix-ocsp-basic: unknown response type", () => {
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({ responseType: "1.3.6.1.4.1.55555.1", response: new asn1js.OctetString({ valueHex: new Uint8Array([5, 0]) }) }),
    });
    const result = evaluate(Buffer.from(response.toSchema().toBER()), leaves.good);
    expect(result).toMatchObject({ responseStatus: "successful", certStatus: null, problems: ["unknown response type"] });
  });
});

describe("a response stapled in a TLS handshake", () => {
  it("is the same OCSPResponse DER and is judged the same way, without a nonce", async () => {
    const { der } = await ask("delegated", leaves.good, { nonce: false });
    const server = createTlsServer({ cert: leaves.good.cert.pem, key: privateKeyPem(leaves.good.key.privateKey) });
    server.on("OCSPRequest", (_certificate: Buffer, _issuer: Buffer, staple: (error: Error | null, response?: Buffer) => void) => staple(null, der));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no TCP address");
      // requestOCSP is a TLSSocket option that tls.connect passes on; its ConnectionOptions type omits it.
      const options: ConnectionOptions & Pick<TLSSocketOptions, "requestOCSP"> = { host: "127.0.0.1", port: address.port, requestOCSP: true, rejectUnauthorized: false };
      const socket = tlsConnect(options);
      const [stapled] = (await once(socket, "OCSPResponse")) as [Buffer];
      socket.destroy();
      expect(stapled.equals(der)).toBe(true);
      expect(evaluate(stapled, leaves.good, { nonce: null })).toMatchObject({ ...clean, certStatus: "good", signer: "delegated", nonceMatches: null });
    } finally {
      server.close();
    }
  });
});
