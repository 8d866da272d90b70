#!/usr/bin/env bash
# The project's test command (README, .ci/run): provisions the tools the
# tests check leakfix's output with, then runs the whole test suite.
#
# Tools:
# - the Go toolchain (gofmt, go vet, go build/test of fixture modules) must
#   be on PATH;
# - Microsoft's SARIF validator (npm package @microsoft/sarif-multitool,
#   pinned by scripts/sarif-validator/package-lock.json) is installed here
#   into .tools/sarif-validator (gitignored) with npm, and handed to the
#   tests as LEAKFIX_SARIF_MULTITOOL (the Sarif.Multitool executable);
# - prettier, typescript, express and on-finished (pinned by
#   scripts/js-tools/package-lock.json) are installed into .tools/js with
#   `npm ci` and handed to the tests as LEAKFIX_JS_TOOLS (its node_modules
#   folder): prettier and tsc check what leakfix writes in JavaScript and
#   TypeScript, the fixture Express apps in tests/js run on the others.
#   Node comes from the machine.
# Tests that need a missing tool skip with a visible message locally and
# fail when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "scripts/test.sh: note: Go is not on PATH; Go toolchain tests will skip (or fail if CI is set)" >&2
fi

provision_sarif_validator() {
  local src=scripts/sarif-validator dest=.tools/sarif-validator
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "scripts/test.sh: note: node/npm are not on PATH; the SARIF validator tests will skip (or fail if CI is set)" >&2
    return 0
  fi
  if [ ! -d "$dest/node_modules" ] || ! cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
    echo "scripts/test.sh: installing the SARIF validator (npm ci in $dest)" >&2
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
    # --ignore-scripts: its only script is a chmod, done below.
    if ! (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
      rm -rf "$dest"
      echo "scripts/test.sh: note: installing the SARIF validator failed; its tests will skip (or fail if CI is set)" >&2
      return 0
    fi
  fi
  local exe
  exe="$(cd "$dest" && node -p "require('@microsoft/sarif-multitool')")"
  chmod u+x "$exe"
  export LEAKFIX_SARIF_MULTITOOL="$exe"
}

if [ -z "${LEAKFIX_SARIF_MULTITOOL:-}" ]; then
  provision_sarif_validator
fi

provision_js_tools() {
  local src=scripts/js-tools dest=.tools/js
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "scripts/test.sh: note: node/npm are not on PATH; the JavaScript toolchain tests will skip (or fail if CI is set)" >&2
    return 0
  fi
  if [ ! -d "$dest/node_modules" ] || ! cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
    echo "scripts/test.sh: installing prettier, typescript, express and on-finished (npm ci in $dest)" >&2
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
    if ! (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
      rm -rf "$dest"
      echo "scripts/test.sh: note: installing the JavaScript tools failed; their tests will skip (or fail if CI is set)" >&2
      return 0
    fi
  fi
  LEAKFIX_JS_TOOLS="$(cd "$dest/node_modules" && pwd)"
  export LEAKFIX_JS_TOOLS
}

if [ -z "${LEAKFIX_JS_TOOLS:-}" ]; then
  provision_js_tools
fi

exec cargo test --locked "$@"
