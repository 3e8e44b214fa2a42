// The config file's shape (zod): profiles, each a set of scan option values (networks with their
// owner, site and tags; file sources; LDAP sources; trust anchors; rule thresholds; rubric), and
// what a scheduled discovery needs (a cron schedule, quiet hours, notification sinks). Secrets are
// named by environment variable, never written inline.
import { Cron } from "croner";
import { z } from "zod";
import { IMPLICIT_TLS, STARTTLS_PROTOCOL_NAMES } from "../engine/defaults.js";
import { parseSniLine } from "../targets/sni-names.js";
import { ExclusionList, parseTarget } from "../targets/targets.js";

/** A check that throws a UsageError for bad input (the target parsers do), as a zod refinement. */
const parsedBy = (parse: (text: string) => unknown) => (text: string, ctx: z.RefinementCtx): void => {
  try {
    parse(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
  }
};

const text = z.string().min(1, "must not be empty");
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name (letters, digits, _)");
const port = z.number().int().min(1).max(65535);
const tags = z.array(text).default([]);
const ownership = { owner: text.optional(), site: text.optional(), tags };

const network = z.strictObject({
  name: text.optional(),
  targets: z.array(text.superRefine(parsedBy(parseTarget))).min(1, "a network needs at least one target"),
  ports: z.array(port).min(1).optional(),
  exclude: z.array(text.superRefine(parsedBy((item) => new ExclusionList([item])))).default([]),
  /** Virtual hosts, as lines of --sni-names: "name address", or "name" (at every address target of the network). */
  sniNames: z.array(text.superRefine(parsedBy(parseSniLine))).default([]),
  /** STARTTLS by port, as --starttls (`2525: smtp`, `tls` for TLS at once); like exclude, it applies to the whole scan. */
  starttls: z.record(z.string().regex(/^\d{1,5}$/, "a port number"), z.enum([...STARTTLS_PROTOCOL_NAMES, IMPLICIT_TLS])).default({}),
  ...ownership,
});

const fileSource = z.strictObject({ path: text, ...ownership });

const ldap = z.strictObject({
  urls: z.array(text).min(1),
  auth: z.enum(["simple", "kerberos"]).default("simple"),
  bindDn: text.optional(),
  passwordEnv: envName.optional(),
  spnHost: text.optional(),
  starttls: z.boolean().default(false),
  insecure: z.boolean().default(false),
  plaintext: z.boolean().default(false),
  ca: text.optional(),
  timeoutMs: z.number().int().positive().optional(),
});

const schedule = text.superRefine(parsedBy((pattern) => new Cron(pattern, { paused: true }).stop()));

const clock = "([01]\\d|2[0-3]):([0-5]\\d)";
const quietHours = z.strictObject({
  window: z.string().regex(new RegExp(`^${clock}-${clock}$`), "HH:MM-HH:MM, e.g. 22:00-06:00"),
  timezone: text.superRefine(parsedBy((zone) => new Intl.DateTimeFormat("en", { timeZone: zone }))),
}).transform((q) => {
  const [start, end] = q.window.split("-").map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3))) as [number, number];
  // Minutes after midnight in the timezone; a window whose end is before its start spans midnight.
  return { ...q, startMinute: start, endMinute: end };
});

/** Which alerts a sink receives: only those of these owners or tags, when given. */
const route = { owners: z.array(text).optional(), tags: z.array(text).optional() };

const sink = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("webhook"),
    url: z.url({ protocol: /^https?$/, error: "an http or https URL" }),
    /** The HMAC-SHA256 signing secret, by environment variable. */
    secretEnv: envName,
    ...route,
  }),
  z.strictObject({
    type: z.literal("email"),
    smtp: z.strictObject({
      host: text,
      port: port.default(587),
      starttls: z.boolean().default(true),
      userEnv: envName.optional(),
      passwordEnv: envName.optional(),
      /** PEM file of CA certificates that verify the SMTP server (default: Node's roots). */
      ca: text.optional(),
    }),
    from: z.email(),
    to: z.array(z.email()).min(1),
    ...route,
  }),
  z.strictObject({
    type: z.literal("command"),
    /** The program and its arguments, run without a shell; the event JSON arrives on its stdin. */
    argv: z.array(text).min(1),
    ...route,
  }),
]);

/** A profile; `thresholds` is checked against the thresholds the rules declare (configSchema's argument). */
const profile = (thresholdNames: readonly string[]) => z.strictObject({
  networks: z.array(network).default([]),
  files: z.array(fileSource).default([]),
  /** The keystore password (--keystore-password-env), by environment variable. */
  keystorePasswordEnv: envName.optional(),
  ldap: ldap.optional(),
  trustAnchors: text.optional(),
  /** Protocol posture (--protocols). */
  protocols: z.boolean().default(false),
  /** Politeness: new connections per second across the scan (--rate), connections in flight per target (--per-host). */
  rate: z.number().int().positive().optional(),
  perHost: z.number().int().positive().optional(),
  thresholds: z.record(z.string(), z.number().int().positive()).superRefine((given, ctx) => {
    for (const key of Object.keys(given).filter((k) => !thresholdNames.includes(k))) {
      ctx.addIssue({ code: "custom", path: [key], message: `not a rule threshold (they are: ${thresholdNames.join(", ")})` });
    }
  }).default({}),
  rubric: text.optional(),
  schedule: schedule.optional(),
  quietHours: quietHours.optional(),
  sinks: z.array(sink).default([]),
});

const profileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "profile names are letters, digits, _ . -");

/** The config file; `thresholdNames` are the rules' threshold options without their dashes (expiry-days, ...). */
export function configSchema(thresholdNames: readonly string[]) {
  return z.strictObject({
    profiles: z.record(profileName, profile(thresholdNames)).refine((p) => Object.keys(p).length > 0, "define at least one profile"),
  });
}

export type PkiscopeConfig = z.infer<ReturnType<typeof configSchema>>;
export type Profile = PkiscopeConfig["profiles"][string];

/** The environment variables a profile reads secrets from: a command sink's child must not inherit them. */
export function secretEnvNames(profile: Profile): string[] {
  const names = [profile.keystorePasswordEnv, profile.ldap?.passwordEnv];
  for (const sink of profile.sinks) {
    if (sink.type === "webhook") names.push(sink.secretEnv);
    if (sink.type === "email") names.push(sink.smtp.userEnv, sink.smtp.passwordEnv);
  }
  return names.filter((name): name is string => name !== undefined);
}
export type NetworkProfile = Profile["networks"][number];
export type SinkConfig = Profile["sinks"][number];
export type QuietHours = NonNullable<Profile["quietHours"]>;
