// End-to-end tests of the real desktop app (the release binary, UI embedded) under Xvfb, driven
// by tauri-driver + WebKitWebDriver, against the in-app Demo cluster (testcluster on loopback).
//
//   node e2e/app.mjs            (PODTERM_APP: the binary; default target/release/podterm-desktop)
//
// Screenshots of every stage go to ui/test-results/app/. The last line is "N passed, N failed".
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, Keys, launchApp, sleep } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const results = path.join(repo, "ui", "test-results", "app");
await mkdir(results, { recursive: true });

const adminPort = await freePort();
const admin = `http://127.0.0.1:${adminPort}`;
const log = (m) => console.log(`  · ${m}`);
const app = await launchApp({ binary, env: { PODTERM_DEMO_ADMIN: `127.0.0.1:${adminPort}`, RUST_LOG: "warn" }, log });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  const file = path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`);
  await app.screenshot(file);
  return file;
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const tabs = () => app.exec(() => window.__podterm.tabs());
const activeTab = async () => (await tabs()).find((t) => t.active);

function bufferLines(tabId) {
  return app.exec((id) => {
    const term = window.__podterm.terminals.get(id);
    if (!term) return [];
    const buf = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? "");
    return lines;
  }, tabId);
}

async function waitForLine(tabId, predicate, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  let lines = [];
  while (Date.now() < end) {
    lines = await bufferLines(tabId);
    if (lines.some(predicate)) return lines;
    await sleep(50);
  }
  throw new Error(`terminal never showed ${what}; last lines:\n${lines.filter(Boolean).slice(-8).join("\n")}`);
}

function waitTabState(tabId, state, timeout = 15_000) {
  return app.waitFor(`.tab[data-tab-id="${tabId}"][data-state="${state}"]`, timeout);
}

/** Types a line into the tab's terminal and presses Enter (a real key event, not "\n"). */
async function typeLine(tabId, text) {
  await app.type(`.pane[data-tab-id="${tabId}"] .xterm-helper-textarea`, text);
  await app.type(`.pane[data-tab-id="${tabId}"] .xterm-helper-textarea`, Keys.ENTER);
}

const text = (css) => app.exec((sel) => document.querySelector(sel)?.textContent ?? null, css);

async function openPod(pod, container) {
  const before = new Set((await tabs()).map((t) => t.id));
  await app.click(`.pod[data-pod="${pod}"] .pod-line`);
  await app.click(`.pod[data-pod="${pod}"] .container[data-container="${container}"]`);
  const tab = await app.waitUntil("a new tab", 10_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), [...before]);
  return tab;
}

/** A prompt: the demo shell prints `$ ` or `# ` at the end of a line. */
const isPrompt = (l) => /[$#] ?$/.test(l);

// ------------------------------------------------------------------------------------ tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const state = {};

test("the window is Podterm and the first run offers the Demo cluster", async () => {
  await app.waitFor("#demo-cluster", 20_000);
  const title = await app.cmd("GET", "/title");
  assert(title === "Podterm", `title is "${title}"`);
  const backend = await app.exec(() => document.body.dataset.backend);
  assert(backend === "tauri", `backend is ${backend}, not the real Tauri IPC`);
  await screenshot("first-run");
});

test("the Demo profile lists the demo pods", async () => {
  await app.click("#demo-cluster");
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
  const names = await app.exec(() => [...document.querySelectorAll(".pod .pod-name")].map((e) => e.textContent));
  for (const want of ["shell", "multi", "distroless"]) assert(names.includes(want), `pod ${want} missing from ${names.join(", ")}`);
  const status = await text('.pod[data-pod="shell"] .pod-status');
  assert(status === "Running", `shell status ${status}`);
  await screenshot("sidebar");
});

test("pod `shell`: `echo hello` shows hello", async () => {
  const tab = await openPod("shell", "main");
  state.tabId = tab.id;
  await waitTabState(tab.id, "connected");
  await waitForLine(tab.id, isPrompt, "a prompt");
  await typeLine(tab.id, "echo hello");
  await waitForLine(tab.id, (l) => l === "hello", "a line 'hello'");
  await screenshot("echo-hello");
});

test("`exit 3` shows exit code 3; Enter reopens", async () => {
  await typeLine(state.tabId, "exit 3");
  await waitTabState(state.tabId, "exited");
  const status = await text(`.tab[data-tab-id="${state.tabId}"] .tab-status`);
  assert(status === "exited 3", `tab status "${status}"`);
  const banner = await text(`.pane[data-tab-id="${state.tabId}"] .banner`);
  assert(/exited with code 3/.test(banner ?? ""), `banner "${banner}"`);
  await screenshot("exit-3");
  await app.type(`.pane[data-tab-id="${state.tabId}"] .xterm-helper-textarea`, Keys.ENTER);
  await waitTabState(state.tabId, "connected");
  const tab = (await tabs()).find((t) => t.id === state.tabId);
  assert(tab.attempt === 2, `attempt ${tab.attempt}`);
  await waitForLine(state.tabId, isPrompt, "a prompt after reopening");
});

test("the viewer profile's exec shows the 403 message", async () => {
  await app.click('.profile[data-profile="Demo cluster (viewer)"]');
  await app.waitUntil("the viewer profile selected", 10_000, () =>
    document.querySelector('.profile.selected')?.getAttribute("data-profile") === "Demo cluster (viewer)");
  await app.waitFor('.pod[data-pod="shell"]', 20_000);
  const tab = await openPod("shell", "main");
  await waitTabState(tab.id, "lost");
  const banner = await text(`.pane[data-tab-id="${tab.id}"] .banner-text`);
  assert(/forbidden/i.test(banner ?? "") && /viewer/.test(banner ?? ""), `banner "${banner}"`);
  log(`viewer: ${banner}`);
  await screenshot("viewer-403");
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
  await app.click('.profile[data-profile="Demo cluster"]');
  await app.waitFor('.pod[data-pod="shell"]', 20_000);
});

test("the pod deleted mid-session: the tab ends with a reason", async () => {
  await app.click(`.tab[data-tab-id="${state.tabId}"]`);
  await waitTabState(state.tabId, "connected");
  const res = await fetch(`${admin}/pods/demo/shell`, { method: "DELETE" });
  assert(res.ok, `admin DELETE: HTTP ${res.status} ${await res.text()}`);
  await app.waitUntil("the tab to end", 15_000, (id) => {
    const s = document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("data-state");
    return s === "lost" || s === "exited";
  }, state.tabId);
  const banner = await text(`.pane[data-tab-id="${state.tabId}"] .banner-text`);
  assert(/the pod demo\/shell was deleted/.test(banner ?? ""), `banner "${banner}"`);
  log(`pod deleted: ${banner}`);
  await app.waitUntil("the pod to leave the sidebar", 10_000, () => !document.querySelector('.pod[data-pod="shell"]'));
  await screenshot("pod-deleted");
});

// ------------------------------------------------------------------------------------ run

let passed = 0;
let failed = 0;
try {
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.fn();
      passed += 1;
      console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${t.name}\n     ${String(e.stack ?? e).split("\n").join("\n     ")}`);
      try {
        await screenshot("failure");
      } catch {
        /* the window may be gone */
      }
    }
  }
} finally {
  await app.close();
}
console.log(`screenshots: ${results}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed === tests.length ? 0 : 1);
