// One interface for every plaintext protocol that upgrades to TLS on the same connection (zgrab2's
// shape: a small module per protocol, one conversation helper they all share). A module speaks
// the protocol's preamble until the server is ready for a ClientHello, then returns; the TLS
// probe takes the socket over from there. Servers are untrusted: every read is bounded in size
// and time, and what they said is kept, cleaned, for the recorded error.
import type { Socket } from "node:net";

export interface StartTlsProtocol {
  /** The name used in target URLs (`smtp://host:2525`), `--starttls PORT=NAME` and the store. */
  readonly name: string;
  /** Ports probed with this protocol by default. */
  readonly defaultPorts: readonly number[];
  /** One line for `--help` and the README's table. */
  readonly description: string;
  /**
   * Speaks the preamble over `talk`. Resolves when the next byte the server expects is a TLS
   * ClientHello. Throws `StartTlsRefused` when the server speaks the protocol but will not
   * upgrade, `StartTlsProtocolError` when it says something the protocol does not allow;
   * a read that outlives its step timeout throws `StartTlsTimeout` from the conversation.
   */
  negotiate(talk: PlaintextConversation, target: StartTlsTarget): Promise<void>;
}

export interface StartTlsTarget {
  /** The name the client asked for (sent as SNI, and as XMPP `to`); null for a bare address. */
  hostname: string | null;
  address: string;
  port: number;
}

/** The server spoke the protocol and refused (or did not offer) the upgrade: status `no-starttls`. */
export class StartTlsRefused extends Error {
  override name = "StartTlsRefused";
}

/** The server answered with something the protocol does not allow: status `error`. */
export class StartTlsProtocolError extends Error {
  override name = "StartTlsProtocolError";
}

/** One step of the preamble did not finish within its timeout: status `timeout`. */
export class StartTlsTimeout extends Error {
  override name = "StartTlsTimeout";
}

/** A server line or payload made safe to keep in an error: printable ASCII, at most 200 characters. */
export function serverWords(text: string | Buffer): string {
  const raw = typeof text === "string" ? text : text.toString("latin1");
  const clean = raw.replace(/[^\x20-\x7e]+/g, " ").trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** Most a server may send during a preamble before the probe gives up on it (a banner flood). */
const MAX_PREAMBLE_BYTES = 64 * 1024;
/** Longest line a line-based protocol may send. */
const MAX_LINE_BYTES = 8 * 1024;
/** The default time for a whole preamble, in step timeouts (SMTP, the longest, has three round trips). */
const PREAMBLE_STEP_BUDGET = 4;

/**
 * The plaintext half of a STARTTLS probe: buffered reads with a timeout per step and a cap on
 * everything the server sends. After `release()`, the socket carries no listener of ours and
 * nothing is left buffered, so the TLS client can take it over.
 */
export class PlaintextConversation {
  private buffered: Buffer = Buffer.alloc(0);
  private received = 0;
  private ended: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.received += chunk.length;
    if (this.received > MAX_PREAMBLE_BYTES) {
      this.ended = new StartTlsProtocolError(`the server sent over ${MAX_PREAMBLE_BYTES} bytes before TLS`);
    } else {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    }
    this.wake?.();
  };
  private readonly onEnd = (): void => {
    this.ended ??= new StartTlsProtocolError(
      this.buffered.length > 0 ? `the server closed the connection after: ${serverWords(this.buffered)}` : "the server closed the connection",
    );
    this.wake?.();
  };

  /** When the whole preamble must be over (performance.now() time). */
  private readonly deadline: number;

  constructor(
    private readonly socket: Socket,
    /** Each read or write step must finish within this. */
    private readonly stepTimeoutMs: number,
    private readonly signal: AbortSignal,
    /**
     * The whole preamble must finish within this, however many steps it takes: a server that
     * drips one line per step timeout would otherwise hold the probe for as long as it likes.
     */
    private readonly totalTimeoutMs: number = stepTimeoutMs * PREAMBLE_STEP_BUDGET,
  ) {
    this.deadline = performance.now() + totalTimeoutMs;
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onEnd);
  }

  /** Sends bytes (a string is sent as latin1, so binary-safe). */
  async write(data: string | Buffer): Promise<void> {
    if (this.ended) throw this.ended;
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    if (this.socket.write(bytes)) return;
    await this.step("sending", () => this.ended ?? (this.socket.writableNeedDrain ? null : true));
  }

  /** One line without its CRLF or LF. */
  async readLine(): Promise<string> {
    return this.step("waiting for a line", () => {
      const end = this.buffered.indexOf(0x0a);
      if (end < 0) {
        if (this.buffered.length > MAX_LINE_BYTES) return new StartTlsProtocolError(`a line over ${MAX_LINE_BYTES} bytes: ${serverWords(this.buffered.subarray(0, 80))}`);
        return this.ended;
      }
      const line = this.buffered.subarray(0, end).toString("latin1").replace(/\r$/, "");
      this.buffered = this.buffered.subarray(end + 1);
      return { value: line };
    });
  }

  /** Exactly `count` bytes. */
  async readBytes(count: number): Promise<Buffer> {
    return this.step(`waiting for ${count} bytes`, () => {
      if (this.buffered.length < count) return this.ended;
      const bytes = this.buffered.subarray(0, count);
      this.buffered = this.buffered.subarray(count);
      return { value: bytes };
    });
  }

  /** Whatever has arrived (at least one byte). */
  async readSome(): Promise<Buffer> {
    return this.step("waiting for the server", () => {
      if (this.buffered.length === 0) return this.ended;
      const bytes = this.buffered;
      this.buffered = Buffer.alloc(0);
      return { value: bytes };
    });
  }

  /**
   * Detaches from the socket for the TLS handshake. Bytes the server sent ahead of our
   * ClientHello break the protocol: that is an error, not something to pass on. The socket is
   * left paused, so nothing it reads before the TLS client listens is dropped (removing our
   * 'data' listener alone would leave it flowing with no one reading).
   */
  release(): void {
    this.socket.pause();
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onEnd);
    if (this.buffered.length > 0) {
      throw new StartTlsProtocolError(`the server sent data before the TLS handshake: ${serverWords(this.buffered)}`);
    }
  }

  /**
   * Polls `attempt` whenever data arrives until it gives a value (or `true` for a write),
   * an error, or the step times out. `null` means "not yet".
   */
  private step<T>(what: string, attempt: () => { value: T } | true | Error | null): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (outcome: { value: T } | true | Error): void => {
        clearTimeout(timer);
        this.wake = null;
        this.signal.removeEventListener("abort", onAbort);
        this.socket.off("drain", retry);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome === true ? (undefined as T) : outcome.value);
      };
      const retry = (): void => {
        const outcome = attempt();
        if (outcome !== null) finish(outcome);
      };
      const onAbort = (): void => finish(new StartTlsTimeout("scan interrupted during the STARTTLS negotiation"));
      const left = this.deadline - performance.now();
      const timer = left < this.stepTimeoutMs
        ? setTimeout(() => finish(new StartTlsTimeout(`STARTTLS: the negotiation did not finish within ${this.totalTimeoutMs} ms (${what})`)), Math.max(0, left))
        : setTimeout(() => finish(new StartTlsTimeout(`STARTTLS: no progress ${what} within ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
      this.signal.addEventListener("abort", onAbort, { once: true });
      this.socket.on("drain", retry);
      this.wake = retry;
      retry();
    });
  }
}
