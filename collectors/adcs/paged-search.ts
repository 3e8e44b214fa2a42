// A paged subtree search with a ceiling: pages are pulled one at a time, so the search stops
// at the entry limit or on interrupt instead of buffering whatever the server chooses to send.
import type { Client, Control, Entry, SearchOptions } from "ldapts";
import { step } from "./ldap-session.js";

const PAGE_SIZE = 200;

export interface PagedSearchResult {
  entries: Entry[];
  /** The limit or an interrupt stopped the search before its last page. */
  truncated: boolean;
}

export async function pagedSearch(
  client: Client,
  context: string,
  base: string,
  options: SearchOptions,
  controls: Control[],
  limits: { maxEntries: number; signal: AbortSignal },
): Promise<PagedSearchResult> {
  const entries: Entry[] = [];
  const pages = client.searchPaginated(base, { scope: "sub", ...options, paged: { pageSize: PAGE_SIZE } }, controls);
  while (true) {
    const page = await step(context, pages.next());
    if (page.done) return { entries, truncated: false };
    entries.push(...page.value.searchEntries);
    if (entries.length >= limits.maxEntries || limits.signal.aborted) {
      // Leaves the server's paged search open; the session is closed right after collection.
      await pages.return(undefined);
      return { entries: entries.slice(0, limits.maxEntries), truncated: true };
    }
  }
}
