#!/usr/bin/env bash
# `make chaos`: the auto-billing chaos test in full (CHAOS_RUNS, default 200) on a throwaway
# PostgreSQL cluster, with the clearinghouse simulator and the Stripe stand-in as processes
# (the test starts them), then its figures as a table. Exit non-zero if the test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
runs=${CHAOS_RUNS:-200}
start=$(date +%s)

eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$PGTMP"' EXIT
report=$(mktemp /tmp/oasys-chaos.XXXXXX.json)
log=${CHAOS_LOG:-$(mktemp /tmp/oasys-chaos.XXXXXX.log)}

echo "== chaos test: $runs runs on PostgreSQL (log: $log)"
# `python -m pytest` imports the package from this checkout (as the workers it forks do)
CHAOS_RUNS=$runs CHAOS_REPORT=$report DATABASE_URL=$DATABASE_URL OASYS_TEST_DB=postgres \
  $BIN/python -m pytest -q -s -p no:randomly -p no:logging -n 0 \
  oasys/autobilling/tests/test_chaos.py > "$log" 2>&1
rc=$?
grep -E "^run [0-9]+:" "$log" | tail -3
tail -3 "$log"

if [ -s "$report" ]; then
  $BIN/python - "$report" "$(( $(date +%s) - start ))" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
rec = f["recovery_seconds"]
phases = ", ".join(f"{k} {v}" for k, v in sorted(f["kills_by_phase"].items(), key=lambda kv: -kv[1]))
points = ", ".join(f"{k} {v}" for k, v in sorted(f["kills_by_point"].items(), key=lambda kv: -kv[1]))
rows = [
    ("runs", f["runs"]),
    ("items billed (claims, invoices, client shares)", f["items"]),
    ("worker processes", f["workers"]),
    ("kills (SIGKILL landed)", f["kills"]),
    ("  by phase", phases or "-"),
    ("  by point", points or "-"),
    ("  missed (the worker had finished)", f["kills_missed"]),
    ("connection drops (pg_terminate_backend)", f["connection_drops"]),
    ("faults injected (hit) at the stand-ins", f"{f['faults_injected']} ({f['faults_hit']})"),
    ("claims at the clearinghouse", f["claims_at_clearinghouse"]),
    ("duplicate claims at the clearinghouse", f["duplicate_claims"]),
    ("claims missing at the clearinghouse", f["claims_missing_at_clearinghouse"]),
    ("charges / payment intents at Stripe", f"{f['charges']} / {f['payment_intents']}"),
    ("double charges at Stripe", f["double_charges"]),
    ("duplicate Stripe invoices", f["duplicate_stripe_invoices"]),
    ("charges not in the journal once", f["unrecorded_charges"]),
    ("unbilled items", f["unbilled_items"]),
    ("items without an outcome / not billed", f"{f['items_pending']} / {f['items_not_billed']}"),
    ("journal imbalance (debits - credits)", f["journal_imbalance"]),
    ("unbalanced journal entries", f["unbalanced_entries"]),
    ("stuck runs", f["stuck_runs"]),
    ("recovery time, kill to done (median / max)",
     f"{rec['median']} s / {rec['max']} s" if rec["count"] else "-"),
    ("wall time", f"{sys.argv[2]} s"),
]
width = max(len(k) for k, _ in rows)
print()
for k, v in rows:
    print(f"  {k:<{width}}  {v}")
PY
fi
rm -f "$report"
exit $rc
