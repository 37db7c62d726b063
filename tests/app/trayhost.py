#!/usr/bin/python3
"""A tray host for the tests: what a desktop's system tray does, on the session bus it is given.

It owns org.kde.StatusNotifierWatcher (so libayatana-appindicator in the app registers its
StatusNotifierItem with it) and reads and clicks the item's menu through com.canonical.dbusmenu,
as a panel does when a person opens the menu and clicks an entry.

Driven over stdin/stdout, one JSON object a line (tests/app/tray.mjs):
  in:  {"seq": 1, "cmd": "layout"}            -> {"seq": 1, "revision": N, "layout": {...}}
       {"seq": 2, "cmd": "click", "id": 7}    -> {"seq": 2, "ok": true}   (Event(7, "clicked");
                                                  "gone": true if the app left the bus first)
       {"seq": 3, "cmd": "item"}              -> {"seq": 3, "item": {Id, Title, Status, Menu}}
  out, unasked: {"event": "ready"} (the watcher's name is owned),
       {"event": "registered", "service": ..., "sender": ...},
       {"event": "layout-updated", "revision": N}, {"event": "unregistered", "sender": ...}
An error answers {"seq": N, "error": "..."}.

Debian's python3-dbus and python3-gi (scripts/deps.sh installs them); run with /usr/bin/python3.
"""

import json
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
PROPS = "org.freedesktop.DBus.Properties"


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def plain(v):
    """D-Bus values as JSON values."""
    if isinstance(v, (dbus.Boolean, bool)):
        return bool(v)
    if isinstance(v, (int, dbus.Byte)):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return str(v)


def node(struct):
    """A dbusmenu layout node (ia{sv}av) as {id, props, children}."""
    ident, props, children = struct
    return {"id": int(ident), "props": plain(props), "children": [node(c) for c in children]}


class Watcher(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/StatusNotifierWatcher")
        self.bus = bus
        self.items = []  # (sender, object path)
        self.hosts = ["org.podterm.TestTrayHost"]

    @dbus.service.method(WATCHER, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # An item names its object path (libayatana-appindicator) or its bus name.
        path = service if service.startswith("/") else "/StatusNotifierItem"
        owner = sender if service.startswith("/") else service
        self.items = [i for i in self.items if i[0] != owner] + [(owner, path)]
        self.StatusNotifierItemRegistered(owner + path)
        self.follow(owner, path)
        say({"event": "registered", "service": str(service), "sender": str(owner), "path": path})

    @dbus.service.method(WATCHER, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        self.hosts.append(str(service))

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemRegistered(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemUnregistered(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    def properties(self):
        return {
            "RegisteredStatusNotifierItems": dbus.Array([s + p for s, p in self.items], signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        return self.properties()[name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self.properties()

    def follow(self, owner, path):
        def updated(revision, parent):
            say({"event": "layout-updated", "revision": int(revision), "parent": int(parent)})

        self.bus.add_signal_receiver(updated, "LayoutUpdated", MENU, owner)

        def owner_changed(new):
            if not new:
                self.items = [i for i in self.items if i[0] != owner]
                self.StatusNotifierItemUnregistered(owner + path)
                say({"event": "unregistered", "sender": owner})

        self.bus.watch_name_owner(owner, owner_changed)

    def item(self):
        if not self.items:
            raise RuntimeError("no StatusNotifierItem registered yet")
        owner, path = self.items[-1]
        return self.bus.get_object(owner, path, introspect=False)

    def menu(self):
        owner, _ = self.items[-1]
        menu_path = self.item().Get(ITEM, "Menu", dbus_interface=PROPS)
        return self.bus.get_object(owner, menu_path, introspect=False)


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    watcher = Watcher(bus)
    loop = GLib.MainLoop()

    def serve(line):
        req = json.loads(line)
        seq = req.get("seq")
        try:
            cmd = req["cmd"]
            if cmd == "layout":
                menu = watcher.menu()
                # A panel asks before it shows the menu; the answer says whether to re-read.
                menu.AboutToShow(dbus.Int32(0), dbus_interface=MENU)
                revision, root = menu.GetLayout(
                    dbus.Int32(0), dbus.Int32(-1), dbus.Array([], signature="s"), dbus_interface=MENU
                )
                say({"seq": seq, "revision": int(revision), "layout": node(root)})
            elif cmd == "click":
                # Answered when the app replies; an app that quits on this click may leave the
                # bus before its reply: that is said ("gone"), not an error.
                def failed(e):
                    if e.get_dbus_name() == "org.freedesktop.DBus.Error.NoReply":
                        say({"seq": seq, "ok": True, "gone": True})
                    else:
                        say({"seq": seq, "error": f"{e.get_dbus_name()}: {e}"})

                watcher.menu().Event(
                    dbus.Int32(req["id"]),
                    "clicked",
                    dbus.Int32(0, variant_level=1),
                    dbus.UInt32(int(time.time()) & 0xFFFFFFFF),
                    dbus_interface=MENU,
                    reply_handler=lambda: say({"seq": seq, "ok": True}),
                    error_handler=failed,
                )
            elif cmd == "item":
                props = watcher.item().GetAll(ITEM, dbus_interface=PROPS)
                keep = ("Id", "Title", "Status", "Menu", "Category")
                say({"seq": seq, "item": {k: plain(v) for k, v in props.items() if k in keep}})
            elif cmd == "quit":
                say({"seq": seq, "ok": True})
                loop.quit()
            else:
                say({"seq": seq, "error": f"unknown command {cmd!r}"})
        except Exception as e:  # an answer for every request: the test reports it
            say({"seq": seq, "error": f"{type(e).__name__}: {e}"})

    def on_stdin(source, condition):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        if line.strip():
            serve(line)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    name = dbus.service.BusName(WATCHER, bus, do_not_queue=True)
    say({"event": "ready", "name": name.get_name(), "bus": bus.get_unique_name()})
    loop.run()


if __name__ == "__main__":
    main()
