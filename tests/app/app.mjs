// End-to-end tests of the real desktop app (the release binary, UI embedded) under Xvfb, driven
// by tauri-driver + WebKitWebDriver, against the in-app Demo cluster (testcluster on loopback).
//
//   node tests/app/app.mjs      (PODTERM_APP: the binary; default target/release/podterm-desktop,
//                               built with the test-fixtures feature: `make test-app` does both)
//
// Screenshots of every stage go to ui/test-results/app/. The last line is "N passed, N failed".
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp, listenerPids, processTree, runTests, sleep, waitFor, webProcess } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const results = path.join(repo, "ui", "test-results", "app");
await mkdir(results, { recursive: true });

const adminPort = await freePort();
const admin = `http://127.0.0.1:${adminPort}`;
const log = (m) => console.log(`  · ${m}`);
// Its own config directories: profiles and favourites (PODTERM_CONFIG_DIR), window state (XDG).
const configDir = await mkdtemp(path.join(tmpdir(), "podterm-e2e-config-"));
const xdgConfig = await mkdtemp(path.join(tmpdir(), "podterm-e2e-xdg-"));
const appEnv = { PODTERM_DEMO_ADMIN: `127.0.0.1:${adminPort}`, RUST_LOG: "warn", PODTERM_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdgConfig };
let app = await launchApp({ binary, env: appEnv, log });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  const file = path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`);
  await app.screenshot(file);
  return file;
}

const tabs = () => app.exec(() => window.__podterm.tabs());
const activeTab = async () => (await tabs()).find((t) => t.active);

const bufferLines = (tabId) => app.bufferLines(tabId);

const waitForLine = (tabId, predicate, what, timeout = 10_000) => app.waitForLine(tabId, predicate, what, timeout);

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

/** A connected tab's shell shows its prompt, echoes `word`, and its output came on a page
 *  socket (a loopback WebSocket), not the Channel. */
async function shellEchoesOnSocket(tabId, word, prompt = "a prompt") {
  await waitTabState(tabId, "connected");
  await waitForLine(tabId, isPrompt, prompt);
  await typeLine(tabId, `echo ${word}`);
  await waitForLine(tabId, (l) => l === word, `a line '${word}'`);
  const transport = await app.exec((id) => window.__podterm.transports.get(id), tabId);
  assert(transport === "socket", `the tab's output came on ${transport}, not its page socket`);
}

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
  // config_dir through the real IPC: the directory this app was given.
  await app.waitFor(".welcome .config-dir", 20_000);
  const where = await text(".welcome .config-dir code");
  assert(where === configDir, `the card says ${where}, not ${configDir}`);
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

test("pod `shell`: `echo hello` shows hello; the first tab too was made ahead, when its pod's picker opened", async () => {
  // ui/src/terminal/workspace.ts (`expectTab`): a pod's picker opening is a sign a tab comes
  // next: the page makes its terminal then and, before any tab, learns that page sockets open
  // here, so the first tab also starts its session and its socket together.
  assert((await tabs()).length === 0 && (await app.exec(() => window.__podterm.spare())) === null, "a spare before any sign");
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.waitUntil("the first tab's terminal made ahead, page sockets known to open", 15_000, () => {
    const s = window.__podterm.spare();
    return s?.ticket === true && s.sockets === true;
  });
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const tab = await app.waitUntil("a new tab", 10_000, () => window.__podterm.tabs()[0]);
  state.tabId = tab.id;
  const start = await app.exec((id) => window.__podterm.starts.get(id), tab.id);
  assert(start === "together", `the first tab's session started ${start}, not together with its socket`);
  await shellEchoesOnSocket(tab.id, "hello");
  await screenshot("echo-hello");
});

/** The desktop's clipboard as another application reads it (xclip on the app's X display). */
function desktopClipboard() {
  if (!existsSync("/usr/bin/xclip")) throw new Error("xclip is missing: run `make deps` (apt package xclip)");
  return new Promise((resolve) => {
    const x = spawn("xclip", ["-o", "-selection", "clipboard"], { env: { ...process.env, DISPLAY: app.env.DISPLAY }, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    x.stdout.on("data", (d) => (out += d));
    x.on("error", () => resolve(null));
    x.on("exit", (code) => resolve(code === 0 ? out : null));
  });
}

test("copy and paste go through the desktop's clipboard: Ctrl+Shift+C, the terminal's menu, Ctrl+Shift+V", async () => {
  const id = state.tabId;
  const ta = `.pane[data-tab-id="${id}"] .xterm-helper-textarea`;
  await typeLine(id, "echo clip-$((4700+11))");
  await waitForLine(id, (l) => l === "clip-4711", "clip-4711");
  // Ctrl+Shift+C copies the selection (made here from the page; the key is a person's).
  await app.exec((tab) => window.__podterm.terminals.get(tab).selectAll(), id);
  await app.type(ta, `${Keys.CONTROL}${Keys.SHIFT}c${Keys.NULL}`);
  const copied = await waitFor("the selection on the desktop's clipboard", async () => {
    const c = await desktopClipboard();
    return c !== null && c.includes("clip-4711") ? c : null;
  }, 10_000);
  assert(copied.includes("echo clip-$((4700+11))"), `the clipboard holds ${JSON.stringify(copied.slice(-120))}`);
  await app.exec((tab) => window.__podterm.terminals.get(tab).clearSelection(), id);
  // Another application's text, pasted with Ctrl+Shift+V, reaches the shell once.
  // -quiet: in the foreground, serving the clipboard until killed.
  const owner = spawn("xclip", ["-quiet", "-i", "-selection", "clipboard"], { env: { ...process.env, DISPLAY: app.env.DISPLAY }, stdio: ["pipe", "ignore", "ignore"] });
  try {
    owner.stdin.end("echo pasted-$((800+15))");
    await waitFor("the desktop's clipboard set", async () => ((await desktopClipboard()) === "echo pasted-$((800+15))" ? true : null), 10_000);
    await app.type(ta, `${Keys.CONTROL}${Keys.SHIFT}v${Keys.NULL}`);
    await waitForLine(id, (l) => l.endsWith("echo pasted-$((800+15))"), "the pasted command on the prompt line");
    await app.type(ta, Keys.ENTER);
    await waitForLine(id, (l) => l === "pasted-815", "pasted-815 (the pasted command run)");
    // Pasted once: a second paste, late or on the same line, would show before the marker.
    await typeLine(id, "echo end-$((1+1))");
    const lines = await waitForLine(id, (l) => l === "end-2", "end-2");
    const pasted = lines.join("\n").split("echo pasted-$((800+15))").length - 1;
    assert(pasted === 1, `pasted ${pasted} times: ${JSON.stringify(lines.slice(-6))}`);
  } finally {
    owner.kill();
  }
  // A pod's menu copies its name (a click on the item, as a person's: the webview lets only a
  // gesture write the clipboard).
  await app.exec(() => {
    const row = document.querySelector('.pod[data-pod="shell"] .pod-line');
    const r = row.getBoundingClientRect();
    row.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true, clientX: r.left + 20, clientY: r.top + 5, button: 2 }));
  });
  await clickMenuItem("Copy name");
  await waitFor("the pod's name on the desktop's clipboard", async () => ((await desktopClipboard()) === "shell" ? true : null), 10_000);
  await app.waitUntil("the sidebar's notice", 10_000, () => document.querySelector(".sidebar .messages .message.notice .message-text")?.textContent === "Copied shell");
  // The terminal's menu copies its tab's pod name (another application's text on the clipboard
  // first, so the name is surely written again).
  const other = spawn("xclip", ["-quiet", "-i", "-selection", "clipboard"], { env: { ...process.env, DISPLAY: app.env.DISPLAY }, stdio: ["pipe", "ignore", "ignore"] });
  try {
    other.stdin.end("not-the-pod");
    await waitFor("the desktop's clipboard set", async () => ((await desktopClipboard()) === "not-the-pod" ? true : null), 10_000);
    await app.exec((tab) => {
      const r = document.querySelector(`.pane[data-tab-id="${tab}"] .term-host`).getBoundingClientRect();
      const at = { clientX: r.left + 100, clientY: r.top + 50 };
      document.elementFromPoint(at.clientX, at.clientY).dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true, ...at, button: 2 }));
    }, id);
    await clickMenuItem("Copy pod name");
    await waitFor("the tab's pod name on the desktop's clipboard", async () => ((await desktopClipboard()) === "shell" ? true : null), 10_000);
    await app.waitUntil("the tab's notice", 10_000, (tab) => document.querySelector(`.pane[data-tab-id="${tab}"] .toast`)?.textContent === "Copied shell", id);
  } finally {
    other.kill();
  }
});

/** Clicks the open right-click menu's item `label` (as a person's click: the webview lets only a
 * gesture write the clipboard). */
async function clickMenuItem(label) {
  const nth = await app.waitUntil(`the menu's ${label}`, 10_000, (want) => {
    const items = [...(document.querySelector(".context-menu")?.children ?? [])];
    const i = items.findIndex((e) => e.textContent === want);
    return i < 0 ? null : i + 1;
  }, label);
  await app.click(`.context-menu > :nth-child(${nth})`);
}

test("the next tab's terminal is made ahead: its session and its page socket start at once, and it works", async () => {
  // ui/src/terminal/workspace.ts (the spare terminal): once a tab is open, the page makes the
  // next tab's terminal and asks for its socket's address; that tab then opens its session and
  // connects its socket together (podterm_core::pagesocket keeps what the shell prints first).
  await app.waitUntil("the next tab's terminal and its socket's address made ahead", 15_000, () => window.__podterm.spare()?.ticket === true);
  const first = state.tabId;
  const tab = await openPod("shell", "main");
  assert(tab.id !== first, "a new tab");
  const start = await app.exec((id) => window.__podterm.starts.get(id), tab.id);
  assert(start === "together", `the tab's session started ${start}, not together with its socket`);
  await shellEchoesOnSocket(tab.id, "made ahead", "a prompt (printed before the page's socket connected, kept for it)");
  // Its pane is the one shown, and the first tab's is not (nothing of the spare left over).
  const shown = await app.exec(() => [...document.querySelectorAll(".pane:not([hidden])")].map((p) => p.dataset.tabId ?? "none"));
  assert(shown.length === 1 && shown[0] === String(tab.id), `the panes shown: ${JSON.stringify(shown)}`);
  await screenshot("tab-made-ahead");
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
  await app.waitUntil("the tab closed", 10_000, (id) => !window.__podterm.tabs().some((t) => t.id === id), tab.id);

  // When such a socket does not open (the page's WebSocket fails once, made to here), the tab
  // starts again the other way: its socket first, then its session, and it works.
  await app.waitUntil("the next tab's terminal made ahead again", 15_000, () => window.__podterm.spare()?.ticket === true);
  await app.exec(() => {
    const Real = window.WebSocket;
    window.WebSocket = function (url) {
      window.WebSocket = Real;
      const ws = new Real("ws://127.0.0.1:1/refused");
      void url;
      return ws;
    };
    window.WebSocket.prototype = Real.prototype;
    return true;
  });
  const again = await openPod("shell", "main");
  await app.waitUntil("the tab started again, its socket first", 15_000, (id) => window.__podterm.starts.get(id) === "socketFirst" && window.__podterm.tabs().find((t) => t.id === id)?.attempt > 1, again.id);
  await waitForLine(again.id, (l) => l.includes("[reconnecting]"), "the notice that it started again");
  await shellEchoesOnSocket(again.id, "second way");
  await app.click(`.tab[data-tab-id="${again.id}"] .tab-close`);
  await app.waitUntil("the tab closed", 10_000, (id) => !window.__podterm.tabs().some((t) => t.id === id), again.id);
  await app.click(`.tab[data-tab-id="${first}"]`);
});

test("a key's echo in a quiet tab is drawn as soon as it is parsed, not at the next frame", async () => {
  // ui/src/terminal/paint.ts: the page's row shows the echo when xterm.js has parsed it, before
  // any animation frame (where xterm.js alone would draw it). Checked as the echo arrives: a
  // listener after the painter's reads the buffer and the drawn row in the same turn.
  const ta = `.pane[data-tab-id="${state.tabId}"] .xterm-helper-textarea`;
  const results = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const letter = "QWE"[attempt];
    await app.exec(async (id, letter) => {
      const term = window.__podterm.terminals.get(id);
      const painter = window.__podterm.painters.get(id);
      // Quiet: nothing parsed for 100 ms.
      let last = performance.now();
      const quiet = term.onWriteParsed(() => (last = performance.now()));
      while (performance.now() - last < 100) await new Promise((r) => setTimeout(r, 10));
      quiet.dispose();
      const r = (window.__echoPaint = { engaged: painter?.engaged ?? false, before: painter?.drawnAtOnce ?? 0, seen: null });
      const parsed = term.onWriteParsed(() => {
        const buf = term.buffer.active;
        if (!buf.getLine(buf.baseY + buf.cursorY)?.translateToString(true).includes(letter)) return;
        const row = term.element.querySelectorAll(".xterm-rows > div")[buf.cursorY];
        r.seen = {
          drawn: row?.textContent?.includes(letter) ?? false,
          atOnce: painter.drawnAtOnce - r.before,
          // The painter's own reading of this parse (its listener ran before this one): other
          // output within a frame before the echo, so the tab was not quiet.
          outputJustBefore: !painter.lastQuiet,
        };
        parsed.dispose();
      });
    }, state.tabId, letter);
    await app.type(ta, letter);
    const r = await app.waitUntil("the echo parsed", 10_000, () => window.__echoPaint.seen && window.__echoPaint);
    results.push(r);
    assert(r.engaged, "the tab's painter is not engaged: xterm.js's render debouncer was not found (paint.ts)");
    if (r.seen.atOnce === 1) {
      assert(r.seen.drawn, `the painter drew, yet the row did not show the echo: ${JSON.stringify(r)}`);
      break;
    }
    // Left for the next frame: only right when other output came just before the echo.
    assert(r.seen.outputJustBefore, `the echo came to a quiet tab but was left for the next frame: ${JSON.stringify(r)}`);
  }
  assert(results.at(-1).seen.atOnce === 1, `never drawn at once in 3 tries: ${JSON.stringify(results)}`);
  await app.type(ta, `${Keys.CONTROL}u${Keys.NULL}`);
});

