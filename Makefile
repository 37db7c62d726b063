# Podterm: `make run` starts it, `make test` runs every test (installing what it needs on Debian 12).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CARGO ?= cargo
TC_KUBECONFIG ?= .tmp/testcluster.kubeconfig

.PHONY: deps run lint test clean

deps:
	bash scripts/deps.sh

run: deps
	@echo "Note: the Podterm desktop app arrives with the desktop issue; for now 'make run' starts"
	@echo "testcluster, the demo Kubernetes API stand-in, in the foreground (Ctrl-C stops it)."
	@echo "In another terminal: KUBECONFIG=$(TC_KUBECONFIG) kubectl get pods -n demo"
	@mkdir -p "$(dir $(TC_KUBECONFIG))"
	$(CARGO) run --release -p testcluster -- serve --kubeconfig "$(TC_KUBECONFIG)"

lint: deps
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

clean:
	$(CARGO) clean
	rm -rf .tmp

# podterm against kubectl on one testcluster (crates/podterm-bench): prints a Markdown table and
# writes bench/results/<UTC time>.json, latest.json and latest.md. PODTERM_KUBECTLS
# (colon-separated paths) picks the kubectls; BENCH_ARGS passes options (see --help).
.PHONY: bench
bench: deps
	$(CARGO) build --release -p testcluster -p podterm-cli -p podterm-bench
	target/release/podterm-bench $(BENCH_ARGS)
