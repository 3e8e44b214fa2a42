// Bundles the built CLI into a few ES modules in dist/cli/ (after tsc has emitted dist/), and points
// dist/src/cli/main.js, the package's bin, at it. Why: a small scan is mostly start-up, and Node
// resolving, reading and compiling some 400 separate ESM and CommonJS files cost more than the
// scan itself; one bundle with code splitting costs much less, and each lazy import() (a command,
// a keystore reader, the AD CS collector) stays a chunk loaded only when used. tsc's per-file
// output stays as it was, for whatever imports dist/ modules directly (bench/crl-parse.ts).
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const OUT = "dist/cli";

rmSync(OUT, { recursive: true, force: true });
await build({
  // The TLS probe worker is its own entry: collectors/tls/probe-pool.ts starts it as
  // ./probe-worker.js beside the module holding the pool, and every chunk sits in OUT, flat.
  entryPoints: ["src/cli/main.ts", "collectors/tls/probe-worker.ts"],
  outdir: OUT,
  entryNames: "[name]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // Class and function names as written: error names and logged names must not become "Name2".
  keepNames: true,
  // Native addons are loaded from node_modules as they are; pg-native is pg's optional binding.
  // undici is CommonJS and taken by import() (net/fetcher.ts, on the first HTTP fetch): a bundled
  // import() of CommonJS offers only `default`, where Node gives the named exports too.
  external: ["better-sqlite3", "kerberos", "pg-native", "undici"],
  // CommonJS packages in the bundle require() node's built-ins; an ES module has no require of its own.
  banner: { js: 'import { createRequire as bundleCreateRequire } from "node:module"; const require = bundleCreateRequire(import.meta.url);' },
  logLevel: "warning",
});

writeFileSync("dist/src/cli/main.js", '#!/usr/bin/env node\nimport "../../cli/main.js";\n');
chmodSync("dist/src/cli/main.js", 0o755);
rmSync("dist/src/cli/main.js.map", { force: true });
