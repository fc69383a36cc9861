#!/usr/bin/env bash
# The main job on the embedded SQLite default: generate a market, import it, summarise it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
MARKET_DIR="${ASSETMATCH_DEMO_MARKET:-instance/market}"
run() { "$VENV/bin/assetmatch" "$@"; }

run db upgrade
run generate --out "$MARKET_DIR" --investors 2000 --packages 5000 --seed 7
run import "$MARKET_DIR"
run summary
echo "market files in $MARKET_DIR; database in instance/assetmatch.sqlite (see docs/cli.md)"
