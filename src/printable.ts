// One definition of the characters that must not reach a terminal or a one-line text format
// from a hostile string (a certificate subject, a SAN, a server's error, an LDAP value):
// C0 controls (ESC opens ANSI CSI and OSC sequences, CR and LF forge lines, BEL, BS), DEL, C1
// controls (U+009B is a one-character CSI to some terminals), the Unicode line and paragraph
// separators, and the bidirectional overrides and isolates that make text display in an order
// other than the one it has.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every such character replaced by U+FFFD, so what was there stays visible but inert. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, "\uFFFD");
}

/** The ones JSON.stringify leaves raw (it escapes C0 controls itself): DEL, C1, the separators, the bidi controls. */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text for a terminal: those characters written as \uXXXX escapes. Outside strings JSON
 * has none of them, and inside one the escape means the same character, so the value is
 * unchanged: a JSON parser reads exactly what it would have, with nothing lost to U+FFFD.
 */
export function printableJson(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Every unprintable character but the line feed and the tab, which lay out a multi-line text format. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A multi-line text (CSV, HTML) for a terminal: its CRLF line ends as LF, and every other
 * unprintable character U+FFFD, so no hostile value inside it moves the cursor or forges a line.
 */
export function printableLines(text: string): string {
  return text.replaceAll("\r\n", "\n").replace(UNPRINTABLE_IN_LINES, "\uFFFD");
}
