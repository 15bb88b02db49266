#!/usr/bin/env bash
# README's demo command: set up (idempotent), then run the main demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash .ci/setup.sh
exec .venv/bin/python examples/demo.py "$@"
