#!/usr/bin/env bash
# The test command of README.md: lint, type-check, then the test suite on both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
exec .venv/bin/pytest -n 2 -q "$@"
