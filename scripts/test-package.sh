#!/usr/bin/env bash
# Installs the .deb `make package` built (dpkg -i, as root), checks what it put on the system
# (and that its binary carries no test fixtures: the Demo cluster's fault-control port exists
# only with the desktop's test-fixtures feature), and starts the installed binary under Xvfb
# (tests/app/installed.mjs). The package stays installed
# (installing it again is idempotent); `dpkg -r podterm` removes it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() { echo "test-package: $*" >&2; exit 1; }

deb="$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -n1 || true)"
[ -n "$deb" ] || fail "no .deb under target/release/bundle/deb/: run 'make package' first"
if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo -n); else
    fail "installing the package needs root (dpkg -i): run as root or with passwordless sudo"
fi
pkg="$(dpkg-deb -f "$deb" Package)"
echo "test-package: installing $deb ($pkg $(dpkg-deb -f "$deb" Version))"
"${SUDO[@]}" dpkg -i "$deb"

bin=/usr/bin/podterm-desktop
[ -x "$bin" ] || fail "$bin is missing after dpkg -i"
desktop="$(dpkg -L "$pkg" | grep -E '^/usr/share/applications/.*\.desktop$' | head -n1 || true)"
[ -n "$desktop" ] || fail "the package installs no desktop entry"
grep -q '^MimeType=x-scheme-handler/podterm;' "$desktop" || fail "$desktop does not open podterm:// links"
grep -q "^Exec=podterm-desktop %u" "$desktop" || fail "$desktop: Exec is not 'podterm-desktop %u'"
dpkg -L "$pkg" | grep -qE '^/usr/share/icons/hicolor/.*/apps/podterm-desktop\.png$' ||
    fail "the package installs no icon"
echo "test-package: $bin, $desktop and the icons are installed"

# The release binary knows neither the variable that opens the fault port nor the port's replies.
for marker in PODTERM_DEMO_ADMIN "unknown admin request"; do
    count="$(grep -a -c -F "$marker" "$bin" || true)"
    [ "$count" = 0 ] || fail "$bin carries test fixtures ('$marker' found): built with --features test-fixtures?"
done
echo "test-package: $bin carries no test fixtures"

PODTERM_APP="$bin" node tests/app/installed.mjs
