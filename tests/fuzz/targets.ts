// Every parser path the scanner runs on untrusted input, each with its seeds (the corpus files,
// or inputs built from them) and the one error type its caller catches and records. A thrown
// value the predicate refuses is a bug: it would escape the collector as a crash.
import { execFile } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { type Server, type Socket, connect, createServer } from "node:net";
import { once } from "node:events";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readJks, readPkcs12 } from "../../collectors/files/keystores.js";
import { pemBlocks } from "../../collectors/files/pem-blocks.js";
import { derKey, pemKey } from "../../collectors/files/private-keys.js";
import { startTlsProtocol } from "../../collectors/tls/starttls/index.js";
import {
  PlaintextConversation,
  StartTlsProtocolError,
  StartTlsRefused,
  StartTlsTimeout,
} from "../../collectors/tls/starttls/protocol.js";
import { ENROLLMENT_FLAG, NAME_FLAG, filetimeIntervalDays, flagNames, isOid, parseInteger32, templateKeyAlgorithm } from "../../src/inventory/adcs/template-decoding.js";
import { certificatesInAiaBody } from "../../src/pki/aia-body.js";
import { CertificateParseError, parseCertificate } from "../../src/pki/certificate.js";
import { CrlParseError, certificateRevocationFields, readCrl } from "../../src/pki/crl.js";
import { certificateNames, normalisedRdns } from "../../src/pki/der-names.js";
import { parseOcspResponse } from "../../src/pki/ocsp.js";
import { certificatesInBlob } from "../../src/pki/pem.js";
import { derShape, describePublicKeyOf, kdfCostProblem, readDerKey } from "../../src/pki/private-key.js";
import { SecurityDescriptorError, parseSecurityDescriptor, sidToBytes, sidToString } from "../../src/pki/security-descriptor.js";
import { extractServerCertificates } from "../../src/pki/tls/certificate-message.js";
import { HandshakeCaptureError } from "../../src/pki/tls/records.js";
import { securityDescriptor } from "../adcs/sd-builder.js";

const CORPORA = fileURLToPath(new URL("../../../shared/corpora/", import.meta.url));
const PYCA = join(CORPORA, "pyca-x509");
const PKITS = join(CORPORA, "pkits");

export interface Seed {
  name: string;
  bytes: Buffer;
}

export interface FuzzTarget {
  name: string;
  /** The parser(s) this reaches, for reports. */
  covers: string;
  /** What the caller catches; "nothing" when the path must never throw. */
  allowed: string;
  isAllowed(err: unknown): boolean;
  seeds: Seed[];
  /** Runs, relative to the base count: cheap parsers get more. */
  weight: number;
  run(input: Buffer): unknown;
}

const never = (): boolean => false;
const instanceOf = (...types: (abstract new (...args: never[]) => Error)[]) => (err: unknown): boolean => types.some((t) => err instanceof t);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

const relative = (path: string): string => path.slice(CORPORA.length);

async function seedsOf(paths: string[]): Promise<Seed[]> {
  return Promise.all(paths.map(async (path) => ({ name: relative(path), bytes: await readFile(path) })));
}

/** Every certificate of the corpora as DER: the pyca files' PEM blocks and DER files, and PKITS. */
async function certificateSeeds(): Promise<Seed[]> {
  const pyca = (await filesUnder(PYCA)).filter((p) => /\.(pem|der)$/.test(p) && !/crl|ocsp|_key\.pem$/.test(p));
  const seeds: Seed[] = [];
  for (const seed of await seedsOf(pyca)) {
    certificatesInBlob(seed.bytes).forEach((der, i) => seeds.push({ name: `${seed.name}#${i + 1}`, bytes: der }));
  }
  return [...seeds, ...(await seedsOf((await filesUnder(join(PKITS, "certs"))).filter((p) => p.endsWith(".crt"))))];
}

async function crlSeeds(): Promise<Seed[]> {
  const pyca = (await filesUnder(join(PYCA, "custom"))).filter((p) => /crl.*\.(pem|der)$/.test(p) && !/cdp_/.test(p));
  return [...(await seedsOf(pyca)), ...(await seedsOf(await filesUnder(join(PKITS, "crls"))))];
}

const run = promisify(execFile);

