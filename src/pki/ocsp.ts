// OCSP (RFC 6960) request building and response verification, without networking: the collector
// POSTs what buildOcspRequest() makes, and parseOcspResponse() judges what comes back, whether
// fetched or stapled in a TLS handshake (Node hands stapled responses over as the same DER).
//
// Why hand-assembled on pkijs: no maintained npm package builds requests and verifies responses
// the way a relying party must. `ocsp` (and its fork @techteamer/ocsp) is unmaintained and takes
// the first certificate a response carries as the responder without checking id-kp-OCSPSigning;
// easy-ocsp is a fetch-and-check client on top of pkijs. pkijs' own BasicOCSPResponse.verify()
// throws when the CA signs without attaching its certificate (common) and verifies through
// WebCrypto, which refuses MD5 signatures and curves other than P-256/384/521 that old
// responders still use. So pkijs only parses; node:crypto (OpenSSL) checks every signature over
// the exact tbsResponseData bytes received; the delegation rules of RFC 6960 4.2.2.2 are applied
// here.
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { HASH_ALGORITHMS, signatureAlgorithmSupported, verifySignature } from "./signatures.js";

export interface OcspRequestInput {
  certificateDer: Buffer;
  issuerDer: Buffer;
  /** Default true: 16 random bytes. */
  nonce?: boolean;
  /** CertID hash; default sha1, what responders universally support. */
  hash?: "sha1" | "sha256";
}

export type OcspCertStatus = "good" | "revoked" | "unknown";

export type OcspSigner = "issuer" | "delegated" | "unauthorized" | "none";

export interface OcspResult {
  /** 'malformed' when the bytes are not an OCSP response at all. */
  responseStatus: "successful" | "malformedRequest" | "internalError" | "tryLater" | "sigRequired" | "unauthorized" | string;
  /** null when no SingleResponse matches our CertID. */
  certStatus: OcspCertStatus | null;
  revocationTime: string | null;
  revocationReason: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  producedAt: string | null;
  /**
   * issuer: the issuing CA's own key; delegated: a certificate issued by that CA with
   * id-kp-OCSPSigning; unauthorized: any other certificate; none: no signer could be identified.
   */
  signer: OcspSigner;
  signatureValid: boolean;
  /** Certificates carried in the response, DER as received. */
  responderCertificates: Buffer[];
  /** null when either side has no nonce. */
  nonceMatches: boolean | null;
  /** Every reason the response should not be trusted, in plain words. */
  problems: string[];
}

export interface OcspResponseContext {
  certificateDer: Buffer;
  issuerDer: Buffer;
  now?: Date;
  /** The nonce the request carried; null or absent for stapled responses. */
  nonce?: Buffer | null;
}

const OIDS = {
  basicResponse: "1.3.6.1.5.5.7.48.1.1",
  nonce: "1.3.6.1.5.5.7.48.1.2",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

/** Hash name → OID, for the CertID this side writes. */
const HASH_OIDS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(HASH_ALGORITHMS).map(([oid, name]) => [name, oid]));

const RESPONSE_STATUSES: Readonly<Record<number, string>> = {
  0: "successful",
  1: "malformedRequest",
  2: "internalError",
  3: "tryLater",
  5: "sigRequired",
  6: "unauthorized",
};

// CRLReason (RFC 5280 5.3.1); 7 is unused.
const REVOCATION_REASONS: Readonly<Record<number, string>> = {
  0: "unspecified",
  1: "keyCompromise",
  2: "cACompromise",
  3: "affiliationChanged",
  4: "superseded",
  5: "cessationOfOperation",
  6: "certificateHold",
  8: "removeFromCRL",
  9: "privilegeWithdrawn",
  10: "aACompromise",
};

const NONCE_BYTES = 16;

// Clocks disagree: like OpenSSL's OCSP_check_validity() default, tolerate five minutes either way
// before calling a response premature or stale.
const CLOCK_SKEW_MS = 5 * 60_000;

