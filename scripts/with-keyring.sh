#!/usr/bin/env bash
# Usage: scripts/with-keyring.sh CMD [ARG...]
#
# Runs CMD inside a private D-Bus session bus with an unlocked gnome-keyring Secret Service, the
# way Podterm's keyring tests need it headless (CI, root, no display). The keyring files go to a
# fresh temporary XDG_DATA_HOME, so the user's real keyring is never touched; HOME is left alone
# (cargo and rustup live under it). Exits with CMD's exit code; the temp dir is removed after.
# Needs the Debian packages dbus, gnome-keyring and libsecret-tools (scripts/deps.sh installs them).
#
# The daemon is started the way a desktop starts it, by D-Bus activation, from a service file of
# our own that wins over the system's (it sits first in the session's service directories), so a
# daemon that dies while CMD runs comes back unlocked on the next call, as a desktop's does after a
# log-in: gnome-keyring-daemon can abort when Secret Service clients open sessions at the same
# moment (upstream gnome-keyring issues 190, 196, 199), and a test must not fail for that. The
# throwaway password reaches each daemon on its stdin from the private bus's environment (no file
# holds it); every daemon's output and exit status go to a log, printed at the end when one died.
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
mkdir -p "$tmp/runtime/dbus-1/services"

# What D-Bus activation runs for org.freedesktop.secrets: one daemon, the password on its stdin
# (from the bus daemon's environment, which activated services inherit), its output and how it
# ended appended to the log.
cat >"$tmp/runtime/start-keyring" <<'EOF'
#!/usr/bin/env bash
log="$XDG_RUNTIME_DIR/gnome-keyring.log"
echo "== gnome-keyring-daemon starting ($(date -u +%T.%N))" >>"$log"
pw="$PODTERM_WITH_KEYRING_PW"
unset PODTERM_WITH_KEYRING_PW
printf %s "$pw" | gnome-keyring-daemon --foreground --unlock --components=secrets >>"$log" 2>&1 &
unset pw
echo "$!" >"$XDG_RUNTIME_DIR/keyring.pid"
wait "$!"
rc=$?
echo "== gnome-keyring-daemon exited with status $rc ($(date -u +%T.%N))" >>"$log"
# Not stopped by with-keyring at the end: it died.
[ -e "$XDG_RUNTIME_DIR/keyring.stopping" ] || echo "$rc" >>"$XDG_RUNTIME_DIR/keyring.deaths"
exit "$rc"
EOF
chmod 700 "$tmp/runtime/start-keyring"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/usr/bin/env bash %s\n' \
    "$tmp/runtime/start-keyring" >"$tmp/runtime/dbus-1/services/org.freedesktop.secrets.service"

# A throwaway password for the throwaway login keyring.
pw="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

set +e
env XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/runtime" \
    PODTERM_WITH_KEYRING_PW="$pw" \
    dbus-run-session -- bash -c '
        # Not for CMD: only the activated daemons take it (the first creates the login keyring
        # with it under $XDG_DATA_HOME, a later one unlocks that keyring).
        unset PODTERM_WITH_KEYRING_PW
        log="$XDG_RUNTIME_DIR/gnome-keyring.log"
        login_unlocked() {
            dbus-send --session --print-reply --dest=org.freedesktop.secrets \
                /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
                string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
                grep -q "boolean false"
        }
        # The first call activates the daemon.
        ready=0
        for _ in $(seq 100); do
            if login_unlocked; then ready=1; break; fi
            sleep 0.1
        done
        stop_daemon() {
            local pid
            : >"$XDG_RUNTIME_DIR/keyring.stopping"
            pid="$(cat "$XDG_RUNTIME_DIR/keyring.pid" 2>/dev/null)" || return 0
            kill "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        }
        if [ "$ready" -ne 1 ]; then
            echo "with-keyring: error: gnome-keyring-daemon did not come up with an unlocked login keyring:" >&2
            cat "$log" >&2 2>/dev/null
            stop_daemon
            exit 2
        fi
        "$@"
        rc=$?
        stop_daemon
        if [ -s "$XDG_RUNTIME_DIR/keyring.deaths" ]; then
            echo "with-keyring: gnome-keyring-daemon died $(wc -l <"$XDG_RUNTIME_DIR/keyring.deaths") time(s) while the command ran and was started again; its log:" >&2
            tail -n 60 "$log" >&2
        fi
        exit "$rc"
    ' with-keyring "$@"
rc=$?
set -e
exit "$rc"
