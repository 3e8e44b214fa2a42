// LDAP_SERVER_SD_FLAGS_OID ([MS-ADTS] 3.1.1.3.4.1.11): which parts of nTSecurityDescriptor to
// return. Without it AD returns the SACL too, which needs a privilege a scanning account should
// not have, and then returns nothing at all (a 0-byte value) to low-privileged accounts.
import { Ber, BerWriter, Control } from "ldapts";

const OWNER_SECURITY_INFORMATION = 0x1;
const GROUP_SECURITY_INFORMATION = 0x2;
const DACL_SECURITY_INFORMATION = 0x4;

export class SdFlagsControl extends Control {
  static readonly type = "1.2.840.113556.1.4.801";

  constructor(private readonly flags = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION) {
    // Non-critical: a directory that does not know it still answers, just with whole descriptors.
    super(SdFlagsControl.type, { critical: false });
  }

  /** The value is the BER encoding of SEQUENCE { INTEGER flags }, wrapped in an OCTET STRING. */
  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.flags);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}
