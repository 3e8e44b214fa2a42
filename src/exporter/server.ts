// Serves the store's metrics at /metrics over HTTP (node:http), read from the store afresh on
// every scrape. `pkiscope metrics --serve` runs it alone; the daemon runs it beside its schedule.
import { once } from "node:events";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import type { Store } from "../store/store.js";
import { DEFAULT_METRICS_OPTIONS, type MetricsOptions } from "./options.js";
import { collectRegistry } from "./registry.js";

export interface MetricsServerOptions {
  /** Default 127.0.0.1: metrics name hosts and certificates, so they stay on loopback unless asked. */
  host?: string;
  /** 0 picks a free port (the returned address says which). */
  port: number;
  /** Default DEFAULT_METRICS_OPTIONS. */
  metrics?: MetricsOptions;
  /** Told when a scrape fails (the scraper gets a 500 without the detail). */
  onError?: (err: unknown) => void;
  /** Series served beside the store's on every scrape (the daemon's counts); their names must differ from the store's. */
  alongside?: Registry;
}

export interface MetricsServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export const METRICS_PATH = "/metrics";

export async function startMetricsServer(store: Store, options: MetricsServerOptions): Promise<MetricsServer> {
  const metricsOptions = options.metrics ?? DEFAULT_METRICS_OPTIONS;
  const server = createServer((req, res) => void answer(req, res));

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://metrics").pathname;
    if (path !== METRICS_PATH) return reply(res, 404, "text/plain; charset=utf-8", `not found: pkiscope serves ${METRICS_PATH}\n`);
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "text/plain; charset=utf-8", "GET only\n", { allow: "GET, HEAD" });
    try {
      const fromStore = await collectRegistry(store, metricsOptions);
      const registry = options.alongside ? Registry.merge([fromStore, options.alongside]) : fromStore;
      reply(res, 200, registry.contentType, req.method === "HEAD" ? "" : await registry.metrics());
    } catch (err) {
      options.onError?.(err);
      reply(res, 500, "text/plain; charset=utf-8", "metrics could not be read from the store\n");
    }
  }

  server.listen(options.port, options.host ?? "127.0.0.1");
  await Promise.race([once(server, "listening"), once(server, "error").then(([err]) => Promise.reject(err))]);
  const { address, port } = server.address() as AddressInfo;
  return {
    address: { host: address, port },
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}

function reply(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...headers });
  res.end(body);
}

