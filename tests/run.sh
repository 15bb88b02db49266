#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), lint, format, types, then every test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash .ci/setup.sh openssl iproute2 nftables coturn chromium
export PATH="$ROOT/.venv/bin:$PATH"
echo "== ruff check" >&2;         ruff check .
echo "== ruff format --check" >&2; ruff format --check .
echo "== mypy" >&2;               mypy
echo "== pytest" >&2;             python -m pytest "$@"
