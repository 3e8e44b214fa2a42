// Behaviour tables of the AD CS rules over hand-written directory snapshots (no Samba lab: the lab
// tests in tests/adcs cover the collector end to end). Each snapshot is one forest with one
// enterprise CA that publishes every template unless a row says otherwise; a template is by
// default a schema version 2 client-authentication template Domain Users can enroll in, with
// the subject built from AD, so each row changes only what its rule looks at.
import { adcsEsc1 } from "../../rules/adcs-esc1.js";
import { adcsEsc13 } from "../../rules/adcs-esc13.js";
import { adcsEsc15 } from "../../rules/adcs-esc15.js";
import { adcsEsc2 } from "../../rules/adcs-esc2.js";
import { adcsEsc3 } from "../../rules/adcs-esc3.js";
import { adcsEsc4 } from "../../rules/adcs-esc4.js";
import { adcsEsc5 } from "../../rules/adcs-esc5.js";
import { adcsEsc9 } from "../../rules/adcs-esc9.js";
import { adcsNtauthUnsanctioned } from "../../rules/adcs-ntauth-unsanctioned.js";
import { adcsWeakTemplateKey } from "../../rules/adcs-weak-template-key.js";
import { EKU, EXTENDED_RIGHT } from "../../src/inventory/adcs/facts.js";
import { ENROLLMENT_FLAG, NAME_FLAG } from "../../src/inventory/adcs/template-decoding.js";
import { ADCS_SNAPSHOT_VERSION, type AdcsSnapshot, type CertificateTemplate, type EnterpriseOid, type PkiObject } from "../../src/model/adcs.js";
import { type Ace, RIGHT, type SecurityDescriptor, rightNames } from "../../src/pki/security-descriptor.js";
import { NOT_APPLICABLE, type RuleCase, SILENT, casesOf, examined } from "./cases.js";
import { type Keys, type TestCertificate, type ViewSpec, caProfile, inLdap, issued, selfSigned } from "./inventory.js";

const DOMAIN = "S-1-5-21-1000-2000-3000";
const DOMAIN_USERS = `${DOMAIN}-513`;
const DOMAIN_COMPUTERS = `${DOMAIN}-515`;
const DOMAIN_ADMINS = `${DOMAIN}-512`;
const AUTHENTICATED_USERS = "S-1-5-11";
const CONFIG = "CN=Configuration,DC=corp,DC=test";
const PKS = `CN=Public Key Services,CN=Services,${CONFIG}`;
const CA_DN = `CN=Corp CA,CN=Enrollment Services,${PKS}`;
const NTAUTH_DN = `CN=NTAuthCertificates,${PKS}`;
const TEMPLATES_DN = `CN=Certificate Templates,${PKS}`;
const PRIVILEGED_POLICY = "1.3.6.1.4.1.311.21.8.1.2.3.1001";
const PRIVILEGED_GROUP = "CN=Tier0 Operators,CN=Users,DC=corp,DC=test";

function ace(sid: string, mask: number, objectType: string | null = null): Ace {
  return { type: objectType ? "allowed-object" : "allowed", flags: 0, mask, rights: rightNames(mask), objectType, inheritedObjectType: null, sid };
}

/** Owned by Domain Admins unless `owner` says otherwise. */
function descriptor(aces: Ace[], owner = DOMAIN_ADMINS): SecurityDescriptor {
  return { owner, group: owner, dacl: aces, skippedAces: 0 };
}

const enroll = (sid: string): Ace => ace(sid, RIGHT.ExtendedRight, EXTENDED_RIGHT.Enroll);
const ADMINS_FULL_CONTROL = ace(DOMAIN_ADMINS, 0x000f01ff);

interface TemplateSettings {
  enrollers?: string[];
  /** Extra ACEs (write rights). */
  aces?: Ace[];
  owner?: string;
  nameFlag?: number;
  enrollmentFlag?: number;
  ekus?: string[];
  schemaVersion?: number;
  raSignatures?: number;
  issuancePolicies?: string[];
  minimalKeySize?: number | null;
  keyAlgorithm?: string;
}

