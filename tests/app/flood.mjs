// A flood never holds a keystroke back (issue 13) in the real app: the release binary
// (test-fixtures) under Xvfb through WebDriver, its in-app Demo cluster, the default settings
// (a tab behind a flood skips what it could no longer show). `yes` floods a tab; Ctrl-C, then
// `echo MARK-$((6*7))` and Enter (real key events): MARK-42 and a prompt after it come back, and
// every line of the scrollback before the interrupt is a whole `y` line (the tail the tab drew
// in place of the flood left nothing garbled). No timing is asserted: each wait is on a state,
// with a deadline. Part of `make test-app`.
//
//   node tests/app/flood.mjs     (PODTERM_APP: the binary; default target/release/podterm-desktop)
//
// Screenshots: ui/test-results/app-flood/.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const results = path.join(repo, "ui", "test-results", "app-flood");
await mkdir(results, { recursive: true });
const log = (m) => console.log(`  · ${m}`);
const adminPort = await freePort();
const configDir = await mkdtemp(path.join(tmpdir(), "podterm-flood-config-"));
const xdgConfig = await mkdtemp(path.join(tmpdir(), "podterm-flood-xdg-"));
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
const isPrompt = (l) => /[$#] ?$/.test(l);

let ok = false;
try {
  await app.click("#demo-cluster", 20_000);
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
  const before = new Set((await tabs()).map((t) => t.id));
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const tab = await app.waitUntil("a new tab", 10_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), [...before]);
  await app.waitForLine(tab.id, isPrompt, "a prompt", 20_000);
  const drawEveryByte = await app.exec(() => document.querySelector("#draw-every-byte")?.checked ?? null);
  assert(drawEveryByte === false, `"Draw every byte of a flood" is ${drawEveryByte}, not off by default`);

  const textarea = `.pane[data-tab-id="${tab.id}"] .xterm-helper-textarea`;
  await app.type(textarea, "yes");
  await app.type(textarea, Keys.ENTER);
  // The flood fills the scrollback (its lines, then the screen's, all `y`).
  const limit = await app.waitUntil("the scrollback full of `y`", 60_000, (id) => {
    const term = window.__podterm.terminals.get(id);
    if (!term) return null;
    const buf = term.buffer.active;
    const limit = term.options.scrollback;
    return buf.length >= limit + term.rows && buf.getLine(buf.length - 2)?.translateToString(true) === "y" ? limit : null;
  }, tab.id);
  log(`scrollback of ${limit} lines full of y`);
  await screenshot("flooding");

  // Ctrl-C, then a command: its answer and a prompt come back while `yes` was flooding.
  await app.type(textarea, Keys.CONTROL + "c" + Keys.NULL);
  await app.type(textarea, "echo MARK-$((6*7))");
  await app.type(textarea, Keys.ENTER);
  const lines = await app.waitForLine(tab.id, (l) => l === "MARK-42", "MARK-42 after Ctrl-C", 120_000);
  const mark = lines.lastIndexOf("MARK-42");
  const after = await app.waitUntil("a prompt after MARK-42", 60_000, (id) => {
    const term = window.__podterm.terminals.get(id);
    const buf = term.buffer.active;
    const out = [];
    for (let i = 0; i < buf.length; i++) out.push(buf.getLine(i)?.translateToString(true) ?? "");
    const at = out.lastIndexOf("MARK-42");
    return at >= 0 && out.slice(at + 1).some((l) => /[$#] ?$/.test(l)) ? out : null;
  }, tab.id);
  await screenshot("answered");

  // Before the interrupt: whole `y` lines only. The interrupt's own line may end in `^C`, and
  // the typed command is echoed once the shell is back.
  const upTo = after.slice(0, after.lastIndexOf("MARK-42"));
  const interrupted = upTo.findIndex((l) => l.includes("^C") || l.includes("MARK"));
  assert(interrupted > 0, `no interrupt line before MARK-42: ${JSON.stringify(upTo.slice(-5))}`);
  const flood = upTo.slice(0, interrupted);
  const odd = flood.map((l, i) => [i, l]).filter(([, l]) => l !== "y");
  assert(odd.length === 0, `${odd.length} lines of the flood are not "y", first ${JSON.stringify(odd.slice(0, 5))}`);
  assert(flood.length > limit / 2, `only ${flood.length} lines of y before the interrupt`);
  assert(/^y?\^C/.test(upTo[interrupted]) || upTo[interrupted].includes("MARK"), `the interrupt's line: ${JSON.stringify(upTo[interrupted])}`);
  log(`${flood.length} lines of y, then ${JSON.stringify(after.slice(interrupted, Math.min(after.length, mark + 2)))}`);
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
console.log(ok ? "flood: 1 passed, 0 failed" : "flood: 0 passed, 1 failed");
process.exit(ok ? 0 : 1);