test("a selection made with the mouse is drawn and follows output; with none, scrolled output and scrollback are drawn as the buffer holds them", async () => {
  // ui/src/terminal/selection.ts skips xterm's redraw of every row for a selection that is not
  // there: what the screen shows must still follow the buffer, and a real selection still draws.
  const id = state.tabId;
  const pane = `.pane[data-tab-id="${id}"]`;
  const sessionId = (await tabs()).find((t) => t.id === id).sessionId;
  const send = (data) => app.exec((sid, data) => window.__TAURI_INTERNALS__.invoke("send_input", { id: sid, data }).then(() => true), sessionId, data);
  const selection = () => app.exec((id) => window.__podterm.selections.get(id), id);
  const s0 = await selection();
  assert(s0?.engaged, `the tab's selection-redraw skip is not engaged: ${JSON.stringify(s0)} (xterm.js's render service was not found)`);
  await typeLine(id, "seq 1 60");
  await waitForLine(id, (l) => l === "60", "seq's 60");
  // The rows on screen against the buffer's lines at the viewport (xterm writes spaces as U+00A0).
  const screenMatchesBuffer = async (what) => {
    const read = () => app.exec((id) => {
      const term = window.__podterm.terminals.get(id);
      const buf = term.buffer.active;
      const rows = [...term.element.querySelectorAll(".xterm-rows > div")].map((r) => r.textContent.replace(/\u00a0/g, " ").trimEnd());
      const lines = [];
      for (let i = 0; i < term.rows; i++) lines.push((buf.getLine(buf.viewportY + i)?.translateToString(true) ?? "").trimEnd());
      const same = rows.length === lines.length && rows.every((r, i) => r === lines[i]);
      return { same, viewportY: buf.viewportY, baseY: buf.baseY, first: rows[0], last: rows.findLast((r) => r), rows, lines };
    }, id);
    const deadline = Date.now() + 10_000;
    let r = await read();
    while (!r.same && Date.now() < deadline) {
      await sleep(50);
      r = await read();
    }
    const diff = r.rows.map((row, i) => row !== r.lines[i] && `row ${i}: ${JSON.stringify(row)} ≠ ${JSON.stringify(r.lines[i])}`).filter(Boolean);
    assert(r.same, `${what}: the rows on screen differ from the buffer (${r.rows.length} rows, ${r.lines.length} lines): ${diff.slice(0, 4).join("; ")}`);
    return r;
  };
  // A drag across three rows with the mouse.
  const box = await app.exec((sel) => {
    const r = document.querySelector(`${sel} .xterm-screen`).getBoundingClientRect();
    const cell = window.__podterm.terminals.get(Number(document.querySelector(sel).dataset.tabId))._core._renderService.dimensions.css.cell;
    return { x: r.left, y: r.top, w: cell.width, h: cell.height, rows: window.__podterm.terminals.get(Number(document.querySelector(sel).dataset.tabId)).rows };
  }, pane);
  // Mid-screen: the output below scrolls it up by ~5 rows, not off the screen.
  const mid = Math.floor(box.rows / 2);
  const at = (col, row) => ({ type: "pointerMove", origin: "viewport", x: Math.round(box.x + box.w * (col + 0.5)), y: Math.round(box.y + box.h * (row + 0.5)) });
  await app.cmd("POST", "/actions", {
    actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [at(0, mid), { type: "pointerDown", button: 0 }, at(3, mid + 1), at(6, mid + 2), { type: "pointerUp", button: 0 }] }],
  });
  await app.cmd("DELETE", "/actions");
  const selected = await app.waitUntil("the dragged rows selected and drawn", 10_000, (sel) => {
    const term = window.__podterm.terminals.get(Number(document.querySelector(sel).dataset.tabId));
    const drawn = document.querySelectorAll(`${sel} .xterm-selection > div`).length;
    return term.hasSelection() && drawn > 0 && { text: term.getSelection(), drawn };
  }, pane);
  log(`selected with the mouse: ${JSON.stringify(selected)}`);
  await screenshot("selection-drawn");
  // Output that scrolls while the selection is there (sent past the keyboard, which would clear
  // it): the selection stays drawn, moved with its lines.
  const top = await app.exec((sel) => document.querySelector(`${sel} .xterm-selection > div`).style.top, pane);
  await send("seq 61 64\r");
  await waitForLine(id, (l) => l === "64", "seq's 64");
  const moved = await app.waitUntil("the selection redrawn where its lines went", 10_000, (sel, top) => {
    const d = document.querySelector(`${sel} .xterm-selection > div`);
    return d && d.style.top !== top && d.style.top;
  }, pane, top);
  log(`the selection moved from ${top} to ${moved} as output scrolled`);
  await screenshot("selection-scrolled");
  // Cleared: its elements go; then output scrolls with nothing selected, and its redraws are skipped.
  await app.exec((id) => window.__podterm.terminals.get(id).clearSelection(), id);
  await app.waitUntil("the cleared selection's elements gone", 10_000, (sel) => document.querySelectorAll(`${sel} .xterm-selection > div`).length === 0, pane);
  // A resize redraws the selection xterm's renderer last drew (it keeps it past the clearing):
  // the next scroll's request must go through, or that highlight stays.
  await app.exec((id) => {
    const t = window.__podterm.terminals.get(id);
    t.resize(t.cols - 1, t.rows);
    t.resize(t.cols + 1, t.rows);
    return true;
  }, id);
  const skippedBefore = (await selection()).skipped;
  await send("seq 65 130\r");
  await waitForLine(id, (l) => l === "130", "seq's 130");
  await app.waitUntil("no selection drawn once output scrolled after the resize", 10_000, (sel) => document.querySelectorAll(`${sel} .xterm-selection > div`).length === 0, pane);
  const bottom = await screenMatchesBuffer("the screen to show the buffer's last lines");
  assert(bottom.viewportY === bottom.baseY && /^\d+$|[$#] ?$/.test(bottom.last), `the screen is not at the end of the output: ${JSON.stringify(bottom)}`);
  // The first scroll's request cleared what the resize drew; later ones, with nothing selected,
  // are skipped: output that scrolls, a line at a time, until one is (each waited until drawn).
  let skipped = (await selection()).skipped - skippedBefore;
  for (let i = 0; i < 20 && skipped === 0; i++) {
    await send(`echo tick${i}\r`);
    await waitForLine(id, (l) => l === `tick${i}`, `tick${i}`);
    await app.exec(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
    skipped = (await selection()).skipped - skippedBefore;
  }
  assert(skipped > 0, "output scrolled 20 times with nothing selected, yet no redraw of an empty selection was skipped");
  await screenMatchesBuffer("the screen to show the buffer's last lines after the ticks");
  // Scrolled back with Shift+PageUp: the rows show the scrollback's lines.
  await app.type(`${pane} .xterm-helper-textarea`, Keys.SHIFT + "\uE00E" + Keys.NULL);
  await app.waitUntil("the view scrolled back", 10_000, (id) => {
    const b = window.__podterm.terminals.get(id).buffer.active;
    return b.viewportY < b.baseY;
  }, id);
  const back = await screenMatchesBuffer("the screen to show the scrollback's lines");
  log(`${skipped} empty-selection redraws skipped; scrolled back to line ${back.viewportY} of ${back.baseY}: ${back.first} … ${back.last}`);
  await screenshot("scrolled-back");
  // The scrollback erased (CSI 3 J) under the scrolled-back view moves the view to the bottom:
  // there xterm draws the new view only through the selection's redraw (the skip without its
  // rule for a view that was scrolled back left the first row showing 59 for 98).
  await send("printf '\\033[3J'; echo erased\r");
  await waitForLine(id, (l) => l === "erased", "the scrollback erased");
  const erased = await screenMatchesBuffer("the screen after the scrollback was erased under a scrolled-back view");
  log(`after CSI 3 J under the scrolled-back view: ${erased.first} … ${erased.last} (line ${erased.viewportY} of ${erased.baseY})`);
  await screenshot("scrollback-erased");
  await app.exec((id) => window.__podterm.terminals.get(id).scrollToBottom(), id);
  await screenMatchesBuffer("the screen back at the end");
});

test("what a pod prints arrives as it is: quotes, backslashes, script-like text, U+2028, multi-byte and invalid UTF-8", async () => {
  // Nothing a pod prints may be cut short or lose what follows it on its way into the page.
  await typeLine(state.tabId, "printf 'A\"B\\\\C`$(x)</script>\\342\\200\\250Z|\\342\\202\\254\\360\\237\\230\\200|\\377|end\\n'");
  // Waits for the line's end to be drawn, then checks all of it.
  const printed = (l) => l.startsWith('A"B') && l.endsWith("|end");
  const lines = await waitForLine(state.tabId, printed, "the printed line, to its end");
  const line = lines.find(printed);
  assert(line.startsWith('A"B\\C`$(x)</script>'), `the start is ${JSON.stringify(line)}`);
  // The euro sign and the emoji whole; after the invalid byte (xterm.js's decoder drops it)
  // nothing is lost.
  assert(line.includes("Z|€😀|") && /\|\uFFFD?\|end$/.test(line), `the end is ${JSON.stringify(line)}`);
  await screenshot("printed-as-is");
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
  // The viewer's list has a `shell` row too: wait for the Demo cluster's own list.
  await selectProfile("Demo cluster");
  await app.waitUntil("the Demo cluster's pods listed", 20_000, () => document.querySelector(".pods")?.dataset.shown?.startsWith("Demo cluster/"));
  await app.waitFor('.pod[data-pod="shell"]', 20_000);
});

test("a pod's Logs view (the L key) shows its log and its events", async () => {
  // A pod whose main process writes a known line, added through the Demo cluster's admin port.
  const pod = {
    namespace: "demo",
    name: "logger",
    labels: { app: "logger" },
    containers: [{ name: "main", command: ["sh", "-c", "echo hello from the log; printf '\\033[31mred words\\033[0m\\n'; exec sleep 3600"] }],
  };
  const res = await fetch(`${admin}/pods`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(pod) });
  assert(res.ok, `admin PUT: HTTP ${res.status} ${await res.text()}`);
  await app.waitFor('.pod[data-pod="logger"]', 20_000);
  await app.type('.pod[data-pod="logger"] .pod-line', "l");
  const tab = await app.waitUntil("a Logs tab", 10_000, () => window.__podterm.tabs().find((t) => t.kind === "logs" && t.pod === "logger"));
  const lines = await app.waitUntil("the known line", 15_000, (id) => {
    const texts = window.__podterm.logs.get(id)?.model.all().map((l) => l.text) ?? [];
    return texts.includes("hello from the log") ? texts : false;
  }, tab.id);
  log(`logs: ${JSON.stringify(lines)}`);
  await app.waitUntil("the red line in colour", 10_000, (id) =>
    [...document.querySelectorAll(`.pane[data-tab-id="${id}"] .log-line .fg-1`)].some((e) => e.textContent === "red words"), tab.id);
  const events = await app.waitUntil("the Started event", 15_000, (id) => {
    const t = document.querySelector(`.pane[data-tab-id="${id}"] .logs-events`)?.textContent ?? "";
    return /Started/.test(t) ? t : false;
  }, tab.id);
  log(`events: ${events.slice(0, 200)}`);
  const details = await text(`.pane[data-tab-id="${tab.id}"] .logs-details`);
  assert(/Running/.test(details ?? "") && /main Running/.test(details ?? ""), `details "${details}"`);
  await screenshot("logs-view");
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
});

test("distroless: one click on the offer, one on the question, and a debug shell sees the target's files", async () => {
  const tab = await openPod("distroless", "app");
  await waitTabState(tab.id, "lost");
  const pane = `.pane[data-tab-id="${tab.id}"]`;
  await app.waitFor(`${pane} .banner-debug:not([hidden])`, 10_000);
  // Failed in plain words, not "Connection lost" with the runtime's message.
  const why = await text(`${pane} .banner-text`);
  assert(/^This container has no shell: neither bash nor sh is in its image\./.test(why ?? ""), `banner "${why}"`);
  const run = await app.exec((sel) => {
    const b = document.querySelector(`${sel} .banner-button`);
    return b && !b.hidden ? b.textContent : null;
  }, pane);
  assert(run === "Run a command…", `the banner offers "${run}"`);
  assert((await text(`.tab[data-tab-id="${tab.id}"] .tab-status`)) !== "lost", "the tab calls a failed start lost");
  await screenshot("no-shell-debug-offer");
  await app.click(`${pane} .banner-debug`);
  await app.waitFor("dialog.debug-offer[open] .debug-confirm", 15_000);
  const fact = (k) => text(`dialog.debug-offer dd[data-fact="${k}"]`);
  const [image, target, name] = [await fact("image"), await fact("target"), await fact("name")];
  assert(image === "busybox:1.36", `image ${image}`);
  assert(/^app /.test(target ?? ""), `target ${target}`);
  assert(/^debugger-[a-z0-9]{5}$/.test(name ?? ""), `name ${name}`);
  const warning = await text("dialog.debug-offer .debug-warning");
  assert(/cannot be removed/.test(warning ?? ""), `warning ${warning}`);
  await screenshot("debug-offer");
  const before = (await tabs()).map((t) => t.id);
  await app.click("dialog.debug-offer .debug-confirm");
  const dbg = await app.waitUntil("the debug tab", 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
  await waitTabState(dbg.id, "connected", 30_000);
  await waitForLine(dbg.id, isPrompt, "the debug shell's prompt");
  const badge = await text(`.tab[data-tab-id="${dbg.id}"] .tab-debug`);
  assert(badge === "debug", `tab badge ${badge}`);
  // The shell starts in the target's working directory: it sees (and shares) the target's files.
  await typeLine(dbg.id, 'echo "cwd=$PWD"; echo from-debug > seen-by-target');
  await waitForLine(dbg.id, (l) => /^cwd=.*\/demo\/distroless\/app$/.test(l), "the target's working directory");
  await screenshot("debug-tab");
  // The target itself reads the file (its own `cat`: no shell there).
  const picked = (await tabs()).map((t) => t.id);
  await app.click('.pod[data-pod="distroless"] .pod-line');
  await app.waitFor(`.pod[data-pod="distroless"] .container[data-container="${name}"] .container-debug`, 15_000);
  await screenshot("debug-in-picker");
  await app.type('.pod[data-pod="distroless"] .picker input.command', "cat seen-by-target");
  await app.type('.pod[data-pod="distroless"] .picker input.command', Keys.ENTER);
  const cat = await app.waitUntil("the cat tab", 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), picked);
  await waitForLine(cat.id, (l) => l === "from-debug", "the target reading the debug shell's file");
  // The offer again: the running debug container is reused, nothing added.
  await app.click(`.tab[data-tab-id="${tab.id}"]`);
  await app.click(`${pane} .banner-debug`);
  await app.waitFor("dialog.debug-offer[open] .debug-confirm", 15_000);
  const title = await text("dialog.debug-offer h2");
  assert(title === `Open a shell in the debug container ${name}`, `second offer "${title}"`);
  const before2 = (await tabs()).map((t) => t.id);
  await app.click("dialog.debug-offer .debug-confirm");
  const dbg2 = await app.waitUntil("the second debug tab", 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before2);
  await waitTabState(dbg2.id, "connected", 30_000);
  assert(dbg2.debug?.name === name, `second debug tab ${JSON.stringify(dbg2)}`);
  await typeLine(dbg2.id, "cat seen-by-target");
  await waitForLine(dbg2.id, (l) => l === "from-debug", "the file from the second debug tab");
  for (const id of [dbg2.id, cat.id, dbg.id, tab.id]) await app.click(`.tab[data-tab-id="${id}"] .tab-close`);
});

test("a star on a Deployment's pod saves the Deployment as a favourite; the pointer on it makes its tab's terminal ahead", async () => {
  await app.click('.pod[data-pod="web-6b7f9c8d5-h2x4k"] .star');
  await app.waitFor('.favourite[data-favourite="web"]', 10_000);
  const row = await text('.favourite[data-favourite="web"]');
  assert(/deployment\/web/.test(row ?? "") && /demo/.test(row ?? ""), `favourite row "${row}"`);
  await screenshot("favourite");
  // The pointer on a favourite is a sign its tab comes next: the page makes the tab's terminal
  // then (workspace.ts, `expectTab`), here in a page made to have none yet.
  await app.exec(() => window.__podterm.dropSpare());
  await app.hover('.favourite[data-favourite="web"] .favourite-name');
  await app.waitUntil("a terminal made ahead with the pointer on the favourite", 15_000, () => window.__podterm.spare() !== null);
  const before = (await tabs()).map((t) => t.id);
  await app.click('.favourite[data-favourite="web"] .favourite-name');
  const tab = await app.waitUntil("the favourite's tab", 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
  assert(await app.exec((id) => window.__podterm.madeAhead.has(id), tab.id), "the favourite's tab made its terminal at the click");
  await waitTabState(tab.id, "connected");
  await waitForLine(tab.id, isPrompt, "a prompt");
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
  await app.waitUntil("the tab closed", 10_000, (id) => !window.__podterm.tabs().some((t) => t.id === id), tab.id);
});

/** Runs a second podterm-desktop with `args` in the app's environment; resolves to its exit code. */
function secondLaunch(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(app.binary, args, { env: app.env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`the second launch did not exit within 20 s (it should hand over and leave): ${err.slice(-400)}`));
    }, 20_000);
    p.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

