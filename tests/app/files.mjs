// Files in the real app (issue 16): a file dropped on a terminal tab goes up into its pod and
// comes back through Download… identical (sha256), a large download cancelled leaves no
// partial file under its final name, and a drop on a debug tab of the shell-less `distroless`
// pod lands through its debug container. The release binary built with the test-fixtures feature
// under Xvfb, through tauri-driver + WebKitWebDriver, against its in-app Demo cluster.
//
//   node tests/app/files.mjs      (PODTERM_APP: the binary; `make test-app` builds it)
//
// Two things WebDriver cannot do are done through test-fixtures hooks, and only there:
// - a native drop: a second launch with `--test-drop PATH` is served by the running app as the
//   window's drop of PATH at its centre (the same FilesDropped request the drop event sends);
// - the native folder dialog: PODTERM_TEST_PICK_FOLDER is what it answers.
// testcluster's containers are processes on this machine, each in a directory of its own: the
// test reads that directory to check the upload and to put the large file there.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp, runTests } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const results = path.join(repo, "ui", "test-results", "app-files");
await mkdir(results, { recursive: true });

const log = (m) => console.log(`  · ${m}`);
const configDir = await mkdtemp(path.join(tmpdir(), "podterm-files-config-"));
const xdgConfig = await mkdtemp(path.join(tmpdir(), "podterm-files-xdg-"));
const local = await mkdtemp(path.join(tmpdir(), "podterm-files-local-"));
const downloads = path.join(local, "downloads");
await mkdir(downloads);
const adminPort = await freePort();
const appEnv = {
  PODTERM_DEMO_ADMIN: `127.0.0.1:${adminPort}`,
  RUST_LOG: "warn",
  PODTERM_CONFIG_DIR: configDir,
  XDG_CONFIG_HOME: xdgConfig,
  PODTERM_TEST_PICK_FOLDER: downloads,
};
const app = await launchApp({ binary, env: appEnv, log });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  return app.screenshot(path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`));
}

const sha256 = async (file) => createHash("sha256").update(await readFile(file)).digest("hex");
const tabs = () => app.exec(() => window.__podterm.tabs());
const value = (css) => app.exec((sel) => document.querySelector(sel)?.value ?? null, css);
const text = (css) => app.exec((sel) => document.querySelector(sel)?.textContent ?? null, css);

const bufferLines = (tabId) => app.bufferLines(tabId);

const waitForLine = (tabId, predicate, what, timeout = 15_000) => app.waitForLine(tabId, predicate, what, timeout);

/** A second launch that hands its arguments to the running app and exits. */
function secondLaunch(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(app.binary, args, { env: app.env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`the second launch did not exit within 20 s: ${err.slice(-400)}`));
    }, 20_000);
    p.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

/** Clears a text field and types `text` into it (real key events). */
async function fill(css, text) {
  const el = await app.waitFor(css);
  await app.cmd("POST", `/element/${el}/clear`, {});
  await app.cmd("POST", `/element/${el}/value`, { text });
}

/** Waits for transfer `id`'s item in the tab's strip to reach `state`. */
function transferState(pane, id, state, timeout = 60_000) {
  return app.waitFor(`${pane} .transfer-item[data-transfer-id="${id}"][data-state="${state}"]`, timeout);
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const state = {};

test("a shell in the Demo cluster's pod `shell`", async () => {
  await app.waitFor("#demo-cluster", 20_000);
  await app.click("#demo-cluster");
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const tab = await app.waitUntil("the shell tab", 15_000, () => window.__podterm.tabs().find((t) => t.pod === "shell"));
  await app.waitFor(`.tab[data-tab-id="${tab.id}"][data-state="connected"]`, 20_000);
  state.tab = tab;
  state.pane = `.pane[data-tab-id="${tab.id}"]`;
});

test("a file dropped on the tab goes up into the container's working directory", async () => {
  const { pane, tab } = state;
  const src = path.join(local, "payload.bin");
  await writeFile(src, randomBytes(5 * 1024 * 1024 + 123));
  state.src = src;
  state.sum = await sha256(src);
  // The window's drop, as the running app serves it (test-fixtures: --test-drop).
  const { code, err } = await secondLaunch(["--test-drop", src]);
  assert(code === 0, `the drop launch exited ${code}: ${err.slice(-400)}`);
  await app.waitFor(`${pane} .upload-bar`, 15_000);
  const what = await text(`${pane} .upload-bar .transfer-what`);
  assert(what === "Upload payload.bin to shell/main:", `the bar says ${what}`);
  // Prefilled with the container's working directory (its `pwd`).
  const dir = await app.waitUntil("the working directory", 15_000, (sel) => {
    const v = document.querySelector(sel)?.value;
    return v && v !== "/tmp" ? v : null;
  }, `${pane} .transfer-dest`);
  assert(dir.startsWith("/") && existsSync(dir), `destination ${dir}`);
  state.podDir = dir;
  await screenshot("drop-bar");
  await app.click(`${pane} .upload-bar .transfer-go`);
  const up = await app.waitUntil("the upload listed", 15_000, () => document.querySelector(".transfer-item[data-transfer-id]")?.getAttribute("data-transfer-id"));
  state.upId = up;
  await transferState(pane, up, "done");
  const notice = await text(`${pane} .transfer-item[data-transfer-id="${up}"] .transfer-progress`);
  assert(/^Uploaded payload\.bin to shell\/main:.* \(5\.0 MiB\)$/.test(notice), `notice ${notice}`);
  // In the container: the same bytes, as its own sha256sum says.
  const input = `${pane} .xterm-helper-textarea`;
  await app.type(input, `sha256sum payload.bin${Keys.ENTER}`);
  await waitForLine(tab.id, (l) => l.startsWith(`${state.sum}  payload.bin`), "the container's sha256 of the upload");
  assert((await sha256(path.join(dir, "payload.bin"))) === state.sum, "the file in the container differs");
  await screenshot("uploaded");
});

test("Download… brings it back identical, and the sha256 button agrees", async () => {
  const { pane } = state;
  await app.click(".transfers-button");
  await app.click(".transfers-panel .transfers-download");
  await app.waitFor(`${pane} .download-bar`);
  await fill(`${pane} .download-bar .transfer-path`, `${state.podDir}/pay`);
  // Completion from the container's listing (of the directory typed last: each directory on
  // the way was listed as it was typed).
  const offered = await app.waitUntil("payload.bin offered", 15_000, (sel, want) => {
    const shown = [...document.querySelectorAll(sel)].map((e) => e.textContent);
    return shown.includes(want) ? shown : null;
  }, `${pane} .transfer-suggestions:not([hidden]) .transfer-suggestion`, `${state.podDir}/payload.bin`);
  assert(offered.every((o) => o.startsWith(`${state.podDir}/pay`)), `suggestions ${JSON.stringify(offered)}`);
  await app.type(`${pane} .download-bar .transfer-path`, Keys.TAB);
  await app.waitUntil("the completed path", 10_000, (sel, want) => document.querySelector(sel)?.value === want, `${pane} .download-bar .transfer-path`, `${state.podDir}/payload.bin`);
  // The native folder dialog (test-fixtures: its answer preset).
  await app.click(`${pane} .download-bar .transfer-choose`);
  await app.waitUntil("the folder chosen", 10_000, (sel, want) => document.querySelector(sel)?.textContent === want, `${pane} .download-bar .transfer-folder`, downloads);
  await screenshot("download-bar");
  await app.click(`${pane} .download-bar .transfer-go`);
  const down = await app.waitUntil("the download listed", 15_000, (up) => [...document.querySelectorAll(".transfer-item[data-transfer-id]")].map((e) => e.getAttribute("data-transfer-id")).find((id) => id !== up), state.upId);
  await transferState(pane, down, "done");
  const got = path.join(downloads, "payload.bin");
  assert((await sha256(got)) === state.sum, "the downloaded file differs from the one dropped");
  await app.click(`${pane} .transfer-item[data-transfer-id="${down}"] .transfer-sha-button`);
  const shown = await app.waitUntil("the sha256", 30_000, (sel) => document.querySelector(sel)?.textContent?.match(/^sha256 ([0-9a-f]{64})$/)?.[1], `${pane} .transfer-item[data-transfer-id="${down}"] .transfer-sha`);
  assert(shown === state.sum, `the app's sha256 ${shown}, the file's ${state.sum}`);
  await screenshot("downloaded-sha256");
});

test("a large download cancelled leaves no partial file under its final name", async () => {
  const { pane } = state;
  // 2 GiB in the container's directory (sparse here; tar still streams every byte).
  const big = path.join(state.podDir, "big.img");
  const f = await open(big, "w");
  await f.truncate(2 * 1024 * 1024 * 1024);
  await f.close();
  try {
    await app.click(".transfers-button");
    await app.click(".transfers-panel .transfers-download");
    await fill(`${pane} .download-bar .transfer-path`, big);
    await app.click(`${pane} .download-bar .transfer-go`);
    const item = `${pane} .transfer-item[data-state="running"]`;
    await app.waitFor(item, 15_000);
    // Bytes are moving: the strip shows how much of 2 GiB, and how fast.
    const progress = await app.waitUntil("bytes moving", 30_000, (sel) => {
      const t = document.querySelector(sel)?.textContent ?? "";
      return /^[\d.]+ (KiB|MiB|GiB) of 2\.0 GiB · /.test(t) ? t : null;
    }, `${item} .transfer-progress`);
    log(`progress: ${progress}`);
    await app.click(".transfers-button");
    await app.waitFor('.transfers-panel .transfer-row[data-state="running"]');
    await screenshot("large-download-progress");
    const id = await app.exec((sel) => document.querySelector(sel)?.getAttribute("data-transfer-id"), item);
    await app.click(`${item} .transfer-stop`);
    await transferState(pane, id, "cancelled");
    const notice = await text(`${pane} .transfer-item[data-transfer-id="${id}"] .transfer-progress`);
    assert(/no partial file was left/.test(notice), `notice ${notice}`);
    assert(!existsSync(path.join(downloads, "big.img")), "a partial big.img under its final name");
    const left = (await readdir(downloads)).filter((n) => n !== "payload.bin");
    assert(left.length === 0, `partial files left in the folder: ${left.join(", ")}`);
    await screenshot("cancelled");
  } finally {
    await rm(big, { force: true });
  }
});

test("a debug tab of `distroless` (no shell, no tar, no dd): a drop lands through its debug container and comes back identical", async () => {
  // The transfers panel the test before left open covers the pane.
  if (await app.exec(() => document.querySelector(".transfers-panel")?.hidden === false)) await app.click(".transfers-panel .transfers-close");
  await app.click('.pod[data-pod="distroless"] .pod-line');
  await app.click('.pod[data-pod="distroless"] .container[data-container="app"]');
  const plain = await app.waitUntil("the distroless tab", 15_000, () => window.__podterm.tabs().find((t) => t.pod === "distroless" && !t.debug));
  const plainPane = `.pane[data-tab-id="${plain.id}"]`;
  await app.waitFor(`${plainPane} .banner-debug`, 20_000);
  await app.click(`${plainPane} .banner-debug`);
  await app.waitFor("dialog.debug-offer[open]", 15_000);
  await app.click("dialog.debug-offer .debug-confirm");
  const tab = await app.waitUntil("the debug tab", 30_000, () => window.__podterm.tabs().find((t) => t.pod === "distroless" && t.debug));
  const pane = `.pane[data-tab-id="${tab.id}"]`;
  await app.waitFor(`.tab[data-tab-id="${tab.id}"][data-state="connected"]`, 30_000);
  // The container's files are this machine's: a directory here is the same path in the pod.
  const into = path.join(local, "distroless-in");
  await mkdir(into);
  const src = path.join(local, "tool.bin");
  await writeFile(src, randomBytes(2 * 1024 * 1024 + 77));
  const sum = await sha256(src);
  const { code, err } = await secondLaunch(["--test-drop", src]);
  assert(code === 0, `the drop launch exited ${code}: ${err.slice(-400)}`);
  await app.waitFor(`${pane} .upload-bar`, 15_000);
  const via = await text(`${pane} .upload-bar .transfer-via`);
  assert(via?.startsWith(`Where app has no tar, cat, dd or base64, this goes through this tab's debug container ${tab.debug.name} (`), `the bar says ${via}`);
  await fill(`${pane} .transfer-dest`, into);
  await screenshot("drop-bar-debug-tab");
  await app.click(`${pane} .upload-bar .transfer-go`);
  const up = await app.waitUntil("the upload listed", 15_000, (sel) => document.querySelector(sel)?.getAttribute("data-transfer-id"), `${pane} .transfer-item[data-transfer-id]`);
  await transferState(pane, up, "done", 120_000);
  assert((await sha256(path.join(into, "tool.bin"))) === sum, "the file in the distroless container differs");
  await screenshot("uploaded-debug-tab");
  // Download… on the same tab: back into the folder, identical.
  await app.click(".transfers-button");
  await app.click(".transfers-panel .transfers-download");
  await app.waitFor(`${pane} .download-bar`);
  const viaDown = await text(`${pane} .download-bar .transfer-via`);
  assert(viaDown === via, `the download bar says ${viaDown}`);
  await fill(`${pane} .download-bar .transfer-path`, path.join(into, "tool.bin"));
  await app.click(`${pane} .download-bar .transfer-go`);
  const down = await app.waitUntil("the download listed", 15_000, (sel, up) => [...document.querySelectorAll(sel)].map((e) => e.getAttribute("data-transfer-id")).find((id) => id !== up), `${pane} .transfer-item[data-transfer-id]`, up);
  await transferState(pane, down, "done", 120_000);
  assert((await sha256(path.join(downloads, "tool.bin"))) === sum, "the downloaded file differs from the one dropped");
  await screenshot("downloaded-debug-tab");
});

// ------------------------------------------------------------------------------------ run

await runTests(tests, {
  stopAfterFailure: true,
  onFailure: () => screenshot("failure"),
  cleanup: async () => {
    await app.close();
    for (const d of [configDir, xdgConfig, local]) await rm(d, { recursive: true, force: true });
  },
  before: [`screenshots: ${results}`],
});
