#!/usr/bin/env bash
# `make test-stress`: the mocked-UI e2e suite (ui: npm run test:e2e) STRESS_RUNS times (default
# 5) in a row while a busy loop spins on every core, so waits that lean on timing fail here
# rather than on a loaded CI machine. Stops at the first failing run and says which.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../ui"

runs="${STRESS_RUNS:-5}"
cores="$(nproc 2>/dev/null || echo 2)"
hogs=()
stop_hogs() {
    local pid
    for pid in ${hogs[@]+"${hogs[@]}"}; do kill "$pid" 2>/dev/null || true; done
    for pid in ${hogs[@]+"${hogs[@]}"}; do wait "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq "$cores"); do
    sh -c 'while :; do :; done' &
    hogs+=("$!")
done
echo "test-stress: $cores CPU hogs (pids ${hogs[*]}); $runs runs of the UI e2e suite"

for run in $(seq "$runs"); do
    echo "test-stress: run $run of $runs"
    if ! npm run --silent test:e2e; then
        echo "test-stress: FAILED in run $run of $runs (under load on $cores cores)" >&2
        exit 1
    fi
done
echo "test-stress: $runs of $runs runs passed under load"
