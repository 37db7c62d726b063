// Split panes and broadcast input in the real app (issue 18): the release binary (test-fixtures)
// under Xvfb through WebDriver, its in-app Demo cluster with a third `web` pod added through the
// admin port. One action opens every pod of the `web` ReplicaSet in panes of one tab with
// broadcast on; `hostname` typed once (real key events into one pane) comes back as three
// different answers, each pane its own pod's name; Ctrl+Shift+B stops, after which typing
// reaches one pane only. Part of `make test-app`.
//
//   node tests/app/panes.mjs     (PODTERM_APP: the binary; default target/release/podterm-desktop)
//
// Screenshots: ui/test-results/app-panes/ (the broadcast one is docs/panes-broadcast.png).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const results = path.join(repo, "ui", "test-results", "app-panes");
await mkdir(results, { recursive: true });
const log = (m) => console.log(`  · ${m}`);
const adminPort = await freePort();
const admin = `http://127.0.0.1:${adminPort}`;
const configDir = await mkdtemp(path.join(tmpdir(), "podterm-panes-config-"));
const xdgConfig = await mkdtemp(path.join(tmpdir(), "podterm-panes-xdg-"));
const app = await launchApp({
  binary,
  env: { PODTERM_DEMO_ADMIN: `127.0.0.1:${adminPort}`, RUST_LOG: "warn", PODTERM_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdgConfig },
  log,
});