async function expectFavouriteTab(before, what) {
  const tab = await app.waitUntil(`a tab from ${what}`, 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
  await waitTabState(tab.id, "connected");
  await waitForLine(tab.id, isPrompt, "a prompt");
  await typeLine(tab.id, "echo \"pod=$HOSTNAME\"");
  // The newest Ready pod of deployment/web.
  await waitForLine(tab.id, (l) => l === "pod=web-6b7f9c8d5-p9m7q", "the name of the newest web pod");
  return tab;
}

test("a second launch with --connect web is served by the running app (the tray's handler)", async () => {
  const pid = await app.pid();
  const before = (await tabs()).map((t) => t.id);
  const { code, err } = await secondLaunch(["--connect", "web"]);
  assert(code === 0, `second launch exited ${code}: ${err.slice(-400)}`);
  await expectFavouriteTab(before, "--connect web");
  assert((await app.pid()) === pid, "the first instance is not the one running");
  await screenshot("connect-from-second-launch");
});

test("a podterm://connect/web link is served the same way", async () => {
  const before = (await tabs()).map((t) => t.id);
  const { code, err } = await secondLaunch(["podterm://connect/web"]);
  assert(code === 0, `link launch exited ${code}: ${err.slice(-400)}`);
  await expectFavouriteTab(before, "podterm://connect/web");
});

test("a favourite whose pods all run but none is Ready opens in the newest, and its tab says so", async () => {
  const pods = ["web-6b7f9c8d5-p9m7q", "web-6b7f9c8d5-h2x4k"];
  const ready = async (value) => {
    for (const pod of pods) {
      const res = await fetch(`${admin}/pods/demo/${pod}/ready?value=${value}`, { method: "POST" });
      assert(res.ok, `admin ready=${value} ${pod}: HTTP ${res.status} ${await res.text()}`);
    }
  };
  await ready(false);
  try {
    const before = (await tabs()).map((t) => t.id);
    await app.click('.favourite[data-favourite="web"] .favourite-name');
    const tab = await app.waitUntil("the favourite's tab", 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
    await waitTabState(tab.id, "connected");
    // (A prefix: the whole note wraps in a narrower terminal.)
    await waitForLine(tab.id, (l) => l.startsWith("[No Ready pod for deployment/web; using web-6b7f9c8d5-p9m7q (not Ready"), "the note that the pod is not Ready");
    await waitForLine(tab.id, isPrompt, "a prompt");
    await typeLine(tab.id, 'echo "pod=$HOSTNAME"');
    await waitForLine(tab.id, (l) => l === "pod=web-6b7f9c8d5-p9m7q", "the name of the newest web pod");
    await screenshot("favourite-not-ready");
    await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
    await app.waitUntil("the tab closed", 10_000, (id) => !window.__podterm.tabs().some((t) => t.id === id), tab.id);
  } finally {
    await ready(true);
  }
});

test("Ctrl+Tab and Alt+N switch tabs, and none of them reaches the shell", async () => {
  const all = await tabs();
  assert(all.length >= 3, `only ${all.length} tabs`);
  const ids = all.map((t) => t.id);
  const activeIs = (id, what) => app.waitUntil(what, 10_000, (want) => window.__podterm.tabs().find((t) => t.active)?.id === want, id);
  // Keys go to the active terminal, as a person's would.
  const keys = async (text) => {
    const active = await activeTab();
    await app.type(`.pane[data-tab-id="${active.id}"] .xterm-helper-textarea`, text);
  };
  await app.click(`.tab[data-tab-id="${ids[0]}"]`);
  await activeIs(ids[0], "the first tab active");
  await keys(Keys.CONTROL + Keys.TAB + Keys.NULL);
  await activeIs(ids[1], "Ctrl+Tab: the second tab");
  await keys(Keys.ALT + "9" + Keys.NULL);
  await activeIs(ids.at(-1), "Alt+9: the last tab");
  await keys(Keys.ALT + "2" + Keys.NULL);
  await activeIs(ids[1], "Alt+2: the second tab");
  await keys(Keys.ALT + "1" + Keys.NULL);
  await activeIs(ids[0], "Alt+1: the first tab");
  // The first tab's shell got none of it: a line typed now arrives alone.
  await typeLine(ids[0], "echo keys-$((6*7))");
  const lines = await waitForLine(ids[0], (l) => l === "keys-42", "keys-42");
  const typed = lines.filter((l) => l.includes("echo keys-"));
  assert(typed.every((l) => /[$#] echo keys-\$\(\(6\*7\)\)$/.test(l)), `the shell saw more than the line: ${JSON.stringify(typed)}`);
  await screenshot("tab-keys");
});

// ------------------------------------------------------------ a working day (issue 14)
// A second cluster beside the Demo: a testcluster process of its own (tests/app/workday-cluster.yaml)
// whose kubeconfig the app imports: `ops` (marked production below) and `exec-only` (may list
// nothing, only exec into a pod it names).

const testclusterBin = path.resolve(process.env.PODTERM_TESTCLUSTER ?? path.join(repo, "target", "debug", "testcluster"));
const workday = { proc: null, kubeconfig: "", admin: "" };

async function startWorkdayCluster() {
  if (!existsSync(testclusterBin)) throw new Error(`${testclusterBin} is missing: cargo build --workspace --tests --bin testcluster --bin podterm (as make test-app does)`);
  const dir = await mkdtemp(path.join(tmpdir(), "podterm-e2e-workday-"));
  workday.dir = dir;
  workday.kubeconfig = path.join(dir, "kubeconfig");
  // Its admin port: the tests change its pods' readiness through it while the app is away.
  const adminAt = `127.0.0.1:${await freePort()}`;
  workday.admin = `http://${adminAt}`;
  const p = spawn(testclusterBin, ["serve", "--config", path.join(here, "workday-cluster.yaml"), "--kubeconfig", workday.kubeconfig, "--admin", adminAt], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  workday.proc = p;
  for (let i = 0; !/kubeconfig: /.test(out); i++) {
    if (p.exitCode !== null || i > 300) throw new Error(`testcluster did not start: ${out.slice(-500)}`);
    await sleep(100);
  }
}

/** A click on `css` that tries again while the list re-renders under it (a stale element). */
async function clickFresh(css, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await app.click(css, timeoutMs);
    } catch (e) {
      if (!/stale element/.test(String(e.message)) || Date.now() > end) throw e;
    }
  }
}

async function selectProfile(name) {
  await clickFresh(`.profile[data-profile="${name}"] .profile-name`);
  await app.waitUntil(`${name} selected`, 10_000, (n) => document.querySelector(".profile.selected")?.getAttribute("data-profile") === n, name);
}

/** A failed test may leave a dialog open over the window: the next one starts without it. */
const closeDialogs = () => app.exec(() => document.querySelectorAll("dialog[open]").forEach((d) => d.close()));

/** Sets a <select> as a person picking an option does (its change event). */
const choose = (css, value) =>
  app.exec((sel, v) => {
    const el = document.querySelector(sel);
    el.value = v;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, css, value);

const newTab = (before, what) => app.waitUntil(what, 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
const tabIds = async () => (await tabs()).map((t) => t.id);

async function closeTab(id) {
  // In the middle of the tab bar, clear of the ⌄ button at its end.
  await app.exec((i) => document.querySelector(`.tab[data-tab-id="${i}"]`)?.scrollIntoView({ block: "nearest", inline: "center" }), id);
  await app.click(`.tab[data-tab-id="${id}"] .tab-close`);
  await app.waitUntil(`tab ${id} closed`, 10_000, (i) => !document.querySelector(`.tab[data-tab-id="${i}"]`), id);
}

/** Keys to the active terminal, as a person's would go. */
async function keysToActive(text) {
  const active = await activeTab();
  await app.type(`.pane[data-tab-id="${active.id}"] .xterm-helper-textarea`, text);
}

async function quickOpen(query) {
  await keysToActive(Keys.CONTROL + Keys.SHIFT + "k" + Keys.NULL);
  await app.waitFor("dialog.quick-open[open] .quick-input");
  await app.type("dialog.quick-open .quick-input", query);
}

test("a second cluster's kubeconfig is imported; a pod list it may not read says unknown (forbidden); a namespace is typed", async () => {
  await startWorkdayCluster();
  await app.waitFor(".add-profile", 20_000);
  await app.waitUntil("the add menu open", 20_000, () => {
    const menu = document.querySelector(".add-menu");
    if (menu && !menu.hidden) return true;
    document.querySelector(".add-profile")?.click();
    return false;
  });
  await app.type(".import-path", workday.kubeconfig);
  await app.click(".import-form button[type=submit]");
  await app.waitFor('.profile[data-profile="exec-only"]', 20_000);
  await app.waitFor('.profile[data-profile="ops"]', 20_000);
  await selectProfile("exec-only");
  const empty = await app.waitUntil("the pod list's words", 20_000, () => {
    const t = document.querySelector(".pod-empty")?.textContent ?? "";
    return /forbidden/.test(t) ? t : false;
  });
  assert(/^Listing the pods in demo is forbidden for this cluster's credentials: the pods are unknown\./.test(empty), `pod list says "${empty}"`);
  assert(!/No pods/.test(empty), `"${empty}"`);
  await screenshot("pods-forbidden");
  // Listing namespaces is forbidden too: one is typed.
  await choose(".ns-select", "\u0000other");
  await app.waitFor(".ns-input:not([hidden])");
  await app.type(".ns-input", "apps" + Keys.ENTER);
  await app.waitUntil("the typed namespace chosen", 10_000, () => document.querySelector(".ns-select")?.value === "apps");
  await app.waitUntil("apps's pod list forbidden", 20_000, () => /Listing the pods in apps is forbidden/.test(document.querySelector(".pod-empty")?.textContent ?? ""));
  await screenshot("namespace-typed");
  // Its Services may not be listed either: Service ports… says so, in kubectl's words.
  await app.click("button.services-button");
  const refused = await app.waitUntil("the Services refused", 20_000, () => {
    const t = document.querySelector("dialog.service-offer .service-status")?.textContent ?? "";
    return t.includes("could not be listed") ? t : false;
  });
  const byKubectl = await kubectl(["--context", "exec-only", "get", "services", "-n", "apps"]);
  assert(byKubectl.code !== 0, `kubectl listed the Services: ${byKubectl.out}`);
  assert(refused === `The Services of apps could not be listed: ${byKubectl.err.trim()}`, `the dialog says "${refused}", kubectl "${byKubectl.err.trim()}"`);
  await screenshot("services-forbidden");
  await app.click("dialog.service-offer .cancel");
  await app.waitUntil("the dialog closed", 10_000, () => !document.querySelector("dialog.service-offer"));
});

test("quick open: a pod one may only exec into opens by its exact namespace/pod", async () => {
  await closeDialogs();
  await quickOpen("demo/shell");
  // The Demo cluster's shell, a recent session, matches too: the pod by name is clicked.
  await app.waitFor('.quick-item[data-kind="typed"]');
  const label = await text('.quick-item[data-kind="typed"] .quick-detail');
  assert(label === "open by name in exec-only", `the typed item says "${label}"`);
  const before = await tabIds();
  await app.click('.quick-item[data-kind="typed"]');
  const tab = await newTab(before, "the exec-only tab");
  assert(tab.profile === "exec-only" && tab.namespace === "demo" && tab.pod === "shell", JSON.stringify(tab));
  await waitTabState(tab.id, "connected");
  await waitForLine(tab.id, isPrompt, "a prompt");
  await typeLine(tab.id, "echo exec-only-$((20+1))");
  await waitForLine(tab.id, (l) => l === "exec-only-21", "exec-only-21");
  await screenshot("quick-open-by-name");
  await closeTab(tab.id);
});

test("a production profile asks once per run before its first shell; Cancel opens nothing", async () => {
  await closeDialogs();
  await app.exec(() => document.querySelector('.profile[data-profile="ops"] .edit-profile').click());
  await app.waitFor("dialog.profile-form[open] input[name=production]");
  await app.click("dialog.profile-form label.field-check:has(input[name=production]) span");
  assert(await app.exec(() => document.querySelector("dialog.profile-form input[name=production]").checked), "the box is not ticked");
  await app.click("dialog.profile-form button[type=submit]");
  await app.waitUntil("the form to close", 10_000, () => !document.querySelector("dialog.profile-form"));
  await app.waitFor('.profile.production[data-profile="ops"] .prod-badge');
  await selectProfile("ops");
  await app.waitFor('.pod[data-pod="shell"]', 20_000);
  const before = await tabIds();
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  await app.waitFor('dialog.production-ask[open][data-profile="ops"]');
  const question = await text("dialog.production-ask h2");
  assert(question === "PROD Open a shell in production cluster ops?", `the question "${question}"`);
  await screenshot("production-ask");
  await app.click("dialog.production-ask button.cancel");
  await app.waitUntil("the question gone, no new tab", 10_000, (ids) =>
    !document.querySelector("dialog.production-ask") && window.__podterm.tabs().every((t) => ids.includes(t.id)), before);
  // Asked again, yes: the shell opens; the next one in ops opens without a question.
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  await app.click("dialog.production-ask[open] button.production-confirm");
  const tab = await newTab(before, "the ops tab");
  await waitTabState(tab.id, "connected");
  await waitForLine(tab.id, isPrompt, "a prompt in production");
  const paneProd = await app.exec((id) => document.querySelector(`.pane[data-tab-id="${id}"]`).classList.contains("production"), tab.id);
  assert(paneProd, "the production tab's pane is not marked");
  const before2 = await tabIds();
  await app.click('.pod[data-pod="multi"] .pod-line');
  await app.click('.pod[data-pod="multi"] .container[data-container="app"]');
  const second = await newTab(before2, "a second ops tab");
  await waitTabState(second.id, "connected");
  assert(!(await app.exec(() => !!document.querySelector("dialog.production-ask"))), "asked a second time");
  await screenshot("production-tab");
  for (const id of [second.id, tab.id]) await closeTab(id);
});

/** The real kubectl, against the workday cluster as `ops` (the referee for what the app made). */
const kubectlBin = ["/usr/bin/kubectl", path.join(repo, ".venv", "bin", "kubectl")].find((k) => existsSync(k));
function kubectl(args, input = null) {
  if (!kubectlBin) throw new Error("no kubectl: /usr/bin/kubectl or .venv/bin/kubectl (make deps installs it)");
  return new Promise((resolve) => {
    const p = spawn(kubectlBin, ["--kubeconfig", workday.kubeconfig, "--context", "ops", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => resolve({ code, out, err }));
    p.stdin.end(input ?? "");
  });
}

test("a pod that crashes as it starts: its tab offers a copy whose shell works, deleted when the tab closes", async () => {
  await closeDialogs();
  await createCrashy();
  try {
    await copyOfACrashingPod();
  } finally {
    await kubectl(["delete", "pod", "crashy", "--now", "--ignore-not-found"]);
  }
});

test("a favourite whose Deployment's only pod crashes as it starts: its tab offers a copy of that pod, whose shell works", async () => {
  await closeDialogs();
  // A pod of the workday cluster's Deployment billing (through its ReplicaSet), crashing as it starts.
  const name = "billing-5d8f9c7b6-x2k4z";
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "demo",
      labels: { app: "billing", "pod-template-hash": "5d8f9c7b6" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "billing-5d8f9c7b6", uid: "00000000-0000-0000-0000-000000000000", controller: true }],
    },
    spec: { containers: [{ name: "billing", image: "busybox:1.36", command: ["sh", "-c", "echo starting; exit 3"] }] },
  };
  const made = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(pod));
  assert(made.code === 0, `kubectl create: ${made.err}`);
  try {
    await selectProfile("ops");
    await app.waitUntil("the billing pod crash-looping in the list", 20_000, (n) => /CrashLoopBackOff/.test(document.querySelector(`.pod[data-pod="${n}"] .pod-status`)?.textContent ?? ""), name);
    // Its star saves the Deployment.
    await app.click(`.pod[data-pod="${name}"] .star`);
    await app.waitFor('.favourite[data-favourite="billing"]', 10_000);
    const row = await text('.favourite[data-favourite="billing"]');
    assert(/deployment\/billing/.test(row ?? ""), `favourite row "${row}"`);
    // Its tab: no Ready pod, the crashing one named and offered. (A tab that caught the container
    // Ready in the moments it runs between back-offs is opened again.)
    let tab;
    for (let tries = 0; ; tries++) {
      const before = await tabIds();
      await app.click('.favourite[data-favourite="billing"] .favourite-name');
      tab = await newTab(before, "the favourite's tab");
      const outcome = await app.waitUntil("the tab refused or connected", 15_000, (id) => {
        if (document.querySelector(`.pane[data-tab-id="${id}"] .banner-copy:not([hidden])`)) return "offer";
        return document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("data-state") === "connected" ? "connected" : false;
      }, tab.id);
      if (outcome === "offer") break;
      assert(tries < 20, "the crashing container always caught running");
      await closeTab(tab.id);
    }
    const pane = `.pane[data-tab-id="${tab.id}"]`;
    const said = await text(`${pane} .banner-text`);
    assert(said?.startsWith(`Could not open billing: no Ready pod for deployment/billing in namespace demo: ${name} (`) && said.includes("Debug a copy of the pod… (on this tab)"), `the banner says "${said}"`);
    await screenshot("favourite-copy-offer");
    // Logs beside this tab: the crash-looping pod's log, which says why it crashes.
    await keysToActive(Keys.CONTROL + Keys.SHIFT + "l" + Keys.NULL);
    await app.waitUntil("the crashing pod's log beside the tab", 15_000, (id, pod) => {
      // (Its state comes and goes with each crash: "Following billing", then "ended".)
      const split = window.__podterm.splits.get(id);
      return split?.view.target.pod === pod && split.view.target.container === "billing" && split.view.model.all().some((l) => l.text === "starting");
    }, tab.id, name);
    await screenshot("favourite-crash-log");
    await keysToActive(Keys.CONTROL + Keys.SHIFT + "l" + Keys.NULL);
    await app.waitUntil("the log beside closed", 10_000, (id) => !document.querySelector(`.pane[data-tab-id="${id}"] .logs-split`), tab.id);
    const before = await tabIds();
    await app.click(`${pane} .banner-copy`);
    await app.waitFor("dialog.copy-offer[open] .debug-confirm", 15_000);
    const copy = await text('dialog.copy-offer dd[data-fact="copy"]');
    assert(copy?.startsWith(`${name}-debug-`), `copy name ${copy}`);
    assert((await text('dialog.copy-offer dd[data-fact="container"]')) === "billing runs a shell instead of its command", "the container fact");
    await app.click("dialog.copy-offer .debug-confirm");
    const copyTab = await newTab(before, "the copy's tab");
    assert(copyTab.copy?.name === copy && copyTab.pod === name && !copyTab.favourite, `copy tab ${JSON.stringify(copyTab)}`);
    await waitTabState(copyTab.id, "connected", 30_000);
    await waitForLine(copyTab.id, isPrompt, "the copy's prompt");
    await typeLine(copyTab.id, "echo billing-copy-$((40+2))");
    await waitForLine(copyTab.id, (l) => l === "billing-copy-42", "the copy's shell answering");
    const got = await kubectl(["get", "pod", copy, "-o", "jsonpath={.metadata.annotations.podterm\\.dev/debug-copy-of}"]);
    assert(got.code === 0 && got.out === name, `kubectl get the copy: ${got.code} ${got.out} ${got.err}`);
    await screenshot("favourite-copy-tab");
    await closeTab(copyTab.id);
    for (let i = 0; ; i++) {
      const left = await kubectl(["get", "pod", copy, "--ignore-not-found", "-o", "name"]);
      if (left.code === 0 && left.out.trim() === "") break;
      assert(i < 200, `the copy is still there: ${left.out} ${left.err}`);
      await sleep(100);
    }
    await closeTab(tab.id);
  } finally {
    await kubectl(["delete", "pod", name, "--now", "--ignore-not-found"]);
  }
});

/** kubectl creates `crashy` in the workday cluster: its container crashes as it starts. */
async function createCrashy() {
  const crashy = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "crashy", namespace: "demo", labels: { app: "crashy" } },
    spec: { containers: [{ name: "app", image: "busybox:1.36", command: ["sh", "-c", "echo starting; exit 3"] }] },
  };
  const made = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(crashy));
  assert(made.code === 0, `kubectl create: ${made.err}`);
}

async function copyOfACrashingPod() {
  const { tab, copyTab, name } = await openCopyOfCrashy();
  const badge = await text(`.tab[data-tab-id="${copyTab.id}"] .tab-copy`);
  assert(badge === "copy", `tab badge ${badge}`);
  // kubectl sees the copy, marked as the app's copy of crashy.
  const got = await kubectl(["get", "pod", name, "-o", "jsonpath={.metadata.annotations.podterm\\.dev/debug-copy-of}"]);
  assert(got.code === 0 && got.out === "crashy", `kubectl get the copy: ${got.code} ${got.out} ${got.err}`);
  await screenshot("copy-tab");
  await closeTab(copyTab.id);
  // Closing the tab deleted the copy (kubectl's view, waited for).
  const end = Date.now() + 20_000;
  for (;;) {
    const left = await kubectl(["get", "pod", name, "--ignore-not-found", "-o", "name"]);
    if (left.code === 0 && left.out.trim() === "") break;
    assert(Date.now() < end, `the copy is still there: ${left.out} ${left.err}`);
    await sleep(100);
  }
  assert((await kubectl(["get", "pod", "crashy", "-o", "name"])).out.trim() === "pod/crashy", "the original was deleted too");
  // Deleted: off the list too.
  for (let i = 0; (await listedCopies())?.some((c) => c.name === name); i++) {
    assert(i < 100, `copies.json still lists the deleted copy: ${JSON.stringify(await listedCopies())}`);
    await sleep(100);
  }
  await closeTab(tab.id);
}

/** The copies the engine lists in copies.json (null: no file). */
async function listedCopies() {
  try {
    return JSON.parse(await readFile(path.join(configDir, "copies.json"), "utf8")).copies;
  } catch {
    return null;
  }
}

/** A crash-looping `crashy` (made by the caller) entered through its tab's copy offer: the
 *  tab that offered it, the copy's tab (its shell answering) and the copy's name. */
async function openCopyOfCrashy() {
  await selectProfile("ops");
  await app.waitUntil("crashy crash-looping in the list", 20_000, () => /CrashLoopBackOff/.test(document.querySelector('.pod[data-pod="crashy"] .pod-status')?.textContent ?? ""));
  // A tab that caught the container in the moments it runs between back-offs is opened again.
  let tab;
  for (let tries = 0; ; tries++) {
    tab = await openPod("crashy", "app");
    // (Runs in the page: self-contained.)
    const settled = (id) => {
      if (document.querySelector(`.pane[data-tab-id="${id}"] .banner-copy:not([hidden])`)) return "offer";
      if (document.querySelector('dialog.production-ask[open][data-profile="ops"]')) return "ask";
      return document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("data-state") === "connected" ? "connected" : false;
    };
    let outcome = await app.waitUntil("the tab refused or connected", 15_000, settled, tab.id);
    if (outcome === "ask") {
      // The run's first shell in ops (after a restart): asked first.
      await app.click("dialog.production-ask[open] button.production-confirm");
      outcome = await app.waitUntil("the tab refused or connected", 15_000, settled, tab.id);
      assert(outcome !== "ask", "asked again after the yes");
    }
    if (outcome === "offer") break;
    assert(tries < 20, "the crashing container always caught running");
    await closeTab(tab.id);
  }
  const pane = `.pane[data-tab-id="${tab.id}"]`;
  const said = await text(`${pane} .banner-text`);
  assert(/^Could not open a shell in crashy\/app: container "app" of pod "crashy" crashes as it starts \(CrashLoopBackOff\)/.test(said ?? ""), `the banner says "${said}"`);
  await screenshot("crashing-copy-offer");
  const before = await tabIds();
  await app.click(`${pane} .banner-copy`);
  await app.waitFor("dialog.copy-offer[open] .debug-confirm", 15_000);
  const fact = (k) => text(`dialog.copy-offer dd[data-fact="${k}"]`);
  const name = await fact("copy");
  assert(/^crashy-debug-[a-z0-9]{5}$/.test(name ?? ""), `copy name ${name}`);
  assert((await fact("container")) === "app runs a shell instead of its command", `container fact ${await fact("container")}`);
  assert((await kubectl(["get", "pod", name])).code !== 0, "the copy exists before the question is answered");
  await screenshot("copy-offer");
  await app.click("dialog.copy-offer .debug-confirm");
  const copyTab = await newTab(before, "the copy's tab");
  assert(copyTab.copy?.name === name && copyTab.pod === "crashy" && copyTab.container === "app", `copy tab ${JSON.stringify(copyTab)}`);
  await waitTabState(copyTab.id, "connected", 30_000);
  await waitForLine(copyTab.id, isPrompt, "the copy's prompt");
  await typeLine(copyTab.id, "echo in-copy-$((40+2))");
  await waitForLine(copyTab.id, (l) => l === "in-copy-42", "the copy's shell answering");
  // The engine lists the copy in copies.json while it lives (a run killed now leaves it there).
  const entry = (await listedCopies())?.find((c) => c.name === name);
  assert(entry?.profile === "ops" && entry.namespace === "demo" && entry.of === "crashy", `copies.json: ${JSON.stringify(await listedCopies())}`);
  return { tab, copyTab, name };
}

test("a Job's pod that has completed: its tab offers a copy; once the copy's own shell ends, Enter makes it again", async () => {
  await closeDialogs();
  const job = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "job-once", namespace: "demo" },
    spec: { restartPolicy: "Never", containers: [{ name: "work", image: "busybox:1.36", command: ["sh", "-c", "echo working; exit 2"] }] },
  };
  const made = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(job));
  assert(made.code === 0, `kubectl create: ${made.err}`);
  let name = null;
  try {
    // Completed (kubectl's view, waited for).
    for (let end = Date.now() + 20_000; ; ) {
      const got = await kubectl(["get", "pod", "job-once", "-o", "jsonpath={.status.phase}"]);
      if (got.out === "Failed") break;
      assert(Date.now() < end, `job-once never failed: ${got.out} ${got.err}`);
      await sleep(100);
    }
    await selectProfile("ops");
    await app.waitUntil("job-once in the list", 20_000, () => document.querySelector('.pod[data-pod="job-once"]') !== null);
    const tab = await openPod("job-once", "work");
    const pane = `.pane[data-tab-id="${tab.id}"]`;
    // (Runs in the page: self-contained.)
    const settled = (id) => {
      if (document.querySelector(`.pane[data-tab-id="${id}"] .banner-copy:not([hidden])`)) return "offer";
      if (document.querySelector('dialog.production-ask[open][data-profile="ops"]')) return "ask";
      return document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("data-state") === "connected" ? "connected" : false;
    };
    let outcome = await app.waitUntil("the tab refused", 15_000, settled, tab.id);
    if (outcome === "ask") {
      await app.click("dialog.production-ask[open] button.production-confirm");
      outcome = await app.waitUntil("the tab refused", 15_000, settled, tab.id);
    }
    assert(outcome === "offer", `the tab ${outcome}, not refused with an offer`);
    const said = await text(`${pane} .banner-text`);
    assert(/^Could not open a shell in job-once\/work: cannot exec into a container in a completed pod; current phase is Failed/.test(said ?? ""), `the banner says "${said}"`);
    await screenshot("completed-copy-offer");
    const before = await tabIds();
    await app.click(`${pane} .banner-copy`);
    await app.waitFor("dialog.copy-offer[open] .debug-confirm", 15_000);
    name = await text('dialog.copy-offer dd[data-fact="copy"]');
    assert(/^job-once-debug-[a-z0-9]{5}$/.test(name ?? ""), `copy name ${name}`);
    await app.click("dialog.copy-offer .debug-confirm");
    const copyTab = await newTab(before, "the copy's tab");
    await waitTabState(copyTab.id, "connected", 30_000);
    await waitForLine(copyTab.id, isPrompt, "the copy's prompt");
    await typeLine(copyTab.id, "echo in-copy-$((40+2))");
    await waitForLine(copyTab.id, (l) => l === "in-copy-42", "the copy's shell answering");
    const uid = async () => (await kubectl(["get", "pod", name, "-o", "jsonpath={.metadata.uid}"])).out;
    const first = await uid();
    assert(first !== "", "kubectl does not see the copy");
    // The copy's own shell ends (kubectl attach, exit): the copy has ended for good (the Job's
    // restartPolicy), and the tab's shell with it.
    const attached = await kubectl(["attach", name, "-c", "work", "-i"], "exit\n");
    assert(attached.code === 0, `kubectl attach: ${attached.code} ${attached.err}`);
    await waitTabState(copyTab.id, "exited", 20_000);
    const status = await text(`.tab[data-tab-id="${copyTab.id}"] .tab-status`);
    assert(status === "exited 137", `tab status "${status}"`);
    // Enter reopens: the copy is made again under its name, and its shell answers.
    await app.type(`.pane[data-tab-id="${copyTab.id}"] .xterm-helper-textarea`, Keys.ENTER);
    await waitTabState(copyTab.id, "connected", 30_000);
    await typeLine(copyTab.id, "echo again-$((6*7))");
    await waitForLine(copyTab.id, (l) => l === "again-42", "the new copy's shell answering");
    const second = await uid();
    assert(second !== "" && second !== first, `not made again: ${first} then ${second}`);
    await screenshot("completed-copy-again");
    await closeTab(copyTab.id);
    for (let end = Date.now() + 20_000; ; ) {
      const left = await kubectl(["get", "pod", name, "--ignore-not-found", "-o", "name"]);
      if (left.code === 0 && left.out.trim() === "") break;
      assert(Date.now() < end, `the copy is still there: ${left.out} ${left.err}`);
      await sleep(100);
    }
    await closeTab(tab.id);
  } finally {
    await kubectl(["delete", "pod", "job-once", "--now", "--ignore-not-found"]);
    if (name) await kubectl(["delete", "pod", name, "--now", "--ignore-not-found"]);
  }
});

