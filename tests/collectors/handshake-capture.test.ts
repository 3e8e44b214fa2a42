import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, createServer, type SecureVersion, type Server, type TlsOptions } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tapInbound } from "../../collectors/tls/byte-tap.js";
import { connectWithCapture } from "../../collectors/tls/handshake-capture.js";
import { extractServerCertificates, type ExtractionInput } from "../../src/pki/tls/certificate-message.js";
import { HandshakeCaptureError, type HandshakeCaptureErrorCode } from "../../src/pki/tls/records.js";

// Captures from live loopback handshakes. Tests of the codecs on hand-built bytes are in tests/pki/tls.test.ts.

// Weak settings on both ends so that TLS 1.0 and every suite can be negotiated locally.
const WEAK_CIPHERS = "ALL:@SECLEVEL=0";
const TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] as const;
const HELLO_RETRY_REQUEST_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = CA:FALSE
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[bulky_ext]
basicConstraints = CA:FALSE
subjectAltName = ${Array.from({ length: 1500 }, (_, index) => `DNS:host-${index}.bulky.test`).join(",")}
`;

interface TestCert {
  readonly pem: string;
  readonly der: Buffer;
  readonly key: string;
}

interface Pki {
  readonly rsa: { root: TestCert; intermediate: TestCert; leaf: TestCert };
  readonly ec: { root: TestCert; intermediate: TestCert; leaf: TestCert };
  /** Self-signed, unrelated to either chain. */
  readonly unrelated: TestCert;
  /** Unrelated and above 20 KiB, so a Certificate message must span several records. */
  readonly bulky: TestCert;
}

let workDir: string;
let pki: Pki;
const servers: Server[] = [];
const sockets: Socket[] = [];

function generatePki(dir: string): Pki {
  writeFileSync(join(dir, "openssl.cnf"), OPENSSL_CONFIG);
  const issue = (name: string, subject: string, keySpec: string[], extensions: string, issuer?: string): TestCert => {
    const signing = issuer === undefined ? [] : ["-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`];
    execFileSync(
      "openssl",
      ["req", "-x509", "-config", "openssl.cnf", "-extensions", extensions, "-nodes", "-days", "2", "-subj", subject,
        ...keySpec, "-keyout", `${name}.key`, "-out", `${name}.pem`, ...signing],
      { cwd: dir, stdio: "pipe" },
    );
    const pem = readFileSync(join(dir, `${name}.pem`), "utf8");
    return { pem, der: Buffer.from(new X509Certificate(pem).raw), key: readFileSync(join(dir, `${name}.key`), "utf8") };
  };
  const rsaKey = ["-newkey", "rsa:2048"];
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  const chain = (prefix: string, keySpec: string[]) => ({
    root: issue(`${prefix}-root`, `/CN=${prefix} test root`, keySpec, "ca_ext"),
    intermediate: issue(`${prefix}-int`, `/CN=${prefix} test intermediate`, keySpec, "ca_ext", `${prefix}-root`),
    leaf: issue(`${prefix}-leaf`, "/CN=localhost", keySpec, "leaf_ext", `${prefix}-int`),
  });
  return {
    rsa: chain("rsa", rsaKey),
    ec: chain("ec", ecKey),
    unrelated: issue("unrelated", "/CN=unrelated", ecKey, "ca_ext"),
    bulky: issue("bulky", "/CN=bulky", ecKey, "bulky_ext"),
  };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A loopback server whose `cert` option is the given PEM bundle, in order. */
async function startServer(certs: readonly TestCert[], key: string, options: TlsOptions = {}): Promise<number> {
  return listen(createServer({ cert: certs.map((cert) => cert.pem).join(""), key, ciphers: WEAK_CIPHERS, ...options }));
}

