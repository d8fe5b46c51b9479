#!/usr/bin/env bash
# The whole suite: lint (ruff, the import contract), then the Django suites on SQLite and
# on PostgreSQL side by side (one per core), the X12 library once. Browser tests run in both.
# Exit non-zero if anything fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
start=$(date +%s)

echo "== ruff"
$BIN/ruff check . || exit 1
echo "== import layering contract (pyproject.toml [tool.importlinter], ARCHITECTURE.md)"
$BIN/lint-imports --no-logo --no-cache || exit 1

eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$PGTMP"' EXIT
PG_URL=$DATABASE_URL
unset DATABASE_URL

logdir=$(mktemp -d)
export DJANGO_ALLOW_ASYNC_UNSAFE=true   # Playwright's sync API runs an event loop in-thread

echo "== pytest on SQLite (Django apps + X12 library)  |  pytest on PostgreSQL (Django apps)"
( OASYS_TEST_DB=sqlite $BIN/pytest -q > "$logdir/sqlite.log" 2>&1; echo $? > "$logdir/sqlite.rc" ) &
( DATABASE_URL=$PG_URL OASYS_TEST_DB=postgres $BIN/pytest -q oasys > "$logdir/postgres.log" 2>&1; echo $? > "$logdir/postgres.rc" ) &
wait

rc=0
for db in sqlite postgres; do
  echo
  echo "================ $db ================"
  cat "$logdir/$db.log"
  [ "$(cat "$logdir/$db.rc")" = "0" ] || rc=1
done
echo
echo "make test finished in $(( $(date +%s) - start ))s: sqlite rc=$(cat "$logdir/sqlite.rc"), postgres rc=$(cat "$logdir/postgres.rc")"
# One closing line for both runs, in the plain form CI reads.
passed=0; failed=0
for db in sqlite postgres; do
  line=$(grep -E "^[0-9]+ (passed|failed)|^[0-9]+ failed, [0-9]+ passed" "$logdir/$db.log" | tail -1)
  p=$(echo "$line" | grep -oE "[0-9]+ passed" | grep -oE "[0-9]+" || echo 0)
  f=$(echo "$line" | grep -oE "[0-9]+ failed" | grep -oE "[0-9]+" || echo 0)
  e=$(echo "$line" | grep -oE "[0-9]+ error" | grep -oE "[0-9]+" || echo 0)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$rc" != "0" ] && [ "$failed" = "0" ]; then failed=1; fi  # a run that died before counting
echo "tests: $passed passed, $failed failed"
exit $rc
