// The tray clicked for real (issue 19): the release app registers its StatusNotifierItem with a
// tray host of the test's own (tests/app/trayhost.py: org.kde.StatusNotifierWatcher on the
// private session bus of scripts/with-keyring.sh), which reads the menu and sends `clicked`
// events through com.canonical.dbusmenu, as a desktop's panel does.
//
//   bash scripts/with-keyring.sh node tests/app/tray.mjs
//     (PODTERM_APP as for app.mjs; PODTERM_TESTCLUSTER: the testcluster binary, default
//      target/debug/testcluster; PODTERM_CLI: the podterm CLI, default target/debug/podterm)
//
// A testcluster process of its own, so that after "Quit" the test sees the shells end on the
// cluster's side. Profiles and favourites are made with the CLI before the app starts, and one
// favourite is added with the CLI while it runs. Screenshots go to ui/test-results/app-tray/,
// the menu as read to ui/test-results/app-tray/menu.json. The last line is "N passed, N failed".
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp, processTree, runTests, waitFor } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const testclusterBin = path.resolve(process.env.PODTERM_TESTCLUSTER ?? path.join(repo, "target", "debug", "testcluster"));
const cliBin = path.resolve(process.env.PODTERM_CLI ?? path.join(repo, "target", "debug", "podterm"));
const results = path.join(repo, "ui", "test-results", "app-tray");
await rm(results, { recursive: true, force: true });
await mkdir(results, { recursive: true });
const log = (m) => console.log(`  · ${m}`);

