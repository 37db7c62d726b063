// Recordings in the real app (issue 18): a profile set in the form to record every session
// opens a shell whose tab is marked ● REC from the start; `printf 'REC-%s\n' $((6*7))` is typed
// and the tab closed; the recording is listed in the Recordings view and plays in the app's
// player until REC-42 is in its terminal; and the real asciinema (`.venv/bin/asciinema cat`,
// PyPI asciinema 2.4, installed by `make deps`) prints REC-42 from the same file.
//
//   bash scripts/with-keyring.sh node tests/app/recordings.mjs
//     (PODTERM_APP as for app.mjs; PODTERM_TESTCLUSTER: the testcluster binary, default
//      target/debug/testcluster; PODTERM_ASCIINEMA: default .venv/bin/asciinema)
//
// Screenshots go to ui/test-results/app-recordings/ (the player's is also docs/recording-player.png
// when PODTERM_DOCS_SHOTS=1). The last line is "N passed, N failed".
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp, runTests, waitFor } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const testclusterBin = path.resolve(process.env.PODTERM_TESTCLUSTER ?? path.join(repo, "target", "debug", "testcluster"));
const asciinema = path.resolve(process.env.PODTERM_ASCIINEMA ?? path.join(repo, ".venv", "bin", "asciinema"));
const results = path.join(repo, "ui", "test-results", "app-recordings");
await rm(results, { recursive: true, force: true });
await mkdir(results, { recursive: true });
const log = (m) => console.log(`  · ${m}`);

for (const [bin, how] of [[testclusterBin, "cargo build --workspace --tests --bin testcluster --bin podterm (as make test-app does)"], [asciinema, "make deps (asciinema from PyPI into .venv)"]]) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: ${how}`);
}

/** Runs a program to its end: its exit code and output. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.once("error", reject);
    p.once("exit", (code) => resolve({ code, out, err }));
  });
}

// ------------------------------------------------------------------ testcluster and the app

const work = await mkdtemp(path.join(tmpdir(), "podterm-e2e-rec-"));
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

const configDir = path.join(work, "config");
const xdgConfig = path.join(work, "xdg");
await mkdir(configDir);
await mkdir(xdgConfig);
// The app's recordings folder when PODTERM_CONFIG_DIR is set (podterm_core::recordings::default_folder).
const folder = path.join(configDir, "recordings");
const app = await launchApp({ binary, env: { RUST_LOG: "warn", PODTERM_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdgConfig }, log });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  return app.screenshot(path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`));
}
const tabs = () => app.exec(() => window.__podterm.tabs());
const isPrompt = (l) => /[$#] ?$/.test(l);

/** The player's terminal, line by line. */
const playerLines = () =>
  app.exec(() => {
    const term = window.__podterm.player;
    if (!term) return [];
    const buf = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? "");
    return lines;
  });

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const state = {};

test("the testcluster's kubeconfig is imported and its profile set to record every session", async () => {
  await app.waitFor(".add-profile", 20_000);
  await app.waitUntil("the add menu open", 20_000, () => {
    const menu = document.querySelector(".add-menu");
    if (menu && !menu.hidden) return true;
    document.querySelector(".add-profile")?.click();
    return false;
  });
  await app.type(".import-path", kubeconfig);
  await app.click(".import-form button[type=submit]");
  await app.waitFor('.profile[data-profile="demo-admin"]', 20_000);
  // The row's buttons show on hover only: a click on the button itself, in the page.
  await app.exec(() => document.querySelector('.profile[data-profile="demo-admin"] .edit-profile').click());
  await app.waitFor("dialog.profile-form[open] input[name=recordSessions]");
  assert(await app.exec(() => document.querySelector("dialog.profile-form input[name=recordInput]").disabled), "input recording open before recording is");
  await app.click("dialog.profile-form label.field-check:has(input[name=recordSessions]) span");
  assert(await app.exec(() => document.querySelector("dialog.profile-form input[name=recordSessions]").checked), "the box is not ticked");
  await screenshot("profile-form-recording");
  await app.click("dialog.profile-form button[type=submit]");
  await app.waitUntil("the form to close", 10_000, () => !document.querySelector("dialog.profile-form"));
  const saved = JSON.parse(await readFile(path.join(configDir, "profiles.json"), "utf8"));
  const p = (saved.profiles ?? saved).find?.((x) => x.name === "demo-admin") ?? JSON.stringify(saved);
  assert(p.record_sessions === true && !p.record_input && !p.record_folder, `profiles.json has ${JSON.stringify(p)}`);
  await app.click('.profile[data-profile="demo-admin"]');
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
});

