#!/usr/bin/env bash
# Open the real window under Xvfb with each renderer, draw a few frames, and close.
# Fails when the window does not exit 0. Needs: xvfb xauth (apt-get install xvfb xauth).
#
#   scripts/smoke.sh [path/to/headcount]
# Without an argument, builds and uses the `window` example (same code path as
# `headcount` without a subcommand).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -ge 1 ]]; then
    cmd=("$1")
else
    cargo build --example window
    target_dir="${CARGO_TARGET_DIR:-target}"
    cmd=("$target_dir/debug/examples/window")
fi

status=0
for renderer in wgpu glow; do
    for lang in en zh; do
        echo "smoke: renderer=$renderer lang=$lang"
        if ! timeout 120 xvfb-run -a -s '-screen 0 1280x800x24' \
            "${cmd[@]}" --renderer "$renderer" --lang "$lang" --exit-after-frames 30; then
            echo "smoke: FAILED with renderer=$renderer lang=$lang" >&2
            status=1
        fi
    done
done
exit "$status"
