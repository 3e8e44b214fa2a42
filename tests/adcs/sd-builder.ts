// Builds self-relative security descriptors byte by byte, independently of the parser, so the
// tests can state exactly what is on the wire (and then break it).
import { sidToBytes } from "../../src/pki/security-descriptor.js";

export interface AceSpec {
  type: 0 | 1 | 5 | 6;
  flags?: number;
  mask: number;
  sid: string;
  /** Object ACEs: GUID in its text form, written mixed-endian. */
  objectType?: string;
  inheritedObjectType?: string;
}

export function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, "");
  const raw = Buffer.from(hex, "hex");
  // Data1 (4 bytes), Data2 and Data3 (2 bytes each) little-endian; Data4 as is.
  return Buffer.concat([Buffer.from(raw.subarray(0, 4)).reverse(), Buffer.from(raw.subarray(4, 6)).reverse(), Buffer.from(raw.subarray(6, 8)).reverse(), raw.subarray(8)]);
}

export function aceBytes(spec: AceSpec): Buffer {
  const parts: Buffer[] = [];
  const mask = Buffer.alloc(4);
  mask.writeUInt32LE(spec.mask >>> 0);
  parts.push(mask);
  if (spec.type === 5 || spec.type === 6) {
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE((spec.objectType ? 1 : 0) | (spec.inheritedObjectType ? 2 : 0));
    parts.push(flags);
    if (spec.objectType) parts.push(guidBytes(spec.objectType));
    if (spec.inheritedObjectType) parts.push(guidBytes(spec.inheritedObjectType));
  }
  parts.push(sidToBytes(spec.sid));
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt8(spec.type, 0);
  header.writeUInt8(spec.flags ?? 0, 1);
  header.writeUInt16LE(4 + body.length, 2);
  return Buffer.concat([header, body]);
}

export function aclBytes(aces: Buffer[]): Buffer {
  const body = Buffer.concat(aces);
  const header = Buffer.alloc(8);
  header.writeUInt8(4, 0);
  header.writeUInt16LE(8 + body.length, 2);
  header.writeUInt16LE(aces.length, 4);
  return Buffer.concat([header, body]);
}

/** Header, owner, group, DACL, in that order (AD puts the DACL last too). */
export function securityDescriptor({ owner, group, aces }: { owner: string; group: string; aces: AceSpec[] | null }): Buffer {
  const ownerBytes = sidToBytes(owner);
  const groupBytes = sidToBytes(group);
  const dacl = aces ? aclBytes(aces.map(aceBytes)) : Buffer.alloc(0);
  const header = Buffer.alloc(20);
  header.writeUInt8(1, 0);
  header.writeUInt16LE(0x8000 | (aces ? 0x0004 : 0), 2);
  header.writeUInt32LE(20, 4);
  header.writeUInt32LE(20 + ownerBytes.length, 8);
  header.writeUInt32LE(aces ? 20 + ownerBytes.length + groupBytes.length : 0, 16);
  return Buffer.concat([header, ownerBytes, groupBytes, dacl]);
}
