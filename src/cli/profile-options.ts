// A profile of the config file as `pkiscope scan` option values. Options given on the command
// line win over the profile's; --exclude adds to the profile's exclusions (an address either
// names is never probed). Paths in the file are relative to the file's folder.
import { dirname, resolve } from "node:path";
import type { Profile } from "../config/schema.js";
import { THRESHOLDS } from "../engine/defaults.js";
import type { ProfileRecord } from "../model/profile.js";
import { parseSniLine, sniTargetSpecs } from "../targets/sni-names.js";
import { type TargetSpec, parseTarget } from "../targets/targets.js";
import type { ScanCommandOptions } from "./scan-command.js";

export interface ScanProfile {
  /** The option values the profile sets, less those given on the command line. */
  options: Partial<ScanCommandOptions>;
  /** The networks' targets, each at its network's ports; empty when --targets or --targets-file replace them. */
  targetTexts: string[];
  specs: TargetSpec[];
  /** What the run records: the profile's name and who owns what. */
  record: ProfileRecord;
}

/** `givenOnCli(key)`: whether the option of that (camel-cased) name was given on the command line. */
export async function scanProfile(options: ScanCommandOptions, givenOnCli: (key: string) => boolean): Promise<ScanProfile> {
  const configPath = options.config!;
  const name = options.profile;
  // Loaded with --config only: the YAML library is start-up a scan without one would pay.
  const { loadProfile } = await import("../config/load.js");
  const profile = await loadProfile(configPath, name, THRESHOLDS);
  const dir = dirname(resolve(configPath));
  const at = (path: string): string => resolve(dir, path);
  const files = profile.files.map((f) => ({ ...f, path: at(f.path) }));

  const values: Partial<ScanCommandOptions> = {
    ...(files.length > 0 ? { files: files.map((f) => f.path) } : {}),
    ...(profile.trustAnchors ? { trustAnchors: at(profile.trustAnchors) } : {}),
    ...(profile.keystorePasswordEnv ? { keystorePasswordEnv: profile.keystorePasswordEnv } : {}),
    ...(profile.rubric ? { rubric: at(profile.rubric) } : {}),
    ...(profile.ldap ? ldapOptions(profile.ldap, at) : {}),
    ...(profile.protocols ? { protocols: true } : {}),
    ...(profile.rate !== undefined ? { rate: String(profile.rate) } : {}),
    ...(profile.perHost !== undefined ? { perHost: String(profile.perHost) } : {}),
  };
  for (const t of THRESHOLDS) {
    const value = profile.thresholds[t.option.replace(/^--/, "")];
    if (value !== undefined) values[optionKey(t.option)] = String(value);
  }
  const fromProfile = Object.fromEntries(Object.entries(values).filter(([key]) => !givenOnCli(key)));
  const exclude = [...(options.exclude ?? []), ...profile.networks.flatMap((n) => n.exclude)];
  // --starttls given on the command line wins, port by port (later items override earlier ones).
  const starttls = [...profile.networks.flatMap((n) => Object.entries(n.starttls).map(([p, name]) => `${p}=${name}`)), ...(options.starttls ?? [])];

  const ownTargets = !givenOnCli("targets") && !givenOnCli("targetsFile");
  // --ports on the command line replaces every network's ports.
  const portsOf = (ports: number[] | undefined): readonly (number | null)[] => (ports && !givenOnCli("ports") ? ports : [null]);
  const networks = ownTargets ? profile.networks : [];
  return {
    options: { ...fromProfile, ...(exclude.length > 0 ? { exclude } : {}), ...(starttls.length > 0 ? { starttls } : {}) },
    targetTexts: networks.flatMap((n) => n.targets),
    specs: networks.flatMap((n, i) => {
      const targets = n.targets.map(parseTarget);
      const names = n.sniNames.flatMap((line) => parseSniLine(line) ?? []);
      const named = sniTargetSpecs(names, targets, `${configPath}: profiles.${name}.networks.${i}.sniNames`);
      // A network's site is where its scanners must run (distributed workers of that site).
      const site = n.site ? { site: n.site } : {};
      return [...targets, ...named].flatMap((spec) => portsOf(n.ports).map((port) => ({ ...spec, ...(port ? { port } : {}), ...site })));
    }),
    record: {
      name: name!,
      networks: profile.networks.map((n) => ({
        // Virtual hosts at addresses of their own join the targets, so their endpoints have the network's owner.
        name: n.name ?? null, targets: [...n.targets, ...addressedNames(n.sniNames)], ports: n.ports ?? null, owner: n.owner ?? null, site: n.site ?? null, tags: n.tags,
      })),
      files: files.map((f) => ({ path: f.path, owner: f.owner ?? null, site: f.site ?? null, tags: f.tags })),
    },
  };
}

function ldapOptions(ldap: NonNullable<Profile["ldap"]>, at: (path: string) => string): Partial<ScanCommandOptions> {
  return {
    ldap: ldap.urls, ldapAuth: ldap.auth, ldapStarttls: ldap.starttls, ldapInsecure: ldap.insecure, ldapPlaintext: ldap.plaintext,
    ...(ldap.bindDn ? { bindDn: ldap.bindDn } : {}),
    ...(ldap.passwordEnv ? { passwordEnv: ldap.passwordEnv } : {}),
    ...(ldap.spnHost ? { ldapSpnHost: ldap.spnHost } : {}),
    ...(ldap.ca ? { ldapCa: at(ldap.ca) } : {}),
    ...(ldap.timeoutMs ? { ldapTimeout: String(ldap.timeoutMs) } : {}),
  };
}

/** The `name@address` targets of a network's sniNames lines that give an address. */
function addressedNames(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const entry = parseSniLine(line);
    return entry?.address ? [`${entry.name}@${entry.address}`] : [];
  });
}

/** Commander's property name for an option: "--expiry-days" → "expiryDays". */
export function optionKey(option: string): string {
  return option.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
