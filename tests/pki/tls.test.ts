// The TLS codecs on hand-built bytes: record framing and handshake reassembly, the Certificate
// message in its TLS 1.2 and 1.3 forms, and the TLS 1.3 key schedule checked against RFC 8448.
// Captures of live handshakes are tested with the collector (tests/collectors/handshake-capture.test.ts).
import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { extractServerCertificates, type ExtractionInput } from "../../src/pki/tls/certificate-message.js";
import { serverHandshakeSecret, TLS13_SUITES, Tls13RecordDecrypter } from "../../src/pki/tls/key-schedule.js";
import { HandshakeCaptureError, HandshakeReassembler, MessageReader, readRecords } from "../../src/pki/tls/records.js";

/** RFC 8448 section 3 (simple 1-RTT handshake): the server handshake traffic secret and what it expands to. */
const RFC8448 = {
  serverHandshakeSecret: "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
  key: Buffer.from("3fce516009c21727d0f2e4e86ee403bc", "hex"),
  iv: Buffer.from("5d313eb2671276ee13000b30", "hex"),
};
const SUITE = "TLS_AES_128_GCM_SHA256";
const HELLO_RETRY_REQUEST_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");

// Stand-ins for certificates: the codecs carry cert_data through without reading it.
const LEAF = Buffer.from("3003020101", "hex");
const INTERMEDIATE = Buffer.from("3003020102", "hex");

/** A TLS vector: the parts behind their total length in `size` big-endian bytes. */
function vector(size: 1 | 2 | 3, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(size);
  length.writeUIntBE(body.length, 0, size);
  return Buffer.concat([length, body]);
}

const plainRecord = (type: number, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.of(type, 3, 3), vector(2, ...parts)]);
const message = (type: number, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.of(type), vector(3, ...parts)]);
const serverHello = (random = Buffer.alloc(32, 7)): Buffer => message(2, Buffer.of(3, 3), random, Buffer.alloc(4));
const tls12Certificate = (...ders: Buffer[]): Buffer => message(11, vector(3, ...ders.map((der) => vector(3, der))));
const tls13Certificate = (...ders: Buffer[]): Buffer =>
  message(11, vector(1), vector(3, ...ders.map((der, index) => Buffer.concat([vector(3, der), vector(2, Buffer.alloc(index))]))));

/**
 * A protected record as the RFC 8448 server would send it: TLSInnerPlaintext sealed with the key and
 * IV from the RFC, so opening it checks the key schedule against the published values.
 */
function sealedRecord(sequence: number, content: Buffer, innerType = 22, padding = 0): Buffer {
  const inner = Buffer.concat([content, Buffer.of(innerType), Buffer.alloc(padding)]);
  const header = Buffer.concat([Buffer.of(23, 3, 3), Buffer.alloc(2)]);
  header.writeUInt16BE(inner.length + 16, 3);
  const nonce = Buffer.from(RFC8448.iv);
  nonce.writeUInt8(nonce.readUInt8(11) ^ sequence, 11);
  const cipher = createCipheriv("aes-128-gcm", RFC8448.key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
}

const keylogLine = (label: string, secret: string): Buffer => Buffer.from(`${label} ${"ab".repeat(32)} ${secret}\n`, "latin1");
const KEYLOG = [
  keylogLine("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "11".repeat(32)),
  keylogLine("SERVER_HANDSHAKE_TRAFFIC_SECRET", RFC8448.serverHandshakeSecret),
];

const tls12 = (...records: Buffer[]): ExtractionInput => ({
  inbound: Buffer.concat(records), keylog: [], protocol: "TLSv1.2", cipherStandardName: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
});
const tls13 = (...records: Buffer[]): ExtractionInput => ({
  inbound: Buffer.concat(records), keylog: KEYLOG, protocol: "TLSv1.3", cipherStandardName: SUITE,
});

/** The code of the HandshakeCaptureError `run` throws, or undefined when it returns. */
function failure(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof HandshakeCaptureError) return error.code;
    throw error;
  }
  return undefined;
}