test("its shell is recorded from the first byte: ● REC on the tab, the command typed, the tab closed", async () => {
  const before = (await tabs()).map((t) => t.id);
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const t = await app.waitUntil("a new tab", 10_000, (ids) => window.__podterm.tabs().find((x) => !ids.includes(x.id)), before);
  await app.waitFor(`.tab[data-tab-id="${t.id}"][data-state="connected"]`, 20_000);
  // The engine said "recording" before "connected": the marker is there once it is connected.
  const title = await app.exec((id) => document.querySelector(`.tab[data-tab-id="${id}"] .tab-rec`)?.title ?? null, t.id);
  assert(title && title.startsWith(`Recording to ${folder}/demo-admin_demo_shell_main_`) && title.endsWith("Z.cast"), `the marker: ${title}`);
  await app.waitForLine(t.id, isPrompt, "a prompt");
  await app.type(`.pane[data-tab-id="${t.id}"] .xterm-helper-textarea`, "printf 'REC-%s\\n' $((6*7))");
  await app.type(`.pane[data-tab-id="${t.id}"] .xterm-helper-textarea`, Keys.ENTER);
  await app.waitForLine(t.id, (l) => l === "REC-42", "REC-42");
  await screenshot("recording-tab");
  state.file = title.slice("Recording to ".length);
  await app.exec((id) => document.querySelector(`.tab[data-tab-id="${id}"] .tab-close`).click(), t.id);
  await app.waitUntil("the tab closed", 10_000, (id) => !document.querySelector(`.tab[data-tab-id="${id}"]`), t.id);
  const names = await readdir(folder);
  assert(names.length === 1 && path.join(folder, names[0]) === state.file, `the folder holds ${JSON.stringify(names)}`);
  const mode = (await stat(state.file)).mode & 0o777;
  assert(mode === 0o600, `mode ${mode.toString(8)}`);
  // Finished: the file's text holds the answer, and no input event (not asked for).
  const text = await waitFor("the recording written", async () => {
    const s = await readFile(state.file, "utf8");
    return s.includes("REC-42") ? s : null;
  }, 10_000);
  assert(!/^\[[\d.]+, "i"/m.test(text), "input was recorded");
});

test("the recording is listed and plays in the app's player to REC-42", async () => {
  await app.exec(() => document.querySelector(".recordings-button").click());
  await app.waitFor("dialog.recordings-dialog[open] .recording-row", 10_000);
  const rows = await app.exec(() =>
    [...document.querySelectorAll(".recording-row")].map((r) => ({
      id: r.dataset.id,
      title: r.querySelector(".recording-title").textContent,
      file: r.querySelector(".recording-file").textContent,
    })),
  );
  const name = path.basename(state.file);
  assert(rows.length === 1 && rows[0].file === name && rows[0].title.startsWith("demo-admin: demo/shell/main"), `rows ${JSON.stringify(rows)}`);
  await screenshot("recordings-list");
  await app.exec((id) => document.querySelector(`.recording-row[data-id="${id}"] .recording-play`).click(), rows[0].id);
  await waitFor("REC-42 in the player", async () => (await playerLines()).includes("REC-42"), 20_000).catch(async (e) => {
    throw new Error(`${e.message}; the player shows:\n${(await playerLines()).filter(Boolean).slice(-10).join("\n")}`);
  });
  await app.waitFor('.recording-player[data-state="ended"]', 30_000);
  const shotFile = await screenshot("recording-player");
  if (process.env.PODTERM_DOCS_SHOTS === "1") await copyFile(shotFile, path.join(repo, "docs", "recording-player.png"));
  await app.exec(() => document.querySelector(".recordings-close").click());
  await app.waitUntil("the dialog closed", 10_000, () => !document.querySelector("dialog.recordings-dialog"));
});

test("the real asciinema plays the same file: `asciinema cat` prints REC-42", async () => {
  const r = await run(asciinema, ["cat", state.file]);
  assert(r.code === 0, `asciinema cat exited ${r.code}: ${r.err.slice(-500)}`);
  // What the terminal got, escapes and all (bracketed paste, erase): the line as shown.
  const shown = r.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n/).map((l) => l.replace(/\r/g, ""));
  assert(shown.includes("REC-42"), `asciinema cat printed:\n${JSON.stringify(r.out.slice(-800))}`);
});

await runTests(tests, {
  stopAfterFailure: true,
  onFailure: async () => {
    await screenshot("failure");
  },
  cleanup: async () => {
    await app.close();
    for (const c of children) c.kill("SIGTERM");
    await rm(work, { recursive: true, force: true });
  },
  before: [`screenshots: ${results}`],
});
