// AD CS escalation techniques that LDAP alone cannot assess: their conditions live in a CA's or
// a domain controller's registry, on the CA host, or behind its web endpoints. Reports list them
// so a clean AD CS section is not read as a clean bill of health.

export interface NotAssessedCheck {
  id: string;
  title: string;
  /** Where the deciding setting lives, and so why an LDAP scan cannot see it. */
  needs: string;
  reference: string;
}

const CERTIFIED_PRE_OWNED = "Schroeder and Christensen, Certified Pre-Owned, SpecterOps, 2021";

export const ADCS_NOT_ASSESSED: readonly NotAssessedCheck[] = [
  {
    id: "ESC6",
    title: "EDITF_ATTRIBUTESUBJECTALTNAME2: the CA accepts a subjectAltName from any request",
    needs: "the CA's policy module EditFlags in its registry (certutil -getreg policy\\EditFlags)",
    reference: CERTIFIED_PRE_OWNED,
  },
  {
    id: "ESC7",
    title: "CA officer and administrator rights (ManageCA, ManageCertificates) held by low-privileged principals",
    needs: "the CA's own security descriptor, kept in its registry, not in LDAP",
    reference: CERTIFIED_PRE_OWNED,
  },
  {
    id: "ESC8",
    title: "NTLM relay to HTTP enrollment endpoints (certsrv web enrollment, CES) without EPA or HTTPS",
    needs: "probing the CA's web enrollment endpoints",
    reference: CERTIFIED_PRE_OWNED,
  },
  {
    id: "ESC10",
    title: "Weak certificate mapping on domain controllers (CertificateMappingMethods, StrongCertificateBindingEnforcement)",
    needs: "each domain controller's registry; it also decides whether ESC9 findings are exploitable",
    reference: "Lyak, Certipy 4.0: ESC9 & ESC10, 2022",
  },
  {
    id: "ESC11",
    title: "RPC enrollment without packet privacy (IF_ENFORCEENCRYPTICERTREQUEST cleared)",
    needs: "the CA's InterfaceFlags in its registry",
    reference: "Heiniger, Relaying to AD Certificate Services over RPC, Compass Security, 2022",
  },
  {
    id: "ESC12",
    title: "CA private key on a YubiHSM whose password is stored in the registry",
    needs: "access to the CA host",
    reference: "Knobloch, ESC12: Shell access to ADCS CA with YubiHSM, 2023",
  },
  {
    id: "ESC16",
    title: "The SID security extension disabled CA-wide (DisableExtensionList)",
    needs: "the CA's policy module DisableExtensionList in its registry",
    reference: "Certipy wiki, ESC16: Security Extension Disabled on CA (globally), 2025",
  },
  {
    id: "enrollment-agent-restrictions",
    title: "Enrollment agent restrictions that would limit ESC3",
    needs: "the CA's EnrollmentAgentRights in its registry",
    reference: CERTIFIED_PRE_OWNED,
  },
];
