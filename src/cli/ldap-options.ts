// The --ldap options of `pkiscope scan`, checked up front: URLs (never echoed: they may hold
// credentials), the bind method, and the password, taken from an environment variable or a
// prompt, never from the command line.
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { type AdcsCollectorOptions, parseLdapUrl } from "../engine/scan.js";
import { UsageError } from "../errors.js";
import { splitList } from "../targets/targets.js";
import { positiveInt } from "./support.js";

export interface LdapCommandOptions {
  ldap?: string[];
  bindDn?: string;
  passwordEnv?: string;
  ldapAuth?: string;
  ldapSpnHost?: string;
  ldapStarttls?: boolean;
  ldapInsecure?: boolean;
  ldapPlaintext?: boolean;
  ldapCa?: string;
  ldapTimeout: string;
}

/** --ldap sources, checked up front. The password comes from --password-env or a prompt, never argv. */
export async function ldapSources(options: LdapCommandOptions, env: NodeJS.ProcessEnv): Promise<AdcsCollectorOptions[]> {
  const urls = (options.ldap ?? []).flatMap(splitList);
  if (urls.length === 0) return [];
  const auth = options.ldapAuth ?? "simple";
  if (auth !== "simple" && auth !== "kerberos") throw new UsageError(`--ldap-auth: expected simple or kerberos, not ${auth}`);
  const kerberos = auth === "kerberos";
  if (kerberos) {
    // The ticket comes from the credential cache (kinit; KRB5CCNAME): no identity or password here.
    if (options.bindDn || options.passwordEnv) throw new UsageError("--ldap-auth kerberos binds with the ticket from kinit: drop --bind-dn and --password-env");
  } else {
    if (options.ldapSpnHost) throw new UsageError("--ldap-spn-host applies to --ldap-auth kerberos only");
    if (!options.bindDn) throw new UsageError("--ldap needs --bind-dn (or --ldap-auth kerberos)");
  }
  for (const url of urls) {
    // The message never repeats the URL: it may hold credentials.
    let secure: boolean;
    try {
      secure = parseLdapUrl(url).secure;
    } catch (err) {
      throw new UsageError(`--ldap: ${(err as Error).message}`);
    }
    if (kerberos && !secure && !options.ldapStarttls) throw new UsageError("--ldap-auth kerberos needs ldaps:// or --ldap-starttls");
  }
  const password = kerberos
    ? ""
    : options.passwordEnv ? env[options.passwordEnv] : await promptPassword(`password for ${options.bindDn}: `);
  if (!kerberos && !password) throw new UsageError(options.passwordEnv ? `--password-env ${options.passwordEnv} is unset or empty` : "no password given");
  let ca: string[] | undefined;
  if (options.ldapCa) {
    try {
      ca = [await readFile(options.ldapCa, "utf8")];
    } catch (err) {
      throw new UsageError(`cannot read --ldap-ca ${options.ldapCa}: ${(err as Error).message}`);
    }
  }
  const timeoutMs = positiveInt(options.ldapTimeout, "--ldap-timeout");
  return urls.map((url) => ({
    url, bindDn: kerberos ? "" : options.bindDn!, password: password ?? "", startTls: options.ldapStarttls, insecure: options.ldapInsecure,
    allowPlaintext: options.ldapPlaintext, ca, timeoutMs,
    ...(kerberos ? { auth: "kerberos" as const, ...(options.ldapSpnHost ? { spnHost: options.ldapSpnHost } : {}) } : {}),
  }));
}

/** Reads a line from the terminal without echoing it; refuses when stdin is not a terminal. */
async function promptPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError("--ldap needs --password-env VAR when stdin is not a terminal");
  const { createInterface } = await import("node:readline");
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question("", resolve));
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}
