// A Kerberos (SASL GSSAPI, RFC 4752) bind on an ldapts Client, with the ticket from the
// caller's credential cache (kinit; KRB5CCNAME and KRB5_CONFIG are honoured by the Kerberos
// library). The GSSAPI context comes from the `kerberos` npm package (native, MIT krb5).
//
// Why this reaches into ldapts: ldapts 8 only does single-step SASL. Client.bindSASL() writes
// the credentials as a UTF-8 string, throws SaslBindInProgressError on resultCode 14 and its
// BindResponse decodes serverSaslCreds as UTF-8, which destroys binary GSSAPI tokens. So this
// module (1) sends its own BindRequest subclass, whose credentials are raw bytes, through the
// client's private _send(); (2) parses bind responses with a BindResponse subclass that keeps
// serverSaslCreds as bytes, by swapping the client's parser hook for LDAP_RES_BIND during the
// bind only; (3) marks the client bound like bind() does. Everything private is reached through
// `internals()` below and checked at run time, so an ldapts upgrade that moves it fails with a
// clear error instead of misbehaving. Upstream fix: a Buffer-typed SASL credentials argument,
// BindResponse.serverSaslCreds as a Buffer, and a bind method that returns the response on
// resultCode 14 instead of throwing.
import { type BerReader, type BerWriter, BindRequest, BindResponse, type Client, type Control, ProtocolOperation, StatusCodeParser } from "ldapts";

export interface GssapiBindOptions {
  /**
   * Host part of the service principal: the DC's DNS name as registered in its SPNs
   * (ldap/<host>), which may differ from the address connected to.
   */
  spnHost: string;
  /** Client principal (user@REALM) to pick from the credential cache; default: the cache's default principal. */
  principal?: string;
}

/** resultCode 14: the server wants another SASL round. */
const SASL_BIND_IN_PROGRESS = 14;
/** RFC 4752 section 3.3: security layer bit masks. */
const SECURITY_LAYER_NONE = 0x01;
/** Kerberos needs two or three rounds; anything past this is a loop. */
const MAX_ROUNDS = 10;
/** serverSaslCreds: [7] OCTET STRING, primitive context tag. */
const SERVER_SASL_CREDS_TAG = 0x87;

/** The bind's failure: `server` says whether the DC answered (a refused bind) or the client side failed. */
export class GssapiBindError extends Error {
  constructor(
    message: string,
    readonly server: boolean,
  ) {
    super(message);
    this.name = "GssapiBindError";
  }
}

/** The part of the kerberos package this module uses. */
interface KerberosClientContext {
  contextComplete: boolean;
  step(challenge: string): Promise<string | null>;
  unwrap(challenge: string): Promise<string>;
  wrap(challenge: string, options?: { user?: string; protect?: boolean }): Promise<string>;
}
interface KerberosModule {
  initializeClient(service: string, options?: { principal?: string; mechOID?: number }): Promise<KerberosClientContext>;
  GSS_MECH_OID_KRB5: number;
}

let kerberosModule: Promise<KerberosModule> | undefined;
/** An optional dependency: npm skips it where libkrb5-dev is missing, so it must not be a static import. */
const KERBEROS_PACKAGE: string = "kerberos";

/** Loaded on first use, so simple binds never need the native module. */
async function loadKerberos(): Promise<KerberosModule> {
  kerberosModule ??= (import(KERBEROS_PACKAGE) as Promise<unknown>).then(
    (m) => ((m as { default?: unknown }).default ?? m) as KerberosModule,
  );
  try {
    return await kerberosModule;
  } catch (err) {
    kerberosModule = undefined;
    throw new GssapiBindError(
      `Kerberos support is not installed (the optional native kerberos module did not load: ${(err as Error).message}); ` +
        "install libkrb5-dev, then run npm rebuild kerberos (or npm install)",
      false,
    );
  }
}

/**
 * Binds `client` with SASL GSSAPI as the principal in the credential cache, choosing no SASL
 * security layer: the session must already be protected by TLS (LDAPS or StartTLS), which the
 * caller ensures. Throws GssapiBindError.
 */