function template(name: string, s: TemplateSettings = {}): CertificateTemplate {
  const ekus = s.ekus ?? [EKU.clientAuthentication];
  const security = descriptor([ADMINS_FULL_CONTROL, ...(s.enrollers ?? [DOMAIN_USERS]).map(enroll), ...(s.aces ?? [])], s.owner);
  return {
    dn: `CN=${name},${TEMPLATES_DN}`, name, objectClass: "pKICertificateTemplate", security, securityError: null, displayName: name,
    oid: `1.3.6.1.4.1.311.21.8.1.2.3.${name.length}`, schemaVersion: s.schemaVersion ?? 2,
    certificateNameFlag: s.nameFlag ?? NAME_FLAG.CT_FLAG_SUBJECT_REQUIRE_DIRECTORY_PATH, nameFlags: [],
    enrollmentFlag: s.enrollmentFlag ?? 0, enrollmentFlags: [], privateKeyFlag: 0, raSignatures: s.raSignatures ?? 0,
    raApplicationPolicies: [], raIssuancePolicies: [], minimalKeySize: s.minimalKeySize === undefined ? 2048 : s.minimalKeySize,
    keyAlgorithm: s.keyAlgorithm ?? "RSA", extendedKeyUsage: ekus, applicationPolicies: ekus, issuancePolicies: s.issuancePolicies ?? [],
    validityDays: 365, renewalDays: 42,
  };
}

function pkiObject(dn: string, objectClass: string, aces: Ace[] = []): PkiObject {
  return { dn, name: dn.slice(3, dn.indexOf(",")), objectClass, security: descriptor([ADMINS_FULL_CONTROL, ...aces]), securityError: null };
}

const certificateRef = (c: TestCertificate) => ({ sha256: c.sha256, subject: `CN=${c.name}`, notAfter: null });

interface ForestSettings {
  templates?: CertificateTemplate[];
  /** Names of templates the CA does not publish. */
  unpublished?: string[];
  /** Extra ACEs on the enrollment service object. */
  caAces?: Ace[];
  otherObjects?: PkiObject[];
  oids?: EnterpriseOid[];
  /** NTAuthCertificates: absent, no such object. */
  ntAuth?: { certificates: TestCertificate[]; aces?: Ace[] };
  /** The enterprise CA's own certificates (cACertificate). */
  caCertificates?: TestCertificate[];
}

export function forest(s: ForestSettings = {}): AdcsSnapshot {
  const templates = s.templates ?? [];
  const ntAuth = s.ntAuth && { ...pkiObject(NTAUTH_DN, "certificationAuthority", s.ntAuth.aces), certificates: s.ntAuth.certificates.map(certificateRef) };
  return {
    version: ADCS_SNAPSHOT_VERSION, source: "ldaps://dc1.corp.test:636", configurationNamingContext: CONFIG, defaultNamingContext: "DC=corp,DC=test",
    domainSid: DOMAIN, templates, certificationAuthorities: [], ntAuth: ntAuth ?? null, aia: [], cdp: [], oids: s.oids ?? [],
    otherObjects: s.otherObjects ?? [], errors: [], truncated: false,
    enrollmentServices: [{
      ...pkiObject(CA_DN, "pKIEnrollmentService", s.caAces), certificates: (s.caCertificates ?? []).map(certificateRef), dnsHostName: "ca.corp.test",
      templates: templates.map((t) => t.name).filter((name) => !(s.unpublished ?? []).includes(name)),
    }],
    principals: {
      [DOMAIN_USERS]: { name: "Domain Users", resolution: "directory" },
      [DOMAIN_ADMINS]: { name: "Domain Admins", resolution: "directory" },
    },
  };
}

/** A view of one forest holding these templates, every one published but `unpublished`. */
const templates = (list: CertificateTemplate[], unpublished: string[] = []) => (): ViewSpec => ({ adcs: [forest({ templates: list, unpublished })] });
const oneTemplate = (name: string, s: TemplateSettings = {}, unpublished = false) => templates([template(name, s)], unpublished ? [name] : []);
const objects = (s: ForestSettings) => (): ViewSpec => ({ adcs: [forest(s)] });

const SUPPLIES_SUBJECT = NAME_FLAG.CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT;
const MANAGER_APPROVAL = ENROLLMENT_FLAG.CT_FLAG_PEND_ALL_REQUESTS;
const NO_SECURITY_EXTENSION = ENROLLMENT_FLAG.CT_FLAG_NO_SECURITY_EXTENSION;
const linkedPolicy = (groupLink: string | null): EnterpriseOid => ({
  ...pkiObject(`CN=1001.ABCDEF,CN=OID,${PKS}`, "msPKI-Enterprise-Oid"), displayName: "Tier0 access", oid: PRIVILEGED_POLICY, oidType: 2, groupLink,
});

