// Logging: human lines on stderr by default, JSON lines (pino) with --json, nothing but errors
// with --quiet. Secrets never reach a logger: callers log ids and counts, not credentials.
// Messages carry hostile text (file paths, server errors, LDAP values), so every string of a
// record is made printable here, once for all callers: one record is one line on a terminal.
import { createRequire } from "node:module";
import type * as Pino from "pino";
import { printable } from "./printable.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const require = createRequire(import.meta.url);

/** pino, loaded only for --json: every other run logs plain lines and need not load it. */
function pinoLibrary(): typeof Pino.pino {
  return (require("pino") as typeof Pino).pino;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  json?: boolean;
  level?: LogLevel;
  stream?: NodeJS.WritableStream;
}

export function createLogger({ json = false, level = "info", stream = process.stderr }: LoggerOptions = {}): Logger {
  if (json) {
    const p = pinoLibrary()({ level, base: null }, stream as Pino.DestinationStream);
    const fieldsOf = (f: Record<string, unknown> | undefined) => printableStrings(f ?? {}) as Record<string, unknown>;
    return {
      debug: (m, f) => p.debug(fieldsOf(f), printable(m)),
      info: (m, f) => p.info(fieldsOf(f), printable(m)),
      warn: (m, f) => p.warn(fieldsOf(f), printable(m)),
      error: (m, f) => p.error(fieldsOf(f), printable(m)),
    };
  }
  const write = (lvl: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(printableStrings(fields))}` : "";
    stream.write(`${lvl === "info" ? "" : `${lvl}: `}${printable(message)}${extra}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** Every string in plain objects and arrays made printable (JSON escapes C0 controls, not C1 or bidi controls). */
function printableStrings(value: unknown): unknown {
  if (typeof value === "string") return printable(value);
  if (Array.isArray(value)) return value.map(printableStrings);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableStrings(v)]));
  }
  return value;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