export async function gssapiBind(client: Client, options: GssapiBindOptions): Promise<void> {
  if (!options.spnHost) throw new GssapiBindError("no host name for the service principal ldap/<host>", false);
  const kerberos = await loadKerberos();
  const service = `ldap@${options.spnHost}`;
  let context: KerberosClientContext;
  let token: string;
  try {
    context = await kerberos.initializeClient(service, {
      mechOID: kerberos.GSS_MECH_OID_KRB5,
      ...(options.principal ? { principal: options.principal } : {}),
    });
    // The first token: an AP-REQ for ldap/<host>, from a service ticket the library gets from
    // the KDC with the TGT in the cache. No ticket, no KDC or an unknown SPN fail here.
    token = (await context.step("")) ?? "";
  } catch (err) {
    throw new GssapiBindError(`Kerberos: cannot start a GSSAPI context for ${service}: ${gssMessage(err)}`, false);
  }

  const inner = internals(client);
  const restore = inner.captureSaslCreds();
  try {
    await inner.connect();
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const response = await inner.sendBind(Buffer.from(token, "base64"));
      if (response.status === 0) {
        // RFC 4752 ends with the security-layer exchange; a server that reports success before
        // it is not one this bind can vouch for.
        if (!context.contextComplete) throw new GssapiBindError("the server accepted the bind before the GSSAPI context was complete", true);
        inner.markBound();
        return;
      }
      if (response.status !== SASL_BIND_IN_PROGRESS) {
        const error = StatusCodeParser.parse(response);
        throw new GssapiBindError(error.message, true);
      }
      const challenge = response.serverSaslCreds.toString("base64");
      if (!context.contextComplete) {
        token = await gssStep(() => context.step(challenge), "GSSAPI step");
      } else {
        token = await negotiateSecurityLayer(context, challenge);
      }
    }
    throw new GssapiBindError(`the server asked for more than ${MAX_ROUNDS} SASL rounds`, true);
  } finally {
    restore();
  }
}

/**
 * RFC 4752 section 3.1, last round: the server sends a wrapped 4-octet message (offered layers,
 * max buffer size); the client answers with a wrapped 4-octet choice. We choose "no security
 * layer" and a max size of 0, without an authorization identity (act as the authenticated one).
 */
async function negotiateSecurityLayer(context: KerberosClientContext, challenge: string): Promise<string> {
  const offer = Buffer.from(await gssStep(() => context.unwrap(challenge), "GSSAPI unwrap"), "base64");
  if (offer.length !== 4) throw new GssapiBindError(`the server's security-layer message has ${offer.length} octets, not 4`, true);
  if ((offer[0]! & SECURITY_LAYER_NONE) === 0) {
    throw new GssapiBindError("the server requires a SASL integrity or confidentiality layer, which this client does not implement (it relies on TLS)", true);
  }
  const choice = Buffer.from([SECURITY_LAYER_NONE, 0, 0, 0]);
  return gssStep(() => context.wrap(choice.toString("base64"), { protect: false }), "GSSAPI wrap");
}

async function gssStep(work: () => Promise<string | null>, what: string): Promise<string> {
  try {
    return (await work()) ?? "";
  } catch (err) {
    throw new GssapiBindError(`Kerberos: ${what} failed: ${gssMessage(err)}`, false);
  }
}

/** The kerberos package reports "major: minor" status texts; keep them on one line. */
function gssMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, " ").trim() || "unknown GSSAPI error";
}

/** A SASL BindRequest whose credentials are bytes. Held in a #private field, so ldapts' debug log (JSON of the message) never shows the token. */
class SaslBindRequest extends BindRequest {
  readonly #credentials: Buffer;

  constructor(messageId: number, mechanism: string, credentials: Buffer) {
    super({ messageId, mechanism });
    this.#credentials = credentials;
  }