let shot = 0;
async function screenshot(name) {
  shot += 1;
  const file = path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`);
  await app.screenshot(file);
  log(`screenshot ${file}`);
  return file;
}

const tabs = () => app.exec(() => window.__podterm.tabs());

const bufferLines = (tabId) => app.bufferLines(tabId);

const waitForLine = (tabId, predicate, what, timeout = 20_000) => app.waitForLine(tabId, predicate, what, timeout);

/** Real key events into the focused pane's terminal (WebDriver's element send keys). */
async function keysToFocused(text) {
  const t = (await tabs()).find((x) => x.active);
  await app.type(`.pane[data-tab-id="${t.id}"] .xterm-helper-textarea`, text);
}

const WEB = "web-6b7f9c8d5";
const third = `${WEB}-z3k8w`;
let ok = false;
try {
  await app.click("#demo-cluster", 20_000);
  await app.waitFor(`.pod[data-pod^="${WEB}-"]`, 30_000);
  // A third pod of the web ReplicaSet, as a scale-up would add it.
  const res = await fetch(`${admin}/pods`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      namespace: "demo",
      name: third,
      labels: { app: "web", "pod-template-hash": "6b7f9c8d5" },
      owner: { kind: "ReplicaSet", name: WEB },
      containers: [{ name: "web", env: { APP: "web" } }],
    }),
  });
  assert(res.ok, `admin PUT: HTTP ${res.status} ${await res.text()}`);
  await app.waitFor(`.pod[data-pod="${third}"]`, 20_000);
  const pods = await app.waitUntil("three Running web pods in the list", 20_000, (prefix) => {
    const rows = [...document.querySelectorAll(".pod[data-pod]")].filter((e) => e.dataset.pod.startsWith(prefix));
    return rows.length === 3 && rows.every((e) => /Running/.test(e.textContent)) ? rows.map((e) => e.dataset.pod).sort() : null;
  }, `${WEB}-`);
  log(`pods: ${pods.join(", ")}`);

  // The pod's right-click menu: one action opens all of the ReplicaSet's pods in panes.
  await app.reveal(`.pod[data-pod="${third}"] .pod-line`);
  const line = await app.find(`.pod[data-pod="${third}"] .pod-line`);
  await app.cmd("POST", "/actions", {
    actions: [
      {
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [{ type: "pointerMove", origin: { "element-6066-11e4-a52e-4f735466cecf": line }, x: 0, y: 0 }, { type: "pointerDown", button: 2 }, { type: "pointerUp", button: 2 }],
      },
    ],
  });
  await app.cmd("DELETE", "/actions");
  await app.waitFor(".context-menu", 10_000);
  const label = `Open all pods of replicaset/${WEB} in panes (broadcast)`;
  const clicked = await app.exec((want) => {
    const item = [...document.querySelectorAll(".context-menu .context-item")].find((e) => e.textContent.includes(want));
    item?.click();
    return item !== undefined;
  }, label);
  assert(clicked, `no "${label}" in the pod's menu`);

  const panes = await app.waitUntil("three connected, broadcasting panes in one tab", 30_000, () => {
    const all = window.__podterm.tabs();
    return all.length === 3 && all.every((t) => t.panes.length === 3 && t.broadcast && t.status.kind === "connected" && t.sessionId !== null) ? all : null;
  });
  assert(JSON.stringify(panes.map((t) => t.pod).sort()) === JSON.stringify(pods), `the panes' pods: ${panes.map((t) => t.pod)}`);
  assert(new Set(panes.map((t) => t.sessionId)).size === 3, "the panes share a session");
  const bar = await app.exec(() => document.querySelectorAll(".tab-bar .tab").length);
  assert(bar === 1, `${bar} tabs in the bar for one split tab`);
  // Every pane marked, the marker naming the key that stops it.
  const marks = await app.exec(() =>
    [...document.querySelectorAll(".pane.broadcast")].map((p) => [p.dataset.tabId, p.querySelector(".broadcast-badge:not([hidden])")?.textContent ?? null]),
  );
  assert(marks.length === 3 && marks.every(([, t]) => t === "BROADCAST · Ctrl+Shift+B stops"), `markers: ${JSON.stringify(marks)}`);
  for (const t of panes) await waitForLine(t.id, (l) => /[$#] ?$/.test(l), `a prompt in ${t.pod}`);
  // The right-click also left the pod's container picker open in the sidebar: closed again.
  if (await app.exec((pod) => document.querySelector(`.pod[data-pod="${pod}"] .container`) !== null, third)) {
    await app.click(`.pod[data-pod="${third}"] .pod-line`);
    await app.waitUntil("the picker closed", 10_000, (pod) => document.querySelector(`.pod[data-pod="${pod}"] .container`) === null, third);
  }

  // `hostname` typed once, into one pane: three different answers, each pane its own pod.
  await keysToFocused("hostname");
  await keysToFocused(Keys.ENTER);
  for (const t of panes) {
    const lines = await waitForLine(t.id, (l) => l.trim().startsWith("web-6b7f9c8d5-") && !l.includes("hostname"), `hostname's answer in ${t.pod}`);
    const answers = lines.map((l) => l.trim()).filter((l) => /^web-6b7f9c8d5-[a-z0-9]+$/.test(l));
    assert(answers.length === 1 && answers[0] === t.pod, `pane of ${t.pod} answered ${JSON.stringify(answers)}`);
  }
  const answers = await Promise.all(panes.map(async (t) => (await bufferLines(t.id)).map((l) => l.trim()).find((l) => /^web-6b7f9c8d5-[a-z0-9]+$/.test(l))));
  assert(new Set(answers).size === 3, `answers: ${answers.join(", ")}`);
  log(`hostname answered: ${answers.join(", ")}`);
  // The pointer off the pod list (its tooltip would cover the panes in the picture).
  const strip = await app.find(".tab-bar");
  await app.cmd("POST", "/actions", {
    actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [{ type: "pointerMove", origin: { "element-6066-11e4-a52e-4f735466cecf": strip }, x: 200, y: 0 }] }],
  });
  await app.cmd("DELETE", "/actions");
  await screenshot("panes-broadcast");

  // Ctrl+Shift+B in a broadcasting pane stops it everywhere; typing then reaches one pane.
  await keysToFocused(Keys.CONTROL + Keys.SHIFT + "b" + Keys.NULL);
  await app.waitUntil("no pane marked", 10_000, () => document.querySelectorAll(".pane.broadcast, .tab-broadcast").length === 0 && window.__podterm.tabs().every((t) => !t.broadcast));
  const focused = (await tabs()).find((t) => t.active);
  await keysToFocused("echo only-here");
  await keysToFocused(Keys.ENTER);
  await waitForLine(focused.id, (l) => l.trim() === "only-here", "the echo in the focused pane");
  // Each other pane answers a marker sent to its own session only now: had the typing been
  // fanned out to it (when it was typed, before this), its answer would come before the marker's.
  for (const t of panes.filter((x) => x.id !== focused.id)) {
    const session = (await tabs()).find((x) => x.id === t.id)?.sessionId;
    assert(session !== null && session !== undefined, `${t.pod}'s pane has no session`);
    await app.exec((id) => window.__TAURI_INTERNALS__.invoke("send_input", { id, data: "echo marker-$((40+2))\r" }).then(() => true), session);
    const lines = await waitForLine(t.id, (l) => l.trim() === "marker-42", `the marker in ${t.pod}'s pane`);
    assert(!lines.some((l) => l.trim() === "only-here"), `${t.pod} received typing after the broadcast stopped`);
  }
  await screenshot("panes-stopped");

  // The tab's × ends every pane's session.
  await app.click(".tab-bar .tab .tab-close");
  await app.waitUntil("every pane closed", 10_000, () => window.__podterm.tabs().length === 0);
  ok = true;
} catch (err) {
  console.log(`  ✗ ${String(err?.stack ?? err).split("\n").join("\n    ")}`);
  try {
    await screenshot("failure");
  } catch {
    /* the app may be gone */
  }
} finally {
  await app.close();
  await rm(configDir, { recursive: true, force: true });
  await rm(xdgConfig, { recursive: true, force: true });
}
console.log(ok ? "panes: 1 passed, 0 failed" : "panes: 0 passed, 1 failed");
process.exit(ok ? 0 : 1);
