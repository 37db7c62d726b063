#!/usr/bin/env bash
# Installs the .deb `make package` built (dpkg -i, as root), checks what it put on the system,
# and starts the installed binary under Xvfb (ui/e2e/installed.mjs). The package stays installed
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

PODTERM_APP="$bin" node ui/e2e/installed.mjs
