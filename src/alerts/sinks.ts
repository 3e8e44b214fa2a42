// Delivering a batch of alert events to one sink. Each returns a DeliveryResult and never throws:
// a failing sink must not stop the others. Secrets come from environment variables named by the
// config and go only where they are for (the HMAC key, the SMTP login); results and errors name
// a webhook by its origin alone (webhook paths often carry tokens).
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import nodemailer from "nodemailer";
import { request } from "undici";
import type { SinkConfig } from "../config/schema.js";
import type { AlertBatch, DeliveryResult } from "../model/alerts.js";

type Sink<T extends SinkConfig["type"]> = Extract<SinkConfig, { type: T }>;

export const SIGNATURE_HEADER = "x-pkiscope-signature";

export interface WebhookOptions {
  attempts: number;
  /** First retry after this; each next one after twice the last. */
  backoffMs: number;
  /** Bound on each attempt and on all of them together. */
  attemptTimeoutMs: number;
  totalTimeoutMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { attempts: 4, backoffMs: 500, attemptTimeoutMs: 10_000, totalTimeoutMs: 30_000 };

/** `sha256=<hex>` of the HMAC-SHA256 of the exact body bytes. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

const failure = (sink: DeliveryResult["sink"], target: string, batch: AlertBatch, attempts: number, error: string): DeliveryResult =>
  ({ sink, target, events: batch.events.length, delivered: false, attempts, error });

function environment(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** POSTs the batch as JSON, signed; retries network errors and 5xx with exponential backoff, within the bounds. */
export async function sendWebhook(
  sink: Sink<"webhook">, batch: AlertBatch, env: NodeJS.ProcessEnv, options: WebhookOptions = DEFAULT_WEBHOOK_OPTIONS,
): Promise<DeliveryResult> {
  const target = new URL(sink.url).origin;
  let secret: string;
  try {
    secret = environment(env, sink.secretEnv);
  } catch (err) {
    return failure("webhook", target, batch, 0, (err as Error).message);
  }
  const body = JSON.stringify(batch);
  const headers = { "content-type": "application/json", [SIGNATURE_HEADER]: signature(secret, body) };
  const deadline = Date.now() + options.totalTimeoutMs;
  let error = "no attempt made";
  let attempt = 0;
  while (attempt < options.attempts) {
    attempt++;
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      const response = await request(sink.url, { method: "POST", body, headers, signal: AbortSignal.timeout(Math.min(options.attemptTimeoutMs, left)) });
      await response.body.dump();
      if (response.statusCode < 300) return { sink: "webhook", target, events: batch.events.length, delivered: true, attempts: attempt, error: null };
      error = `HTTP ${response.statusCode}`;
      if (response.statusCode < 500) break;
    } catch (err) {
      error = (err as Error).name === "TimeoutError" ? "timed out" : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    const wait = options.backoffMs * 2 ** (attempt - 1);
    if (attempt < options.attempts && Date.now() + wait < deadline) await sleep(wait);
    else break;
  }
  return failure("webhook", target, batch, attempt, error);
}

/** One message with every event of the batch; STARTTLS is required when the sink says starttls. */
export async function sendEmail(sink: Sink<"email">, batch: AlertBatch, env: NodeJS.ProcessEnv): Promise<DeliveryResult> {
  const { smtp } = sink;
  const target = `${smtp.host}:${smtp.port}`;
  try {
    const user = smtp.userEnv === undefined ? undefined : environment(env, smtp.userEnv);
    const pass = smtp.passwordEnv === undefined ? undefined : environment(env, smtp.passwordEnv);
    const transport = nodemailer.createTransport({
      host: smtp.host, port: smtp.port, secure: false, requireTLS: smtp.starttls, ignoreTLS: !smtp.starttls,
      ...(user !== undefined ? { auth: { user, pass: pass ?? "" } } : {}),
      ...(smtp.ca !== undefined ? { tls: { ca: await readFile(smtp.ca, "utf8") } } : {}),
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, logger: false, debug: false,
    });
    try {
      await transport.sendMail({
        from: sink.from, to: sink.to, subject: emailSubject(batch), text: emailText(batch),
        attachments: [{ filename: "alerts.json", content: JSON.stringify(batch, null, 2), contentType: "application/json" }],
      });
    } finally {
      transport.close();
    }
    return { sink: "email", target, events: batch.events.length, delivered: true, attempts: 1, error: null };
  } catch (err) {
    // nodemailer's messages quote the server's reply, never the credentials.
    return failure("email", target, batch, 1, (err as Error).message);
  }
}

function emailSubject(batch: AlertBatch): string {
  const worst = batch.events.some((e) => e.severity === "critical") ? "critical" : batch.events[0]?.severity ?? "info";
  return `pkiscope ${batch.profile}: ${batch.events.length} alert${batch.events.length === 1 ? "" : "s"} (${worst})`;
}

function emailText(batch: AlertBatch): string {
  const lines = batch.events.map((e) => `- [${e.severity}] ${e.kind}: ${e.summary}${e.owner === null ? "" : ` (owner: ${e.owner})`}`);
  return [`Profile ${batch.profile}, run ${batch.run}${batch.previousRun === null ? "" : ` compared with run ${batch.previousRun}`}:`, "", ...lines, ""].join("\n");
}

export const COMMAND_TIMEOUT_MS = 30_000;

/** Runs argv without a shell, the batch JSON on stdin; a non-zero exit, a signal or the timeout is a failure. */
export function sendCommand(sink: Sink<"command">, batch: AlertBatch, env: NodeJS.ProcessEnv, timeoutMs = COMMAND_TIMEOUT_MS): Promise<DeliveryResult> {
  const [program, ...args] = sink.argv as [string, ...string[]];
  const done = (error: string | null): DeliveryResult =>
    error === null ? { sink: "command", target: program, events: batch.events.length, delivered: true, attempts: 1, error } : failure("command", program, batch, 1, error);
  return new Promise((resolve) => {
    const child = spawn(program, args, { shell: false, env, stdio: ["pipe", "ignore", "ignore"], timeout: timeoutMs, killSignal: "SIGKILL" });
    child.on("error", (err) => resolve(done((err as NodeJS.ErrnoException).code ?? err.message)));
    child.on("close", (code, signal) => resolve(done(code === 0 ? null : signal !== null ? `killed by ${signal}` : `exit code ${code}`)));
    // A command that exits without reading stdin is judged by its exit code, not the broken pipe.
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(batch));
  });
}

export function deliver(sink: SinkConfig, batch: AlertBatch, env: NodeJS.ProcessEnv): Promise<DeliveryResult> {
  switch (sink.type) {
    case "webhook": return sendWebhook(sink, batch, env);
    case "email": return sendEmail(sink, batch, env);
    case "command": return sendCommand(sink, batch, env);
  }
}