/** Key files of the corpus in the encodings the file collector meets, and keystores made of them with the real tools. */
async function keySeeds(work: string): Promise<{ der: Seed[]; pem: Seed[]; keystores: Seed[] }> {
  const keyPaths = [join(PYCA, "custom/ca/rsa_key.pem"), join(PYCA, "custom/ca/ca_key.pem")];
  const der: Seed[] = [];
  const pem: Seed[] = [];
  for (const path of keyPaths) {
    const key = createPrivateKey(await readFile(path));
    const name = relative(path);
    const traditional = key.asymmetricKeyType === "rsa" ? "pkcs1" : "sec1";
    der.push({ name: `${name} pkcs8`, bytes: key.export({ type: "pkcs8", format: "der" }) });
    der.push({ name: `${name} ${traditional}`, bytes: key.export({ type: traditional, format: "der" }) });
    der.push({ name: `${name} encrypted`, bytes: key.export({ type: "pkcs8", format: "der", cipher: "aes-128-cbc", passphrase: "changeit" }) });
    pem.push({ name: `${name} pem`, bytes: await readFile(path) });
    pem.push({ name: `${name} ${traditional} pem`, bytes: Buffer.from(key.export({ type: traditional, format: "pem" })) });
    pem.push({ name: `${name} legacy-encrypted pem`, bytes: Buffer.from(key.export({ type: traditional, format: "pem", cipher: "aes-128-cbc", passphrase: "changeit" })) });
  }
  // Few KDF iterations, so a run costs parsing, not key derivation (the iteration cap is tested in tests/collectors).
  const p12 = (out: string, pass: string, ...extra: string[]) =>
    run("openssl", ["pkcs12", "-export", "-in", join(PYCA, "custom/ca/rsa_ca.pem"), "-inkey", keyPaths[0]!, "-certfile", join(PYCA, "custom/ca/ca.pem"),
      "-name", "fuzz", "-passout", `pass:${pass}`, "-iter", "1", "-out", join(work, out), ...extra]);
  await p12("modern.p12", "");
  await p12("legacy.p12", "", "-legacy");
  await p12("changeit.p12", "changeit");
  await run("keytool", ["-importkeystore", "-noprompt", "-srckeystore", join(work, "changeit.p12"), "-srcstoretype", "PKCS12", "-srcstorepass", "changeit",
    "-destkeystore", join(work, "store.jks"), "-deststoretype", "JKS", "-deststorepass", "changeit", "-destkeypass", "changeit"]);
  const keystores = await seedsOf(["modern.p12", "legacy.p12", "changeit.p12", "store.jks"].map((f) => join(work, f)));
  return { der, pem, keystores: keystores.map((s) => ({ ...s, name: basename(s.name) })) };
}

// ---- TLS records: a server's first flight around corpus certificates ----

function vector(size: 1 | 2 | 3, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(size);
  length.writeUIntBE(body.length, 0, size);
  return Buffer.concat([length, body]);
}
const record = (type: number, body: Buffer): Buffer => Buffer.concat([Buffer.of(type, 3, 3), vector(2, body)]);
const handshake = (type: number, body: Buffer): Buffer => Buffer.concat([Buffer.of(type), vector(3, body)]);

function tlsSeeds(chains: Seed[][]): Seed[] {
  const hello = handshake(2, Buffer.concat([Buffer.of(3, 3), Buffer.alloc(32, 7), Buffer.of(0), Buffer.of(0xc0, 0x2f, 0)]));
  const done = handshake(14, Buffer.alloc(0));
  return chains.flatMap((chain) => {
    const certificate = handshake(11, vector(3, ...chain.map((c) => vector(3, c.bytes))));
    const name = chain.map((c) => c.name).join(" + ");
    const half = certificate.length >> 1;
    return [
      { name: `${name} (one record)`, bytes: record(22, Buffer.concat([hello, certificate, done])) },
      { name: `${name} (Certificate across records)`, bytes: Buffer.concat([record(22, hello), record(22, certificate.subarray(0, half)), record(22, certificate.subarray(half)), record(22, done)]) },
      { name: `${name} (then an alert)`, bytes: Buffer.concat([record(22, hello), record(21, Buffer.of(2, 40))]) },
    ];
  });
}

// ---- STARTTLS: scripted servers over a Unix socket pair (no address, no network) ----

/** How long the scripted peer waits for a client that has more to write before it closes. */
const QUIET_MS = 200;

