// XMPP client-to-server STARTTLS (RFC 6120 §5): open a stream, read the stream features, ask
// for <starttls/> if offered, and start TLS after <proceed/>.
//
// Written without an XML parser: pkiscope has no XML dependency, and the negotiation needs only
// the names and namespaces of a few top-level elements. The tag scanner below reads start and
// end tags (quotes respected), tracks depth, and ignores text and everything deeper; a server
// that sends something else gets an error, never a hang or an unbounded buffer.
import { StringDecoder } from "node:string_decoder";
import { type PlaintextConversation, StartTlsProtocolError, StartTlsRefused, type StartTlsProtocol, type StartTlsTarget, serverWords } from "./protocol.js";

const NS_STREAMS = "http://etherx.jabber.org/streams";
const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams";
/** Stream header and features are a few kilobytes even with many SASL mechanisms. */
const MAX_XML_BYTES = 32 * 1024;

export const xmpp: StartTlsProtocol = {
  name: "xmpp",
  defaultPorts: [5222],
  description: "XMPP (client): stream features must offer <starttls/>, then TLS after <proceed/>",
  async negotiate(talk: PlaintextConversation, target: StartTlsTarget): Promise<void> {
    const domain = target.hostname ?? target.address;
    await talk.write(
      `<?xml version='1.0'?><stream:stream to='${xmlAttribute(domain)}' version='1.0' xmlns='jabber:client' xmlns:stream='${NS_STREAMS}'>`,
    );
    const stream = new XmppStreamReader(talk, domain);
    await stream.expectStreamHeader();
    const features = await stream.nextTopLevel();
    if (features.localName !== "features" || features.namespace !== NS_STREAMS) {
      throw new StartTlsProtocolError(`expected <stream:features>, got <${features.qualifiedName}>`);
    }
    if (!features.children.some((c) => c.localName === "starttls" && c.namespace === NS_TLS)) {
      const offered = features.children.map((c) => c.localName).join(", ") || "none";
      throw new StartTlsRefused(`the XMPP server does not offer STARTTLS (features: ${serverWords(offered)})`);
    }
    await talk.write(`<starttls xmlns='${NS_TLS}'/>`);
    const answer = await stream.nextTopLevel();
    if (answer.namespace === NS_TLS && answer.localName === "proceed") {
      stream.expectNothingMore();
      return;
    }
    if (answer.namespace === NS_TLS && answer.localName === "failure") throw new StartTlsRefused("the XMPP server answered <starttls/> with <failure/>");
    throw new StartTlsProtocolError(`expected <proceed/> after <starttls/>, got <${answer.qualifiedName}>`);
  },
};

function xmlAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}

/** One child of the stream with the names of its own children (all the negotiation looks at). */
interface TopLevelElement {
  qualifiedName: string;
  localName: string;
  namespace: string | null;
  children: Array<{ localName: string; namespace: string | null }>;
}

interface Tag {
  kind: "start" | "end" | "empty";
  qualifiedName: string;
  attributes: Map<string, string>;
}