async function connectRaw(port: number): Promise<Socket> {
  const socket = netConnect(port, "127.0.0.1");
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

interface Captured {
  readonly certificates: Buffer[];
  readonly input: ExtractionInput;
}

/** Handshake through the capture and return what it extracted plus the raw inputs. */
async function capture(port: number, maxRecordedBytes?: number): Promise<Captured> {
  const raw = await connectRaw(port);
  const keylog: Buffer[] = [];
  const handshake = connectWithCapture(
    raw,
    { ciphers: WEAK_CIPHERS, minVersion: "TLSv1", rejectUnauthorized: false },
    maxRecordedBytes,
  );
  handshake.tlsSocket.on("keylog", (line: Buffer) => keylog.push(line));
  await new Promise<void>((resolve, reject) => {
    handshake.tlsSocket.once("secureConnect", resolve);
    handshake.tlsSocket.once("error", reject);
  });
  const input: ExtractionInput = {
    inbound: handshake.tap.recorded(),
    keylog,
    protocol: handshake.tlsSocket.getProtocol() ?? "",
    cipherStandardName: handshake.tlsSocket.getCipher().standardName,
  };
  const certificates = handshake.serverCertificates();
  handshake.tlsSocket.destroy();
  return { certificates, input };
}

function ders(certs: readonly TestCert[]): Buffer[] {
  return certs.map((cert) => cert.der);
}

function expectCaptureError(run: () => unknown, code: HandshakeCaptureErrorCode): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(HandshakeCaptureError);
  expect((thrown as HandshakeCaptureError).code).toBe(code);
}

function record(type: number, body: Buffer, version = 0x0303): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(version, 1);
  header.writeUInt16BE(body.length, 3);
  return Buffer.concat([header, body]);
}

/**
 * Re-split the plaintext handshake (everything before ChangeCipherSpec) into
 * records of `fragmentSize` bytes: tiny sizes make messages span records,
 * large ones pack several messages into one record.
 */
function refragmentPlaintextHandshake(inbound: Buffer, fragmentSize: number): Buffer {
  let offset = 0;
  const handshake: Buffer[] = [];
  while (inbound.readUInt8(offset) === 22) {
    const length = inbound.readUInt16BE(offset + 3);
    handshake.push(inbound.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  const stream = Buffer.concat(handshake);
  const records: Buffer[] = [];
  for (let start = 0; start < stream.length; start += fragmentSize) {
    records.push(record(22, stream.subarray(start, start + fragmentSize)));
  }
  return Buffer.concat([...records, inbound.subarray(offset)]);
}

const plaintextInput = (inbound: Buffer): ExtractionInput => ({
  inbound,
  keylog: [],
  protocol: "TLSv1.2",
  cipherStandardName: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
});

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "pkiscope-handshake-"));
  pki = generatePki(workDir);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(workDir, { recursive: true, force: true });
});

describe("TLS 1.3 capture", () => {
  const bundles = {
    "RSA leaf+intermediate": () => ({ certs: [pki.rsa.leaf, pki.rsa.intermediate], key: pki.rsa.leaf.key }),
    // OpenSSL sends configured chain certificates verbatim: no reordering, no pruning.
    "RSA leaf+unrelated+intermediate (misordered)": () => ({
      certs: [pki.rsa.leaf, pki.unrelated, pki.rsa.intermediate],
      key: pki.rsa.leaf.key,
    }),
    "EC leaf+root+intermediate (root before its child)": () => ({
      certs: [pki.ec.leaf, pki.ec.root, pki.ec.intermediate],
      key: pki.ec.leaf.key,
    }),
  };

  for (const suite of TLS13_SUITES) {
    for (const [name, bundle] of Object.entries(bundles)) {
      it(`${suite}: ${name} is returned exactly as sent`, async () => {
        const { certs, key } = bundle();
        // Node has no `ciphersuites` option: TLS 1.3 suites go in `ciphers` next to the TLS 1.2 ones.
        const port = await startServer(certs, key, { minVersion: "TLSv1.3", ciphers: `${suite}:${WEAK_CIPHERS}` });
        const { certificates, input } = await capture(port);
        expect(input.protocol).toBe("TLSv1.3");
        expect(input.cipherStandardName).toBe(suite);
        expect(certificates).toEqual(ders(certs));
      });
    }
  }

  it("follows a HelloRetryRequest (server insists on a group the client did not share first)", async () => {
    const certs = [pki.ec.leaf, pki.ec.intermediate];
    const port = await startServer(certs, pki.ec.leaf.key, { minVersion: "TLSv1.3", ecdhCurve: "P-384" });
    const { certificates, input } = await capture(port);
    expect(input.inbound.toString("hex")).toContain(HELLO_RETRY_REQUEST_RANDOM);
    expect(certificates).toEqual(ders(certs));
  });

  it("reassembles a Certificate message spanning several protected records", async () => {
    const certs = [pki.rsa.leaf, pki.bulky, pki.rsa.intermediate];
    const port = await startServer(certs, pki.rsa.leaf.key, { minVersion: "TLSv1.3" });
    const { certificates } = await capture(port);
    expect(certificates).toEqual(ders(certs));
  });
});

