// Debian's Chromium, headless, driven by playwright-core, for tests that load pkiscope's HTML as a
// browser does: what ran (a function the page can call, dialogs, requests to a loopback marker
// server the caller listens on) and what the DOM holds (script elements, event handler
// attributes, javascript: URLs, the text shown).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * What the DOM holds, evaluated in the page (as source: this project's TypeScript has no DOM
 * types): script elements, attributes named on*, URL attributes holding javascript:, the text.
 */
const DOM_FACTS = `(() => {
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"];
  const dangerous = [];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on") || (urlAttributes.includes(name) && /^\\s*javascript:/i.test(attribute.value))) {
        dangerous.push(element.tagName.toLowerCase() + " " + name + "=" + attribute.value);
      }
    }
  }
  return { scripts: document.querySelectorAll("script").length, dangerous, text: document.body.textContent };
})()`;

/** The name of the function a payload calls if it runs: the page sees it as `window.pkiscopeInjected()`. */
export const INJECTED_FUNCTION = "pkiscopeInjected";

export interface LoadedPage {
  /** Calls of INJECTED_FUNCTION, alert/confirm/prompt dialogs and requests other than for the page itself. */
  calls: number;
  dialogs: number;
  requests: string[];
  scripts: number;
  /** Attributes named on* and URL attributes whose value starts with javascript: (as `tag attr=value`). */
  dangerousAttributes: string[];
  text: string;
}

/**
 * A fresh browser (its own --user-data-dir). `bypassCsp` ignores the documents' own
 * Content-Security-Policy, so that what is proved is the escaping, not the policy behind it.
 */
export async function openChromium(bypassCsp: boolean): Promise<{ load(url: string): Promise<LoadedPage>; close(): Promise<void> }> {
  const context: BrowserContext = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "pkiscope-chromium-")), {
    executablePath: CHROMIUM, headless: true, args: ARGS, bypassCSP: bypassCsp,
  });
  return {
    async load(url) {
      const page = await context.newPage();
      const seen = { calls: 0, dialogs: 0, requests: [] as string[] };
      await page.exposeFunction(INJECTED_FUNCTION, () => void seen.calls++);
      page.on("dialog", (dialog) => {
        seen.dialogs++;
        void dialog.dismiss();
      });
      page.on("request", (request) => {
        if (request.url() !== url) seen.requests.push(request.url());
      });
      // networkidle: image errors and fetches a payload would start have had their chance.
      await page.goto(url, { waitUntil: "networkidle", timeout: 60_000 });
      const dom = (await page.evaluate(DOM_FACTS)) as { scripts: number; dangerous: string[]; text: string };
      await page.close();
      return { ...seen, scripts: dom.scripts, dangerousAttributes: dom.dangerous, text: dom.text };
    },
    close: () => context.close(),
  };
}
