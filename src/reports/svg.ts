// Inline SVG charts for the HTML documents: one frame and one palette, so every chart (the maturity
// picture, the trends) reads alike. No script (the documents' CSP forbids it), colours as SVG
// presentation attributes, so a chart needs no stylesheet to be read; every value goes through
// the `html` tag like any markup.
import { html, type HtmlValue, type SafeHtml } from "./escape.js";

/** Dark bars on pale bands: they stay apart in greyscale. */
export const INK = { bar: "#1f4e8c", band: "#e3eaf4", grid: "#c9d1d9", text: "#1f2328", muted: "#57606a", opened: "#cf222e", resolved: "#1a7f37" } as const;

export interface SvgFrame {
  className: string;
  width: number;
  height: number;
  /** What a screen reader says for the whole image: the data in words. */
  label: string;
  /** The chart's name (its <title>). */
  title: string;
  /** How to read it (its <desc>), when the title is not enough. */
  desc?: string;
}

/** An SVG image of `frame`'s size with its title (and desc), drawing `content`. */
export function svgImage(frame: SvgFrame, content: HtmlValue): SafeHtml {
  const { className, width, height } = frame;
  return html`<svg class="${className}" role="img" aria-label="${frame.label}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="13" fill="${INK.text}">
<title>${frame.title}</title>
${frame.desc !== undefined && html`<desc>${frame.desc}</desc>
`}${content}
</svg>`;
}