/** A start or end tag; quoted attribute values may contain '>'. Declarations and PIs are skipped by the caller. */
const TAG = /^<(\/?)([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>/;
const ATTRIBUTE = /([^\s=]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;

/**
 * Reads the server's side of the stream as tags, tracking namespace declarations on the stream
 * header and the elements it needs (features, proceed, failure, error are at most two deep).
 */
class XmppStreamReader {
  private text = "";
  private consumed = 0;
  private readonly decoder = new StringDecoder("utf8");
  private streamNamespaces = new Map<string, string>();

  constructor(
    private readonly talk: PlaintextConversation,
    /** The `to` we sent: a stream error such as host-unknown is about it. */
    private readonly domain: string,
  ) {}

  async expectStreamHeader(): Promise<void> {
    const tag = await this.nextTag();
    const { prefix, local } = splitName(tag.qualifiedName);
    if (tag.kind !== "start" || local !== "stream") throw new StartTlsProtocolError(`not an XMPP stream header: <${tag.qualifiedName}>`);
    for (const [name, value] of tag.attributes) {
      if (name === "xmlns") this.streamNamespaces.set("", value);
      else if (name.startsWith("xmlns:")) this.streamNamespaces.set(name.slice(6), value);
    }
    if (this.streamNamespaces.get(prefix) !== NS_STREAMS) throw new StartTlsProtocolError("the XMPP stream header is not in the streams namespace");
  }

  /** The next complete child of the stream; a stream error or the end of the stream throws. */
  async nextTopLevel(): Promise<TopLevelElement> {
    const open = await this.nextTag();
    if (open.kind === "end") throw new StartTlsProtocolError("the XMPP server closed the stream");
    const element: TopLevelElement = { qualifiedName: open.qualifiedName, ...this.resolve(open), children: [] };
    const childDefault = open.attributes.get("xmlns") ?? this.streamNamespaces.get("") ?? null;
    let errorCondition: string | null = null;
    for (let depth = open.kind === "start" ? 1 : 0; depth > 0; ) {
      const tag = await this.nextTag();
      if (tag.kind === "end") {
        depth--;
        continue;
      }
      if (depth === 1) {
        const child = this.resolve(tag, childDefault);
        element.children.push(child);
        if (child.namespace === NS_STREAM_ERRORS && child.localName !== "text") errorCondition ??= child.localName;
      }
      if (tag.kind === "start") depth++;
    }
    if (element.localName === "error" && element.namespace === NS_STREAMS) {
      throw new StartTlsProtocolError(`XMPP stream error for to='${serverWords(this.domain)}': ${serverWords(errorCondition ?? "unspecified")}`);
    }
    return element;
  }

  /** Bytes after <proceed/> would be read as TLS: the server broke the protocol. */
  expectNothingMore(): void {
    if (this.text.trim() !== "") throw new StartTlsProtocolError(`the XMPP server sent data after <proceed/>: ${serverWords(this.text)}`);
  }

  /** Local name and namespace, from the tag's own declarations, else the default it inherits or the stream's prefixes. */
  private resolve(tag: Tag, inheritedDefault: string | null = this.streamNamespaces.get("") ?? null): { localName: string; namespace: string | null } {
    const { prefix, local } = splitName(tag.qualifiedName);
    const declared = tag.attributes.get(prefix === "" ? "xmlns" : `xmlns:${prefix}`);
    const namespace = declared ?? (prefix === "" ? inheritedDefault : (this.streamNamespaces.get(prefix) ?? null));
    return { localName: local, namespace };
  }

  private async nextTag(): Promise<Tag> {
    for (;;) {
      const start = this.text.indexOf("<");
      if (start >= 0) {
        this.text = this.text.slice(start);
        if (this.text.startsWith("<?")) {
          const end = this.text.indexOf("?>");
          if (end >= 0) {
            this.text = this.text.slice(end + 2);
            continue;
          }
        } else if (this.text.startsWith("<!")) {
          throw new StartTlsProtocolError(`XMPP forbids comments, DTDs and CDATA: ${serverWords(this.text.slice(0, 60))}`);
        } else {
          const match = TAG.exec(this.text);
          if (match) {
            this.text = this.text.slice(match[0].length);
            return {
              kind: match[1] ? "end" : match[4] ? "empty" : "start",
              qualifiedName: match[2]!,
              attributes: new Map([...match[3]!.matchAll(ATTRIBUTE)].map((a) => [a[1]!, a[2] ?? a[3] ?? ""])),
            };
          }
          // A complete tag without quotes that does not match is malformed; with quotes, a '>'
          // may sit inside a value still arriving, so wait for more (bounded by MAX_XML_BYTES).
          const close = this.text.indexOf(">");
          if (close >= 0 && !/['"]/.test(this.text.slice(0, close))) {
            throw new StartTlsProtocolError(`not XML the XMPP negotiation allows: ${serverWords(this.text.slice(0, 60))}`);
          }
        }
      } else {
        // Text between tags (whitespace keepalives, character data) carries nothing we need.
        this.text = "";
      }
      await this.more();
    }
  }

  private async more(): Promise<void> {
    const chunk = await this.talk.readSome();
    this.consumed += chunk.length;
    if (this.consumed > MAX_XML_BYTES) throw new StartTlsProtocolError(`the XMPP server sent over ${MAX_XML_BYTES} bytes without finishing its features`);
    this.text += this.decoder.write(chunk);
  }
}

function splitName(qualifiedName: string): { prefix: string; local: string } {
  const colon = qualifiedName.indexOf(":");
  return colon < 0 ? { prefix: "", local: qualifiedName } : { prefix: qualifiedName.slice(0, colon), local: qualifiedName.slice(colon + 1) };
}
