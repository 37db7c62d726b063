# Podterm: `make run` starts it, `make test` runs every test (installing what it needs on Debian 12).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CARGO ?= cargo
TC_KUBECONFIG ?= .tmp/testcluster.kubeconfig

.PHONY: deps ui run app app-fixtures package demo-cluster lint lint-rust check test test-ui test-app test-app-suites test-stress test-package clean

deps:
	bash scripts/deps.sh

# The desktop app, release build with the UI embedded (window title "Podterm"). With no saved
# profile it offers to import ~/.kube/config or to start the in-app Demo cluster.
run: app
	target/release/podterm-desktop

# The Tauri CLI's release build (the same cargo invocation as `make package`, so one reuses the
# other's artifacts). Without the test-fixtures feature: no fault-control port in the app.
app: deps ui
	ui/node_modules/.bin/tauri build --no-bundle

# The Debian package (Tauri bundler): target/release/bundle/deb/Podterm_<version>_amd64.deb, with a
# desktop entry that also opens podterm://connect/NAME links.
package: deps ui
	ui/node_modules/.bin/tauri build --bundles deb

# The Kubernetes stand-in alone, in the foreground, for kubectl and `podterm exec`.
demo-cluster: deps
	@mkdir -p "$(dir $(TC_KUBECONFIG))"
	@echo "In another terminal: KUBECONFIG=$(TC_KUBECONFIG) kubectl get pods"
	$(CARGO) run --release -p testcluster -- serve --kubeconfig "$(TC_KUBECONFIG)"

# The frontend: installed from package-lock.json and built into ui/dist (the app embeds it, and
# tauri's build checks it exists, so it comes before any cargo build of the app).
ui: deps
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	cd ui && npm run build

lint: deps ui
	$(MAKE) --no-print-directory lint-rust

# fmt and clippy, also over the desktop's test-fixtures code (a workspace build leaves it out).
lint-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p podterm-desktop --all-targets --features test-fixtures -- -D warnings

# The inner loop: fmt, clippy and the unit tests (no suites, no UI, no installs). Builds the UI
# only if ui/dist is missing (the desktop's build needs it).
check:
	@[ -d ui/dist ] || $(MAKE) --no-print-directory ui
	$(MAKE) --no-print-directory lint-rust
	bash scripts/with-keyring.sh $(CARGO) test --workspace --lib --bins -- --test-threads=2

# Everything. The Rust tests include the cross-crate suites in tests/ (package podterm-tests:
# kubectl conformance, CLI parity, profiles, favourites, desktop IPC), then the frontend's
# (test-ui), the real app's (test-app) and the package's (test-package): scripts/test-all.sh,
# which builds the app's release binary for test-app in the background, at nice 19, while the
# Rust and frontend suites run. PODTERM_KUBECTLS (colon-separated kubectl paths) may be given; by
# default scripts/kubectls.sh finds /usr/bin/kubectl and the pinned .venv/bin/kubectl.
test: deps lint
	CARGO="$(CARGO)" MAKE="$(MAKE)" bash scripts/test-all.sh

# The frontend's own checks: types, unit tests (Vitest), and the UI in Debian's Chromium with
# the IPC mocked (playwright-core; never downloads a browser).
test-ui: ui
	cd ui && npm run typecheck && npm test && npm run test:e2e

# The mocked-UI e2e suite 5 times in a row (STRESS_RUNS) while a CPU hog spins on every core;
# stops at the first failing run and says which.
test-stress: ui
	bash scripts/test-stress.sh

# The real app end to end (tests/app/app.mjs, with a second testcluster of its own and a
# WM_DELETE_WINDOW helper compiled with cc and libX11 (tests/app/wm-close.c); then tests/app/panes.mjs: three web pods
# in broadcasting panes answer one hostname; then tests/app/memory.mjs: background tabs' output
# keeps the web process's memory flat; then tests/app/flood.mjs: a `yes` flood, Ctrl-C and a
# command answered, the scrollback whole `y` lines; then tests/app/network.mjs: a testcluster of its own
# dropped, stopped and restarted, the app stopped as a closed lid stops it, a tab through
# tinyproxy; then tests/app/tray.mjs: the tray menu read and clicked over D-Bus by a tray host
# of its own, tests/app/trayhost.py): the release binary built with the test-fixtures
# feature (the Demo cluster's fault-control port, which the tests use to delete a pod) under Xvfb
# through tauri-driver + WebKitWebDriver, against its in-app Demo cluster. Screenshots of each
# stage: ui/test-results/app/. `make app`, `run` and `package` build the same binary without it.
# The suites' testcluster (with its admin port) and CLI come from the test build's features
# (`--workspace --tests`: testcluster's own dev-dependency turns its admin port on), which
# `make test` has built already, never from a second build of the dependencies.
test-app: deps ui
	$(MAKE) --no-print-directory test-app-suites

