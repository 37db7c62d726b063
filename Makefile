# Podterm: `make run` starts it, `make test` runs every test (installing what it needs on Debian 12).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CARGO ?= cargo
TC_KUBECONFIG ?= .tmp/testcluster.kubeconfig

.PHONY: deps ui run app package demo-cluster lint test test-ui test-app test-package clean

deps:
	bash scripts/deps.sh

# The desktop app, release build with the UI embedded (window title "Podterm"). With no saved
# profile it offers to import ~/.kube/config or to start the in-app Demo cluster.
run: app
	target/release/podterm-desktop

# The Tauri CLI's release build (the same cargo invocation as `make package`, so one reuses the
# other's artifacts).
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
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# PODTERM_KUBECTLS (colon-separated kubectl paths) may be given; by default scripts/kubectls.sh
# finds /usr/bin/kubectl and the pinned .venv/bin/kubectl.
test: deps lint
	@kubectls="$${PODTERM_KUBECTLS:-$$(bash scripts/kubectls.sh | paste -sd: -)}"; \
	if [ -z "$$kubectls" ]; then \
		echo "make test: no kubectl found for the conformance tests (run 'make deps')" >&2; \
		exit 1; \
	fi; \
	echo "conformance kubectls: $$kubectls"; \
	export PODTERM_KUBECTLS="$$kubectls"; \
	bash scripts/with-keyring.sh $(CARGO) test --workspace --all-targets -- --test-threads=2
	$(MAKE) --no-print-directory test-ui
	$(MAKE) --no-print-directory test-app
	$(MAKE) --no-print-directory test-package

# The frontend's own checks: types, unit tests (Vitest), and the UI in Debian's Chromium with
# the IPC mocked (playwright-core; never downloads a browser).
test-ui: ui
	cd ui && npm run typecheck && npm test && npm run test:e2e

# The real app end to end: the release binary under Xvfb through tauri-driver + WebKitWebDriver,
# against its in-app Demo cluster. Screenshots of each stage: ui/test-results/app/.
test-app: app
	bash scripts/with-keyring.sh node ui/e2e/app.mjs

# The .deb installed with dpkg -i (needs root) and the installed binary started under Xvfb.
test-package: package
	bash scripts/with-keyring.sh bash scripts/test-package.sh

clean:
	$(CARGO) clean
	rm -rf .tmp

# podterm against kubectl on one testcluster (crates/podterm-bench): prints a Markdown table and
# writes bench/results/<UTC time>.json, latest.json and latest.md. Then the desktop app under Xvfb
# (ui/e2e/app-bench.mjs): app-<UTC time>.json, app-latest.json, app-latest.md. PODTERM_KUBECTLS
# (colon-separated paths) picks the kubectls; BENCH_ARGS passes options (see --help).
.PHONY: bench
bench: deps app
	$(CARGO) build --release -p testcluster -p podterm-cli -p podterm-bench
	target/release/podterm-bench $(BENCH_ARGS)
	bash scripts/with-keyring.sh node ui/e2e/app-bench.mjs
