// AD CS facts, computed once from a snapshot before any rule runs (Locksmith's "facts first"):
// which CAs publish a template, whether the enrollee supplies the subject, which EKUs allow
// authentication, who can enroll and who can write. Rules only combine these facts.
import type { RunContents } from "../../store/store.js";
import {
  ADCS_SNAPSHOT_VERSION,
  type AdcsError,
  type AdcsSnapshot,
  type CertificateRef,
  type CertificateTemplate,
  type EnrollmentService,
  type PkiObject,
  type PublishedCrl,
} from "../../model/adcs.js";
import { isLowPrivileged, wellKnownName } from "../../pki/well-known-sids.js";
import { type Ace, INHERIT_ONLY_ACE, type SecurityDescriptor } from "../../pki/security-descriptor.js";
import { ENROLLMENT_FLAG, NAME_FLAG } from "./template-decoding.js";

export const EKU = {
  clientAuthentication: "1.3.6.1.5.5.7.3.2",
  pkinitClientAuthentication: "1.3.6.1.5.2.3.4",
  smartCardLogon: "1.3.6.1.4.1.311.20.2.2",
  anyPurpose: "2.5.29.37.0",
  certificateRequestAgent: "1.3.6.1.4.1.311.20.2.1",
  serverAuthentication: "1.3.6.1.5.5.7.3.1",
} as const;

const EKU_NAMES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(EKU).map(([name, oid]) => [oid, name]));

/** EKUs that let a certificate authenticate to AD (Kerberos PKINIT or Schannel). */
const AUTHENTICATION_EKUS = new Set<string>([EKU.clientAuthentication, EKU.pkinitClientAuthentication, EKU.smartCardLogon, EKU.anyPurpose]);

/** Extended rights that let a principal request a certificate from a template. */
export const EXTENDED_RIGHT = {
  Enroll: "0e10c968-78fb-11d2-90d4-00c04f79dc55",
  AutoEnroll: "a05b8cc2-17bc-4802-a710-e7c15ab866a2",
} as const;
const ENROLLMENT_RIGHT_GUIDS = new Set<string>(Object.values(EXTENDED_RIGHT));

/** Template rights that change what a template issues (Certified Pre-Owned, ESC4). */
const WRITE_RIGHTS = ["GenericAll", "GenericWrite", "WriteDacl", "WriteOwner"] as const;

export interface PrincipalGrant {
  sid: string;
  name: string;
  rights: string[];
}

export interface IssuancePolicyGroupLink {
  policyOid: string;
  policyName: string | null;
  /** DN of the group whose membership a certificate with this policy confers. */
  group: string;
}

export interface TemplateFacts {
  template: CertificateTemplate;
  /** Names of the enterprise CAs that publish it. */
  publishedBy: string[];
  /** The EKUs issued certificates carry: application policies on v2+ templates, else pKIExtendedKeyUsage. */
  ekus: string[];
  enrolleeSuppliesSubject: boolean;
  /** The EKUs among `ekus` that allow authentication. */
  authenticationEkus: string[];
  noEku: boolean;
  anyPurpose: boolean;
  requestAgent: boolean;
  /** CT_FLAG_PEND_ALL_REQUESTS: a CA manager must approve each request. */
  managerApproval: boolean;
  authorizedSignatures: number;
  noSecurityExtension: boolean;
  enrollers: PrincipalGrant[];
  lowPrivilegedEnrollers: PrincipalGrant[];
  lowPrivilegedWriters: PrincipalGrant[];
  issuancePolicyGroupLinks: IssuancePolicyGroupLink[];
}

export type PkiObjectKind = "other" | "enrollment-service" | "certification-authority" | "ntauth" | "aia" | "cdp" | "oid";

export interface PkiObjectFacts {
  object: PkiObject;
  kind: PkiObjectKind;
  lowPrivilegedWriters: PrincipalGrant[];
}

export interface NtAuthCertificate extends CertificateRef {
  sanctioned: boolean;
}

export interface AdcsInventory {
  source: string;
  configurationNamingContext: string | null;
  enterpriseCas: EnrollmentService[];
  templates: TemplateFacts[];
  /** Everything under Public Key Services but templates, for ESC5. */
  pkiObjects: PkiObjectFacts[];
  ntAuth: { dn: string; certificates: NtAuthCertificate[] } | null;
  /** CRLs published to LDAP, for the revocation rules. */
  crls: (PublishedCrl & { dn: string })[];
  errors: AdcsError[];
  truncated: boolean;
}

/** What AD CS rules read; the engine's InventoryView carries it. */
export interface AdcsView {
  adcs: readonly AdcsInventory[];
}

