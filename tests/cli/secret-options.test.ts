// Secrets never on the command line, where `ps` and /proc/PID/cmdline show them to every user:
// every option of every command that names a password, secret, token or credential takes the
// name of an environment variable (…-env), never the secret itself. tests/adcs/cli.test.ts
// watches the process listing of a running LDAP scan; config files refuse inline secrets
// (tests/config/config.test.ts).
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/index.js";

const SECRET_WORDS = /pass(word|phrase)?|secret|token|credential|api-?key|private-key|pin\b/i;

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

describe("the command line takes no secret", () => {
  const program = createProgram({ stdout: process.stdout, stderr: process.stderr, env: {} }, () => {});
  const options = allCommands(program).flatMap((c) => c.options.map((o) => ({ command: c.name(), flags: o.flags, long: o.long ?? "" })));

  it("names every secret-bearing option's secret by environment variable", () => {
    const secretOptions = options.filter((o) => SECRET_WORDS.test(o.long));
    expect(secretOptions.map((o) => `${o.command} ${o.long}`).sort()).toEqual(["scan --keystore-password-env", "scan --password-env"]);
    for (const o of secretOptions) expect(o.long, `${o.command} ${o.flags}`).toMatch(/-env$/);
  });

});
