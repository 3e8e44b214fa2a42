// Names for security principals, and which of them count as low-privileged. Well-known SIDs
// are not directory objects one can look up, so their names come from this table; domain SIDs
// are resolved against the directory by the collector, with the well-known RIDs as fallback.

/** SIDs that are the same in every Windows domain ([MS-DTYP] 2.4.2.4). */
const WELL_KNOWN_SIDS: Readonly<Record<string, string>> = {
  "S-1-1-0": "Everyone",
  "S-1-3-0": "Creator Owner",
  "S-1-5-7": "Anonymous Logon",
  "S-1-5-9": "Enterprise Domain Controllers",
  "S-1-5-10": "Principal Self",
  "S-1-5-11": "Authenticated Users",
  "S-1-5-18": "Local System",
  "S-1-5-32-544": "Administrators",
  "S-1-5-32-545": "Users",
  "S-1-5-32-546": "Guests",
  "S-1-5-32-548": "Account Operators",
  "S-1-5-32-549": "Server Operators",
  "S-1-5-32-550": "Print Operators",
  "S-1-5-32-551": "Backup Operators",
  "S-1-5-32-554": "Pre-Windows 2000 Compatible Access",
};

/** Relative ids of the groups every domain has ([MS-ADTS] 6.1.1.6). */
const DOMAIN_RIDS: Readonly<Record<number, string>> = {
  500: "Administrator",
  501: "Guest",
  512: "Domain Admins",
  513: "Domain Users",
  514: "Domain Guests",
  515: "Domain Computers",
  516: "Domain Controllers",
  517: "Cert Publishers",
  518: "Schema Admins",
  519: "Enterprise Admins",
  520: "Group Policy Creator Owners",
  526: "Key Admins",
  527: "Enterprise Key Admins",
  553: "RAS and IAS Servers",
};

/** Everyone, Authenticated Users and Users: every account of the forest is in them. */
const LOW_PRIVILEGED_WELL_KNOWN = new Set(["S-1-1-0", "S-1-5-11", "S-1-5-32-545"]);
/** Domain Users (513) and Domain Computers (515) of any domain: anyone can join the latter by default (MachineAccountQuota). */
const LOW_PRIVILEGED_DOMAIN_RID = /^S-1-5-21-\d+-\d+-\d+-(513|515)$/;
const DOMAIN_SID = /^(S-1-5-21-\d+-\d+-\d+)-(\d+)$/;

export function isLowPrivileged(sid: string): boolean {
  return LOW_PRIVILEGED_WELL_KNOWN.has(sid) || LOW_PRIVILEGED_DOMAIN_RID.test(sid);
}

/** The name a SID has everywhere, or null when only the directory can tell. */
export function wellKnownName(sid: string): string | null {
  const known = WELL_KNOWN_SIDS[sid];
  if (known) return known;
  const rid = DOMAIN_SID.exec(sid)?.[2];
  return rid === undefined ? null : (DOMAIN_RIDS[Number(rid)] ?? null);
}

/** True for SIDs that name no directory object (so there is nothing to search for). */
export function isWellKnownSid(sid: string): boolean {
  return sid in WELL_KNOWN_SIDS;
}