export function buildAdcsInventory(snapshot: AdcsSnapshot, sanctionedCaCertSha256s: ReadonlySet<string>): AdcsInventory {
  const names = (sid: string) => snapshot.principals[sid]?.name ?? wellKnownName(sid) ?? sid;
  return {
    source: snapshot.source,
    configurationNamingContext: snapshot.configurationNamingContext,
    enterpriseCas: snapshot.enrollmentServices,
    templates: snapshot.templates.map((t) => templateFacts(t, snapshot, names)),
    pkiObjects: pkiObjects(snapshot).map(({ object, kind }) => ({ object, kind, lowPrivilegedWriters: lowPrivilegedWriters(object.security, names) })),
    ntAuth: snapshot.ntAuth && {
      dn: snapshot.ntAuth.dn,
      certificates: snapshot.ntAuth.certificates.map((c) => ({ ...c, sanctioned: sanctionedCaCertSha256s.has(c.sha256) })),
    },
    crls: snapshot.cdp.flatMap((entry) => entry.crls.map((crl) => ({ ...crl, dn: entry.dn }))),
    errors: snapshot.errors,
    truncated: snapshot.truncated,
  };
}

/**
 * One inventory per forest from a run's directory snapshots (kind "adcs"): two LDAP sources
 * reading the same forest would otherwise report every finding twice.
 */
export function buildAdcsInventories(
  snapshots: readonly { kind: string; snapshot: unknown }[],
  sanctionedCaCertSha256s: ReadonlySet<string>,
): AdcsInventory[] {
  const byForest = new Map<string, AdcsInventory>();
  for (const row of snapshots) {
    if (row.kind !== "adcs" || !isAdcsSnapshot(row.snapshot)) continue;
    const key = row.snapshot.configurationNamingContext ?? row.snapshot.source;
    if (!byForest.has(key)) byForest.set(key, buildAdcsInventory(row.snapshot, sanctionedCaCertSha256s));
  }
  return [...byForest.values()];
}

/** Certificates the run sanctions: its trust anchors and everything with a path to one. */
export function sanctionedCertificates({ anchors, paths }: Pick<RunContents, "anchors" | "paths">): Set<string> {
  return new Set([...anchors, ...paths.filter((p) => p.trustedPath !== null).map((p) => p.sha256)]);
}

/** The gate every template rule but ESC4 shares: any low-privileged user can get a certificate from it now. */
export function enrollableByLowPrivileged(t: TemplateFacts): boolean {
  return t.publishedBy.length > 0 && !t.managerApproval && t.authorizedSignatures === 0 && t.lowPrivilegedEnrollers.length > 0;
}

/** Certificates from this template authenticate: an authentication EKU, or no EKU (any use). */
export function allowsAuthentication(t: TemplateFacts): boolean {
  return t.authenticationEkus.length > 0 || t.noEku;
}

export function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}

export function isAdcsSnapshot(value: unknown): value is AdcsSnapshot {
  return typeof value === "object" && value !== null && (value as { version?: unknown }).version === ADCS_SNAPSHOT_VERSION;
}

function templateFacts(t: CertificateTemplate, snapshot: AdcsSnapshot, names: (sid: string) => string): TemplateFacts {
  const ekus = (t.schemaVersion ?? 1) >= 2 && t.applicationPolicies.length > 0 ? t.applicationPolicies : t.extendedKeyUsage;
  const enrollers = principalGrants(t.security, enrollmentRights, names);
  return {
    template: t,
    publishedBy: snapshot.enrollmentServices
      .filter((ca) => ca.templates.some((name) => name.toLowerCase() === t.name.toLowerCase()))
      .map((ca) => ca.name),
    ekus,
    enrolleeSuppliesSubject: (t.certificateNameFlag & NAME_FLAG.CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT) !== 0,
    authenticationEkus: ekus.filter((oid) => AUTHENTICATION_EKUS.has(oid)),
    noEku: ekus.length === 0,
    anyPurpose: ekus.includes(EKU.anyPurpose),
    requestAgent: ekus.includes(EKU.certificateRequestAgent),
    managerApproval: (t.enrollmentFlag & ENROLLMENT_FLAG.CT_FLAG_PEND_ALL_REQUESTS) !== 0,
    authorizedSignatures: t.raSignatures,
    noSecurityExtension: (t.enrollmentFlag & ENROLLMENT_FLAG.CT_FLAG_NO_SECURITY_EXTENSION) !== 0,
    enrollers,
    lowPrivilegedEnrollers: enrollers.filter((g) => isLowPrivileged(g.sid)),
    lowPrivilegedWriters: lowPrivilegedWriters(t.security, names),
    issuancePolicyGroupLinks: t.issuancePolicies.flatMap((policyOid) =>
      snapshot.oids
        .filter((o) => o.oid === policyOid && o.groupLink !== null)
        .map((o) => ({ policyOid, policyName: o.displayName, group: o.groupLink! })),
    ),
  };
}

