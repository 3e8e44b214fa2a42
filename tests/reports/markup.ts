// Reading rendered HTML in tests: elements by their opening tag, ids, and the fragment links that must land on them.
import { expect } from "vitest";

/** The markup of the element that opens with `opening`, up to the first `closing` after it. */
export function slice(markup: string, opening: string, closing: string): string {
  const start = markup.indexOf(opening);
  expect(start, opening).toBeGreaterThanOrEqual(0);
  return markup.slice(start, markup.indexOf(closing, start) + closing.length);
}

/** Every id attribute of every element, in document order. */
export const ids = (markup: string): string[] => [...markup.matchAll(/<[a-z][a-z0-9]*\s(?:[^>]*?\s)?id="([^"]*)"/g)].map((m) => m[1]!);

/** The targets of every in-document link ("#x" gives "x"). */
export const fragmentLinks = (markup: string): string[] => [...markup.matchAll(/<a\s[^>]*?href="#([^"]*)"/g)].map((m) => m[1]!);
