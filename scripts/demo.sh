#!/usr/bin/env bash
# The main job on the embedded SQLite default: generate a market, import it, train, push.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
MARKET_DIR="${ASSETMATCH_DEMO_MARKET:-instance/market}"
run() { "$VENV/bin/assetmatch" "$@"; }

run db upgrade
run generate --out "$MARKET_DIR" --investors 2000 --packages 5000 --seed 7
run import "$MARKET_DIR"
run summary
run train
run rank --out instance/push.json --k 20 --buyers-k 50
echo
echo "market files:    $MARKET_DIR (hidden truth in $MARKET_DIR/truth)"
echo "database:        instance/assetmatch.sqlite"
echo "model artifacts: instance/models/ (assetmatch models list)"
echo "daily push:      instance/push.json (per investor its top 20 live packages, per package its top 50 buyers)"
echo "guide:           docs/cli.md"