describe("TLS 1.0-1.2 capture", () => {
  const cases: { version: SecureVersion; certs: () => TestCert[]; key: () => string }[] = [
    { version: "TLSv1.2", certs: () => [pki.rsa.leaf, pki.rsa.intermediate], key: () => pki.rsa.leaf.key },
    { version: "TLSv1.2", certs: () => [pki.rsa.leaf, pki.unrelated, pki.rsa.intermediate], key: () => pki.rsa.leaf.key },
    { version: "TLSv1.2", certs: () => [pki.ec.leaf, pki.ec.intermediate, pki.ec.root], key: () => pki.ec.leaf.key },
    { version: "TLSv1", certs: () => [pki.rsa.leaf, pki.rsa.intermediate], key: () => pki.rsa.leaf.key },
    { version: "TLSv1", certs: () => [pki.ec.leaf, pki.unrelated, pki.ec.intermediate], key: () => pki.ec.leaf.key },
  ];

  for (const [index, { version, certs, key }] of cases.entries()) {
    it(`${version} chain #${index} is returned exactly as sent`, async () => {
      const port = await startServer(certs(), key(), { minVersion: version, maxVersion: version });
      const { certificates, input } = await capture(port);
      expect(input.protocol).toBe(version);
      expect(certificates).toEqual(ders(certs()));
    });
  }

  it("reassembles handshake messages however the records split them", async () => {
    const certs = [pki.rsa.leaf, pki.bulky, pki.rsa.intermediate];
    const port = await startServer(certs, pki.rsa.leaf.key, { maxVersion: "TLSv1.2" });
    const { certificates, input } = await capture(port);
    expect(certificates).toEqual(ders(certs));
    for (const fragmentSize of [1, 7, 16384]) {
      const inbound = refragmentPlaintextHandshake(input.inbound, fragmentSize);
      expect(extractServerCertificates({ ...input, inbound })).toEqual(ders(certs));
    }
  });
});

describe("hostile or broken input", () => {
  let tls12: Captured;
  let tls13: Captured;

  beforeAll(async () => {
    const certs = [pki.rsa.leaf, pki.rsa.intermediate];
    tls12 = await capture(await startServer(certs, pki.rsa.leaf.key, { maxVersion: "TLSv1.2" }));
    tls13 = await capture(await startServer(certs, pki.rsa.leaf.key, { minVersion: "TLSv1.3" }));
  });

  it("rejects bytes that are not TLS records", () => {
    const garbage = Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n");
    expectCaptureError(() => extractServerCertificates(plaintextInput(garbage)), "malformed-record");
    expectCaptureError(() => extractServerCertificates({ ...tls13.input, inbound: garbage }), "malformed-record");
  });

  it("reports truncated records in either version", () => {
    for (const { input } of [tls12, tls13]) {
      for (const cut of [3, 5 + 10, Math.floor(input.inbound.length / 2)]) {
        expectCaptureError(
          () => extractServerCertificates({ ...input, inbound: input.inbound.subarray(0, cut) }),
          "truncated-record",
        );
      }
    }
  });

  it("reports a wrong TLS 1.3 key as a decryption failure", () => {
    const keylog = tls13.input.keylog.map((line) => {
      const text = line.toString("latin1");
      if (!text.startsWith("SERVER_HANDSHAKE_TRAFFIC_SECRET ")) return line;
      const last = text.trimEnd().slice(-1);
      return Buffer.from(`${text.trimEnd().slice(0, -1)}${last === "0" ? "1" : "0"}\n`, "latin1");
    });
    expectCaptureError(() => extractServerCertificates({ ...tls13.input, keylog }), "decrypt-failed");
  });

  it("needs the server handshake secret and a supported suite for TLS 1.3", () => {
    expectCaptureError(() => extractServerCertificates({ ...tls13.input, keylog: [] }), "missing-secret");
    expectCaptureError(
      () => extractServerCertificates({ ...tls13.input, cipherStandardName: "TLS_AES_128_CCM_SHA256" }),
      "unsupported-suite",
    );
    expectCaptureError(() => extractServerCertificates({ ...tls13.input, protocol: "DTLSv1.2" }), "unsupported-protocol");
  });
});