test("a shell on a pod's node: its menu asks once, the shell runs on the node, the pod goes with its tab", async () => {
  await closeDialogs();
  await selectProfile("ops");
  await app.waitFor('.pod[data-pod="shell"] .pod-line', 20_000);
  // The pod's right-click menu. (Its event is dispatched in the page: WebKitWebDriver's pointer
  // actions leave the keyboard's Shift unusable for the keys typed after them.)
  await app.exec(() => {
    const row = document.querySelector('.pod[data-pod="shell"] .pod-line');
    const r = row.getBoundingClientRect();
    row.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true, clientX: r.left + 20, clientY: r.top + 5, button: 2 }));
  });
  const clicked = await app.waitUntil("the node item", 10_000, () => {
    const item = [...document.querySelectorAll(".context-menu .context-item")].find((e) => e.textContent.includes("Shell on its node (testnode)…"));
    item?.click();
    return item !== undefined;
  });
  assert(clicked, "no \"Shell on its node (testnode)…\" in the pod's menu");
  await app.waitFor("dialog.node-offer[open] .debug-confirm", 15_000);
  const name = await text('dialog.node-offer dd[data-fact="pod"]');
  assert(/^node-debugger-testnode-[a-z0-9]{5}$/.test(name ?? ""), `pod fact ${name}`);
  const listed = await kubectl(["get", "pods", "-A", "-o", "name"]);
  assert(listed.code === 0 && !listed.out.includes(name), "the pod exists before the question is answered");
  // The namespace asked is the pod's; the pod is made in another one, typed there (a namespace
  // whose Pod Security refuses host access is the reason to).
  const field = 'dialog.node-offer dd[data-fact="namespace"] input.offer-edit';
  const asked = await app.exec((sel) => document.querySelector(sel)?.value ?? null, field);
  assert(asked === "demo", `namespace asked ${asked}`);
  await app.exec((sel) => {
    document.querySelector(sel).value = "";
  }, field);
  await app.type(field, "apps");
  await screenshot("node-shell-offer");
  const before = await tabIds();
  await app.click("dialog.node-offer .debug-confirm");
  const tab = await newTab(before, "the node's tab");
  assert(tab.pod === "node/testnode" && tab.namespace === "apps" && tab.copy?.name === name && tab.container === "debugger", `node tab ${JSON.stringify(tab)}`);
  // ops is a production cluster: the run's first shell there asks (unless an earlier test said yes).
  const settled = (id) => {
    if (document.querySelector('dialog.production-ask[open][data-profile="ops"]')) return "ask";
    return document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("data-state") === "connected" ? "connected" : false;
  };
  if ((await app.waitUntil("connected or asked", 30_000, settled, tab.id)) === "ask") {
    await app.click("dialog.production-ask[open] button.production-confirm");
  }
  await waitTabState(tab.id, "connected", 30_000);
  const shown = await waitForLine(tab.id, isPrompt, "the node shell's prompt");
  // `apps` warns at Pod Security's baseline (workday-cluster.yaml): the API server's warning is
  // in the tab as kubectl prints it, before the prompt (the rows of a wrapped line joined).
  const joined = shown.join("");
  const warning = 'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), hostPath volumes (volume "host-root")';
  assert(joined.includes(warning) && joined.indexOf(warning) < joined.lastIndexOf("#"), `the API server's warning before the prompt: ${JSON.stringify(shown.filter(Boolean))}`);
  // In the node's network namespace: the node's host name.
  await typeLine(tab.id, "echo on-$HOSTNAME");
  await waitForLine(tab.id, (l) => l === "on-testnode", "the node shell answering");
  const badge = await text(`.tab[data-tab-id="${tab.id}"] .tab-node`);
  assert(badge === "node", `tab badge ${badge}`);
  // kubectl sees kubectl's node debugging pod, marked as the app's for that node.
  const got = await kubectl(["get", "pod", name, "-n", "apps", "-o", "json"]);
  assert(got.code === 0, `kubectl get the pod: ${got.err}`);
  const pod = JSON.parse(got.out);
  assert(pod.spec.nodeName === "testnode" && pod.spec.hostPID === true && pod.spec.hostNetwork === true, `spec ${JSON.stringify(pod.spec)}`);
  assert(pod.spec.containers[0].volumeMounts?.[0]?.mountPath === "/host" && pod.spec.containers[0].image === "busybox:1.36", `container ${JSON.stringify(pod.spec.containers[0])}`);
  assert(pod.metadata.annotations?.["podterm.dev/debug-copy-of"] === "node/testnode", `annotations ${JSON.stringify(pod.metadata.annotations)}`);
  const entry = (await listedCopies())?.find((c) => c.name === name);
  assert(entry?.profile === "ops" && entry.namespace === "apps" && entry.of === "node/testnode", `copies.json: ${JSON.stringify(await listedCopies())}`);
  await screenshot("node-shell-tab");
  await closeTab(tab.id);
  // Closing the tab deleted the pod (kubectl's view, waited for), and took it off the list.
  for (let i = 0; ; i++) {
    const left = await kubectl(["get", "pod", name, "-n", "apps", "--ignore-not-found", "-o", "name"]);
    if (left.code === 0 && left.out.trim() === "") break;
    assert(i < 200, `the node's pod is still there: ${left.out} ${left.err}`);
    await sleep(100);
  }
  for (let i = 0; (await listedCopies())?.some((c) => c.name === name); i++) {
    assert(i < 100, `copies.json still lists the deleted pod: ${JSON.stringify(await listedCopies())}`);
    await sleep(100);
  }
});