function pkiObjects(snapshot: AdcsSnapshot): { object: PkiObject; kind: PkiObjectKind }[] {
  const tag = (kind: PkiObjectKind) => (object: PkiObject) => ({ object, kind });
  return [
    ...snapshot.otherObjects.map(tag("other")),
    ...snapshot.enrollmentServices.map(tag("enrollment-service")),
    ...snapshot.certificationAuthorities.map(tag("certification-authority")),
    ...(snapshot.ntAuth ? [tag("ntauth")(snapshot.ntAuth)] : []),
    ...snapshot.aia.map(tag("aia")),
    ...snapshot.cdp.map(tag("cdp")),
    ...snapshot.oids.map(tag("oid")),
  ];
}

function lowPrivilegedWriters(sd: SecurityDescriptor | null, names: (sid: string) => string): PrincipalGrant[] {
  const writers = principalGrants(sd, writeRights, names);
  const owner = sd?.owner;
  if (owner) {
    const grant = writers.find((g) => g.sid === owner);
    if (grant) grant.rights.unshift("Owner");
    else writers.unshift({ sid: owner, name: names(owner), rights: ["Owner"] });
  }
  return writers.filter((g) => isLowPrivileged(g.sid));
}

/** Rights an ACE gives to request certificates (Enroll, AutoEnroll, or everything that implies them). */
function enrollmentRights(ace: Ace): string[] {
  if (ace.rights.includes("GenericAll")) return ["GenericAll"];
  if (!ace.rights.includes("ExtendedRight")) return [];
  if (ace.objectType === null) return ["AllExtendedRights"];
  if (ace.objectType === EXTENDED_RIGHT.Enroll) return ["Enroll"];
  if (ace.objectType === EXTENDED_RIGHT.AutoEnroll) return ["AutoEnroll"];
  return [];
}

/**
 * Rights an ACE gives to change the object. WriteProperty counts whatever property it is
 * limited to (as Locksmith does), except the enrollment rights' GUIDs, which are not properties.
 */
function writeRights(ace: Ace): string[] {
  const rights: string[] = WRITE_RIGHTS.filter((r) => ace.rights.includes(r));
  if (ace.rights.includes("WriteProperty") && !(ace.objectType && ENROLLMENT_RIGHT_GUIDS.has(ace.objectType))) {
    rights.push(ace.objectType ? `WriteProperty(${ace.objectType})` : "WriteProperty");
  }
  return rights;
}

/**
 * Per principal, the rights `rightsOf` finds in the allow ACEs that apply to the object itself,
 * minus those an explicit deny ACE for the same SID takes away. Denies through group membership
 * are not evaluated: that needs token expansion, which LDAP alone does not give.
 */
function principalGrants(sd: SecurityDescriptor | null, rightsOf: (ace: Ace) => string[], names: (sid: string) => string): PrincipalGrant[] {
  const effective = (sd?.dacl ?? []).filter((ace) => (ace.flags & INHERIT_ONLY_ACE) === 0);
  const denied = collect(effective.filter((a) => a.type === "denied" || a.type === "denied-object"), rightsOf);
  const allowed = collect(effective.filter((a) => a.type === "allowed" || a.type === "allowed-object"), rightsOf);
  const grants: PrincipalGrant[] = [];
  for (const [sid, rights] of allowed) {
    const kept = [...rights].filter((r) => !isDenied(r, denied.get(sid)));
    if (kept.length > 0) grants.push({ sid, name: names(sid), rights: kept });
  }
  return grants;
}

function collect(aces: readonly Ace[], rightsOf: (ace: Ace) => string[]): Map<string, Set<string>> {
  const bySid = new Map<string, Set<string>>();
  for (const ace of aces) {
    const rights = rightsOf(ace);
    if (rights.length === 0) continue;
    const set = bySid.get(ace.sid) ?? new Set<string>();
    rights.forEach((r) => set.add(r));
    bySid.set(ace.sid, set);
  }
  return bySid;
}

/** A deny of the right itself or of a broader one (GenericAll, all extended rights, every property). */
function isDenied(right: string, denied: ReadonlySet<string> | undefined): boolean {
  if (!denied) return false;
  if (denied.has(right) || denied.has("GenericAll")) return true;
  if ((right === "Enroll" || right === "AutoEnroll") && denied.has("AllExtendedRights")) return true;
  return right.startsWith("WriteProperty(") && denied.has("WriteProperty");
}