if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  throw new Error("no session bus: run this under scripts/with-keyring.sh (a private bus for the tray host and the keyring)");
}
for (const [bin, how] of [[testclusterBin, "cargo build --workspace --tests --bin testcluster --bin podterm (as make test-app does)"], [cliBin, "cargo build --workspace --tests --bin testcluster --bin podterm (as make test-app does)"]]) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: ${how}`);
}

// ------------------------------------------------------------------ testcluster, profiles, favourites

const work = await mkdtemp(path.join(tmpdir(), "podterm-e2e-tray-"));
const configDir = path.join(work, "config");
const xdgConfig = path.join(work, "xdg");
await mkdir(configDir);
await mkdir(xdgConfig);
const children = [];

const apiPort = await freePort();
const kubeconfig = path.join(work, "kubeconfig");
const tc = spawn(testclusterBin, ["serve", "--listen", `127.0.0.1:${apiPort}`, "--kubeconfig", kubeconfig], { stdio: ["ignore", "pipe", "pipe"] });
children.push(tc);
let tcOut = "";
tc.stdout.on("data", (d) => (tcOut += d));
tc.stderr.on("data", (d) => (tcOut += d));
await waitFor("testcluster's kubeconfig", () => existsSync(kubeconfig) && tcOut.includes("kubeconfig"), 30_000).catch((e) => {
  throw new Error(`${e.message}; testcluster said: ${tcOut.slice(-500)}`);
});

/** The podterm CLI with the app's config directory; resolves to its output, rejects on a failure. */
function cli(...args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cliBin, args, { env: { ...process.env, PODTERM_CONFIG_DIR: configDir }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`podterm ${args.join(" ")} exited ${code}: ${out.slice(-500)}`))));
  });
}

await cli("profile", "import", "--kubeconfig", kubeconfig, "--all");
await cli("favourite", "add", "web", "deploy/web", "--profile", "demo-admin", "-n", "demo");
await cli("favourite", "add", "sh", "pod/shell", "--profile", "demo-admin", "-n", "demo");
await cli("favourite", "add", "peek", "pod/shell", "--profile", "viewer", "-n", "demo");

/** The shells the testcluster runs for sessions now: its processes other than itself and the
 * pods' own (main) processes, which run before any session. */
const podProcesses = new Set((await processTree(tc.pid)).map((p) => p.pid));
async function clusterShells() {
  return (await processTree(tc.pid)).filter((p) => !podProcesses.has(p.pid));
}

// ------------------------------------------------------------------ the tray host

const hostProc = spawn("/usr/bin/python3", [path.join(here, "trayhost.py")], { stdio: ["pipe", "pipe", "pipe"] });
children.push(hostProc);
let hostErr = "";
hostProc.stderr.on("data", (d) => (hostErr += d));
const hostEvents = [];
const pending = new Map();
createInterface({ input: hostProc.stdout }).on("line", (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    hostErr += `not JSON: ${line}\n`;
    return;
  }
  if (msg.seq !== undefined && pending.has(msg.seq)) {
    const { resolve, reject } = pending.get(msg.seq);
    pending.delete(msg.seq);
    if (msg.error) reject(new Error(`tray host: ${msg.error}`));
    else resolve(msg);
  } else {
    hostEvents.push(msg);
  }
});
let seq = 0;
function host(cmd, extra = {}) {
  seq += 1;
  const s = seq;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(s);
      reject(new Error(`tray host did not answer "${cmd}" in 20 s: ${hostErr.slice(-500)}`));
    }, 20_000);
    pending.set(s, {
      resolve: (v) => (clearTimeout(timer), resolve(v)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    });
    hostProc.stdin.write(JSON.stringify({ seq: s, cmd, ...extra }) + "\n");
  });
}
const hostEvent = (what, pred, timeout = 20_000) =>
  waitFor(what, () => hostEvents.find(pred), timeout).catch((e) => {
    throw new Error(`${e.message}; host events: ${JSON.stringify(hostEvents.slice(-5))}; host stderr: ${hostErr.slice(-500)}`);
  });
await hostEvent("the tray host to own org.kde.StatusNotifierWatcher", (e) => e.event === "ready", 10_000);

/** The menu as the host reads it: [{ id, label, enabled, toggle, type }] (top level). */
async function menu() {
  const { layout, revision } = await host("layout");
  const items = layout.children.map((c) => ({
    id: c.id,
    label: c.props.label ?? "",
    enabled: c.props.enabled !== false,
    visible: c.props.visible !== false,
    type: c.props.type ?? "standard",
    toggle: c.props["toggle-type"] ? c.props["toggle-state"] === 1 : undefined,
  }));
  return { items, revision };
}
const itemBy = (items, pred, what) => {
  const found = items.find(pred);
  if (!found) throw new Error(`no menu item ${what} in ${JSON.stringify(items.map((i) => i.label))}`);
  return found;
};
/**
 * Clicks the menu item that `pred` picks in the menu as it is now (the app rebuilds its menu
 * when sessions open and end, and item ids change with it: an id gone between the read and the
 * click is refused by the app, and then the menu is read again). Only a click that quits may see
 * the app leave the bus before it replies.
 */
async function menuClick(pred, what, { quits = false } = {}) {
  let lastError;
  for (let i = 0; i < 5; i++) {
    const { items } = await menu();
    const id = itemBy(items, pred, what).id;
    try {
      const r = await host("click", { id });
      assert(!r.gone || quits, `the app left the bus on a click on ${what}`);
      return;
    } catch (e) {
      lastError = e;
      if (!/^tray host: /.test(e.message)) throw e;
    }
  }
  throw lastError;
}
/** The menu once `pred(items)` holds. */
const menuWhen = (what, pred, timeout = 15_000) =>
  waitFor(what, async () => {
    const m = await menu();
    return pred(m.items) ? m.items : null;
  }, timeout).catch(async (e) => {
    throw new Error(`${e.message}; the menu: ${JSON.stringify((await menu()).items.map((i) => i.label))}`);
  });
const labelled = (re) => (i) => re.test(i.label);

// ------------------------------------------------------------------ the app

// Its own applications folder, where the app writes the launcher entry with the favourites' actions.
const dataHome = path.join(work, "data");
const launcherEntry = path.join(dataHome, "applications", "Podterm.desktop");
// The browser's stand-in: the first launcher the app tries (xdg-open) writes down what it was
// asked to open.
const fakeBin = path.join(work, "bin");
const opened = path.join(work, "opened.txt");
await mkdir(fakeBin);
await writeFile(path.join(fakeBin, "xdg-open"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${opened}'\n`, { mode: 0o755 });
const app = await launchApp({
  binary,
  env: { RUST_LOG: "warn", PODTERM_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdgConfig, XDG_DATA_HOME: dataHome, PATH: `${fakeBin}:${process.env.PATH}` },
  log,
});