// A response is a few kilobytes; these caps bound what a hostile responder can make us parse.
// Embedded parsing is off because the nested DER we need (the BasicOCSPResponse, the nonce) is
// parsed explicitly, under the same caps.
const PARSE_LIMITS = { maxDepth: 64, maxNodes: 10_000, maxContentLength: 1 << 20, parseEmbedded: false } as const;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** DER to a pkijs object, with limits and no trailing bytes; every failure says what was being decoded. */
function decode<T>(bytes: Uint8Array, what: string, build: (schema: asn1js.AsnType) => T): T {
  if (bytes.byteLength === 0) throw new Error(`the ${what} is empty`);
  const parsed = asn1js.fromBER(bytes, PARSE_LIMITS);
  if (parsed.offset === -1) throw new Error(`the ${what} is not valid DER (${parsed.result.error})`);
  if (parsed.offset !== bytes.byteLength) throw new Error(`${bytes.byteLength - parsed.offset} unexpected bytes after the ${what}`);
  try {
    return build(parsed.result);
  } catch (error) {
    throw new Error(`the ${what} does not have the expected structure (${errorMessage(error)})`);
  }
}

function digest(hash: string, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** What OCSP needs from a certificate, read once. */
interface KnownCertificate {
  der: Buffer;
  x509: X509Certificate;
  /** The subject Name exactly as encoded: CertID and byName responder IDs hash or compare these bytes. */
  subjectDer: Uint8Array;
  /** The subjectPublicKey BIT STRING contents: what CertID and byKey responder IDs hash. */
  keyBits: Uint8Array;
  serialNumber: asn1js.Integer;
  notBefore: Date;
  notAfter: Date;
}

function knownCertificate(der: Uint8Array, certificate: pkijs.Certificate): KnownCertificate {
  return {
    der: Buffer.from(der),
    x509: new X509Certificate(der),
    subjectDer: new Uint8Array(certificate.subject.valueBeforeDecode),
    keyBits: certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.value,
    notAfter: certificate.notAfter.value,
  };
}

function describeCertificate(der: Uint8Array, what: string): KnownCertificate {
  return decode(der, what, (schema) => knownCertificate(der, new pkijs.Certificate({ schema })));
}

/** CertID's issuer hashes, computed from the issuer certificate as OpenSSL does. */
function issuerHashes(issuer: KnownCertificate, hash: string): { nameHash: Buffer; keyHash: Buffer } {
  return { nameHash: digest(hash, issuer.subjectDer), keyHash: digest(hash, issuer.keyBits) };
}

// RFC 8954: extnValue holds an OCTET STRING that holds the nonce. OpenSSL writes it so and its
// responder echoes the extension unchanged.
function nonceExtension(nonce: Buffer): pkijs.Extension {
  return new pkijs.Extension({ extnID: OIDS.nonce, critical: false, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER() });
}

/** A one-certificate request, unsigned as nearly every responder expects. Throws if either certificate does not parse. */
export function buildOcspRequest(input: OcspRequestInput): { der: Buffer; nonce: Buffer | null } {
  const issuer = describeCertificate(input.issuerDer, "issuer certificate");
  const certificate = describeCertificate(input.certificateDer, "certificate");
  const hash = input.hash ?? "sha1";
  const { nameHash, keyHash } = issuerHashes(issuer, hash);
  const reqCert = new pkijs.CertID({
    // NULL parameters, as OpenSSL and Windows write them.
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash], algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: nameHash }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: keyHash }),
    serialNumber: certificate.serialNumber,
  });
  const nonce = input.nonce === false ? null : randomBytes(NONCE_BYTES);
  const tbsRequest = new pkijs.TBSRequest({
    requestList: [new pkijs.Request({ reqCert })],
    ...(nonce === null ? {} : { requestExtensions: [nonceExtension(nonce)] }),
  });
  return { der: Buffer.from(new pkijs.OCSPRequest({ tbsRequest }).toSchema(true).toBER()), nonce };
}

/** responderID is byName (a Name, compared byte for byte) or byKey (SHA-1 of the key bits). */
function namedByResponderId(responderId: unknown, candidate: KnownCertificate): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return sameBytes(new Uint8Array(responderId.valueBeforeDecode), candidate.subjectDer);
  if (responderId instanceof asn1js.OctetString) return sameBytes(responderId.valueBlock.valueHexView, digest("sha1", candidate.keyBits));
  return false;
}

/**
 * The certificate whose key signed, among the issuer and the certificates carried. Those the
 * responderID names are tried first; if it names none (a Name encoded differently, say), any
 * whose key verifies the signature is the signer. With no verifying key, the named one is
 * reported as the signer of a bad signature.
 */