/** The bytes a TCP connection to 127.0.0.1:port gives within `ms`, after sending `send` (null: nothing). */
function tcpExchange(port, send, until, ms = 15_000) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    const done = (err) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ got, err });
    };
    const timer = setTimeout(() => done("timeout"), ms);
    s.on("connect", () => send !== null && s.write(send));
    s.on("data", (d) => {
      got += d;
      if (until(got)) done(null);
    });
    s.on("error", (e) => done(e.code ?? String(e)));
    s.on("close", () => done("closed"));
  });
}

// The container's server: a greeting with its pod's name, then an echo (as the CLI suites' one).
const ECHO_SERVER = [
  "import os, socket, sys, threading",
  "s = socket.socket()",
  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
  "s.bind(('127.0.0.1', int(sys.argv[1])))",
  "s.listen(16)",
  "def serve(c):",
  "    c.sendall(('hello from %s\\n' % os.environ.get('HOSTNAME', '?')).encode())",
  "    while True:",
  "        d = c.recv(65536)",
  "        if not d: break",
  "        c.sendall(d)",
  "    c.close()",
  "while True:",
  "    c, _ = s.accept()",
  "    threading.Thread(target=serve, args=(c,), daemon=True).start()",
].join("\n");

/** A pod of the Deployment echo (workday-cluster.yaml), or of the StatefulSet echo-db, its
 *  server on `port`, named echo; once it listens. */
async function echoPod(name, port, stateful = false) {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "demo",
      labels: stateful ? { app: "echo-db" } : { app: "echo", "pod-template-hash": "7f6d5c4b3" },
      ownerReferences: [
        stateful
          ? { apiVersion: "apps/v1", kind: "StatefulSet", name: "echo-db", uid: "00000000-0000-0000-0000-000000000001", controller: true }
          : { apiVersion: "apps/v1", kind: "ReplicaSet", name: "echo-7f6d5c4b3", uid: "00000000-0000-0000-0000-000000000000", controller: true },
      ],
    },
    spec: { containers: [{ name: "echo", image: "busybox:1.36", command: ["python3", "-c", ECHO_SERVER, String(port)], ports: [{ name: "echo", containerPort: port }] }] },
  };
  // The name of a pod still being deleted is taken until it is gone.
  let made;
  for (let i = 0; (made = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(pod))).code !== 0; i++) {
    assert(i < 100 && made.err.includes("AlreadyExists"), `kubectl create: ${made.err}`);
    await sleep(100);
  }
  for (let i = 0; (await tcpExchange(port, null, (g) => g.includes("\n"), 2_000)).err !== null; i++) {
    assert(i < 100, `the server of ${name} never listened`);
    await sleep(100);
  }
}

/** The forward row titled `want`, as the page shows it (null when not listed). */
const forwardRow = (want) =>
  app.exec((want) => {
    const li = [...document.querySelectorAll("section.forwards li.forward")].find((x) => x.querySelector(".forward-title")?.textContent === want);
    return li ? { ended: li.classList.contains("ended"), starting: li.classList.contains("starting"), status: li.querySelector(".forward-status")?.textContent ?? "", follows: li.querySelector(".forward-follows")?.textContent ?? "", again: li.querySelector(".forward-again")?.textContent ?? null, tip: li.querySelector(".forward-status")?.title ?? null } : null;
  }, want);

/**
 * The pod's menu → Forward a port… → `remote` (a number or a port's name: the field starts with
 * the pod's first declared port, which is kept when it is `remote`); returns the row's title
 * once it is listed.
 */
async function forwardFromMenu(pod, remote, shot = null) {
  await app.waitFor(`.pod[data-pod="${pod}"] .pod-line`, 20_000);
  await app.exec((pod) => {
    const row = document.querySelector(`.pod[data-pod="${pod}"] .pod-line`);
    row.scrollIntoView({ block: "center" });
    const r = row.getBoundingClientRect();
    row.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true, clientX: r.left + 20, clientY: r.top + 5, button: 2 }));
  }, pod);
  const clicked = await app.waitUntil("the forward item", 10_000, () => {
    const item = [...document.querySelectorAll(".context-menu .context-item")].find((e) => e.textContent.includes("Forward a port…"));
    item?.click();
    return item !== undefined;
  });
  assert(clicked, "no \"Forward a port…\" in the pod's menu");
  await app.waitFor("dialog.forward-offer[open] .debug-confirm", 15_000);
  const field = 'dialog.forward-offer dd[data-fact="port in the pod"] input.offer-edit';
  const kept = await app.exec((field, remote) => {
    const input = document.querySelector(field);
    if (input.value === remote) return true;
    input.value = "";
    return false;
  }, field, remote);
  if (!kept) await app.type(field, remote);
  if (shot) await screenshot(shot);
  const asked = await app.exec(() => ({
    declared: document.querySelector('dialog.forward-offer dd[data-fact="declared ports"]')?.textContent ?? null,
    warning: document.querySelector("dialog.forward-offer .debug-warning")?.textContent ?? null,
  }));
  const listed = await app.exec(() => [...document.querySelectorAll("section.forwards li.forward .forward-title")].map((e) => e.textContent));
  await app.click("dialog.forward-offer .debug-confirm");
  // The new row: to this pod, and not one listed before (another forward may go to the same pod).
  const title = await app.waitUntil("the forward listed", 20_000, (want, listed) => {
    const t = [...document.querySelectorAll("section.forwards li.forward .forward-title")].map((e) => e.textContent).find((x) => x.includes(want) && !listed.includes(x));
    return t ?? false;
  }, `\u2192 ${pod}:`, listed);
  return { title, ...asked };
}

