import type { PkiObjectFacts } from "../src/inventory/adcs/facts.js";
import { type AdcsRule, REFERENCES, principalList } from "./adcs-support.js";

/** NTAuth and the CA objects decide whom the forest trusts to issue logon certificates. */
const CRITICAL_KINDS = new Set<PkiObjectFacts["kind"]>(["ntauth", "enrollment-service", "certification-authority"]);

export const adcsEsc5: AdcsRule = {
  meta: {
    id: "adcs-esc5",
    title: "AD CS ESC5: low-privileged principals can modify a PKI object",
    category: "security",
    severity: "high",
    rationale:
      "The objects under CN=Public Key Services define the forest's PKI: NTAuthCertificates lists the CAs trusted for smart card and PKINIT logon, enrollment services say which CA publishes which template, the containers hold every template. A low-privileged principal with write access can add a rogue CA to NTAuth, publish a vulnerable template, or create new templates.",
    remediation:
      "Remove GenericAll, GenericWrite, WriteDacl, WriteOwner and WriteProperty from low-privileged principals on the object, and make an administrative group its owner.",
    references: [REFERENCES.certifiedPreOwned, REFERENCES.locksmith],
  },
  scope: "inventory",
  examines: (inventory) => inventory.adcs.reduce((n, adcs) => n + adcs.pkiObjects.length, 0),
  evaluate: (inventory) =>
    inventory.adcs.flatMap((adcs) =>
      adcs.pkiObjects
        .filter((o) => o.lowPrivilegedWriters.length > 0)
        .map((o) => ({
          message: `${o.object.objectClass} ${o.object.name}: ${principalList(o.lowPrivilegedWriters)} can modify it`,
          certificate: null,
          endpoints: [],
          url: null,
          subjectKey: o.object.dn,
          severity: CRITICAL_KINDS.has(o.kind) ? ("critical" as const) : ("high" as const),
          evidence: {
            source: adcs.source,
            dn: o.object.dn,
            objectClass: o.object.objectClass,
            kind: o.kind,
            trigger: [...new Set(o.lowPrivilegedWriters.flatMap((w) => w.rights))],
            lowPrivilegedWriters: o.lowPrivilegedWriters,
          },
        })),
    ),
};