const esc1 = casesOf(adcsEsc1, [
  ["enrollee supplies the subject of a client-auth certificate Domain Users can get", oneTemplate("UserSan", { nameFlag: SUPPLIES_SUBJECT }), { UserSan: "critical" }, examined(1)],
  ["subject built from AD", oneTemplate("User"), SILENT, examined(1)],
  ["enrollee supplies the subject, but a CA manager approves each request", oneTemplate("Approved", { nameFlag: SUPPLIES_SUBJECT, enrollmentFlag: MANAGER_APPROVAL }), SILENT, examined(1)],
  ["enrollee supplies the subject, only admins enroll", oneTemplate("AdminsOnly", { nameFlag: SUPPLIES_SUBJECT, enrollers: [] }), SILENT, examined(1)],
  ["enrollee supplies the subject, published by no CA", oneTemplate("Unpublished", { nameFlag: SUPPLIES_SUBJECT }, true), SILENT, examined(1)],
  ["enrollee supplies the subject of a server-auth certificate", oneTemplate("WebServer", { nameFlag: SUPPLIES_SUBJECT, ekus: [EKU.serverAuthentication] }), SILENT, examined(1)],
  ["no AD CS source in the run", () => ({}), SILENT, NOT_APPLICABLE],
]);

const esc2 = casesOf(adcsEsc2, [
  ["Any Purpose EKU", oneTemplate("AnyPurpose", { ekus: [EKU.anyPurpose] }), { AnyPurpose: "high" }, examined(1)],
  ["no EKU at all", oneTemplate("NoEku", { ekus: [] }), { NoEku: "high" }, examined(1)],
  ["client authentication only", oneTemplate("User"), SILENT, examined(1)],
  ["no EKU, one authorised signature required", oneTemplate("SignedNoEku", { ekus: [], raSignatures: 1 }), SILENT, examined(1)],
]);

const esc3 = casesOf(adcsEsc3, [
  ["Certificate Request Agent EKU", oneTemplate("Agent", { ekus: [EKU.certificateRequestAgent] }), { Agent: "high" }, examined(1)],
  ["agent EKU, Domain Computers enroll", oneTemplate("MachineAgent", { ekus: [EKU.certificateRequestAgent], enrollers: [DOMAIN_COMPUTERS] }), { MachineAgent: "high" }, examined(1)],
  ["agent EKU, enrollment reserved to admins", oneTemplate("AdminAgent", { ekus: [EKU.certificateRequestAgent], enrollers: [DOMAIN_ADMINS] }), SILENT, examined(1)],
  ["client authentication only", oneTemplate("User"), SILENT, examined(1)],
]);

const esc4 = casesOf(adcsEsc4, [
  ["Domain Users hold WriteDacl on a published template", oneTemplate("Writable", { aces: [ace(DOMAIN_USERS, RIGHT.WriteDacl)] }), { Writable: "critical" }, examined(1)],
  ["Authenticated Users hold GenericWrite on an unpublished template", oneTemplate("Orphan", { aces: [ace(AUTHENTICATED_USERS, RIGHT.GenericWrite)] }, true), { Orphan: "high" }, examined(1)],
  ["Domain Users own the template", oneTemplate("Owned", { owner: DOMAIN_USERS }), { Owned: "critical" }, examined(1)],
  ["only admins write, Domain Users enroll", oneTemplate("User"), SILENT, examined(1)],
  ["two templates, one writable", templates([template("User"), template("Writable", { aces: [ace(DOMAIN_COMPUTERS, RIGHT.WriteOwner)] })]), { Writable: "critical" }, examined(2)],
  ["no template", objects({}), SILENT, NOT_APPLICABLE],
]);

const PKS_CONTAINER = pkiObject(PKS, "container");
const esc5 = casesOf(adcsEsc5, [
  ["Domain Users hold WriteDacl on the enrollment service", objects({ caAces: [ace(DOMAIN_USERS, RIGHT.WriteDacl)] }), { [CA_DN]: "critical" }, examined(1)],
  ["Authenticated Users hold GenericAll on Public Key Services", objects({ otherObjects: [pkiObject(PKS, "container", [ace(AUTHENTICATED_USERS, 0x000f01ff)])] }), { [PKS]: "high" }, examined(2)],
  ["Domain Computers can write NTAuthCertificates", objects({ ntAuth: { certificates: [], aces: [ace(DOMAIN_COMPUTERS, RIGHT.WriteProperty)] } }), { [NTAUTH_DN]: "critical" }, examined(2)],
  ["only admins write any PKI object", objects({ otherObjects: [PKS_CONTAINER], ntAuth: { certificates: [] } }), SILENT, examined(3)],
  ["no AD CS source in the run", () => ({}), SILENT, NOT_APPLICABLE],
]);

