/**
 * Tap the inbound TCP bytes under a TLS socket, so the TLS collector can read
 * the server's handshake as it was sent (see `src/pki/tls/certificate-message.ts`
 * for why Node's own view of the peer chain is not enough).
 */
import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/** Enough for any real handshake (chains are rarely above 20 KiB) while bounding memory per scan. */
export const DEFAULT_MAX_RECORDED_BYTES = 512 * 1024;

export interface InboundTap {
  /** Pass-through stream to hand to `tls.connect({ socket })`. */
  readonly stream: Duplex;
  /** The first bytes received from the server, up to the cap. */
  recorded(): Buffer;
  /** True when the server sent more than the cap, so `recorded()` is a prefix. */
  truncated(): boolean;
}

/**
 * Wrap a connected socket in a Duplex that forwards bytes unchanged in both
 * directions and remembers the first `maxRecordedBytes` bytes read.
 *
 * Lifecycle is tied both ways: a socket error, end or close reaches the tap
 * (and so the TLS socket above it), and destroying the tap (which Node does
 * when the TLS socket is destroyed) destroys the socket.
 */
export function tapInbound(
  socket: Socket,
  maxRecordedBytes: number = DEFAULT_MAX_RECORDED_BYTES,
): InboundTap {
  if (!Number.isSafeInteger(maxRecordedBytes) || maxRecordedBytes < 0) {
    throw new RangeError(`maxRecordedBytes must be a non-negative integer, got ${maxRecordedBytes}`);
  }
  const chunks: Buffer[] = [];
  let recordedLength = 0;
  let overflowed = false;

  const record = (chunk: Buffer): void => {
    const room = maxRecordedBytes - recordedLength;
    if (chunk.length > room) overflowed = true;
    if (room <= 0) return;
    // Copy so we never pin the socket's (possibly much larger) read buffer.
    const kept = Buffer.from(chunk.subarray(0, room));
    chunks.push(kept);
    recordedLength += kept.length;
  };

  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });

  socket.on("data", (chunk: Buffer) => {
    record(chunk);
    // Honour backpressure from the TLS layer instead of buffering without bound.
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("error", (error) => stream.destroy(error));
  socket.on("close", () => {
    // Let the reader drain what was already pushed before tearing the tap down.
    if (stream.readableLength === 0) stream.destroy();
    else stream.once("end", () => stream.destroy());
  });

  return {
    stream,
    recorded: () => Buffer.concat(chunks, recordedLength),
    truncated: () => overflowed,
  };
}