let shot = 0;
async function screenshot(name) {
  shot += 1;
  return app.screenshot(path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`));
}
const tabs = () => app.exec(() => window.__podterm.tabs());

const bufferLines = (tabId) => app.bufferLines(tabId);

const waitForLine = (tabId, predicate, what, timeout = 15_000) => app.waitForLine(tabId, predicate, what, timeout);

const isPrompt = (l) => /[$#] ?$/.test(l);

/** After a click on favourite `name`: its new tab, connected, in the pod `pod` ($HOSTNAME). */
async function favouriteTab(before, name, pod) {
  const tab = await app.waitUntil(`a tab for favourite ${name}`, 20_000, (ids, n) => window.__podterm.tabs().find((t) => !ids.includes(t.id) && t.favourite === n), before, name);
  await app.waitFor(`.tab[data-tab-id="${tab.id}"][data-state="connected"]`, 20_000);
  await waitForLine(tab.id, isPrompt, "a prompt");
  await app.type(`.pane[data-tab-id="${tab.id}"] .xterm-helper-textarea`, 'echo "pod=$HOSTNAME"');
  await app.type(`.pane[data-tab-id="${tab.id}"] .xterm-helper-textarea`, Keys.ENTER);
  await waitForLine(tab.id, (l) => l === `pod=${pod}`, `pod=${pod}`);
  return tab;
}

/** Whether the app's window is mapped on the X display (shown), by xwininfo. */
async function windowShown() {
  const run = (args) =>
    new Promise((resolve, reject) => {
      const p = spawn("xwininfo", ["-display", app.env.DISPLAY, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      p.stdout.on("data", (d) => (out += d));
      p.once("error", (e) => reject(new Error(`xwininfo did not run: ${e.message}; run \`make deps\` (x11-utils)`)));
      p.once("exit", () => resolve(out));
    });
  const tree = await run(["-root", "-tree"]);
  const ids = [...tree.matchAll(/^\s+(0x[0-9a-f]+) "Podterm":/gm)].map((m) => m[1]);
  if (ids.length === 0) return false;
  for (const id of ids) if (/Map State: IsViewable/.test(await run(["-id", id]))) return true;
  return false;
}

/** The window's close, as its close button does (the page's `close_window` command ends in the
 * same CloseRequested handler; with no window manager under Xvfb there is no button to press). */
async function closeWindow() {
  await app.exec(() => window.__TAURI_INTERNALS__.invoke("close_window"));
  await waitFor("the window hidden in the tray", async () => !(await windowShown()), 10_000);
}

