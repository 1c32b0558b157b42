#!/usr/bin/env bash
# Ferry's whole test suite, from a fresh clone. It sets up what the tests need (idempotently) and
# runs every test of the workspace:
#   - a Python virtualenv at .venv with the official Kingdee SDK (tests/requirements.txt), used by
#     the SDK round-trip test against the Kingdee simulator;
#   - the `ferry` binary (the SDK test and the CLI tests start it).
# Everything runs on 127.0.0.1; no database server is needed (the store is embedded SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."

# Python test dependencies: reinstall only when tests/requirements.txt changed.
want="$(sha256sum tests/requirements.txt | cut -d' ' -f1)"
have="$(cat .venv/.requirements.sha256 2>/dev/null || true)"
if [ ! -x .venv/bin/python ] || [ "$want" != "$have" ]; then
  echo "test.sh: setting up .venv (Python packages the tests use)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > .venv/.requirements.sha256
fi
export FERRY_PY="$PWD/.venv/bin/python"

# One target dir, one build: the binary first (tests start it), then every test.
cargo build --locked -p ferry
export FERRY_BIN="$PWD/target/debug/ferry"
cargo test --locked --workspace --no-fail-fast "$@"
