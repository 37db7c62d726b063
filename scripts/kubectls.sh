#!/usr/bin/env bash
# Prints, one per line, the kubectl binaries the conformance tests run against:
# /usr/bin/kubectl (when present) and the pinned <repo>/.venv/bin/kubectl (when installed),
# each once: duplicates by resolved path or by client version are dropped.
# The Makefile joins them with ':' into PODTERM_KUBECTLS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

candidates=(/usr/bin/kubectl "$ROOT/.venv/bin/kubectl")
seen_paths=()
seen_versions=()

contains() {
    local needle="$1"
    shift
    local x
    for x in "$@"; do [ "$x" = "$needle" ] && return 0; done
    return 1
}

for k in "${candidates[@]}"; do
    [ -x "$k" ] || continue
    resolved="$(readlink -f "$k")"
    contains "$resolved" ${seen_paths[@]+"${seen_paths[@]}"} && continue
    json="$("$k" version --client -o json 2>/dev/null || true)"
    version="$(printf '%s' "$json" | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n1)"
    if [ -z "$version" ]; then
        echo "kubectls: skipping $k: 'kubectl version --client' failed" >&2
        continue
    fi
    contains "$version" ${seen_versions[@]+"${seen_versions[@]}"} && continue
    seen_paths+=("$resolved")
    seen_versions+=("$version")
    printf '%s\n' "$k"
done