# test-app without installing or building the frontend: `make test` has, and its background
# build (app-fixtures) embedded that ui/dist.
test-app-suites: app-fixtures
	$(CARGO) build --workspace --tests --bin testcluster --bin podterm
	bash scripts/with-keyring.sh node tests/app/app.mjs
	bash scripts/with-keyring.sh node tests/app/files.mjs
	bash scripts/with-keyring.sh node tests/app/panes.mjs
	bash scripts/with-keyring.sh node tests/app/memory.mjs
	bash scripts/with-keyring.sh node tests/app/tab-close.mjs
	bash scripts/with-keyring.sh node tests/app/flood.mjs
	bash scripts/with-keyring.sh node tests/app/logs.mjs
	bash scripts/with-keyring.sh node tests/app/network.mjs
	bash scripts/with-keyring.sh node tests/app/recordings.mjs
	bash scripts/with-keyring.sh node tests/app/tray.mjs

# The release app with the test fixtures, embedding ui/dist as `make ui` left it: tauri's own
# `npm run build` (beforeBuildCommand) is left out, as the app embeds each file of ui/dist with
# include_bytes!, so a ui/dist written again, even the same, makes cargo compile the app again
# (2 min in release).
app-fixtures:
	ui/node_modules/.bin/tauri build --no-bundle --features test-fixtures --config '{"build":{"beforeBuildCommand":null}}'

# The .deb installed with dpkg -i (needs root), checked to carry no test fixtures, and the
# installed binary started under Xvfb.
test-package: package
	bash scripts/with-keyring.sh bash scripts/test-package.sh

clean:
	$(CARGO) clean
	rm -rf .tmp

# podterm against kubectl on one testcluster (crates/podterm-bench): prints a Markdown table and
# writes bench/results/<UTC time>.json, latest.json and latest.md. Then the desktop app under Xvfb
# (bench/app-bench.mjs): app-<UTC time>.json, app-latest.json, app-latest.md; then bench/README.md
# from both. `podterm-bench --record` measures a flood through podterm without and with `--record`
# (taking turns): record-latest.json and .md. PODTERM_KUBECTLS
# (colon-separated paths) picks the kubectls; BENCH_ARGS passes options (see --help). testcluster
# has its admin port: the app bench's long pod list changes its pods through it.
.PHONY: bench
bench: deps app
	$(CARGO) build --release -p podterm-cli -p podterm-bench
	$(CARGO) build --release -p testcluster --features admin
	target/release/podterm-bench $(BENCH_ARGS)
	target/release/podterm-bench --logs
	target/release/podterm-bench --record
	bash scripts/with-keyring.sh node bench/app-bench.mjs
	$(MAKE) --no-print-directory app-fixtures
	PODTERM_FLOOD_RESULT=bench/results/logs-app-latest.json bash scripts/with-keyring.sh node tests/app/logs.mjs
	target/release/podterm-bench --readme-only

# The soak (bench/soak.mjs): the release app (test-fixtures build, for the Demo cluster's admin
# port) under Xvfb for SOAK_MINUTES (default 30) with SOAK_TABS (default 5) tabs printing, one
# idle, a pod created and one deleted every 2 s; PSS, CPU, fds and threads per process every
# SOAK_SAMPLE_S (30) s; the trend after the warm-up in MB/hour. Writes bench/results/soak-<UTC>.json.
# A benchmark: not part of `make test`.
.PHONY: soak
soak: deps ui
	$(MAKE) --no-print-directory app-fixtures
	bash scripts/with-keyring.sh node bench/soak.mjs
