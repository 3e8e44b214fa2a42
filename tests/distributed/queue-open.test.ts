// Opening the queue from several processes at once on a fresh database, as a coordinator and its
// workers started together do: pg-boss's create_queue of the same new queue in two sessions can
// deadlock (PostgreSQL aborts one, 40P01), which ScanQueue.open tries again, so every one opens.
// Real pg-boss over the private PostgreSQL; six opens at once, each its own pool of sessions.
import { describe, expect, it } from "vitest";
import { ScanQueue } from "../../src/distributed/queue.js";
import { STORE_BACKENDS } from "../store/backends.js";

const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

describe("ScanQueue.open", () => {
  it("opens from six sessions at once on a fresh database, each creating the same queues", async () => {
    for (let round = 0; round < 3; round++) {
      const db = await postgres.newSpec(`queue_open_${round}`);
      const opened = await Promise.allSettled(Array.from({ length: 6 }, () => ScanQueue.open(db)));
      await Promise.all(opened.flatMap((o) => (o.status === "fulfilled" ? [o.value.close()] : [])));
      expect(opened.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []))).toEqual([]);
      const [queues] = await postgres.sql(db, [{ text: "SELECT name FROM pkiscope_queue.queue ORDER BY name" }]) as [{ name: string }[]];
      expect(queues.map((q) => q.name)).toEqual(["pkiscope.conclude", "pkiscope.shard"]);
    }
  });
});
