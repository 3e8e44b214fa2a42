// The frame of every HTML document pkiscope writes (report.html, assessment.html): self-contained,
// and a Content-Security-Policy that allows inline styles and nothing else (no script, no fetch).
import { html, type SafeHtml } from "./escape.js";

export function htmlDocument(title: string, style: SafeHtml, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${style}
</head>
<body>
${body}
</body>
</html>
`.markup;
}
