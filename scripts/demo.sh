#!/usr/bin/env bash
# The main job on the embedded SQLite default, ending with the API running on 127.0.0.1:8000:
# generate the sample market for today, import it, train, write the batch push, make keys, serve.
#
# The demo owns the database, models, market and push in instance/. Run again the same day, it
# reuses them (the import finds everything stored, training skips without new events); on a
# later day it deletes them and builds anew, because the market is generated to end today.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
# Always the embedded default (instance/assetmatch.sqlite), whatever the shell has set.
unset ASSETMATCH_DATABASE_URL ASSETMATCH_INSTANCE_PATH ASSETMATCH_NOW
MARKET_DIR="${ASSETMATCH_DEMO_MARKET:-instance/market}"
INVESTORS="${ASSETMATCH_DEMO_INVESTORS:-400}"
PACKAGES="${ASSETMATCH_DEMO_PACKAGES:-1500}"
HOST=127.0.0.1
PORT="${ASSETMATCH_DEMO_PORT:-8000}"
BASE="http://$HOST:$PORT"
TODAY="$(date +%F)"
STAMP=instance/demo-market.txt
# Each step's own output (migration, import counts, the training's stage lines) goes to the log;
# the terminal gets one line per step, the market summary, the training outcome, then the keys
# and addresses. A failing step prints the end of the log.
LOG=instance/demo.log
run() { "$VENV/bin/assetmatch" "$@"; }
failed() { echo "failed (exit $1); the end of $LOG:" >&2; tail -n 30 "$LOG" >&2; exit "$1"; }
step() {
  local what="$1"; shift
  echo "$what"
  run "$@" >>"$LOG" 2>&1 || failed $?
}

if "$VENV/bin/python" -c "import socket, sys; sys.exit(socket.socket().connect_ex(('$HOST', $PORT)) != 0)"; then
  echo "port $PORT on $HOST is taken (an earlier demo still running?): stop it first" >&2
  exit 1
fi

wanted="seed 7, $INVESTORS investors, $PACKAGES packages, ending $TODAY"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" != "$wanted" ]; then
  echo "instance/ holds the demo market of another day or size ($(cat "$STAMP")): rebuilding it"
  rm -rf instance/assetmatch.sqlite instance/assetmatch.sqlite-wal instance/assetmatch.sqlite-shm \
    instance/models "$MARKET_DIR" instance/push.json "$STAMP"
fi

mkdir -p instance
echo "demo run $(date -u +%FT%TZ)" >> "$LOG"
step "migrating the database (instance/assetmatch.sqlite; step output in $LOG)" db upgrade
# The committed data/sample (seed 7) ends 2026-06-30; the same market generated to end today has
# listings on sale now, so the lists and the API have something to serve.
step "generating the sample market: $wanted" \
  generate --out "$MARKET_DIR" --investors "$INVESTORS" --packages "$PACKAGES" --seed 7 --end "$TODAY"
step "importing it" import "$MARKET_DIR"
echo "$wanted" > "$STAMP"
run summary
echo "training the model (a few minutes on a fresh market; its progress is in $LOG)"
status=0
run train 2>>"$LOG" || status=$?
if [ "$status" -eq 3 ]; then
  echo "the new model version was kept out of service; the active one goes on serving"
elif [ "$status" -ne 0 ]; then
  failed "$status"
fi
step "writing the daily push to instance/push.json" rank --out instance/push.json --k 20 --buyers-k 50
OPERATOR_KEY="$(run keys create --role operator --label "demo operator" | tail -n 1)"
PLATFORM_KEY="$(run keys create --role platform --label "demo platform" | tail -n 1)"
# A fresh event id each run: the API stores an event id once, so a reused id would be a duplicate
# (or, with other content, a conflict) on the second run of the printed example.
EVENT_ID="demo-$(date -u +%Y%m%dT%H%M%S)-$RANDOM"
# An investor with a list in the push, and the listing at its top, for the examples below.
# A command substitution, not a process substitution: bash waits for it, so no exited child is
# left for the exec'd gunicorn master to inherit as a zombie.
read -r INVESTOR_ID PACKAGE_ID <<< "$("$VENV/bin/python" -c "
import json
push = json.load(open('instance/push.json'))['investors']
print(*next([i, p[0]] for i, p in push.items() if p))")"

cat <<EOF

market files:    $MARKET_DIR (hidden truth in $MARKET_DIR/truth)
database:        instance/assetmatch.sqlite
model artifacts: instance/models/ (assetmatch models list)
daily push:      instance/push.json (per investor its top 20 live packages, per package its top 50 buyers)
guides:          docs/cli.md (command line), docs/api.md (HTTP API)

operator key:    $OPERATOR_KEY
platform key:    $PLATFORM_KEY
(shown once; make more with: $VENV/bin/assetmatch keys create --role platform|operator|investor)

API:             $BASE/v1
OpenAPI:         $BASE/v1/openapi.json
health:          $BASE/healthz   readiness: $BASE/readyz   metrics: $BASE/metrics
console:         $BASE/console/  (sign in with the operator key)

try:
  curl -s -H "Authorization: Bearer $PLATFORM_KEY" '$BASE/v1/investors/$INVESTOR_ID/recommendations?k=5'
  curl -s -H "Authorization: Bearer $OPERATOR_KEY" '$BASE/v1/rules'
  curl -s -X POST -H "Authorization: Bearer $PLATFORM_KEY" -H 'Content-Type: application/json' $BASE/v1/events \\
    -d '{"event_id": "$EVENT_ID", "investor_id": "$INVESTOR_ID", "package_id": "$PACKAGE_ID", "event_type": "view", "occurred_at": "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"}'

serving the API with gunicorn (2 workers) on $BASE; Ctrl-C stops it
EOF
exec "$VENV/bin/gunicorn" -c webapi/gunicorn_conf.py --bind "$HOST:$PORT" 'webapi.wsgi:app'