function identifySigner(candidates: KnownCertificate[], isNamed: (c: KnownCertificate) => boolean, verifies: (c: KnownCertificate) => boolean): { certificate: KnownCertificate; signatureValid: boolean } | null {
  const named = candidates.filter(isNamed);
  const verified = (named.length > 0 ? named : candidates).find(verifies);
  if (verified !== undefined) return { certificate: verified, signatureValid: true };
  const claimed = named[0];
  return claimed === undefined ? null : { certificate: claimed, signatureValid: false };
}

// RFC 6960 4.2.2.2: a delegated responder's certificate is issued directly by the CA that issued
// the certificate in question and carries id-kp-OCSPSigning (anyExtendedKeyUsage does not count).
function isDelegatedResponder(responder: KnownCertificate, issuer: KnownCertificate): boolean {
  // node leaves keyUsage (the extended key usages) undefined without the extension.
  const purposes: string[] | undefined = responder.x509.keyUsage;
  try {
    return (purposes ?? []).includes(OIDS.ocspSigning) && responder.x509.checkIssued(issuer.x509) && responder.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

type Assessment<K extends keyof OcspResult> = Pick<OcspResult, K> & { problems: string[] };

function assessSignature(basic: SignedBasicResponse, issuer: KnownCertificate, carried: KnownCertificate[], now: Date): Assessment<"signer" | "signatureValid"> {
  const algorithmOid = basic.response.signatureAlgorithm.algorithmId;
  const supported = signatureAlgorithmSupported(algorithmOid, basic.algorithmDer);
  const problems = supported ? [] : [`signature algorithm ${algorithmOid} is not supported`];
  const signed = { algorithmOid, algorithmDer: basic.algorithmDer, signed: basic.response.tbsResponseData.tbsView, signature: basic.response.signature.valueBlock.valueHexView };
  const signing = identifySigner(
    [issuer, ...carried],
    (candidate) => namedByResponderId(basic.response.tbsResponseData.responderID, candidate),
    (candidate) => supported && verifySignature(signed, candidate.x509.publicKey),
  );
  if (signing === null) {
    return { signer: "none", signatureValid: false, problems: [...problems, "signer not identified: neither the CA nor a certificate in the response"] };
  }
  const { certificate, signatureValid } = signing;
  if (!signatureValid && supported) problems.push("response signature does not verify");
  // The CA's key, whichever of its certificates carries it.
  if (sameBytes(certificate.keyBits, issuer.keyBits)) return { signer: "issuer", signatureValid, problems };
  if (!isDelegatedResponder(certificate, issuer)) {
    return { signer: "unauthorized", signatureValid, problems: [...problems, "signed by a certificate the CA did not authorise for OCSP"] };
  }
  if (now < certificate.notBefore || now > certificate.notAfter) problems.push("responder certificate is outside its validity period");
  return { signer: "delegated", signatureValid, problems };
}

function certIdMatches(certId: pkijs.CertID, issuer: KnownCertificate, serial: bigint): boolean {
  const hash = HASH_ALGORITHMS[certId.hashAlgorithm.algorithmId];
  if (hash === undefined) return false;
  const expected = issuerHashes(issuer, hash);
  return certId.serialNumber.toBigInt() === serial
    && sameBytes(certId.issuerNameHash.valueBlock.valueHexView, expected.nameHash)
    && sameBytes(certId.issuerKeyHash.valueBlock.valueHexView, expected.keyHash);
}

type StatusDetails = Pick<OcspResult, "certStatus" | "revocationTime" | "revocationReason">;

// RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL },
// here IMPLICIT-tagged [1]; pkijs' schema has already checked that shape.
function revokedDetails(revokedInfo: asn1js.Constructed): StatusDetails {
  const [time, taggedReason] = revokedInfo.valueBlock.value;
  const reason = taggedReason instanceof asn1js.Constructed ? taggedReason.valueBlock.value[0] : undefined;
  const code = reason instanceof asn1js.Enumerated ? reason.valueBlock.valueDec : undefined;
  return {
    certStatus: "revoked",
    revocationTime: time instanceof asn1js.GeneralizedTime ? time.toDate().toISOString() : null,
    revocationReason: code === undefined ? null : (REVOCATION_REASONS[code] ?? `reason code ${code}`),
  };
}

// CertStatus ::= CHOICE { good [0] NULL, revoked [1] RevokedInfo, unknown [2] NULL }; pkijs keeps the raw block.
function statusDetails(certStatus: unknown): StatusDetails {
  if (certStatus instanceof asn1js.Constructed && certStatus.idBlock.tagNumber === 1) return revokedDetails(certStatus);
  const tag = certStatus instanceof asn1js.BaseBlock ? certStatus.idBlock.tagNumber : undefined;
  if (tag === 0) return { certStatus: "good", revocationTime: null, revocationReason: null };
  if (tag === 2) return { certStatus: "unknown", revocationTime: null, revocationReason: null };
  throw new Error("a SingleResponse has a certStatus that is neither good, revoked nor unknown");
}

function assessSingleResponse(responses: pkijs.SingleResponse[], issuer: KnownCertificate, serial: bigint, now: Date): Assessment<keyof StatusDetails | "thisUpdate" | "nextUpdate"> {
  const single = responses.find((candidate) => certIdMatches(candidate.certID, issuer, serial));
  if (single === undefined) {
    return { certStatus: null, revocationTime: null, revocationReason: null, thisUpdate: null, nextUpdate: null, problems: ["no response for this certificate"] };
  }
  const problems: string[] = [];
  if (single.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) problems.push("thisUpdate is in the future");
  // No nextUpdate means newer information is always available (RFC 6960 4.2.2.1): never stale.
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() < now.getTime() - CLOCK_SKEW_MS) problems.push("nextUpdate has passed");
  return {
    ...statusDetails(single.certStatus),
    thisUpdate: single.thisUpdate.toISOString(),
    nextUpdate: single.nextUpdate?.toISOString() ?? null,
    problems,
  };
}

// The nonce sits inside an OCTET STRING (RFC 8954); responders of the RFC 2560 era put the bare
// bytes in extnValue, so anything else is taken as the nonce itself.
function responseNonce(data: pkijs.ResponseData): Uint8Array | null {
  const extension = data.responseExtensions?.find((candidate) => candidate.extnID === OIDS.nonce);
  if (extension === undefined) return null;
  const value = extension.extnValue.valueBlock.valueHexView;
  try {
    return decode(value, "nonce", (schema) => {
      if (!(schema instanceof asn1js.OctetString)) throw new Error("not an OCTET STRING");
      return schema.valueBlock.valueHexView;
    });
  } catch {
    return value;
  }
}

function assessNonce(data: pkijs.ResponseData, requestNonce: Buffer | null | undefined): Assessment<"nonceMatches"> {
  const echoed = responseNonce(data);
  if (requestNonce === null || requestNonce === undefined || echoed === null) return { nonceMatches: null, problems: [] };
  const nonceMatches = sameBytes(echoed, requestNonce);
  return { nonceMatches, problems: nonceMatches ? [] : ["nonce does not match the request (a replayed or misdirected response)"] };
}

/** A BasicOCSPResponse with its signatureAlgorithm exactly as received (RSASSA-PSS parameters are read from it). */
interface SignedBasicResponse {
  response: pkijs.BasicOCSPResponse;
  algorithmDer: Uint8Array | null;
}

function signatureAlgorithmDer(basicSchema: asn1js.AsnType): Uint8Array | null {
  const algorithm = basicSchema instanceof asn1js.Sequence ? basicSchema.valueBlock.value[1] : undefined;
  return algorithm === undefined ? null : algorithm.valueBeforeDecodeView;
}

// certs is the optional fourth field, [0] EXPLICIT SEQUENCE OF Certificate (RFC 6960 4.2.1).
// pkijs keeps only parsed copies; the collector wants the bytes exactly as sent.
function carriedCertificates(basic: pkijs.BasicOCSPResponse, basicSchema: asn1js.AsnType): KnownCertificate[] {
  const tagged = basicSchema instanceof asn1js.Sequence ? basicSchema.valueBlock.value[3] : undefined;
  const list = tagged instanceof asn1js.Constructed ? tagged.valueBlock.value[0] : undefined;
  const ders = list instanceof asn1js.Sequence ? list.valueBlock.value.map((certificate) => certificate.valueBeforeDecodeView) : [];
  return (basic.certs ?? []).map((certificate, index) => {
    const der = ders[index];
    if (der === undefined) throw new Error("certificates in the response do not line up");
    return knownCertificate(der, certificate);
  });
}

// pkijs cannot read a ResponseData whose `responses` list is empty: asn1js names no array for a
// Repeated that matched nothing, and ResponseData.fromSchema iterates it anyway. SEQUENCE OF
// allows an empty list and openssl sends one (for certificates its index marks expired), so such
// a list is given one SingleResponse that matches no certificate, its CertID hash algorithm being
// the OID 0.0. The signed bytes are untouched: pkijs takes tbsView from the original encoding.
const PLACEHOLDER_SINGLE_RESPONSE = new pkijs.SingleResponse({
  certID: new pkijs.CertID({ hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: "0.0" }), serialNumber: new asn1js.Integer({ value: 0 }) }),
  certStatus: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } }),
  thisUpdate: new Date(0),
}).toSchema().toBER();

