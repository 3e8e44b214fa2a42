#!/usr/bin/env node
import { runCli } from "./index.js";

// A reader that stops early (`pkiscope scan --help | head`) closes the pipe: the output ends
// there, as SIGPIPE ends a C program (status 128 + 13), not with an unhandled-error trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(141);
});

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
