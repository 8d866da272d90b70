#!/usr/bin/env bash
# The project's test command (README, .ci/run): provisions the tools the
# tests check leakfix's output with, then runs the whole test suite.
#
# Tools: the Go toolchain (gofmt, go vet, go build/test of fixture modules)
# must be on PATH; tests that need it skip with a visible message locally
# and fail when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "scripts/test.sh: note: Go is not on PATH; Go toolchain tests will skip (or fail if CI is set)" >&2
fi

exec cargo test --locked "$@"
