// A bounds-checked parser for self-relative SECURITY_DESCRIPTORs as Active Directory returns
// them in nTSecurityDescriptor ([MS-DTYP] 2.4.6): owner, group and the DACL with its ACEs. The
// bytes come from a directory we scan, so every offset and length is checked before it is read
// and anything inconsistent is a SecurityDescriptorError, never an out-of-range read.

export class SecurityDescriptorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecurityDescriptorError";
  }
}

export type AceType = "allowed" | "denied" | "allowed-object" | "denied-object";

export interface Ace {
  type: AceType;
  /** AceFlags: inheritance bits ([MS-DTYP] 2.4.4.1). */
  flags: number;
  mask: number;
  /** Names of the rights in the mask (AD-specific names, [MS-ADTS] 5.1.3.2). */
  rights: string[];
  /** Object-specific ACEs only: the property, property set, extended right or class it is limited to. */
  objectType: string | null;
  /** Object-specific ACEs only: the child class the ACE is inherited onto. */
  inheritedObjectType: string | null;
  sid: string;
}

export interface SecurityDescriptor {
  owner: string | null;
  group: string | null;
  /** null when the descriptor has no DACL (which grants everyone everything). */
  dacl: Ace[] | null;
  /** ACE types the parser does not interpret (callback, audit, ...), counted so nothing is silently lost. */
  skippedAces: number;
}

const SE_DACL_PRESENT = 0x0004;
const SE_SELF_RELATIVE = 0x8000;
const HEADER_BYTES = 20;
const ACL_HEADER_BYTES = 8;
const ACE_HEADER_BYTES = 4;
const MAX_SUB_AUTHORITIES = 15;
const ACE_OBJECT_TYPE_PRESENT = 0x1;
const ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2;
/** AceFlags bit: the ACE only propagates to children and does not apply to the object itself. */
export const INHERIT_ONLY_ACE = 0x08;

const ACE_TYPES: Readonly<Record<number, AceType>> = {
  0x00: "allowed",
  0x01: "denied",
  0x05: "allowed-object",
  0x06: "denied-object",
};

/** Access mask bits for directory objects ([MS-ADTS] 5.1.3.2, [MS-DTYP] 2.4.3). */
export const RIGHT = {
  CreateChild: 0x1,
  DeleteChild: 0x2,
  ListChildren: 0x4,
  Self: 0x8,
  ReadProperty: 0x10,
  WriteProperty: 0x20,
  DeleteTree: 0x40,
  ListObject: 0x80,
  ExtendedRight: 0x100,
  Delete: 0x10000,
  ReadControl: 0x20000,
  WriteDacl: 0x40000,
  WriteOwner: 0x80000,
  GenericAll: 0x10000000,
  GenericExecute: 0x20000000,
  GenericWrite: 0x40000000,
  GenericRead: 0x80000000,
} as const;

// AD stores generic rights already mapped to these specific bits, so recognise both forms.
const GENERIC_ALL_MAPPED = 0x000f01ff;
const GENERIC_WRITE_MAPPED = RIGHT.ReadControl | RIGHT.WriteProperty | RIGHT.Self;

/** Right names in a mask, with GenericAll/GenericWrite named when the mapped bits are all there. */
export function rightNames(mask: number): string[] {
  const names = Object.entries(RIGHT).filter(([, bit]) => (mask & bit) >>> 0 === bit).map(([name]) => name);
  if ((mask & GENERIC_ALL_MAPPED) >>> 0 === GENERIC_ALL_MAPPED && !names.includes("GenericAll")) names.push("GenericAll");
  if ((mask & GENERIC_WRITE_MAPPED) === GENERIC_WRITE_MAPPED && !names.includes("GenericWrite")) names.push("GenericWrite");
  return names;
}

export function parseSecurityDescriptor(bytes: Buffer): SecurityDescriptor {
  if (bytes.length < HEADER_BYTES) throw new SecurityDescriptorError(`descriptor of ${bytes.length} bytes is shorter than its header`);
  const revision = bytes.readUInt8(0);
  if (revision !== 1) throw new SecurityDescriptorError(`unsupported descriptor revision ${revision}`);
  const control = bytes.readUInt16LE(2);
  if ((control & SE_SELF_RELATIVE) === 0) throw new SecurityDescriptorError("descriptor is not self-relative");
  const ownerOffset = bytes.readUInt32LE(4);
  const groupOffset = bytes.readUInt32LE(8);
  const daclOffset = bytes.readUInt32LE(16);
  const hasDacl = (control & SE_DACL_PRESENT) !== 0 && daclOffset !== 0;
  const parsedDacl = hasDacl ? parseAcl(bytes, daclOffset) : null;
  return {
    owner: ownerOffset === 0 ? null : parseSid(bytes, ownerOffset).sid,
    group: groupOffset === 0 ? null : parseSid(bytes, groupOffset).sid,
    dacl: parsedDacl?.aces ?? null,
    skippedAces: parsedDacl?.skipped ?? 0,
  };
}

/** Parses a binary SID (as in objectSid) into its S-1-... form. */
export function sidToString(bytes: Buffer): string {
  const { sid, length } = parseSid(bytes, 0);
  if (length !== bytes.length) throw new SecurityDescriptorError(`SID of ${bytes.length} bytes has ${bytes.length - length} trailing bytes`);
  return sid;
}