test("a port forward from the pod's menu: a loopback port whose connections reach the pod's server, then the Deployment's next pod; Stop closes it; a Service's port through Service ports…", async () => {
  try {
    await closeDialogs();
    const port = await freePort();
    await echoPod("echo-fwd", port);
    await selectProfile("ops");
    // By the name the container gives the port: the dialog offers the ports the pod declares,
    // and starts with the first.
    const { title, declared, warning } = await forwardFromMenu("echo-fwd", "echo", "forward-offer");
    assert(declared === `echo ${port}`, `the declared ports offered: ${declared}`);
    // ops is marked production: the question says what a forward there means.
    assert(warning?.startsWith("ops is marked production: "), `the production warning: ${warning}`);
    assert(title.endsWith(`\u2192 echo-fwd:${port} (echo)`), `the row ${title}`);
    const local = Number(/^127\.0\.0\.1:(\d+) /.exec(title)?.[1]);
    // The pod's port number is taken here (its server runs on this computer): another one.
    assert(local > 0 && local !== port, `local port ${local} (${title})`);
    const through = await tcpExchange(local, "ping-42\n", (g) => g.includes("ping-42\n"));
    assert(through.err === null && through.got === "hello from echo-fwd\nping-42\n", `through the forward: ${JSON.stringify(through)}`);
    await app.waitUntil("the connection counted", 15_000, () => document.querySelector("section.forwards li.forward .forward-status")?.textContent?.startsWith("demo \u00b7 1 connection") ?? false);
    await app.waitUntil("the workload it follows", 10_000, () => document.querySelector("section.forwards li.forward .forward-follows")?.textContent === "Follows deployment/echo");
    await screenshot("forward-listed");
    // A rollout: the next pod is Ready (its server on another port), then the first is deleted.
    // The same local port now reaches the next pod, and the row says why.
    const next = await freePort();
    await echoPod("echo-fwd-next", next);
    const gone = await kubectl(["delete", "pod", "echo-fwd", "-n", "demo", "--wait=false"]);
    assert(gone.code === 0, `kubectl delete: ${gone.err}`);
    await app.waitUntil("the forward moved", 20_000, (want) => document.querySelector("section.forwards li.forward .forward-title")?.textContent === want, `127.0.0.1:${local} \u2192 echo-fwd-next:${next} (echo)`);
    const follows = await app.exec(() => document.querySelector("section.forwards li.forward .forward-follows")?.textContent);
    assert(follows === "Follows deployment/echo \u2014 moved from echo-fwd: the pod echo-fwd is being deleted", `the row says ${JSON.stringify(follows)}`);
    const moved = await tcpExchange(local, "ping-43\n", (g) => g.includes("ping-43\n"));
    assert(moved.err === null && moved.got === "hello from echo-fwd-next\nping-43\n", `through the moved forward: ${JSON.stringify(moved)}`);
    await screenshot("forward-moved");
    await app.click("section.forwards li.forward .forward-stop");
    await app.waitUntil("the forward gone", 10_000, () => document.querySelector("section.forwards li.forward") === null);
    for (let i = 0; (await tcpExchange(local, null, () => true, 2_000)).err !== "ECONNREFUSED"; i++) {
      assert(i < 50, `127.0.0.1:${local} still takes connections after Stop`);
      await sleep(100);
    }

    // A StatefulSet's pod: deleted, the forward waits for the pod of the same name, then reaches
    // it when it is made again (a connection made during the wait is the desktop IPC suite's).
    const db = await freePort();
    await echoPod("echo-db-0", db, true);
    const { title: dbTitle } = await forwardFromMenu("echo-db-0", "echo");
    assert(dbTitle.endsWith(`\u2192 echo-db-0:${db} (echo)`), `the row ${dbTitle}`);
    const dbLocal = Number(/^127\.0\.0\.1:(\d+) /.exec(dbTitle)?.[1]);
    const dbRow = "section.forwards li.forward .forward-follows";
    await app.waitUntil("the StatefulSet it follows", 10_000, () => document.querySelector("section.forwards li.forward .forward-follows")?.textContent === "Follows statefulset/echo-db");
    const dbGone = await kubectl(["delete", "pod", "echo-db-0", "-n", "demo", "--wait=false"]);
    assert(dbGone.code === 0, `kubectl delete: ${dbGone.err}`);
    await app.waitUntil("the wait said", 20_000, (sel) => document.querySelector(sel)?.textContent === "Follows statefulset/echo-db \u2014 the pod echo-db-0 is being deleted: waiting for a Ready pod of statefulset/echo-db", dbRow);
    await screenshot("forward-waiting");
    const again = await freePort();
    await echoPod("echo-db-0", again, true);
    await app.waitUntil("the StatefulSet's move", 20_000, (want) => document.querySelector("section.forwards li.forward .forward-title")?.textContent === want, `127.0.0.1:${dbLocal} \u2192 echo-db-0:${again} (echo)`);
    const dbMoved = await tcpExchange(dbLocal, "ping-44\n", (g) => g.includes("ping-44\n"));
    assert(dbMoved.err === null && dbMoved.got === "hello from echo-db-0\nping-44\n", `through the StatefulSet's forward: ${JSON.stringify(dbMoved)}`);
    await app.click("section.forwards li.forward .forward-stop");
    await app.waitUntil("the forward gone", 10_000, () => document.querySelector("section.forwards li.forward") === null);

    // A Service's port (Service ports…), as `kubectl port-forward svc/echo-svc web`: the
    // Service's port `web` targets the pods' port named echo, and the forward listens on the
    // Service's port number (free here) and reaches the pod its selector finds.
    const svcPort = await freePort();
    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "echo-svc", namespace: "demo" },
      spec: { selector: { app: "echo" }, ports: [{ name: "web", port: svcPort, targetPort: "echo" }] },
    };
    const madeSvc = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(svc));
    assert(madeSvc.code === 0, `kubectl create service: ${madeSvc.err}`);
    await app.click("button.services-button");
    const chip = `dialog.service-offer button.service-port[data-service="echo-svc"][data-port="${svcPort}"]`;
    await app.waitFor(chip, 15_000);
    const offered = await app.exec((sel) => document.querySelector(sel)?.textContent, chip);
    assert(offered === `web ${svcPort} \u2192 echo`, `the Service's port offered: ${offered}`);
    await app.click(chip);
    const chosen = () =>
      app.exec((sel) => ({
        text: document.querySelector('dialog.service-offer dd[data-fact="service port"]')?.textContent ?? null,
        pressed: document.querySelector(sel)?.getAttribute("aria-pressed") ?? null,
        forward: document.querySelector("dialog.service-offer .debug-confirm")?.disabled === false,
        dialogs: document.querySelectorAll("dialog.service-offer").length,
      }), chip);
    const picked = { text: `svc/echo-svc:${svcPort} (web) \u2192 the pods' port echo`, pressed: "true", forward: true, dialogs: 1 };
    let seen = null;
    // Field by field: WebDriver's answer need not keep the object's key order.
    const same = (got) => Object.keys(picked).every((k) => got?.[k] === picked[k]);
    await waitFor("the port chosen", async () => same((seen = await chosen())), 10_000).catch((e) => {
      throw new Error(`${e.message}; the dialog: ${JSON.stringify(seen)}`);
    });
    await screenshot("service-forward-offer");
    const after = await chosen();
    assert(same(after), `the choice changed by itself: ${JSON.stringify(after)}`);
    await app.click("dialog.service-offer .debug-confirm");
    const svcTitle = `127.0.0.1:${svcPort} \u2192 svc/echo-svc:${svcPort} (web)`;
    await app.waitUntil("the Service's forward listed", 20_000, (want) => [...document.querySelectorAll("section.forwards li.forward .forward-title")].some((e) => e.textContent === want), svcTitle);
    const reaches = await app.exec(() => document.querySelector("section.forwards li.forward .forward-follows")?.textContent);
    assert(reaches === `Reaches echo-fwd-next:${next}`, `the row says ${JSON.stringify(reaches)}`);
    const viaSvc = await tcpExchange(svcPort, "ping-45\n", (g) => g.includes("ping-45\n"));
    assert(viaSvc.err === null && viaSvc.got === "hello from echo-fwd-next\nping-45\n", `through the Service's forward: ${JSON.stringify(viaSvc)}`);
    await app.waitUntil("the connection counted", 15_000, () => document.querySelector("section.forwards li.forward .forward-status")?.textContent?.startsWith("demo \u00b7 1 connection") ?? false);
    await screenshot("service-forward-listed");
    // Copy puts the address on the desktop's clipboard, for a browser or curl elsewhere.
    await app.click("section.forwards li.forward .forward-copy");
    await waitFor("the address on the desktop's clipboard", async () => ((await desktopClipboard()) === `127.0.0.1:${svcPort}` ? true : null), 10_000);
    // The sections above and below the pod list fold to their title lines, and the list takes
    // the room (with four clusters, two favourites and this forward, it showed two rows).
    const podsHeight = await app.exec(() => document.querySelector(".pods")?.clientHeight ?? 0);
    for (const section of [".favourites", ".profiles", "section.forwards"]) await app.click(`${section} .fold-toggle`);
    try {
      const folded = await app.waitUntil("the three sections folded", 10_000, (before) => {
        const shown = (el) => el !== null && el.getClientRects().length > 0;
        const count = (sel) => document.querySelector(`${sel} .fold-count`)?.textContent ?? "";
        const clusters = [...document.querySelectorAll(".profile-list .profile")].filter(shown).map((el) => el.dataset.profile);
        const height = document.querySelector(".pods")?.clientHeight ?? 0;
        const ok =
          !shown(document.querySelector(".favourite-list")) &&
          !shown(document.querySelector(".forward-rows")) &&
          clusters.length === 1 &&
          clusters[0] === document.querySelector(".profile.selected")?.dataset.profile &&
          /^ · [0-9]+$/.test(count(".favourites")) &&
          count(".profiles") === ` · ${document.querySelectorAll(".profile-list .profile").length}` &&
          count("section.forwards") === " · 1" &&
          height > before + 100;
        return ok ? `${height} px; ${count(".favourites")} ${count(".profiles")}` : false;
      }, podsHeight);
      console.log(`  folded: the pod list ${podsHeight} px → ${folded}`);
      await screenshot("sidebar-folded");
    } finally {
      // Unfolded whatever happened: the tests after this click clusters and favourites.
      for (const section of [".favourites", ".profiles", "section.forwards"]) {
        if ((await app.exec((sel) => document.querySelector(`${sel} .fold-toggle`)?.getAttribute("aria-expanded"), section)) === "false") await app.click(`${section} .fold-toggle`);
      }
    }
    await app.waitUntil("the three sections unfolded", 10_000, () =>
      [...document.querySelectorAll(".fold-toggle")].every((b) => b.getAttribute("aria-expanded") === "true") && document.querySelector(".forward-rows")?.getClientRects().length === 1,
    );
    await app.click("section.forwards li.forward .forward-stop");
    await app.waitUntil("the forward gone", 10_000, () => document.querySelector("section.forwards li.forward") === null);
    // The Service's star: a favourite `service/echo-svc` in the sidebar, saved in
    // favourites.json as the command line's `favourite add svc/echo-svc` saves it; deleted
    // again from its row.
    await app.click("button.services-button");
    const svcStar = 'dialog.service-offer li[data-service="echo-svc"] button.service-star';
    await app.waitFor(svcStar, 15_000);
    await app.click(svcStar);
    const favNotice = await app.waitUntil("the star's notice", 15_000, () => {
      const t = document.querySelector("dialog.service-offer .service-status")?.textContent ?? "";
      return /^Saved favourite .* \(service\/echo-svc in demo\)$/.test(t) ? t : false;
    });
    // Named after the Service (another favourite of that name: `echo-svc (2)`).
    const favName = /^Saved favourite (.*) \(service\/echo-svc in demo\)$/.exec(favNotice)[1];
    await app.click("dialog.service-offer .cancel");
    const favRow = `.favourite[data-favourite="${favName}"]`;
    await app.waitUntil("the Service's favourite listed", 10_000, (sel) => document.querySelector(`${sel} .favourite-where`)?.textContent === "ops \u00b7 demo \u00b7 service/echo-svc", favRow);
    const stored = JSON.parse(await readFile(path.join(configDir, "favourites.json"), "utf8"));
    const kept = stored.favourites?.find((x) => x.name === favName);
    assert(kept?.target?.kind === "service" && kept.target.name === "echo-svc" && kept.namespace === "demo", `favourites.json keeps ${JSON.stringify(kept)}`);
    await app.click(`${favRow} .favourite-delete`);
    await app.waitFor(`${favRow} .favourite-confirm-delete`, 10_000);
    await app.click(`${favRow} .favourite-confirm-delete`);
    await app.waitUntil("the favourite deleted", 10_000, (sel) => document.querySelector(sel) === null, favRow);
    // Past the dialog's page: 500 Services named before echo-svc (kubectl deletes them one by
    // one at a few a second, and Kubernetes has no deleting Services as a collection: they stay
    // in this test cluster, whose later tests list no Services), and echo-svc is found by its
    // exact name, typed, then Enter.
    const bulk = Array.from({ length: 500 }, (_, i) => `bulk-${String(i).padStart(3, "0")}`);
    const bulkList = { apiVersion: "v1", kind: "List", items: bulk.map((name) => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "demo" }, spec: { ports: [{ port: 80 }] } })) };
    const madeBulk = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(bulkList));
    assert(madeBulk.code === 0, `kubectl create 500 services: ${madeBulk.err.slice(0, 300)}`);
    // kubectl reads them in pages of 100 (limit and continue), as from an API server.
    const paged = await kubectl(["get", "services", "-n", "demo", "--chunk-size=100", "-o", "name"]);
    const pagedNames = paged.out.split("\n").filter(Boolean);
    assert(paged.code === 0 && pagedNames.length === 501 && new Set(pagedNames).size === 501 && pagedNames.includes("service/echo-svc"), `kubectl get services in pages: ${pagedNames.length} (${paged.err.slice(0, 200)})`);
    await app.click("button.services-button");
    await app.waitUntil("the first 500 listed", 15_000, () => document.querySelector("dialog.service-offer .service-status")?.textContent === "The first 500 Services in demo (it has more: they are not listed)");
    assert((await app.exec(() => document.querySelector('dialog.service-offer li[data-service="echo-svc"]'))) === null, "echo-svc listed among the first 500");
    await app.type("dialog.service-offer .service-filter", "echo-svc");
    await app.waitUntil("the lookup offered", 10_000, () => document.querySelector("dialog.service-offer .service-lookup:not([hidden])")?.textContent === "Look up svc/echo-svc (Enter)");
    await app.type("dialog.service-offer .service-filter", Keys.ENTER);
    await app.waitFor(`dialog.service-offer button.service-port[data-service="echo-svc"][data-port="${svcPort}"]`, 15_000);
    const foundSaid = await text("dialog.service-offer .service-status");
    assert(foundSaid === "svc/echo-svc: found by name, past the first 500 Services of demo", `the dialog says ${JSON.stringify(foundSaid)}`);
    await screenshot("service-looked-up");
    await app.click("dialog.service-offer .cancel");
  } finally {
    // Whatever happened, the pods, their servers and the Service go (later tests list the namespace).
    await kubectl(["delete", "pod", "echo-fwd", "echo-fwd-next", "echo-db-0", "-n", "demo", "--wait=false", "--ignore-not-found"]);
    await kubectl(["delete", "service", "echo-svc", "-n", "demo", "--ignore-not-found"]);
  }
});

test("quick open: a pod of another namespace of the current cluster, and a workload, open a shell", async () => {
  await closeDialogs();
  // The sidebar lists ops's demo namespace; api-0 lives in apps.
  await app.click(`.tab[data-tab-id="${state.tabId}"]`);
  await quickOpen("api");
  await app.waitUntil("apps/api-0 offered", 15_000, () => document.querySelector(".quick-item.selected")?.getAttribute("data-label") === "apps/api-0");
  let before = await tabIds();
  await app.type("dialog.quick-open .quick-input", Keys.ENTER);
  const api = await newTab(before, "the api-0 tab");
  assert(api.profile === "ops" && api.namespace === "apps" && api.pod === "api-0", JSON.stringify(api));
  await waitTabState(api.id, "connected");
  await closeTab(api.id);
  // The Demo cluster's Deployment web: its newest Ready pod.
  await selectProfile("Demo cluster");
  await app.waitFor('.pod[data-pod="multi"]', 20_000);
  await quickOpen("deployment/web");
  await app.waitUntil("the workload offered", 15_000, () => document.querySelector(".quick-item.selected")?.getAttribute("data-kind") === "workload");
  await screenshot("quick-open-workload");
  before = await tabIds();
  await app.type("dialog.quick-open .quick-input", Keys.ENTER);
  const web = await newTab(before, "the workload's tab");
  await waitTabState(web.id, "connected");
  await waitForLine(web.id, isPrompt, "a prompt");
  await typeLine(web.id, 'echo "pod=$HOSTNAME"');
  await waitForLine(web.id, (l) => l === "pod=web-6b7f9c8d5-p9m7q", "the newest web pod");
  await closeTab(web.id);
});

test("the sidebar sorts by restarts and age (remembered) and lists all namespaces", async () => {
  await closeDialogs();
  // A pod whose main process exits at once: it restarts again and again; created just now.
  const pod = { namespace: "demo", name: "restarter", ageSeconds: 0, containers: [{ name: "main", command: ["sh", "-c", "exit 1"] }] };
  const res = await fetch(`${admin}/pods`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(pod) });
  assert(res.ok, `admin PUT: HTTP ${res.status} ${await res.text()}`);
  await choose(".pod-sort", "restarts");
  const order = await app.waitUntil("restarter first, most restarts first", 20_000, () => {
    const r = [...document.querySelectorAll(".pod")].map((li) => [li.dataset.pod, parseInt(li.querySelector(".pod-restarts")?.textContent ?? "", 10)]);
    return r[0]?.[0] === "restarter" && r[0][1] > 0 && r.every((x, i) => i === 0 || r[i - 1][1] >= x[1]) ? r : false;
  });
  log(`by restarts: ${order.map(([p, n]) => `${p} ${n}`).join(", ")}`);
  await screenshot("sort-restarts");
  await choose(".pod-sort", "age");
  await app.waitUntil("the new pod first by age", 10_000, () => document.querySelector(".pod")?.dataset.pod === "restarter");
  assert((await app.exec(() => localStorage.getItem("podterm.podSort"))) === "age", "the order is not remembered");
  // All namespaces: kube-system's pod beside demo's, each row with its namespace.
  await choose(".ns-select", "\u0000all");
  await app.waitUntil("kube-system in the list", 20_000, () => !!document.querySelector('.pod[data-namespace="kube-system"]'));
  const ns = await app.exec(() => [...new Set([...document.querySelectorAll(".pod .pod-ns")].map((e) => e.textContent))]);
  assert(ns.some((n) => n.startsWith("kube-system")) && ns.some((n) => n.startsWith("demo")), `namespaces shown: ${JSON.stringify(ns)}`);
  await screenshot("all-namespaces");
  await choose(".pod-sort", "name");
  await choose(".ns-select", "demo");
  // Every row of the all-namespaces list is there until demo's list replaces it.
  await app.waitUntil("demo's pods listed", 20_000, () => document.querySelector(".pods")?.dataset.shown?.endsWith("/demo"));
  await app.waitFor('.pod[data-namespace="demo"][data-pod="multi"]', 10_000);
  await fetch(`${admin}/pods/demo/restarter`, { method: "DELETE" });
});

test("a long pod list (400 more pods): a screenful of rows drawn; End and Home reach its ends; a scroll draws the rows it shows", async () => {
  await closeDialogs();
  const N = 400;
  const name = (i) => `bulk-${String(i).padStart(3, "0")}`;
  // The last test's restarter deleted (its deletion reaches the list a moment later).
  await app.waitUntil("restarter gone", 20_000, () => document.querySelector(".pods")?.dataset.shown?.endsWith("/demo") && !document.querySelector('.pod[data-pod="restarter"]'));
  const before = await app.exec(() => Number(document.querySelector(".pods")?.dataset.pods));
  try {
    await longList(N, name, before);
  } finally {
    for (let i = 0; i < N; i++) await fetch(`${admin}/pods/demo/${name(i)}`, { method: "DELETE" });
    await app.waitUntil(`${before} pods listed again`, 30_000, (n) => Number(document.querySelector(".pods")?.dataset.pods) === n && document.querySelectorAll(".pod").length === n, before);
    await app.exec(() => (document.querySelector(".pods").scrollTop = 0));
  }
});

async function longList(N, name, before) {
  for (let i = 0; i < N; i++) {
    const res = await fetch(`${admin}/pods`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ namespace: "demo", name: name(i), containers: [{ name: "main" }] }) });
    assert(res.ok, `admin PUT: HTTP ${res.status} ${await res.text()}`);
  }
  await app.waitUntil(`${before + N} pods listed`, 30_000, (n) => Number(document.querySelector(".pods")?.dataset.pods) === n, before + N).catch(async (e) => {
    throw new Error(`${e.message} (listed: ${await app.exec(() => document.querySelector(".pods")?.dataset.pods)}, before: ${before})`);
  });
  const drawn = await app.exec(() => document.querySelectorAll(".pod").length);
  assert(drawn > 5 && drawn < 150, `${drawn} rows drawn of ${before + N}`);
  const inView = (which) => {
    const a = document.activeElement;
    const list = document.querySelector(".pods")?.getBoundingClientRect();
    const r = a?.getBoundingClientRect();
    const pods = [...document.querySelectorAll(".pod")];
    const want = which === "last" ? pods.at(-1) : pods[0];
    return a?.closest(".pod") === want && list && r && r.top >= list.top - 1 && r.bottom <= list.bottom + 1 ? want.dataset.pod : null;
  };
  // The keys as a user presses them on the first pod (WebDriver: End U+E010, Home U+E011).
  const first = await app.exec(() => document.querySelector(".pod")?.dataset.pod);
  await app.type(`.pod[data-pod="${first}"] .pod-line`, "\uE010");
  const last = await app.waitUntil("End on the last pod, in view", 10_000, inView, "last");
  await screenshot("long-pod-list-end");
  await app.type(`.pod[data-pod="${last}"] .pod-line`, "\uE011");
  assert((await app.waitUntil("Home on the first pod, in view", 10_000, inView, "first")) === first, "Home did not reach the first pod");
  // Scrolled to the middle (WebKit's own scroll event): the rows there are drawn.
  await app.exec(() => {
    const el = document.querySelector(".pods");
    el.scrollTop = el.scrollHeight / 2;
  });
  await app.waitUntil("the middle rows drawn", 10_000, (n) => document.querySelector(`.pod[data-pod="${n}"]`) !== null, name(N / 2));
}

