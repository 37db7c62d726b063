#!/usr/bin/env bash
# Usage: scripts/with-keyring.sh CMD [ARG...]
#
# Runs CMD inside a private D-Bus session bus with an unlocked gnome-keyring Secret Service, the
# way Podterm's keyring tests need it headless (CI, root, no display). The keyring files go to a
# fresh temporary XDG_DATA_HOME, so the user's real keyring is never touched; HOME is left alone
# (cargo and rustup live under it). Exits with CMD's exit code; the temp dir is removed after.
# Needs the Debian packages dbus, gnome-keyring and libsecret-tools (scripts/deps.sh installs them).
set -euo pipefail

die() { printf 'with-keyring: error: %s\n' "$*" >&2; exit 2; }

[ "$#" -gt 0 ] || die "usage: $0 CMD [ARG...]"
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found: install the Debian packages dbus and gnome-keyring (make deps)"
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/podterm-keyring.XXXXXX")"
cleanup() { rm -rf "$tmp" 2>/dev/null || { sleep 1; rm -rf "$tmp"; }; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -m 700 "$tmp/data" "$tmp/config" "$tmp/runtime"

# A throwaway password for the throwaway login keyring.
pw="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

set +e
env XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/runtime" \
    PODTERM_WITH_KEYRING_PW="$pw" \
    dbus-run-session -- bash -c '
        pw="$PODTERM_WITH_KEYRING_PW"
        unset PODTERM_WITH_KEYRING_PW
        # In the foreground (our child, so we can stop it): creates the login keyring under
        # $XDG_DATA_HOME with the password from stdin and unlocks it.
        printf %s "$pw" | gnome-keyring-daemon --foreground --unlock --components=secrets \
            >"$XDG_RUNTIME_DIR/gnome-keyring.log" 2>&1 &
        gkd=$!
        unset pw
        has_owner() {
            dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
                grep -q "boolean true"
        }
        login_unlocked() {
            dbus-send --session --print-reply --dest=org.freedesktop.secrets \
                /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
                string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
                grep -q "boolean false"
        }
        ready=0
        for _ in $(seq 100); do
            kill -0 "$gkd" 2>/dev/null || break
            if has_owner && login_unlocked; then ready=1; break; fi
            sleep 0.1
        done
        if [ "$ready" -ne 1 ]; then
            echo "with-keyring: error: gnome-keyring-daemon did not come up with an unlocked login keyring:" >&2
            cat "$XDG_RUNTIME_DIR/gnome-keyring.log" >&2
            kill "$gkd" 2>/dev/null
            exit 2
        fi
        "$@"
        rc=$?
        kill "$gkd" 2>/dev/null
        wait "$gkd" 2>/dev/null
        exit "$rc"
    ' with-keyring "$@"
rc=$?
set -e
exit "$rc"
