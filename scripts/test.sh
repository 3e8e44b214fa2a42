#!/usr/bin/env bash
# The whole test suite: installs what tests need, builds, runs vitest, and ends with the plain
# line "N passed, N failed" taken from vitest's JSON report (a run with no test fails).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh || exit 1
[[ -d node_modules ]] || npm ci || exit 1
# `kerberos` is an optional native dependency (it needs libkrb5-dev, installed just above): npm ci
# skips it on a machine that lacked the headers, so build it now for the Kerberos tests.
if ! node -e 'require("kerberos")' >/dev/null 2>&1; then
  version=$(node -p 'require("./package-lock.json").packages["node_modules/kerberos"].version')
  npm install --no-save --no-audit --no-fund "kerberos@${version}" || exit 1
fi
npm run --silent build || exit 1

mkdir -p .tmp
report=.tmp/vitest-report.json
rm -f "$report"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?

if [[ ! -s "$report" ]]; then
  echo "vitest wrote no report" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
read -r passed failed total < <(node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  // A file that fails before its tests run (a hook, an import) fails no test: count it as one.
  const brokenFiles = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed")).length;
  console.log(r.numPassedTests, r.numFailedTests + brokenFiles, r.numTotalTests);
' "$report")
echo "${passed} passed, ${failed} failed"
if [[ "$total" -eq 0 ]]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
