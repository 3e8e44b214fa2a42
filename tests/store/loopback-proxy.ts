// A loopback TCP proxy in front of the test PostgreSQL, for tests of what the store does when
// the connection misbehaves: the test decides what each connection sees.
import { once } from "node:events";
import { createServer, type Socket } from "node:net";

export interface LoopbackProxy {
  /** `direct` (a postgres:// URL of the test server) with its host and port the proxy's. */
  urlTo(direct: string): string;
  /** Stops listening and destroys every socket the connections were given to track. */
  close(): Promise<void>;
}

/**
 * Listens on `address` (an ephemeral port) and hands each client connection to `serve`, which
 * passes `track` every socket (the client's, the server's) the proxy must destroy on close.
 */
export async function startLoopbackProxy(address: string, serve: (client: Socket, track: (socket: Socket) => void) => void): Promise<LoopbackProxy> {
  const sockets: Socket[] = [];
  const track = (socket: Socket): void => {
    sockets.push(socket);
    socket.on("error", () => {});
  };
  const server = createServer((client) => serve(client, track));
  server.listen(0, address);
  await once(server, "listening");
  return {
    urlTo(direct) {
      const url = new URL(direct);
      url.hostname = address;
      url.port = String((server.address() as { port: number }).port);
      return url.toString();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