test("twelve tabs from two clusters: the active one in view, labels distinct; Ctrl+Shift+Tab, Ctrl+Shift+W, Ctrl+Shift+T; the terminal's menu", async () => {
  await closeDialogs();
  // Two tabs of one favourite are one label twice: one goes (the link's).
  const favs = (await tabs()).filter((t) => t.favourite === "web");
  for (const t of favs.slice(1)) await closeTab(t.id);
  const kept = await tabIds();
  const opened = [];
  const open = async (pod, container) => {
    // The row in the middle of the list, not under its header (a long list scrolls).
    await app.exec((p) => document.querySelector(`.pod[data-pod="${p}"]`)?.scrollIntoView({ block: "center" }), pod);
    const t = await openPod(pod, container);
    opened.push(t.id);
    await app.waitUntil(`tab ${opened.length + kept.length} in view`, 10_000, (id) => {
      const bar = document.querySelector(".tab-bar").getBoundingClientRect();
      const r = document.querySelector(`.tab[data-tab-id="${id}"]`)?.getBoundingClientRect();
      return !!r && r.left >= bar.left - 0.5 && r.right <= bar.right + 0.5;
    }, t.id);
  };
  try {
    await twelveTabs(kept, opened, open);
  } finally {
    // Whatever happened, none of these tabs is left for the restart (an ops tab would ask).
    await closeDialogs();
    for (const id of opened) if ((await tabIds()).includes(id)) await closeTab(id);
    await selectProfile("Demo cluster");
  }
});

async function twelveTabs(kept, opened, open) {
  await app.waitFor('.pod[data-pod="pair"]', 20_000);
  for (const [pod, c] of [["multi", "app"], ["multi", "sidecar"], ["pair", "one"], ["pair", "two"], ["web-6b7f9c8d5-h2x4k", "web"], ["logger", "main"]]) await open(pod, c);
  await selectProfile("ops");
  await app.waitFor('.pod[data-pod="shell"]', 20_000);
  for (const [pod, c] of [["shell", "main"], ["multi", "app"], ["multi", "sidecar"]]) await open(pod, c);
  await choose(".ns-select", "apps");
  await app.waitFor('.pod[data-pod="api-0"]', 20_000);
  await open("api-0", "api");
  const all = await tabs();
  assert(all.length === 12, `${all.length} tabs`);
  const labels = await app.exec(() => [...document.querySelectorAll(".tab .tab-label")].map((e) => e.textContent));
  assert(new Set(labels).size === 12, `labels: ${labels.join(" | ")}`);
  const bar = await app.exec(() => {
    const b = document.querySelector(".tab-bar");
    return { over: b.scrollWidth > b.clientWidth, scrollbar: b.offsetHeight - b.clientHeight };
  });
  assert(bar.over && bar.scrollbar === 0, `tab bar ${JSON.stringify(bar)}`);
  log(`labels: ${labels.join(" | ")}`);
  await screenshot("twelve-tabs");
  // Ctrl+Shift+Tab: the tab before; Ctrl+Shift+W closes it; Ctrl+Shift+T opens it again.
  const ids = all.map((t) => t.id);
  const activeIs = (id, what) => app.waitUntil(what, 10_000, (want) => window.__podterm.tabs().find((t) => t.active)?.id === want, id);
  await activeIs(ids[11], "the last tab active");
  await app.exec(() => {
    window.__keysSeen = [];
    window.addEventListener("keydown", (e) => window.__keysSeen.push(`${e.ctrlKey ? "C-" : ""}${e.shiftKey ? "S-" : ""}${e.key}/${e.code}`), true);
  });
  await keysToActive(Keys.CONTROL + Keys.SHIFT + Keys.TAB + Keys.NULL);
  await activeIs(ids[10], "Ctrl+Shift+Tab: the tab before").catch(async (e) => {
    throw new Error(`${e.message}; keys seen: ${JSON.stringify(await app.exec(() => window.__keysSeen))}`);
  });
  const closing = all[10];
  await keysToActive(Keys.CONTROL + Keys.SHIFT + "w" + Keys.NULL);
  await app.waitUntil("Ctrl+Shift+W closed it", 10_000, (id) => !document.querySelector(`.tab[data-tab-id="${id}"]`), closing.id);
  const before = await tabIds();
  await keysToActive(Keys.CONTROL + Keys.SHIFT + "t" + Keys.NULL);
  const back = await newTab(before, "Ctrl+Shift+T's tab");
  assert(back.profile === closing.profile && back.pod === closing.pod && back.container === closing.container, `reopened ${JSON.stringify(back)} for ${JSON.stringify(closing)}`);
  await waitTabState(back.id, "connected");
  opened.splice(opened.indexOf(closing.id), 1, back.id);
  // Right-click in the terminal: our menu, not WebKit's text-box menu.
  await waitForLine(back.id, isPrompt, "a prompt in the reopened tab");
  const host = await app.find(`.pane[data-tab-id="${back.id}"] .term-host`);
  const origin = { "element-6066-11e4-a52e-4f735466cecf": host };
  await app.cmd("POST", "/actions", {
    actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [{ type: "pointerMove", origin, x: 0, y: 0 }, { type: "pointerDown", button: 2 }, { type: "pointerUp", button: 2 }] }],
  });
  await app.cmd("DELETE", "/actions");
  await app.waitFor(".context-menu", 10_000);
  const items = await app.exec(() => [...document.querySelectorAll(".context-menu .context-label")].map((e) => e.textContent));
  assert(JSON.stringify(items) === JSON.stringify(["Copy", "Paste", "Select all", "Clear", "Find…", "Start recording", "Logs beside the terminal", "Copy pod name", "Split right", "Split down", "Split right with…", "Broadcast from this pane", "Download from the pod…", "Close tab"]), `menu: ${items.join(", ")}`);
  await screenshot("terminal-menu");
  await app.exec(() => [...document.querySelectorAll(".context-menu .context-item")].find((e) => /Select all/.test(e.textContent)).click());
  await app.waitUntil("the terminal's text selected", 10_000, (id) => window.__podterm.terminals.get(id).hasSelection(), back.id);
}

test("the pod deleted mid-session: the tab ends with a reason", async () => {
  await closeDialogs();
  await app.click(`.tab[data-tab-id="${state.tabId}"]`);
  await waitTabState(state.tabId, "connected");
  const res = await fetch(`${admin}/pods/demo/shell`, { method: "DELETE" });
  assert(res.ok, `admin DELETE: HTTP ${res.status} ${await res.text()}`);
  await app.waitUntil("the tab to end", 15_000, (id) => {
    const s = document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("data-state");
    return s === "lost" || s === "exited";
  }, state.tabId);
  // The engine names the deletion when its look at the pod answers in time; else the pod list's
  // deletion event renames the reason a moment later.
  await app.waitUntil("the banner to name the deletion", 15_000, (id) => /the pod demo\/shell was deleted/.test(document.querySelector(`.pane[data-tab-id="${id}"] .banner-text`)?.textContent ?? ""), state.tabId);
  const banner = await text(`.pane[data-tab-id="${state.tabId}"] .banner-text`);
  assert(/the pod demo\/shell was deleted/.test(banner ?? ""), `banner "${banner}"`);
  log(`pod deleted: ${banner}`);
  await app.waitUntil("the pod to leave the sidebar", 10_000, () => !document.querySelector('.pod[data-pod="shell"]'));
  await screenshot("pod-deleted");
});

/** The pod whose Logs view is open across the restart. */
const LOGS_POD = "web-6b7f9c8d5-h2x4k";
/** A tab as the restart finds it again: a favourite's by name, else its kind and place. */
const tabPlace = (t) => (t.favourite ? `★${t.favourite}` : `${t.kind}:${t.namespace}/${t.pod}/${t.container}`);

test("the window's size is restored after a restart", async () => {
  // A Logs view, kept as one: it must come back as a Logs view, never as a shell in its pod.
  // (A pod of the Demo cluster as it starts: the restart starts it again.)
  await app.waitFor(`.pod[data-pod="${LOGS_POD}"]`, 20_000);
  await app.type(`.pod[data-pod="${LOGS_POD}"] .pod-line`, "l");
  await app.waitUntil("a Logs tab", 10_000, (p) => window.__podterm.tabs().find((t) => t.kind === "logs" && t.pod === p), LOGS_POD);
  // A port forward to the same pod (nothing listens on its port 80): it starts again after the
  // restart, on the same local port.
  const { title: forwardTitle, declared } = await forwardFromMenu(LOGS_POD, "80");
  assert(declared === "none declared: type the port its server listens on", `the declared ports offered: ${declared}`);
  state.forwardLocal = Number(/^127\.0\.0\.1:(\d+) /.exec(forwardTitle)?.[1]);
  assert(state.forwardLocal > 0, `the forward's row ${forwardTitle}`);
  // A second one, whose local port this test holds while the app is away: it cannot start
  // again, and its row offers Start again.
  const { title: heldTitle } = await forwardFromMenu(LOGS_POD, "81");
  state.heldLocal = Number(/^127\.0\.0\.1:(\d+) /.exec(heldTitle)?.[1]);
  assert(state.heldLocal > 0 && state.heldLocal !== state.forwardLocal, `the second forward's row ${heldTitle}`);
  const savedAt = (f, local, port) => f?.forwards?.some((x) => x.local === local && x.pod === LOGS_POD && x.remote === port);
  for (let i = 0; ; i++) {
    let f = null;
    try {
      f = JSON.parse(await readFile(path.join(configDir, "forwards.json"), "utf8"));
    } catch {
      /* not written yet */
    }
    if (f?.forwards?.length === 2 && savedAt(f, state.forwardLocal, "80") && savedAt(f, state.heldLocal, "81")) break;
    if (i > 100) throw new Error(`forwards.json never listed the two forwards: ${JSON.stringify(f)}`);
    await sleep(100);
  }
  // What the tabs were, to find them again after the restart.
  await app.click(`.tab[data-tab-id="${state.tabId}"]`);
  state.tabsBefore = (await tabs()).map(tabPlace);
  const activeIndex = (await tabs()).findIndex((t) => t.active);
  // The engine keeps them in tabs.json: wait for the file to say these tabs, this one active.
  const saved = async () => {
    try {
      return JSON.parse(await readFile(path.join(configDir, "tabs.json"), "utf8"));
    } catch {
      return null;
    }
  };
  for (let i = 0; ; i++) {
    const s = await saved();
    if (s?.tabs?.length === state.tabsBefore.length && s.active === activeIndex) break;
    if (i > 100) throw new Error(`tabs.json never listed the ${state.tabsBefore.length} tabs: ${JSON.stringify(s)}`);
    await sleep(100);
  }
  const file = JSON.stringify(await saved());
  assert(!/token|password|BEGIN/i.test(file), `tabs.json holds something secret-looking: ${file}`);
  await app.cmd("POST", "/window/rect", { width: 1010, height: 690 });
  const set = await app.cmd("GET", "/window/rect");
  assert(set.width === 1010 && set.height === 690, `window rect after set: ${JSON.stringify(set)}`);
  // SIGTERM: the app leaves as a window close does, saving the window's state.
  const pid = await app.pid();
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && (await app.pid()) === pid; i++) await sleep(100);
  assert((await app.pid()) !== pid, "the app did not exit on SIGTERM");
  // Another program now has the second forward's local port (as a user's dev server might).
  state.holder = net.createServer((c) => c.end("held\n"));
  await new Promise((resolve, reject) => {
    state.holder.once("error", reject);
    state.holder.listen(state.heldLocal, "127.0.0.1", resolve);
  });
  // And a forward of the ops cluster's Deployment echo whose pod a rollout replaced while the app
  // was away, the new pod not Ready yet as the app starts: saved as the app saves one.
  state.waitLocal = await freePort();
  state.waitServer = await freePort();
  await echoPod("echo-wait-next", state.waitServer);
  const unready = await fetch(`${workday.admin}/pods/demo/echo-wait-next/ready?value=false`, { method: "POST" });
  assert(unready.ok, `echo-wait-next not Ready: ${unready.status} ${await unready.text()}`);
  const forwardsFile = path.join(configDir, "forwards.json");
  const keptForwards = JSON.parse(await readFile(forwardsFile, "utf8"));
  keptForwards.forwards.push({ profile: "ops", namespace: "demo", pod: "echo-wait", remote: "echo", local: state.waitLocal, workload: "deployment/echo" });
  await writeFile(forwardsFile, JSON.stringify(keptForwards));
  // From now on closing the window does not hide it to the tray (as the tray's "Keep running in
  // the tray" unticked): the last test closes it with live sessions.
  const settingsFile = path.join(configDir, "settings.json");
  let settings = { version: 1 };
  try {
    settings = JSON.parse(await readFile(settingsFile, "utf8"));
  } catch {
    /* none written yet: the defaults */
  }
  await writeFile(settingsFile, JSON.stringify({ ...settings, closeToTray: false }));
  await app.close();
  app = await launchApp({ binary, env: appEnv, log });
  // The first-run card (Demo only) or, with the second cluster saved, the cluster list.
  await app.waitFor("#demo-cluster, .profile", 20_000);
  const rect = await app.cmd("GET", "/window/rect");
  assert(rect.width === 1010 && rect.height === 690, `window rect after restart: ${JSON.stringify(rect)}`);
  try {
    // The ops forward has no Ready pod to go to: its row shows at once, starting, saying what it
    // waits for, and nothing listens on its port yet.
    const waiting = `127.0.0.1:${state.waitLocal} \u2192 echo-wait:echo`;
    // (Listed as starting at once, then saying what it waits for once its cluster answered.)
    const row = await waitFor("the waiting forward's row", async () => {
      const r = await forwardRow(waiting);
      return r?.starting && r.follows !== "" ? r : false;
    }, 30_000);
    assert(
      row.status === "demo \u00b7 starting again: not listening yet" && row.follows === "Waits: no Ready pod of deployment/echo yet: waiting up to 45 s for one",
      `the waiting forward's row: ${JSON.stringify(row)}`,
    );
    // Not the app's listener (asked of the kernel, not of a connect that another process holding
    // the port would answer).
    const holders = await listenerPids(state.waitLocal);
    assert(!holders.includes(await app.pid()), `the waiting forward's port is already the app's: ${JSON.stringify(holders)}`);
    await app.exec((t) => [...document.querySelectorAll("section.forwards li.forward")].find((x) => x.querySelector(".forward-title")?.textContent === t)?.scrollIntoView({ block: "nearest" }), waiting);
    await screenshot("forward-starting");
    // Folded, the section's title says forwards are starting (in a stopped one's red only when
    // one has stopped).
    const foldTitle = () => app.exec(() => {
      const c = document.querySelector("section.forwards .fold-count");
      return { text: c?.textContent ?? null, attention: c?.classList.contains("attention") ?? null, red: c?.querySelector(".fold-attention")?.textContent ?? null };
    });
    await app.exec(() => document.querySelector("section.forwards .fold-toggle")?.click());
    const folded = await waitFor("the folded title saying forwards are starting", async () => {
      const t = await foldTitle();
      return /^ \u00b7 \d+(, \d+ stopped)?, [1-9]\d* starting$/.test(t.text ?? "") ? t : false;
    }, 10_000);
    // Only a stopped forward's count in red, never the starting ones.
    const stopped = / (\d+ stopped),/.exec(folded.text)?.[1] ?? null;
    assert(folded.attention === (stopped !== null) && folded.red === stopped, `the folded title's red: ${JSON.stringify(folded)}`);
    await screenshot("forward-starting-folded");
    await app.exec(() => document.querySelector("section.forwards .fold-toggle")?.click());
    await waitFor("the section unfolded", async () => ((await foldTitle()).text === "" ? true : false), 10_000);
    // Its pod Ready: the forward listens in that row and reaches it.
    const ready = await fetch(`${workday.admin}/pods/demo/echo-wait-next/ready?value=true`, { method: "POST" });
    assert(ready.ok, `echo-wait-next Ready: ${ready.status}`);
    const started = `127.0.0.1:${state.waitLocal} \u2192 echo-wait-next:${state.waitServer} (echo)`;
    const running = await waitFor("the waiting forward started", async () => {
      const r = await forwardRow(started);
      return r && !r.starting && !r.ended ? r : false;
    }, 30_000);
    assert(running.follows === "Follows deployment/echo \u2014 moved from echo-wait: the pod echo-wait was gone at the start", `the started forward's row: ${JSON.stringify(running)}`);
    const through = await tcpExchange(state.waitLocal, "ping-46\n", (g) => g.includes("ping-46\n"));
    assert(through.err === null && through.got === "hello from echo-wait-next\nping-46\n", `through the forward that waited: ${JSON.stringify(through)}`);
    // (Stopped with the others after the next test's look at the restored forwards.)
  } catch (e) {
    await kubectl(["delete", "pod", "echo-wait-next", "-n", "demo", "--wait=false", "--ignore-not-found"]);
    throw e;
  }
});