/** What a server says, in full, for each protocol (an upgrade first), and how many times the client writes before TLS. */
function startTlsTranscripts(): Record<string, { said: Buffer[]; clientWrites: number }> {
  const latin1 = (...texts: string[]): Buffer[] => texts.map((t) => Buffer.from(t, "latin1"));
  const ldapSuccess = Buffer.from("300c02010178070a010004000400", "hex");
  const mysqlPayload = Buffer.concat([Buffer.of(10), Buffer.from("10.11.6-MariaDB\0", "latin1"), Buffer.alloc(4 + 8 + 1), Buffer.of(0x00, 0xfa), Buffer.of(45, 2, 0), Buffer.of(0xff, 0x81), Buffer.alloc(11)]);
  const mysqlHandshake = Buffer.concat([Buffer.of(mysqlPayload.length, 0, 0, 0), mysqlPayload]);
  const xmpp = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='fuzz.invalid' version='1.0'>"
    + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
  return {
    smtp: { said: latin1("220 mx.fuzz.invalid ESMTP\r\n250-mx.fuzz.invalid\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n", "220 mx ESMTP\r\n250 mx\r\n"), clientWrites: 2 },
    imap: { said: latin1("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\na2 OK Begin TLS negotiation now\r\n"), clientWrites: 2 },
    pop3: { said: latin1("+OK POP3 ready\r\n+OK Begin TLS negotiation\r\n", "+OK ready\r\n-ERR no\r\n"), clientWrites: 1 },
    ftp: { said: latin1("220-Welcome\r\n220-second line\r\n220 ready\r\n234 AUTH TLS OK.\r\n"), clientWrites: 1 },
    ldap: { said: [ldapSuccess], clientWrites: 1 },
    xmpp: { said: [...latin1(`${xmpp}<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`, xmpp.replace(/<starttls.*?<\/starttls>/, ""))], clientWrites: 2 },
    postgres: { said: latin1("S", "N", "E\0\0\0\x20SFATAL\0MFuzz error response\0\0"), clientWrites: 1 },
    mysql: { said: [mysqlHandshake], clientWrites: 1 },
    rdp: { said: [Buffer.from("030000130ed000001234000200080001000000", "hex"), Buffer.from("030000130ed000001234000300080002000000", "hex")], clientWrites: 1 },
  };
}

/**
 * A peer that sends a transcript as soon as a client connects, and closes once the client has
 * written everything its protocol writes before TLS (`clientWrites`), or has been quiet for
 * QUIET_MS (a client still waiting for a reply the mutation cut off), so each run ends on the
 * server's close instead of a step timeout. Hand-written: the point is to say what no real
 * server says.
 */
class ScriptedPeer {
  private readonly server: Server;
  private transcript: Buffer = Buffer.alloc(0);
  private clientWrites = 0;
  private constructor(server: Server, private readonly path: string) {
    this.server = server;
  }

  static async start(path: string): Promise<ScriptedPeer> {
    const server = createServer();
    const peer = new ScriptedPeer(server, path);
    server.on("connection", (socket) => peer.serve(socket));
    server.listen(path);
    await once(server, "listening");
    return peer;
  }