describe("inbound tap", () => {
  it("records at most the cap while passing every byte through", async () => {
    const certs = [pki.rsa.leaf, pki.bulky, pki.rsa.intermediate];
    const port = await startServer(certs, pki.rsa.leaf.key, { maxVersion: "TLSv1.2" });
    const raw = await connectRaw(port);
    const tap = tapInbound(raw, 1_000);
    const tlsSocket = tlsConnect({ socket: tap.stream, ciphers: WEAK_CIPHERS, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      tlsSocket.once("secureConnect", resolve);
      tlsSocket.once("error", reject);
    });
    expect(raw.bytesRead).toBeGreaterThan(20_000);
    expect(tap.recorded().length).toBe(1_000);
    expect(tap.truncated()).toBe(true);
    expect(tap.recorded().subarray(0, 3)).toEqual(Buffer.from([22, 3, 3]));
    expectCaptureError(() => extractServerCertificates(plaintextInput(tap.recorded())), "truncated-record");
    tlsSocket.destroy();
  });

  it("is not truncated when the handshake fits", async () => {
    const port = await startServer([pki.ec.leaf], pki.ec.leaf.key);
    const raw = await connectRaw(port);
    const tap = tapInbound(raw);
    const tlsSocket = tlsConnect({ socket: tap.stream, ciphers: WEAK_CIPHERS, rejectUnauthorized: false });
    await new Promise((resolve) => tlsSocket.once("secureConnect", resolve));
    expect(tap.truncated()).toBe(false);
    tlsSocket.destroy();
  });

  it("destroys the raw socket when the TLS socket is destroyed", async () => {
    const port = await startServer([pki.ec.leaf], pki.ec.leaf.key);
    const raw = await connectRaw(port);
    const tlsSocket = tlsConnect({ socket: tapInbound(raw).stream, ciphers: WEAK_CIPHERS, rejectUnauthorized: false });
    await new Promise((resolve) => tlsSocket.once("secureConnect", resolve));
    const rawClosed = new Promise((resolve) => raw.once("close", resolve));
    tlsSocket.destroy();
    await rawClosed;
    expect(raw.destroyed).toBe(true);
  });

  it("propagates a raw socket error to the TLS socket", async () => {
    const port = await startServer([pki.ec.leaf], pki.ec.leaf.key);
    const raw = await connectRaw(port);
    const tlsSocket = tlsConnect({ socket: tapInbound(raw).stream, ciphers: WEAK_CIPHERS, rejectUnauthorized: false });
    await new Promise((resolve) => tlsSocket.once("secureConnect", resolve));
    const failed = new Promise<Error>((resolve) => tlsSocket.once("error", resolve));
    const closed = new Promise((resolve) => tlsSocket.once("close", resolve));
    raw.destroy(new Error("wire cut"));
    expect((await failed).message).toBe("wire cut");
    await closed;
  });

  it("propagates the server closing the connection", async () => {
    const server = createServer({ cert: pki.ec.leaf.pem, key: pki.ec.leaf.key }, (serverSide) => serverSide.end());
    const port = await listen(server);
    const raw = await connectRaw(port);
    const tlsSocket = tlsConnect({ socket: tapInbound(raw).stream, ciphers: WEAK_CIPHERS, rejectUnauthorized: false });
    tlsSocket.resume();
    await new Promise((resolve) => tlsSocket.once("close", resolve));
    expect(raw.destroyed).toBe(true);
  });
});