test("after a restart the tabs are back: the same places, live again, the active one active", async () => {
  const back = await app.waitUntil("the last run's tabs", 30_000, (n) => (window.__podterm.tabs().length === n ? window.__podterm.tabs() : null), state.tabsBefore.length);
  const places = back.map(tabPlace);
  assert(JSON.stringify(places) === JSON.stringify(state.tabsBefore), `after the restart ${JSON.stringify(places)}; before ${JSON.stringify(state.tabsBefore)}`);
  // The Logs view is one again, following its pod's log.
  const logs = back.find((t) => t.kind === "logs" && t.pod === LOGS_POD);
  assert(logs, `no Logs tab of ${LOGS_POD} after the restart: ${JSON.stringify(places)}`);
  await app.waitUntil("the restored Logs view following its pod", 30_000, (id) => /^Following /.test(document.querySelector(`.pane[data-tab-id="${id}"] .logs-state`)?.textContent ?? ""), logs.id);
  const shell = back.find((t) => t.pod === "shell" && !t.favourite);
  assert(shell?.active, `the active tab is not shell: ${JSON.stringify(back.find((t) => t.active))}`);
  await waitTabState(shell.id, "connected", 30_000);
  await waitForLine(shell.id, isPrompt, "a prompt in the restored tab");
  await typeLine(shell.id, "echo restored-$((40+2))");
  await waitForLine(shell.id, (l) => l === "restored-42", "restored-42");
  await screenshot("restored-tabs");
  try {
    // The port forward is back on its local port, to the pod of the Demo cluster made again.
    await app.waitUntil("the port forward back", 30_000, (want) => [...document.querySelectorAll("section.forwards li.forward .forward-title")].some((e) => e.textContent === want), `127.0.0.1:${state.forwardLocal} \u2192 ${LOGS_POD}:80`);
    // It takes connections again: nothing listens in the pod, so each is closed and the row says why.
    const through = await tcpExchange(state.forwardLocal, null, () => false, 15_000);
    assert(through.err === "closed", `a connection to the restored forward: ${JSON.stringify(through)}`);
    const restored = `127.0.0.1:${state.forwardLocal} \u2192 ${LOGS_POD}:80`;
    await waitFor("the refusal on the row", async () => /the last failed: /.test((await forwardRow(restored))?.status ?? ""), 15_000);
    // The second one's port is held by another program: its row says so, with Start again.
    const held = `127.0.0.1:${state.heldLocal} \u2192 ${LOGS_POD}:81`;
    const failed = await waitFor("the held forward's row", async () => {
      const r = await forwardRow(held);
      return r?.ended ? r : false;
    }, 30_000);
    assert(/^Ended: not started again: unable to create listener: 127\.0\.0\.1:\d+: .*in use.*: close the program on that port and press Start again, or Remove this forward$/i.test(failed.status) && failed.again === "Start again" && failed.tip === failed.status, `the held forward's row: ${JSON.stringify(failed)}`);
    // The note comes with restore's answer, which may follow the rows' events.
    await app.waitUntil("the restore's note", 15_000, () => document.querySelector("section.forwards .forward-note")?.textContent === "1 of the last run's 3 port forwards could not start again: the list says why");
    await app.exec(() => document.querySelector("section.forwards li.forward.ended")?.scrollIntoView({ block: "nearest" }));
    await screenshot("forward-start-again-offered");
    // Tried while the port is still held: it fails again, the row stays and can be tried again.
    await app.click("section.forwards li.forward.ended .forward-again");
    const second = await waitFor("the second refusal said", async () => {
      const r = await forwardRow(held);
      const note = await app.exec(() => document.querySelector("section.forwards .forward-note")?.textContent ?? "");
      return r?.ended && r.again === "Start again" && note !== "" && !/could not start again/.test(note) ? note : false;
    }, 20_000);
    assert(/in use.*: close the program on that port and press Start again, or Remove this forward$/i.test(second), `the second refusal: ${second}`);
    // The port free again: Start again makes it a running forward on the same local port.
    await new Promise((resolve) => state.holder.close(resolve));
    state.holder = null;
    await app.click("section.forwards li.forward.ended .forward-again");
    await waitFor("the forward started again", async () => {
      const r = await forwardRow(held);
      return r !== null && !r.ended && r.status.startsWith("demo \u00b7 0 connections");
    }, 20_000);
    const again = await tcpExchange(state.heldLocal, null, () => false, 15_000);
    // Closed by the pod's side (nothing listens on 81 there): not the holder's "held" line.
    assert(again.err === "closed" && again.got === "", `a connection to the forward started again: ${JSON.stringify(again)}`);
    await waitFor("its connection counted", async () => (await forwardRow(held))?.status.startsWith("demo \u00b7 1 connection") ?? false, 15_000);
    await app.exec(() => document.querySelector("section.forwards li.forward:last-child")?.scrollIntoView({ block: "nearest" }));
    await screenshot("forward-restored");
  } finally {
    state.holder?.close();
    // Whatever happened, no forward is left for the tests after this one.
    await app.exec(() => document.querySelectorAll("section.forwards li.forward .forward-stop").forEach((b) => b.click()));
    await app.waitUntil("the forward gone", 10_000, () => document.querySelector("section.forwards li.forward") === null);
    await kubectl(["delete", "pod", "echo-wait-next", "-n", "demo", "--wait=false", "--ignore-not-found"]);
  }
});

test("after a restart the favourite is still there and opens (starting the Demo cluster)", async () => {
  // A new tab (the restored ones include the favourite's tabs of the last run).
  await app.waitFor('.favourite[data-favourite="web"]', 20_000);
  const before = (await tabs()).map((t) => t.id);
  await app.click('.favourite[data-favourite="web"]', 20_000);
  const tab = await app.waitUntil("the favourite's tab", 15_000, (ids) => window.__podterm.tabs().find((t) => t.favourite === "web" && !ids.includes(t.id)), before);
  await waitTabState(tab.id, "connected", 30_000);
  await waitForLine(tab.id, isPrompt, "a prompt");
  await typeLine(tab.id, 'echo "pod=$HOSTNAME"');
  await waitForLine(tab.id, (l) => l === "pod=web-6b7f9c8d5-p9m7q", "the name of the newest web pod");
  await screenshot("restarted-favourite");
});

test("the app killed with a copy's tab open: the next start offers the copy, and Delete deletes it", async () => {
  await closeDialogs();
  await createCrashy();
  try {
    const { name } = await openCopyOfCrashy();
    // Killed: nothing deletes the copy on the way out.
    const pid = await app.pid();
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && (await app.pid()) === pid; i++) await sleep(100);
    assert((await app.pid()) !== pid, "the app did not die on SIGKILL");
    assert((await kubectl(["get", "pod", name, "-o", "name"])).out.trim() === `pod/${name}`, "the copy went with the app");
    // This start reopens no tab (the crashy tabs would first ask about the production cluster).
    const settingsFile = path.join(configDir, "settings.json");
    const settings = JSON.parse(await readFile(settingsFile, "utf8"));
    await writeFile(settingsFile, JSON.stringify({ ...settings, restoreTabs: false }));
    await app.close();
    app = await launchApp({ binary, env: appEnv, log });
    await app.waitFor(".left-copies .left-copies-delete", 20_000);
    const line = await text(".left-copies li .left-copy-line");
    assert(line === `${name}, a copy of crashy (namespace demo, cluster ops)`, `the card says "${line}"`);
    await screenshot("left-copies");
    await app.click(".left-copies .left-copies-delete");
    // Deleted (kubectl's view, waited for), off the list, and the card gone; crashy stays.
    for (let i = 0; ; i++) {
      const there = await kubectl(["get", "pod", name, "--ignore-not-found", "-o", "name"]);
      if (there.code === 0 && there.out.trim() === "") break;
      assert(i < 200, `the left copy is still there: ${there.out} ${there.err}`);
      await sleep(100);
    }
    await app.waitUntil("the card gone", 10_000, () => !document.querySelector(".left-copies"));
    assert((await listedCopies())?.length === 0, `copies.json after the delete: ${JSON.stringify(await listedCopies())}`);
    assert((await kubectl(["get", "pod", "crashy", "-o", "name"])).out.trim() === "pod/crashy", "the original was deleted too");
    // A live session for the test after this one: the favourite (it starts the Demo cluster).
    await app.waitFor('.favourite[data-favourite="web"]', 20_000);
    const before = await tabIds();
    await app.click('.favourite[data-favourite="web"]', 20_000);
    const tab = await newTab(before, "the favourite's tab");
    await waitTabState(tab.id, "connected", 30_000);
  } finally {
    await kubectl(["delete", "pod", "crashy", "--now", "--ignore-not-found"]);
  }
});

test("the page's web process killed: the page loads again, its tabs reopen live, the old page's shells end", async () => {
  const before = await tabs();
  const shell = before.find((t) => t.kind === "terminal" && t.status.kind === "connected");
  assert(shell, `no live terminal tab: ${JSON.stringify(before)}`);
  // Tabs reopen (the test before turned it off): on again, which saves the open tabs now.
  if (!(await app.exec(() => document.querySelector(".settings-group")?.open))) await app.click(".settings-summary");
  await app.waitFor(".restore-tabs-setting input", 10_000);
  if (!(await app.exec(() => document.querySelector(".restore-tabs-setting input").checked))) await app.click(".restore-tabs-setting input");
  const tabsFile = path.join(configDir, "tabs.json");
  await waitFor("the open tabs saved", async () => {
    try {
      return JSON.parse(await readFile(tabsFile, "utf8")).tabs?.length === before.length;
    } catch {
      return false;
    }
  }, 10_000);
  await app.click(`.tab[data-tab-id="${shell.id}"]`);
  await waitTabState(shell.id, "connected");
  // The shell's own pid (the Demo cluster runs in the app: its shells are the app's children),
  // which must end with the page that had it.
  await typeLine(shell.id, "echo pid-$$");
  const lines = await waitForLine(shell.id, (l) => /^pid-\d+$/.test(l), "the shell's pid");
  const shellPid = Number(lines.find((l) => /^pid-\d+$/.test(l))?.slice(4));
  const root = await app.pid();
  const under = async () => new Map((await processTree(root)).map((p) => [p.pid, p.comm]));
  const was = await under();
  assert(was.has(shellPid), `the shell's pid ${shellPid} is not under the app (${root})`);
  const web = await webProcess(root);
  assert(web !== null, "no web process under the app");
  try {
    process.kill(web, "SIGKILL");
    const killed = Date.now();
    // WebDriver's session ends with the web process: what follows is seen from outside the page.
    await waitFor("a new web process", async () => {
      const now = await webProcess(root);
      return now !== null && now !== web;
    }, 30_000);
    // The old page's shell ends, and the new page reopens its tabs: a new shell, which only a
    // page opens.
    const comm = was.get(shellPid);
    let now = was;
    await waitFor("the old page's shell ended and a new one started", async () => {
      now = await under();
      return !now.has(shellPid) && [...now].some(([pid, c]) => c === comm && !was.has(pid));
    }, 30_000).catch(async (e) => {
      await app.capture(path.join(results, "page-loaded-again-failure.png")).catch(() => {});
      throw new Error(`${e.message}: the shell ${shellPid} (${comm}); under the app before ${JSON.stringify([...was])}, now ${JSON.stringify([...now])}`);
    });
    shot += 1;
    await app.capture(path.join(results, `${String(shot).padStart(2, "0")}-page-loaded-again.png`));
    // Ended again at once, it is left ended (one that ends at each load is not loaded for ever),
    // its shells ended too, until the window is shown again: then it is loaded again.
    const newShell = [...now].find(([pid, c]) => c === comm && !was.has(pid))?.[0];
    const second = await webProcess(root);
    assert(second !== null && second !== web, "no second web process");
    // Within the 30 s after the first (src-tauri/pagecrash.rs, AGAIN_AFTER), with room to spare.
    assert(Date.now() - killed < 25_000, `the page took ${Date.now() - killed} ms to come back: too late to check that one ending again is left ended`);
    process.kill(second, "SIGKILL");
    await waitFor("the second page's shell ended", async () => !(await under()).has(newShell), 30_000);
    await waitFor("the page said left blank", async () => /the window's page ended again .*it is left blank/.test(app.driverLog()), 10_000);
    const left = await under();
    // A second start shows the window (the tray's item does the same): its page loads again.
    const { code, err } = await secondLaunch([]);
    assert(code === 0, `second launch exited ${code}: ${err.slice(-400)}`);
    await waitFor("the page loaded again and its tab's shell started", async () => {
      const third = await under();
      return [...third].some(([pid, c]) => c === comm && !left.has(pid));
    }, 30_000);
    assert(/the window's page, left blank, is loaded again/.test(app.driverLog()), "the page came back without the window shown");
  } finally {
    // WebDriver's session ended with the first web process; the next test needs one: a new
    // start of the app, its tabs back.
    await app.close();
    app = await launchApp({ binary, env: appEnv, log });
  }
  await app.waitUntil("the tabs back after the restart", 30_000, (n) => window.__podterm?.tabs().length === n, before.length);
  const again = (await tabs()).find((t) => tabPlace(t) === tabPlace(shell));
  assert(again, "the tab did not come back after the restart");
  await waitTabState(again.id, "connected", 30_000);
});

test("closing the window as the window manager does asks first with live sessions; Keep working keeps it, Close ends the app", async () => {
  const live = (await tabs()).filter((t) => t.status.kind === "connected").length;
  assert(live >= 1, "no live session to ask about");
  // A WM_DELETE_WINDOW client message, as a window manager sends for the close button or
  // Alt+F4 (tests/app/wm-close.c); WebDriver's own close bypasses the question.
  const helper = path.join(workday.dir ?? tmpdir(), "wm-close");
  await run("cc", ["-o", helper, path.join(here, "wm-close.c"), "-lX11"]);
  const pid = await app.pid();
  const wmClose = () => run(helper, [String(pid)], { DISPLAY: app.env.DISPLAY });
  await wmClose();
  await app.waitFor("dialog.confirm-close[open]", 10_000);
  const words = await text("dialog.confirm-close p");
  assert(/tabs? ha(s|ve) (a )?live sessions?/.test(words ?? ""), `the question says "${words}"`);
  await screenshot("close-question");
  await app.click("dialog.confirm-close button.cancel");
  await app.waitUntil("the question gone", 10_000, () => !document.querySelector("dialog.confirm-close"));
  assert((await app.pid()) === pid && (await tabs()).length > 0, "Keep working did not keep the window");
  await wmClose();
  // The window may be gone before WebDriver answers the click.
  await app.click("dialog.confirm-close[open] button.close-window").catch((e) => log(`the click's answer: ${String(e.message).slice(0, 120)}`));
  for (let i = 0; i < 100 && (await app.pid()) === pid; i++) await sleep(100);
  assert((await app.pid()) !== pid, "the app did not end after Close and end them");
});

/** Runs a program to its end; rejects with its output when it fails. */
function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.once("error", (e) => reject(new Error(`${cmd}: ${e.message}`)));
    p.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${out.slice(-400)}`))));
  });
}

// ------------------------------------------------------------------------------------ run

await runTests(tests, {
  onFailure: () => screenshot("failure"),
  cleanup: async () => {
    await app.close();
    workday.proc?.kill();
    if (workday.dir) await rm(workday.dir, { recursive: true, force: true });
    await rm(configDir, { recursive: true, force: true });
    await rm(xdgConfig, { recursive: true, force: true });
  },
  before: [`screenshots: ${results}`],
});