  private serve(socket: Socket): void {
    socket.on("error", () => {});
    let writes = 0;
    let quiet: NodeJS.Timeout | undefined;
    const rearm = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => socket.end(), QUIET_MS);
    };
    socket.on("data", () => {
      if (++writes >= this.clientWrites) socket.end();
      else rearm();
    });
    socket.on("close", () => clearTimeout(quiet));
    socket.write(this.transcript, rearm);
  }

  async converse(protocolName: string, transcript: Buffer, clientWrites: number): Promise<void> {
    const protocol = startTlsProtocol(protocolName)!;
    this.transcript = transcript;
    this.clientWrites = clientWrites;
    const socket = connect(this.path);
    socket.on("error", () => {});
    await once(socket, "connect");
    const talk = new PlaintextConversation(socket, 5_000, new AbortController().signal);
    try {
      await protocol.negotiate(talk, { hostname: "fuzz.invalid", address: "127.0.0.1", port: 0 });
      talk.release();
    } finally {
      socket.destroy();
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface FuzzTargets {
  targets: FuzzTarget[];
  close(): Promise<void>;
}

/** Builds every target; `work` is a scratch directory for the keystores and the socket. */
export async function fuzzTargets(work: string): Promise<FuzzTargets> {
  const certificates = await certificateSeeds();
  const crls = await crlSeeds();
  const ocspResponses = await seedsOf((await filesUnder(join(PYCA, "ocsp"))).filter((p) => /resp-/.test(p)));
  const chainPem = await readFile(join(PYCA, "cryptography.io.chain.pem"));
  const chain = certificatesInBlob(chainPem).map((der, i) => ({ name: `cryptography.io.chain.pem#${i + 1}`, bytes: der }));
  const pemFiles = await seedsOf((await filesUnder(PYCA)).filter((p) => p.endsWith(".pem")));
  const keys = await keySeeds(work);
  const p7cPath = join(work, "chain.p7c");
  await run("openssl", ["crl2pkcs7", "-nocrl", "-certfile", join(PYCA, "cryptography.io.chain.pem"), "-outform", "DER", "-out", p7cPath]);
  const p7c = { name: "cryptography.io.chain.p7c", bytes: await readFile(p7cPath) };
  const sids = ["S-1-5-32-544", "S-1-5-18", "S-1-5-11", "S-1-5-21-1004336348-1177238915-682003330-513"];
  const descriptors: Seed[] = [
    { name: "owner, group, DACL", bytes: securityDescriptor({ owner: sids[0]!, group: sids[1]!, aces: [
      { type: 0, mask: 0x000f01ff, sid: sids[2]! },
      { type: 5, flags: 0x02, mask: 0x100, sid: sids[3]!, objectType: "0e10c968-78fb-11d2-90d4-00c04f79dc55", inheritedObjectType: "bf967aba-0de6-11d0-a285-00aa003049e2" },
      { type: 1, mask: 0x10, sid: sids[3]! },
    ] }) },
    { name: "no DACL", bytes: securityDescriptor({ owner: sids[0]!, group: sids[1]!, aces: null }) },
  ];
  const filetime = Buffer.alloc(8);
  filetime.writeBigInt64LE(-(365n * 864_000_000_000n));
  const templateValues: Seed[] = [
    { name: "v4 key settings", bytes: Buffer.from("msPKI-Asymmetric-Algorithm`PZPWSTR`ECDH_P256`msPKI-Hash-Algorithm`PZPWSTR`SHA256`msPKI-Key-Usage`DWORD`16777215", "latin1") },
    { name: "negative flags", bytes: Buffer.from("-2147483648", "latin1") },
    { name: "an OID", bytes: Buffer.from("1.3.6.1.4.1.311.21.8.1.2", "latin1") },
    { name: "one year FILETIME", bytes: filetime },
  ];
  const peer = await ScriptedPeer.start(join(work, "starttls.sock"));
  // Loaded now, not inside the first LDAP run (the module imports it lazily).
  await import("ldapts");
  const transcripts = startTlsTranscripts();

  const targets: FuzzTarget[] = [
    {
      name: "certificate", covers: "src/pki/certificate.ts parseCertificate", allowed: "CertificateParseError",
      isAllowed: instanceOf(CertificateParseError), seeds: certificates, weight: 2,
      run: (input) => parseCertificate(input),
    },
    {
      name: "certificate-revocation-fields", covers: "src/pki/crl.ts certificateRevocationFields", allowed: "CrlParseError",
      isAllowed: instanceOf(CrlParseError), seeds: certificates, weight: 2,
      run: (input) => certificateRevocationFields(input),
    },
    {
      name: "der-names", covers: "src/pki/der-names.ts certificateNames, normalisedRdns", allowed: "nothing",
      isAllowed: never, seeds: certificates, weight: 3,
      run: (input) => {
        const names = certificateNames(input);
        return [normalisedRdns(input), names && normalisedRdns(names.subject), names && normalisedRdns(names.issuer)];
      },
    },
    {
      name: "crl", covers: "src/pki/crl.ts readCrl (DER and PEM), with and without wanted serials", allowed: "CrlParseError",
      isAllowed: instanceOf(CrlParseError), seeds: crls, weight: 2,
      run: (input) => [readCrl(input), readCrl(input, new Set(["01", "0a", "7f"]))],
    },
    {
      name: "ocsp", covers: "src/pki/ocsp.ts parseOcspResponse", allowed: "nothing",
      isAllowed: never, seeds: ocspResponses, weight: 1,
      run: (input) => parseOcspResponse(input, { certificateDer: chain[0]!.bytes, issuerDer: chain[1]!.bytes, nonce: Buffer.alloc(16, 1) }),
    },
    {
      name: "tls-certificate-message", covers: "src/pki/tls records, handshake reassembly, Certificate message (TLS 1.2)", allowed: "HandshakeCaptureError",
      isAllowed: instanceOf(HandshakeCaptureError), seeds: tlsSeeds([chain, certificates.slice(0, 1)]), weight: 3,
      run: (input) => extractServerCertificates({ inbound: input, keylog: [], protocol: "TLSv1.2", cipherStandardName: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" }),
    },
    {
      name: "aia-body", covers: "src/pki/aia-body.ts certificatesInAiaBody (DER, PEM, PKCS#7)", allowed: "nothing",
      isAllowed: never, seeds: [...chain, { name: "cryptography.io.chain.pem", bytes: chainPem }, p7c], weight: 1,
      run: (input) => certificatesInAiaBody(input),
    },
    {
      name: "pem", covers: "src/pki/pem.ts certificatesInBlob; collectors/files/pem-blocks.ts pemBlocks (chunked), pemKey", allowed: "nothing",
      isAllowed: never, seeds: [...pemFiles, ...keys.pem], weight: 1,
      run: async (input) => {
        certificatesInBlob(input);
        // Chunk size and block cap from the input itself, so boundaries move as the input does.
        const chunk = 1 + ((input[0] ?? 0) % 97);
        const chunks = Array.from({ length: Math.ceil(input.length / chunk) }, (_, i) => input.subarray(i * chunk, (i + 1) * chunk));
        for await (const block of pemBlocks(chunks, input.length % 2 === 0 ? 2048 : undefined)) {
          if (block.der && block.label.endsWith("PRIVATE KEY")) pemKey({ ...block, der: block.der }, null);
        }
      },
    },
    {
      name: "private-key-der", covers: "src/pki/private-key.ts derShape, readDerKey, kdfCostProblem, describePublicKeyOf; collectors/files/private-keys.ts derKey", allowed: "nothing",
      isAllowed: never, seeds: [...keys.der, ...certificates.slice(0, 4)], weight: 0.5,
      run: (input) => {
        const shape = derShape(input);
        return [shape, readDerKey(input), kdfCostProblem(input), describePublicKeyOf(input), derKey(input, shape === "encrypted-private-key", null)];
      },
    },
    {
      name: "keystores", covers: "collectors/files/keystores.ts readPkcs12 (forge), readJks (jks-js)", allowed: "Error (the file collector records its message)",
      isAllowed: instanceOf(Error), seeds: keys.keystores, weight: 1,
      run: (input) => (input.length >= 4 && input.readUInt32BE(0) === 0xfeedfeed ? readJks(input, null) : readPkcs12(input, null)),
    },
    {
      name: "security-descriptor", covers: "src/pki/security-descriptor.ts parseSecurityDescriptor", allowed: "SecurityDescriptorError",
      isAllowed: instanceOf(SecurityDescriptorError), seeds: descriptors, weight: 2,
      run: (input) => parseSecurityDescriptor(input),
    },
    {
      name: "sid", covers: "src/pki/security-descriptor.ts sidToString", allowed: "SecurityDescriptorError",
      isAllowed: instanceOf(SecurityDescriptorError), seeds: sids.map((sid) => ({ name: sid, bytes: sidToBytes(sid) })), weight: 1,
      run: (input) => sidToString(input),
    },
    {
      name: "adcs-template-decoding", covers: "src/inventory/adcs/template-decoding.ts", allowed: "nothing",
      isAllowed: never, seeds: templateValues, weight: 1,
      run: (input) => {
        const text = input.toString("latin1");
        const flags = input.length >= 4 ? input.readUInt32LE(0) : input.length;
        return [parseInteger32(text), filetimeIntervalDays(input), filetimeIntervalDays(input.subarray(0, 8)), templateKeyAlgorithm(text.split("\n")),
          flagNames(flags, NAME_FLAG), flagNames(flags, ENROLLMENT_FLAG), isOid(text)];
      },
    },
    ...Object.entries(transcripts).map(([protocol, { said, clientWrites }]): FuzzTarget => ({
      name: `starttls-${protocol}`, covers: `collectors/tls/starttls/${protocol}.ts over a PlaintextConversation`,
      allowed: "StartTlsRefused, StartTlsProtocolError, StartTlsTimeout",
      isAllowed: instanceOf(StartTlsRefused, StartTlsProtocolError, StartTlsTimeout),
      seeds: said.map((bytes, i) => ({ name: `${protocol} transcript ${i + 1}`, bytes })), weight: 0.25,
      run: (input) => peer.converse(protocol, input, clientWrites),
    })),
  ];
  return { targets, close: () => peer.close() };
}