describe("TLS records", () => {
  it("splits bytes into records and stops at the first one that is not TLS", () => {
    const records = [...readRecords(Buffer.concat([plainRecord(22, Buffer.of(1, 2)), plainRecord(20, Buffer.of(1))]))];
    expect(records.map(({ type, header, body }) => [type, header.toString("hex"), body.toString("hex")])).toEqual([
      [22, "1603030002", "0102"],
      [20, "1403030001", "01"],
    ]);
    expect(failure(() => [...readRecords(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"))])).toBe("malformed-record");
    expect(failure(() => [...readRecords(Buffer.of(22, 3, 3, 0))])).toBe("truncated-record");
  });

  it("reassembles handshake messages that span records or share one", () => {
    const stream = Buffer.concat([message(2, Buffer.of(9)), message(11, Buffer.alloc(300, 1)), message(14)]);
    const reassembler = new HandshakeReassembler();
    const seen: [number, number][] = [];
    for (let start = 0; start < stream.length; start += 100) {
      for (const { type, body } of reassembler.push(stream.subarray(start, start + 100))) seen.push([type, body.length]);
    }
    expect(seen).toEqual([[2, 1], [11, 300], [14, 0]]);
    expect(reassembler.hasPartialMessage).toBe(false);
    expect(reassembler.push(Buffer.of(11, 0))).toEqual([]);
    expect(reassembler.hasPartialMessage).toBe(true);
  });

  it("reads fields only within the bytes present", () => {
    const reader = new MessageReader(Buffer.of(0, 2, 7, 8, 9), "test message");
    const inner = reader.vector(2, "inner");
    expect(inner.bytes(2)).toEqual(Buffer.of(7, 8));
    inner.expectEnd();
    expect(failure(() => reader.expectEnd())).toBe("malformed-message");
    expect(failure(() => reader.uint(2))).toBe("malformed-message");
  });
});

describe("Certificate message", () => {
  it("returns TLS 1.2 certificates in the order sent, detached from the input", () => {
    const input = tls12(plainRecord(22, serverHello(), tls12Certificate(LEAF, INTERMEDIATE)), plainRecord(22, message(14)));
    const certificates = extractServerCertificates(input);
    input.inbound.fill(0);
    expect(certificates).toEqual([Buffer.from("3003020101", "hex"), Buffer.from("3003020102", "hex")]);
  });

  it("opens TLS 1.3 records and skips entry extensions, across records and padding", () => {
    const flight = Buffer.concat([message(8, vector(2)), tls13Certificate(LEAF, INTERMEDIATE), message(15, Buffer.alloc(8))]);
    const input = tls13(
      plainRecord(22, serverHello()),
      plainRecord(20, Buffer.of(1)),
      sealedRecord(0, flight.subarray(0, 10), 22, 5),
      sealedRecord(1, flight.subarray(10)),
    );
    expect(extractServerCertificates(input)).toEqual([LEAF, INTERMEDIATE]);
  });

  it("follows a HelloRetryRequest to the second ServerHello", () => {
    const input = tls13(
      plainRecord(22, serverHello(HELLO_RETRY_REQUEST_RANDOM)),
      plainRecord(22, serverHello()),
      sealedRecord(0, tls13Certificate(LEAF)),
    );
    expect(extractServerCertificates(input)).toEqual([LEAF]);
  });

  it("rejects records and messages out of place", () => {
    expect(failure(() => extractServerCertificates(tls12(plainRecord(23, Buffer.of(0)))))).toBe("unexpected-record");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(23, Buffer.of(0)))))).toBe("unexpected-record");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello(), message(8)))))).toBe("unexpected-message");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello(), Buffer.of(8)))))).toBe("unexpected-message");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello()), plainRecord(22, message(8))))))
      .toBe("unexpected-record");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello()), sealedRecord(0, Buffer.of(0), 23)))))
      .toBe("unexpected-record");
  });

  it("rejects oversized declared lengths without allocating them", () => {
    const hugeRecord = Buffer.from([22, 3, 3, 0xff, 0xff, 0, 0, 0]);
    expect(failure(() => extractServerCertificates(tls12(hugeRecord)))).toBe("oversized-record");

    // A Certificate whose list claims 16 MiB inside a 7-byte message.
    const lyingList = message(11, Buffer.from([0xff, 0xff, 0xff, 0, 0, 1, 0x30]));
    expect(failure(() => extractServerCertificates(tls12(plainRecord(22, lyingList))))).toBe("malformed-message");

    // A certificate entry longer than its list.
    const lyingEntry = message(11, Buffer.from([0, 0, 4, 0, 0xff, 0xff, 0x30]));
    expect(failure(() => extractServerCertificates(tls12(plainRecord(22, lyingEntry))))).toBe("malformed-message");
  });

  it("stays fast on a flood of 1-byte records announcing a 16 MiB message", () => {
    const flood = tls12(
      plainRecord(22, Buffer.from([11, 0xff, 0xff, 0xff])),
      ...Array.from({ length: 80_000 }, () => plainRecord(22, Buffer.from([0]))),
    );
    const started = performance.now();
    expect(failure(() => extractServerCertificates(flood))).toBe("truncated-message");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("reports alerts and handshakes without a Certificate", () => {
    const alert = plainRecord(21, Buffer.from([2, 40]));
    expect(failure(() => extractServerCertificates(tls12(alert)))).toBe("server-alert");
    expect(failure(() => extractServerCertificates(tls13(alert)))).toBe("server-alert");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello()), sealedRecord(0, Buffer.of(2, 40), 21)))))
      .toBe("server-alert");
    expect(failure(() => extractServerCertificates(tls12(plainRecord(21, Buffer.of(2)))))).toBe("malformed-record");

    expect(failure(() => extractServerCertificates(tls12(plainRecord(22, serverHello(), message(14)))))).toBe("no-certificate-message");
    expect(failure(() => extractServerCertificates(tls12(Buffer.alloc(0))))).toBe("no-certificate-message");
    // A PSK handshake: Finished ends the flight without a Certificate.
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello()), sealedRecord(0, message(20, Buffer.alloc(32)))))))
      .toBe("no-certificate-message");
    expect(failure(() => extractServerCertificates(tls13(plainRecord(22, serverHello()), sealedRecord(0, message(11).subarray(0, 2))))))
      .toBe("truncated-message");
  });

  it("knows the TLS versions and TLS 1.3 suites it can read", () => {
    expect(failure(() => extractServerCertificates({ ...tls12(), protocol: "DTLSv1.2" }))).toBe("unsupported-protocol");
    expect(failure(() => extractServerCertificates({ ...tls13(), cipherStandardName: "TLS_AES_128_CCM_SHA256" }))).toBe("unsupported-suite");
  });
});

