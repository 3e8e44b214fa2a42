// Decoders for certificate template attributes ([MS-CRTD] 2.x): flag words to names, FILETIME
// intervals to days, the v4 key algorithm setting. Pure functions over attribute values.

/** msPKI-Certificate-Name-Flag bits ([MS-CRTD] 2.28). */
export const NAME_FLAG = {
  CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT: 0x00000001,
  CT_FLAG_OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME: 0x00000008,
  CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT_ALT_NAME: 0x00010000,
  CT_FLAG_SUBJECT_ALT_REQUIRE_DOMAIN_DNS: 0x00400000,
  CT_FLAG_SUBJECT_ALT_REQUIRE_DIRECTORY_GUID: 0x01000000,
  CT_FLAG_SUBJECT_ALT_REQUIRE_UPN: 0x02000000,
  CT_FLAG_SUBJECT_ALT_REQUIRE_EMAIL: 0x04000000,
  CT_FLAG_SUBJECT_ALT_REQUIRE_DNS: 0x08000000,
  CT_FLAG_SUBJECT_REQUIRE_DNS_AS_CN: 0x10000000,
  CT_FLAG_SUBJECT_REQUIRE_EMAIL: 0x20000000,
  CT_FLAG_SUBJECT_REQUIRE_COMMON_NAME: 0x40000000,
  CT_FLAG_SUBJECT_REQUIRE_DIRECTORY_PATH: 0x80000000,
} as const;

/** msPKI-Enrollment-Flag bits ([MS-CRTD] 2.26). */
export const ENROLLMENT_FLAG = {
  CT_FLAG_INCLUDE_SYMMETRIC_ALGORITHMS: 0x00000001,
  CT_FLAG_PEND_ALL_REQUESTS: 0x00000002,
  CT_FLAG_PUBLISH_TO_KRA_CONTAINER: 0x00000004,
  CT_FLAG_PUBLISH_TO_DS: 0x00000008,
  CT_FLAG_AUTO_ENROLLMENT_CHECK_USER_DS_CERTIFICATE: 0x00000010,
  CT_FLAG_AUTO_ENROLLMENT: 0x00000020,
  CT_FLAG_PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT: 0x00000040,
  CT_FLAG_USER_INTERACTION_REQUIRED: 0x00000100,
  CT_FLAG_REMOVE_INVALID_CERTIFICATE_FROM_PERSONAL_STORE: 0x00000400,
  CT_FLAG_ALLOW_ENROLL_ON_BEHALF_OF: 0x00000800,
  CT_FLAG_ADD_OCSP_NOCHECK: 0x00001000,
  CT_FLAG_ENABLE_KEY_REUSE_ON_NT_TOKEN_KEYSET_STORAGE_FULL: 0x00002000,
  CT_FLAG_NOREVOCATIONINFOINISSUEDCERTS: 0x00004000,
  CT_FLAG_INCLUDE_BASIC_CONSTRAINTS_FOR_EE_CERTS: 0x00008000,
  CT_FLAG_ALLOW_PREVIOUS_APPROVAL_KEYBASEDRENEWAL_VALIDATE_REENROLLMENT: 0x00010000,
  CT_FLAG_ISSUANCE_POLICIES_FROM_REQUEST: 0x00020000,
  CT_FLAG_SKIP_AUTO_RENEWAL: 0x00040000,
  CT_FLAG_NO_SECURITY_EXTENSION: 0x00080000,
} as const;

/** Names of the bits of `value` that `table` knows; unknown bits are reported as hex. */
export function flagNames(value: number, table: Readonly<Record<string, number>>): string[] {
  const names: string[] = [];
  let known = 0;
  for (const [name, bit] of Object.entries(table)) {
    known = (known | bit) >>> 0;
    if ((value & bit) >>> 0 === bit) names.push(name);
  }
  const unknown = (value & ~known) >>> 0;
  if (unknown !== 0) names.push(`0x${unknown.toString(16).padStart(8, "0")}`);
  return names;
}

/** AD sends 32-bit integers (flag words, sizes, versions) as signed decimal text; unsigned here, null if absent or malformed. */
export function parseInteger32(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d{1,10}$/.test(text.trim())) return null;
  const value = Number(text.trim());
  if (value < -0x80000000 || value > 0xffffffff) return null;
  return value >>> 0;
}

const HUNDRED_NS_PER_DAY = 864_000_000_000n;

/**
 * pKIExpirationPeriod and pKIOverlapPeriod are 8-byte little-endian FILETIME intervals stored
 * negative (a relative time in 100 ns units). Returns days, truncated to 0.01; null if malformed.
 */
export function filetimeIntervalDays(bytes: Buffer | undefined): number | null {
  if (!bytes || bytes.length !== 8) return null;
  const ticks = -bytes.readBigInt64LE(0);
  if (ticks < 0n) return null;
  return Number((ticks * 100n) / HUNDRED_NS_PER_DAY) / 100;
}

const OID = /^[0-2](\.\d+)+$/;

export function isOid(value: string): boolean {
  return OID.test(value);
}

/**
 * v4 templates keep key settings in msPKI-RA-Application-Policies as
 * "msPKI-Asymmetric-Algorithm`PZPWSTR`RSA`msPKI-Key-Usage`DWORD`..."; earlier schema versions
 * use CryptoAPI providers, which are RSA.
 */
export function templateKeyAlgorithm(raApplicationPolicies: readonly string[]): string {
  for (const value of raApplicationPolicies) {
    const fields = value.split("`");
    const at = fields.indexOf("msPKI-Asymmetric-Algorithm");
    const algorithm = at >= 0 ? fields[at + 2] : undefined;
    if (algorithm) return algorithm.toUpperCase();
  }
  return "RSA";
}
