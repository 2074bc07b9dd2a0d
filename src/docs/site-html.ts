import { readFileSync } from 'node:fs';
import type { SiteData } from './site-data.js';

/** The page's own script and styles; the same relative path works from src/docs and from the bundle (dist/bundle). */
function clientAsset(name: string): string {
  return readFileSync(new URL(`../../src/docs/client/${name}`, import.meta.url), 'utf8');
}

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`, no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * One self-contained HTML file: data, script and styles inline. The Content-Security-Policy
 * forbids every fetch, so the page provably works from disk with no network.
 */
export function renderSiteHtml(data: SiteData): string {
  const csp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.project.name)} · model docs</title>
<link rel="icon" href="data:,">
<style>
${clientAsset('site.css')}
</style>
</head>
<body>
<noscript>This page needs JavaScript (no network: everything is in this file).</noscript>
<div id="app"></div>
<script type="application/json" id="model-docs-data">${jsonForScript(data)}</script>
<script>
${clientAsset('app.js')}
</script>
</body>
</html>
`;
}
