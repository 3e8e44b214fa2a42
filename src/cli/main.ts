#!/usr/bin/env node
// @peculiar/x509 needs the reflect-metadata polyfill loaded before it.
import "reflect-metadata";
import { runCli } from "./index.js";

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