describe("TLS 1.3 key schedule", () => {
  const suite = TLS13_SUITES.get(SUITE)!;
  const decrypter = () => new Tls13RecordDecrypter(suite, serverHandshakeSecret(KEYLOG, suite));
  const only = (bytes: Buffer) => [...readRecords(bytes)][0]!;

  it("derives the RFC 8448 key and IV and opens records in sequence", () => {
    const opener = decrypter();
    expect(opener.open(only(sealedRecord(0, Buffer.of(1, 2), 22, 3)))).toEqual({ type: 22, body: Buffer.of(1, 2) });
    expect(opener.open(only(sealedRecord(1, Buffer.of(3), 21)))).toEqual({ type: 21, body: Buffer.of(3) });
    // The nonce follows the sequence: a record out of turn does not authenticate.
    expect(failure(() => decrypter().open(only(sealedRecord(1, Buffer.of(3)))))).toBe("decrypt-failed");
  });

  it("rejects protected records too short for a tag, or with no content type", () => {
    expect(failure(() => decrypter().open(only(plainRecord(23, Buffer.alloc(16)))))).toBe("malformed-record");
    expect(failure(() => decrypter().open(only(sealedRecord(0, Buffer.alloc(0), 0, 4))))).toBe("malformed-record");
  });

  it("takes the one server handshake secret from the keylog", () => {
    const upper = keylogLine("SERVER_HANDSHAKE_TRAFFIC_SECRET", RFC8448.serverHandshakeSecret.toUpperCase());
    expect(serverHandshakeSecret([...KEYLOG, upper], suite).toString("hex")).toBe(RFC8448.serverHandshakeSecret);
    expect(failure(() => serverHandshakeSecret(KEYLOG.slice(0, 1), suite))).toBe("missing-secret");
    const other = keylogLine("SERVER_HANDSHAKE_TRAFFIC_SECRET", "22".repeat(32));
    expect(failure(() => serverHandshakeSecret([...KEYLOG, other], suite))).toBe("ambiguous-secret");
    const short = keylogLine("SERVER_HANDSHAKE_TRAFFIC_SECRET", "22".repeat(31));
    expect(failure(() => serverHandshakeSecret([short], suite))).toBe("malformed-keylog");
    expect(failure(() => serverHandshakeSecret([Buffer.from("SERVER_HANDSHAKE_TRAFFIC_SECRET aa")], suite))).toBe("malformed-keylog");
  });
});