function fillEmptyResponses(basicSchema: asn1js.AsnType): void {
  const responseData = basicSchema instanceof asn1js.Sequence ? basicSchema.valueBlock.value[0] : undefined;
  if (!(responseData instanceof asn1js.Sequence)) return;
  const fields = responseData.valueBlock.value;
  // responses comes right after producedAt, the only GeneralizedTime at this level.
  const producedAt = fields.findIndex((field) => field instanceof asn1js.GeneralizedTime);
  const responses = producedAt === -1 ? undefined : fields[producedAt + 1];
  if (responses instanceof asn1js.Sequence && responses.valueBlock.value.length === 0) {
    responses.valueBlock.value.push(asn1js.fromBER(PLACEHOLDER_SINGLE_RESPONSE).result);
  }
}

function emptyResult(responseStatus: string, problem: string): OcspResult {
  return {
    responseStatus, certStatus: null, revocationTime: null, revocationReason: null, thisUpdate: null, nextUpdate: null,
    producedAt: null, signer: "none", signatureValid: false, responderCertificates: [], nonceMatches: null, problems: [problem],
  };
}

function evaluateResponse(der: Buffer, context: OcspResponseContext): OcspResult {
  const response = decode(der, "OCSP response", (schema) => new pkijs.OCSPResponse({ schema }));
  const code = response.responseStatus.valueBlock.valueDec;
  const responseStatus = RESPONSE_STATUSES[code] ?? `unknown status ${code}`;
  if (responseStatus !== "successful") return emptyResult(responseStatus, `the responder answered ${responseStatus}`);
  if (response.responseBytes === undefined) throw new Error("a successful response without responseBytes");
  if (response.responseBytes.responseType !== OIDS.basicResponse) return emptyResult(responseStatus, "unknown response type");

  const { basic, carried, algorithmDer } = decode(response.responseBytes.response.valueBlock.valueHexView, "BasicOCSPResponse", (schema) => {
    fillEmptyResponses(schema);
    const parsed = new pkijs.BasicOCSPResponse({ schema }); // also checks the shape carriedCertificates walks
    return { basic: parsed, carried: carriedCertificates(parsed, schema), algorithmDer: signatureAlgorithmDer(schema) };
  });
  const issuer = describeCertificate(context.issuerDer, "issuer certificate");
  const serial = describeCertificate(context.certificateDer, "certificate").serialNumber.toBigInt();
  const now = context.now ?? new Date();
  const data = basic.tbsResponseData;

  const signature = assessSignature({ response: basic, algorithmDer }, issuer, carried, now);
  const status = assessSingleResponse(data.responses, issuer, serial, now);
  const nonce = assessNonce(data, context.nonce);
  return {
    responseStatus,
    ...status,
    producedAt: data.producedAt.toISOString(),
    ...signature,
    responderCertificates: carried.map((certificate) => certificate.der),
    ...nonce,
    problems: [...signature.problems, ...status.problems, ...nonce.problems],
  };
}

/** Never throws: bytes that are not an OCSP response give responseStatus 'malformed' and say why. */
export function parseOcspResponse(der: Buffer, context: OcspResponseContext): OcspResult {
  try {
    return evaluateResponse(der, context);
  } catch (error) {
    return emptyResult("malformed", `malformed: ${errorMessage(error)}`);
  }
}
