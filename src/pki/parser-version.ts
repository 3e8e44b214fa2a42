// The version of what parseCertificate() derives. Raise it whenever a parser change alters a
// stored field (a fixed extension decoder, a new fact): certificates stored by an older parser are
// then parsed again the next time a scan sees them, instead of keeping their old record forever.
// 3: CPS URIs of certificate policy qualifiers.
// 4: profile facts (version, serial encoding, critical and duplicate extensions, empty names) and
//    DSA keys whose parameters are inherited.
export const PARSER_VERSION = 4;
