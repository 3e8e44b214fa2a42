// The AD CS part of a report, as plain data: per forest, the enterprise CAs, the templates with
// the facts the rules used, NTAuth, what could not be read, and the checks LDAP cannot make.
import type { AdcsError, CertificateRef } from "../../model/adcs.js";
import { type AdcsInventory, type NtAuthCertificate, type PrincipalGrant, ekuName } from "./facts.js";
import { ADCS_NOT_ASSESSED, type NotAssessedCheck } from "./not-assessed.js";

export interface AdcsReportSection {
  forests: AdcsForestReport[];
  notAssessed: readonly NotAssessedCheck[];
}

export interface AdcsForestReport {
  source: string;
  configurationNamingContext: string | null;
  enterpriseCas: { name: string; dn: string; dnsHostName: string | null; certificates: CertificateRef[]; templates: string[] }[];
  templates: AdcsTemplateReport[];
  ntAuth: NtAuthCertificate[];
  errors: AdcsError[];
  truncated: boolean;
}

export interface AdcsTemplateReport {
  name: string;
  dn: string;
  schemaVersion: number | null;
  publishedBy: string[];
  enrolleeSuppliesSubject: boolean;
  ekus: string[];
  managerApproval: boolean;
  authorizedSignatures: number;
  keyAlgorithm: string;
  minimalKeySize: number | null;
  validityDays: number | null;
  renewalDays: number | null;
  lowPrivilegedEnrollers: PrincipalGrant[];
  lowPrivilegedWriters: PrincipalGrant[];
}

export function adcsReportSection(inventories: readonly AdcsInventory[]): AdcsReportSection {
  return { forests: inventories.map(forestReport), notAssessed: ADCS_NOT_ASSESSED };
}

function forestReport(adcs: AdcsInventory): AdcsForestReport {
  return {
    source: adcs.source,
    configurationNamingContext: adcs.configurationNamingContext,
    enterpriseCas: adcs.enterpriseCas.map((ca) => ({
      name: ca.name, dn: ca.dn, dnsHostName: ca.dnsHostName, certificates: ca.certificates, templates: ca.templates,
    })),
    templates: adcs.templates.map((t) => ({
      name: t.template.name,
      dn: t.template.dn,
      schemaVersion: t.template.schemaVersion,
      publishedBy: t.publishedBy,
      enrolleeSuppliesSubject: t.enrolleeSuppliesSubject,
      ekus: t.ekus.map(ekuName),
      managerApproval: t.managerApproval,
      authorizedSignatures: t.authorizedSignatures,
      keyAlgorithm: t.template.keyAlgorithm,
      minimalKeySize: t.template.minimalKeySize,
      validityDays: t.template.validityDays,
      renewalDays: t.template.renewalDays,
      lowPrivilegedEnrollers: t.lowPrivilegedEnrollers,
      lowPrivilegedWriters: t.lowPrivilegedWriters,
    })),
    ntAuth: adcs.ntAuth?.certificates ?? [],
    errors: adcs.errors,
    truncated: adcs.truncated,
  };
}
