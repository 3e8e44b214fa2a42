// Real loopback sinks for alert tests, shared by the `pkiscope alert` and daemon tests: an HTTP
// receiver that records every signed batch, and an SMTP server (smtp-server) that requires
// STARTTLS and AUTH; plus the certificates both tests' fixture networks are built from.
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { type IncomingMessage, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { type KeyPair, generateKeyPair } from "../../fixtures/lib/keys.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import type { AlertBatch } from "../../src/model/alerts.js";

const DAY = 86_400_000;
export const days = (n: number): Date => new Date(Date.now() + n * DAY);

/** A CA (self-signed when `issuer` is null) or a TLS server leaf named `cn`, valid from 30 days ago to `notAfter`. */
export function issueCertificate(cn: string, issuer: SampleCertificate | null, notAfter: Date, key: KeyPair = generateKeyPair({ kind: "ec", curve: "P-256" }), ca = false): SampleCertificate {
  const built = buildCertificate({
    subject: [["O", "pkiscope alerts"], ["CN", cn]], publicKey: key.publicKey,
    ...(issuer ? { issuer: { certificateDer: issuer.der, privateKey: issuer.privateKey } } : { selfSignKey: key.privateKey }),
    notBefore: days(-30), notAfter,
    ...(ca ? { isCA: true, keyUsage: ["keyCertSign", "cRLSign"] } : { dnsNames: [cn], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"] }),
  });
  return { ...built, privateKey: key.privateKey };
}

export interface ReceivedHook {
  path: string;
  body: string;
  signature: string | undefined;
  batch: AlertBatch;
}

export interface HookReceiver {
  /** The receiver's URL for a path. */
  url(path: string): string;
  /** Every batch accepted, in order of arrival (refused attempts are not). */
  received: ReceivedHook[];
  close(): Promise<void>;
}

export interface HookReceiverOptions {
  /** A status to refuse this attempt with, or null to accept it. */
  refuse?(path: string): number | null;
  /** Awaited before an accepted batch is answered (the sender waits for the answer meanwhile). */
  beforeAnswer?(hook: ReceivedHook): Promise<void>;
}

export async function startHookReceiver(options: HookReceiverOptions = {}): Promise<HookReceiver> {
  const received: ReceivedHook[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? "";
    const refusal = options.refuse?.(path) ?? null;
    if (refusal !== null) {
      res.writeHead(refusal).end();
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const hook = { path, body, signature: req.headers["x-pkiscope-signature"] as string | undefined, batch: JSON.parse(body) as AlertBatch };
    received.push(hook);
    await options.beforeAnswer?.(hook);
    res.writeHead(204).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The signature header a batch must carry: computed here, not by pkiscope's own code. */
export function expectedSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface ReceivedMail {
  text: string;
  /** The session was upgraded with STARTTLS. */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  /** PEM of the server's self-signed certificate, for the sink's `ca`. */
  caPath: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** smtp-server on loopback, offering STARTTLS and accepting only these credentials; its CA is written into `dir`. */
export async function startSmtpReceiver(dir: string, credentials: { user: string; password: string }): Promise<SmtpReceiver> {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const cert = buildCertificate({
    subject: [["CN", "smtp.alerts.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: days(-1), notAfter: days(30), ipAddresses: ["127.0.0.1"], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"],
  });
  const caPath = join(dir, "smtp-ca.pem");
  await writeFile(caPath, cert.pem);
  const mails: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    secure: false, key: key.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: cert.pem,
    authMethods: ["PLAIN", "LOGIN"], logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.password) callback(null, { user: auth.username });
      else callback(new Error("bad credentials"));
    },
    onData(stream, session, callback) {
      let text = "";
      stream.on("data", (d: Buffer) => (text += d.toString()));
      stream.on("end", () => {
        mails.push({ text, secure: session.secure, user: session.user as string | undefined });
        callback();
      });
    },
  });
  smtp.listen(0, "127.0.0.1");
  await once(smtp.server, "listening");
  return {
    host: "127.0.0.1", port: (smtp.server.address() as AddressInfo).port, caPath, mails,
    close: () => new Promise<void>((resolve) => smtp.close(resolve)),
  };
}

/** The batch a mail carries as its alerts.json attachment (base64). */
export function attachedBatch(mail: ReceivedMail): AlertBatch {
  const base64 = /filename=alerts\.json\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(mail.text)?.[1];
  if (base64 === undefined) throw new Error("the mail has no alerts.json attachment");
  return JSON.parse(Buffer.from(base64, "base64").toString("utf8")) as AlertBatch;
}