/** A desktop entry's groups: { "Desktop Entry": { Name: …, … }, "Desktop Action connect-0": … }. */
function parseDesktopEntry(text) {
  const groups = {};
  let group = null;
  for (const line of text.split("\n")) {
    const head = /^\[(.+)\]$/.exec(line);
    if (head) groups[(group = head[1])] = {};
    else if (group && /^[A-Za-z0-9-]+=/.test(line)) {
      const at = line.indexOf("=");
      groups[group][line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return groups;
}

/** An Exec value as the program and its arguments (the spec's string escapes, then its quoting;
 * field codes such as %u dropped). */
function execArgs(value) {
  const unescaped = value.replace(/\\(.)/g, (_, c) => ({ s: " ", n: "\n", t: "\t", r: "\r" })[c] ?? c);
  const args = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m; (m = re.exec(unescaped)); ) {
    const arg = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
    if (/^%[a-zA-Z]$/.test(arg)) continue;
    args.push(arg.replace(/%%/g, "%"));
  }
  return args;
}

/** The menu as a panel draws it, as a page (README's picture: a screenshot of it). */
function menuPage(items) {
  const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const rows = items
    .filter((i) => i.visible)
    .map((i) => {
      if (i.type === "separator") return '<li class="sep"></li>';
      const mark = i.toggle === undefined ? "" : i.toggle ? "☑" : "☐";
      return `<li class="${i.enabled ? "" : "off"}"><span class="mark">${mark}</span>${esc(i.label)}</li>`;
    })
    .join("\n");
  return `<!doctype html><meta charset="utf-8"><style>
body { margin: 0; padding: 12px; background: #2b2d31; font: 14px "DejaVu Sans", sans-serif; }
ul { list-style: none; margin: 0; padding: 4px 0; width: max-content; min-width: 260px; background: #fbfbfb; border: 1px solid #c0c0c0; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,.35); }
li { padding: 5px 16px 5px 8px; color: #1d1d1d; white-space: pre; }
li .mark { display: inline-block; width: 22px; }
li.off { color: #8a8a8a; }
li.sep { height: 1px; padding: 0; margin: 4px 0; background: #d6d6d6; }
</style><ul>${rows}</ul>`;
}

const settings = async () => {
  try {
    return JSON.parse(await readFile(path.join(configDir, "settings.json"), "utf8"));
  } catch {
    return null;
  }
};

// ------------------------------------------------------------------ tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const state = { tabs: [] };
const WEB_POD = "web-6b7f9c8d5-p9m7q"; // deployment/web's newest Ready pod in testcluster's demo

test("the app registers its tray item with the desktop's watcher", async () => {
  const reg = await hostEvent("the app's StatusNotifierItem", (e) => e.event === "registered", 30_000);
  log(`registered: ${reg.sender} ${reg.path}`);
  const { item } = await host("item");
  assert(item.Status === "Active", `item status ${item.Status}`);
  assert(typeof item.Menu === "string" && item.Menu.startsWith("/"), `item menu ${item.Menu}`);
  await app.waitFor(".profile", 30_000);
  // The first-run card says where quick-connect lives: the tray, and the launcher's entry.
  const note = await app.waitUntil("the card's quick-connect note", 15_000, () => {
    const p = document.querySelector(".welcome .quick-connect");
    return p ? { text: p.textContent, code: p.querySelector("code")?.textContent ?? null } : null;
  });
  log(`card: ${note.text}`);
  assert(/^Quick-connect from anywhere: the Podterm icon in the tray/.test(note.text), `card note "${note.text}"`);
  assert(note.code === launcherEntry, `the card names ${note.code}, not ${launcherEntry}`);
  await screenshot("window");
});

test("the menu: favourites grouped by profile, live count, Quick open, Open Podterm, keep running, Quit", async () => {
  const items = await menuWhen("the favourites in the menu", (xs) => xs.some(labelled(/^web /)));
  log(`menu: ${items.map((i) => (i.type === "separator" ? "──" : `${i.enabled ? "" : "(off) "}${i.toggle === undefined ? "" : i.toggle ? "[x] " : "[ ] "}${i.label}`)).join(" | ")}`);
  const labels = items.filter((i) => i.type !== "separator").map((i) => i.label);
  const at = (re) => labels.findIndex((l) => re.test(l));
  const order = [/^demo-admin$/, /^web  ·  demo\/deployment\/web$/, /^sh  ·  demo\/pod\/shell$/, /^viewer$/, /^peek  ·  demo\/pod\/shell$/, /^No live sessions$/, /^Quick open…$/, /^Open Podterm$/, /^Keep running/, /^Quit$/];
  const idx = order.map(at);
  assert(idx.every((i, n) => i >= 0 && (n === 0 || i > idx[n - 1])), `menu order ${JSON.stringify(labels)}`);
  assert(!labels.includes("Recent"), `a Recent section before any session: ${JSON.stringify(labels)}`);
  assert(!itemBy(items, (i) => i.label === "demo-admin", "demo-admin").enabled, "a profile's heading is clickable");
  assert(!itemBy(items, labelled(/live sessions$/), "the live count").enabled, "the live count is clickable");
  assert(itemBy(items, labelled(/^web /), "web").enabled, "web is not clickable");
  const keep = itemBy(items, labelled(/^Keep running/), "keep running");
  assert(keep.toggle === true, `keep running is ${keep.toggle} (on by default)`);
  assert(items.some((i) => i.type === "separator"), "no separator");
});

test("a click on favourite `web` opens a tab in deployment/web's newest Ready pod", async () => {
  const before = (await tabs()).map((t) => t.id);
  await menuClick(labelled(/^web /), "web");
  const tab = await favouriteTab(before, "web", WEB_POD);
  state.tabs.push(tab.id);
  await screenshot("web-from-tray");
});

test("closed to the tray, a click on a favourite brings the window back with its tab", async () => {
  await closeWindow();
  assert(await app.pid(), "the app ended when its window closed (keep running is on)");
  const before = (await tabs()).map((t) => t.id);
  assert(before.length === 1, `tabs while hidden: ${before.length}`);
  await menuClick(labelled(/^sh /), "sh");
  await waitFor("the window shown again", windowShown, 10_000);
  const tab = await favouriteTab(before, "sh", "shell");
  state.tabs.push(tab.id);
  await screenshot("sh-from-tray-after-close");
});

test("Recent lists the sessions newest first, reopens one in a click; the live count follows", async () => {
  const items = await menuWhen("Recent with both sessions and 2 live", (xs) =>
    xs.some((i) => i.label === "Recent") && xs.some((i) => i.label === "2 live sessions") && xs.filter(labelled(/^demo\//)).length === 2);
  const recent = items.filter(labelled(/^demo\//)).map((i) => i.label);
  log(`recent: ${recent.join(" | ")}`);
  assert(/^demo\/shell\b.*\(demo-admin\)$/.test(recent[0]) && new RegExp(`^demo/${WEB_POD}\\b.*\\(demo-admin\\)$`).test(recent[1]), `recent ${JSON.stringify(recent)}`);
  assert(!itemBy(items, (i) => i.label === "Recent", "Recent").enabled, "the Recent heading is clickable");
  const before = (await tabs()).map((t) => t.id);
  await menuClick(labelled(new RegExp(`^demo/${WEB_POD}\\b`)), "the recent web session");
  const tab = await app.waitUntil("a tab from Recent", 20_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
  assert(tab.pod === WEB_POD && !tab.favourite, `the recent tab: ${JSON.stringify(tab)}`);
  await app.waitFor(`.tab[data-tab-id="${tab.id}"][data-state="connected"]`, 20_000);
  await waitForLine(tab.id, isPrompt, "a prompt");
  await app.type(`.pane[data-tab-id="${tab.id}"] .xterm-helper-textarea`, 'echo "pod=$HOSTNAME"');
  await app.type(`.pane[data-tab-id="${tab.id}"] .xterm-helper-textarea`, Keys.ENTER);
  await waitForLine(tab.id, (l) => l === `pod=${WEB_POD}`, `pod=${WEB_POD}`);
  await menuWhen("3 live sessions", (xs) => xs.some((i) => i.label === "3 live sessions"));
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
  await menuWhen("2 live sessions after the tab closed", (xs) => xs.some((i) => i.label === "2 live sessions"));
  await screenshot("recent-from-tray");
});

test("Quick open… brings the window back with the quick-open box focused", async () => {
  await closeWindow();
  await menuClick((i) => i.label === "Quick open…", "Quick open…");
  await waitFor("the window shown again", windowShown, 10_000);
  await app.waitUntil("the quick-open box focused", 10_000, () => {
    const d = document.querySelector("dialog.quick-open");
    return d?.open && document.activeElement === d.querySelector("input.quick-input");
  });
  await screenshot("quick-open-from-tray");
  await app.type("dialog.quick-open input.quick-input", "\uE00C"); // Escape
  await app.waitUntil("the box closed", 10_000, () => !document.querySelector("dialog.quick-open[open]"));
});

test("keep running toggles from the menu and is saved in settings.json", async () => {
  const seen = hostEvents.length;
  await menuClick(labelled(/^Keep running/), "keep running");
  await waitFor("closeToTray false in settings.json", async () => (await settings())?.closeToTray === false, 10_000);
  await waitFor("the menu re-laid out", () => hostEvents.slice(seen).some((e) => e.event === "layout-updated"), 10_000);
  await menuWhen("the check mark off", (xs) => xs.find(labelled(/^Keep running/))?.toggle === false);
  await menuClick(labelled(/^Keep running/), "keep running");
  await waitFor("closeToTray true in settings.json", async () => (await settings())?.closeToTray === true, 10_000);
  await menuWhen("the check mark on", (xs) => xs.find(labelled(/^Keep running/))?.toggle === true);
});

test("Open Podterm shows the window closed to the tray, tabs and all", async () => {
  await closeWindow();
  await menuClick((i) => i.label === "Open Podterm", "Open Podterm");
  await waitFor("the window shown again", windowShown, 10_000);
  const now = (await tabs()).map((t) => t.id);
  assert(state.tabs.every((id) => now.includes(id)), `tabs after Open: ${JSON.stringify(now)}, had ${JSON.stringify(state.tabs)}`);
  await screenshot("open-podterm");
});

test("a favourite added with the CLI while the app runs appears in the menu and opens", async () => {
  const seen = hostEvents.length;
  await cli("favourite", "add", "web-too", "deploy/web", "--profile", "demo-admin", "-n", "demo");
  await waitFor("LayoutUpdated after the CLI's change", () => hostEvents.slice(seen).some((e) => e.event === "layout-updated"), 15_000);
  const items = await menuWhen("web-too in the menu", (xs) => xs.some(labelled(/^web-too /)));
  const labels = items.map((i) => i.label);
  const at = labels.findIndex((l) => /^web-too /.test(l));
  assert(labels.indexOf("demo-admin") < at && at < labels.indexOf("viewer"), `web-too not under demo-admin: ${JSON.stringify(labels)}`);
  state.menu = items;
  await writeFile(path.join(results, "menu.json"), JSON.stringify(items, null, 2));
  const before = (await tabs()).map((t) => t.id);
  await menuClick(labelled(/^web-too /), "web-too");
  const tab = await favouriteTab(before, "web-too", WEB_POD);
  state.tabs.push(tab.id);
});

test("the launcher entry has an action for each favourite, the CLI's new one too; its Exec opens it", async () => {
  const groups = await waitFor("web-too among the launcher's actions", async () => {
    const g = parseDesktopEntry(await readFile(launcherEntry, "utf8"));
    return Object.values(g).some((x) => /^web-too /.test(x.Name ?? "")) ? g : null;
  }, 15_000);
  const main = groups["Desktop Entry"];
  const ids = (main.Actions ?? "").split(";").filter(Boolean);
  const names = ids.map((id) => groups[`Desktop Action ${id}`]?.Name);
  log(`launcher actions: ${names.join(" | ")}`);
  assert(JSON.stringify(names.map((n) => n?.split(" ")[0])) === JSON.stringify(["web", "sh", "peek", "web-too"]), `actions ${JSON.stringify(names)}`);
  assert(main.MimeType === "x-scheme-handler/podterm;", `MimeType ${main.MimeType}`);
  // desktop-file-validate (desktop-file-utils) finds nothing to say about it.
  const validate = await new Promise((resolve, reject) => {
    const p = spawn("desktop-file-validate", [launcherEntry], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.once("error", (e) => reject(new Error(`desktop-file-validate did not run: ${e.message}; run \`make deps\` (desktop-file-utils)`)));
    p.once("exit", (code) => resolve({ code, out }));
  });
  assert(validate.code === 0 && validate.out.trim() === "", `desktop-file-validate: ${validate.code} ${validate.out}`);
  const action = groups[`Desktop Action ${ids[3]}`];
  const [program, ...args] = execArgs(action.Exec);
  assert(program === binary && JSON.stringify(args) === JSON.stringify(["--connect", "web-too"]), `Exec ${action.Exec}`);
  // The launcher runs it: a second launch, served by the running app.
  const before = (await tabs()).map((t) => t.id);
  const code = await new Promise((resolve, reject) => {
    const p = spawn(program, args, { env: app.env, stdio: "ignore" });
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error("the launcher's action did not exit within 20 s (it should hand over and leave)"));
    }, 20_000);
    p.once("exit", (c) => (clearTimeout(timer), resolve(c)));
  });
  assert(code === 0, `the launcher's action exited ${code}`);
  const tab = await favouriteTab(before, "web-too", WEB_POD);
  state.tabs.push(tab.id);
  await screenshot("launcher-action");
});

/** Runs an X client tool on the app's display; resolves to its output, rejects on a failure. */
function x11(cmd, ...args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, DISPLAY: app.env.DISPLAY }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.once("error", (e) => reject(new Error(`${cmd} did not run: ${e.message}; run \`make deps\``)));
    p.once("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${out}`))));
  });
}

test("the global shortcut, off until turned on in the settings, brings quick open over another focused window", async () => {
  assert((await settings())?.globalShortcut !== true, "the global shortcut is on by default");
  assert(!(await app.exec(() => document.querySelector("#global-shortcut")?.checked)), "the setting's box is ticked by default");
  // The keys are filled in when the settings answer ("…" before).
  await app.waitUntil("the shortcut's keys shown", 10_000, () => (document.querySelector(".global-shortcut-setting kbd")?.textContent ?? "…") !== "…");
  const keys = await app.exec(() => document.querySelector(".global-shortcut-setting kbd")?.textContent);
  assert(keys === "Ctrl+Alt+K", `the setting names ${keys}`);
  // The settings are folded under one line at the sidebar's foot: unfold them, as a person would.
  if (!(await app.exec(() => document.querySelector(".settings-group")?.open))) await app.click(".settings-summary");
  await app.waitUntil("the settings unfolded", 10_000, () => document.querySelector(".settings-group")?.open === true);
  await app.click("#global-shortcut");
  await waitFor("globalShortcut true in settings.json", async () => (await settings())?.globalShortcut === true, 10_000);
  await closeWindow();
  // Another application's window, focused.
  const other = spawn("xmessage", ["-display", app.env.DISPLAY, "-name", "other-app", "another application"], { stdio: "ignore" });
  children.push(other);
  const id = (await waitFor("the other window", async () => (await x11("xdotool", "search", "--classname", "other-app").catch(() => "")).split("\n")[0], 10_000)).trim();
  await x11("xdotool", "windowfocus", "--sync", id);
  assert((await x11("xdotool", "getwindowfocus")) === id, "the other window does not have the focus");
  await x11("xdotool", "key", "ctrl+alt+k");
  await waitFor("the window shown", windowShown, 10_000);
  await app.waitUntil("the quick-open box focused", 10_000, () => {
    const d = document.querySelector("dialog.quick-open");
    return d?.open && document.activeElement === d.querySelector("input.quick-input");
  });
  // Typed as a person types: X key events to whatever has the focus now.
  const before = (await tabs()).map((t) => t.id);
  await x11("xdotool", "type", "--delay", "40", "web-too");
  await app.waitUntil("web-too typed into the box", 10_000, () => document.querySelector("dialog.quick-open input.quick-input")?.value === "web-too");
  await screenshot("global-shortcut-quick-open");
  await x11("xdotool", "key", "Return");
  const tab = await favouriteTab(before, "web-too", WEB_POD);
  state.tabs.push(tab.id);
  other.kill("SIGTERM");
});

test("a running port forward is in the menu, a click opens its address in the browser; stopped, it leaves the menu", async () => {
  const invoke = (cmd, args) => app.exec((cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args), cmd, args);
  const f = await invoke("start_forward", { req: { profile: "demo-admin", namespace: "demo", pod: WEB_POD, remote: "80", local: null } });
  assert(f.local > 0 && f.state.state === "listening", `forward ${JSON.stringify(f)}`);
  const title = `127.0.0.1:${f.local} \u2192 ${WEB_POD}:80  \u00b7  demo-admin`;
  const items = await menuWhen("the forward in the menu", (xs) => xs.some((i) => i.label === title));
  assert(itemBy(items, labelled(/^Port forwards/), "the forwards' heading").enabled === false, "the forwards' heading is clickable");
  await screenshot("tray-forward");
  // README's picture: the whole menu, a forward running.
  await writeFile(path.join(results, "menu.html"), menuPage(items));
  await menuClick((i) => i.label === title, "the forward");
  await waitFor("the browser opened at the forward's address", async () => (await readFile(opened, "utf8").catch(() => "")).split("\n").includes(`http://127.0.0.1:${f.local}/`), 15_000);
  await invoke("stop_forward", { id: f.id });
  await menuWhen("the forward gone from the menu", (xs) => !xs.some(labelled(/^Port forwards/)) && !xs.some(labelled(/^127\.0\.0\.1:/)));
});

test("Quit asks with sessions open, then ends the app and every session: the cluster's shells end", async () => {
  const shells = await clusterShells();
  assert(shells.length >= state.tabs.length, `the cluster runs ${shells.length} processes for ${state.tabs.length} tabs: ${JSON.stringify(shells)}`);
  log(`shells before Quit: ${shells.map((p) => `${p.pid} ${p.comm}`).join(", ")}`);
  const pid = await app.pid();
  // Sessions are open: Quit brings the window forward and asks first (even though closing the
  // window only hides it), and "Keep working" keeps everything running.
  await menuClick((i) => i.label === "Quit", "Quit");
  await app.waitFor("dialog.confirm-close[open]", 10_000);
  await waitFor("the window shown for the question", () => windowShown(), 10_000);
  const question = await app.exec(() => [document.querySelector("dialog.confirm-close h2")?.textContent, document.querySelector("dialog.confirm-close p")?.textContent]);
  assert(question[0] === "Quit Podterm?" && /Quitting Podterm ends (it|them)\.$/.test(question[1] ?? ""), `the question: ${JSON.stringify(question)}`);
  await screenshot("quit-asks");
  await app.click("dialog.confirm-close button.cancel");
  await app.waitUntil("the question gone", 10_000, () => !document.querySelector("dialog.confirm-close"));
  assert((await app.pid()) === pid, "Keep working ended the app");
  assert((await clusterShells()).length === shells.length, "Keep working ended a shell");
  await menuClick((i) => i.label === "Quit", "Quit");
  await app.waitFor("dialog.confirm-close[open]", 10_000);
  // The app exits as it answers the click: its reply may not come.
  await app.click("dialog.confirm-close[open] button.close-window").catch((e) => log(`the click's answer: ${String(e.message).slice(0, 120)}`));
  await waitFor("the app to exit", async () => (await app.pid()) === null, 15_000);
  await waitFor("the cluster's shells to end", async () => (await clusterShells()).length === 0, 15_000).catch(async (e) => {
    throw new Error(`${e.message}; still running: ${JSON.stringify(await clusterShells())}`);
  });
  await hostEvent("the tray item gone from the bus", (e) => e.event === "unregistered", 10_000);
  log(`app ${pid} quit; the cluster runs no shell`);
});

// ------------------------------------------------------------------ run

await runTests(tests, {
  onFailure: () => screenshot("failure"),
  cleanup: async () => {
    await app.close();
    for (const c of children) c.kill("SIGTERM");
    await rm(work, { recursive: true, force: true });
  },
  before: [`screenshots: ${results}`],
});