/** The binary form of an S-1-... SID (for objectSid filters). */
export function sidToBytes(sid: string): Buffer {
  const match = /^S-1-(\d+)((?:-\d+)*)$/.exec(sid);
  if (!match) throw new SecurityDescriptorError(`not a SID: ${sid}`);
  const authority = BigInt(match[1]!);
  const subs = match[2]!.split("-").slice(1).map(Number);
  if (subs.length > MAX_SUB_AUTHORITIES || authority >= 1n << 48n || subs.some((s) => s > 0xffffffff)) {
    throw new SecurityDescriptorError(`SID out of range: ${sid}`);
  }
  const out = Buffer.alloc(8 + 4 * subs.length);
  out.writeUInt8(1, 0);
  out.writeUInt8(subs.length, 1);
  out.writeUIntBE(Number(authority), 2, 6);
  subs.forEach((s, i) => out.writeUInt32LE(s, 8 + 4 * i));
  return out;
}

/**
 * GUIDs are stored mixed-endian: the first three fields little-endian, the last eight bytes
 * as they are. Formatting the bytes in order would give a GUID that matches nothing.
 */
export function guidToString(bytes: Buffer, offset = 0): string {
  need(bytes, offset, 16, "GUID");
  const hex = (start: number, end: number) => bytes.subarray(offset + start, offset + end).toString("hex");
  return [
    bytes.readUInt32LE(offset).toString(16).padStart(8, "0"),
    bytes.readUInt16LE(offset + 4).toString(16).padStart(4, "0"),
    bytes.readUInt16LE(offset + 6).toString(16).padStart(4, "0"),
    hex(8, 10),
    hex(10, 16),
  ].join("-");
}

function need(bytes: Buffer, offset: number, length: number, what: string): void {
  if (offset < 0 || length < 0 || offset + length > bytes.length) {
    throw new SecurityDescriptorError(`${what} at offset ${offset} (${length} bytes) runs past the end (${bytes.length} bytes)`);
  }
}

function parseSid(bytes: Buffer, offset: number): { sid: string; length: number } {
  need(bytes, offset, 8, "SID header");
  const revision = bytes.readUInt8(offset);
  const count = bytes.readUInt8(offset + 1);
  if (revision !== 1) throw new SecurityDescriptorError(`unsupported SID revision ${revision}`);
  if (count > MAX_SUB_AUTHORITIES) throw new SecurityDescriptorError(`SID with ${count} sub-authorities (at most ${MAX_SUB_AUTHORITIES})`);
  const length = 8 + 4 * count;
  need(bytes, offset, length, "SID");
  const authority = bytes.readUIntBE(offset + 2, 6);
  const subs = Array.from({ length: count }, (_, i) => bytes.readUInt32LE(offset + 8 + 4 * i));
  return { sid: ["S-1", authority, ...subs].join("-"), length };
}

function parseAcl(bytes: Buffer, offset: number): { aces: Ace[]; skipped: number } {
  need(bytes, offset, ACL_HEADER_BYTES, "ACL header");
  const size = bytes.readUInt16LE(offset + 2);
  const count = bytes.readUInt16LE(offset + 4);
  if (size < ACL_HEADER_BYTES) throw new SecurityDescriptorError(`ACL size ${size} is smaller than its header`);
  need(bytes, offset, size, "ACL");
  const acl = bytes.subarray(offset, offset + size);
  const aces: Ace[] = [];
  let skipped = 0;
  let position = ACL_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    need(acl, position, ACE_HEADER_BYTES, `ACE ${i} header`);
    const type = acl.readUInt8(position);
    const aceSize = acl.readUInt16LE(position + 2);
    if (aceSize < ACE_HEADER_BYTES) throw new SecurityDescriptorError(`ACE ${i} has size ${aceSize}`);
    need(acl, position, aceSize, `ACE ${i}`);
    const ace = acl.subarray(position, position + aceSize);
    const kind = ACE_TYPES[type];
    if (kind) aces.push(parseAce(ace, kind));
    else skipped++;
    position += aceSize;
  }
  return { aces, skipped };
}

function parseAce(ace: Buffer, type: AceType): Ace {
  need(ace, ACE_HEADER_BYTES, 4, "ACE mask");
  const flags = ace.readUInt8(1);
  const mask = ace.readUInt32LE(ACE_HEADER_BYTES);
  let position = ACE_HEADER_BYTES + 4;
  let objectType: string | null = null;
  let inheritedObjectType: string | null = null;
  if (type === "allowed-object" || type === "denied-object") {
    need(ace, position, 4, "object ACE flags");
    const objectFlags = ace.readUInt32LE(position);
    position += 4;
    if (objectFlags & ACE_OBJECT_TYPE_PRESENT) {
      objectType = guidToString(ace, position);
      position += 16;
    }
    if (objectFlags & ACE_INHERITED_OBJECT_TYPE_PRESENT) {
      inheritedObjectType = guidToString(ace, position);
      position += 16;
    }
  }
  const { sid } = parseSid(ace, position);
  return { type, flags, mask, rights: rightNames(mask), objectType, inheritedObjectType, sid };
}
