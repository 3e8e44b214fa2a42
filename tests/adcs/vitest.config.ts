// Runs the AD CS tests on their own until tests/adcs/global-setup.ts is registered in the main
// vitest.config.ts: npx vitest run -c tests/adcs/vitest.config.ts
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

export default defineConfig({
  ...base,
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    ...base.test,
    include: ["tests/adcs/**/*.test.ts"],
    globalSetup: ["tests/adcs/global-setup.ts"],
  },
});