const esc9 = casesOf(adcsEsc9, [
  ["no SID extension in client-auth certificates", oneTemplate("NoSid", { enrollmentFlag: NO_SECURITY_EXTENSION }), { NoSid: "medium" }, examined(1)],
  ["no SID extension, server authentication only", oneTemplate("NoSidWeb", { enrollmentFlag: NO_SECURITY_EXTENSION, ekus: [EKU.serverAuthentication] }), SILENT, examined(1)],
  ["client authentication with the SID extension", oneTemplate("User"), SILENT, examined(1)],
]);

const esc13 = casesOf(adcsEsc13, [
  ["issuance policy linked to a group on a client-auth template", () => ({
    adcs: [forest({ templates: [template("Tier0", { issuancePolicies: [PRIVILEGED_POLICY] })], oids: [linkedPolicy(PRIVILEGED_GROUP)] })],
  }), { Tier0: "high" }, examined(1)],
  ["issuance policy without a group link", () => ({
    adcs: [forest({ templates: [template("Tier0", { issuancePolicies: [PRIVILEGED_POLICY] })], oids: [linkedPolicy(null)] })],
  }), SILENT, examined(1)],
  ["linked policy on a server-auth template", () => ({
    adcs: [forest({ templates: [template("Tier0Web", { issuancePolicies: [PRIVILEGED_POLICY], ekus: [EKU.serverAuthentication] })], oids: [linkedPolicy(PRIVILEGED_GROUP)] })],
  }), SILENT, examined(1)],
]);

const esc15 = casesOf(adcsEsc15, [
  ["schema version 1 with enrollee-supplied subject", oneTemplate("WebServerV1", { schemaVersion: 1, nameFlag: SUPPLIES_SUBJECT, ekus: [EKU.serverAuthentication] }), { WebServerV1: "high" }, examined(1)],
  ["schema version 2 with enrollee-supplied subject", oneTemplate("WebServerV2", { nameFlag: SUPPLIES_SUBJECT, ekus: [EKU.serverAuthentication] }), SILENT, examined(1)],
  ["schema version 1, subject built from AD", oneTemplate("UserV1", { schemaVersion: 1 }), SILENT, examined(1)],
]);

const weakTemplateKey = casesOf(adcsWeakTemplateKey, [
  ["RSA keys of 1024 bits accepted", oneTemplate("Legacy", { minimalKeySize: 1024 }), { Legacy: "medium" }, examined(1)],
  ["RSA keys of 2048 bits at least", oneTemplate("User"), SILENT, examined(1)],
  ["ECDH P-256 keys (256 bits)", oneTemplate("EcUser", { keyAlgorithm: "ECDH_P256", minimalKeySize: 256 }), SILENT, examined(1)],
  ["no minimal key size set", oneTemplate("Unset", { minimalKeySize: null }), SILENT, examined(1)],
]);

/** NTAuth listing `listed` (read from LDAP); "Corp Root" is the sanctioned anchor. */
function ntAuthView(k: Keys, listed: (pki: { root: TestCertificate; issuing: TestCertificate; rogue: TestCertificate }) => TestCertificate[]): ViewSpec {
  const root = selfSigned("Corp Root", k.ec(), caProfile());
  const pki = { root, issuing: issued("Corp Issuing CA", k.ec(), root, caProfile()), rogue: selfSigned("Rogue CA", k.ec(), caProfile()) };
  const certificates = listed(pki);
  return { certificates: inLdap(NTAUTH_DN, ...certificates), anchors: [root], adcs: [forest({ ntAuth: { certificates } })] };
}

const ntAuthUnsanctioned = casesOf(adcsNtauthUnsanctioned, [
  ["NTAuth lists the sanctioned root and a rogue CA", (k) => ntAuthView(k, (p) => [p.root, p.rogue]), { "Rogue CA": "high" }, examined(2)],
  ["NTAuth lists an issuing CA that chains to the sanctioned root", (k) => ntAuthView(k, (p) => [p.issuing]), SILENT, examined(1)],
  ["NTAuth is empty", (k) => ntAuthView(k, () => []), SILENT, NOT_APPLICABLE],
  ["no NTAuthCertificates object", objects({}), SILENT, NOT_APPLICABLE],
]);

export const ADCS_CASES: readonly RuleCase[] = [
  ...esc1, ...esc2, ...esc3, ...esc4, ...esc5, ...esc9, ...esc13, ...esc15, ...ntAuthUnsanctioned, ...weakTemplateKey,
];
