// The descriptor parser on crafted input (every ACE type, mixed-endian GUIDs, inheritance) and on
// hostile input: truncations, lying lengths and counts, random bytes. It must only ever return a
// descriptor or throw SecurityDescriptorError.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  SecurityDescriptorError,
  guidToString,
  parseSecurityDescriptor,
  rightNames,
  sidToBytes,
  sidToString,
} from "../../src/pki/security-descriptor.js";
import { aceBytes, aclBytes, guidBytes, securityDescriptor } from "../adcs/sd-builder.js";

const DOMAIN = "S-1-5-21-1004336348-1177238915-682003330";
const ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
const TEMPLATE_CLASS = "e5209ca2-3bba-11d2-90cc-00c04fd91ab1";

function parseOrError(bytes: Buffer): "ok" | "error" {
  try {
    parseSecurityDescriptor(bytes);
    return "ok";
  } catch (err) {
    expect(err).toBeInstanceOf(SecurityDescriptorError);
    return "error";
  }
}

describe("security descriptor parser", () => {
  const sd = securityDescriptor({
    owner: `${DOMAIN}-519`,
    group: `${DOMAIN}-512`,
    aces: [
      { type: 5, mask: 0x100, sid: `${DOMAIN}-513`, objectType: ENROLL },
      { type: 6, flags: 0x02, mask: 0x20, sid: "S-1-1-0", objectType: ENROLL, inheritedObjectType: TEMPLATE_CLASS },
      { type: 0, flags: 0x12, mask: 0x000f01ff, sid: "S-1-5-18" },
      { type: 1, mask: 0x40000, sid: "S-1-5-11" },
    ],
  });

  it("reads owner, group and every ACE type with mask, flags, object types and SID", () => {
    const parsed = parseSecurityDescriptor(sd);
    expect(parsed.owner).toBe(`${DOMAIN}-519`);
    expect(parsed.group).toBe(`${DOMAIN}-512`);
    expect(parsed.skippedAces).toBe(0);
    expect(parsed.dacl).toEqual([
      { type: "allowed-object", flags: 0, mask: 0x100, rights: ["ExtendedRight"], objectType: ENROLL, inheritedObjectType: null, sid: `${DOMAIN}-513` },
      { type: "denied-object", flags: 2, mask: 0x20, rights: ["WriteProperty"], objectType: ENROLL, inheritedObjectType: TEMPLATE_CLASS, sid: "S-1-1-0" },
      expect.objectContaining({ type: "allowed", flags: 0x12, mask: 0x000f01ff, sid: "S-1-5-18" }),
      { type: "denied", flags: 0, mask: 0x40000, rights: ["WriteDacl"], objectType: null, inheritedObjectType: null, sid: "S-1-5-11" },
    ]);
  });

  it("formats GUIDs mixed-endian, as Windows writes them", () => {
    const bytes = Buffer.from("68c9100efb78d21190d400c04f79dc55", "hex");
    expect(guidToString(bytes)).toBe(ENROLL);
    expect(guidBytes(ENROLL)).toEqual(bytes);
  });

  it("names generic rights from their mapped bits", () => {
    expect(rightNames(0x000f01ff)).toEqual(expect.arrayContaining(["GenericAll", "GenericWrite", "WriteDacl", "WriteOwner"]));
    expect(rightNames(0x00020028)).toEqual(["Self", "WriteProperty", "ReadControl", "GenericWrite"]);
    expect(rightNames(0x80000000)).toEqual(["GenericRead"]);
    expect(rightNames(0x10)).toEqual(["ReadProperty"]);
  });

  it("tells a missing DACL (null) from an empty one", () => {
    expect(parseSecurityDescriptor(securityDescriptor({ owner: "S-1-5-18", group: "S-1-5-18", aces: null })).dacl).toBeNull();
    expect(parseSecurityDescriptor(securityDescriptor({ owner: "S-1-5-18", group: "S-1-5-18", aces: [] })).dacl).toEqual([]);
  });

  it("counts ACE types it does not interpret instead of failing", () => {
    const audit = aceBytes({ type: 0, mask: 1, sid: "S-1-1-0" });
    audit.writeUInt8(0x02, 0); // SYSTEM_AUDIT_ACE
    const raw = securityDescriptor({ owner: "S-1-5-18", group: "S-1-5-18", aces: [] });
    const withAudit = Buffer.concat([raw.subarray(0, raw.length - 8), aclBytes([audit])]);
    const parsed = parseSecurityDescriptor(withAudit);
    expect(parsed.dacl).toEqual([]);
    expect(parsed.skippedAces).toBe(1);
  });

  it("round-trips SIDs and rejects malformed ones", () => {
    for (const sid of ["S-1-1-0", "S-1-5-32-544", `${DOMAIN}-513`, "S-1-5-21-4294967295-1-2-3"]) expect(sidToString(sidToBytes(sid))).toBe(sid);
    expect(() => sidToBytes("S-1-5-4294967296")).toThrow(SecurityDescriptorError);
    expect(() => sidToString(Buffer.concat([sidToBytes("S-1-1-0"), Buffer.from([0])]))).toThrow(/trailing/);
  });

  it("rejects every truncation of a valid descriptor with SecurityDescriptorError", () => {
    for (let length = 0; length < sd.length; length++) {
      // Some prefixes are valid descriptors on their own (a shorter DACL never is), none may crash.
      parseOrError(sd.subarray(0, length));
    }
    expect(parseOrError(sd.subarray(0, sd.length - 1))).toBe("error");
  });

  it("rejects lying lengths, counts and offsets", () => {
    const lie = (offset: number, write: (b: Buffer) => void): Buffer => {
      const copy = Buffer.from(sd);
      write(copy.subarray(offset));
      return copy;
    };
    const dacl = sd.readUInt32LE(16);
    expect(parseOrError(lie(16, (b) => b.writeUInt32LE(0xfffffff0)))).toBe("error"); // DACL offset past the end
    expect(parseOrError(lie(4, (b) => b.writeUInt32LE(sd.length - 2)))).toBe("error"); // owner SID cut off
    expect(parseOrError(lie(dacl + 2, (b) => b.writeUInt16LE(0xffff)))).toBe("error"); // ACL size past the end
    expect(parseOrError(lie(dacl + 4, (b) => b.writeUInt16LE(0xffff)))).toBe("error"); // 65535 ACEs in a small ACL
    expect(parseOrError(lie(dacl + 8 + 2, (b) => b.writeUInt16LE(2)))).toBe("error"); // ACE smaller than its header
    expect(parseOrError(lie(dacl + 8 + 2, (b) => b.writeUInt16LE(0xfff0)))).toBe("error"); // ACE past the ACL
    expect(parseOrError(lie(21, (b) => b.writeUInt8(200)))).toBe("error"); // SID with 200 sub-authorities
    expect(parseOrError(lie(2, (b) => b.writeUInt16LE(0x0004)))).toBe("error"); // not self-relative
    expect(parseOrError(lie(0, (b) => b.writeUInt8(2)))).toBe("error"); // unknown revision
  });

  it("survives random bytes and random corruption of a valid descriptor", () => {
    for (let i = 0; i < 2000; i++) parseOrError(randomBytes(i % 300));
    for (let i = 0; i < 2000; i++) {
      const copy = Buffer.from(sd);
      for (let j = 0; j < 3; j++) copy[Math.floor(Math.random() * copy.length)] = Math.floor(Math.random() * 256);
      parseOrError(copy);
    }
  });
});