  override writeMessage(writer: BerWriter): void {
    writer.writeInt(this.version);
    writer.writeString(this.dn);
    writer.startSequence(ProtocolOperation.LDAP_REQ_BIND_SASL);
    writer.writeString(this.mechanism ?? "");
    // AuthenticationChoice sasl: credentials OCTET STRING OPTIONAL; the first GSSAPI token is
    // never empty, and an empty one (after the context completes) is sent as a zero-length string.
    writer.writeBuffer(this.#credentials, 0x04);
    writer.endSequence();
  }
}

/** A BindResponse that also keeps serverSaslCreds as bytes (ldapts decodes them as UTF-8 into `data`). */
class SaslBindResponse extends BindResponse {
  serverSaslCreds: Buffer = Buffer.alloc(0);

  override parseMessage(reader: BerReader): void {
    this.status = reader.readEnumeration() ?? 0;
    this.matchedDN = reader.readString() ?? "";
    this.errorMessage = reader.readString() ?? "";
    while (reader.remain > 0) {
      const type = reader.peek();
      if (type === null || type === ProtocolOperation.LDAP_CONTROLS) break;
      const value = reader.readString(type, true);
      if (value === null) break;
      if (type === SERVER_SASL_CREDS_TAG) this.serverSaslCreds = Buffer.from(value);
      this.data.push(value.toString("utf8"));
    }
  }
}

/** ldapts' Message base class, which it does not export. */
interface LdapMessage {
  messageId: number;
  controls?: Control[];
}

/**
 * The private members of ldapts 8.2's Client and MessageParser this module uses. Connection-level
 * failures from them (refused, TLS, timeout) are thrown as they come: the caller files them under "connect".
 */
interface ClientPrivate {
  isConnected: boolean;
  bound: boolean;
  _connect(): Promise<void> | void;
  _nextMessageId(): number;
  _send(message: LdapMessage): Promise<LdapMessage | undefined>;
  messageParser: {
    _getMessageFromProtocolOperation(messageId: number, protocolOperation: number, reader: BerReader, request?: LdapMessage): LdapMessage;
  };
}

interface Internals {
  connect(): Promise<void>;
  sendBind(credentials: Buffer): Promise<SaslBindResponse>;
  markBound(): void;
  /** Makes the client's parser build SaslBindResponse for bind responses; returns the undo. */
  captureSaslCreds(): () => void;
}

function internals(client: Client): Internals {
  const inner = client as unknown as ClientPrivate;
  const parser = inner.messageParser;
  if (
    typeof inner._connect !== "function" || typeof inner._send !== "function" || typeof inner._nextMessageId !== "function" ||
    typeof parser?._getMessageFromProtocolOperation !== "function"
  ) {
    throw new GssapiBindError("this ldapts version does not expose what the GSSAPI bind needs (Client._send, MessageParser._getMessageFromProtocolOperation)", false);
  }
  return {
    async connect() {
      if (!inner.isConnected) await inner._connect();
    },
    async sendBind(credentials) {
      const response = await inner._send(new SaslBindRequest(inner._nextMessageId(), "GSSAPI", credentials));
      if (!(response instanceof SaslBindResponse)) {
        throw new GssapiBindError(`unexpected answer to a SASL bind: ${response ? response.constructor.name : "none"}`, true);
      }
      return response;
    },
    markBound() {
      // What Client.bind() does on success (_onBindSuccess), minus autoRebind: a Kerberos bind
      // is not replayed on reconnect (this collector does not enable autoRebind).
      inner.bound = true;
    },
    captureSaslCreds() {
      const original = parser._getMessageFromProtocolOperation;
      // An own property shadows the prototype method for this client's parser only.
      parser._getMessageFromProtocolOperation = function (messageId, protocolOperation, reader, request) {
        if (protocolOperation !== ProtocolOperation.LDAP_RES_BIND || !(request instanceof SaslBindRequest)) {
          return original.call(this, messageId, protocolOperation, reader, request);
        }
        const message = new SaslBindResponse({ messageId });
        message.parse(reader, request.controls ?? []);
        return message;
      };
      return () => {
        delete (parser as Partial<ClientPrivate["messageParser"]>)._getMessageFromProtocolOperation;
        if (parser._getMessageFromProtocolOperation !== original) parser._getMessageFromProtocolOperation = original;
      };
    },
  };
}
