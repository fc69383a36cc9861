#!/usr/bin/env bash
# Run the test suite in the project's own virtualenv (created and installed when needed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
exec "$VENV/bin/python" -m pytest "$@"
