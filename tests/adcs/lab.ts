// What the AD CS tests get from the global setup, and the lab password: a fixed lab value unless
// PKISCOPE_TEST_LDAP_PASSWORD says otherwise. It reaches Samba through that variable only.
import { inject } from "vitest";
import type { LabManifest } from "../../fixtures/adcs/load-lab.js";

export const LAB_PASSWORD_ENV = "PKISCOPE_TEST_LDAP_PASSWORD";
const DEFAULT_LAB_PASSWORD = "Lab-Passw0rd!pkiscope-7f3c";

export interface AdcsLab {
  ldapsUrl: string;
  ldapUrl: string;
  bindDn: string;
  baseDn: string;
  domain: string;
  sambaDir: string;
  manifest: LabManifest;
}

declare module "vitest" {
  export interface ProvidedContext {
    adcsLab: AdcsLab;
  }
}

export function labPassword(): string {
  return process.env[LAB_PASSWORD_ENV] || DEFAULT_LAB_PASSWORD;
}

/** The running lab; fails with the fix when the global setup was not registered. */
export function adcsLab(): AdcsLab {
  const lab = inject("adcsLab");
  if (!lab) throw new Error("no AD CS lab: run with tests/adcs/global-setup.ts as a vitest globalSetup (vitest.config.ts registers it)");
  return lab;
}
