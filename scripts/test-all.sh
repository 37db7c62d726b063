#!/usr/bin/env bash
# `make test` after `make lint`: every suite, in the order the Makefile's comments give, with the
# time each phase starts (UTC) so a slow phase shows in the log.
#
# One build of each kind, shared: the test build (`cargo test --workspace --all-targets`) also
# makes the `podterm` and `testcluster` binaries that the suites and the real app's tests start,
# with the same features (testcluster's own dev-dependency gives it the admin port there), so no
# later cargo call builds a second copy of the dependencies with other features.
#
# While the Rust suites and the frontend's run, the app's release build for `make test-app`
# (`make app-fixtures`) is made in the background at the lowest CPU priority (nice 19, its own
# session, its output in .tmp/app-build.log): those suites wait on sockets, proxies, timeouts,
# kubectl and the browser much of the time, and that build alone takes ~13 minutes of both
# cores. At nice 19 it only gets the time the suites leave (the kernel gives a nice-0 task ~98%
# of a core the two want). Release and dev builds lock separate directories, so the suites' own
# cargo calls never wait for it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo="${CARGO:-cargo}"
make="${MAKE:-make}"
phase() { echo "== $(date -u '+%H:%M:%S') $*"; }

kubectls="${PODTERM_KUBECTLS:-$(bash scripts/kubectls.sh | paste -sd: -)}"
if [ -z "$kubectls" ]; then
    echo "make test: no kubectl found for the conformance tests (run 'make deps')" >&2
    exit 1
fi
echo "conformance kubectls: $kubectls"
export PODTERM_KUBECTLS="$kubectls"

phase "the test build"
"$cargo" test --workspace --all-targets --no-run
"$cargo" build --workspace --tests --bin podterm --bin testcluster

mkdir -p .tmp
log=.tmp/app-build.log
phase "the app's release build (test-fixtures) starts in the background, at nice 19: $log"
setsid nice -n 19 "$make" --no-print-directory app-fixtures >"$log" 2>&1 </dev/null &
build=$!
# A suite that fails ends the run: the build goes with it.
trap 'kill -TERM -- "-$build" 2>/dev/null || true' EXIT

phase "the Rust suites"
bash scripts/with-keyring.sh "$cargo" test --workspace --all-targets -- --test-threads=2

# The frontend's own checks (make test-ui, without reinstalling or rebuilding ui/dist, which
# make lint built and the release build is reading).
phase "the frontend's suites"
(cd ui && npm run typecheck && npm test && node e2e/run.mjs)

phase "waiting for the app's release build"
if ! wait "$build"; then
    tail -n 80 "$log" >&2
    echo "make test: the app's release build failed (the whole output: $log)" >&2
    exit 1
fi
trap - EXIT
grep -E "Finished|Built application" "$log" || true

# Not `make test-app`, which would install and build the frontend again: a ui/dist written
# again makes cargo compile the app again.
phase "the real app (make test-app)"
"$make" --no-print-directory test-app-suites
phase "the package (make test-package)"
"$make" --no-print-directory test-package
phase "every suite passed"
