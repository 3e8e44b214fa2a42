import { type AdcsRule, REFERENCES } from "./adcs-support.js";

export const adcsNtauthUnsanctioned: AdcsRule = {
  meta: {
    id: "adcs-ntauth-unsanctioned",
    title: "Unsanctioned CA in NTAuthCertificates",
    category: "security",
    severity: "high",
    rationale:
      "Domain controllers accept smart card and PKINIT logon only with certificates from CAs in NTAuthCertificates. A CA there that does not chain to a sanctioned root can issue certificates that log on as any user, outside the PKI's governance; it is also what an attacker adds after compromising the object (ESC5).",
    remediation:
      "Confirm who operates the CA. If it is not sanctioned, remove it from NTAuth (certutil -viewdelstore \"ldap:///CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,<forest>?cACertificate?base?objectclass=certificationAuthority\") and investigate how it got there; if it is, add its root to the sanctioned trust anchors.",
    references: [REFERENCES.certifiedPreOwned, "Microsoft: Guidelines for enabling smart card logon with third-party certification authorities"],
  },
  scope: "inventory",
  examines: (inventory) => inventory.adcs.reduce((n, adcs) => n + (adcs.ntAuth?.certificates.length ?? 0), 0),
  evaluate: (inventory) =>
    inventory.adcs.flatMap((adcs) =>
      (adcs.ntAuth?.certificates ?? [])
        .filter((c) => !c.sanctioned)
        .map((c) => ({
          message: `NTAuth trusts "${c.subject ?? c.sha256}", which does not chain to a sanctioned root`,
          certificate: c.sha256,
          endpoints: [],
          url: null,
          subjectKey: adcs.ntAuth!.dn,
          evidence: { source: adcs.source, dn: adcs.ntAuth!.dn, subject: c.subject, notAfter: c.notAfter, sha256: c.sha256 },
        })),
    ),
};
