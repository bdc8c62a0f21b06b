#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: unit tests, end-to-end tests against the
# local fake API, UI tests, the real OS keyring (a throwaway Secret Service in a private
# D-Bus session) and the real window under Xvfb.
#
# Needs the packages that .ci/run installs (gnome-keyring, dbus, xvfb, xauth, mesa).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${HEADCOUNT_TEST_SESSION:-}" ]; then
  # A private session bus and keyring: the tests never touch the user's own keyring.
  export HEADCOUNT_TEST_SESSION=1
  XDG_DATA_HOME="$(mktemp -d)"
  export XDG_DATA_HOME
  exec dbus-run-session -- "$0" "$@"
fi

printf %s headcount-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export HEADCOUNT_TEST_SECRET_SERVICE=1
# The tests set their own AppCodes; one from the caller's shell must not leak in.
unset HEADCOUNT_APPCODE HEADCOUNT_ENDPOINT

log="$(mktemp)"
cargo test --all-targets "$@" 2>&1 | tee "$log"

# The real binary in a real window, with each renderer and language: it must start, draw
# and close cleanly.
cargo build --bin headcount
./scripts/smoke.sh "${CARGO_TARGET_DIR:-target}/debug/headcount"
echo "window smoke test: passed"

# One closing line for the whole run: the cargo tests plus the four smoke runs above
# (cargo's own last line is for a target that has no tests).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "all: %d passed, %d failed\n", passed + 4, failed }' "$log"
