// The real desktop app under a virtual X display, driven through tauri-driver and WebKitWebDriver
// with the W3C WebDriver protocol (plain HTTP + JSON, no client library). Used by the app's
// end-to-end tests (tests/app/*.mjs) and its benchmarks (bench/app-bench.mjs, bench/soak.mjs),
// with the process-tree and CPU readers they share.
//
//   const app = await launchApp({ binary, env });   // Xvfb, tauri-driver, a WebDriver session
//   await app.click(".pod-line"); await app.exec(() => document.title); await app.close();
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** WebDriver key codes. */
export const Keys = { NULL: "\uE000", TAB: "\uE004", ENTER: "\uE007", SHIFT: "\uE008", CONTROL: "\uE009", ALT: "\uE00A" };

/** The ports handed out so far: the kernel may offer a port again once it is closed, and a
 * port chosen for a server that starts later (the Demo cluster's admin port) must not also go to
 * tauri-driver (a run failed with the admin port answered by WebKitWebDriver). */
const handedOut = new Set();

/** A free loopback TCP port, never one this process was given before. */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  const cargoBin = path.join(process.env.HOME ?? "/root", ".cargo", "bin", cmd);
  return existsSync(cargoBin) ? cargoBin : null;
}

/** Polls `fn` until it returns something truthy (its value), or throws after `timeoutMs`, naming `what` and the last error. */
export async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/** Starts Xvfb on a free display number; returns { display, stop }. */
export async function startXvfb(log) {
  const xvfb = which("Xvfb");
  if (!xvfb) throw new Error("Xvfb is missing: run `make deps` (apt package xvfb)");
  for (let n = 90 + Math.floor(Math.random() * 100); n < 400; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawn(xvfb, [`:${n}`, "-screen", "0", "1280x860x24", "-nolisten", "tcp"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((r) => proc.once("exit", () => r(true)));
    const up = await Promise.race([
      waitFor(`Xvfb :${n}`, () => existsSync(`/tmp/.X11-unix/X${n}`), 10_000).then(() => true),
      exited.then(() => false),
    ]);
    if (up) {
      log(`Xvfb on :${n}`);
      return { display: `:${n}`, pid: proc.pid, stop: () => proc.kill("SIGTERM") };
    }
    log(`Xvfb :${n} failed: ${stderr.trim().split("\n").at(-1)}`);
  }
  throw new Error("no free X display for Xvfb");
}

/** One WebDriver session over HTTP. */
/**
 * The process `root` and all its descendants, parents before children: [{ pid, comm }] (comm as
 * /proc has it, 15 characters at most: "podterm-desktop", "WebKitWebProces", …). Processes that
 * end while they are read are left out.
 */
export async function processTree(root) {
  const children = new Map();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      /* gone */
    }
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    try {
      out.push({ pid, comm: (await readFile(`/proc/${pid}/comm`, "utf8")).trim() });
    } catch {
      continue; /* gone */
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Clock ticks per second of /proc's CPU times (Linux USER_HZ). */
export const TICKS_PER_SECOND = 100;

/** CPU time (user + system, in clock ticks) one process has used so far; 0 once it is gone. */
export async function cpuTicks(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Private memory (USS: Private_Clean + Private_Dirty in smaps_rollup) of a process, MB: what
 *  it has to itself, unaffected by other processes sharing its libraries (unlike PSS). */
export async function uss(pid) {
  const roll = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(roll)?.[1] ?? 0);
  return (kb("Private_Clean") + kb("Private_Dirty")) / 1024;
}

/** Lines `ss` prints for `args` ("" when it cannot run). */
function ss(args) {
  return new Promise((resolve) => {
    const p = spawn("ss", args, { stdio: ["ignore", "pipe", "ignore"] });
    let s = "";
    p.stdout.on("data", (d) => (s += d));
    p.once("error", () => resolve(""));
    p.once("exit", () => resolve(s));
  });
}

/** The pids holding the listener on 127.0.0.1:`port` (`ss`); none when nothing listens there.
 *  A server started on a free port counts as started when its own pid is among them: another
 *  process may have taken the port first. */
export async function listenerPids(port) {
  const pids = [];
  for (const line of (await ss(["-tlnpH"])).split("\n")) {
    if (!new RegExp(`\\s127\\.0\\.0\\.1:${port}\\s`).test(line)) continue;
    for (const m of line.matchAll(/pid=(\d+)/g)) pids.push(Number(m[1]));
  }
  return pids;
}

/** The page sockets open now (podterm_core::pagesocket): connections to the app's own loopback
 *  listeners, one a tab whose output takes that way; a closed tab or an ended session leaves
 *  none. `appPid`: the process that listens (the app's own, not WebKit's). */
export async function pageSocketsOpen(appPid) {
  const ports = new Set();
  for (const line of (await ss(["-tlnpH"])).split("\n")) {
    const m = /127\.0\.0\.1:(\d+)\s.*pid=(\d+),/.exec(line);
    if (m && Number(m[2]) === appPid) ports.add(m[1]);
  }
  // The page's ends: WebKit's network process connected to one of those ports (the app's own
  // connections, such as its in-app demo cluster's, are not the page's).
  let open = 0;
  for (const line of (await ss(["-tnpH", "state", "established"])).split("\n")) {
    const m = /\s127\.0\.0\.1:\d+\s+127\.0\.0\.1:(\d+)\s.*"WebKitNetwork/.exec(line);
    if (m && ports.has(m[1])) open += 1;
  }
  return open;
}

/** The pid of the first WebKitWebProcess under `root`, or null. */
export async function webProcess(root) {
  return (await processTree(root)).find((p) => p.comm === "WebKitWebProces")?.pid ?? null;
}

export class WebDriver {
  constructor(base, sessionId) {
    this.base = base;
    this.sid = sessionId;
  }

  static async request(base, method, route, body) {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${route}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    }
    if (!res.ok || (json.value && json.value.error)) {
      const v = json.value ?? {};
      // The protocol's error code ("stale element reference", …) kept apart from the words.
      throw Object.assign(new Error(`${method} ${route}: ${v.error ?? res.status}: ${v.message ?? text.slice(0, 300)}`), { code: v.error ?? null });
    }
    return json.value;
  }

  cmd(method, route, body) {
    return WebDriver.request(this.base, method, `/session/${this.sid}${route}`, body);
  }

  /** Runs `fn(...args)` in the page; returns its (JSON) result. Promises are awaited. */
  async exec(fn, ...args) {
    const script = `const f = ${fn.toString()}; return Promise.resolve(f(...arguments));`;
    return this.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1]; const args = Array.prototype.slice.call(arguments, 0, -1);
        (function () { ${script} }).apply(null, args).then((v) => done({ ok: v }), (e) => done({ err: String(e && e.stack || e) }));`,
      args,
    }).then((r) => {
      if (r && "err" in r) throw new Error(`in page: ${r.err}`);
      return r?.ok;
    });
  }

  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return Object.values(v)[0];
  }

  /** Waits until `css` matches an element; returns its id. */
  waitFor(css, timeoutMs = 10_000) {
    return waitFor(`"${css}"`, () => this.find(css), timeoutMs);
  }

  /** Waits until `fn(...args)` in the page returns something truthy; returns it. */
  waitUntil(what, timeoutMs, fn, ...args) {
    return waitFor(what, () => this.exec(fn, ...args), timeoutMs);
  }

  /** Clicks the element `css` matches. An element re-rendered between being found and being
   *  clicked (a transfer's progress redraws its row) is found again: CI once failed on a
   *  transfer's stop button gone stale in between. */
  async click(css, timeoutMs = 10_000) {
    for (let attempt = 1; ; attempt++) {
      const el = await this.waitFor(css, timeoutMs);
      await this.reveal(css);
      try {
        await this.cmd("POST", `/element/${el}/click`, {});
        return;
      } catch (e) {
        if (e.code !== "stale element reference" || attempt >= 5) throw e;
      }
    }
  }

  /** Moves the mouse onto the element's centre (a W3C pointer action), as a person's pointer. */
  async hover(css, timeoutMs = 10_000) {
    const el = await this.waitFor(css, timeoutMs);
    await this.reveal(css);
    const origin = { "element-6066-11e4-a52e-4f735466cecf": el };
    await this.cmd("POST", "/actions", {
      actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [{ type: "pointerMove", duration: 0, origin, x: 0, y: 0 }] }],
    });
  }

  /**
   * Scrolls the element into its scrolling box's view (a pod row below the list's fold):
   * WebKitWebDriver calls an element in a scrolled-away part of a nested box not interactable.
   */
  async reveal(css) {
    await this.exec((sel) => document.querySelector(sel)?.scrollIntoView({ block: "center" }), css);
  }

  async type(css, text) {
    const el = await this.waitFor(css);
    await this.cmd("POST", `/element/${el}/value`, { text });
  }

  /** Resolves once the page has drawn two frames since the call: the state a test just waited
   *  for is painted. A hidden window draws no frames: 250 ms at most; a page that does not
   *  answer, 1 s. */
  async painted() {
    // Raced here too: a page that does not answer (stopped, flooded) must not hold up a
    // failure's screenshot.
    const frames = this.exec(() => new Promise((r) => {
      setTimeout(() => r(false), 250);
      requestAnimationFrame(() => requestAnimationFrame(() => r(true)));
    })).catch(() => {});
    await Promise.race([frames, sleep(1000)]);
  }

  async screenshot(file) {
    await this.painted();
    const b64 = await this.cmd("GET", "/screenshot");
    await writeFile(file, Buffer.from(b64, "base64"));
    return file;
  }
}

/**
 * Starts Xvfb, tauri-driver and the app at `binary` with `env` added to its environment (and a
 * fresh PODTERM_CONFIG_DIR unless given). Returns the WebDriver session plus `pid()` (the app's
 * process id) and `close()`.
 */
export async function launchApp({ binary, env = {}, log = () => {} }) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`make app\` first`);
  const driver = which("tauri-driver");
  if (!driver) throw new Error("tauri-driver is missing: run `make deps` (cargo install tauri-driver --locked)");
  if (!which("WebKitWebDriver")) throw new Error("WebKitWebDriver is missing: run `make deps` (apt package webkit2gtk-driver)");
  const cleanups = [];
  const close = async () => {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch {
        /* best effort */
      }
    }
  };
  try {
    const xvfb = await startXvfb(log);
    cleanups.push(() => xvfb.stop());
    const configDir = env.PODTERM_CONFIG_DIR ?? (await mkdtemp(path.join(tmpdir(), "podterm-app-config-")));
    if (!env.PODTERM_CONFIG_DIR) cleanups.push(() => rm(configDir, { recursive: true, force: true }));
    const port = await freePort();
    const nativePort = await freePort();
    const appEnv = { ...process.env, DISPLAY: xvfb.display, PODTERM_CONFIG_DIR: configDir, NO_AT_BRIDGE: "1", ...env };
    const child = spawn(driver, ["--port", String(port), "--native-port", String(nativePort)], {
      env: appEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let driverLog = "";
    child.stdout.on("data", (d) => (driverLog += d));
    child.stderr.on("data", (d) => (driverLog += d));
    cleanups.push(async () => {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* gone */
      }
      // tauri-driver (and the app under it) gone before Xvfb is stopped, or 5 s at most.
      await Promise.race([exited, sleep(5000)]);
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor("tauri-driver", async () => {
      if (child.exitCode !== null) throw new Error(`tauri-driver exited: ${driverLog.slice(-500)}`);
      const r = await fetch(`${base}/status`);
      return r.ok;
    }, 20_000);
    const created = await WebDriver.request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: binary } } },
    });
    const wd = new WebDriver(base, created.sessionId);
    cleanups.push(() => wd.cmd("DELETE", "").catch(() => {}));
    const appPid = () => findPid(binary, configDir);
    // Screenshots of the X display, as a person would see the window. (WebKitWebDriver's own
    // screenshot waits forever for a composited frame when WebKit's compositing mode is off,
    // as the app turns it off.)
    // What a person sees: the state the test just waited for, painted (the capture took the frame
    // before a click's once).
    const screenshot = async (file) => {
      await wd.painted();
      return captureDisplay(xvfb.display, file);
    };
    // The display as it is, without WebDriver (its session ends with the page's web process).
    const capture = (file) => captureDisplay(xvfb.display, file);
    return Object.assign(wd, { close, pid: appPid, openShell: (timeout) => openShell(wd, timeout), xvfbPid: xvfb.pid, configDir, env: appEnv, binary, screenshot, capture, driverLog: () => driverLog, bufferLines: (tabId) => bufferLines(wd, tabId), waitForLine: (...args) => waitForLine(wd, ...args) });
  } catch (e) {
    await close();
    throw e;
  }
}

/** A new tab on the Demo cluster's shell pod (its picker's `main`), once connected: the tab as
 *  `window.__podterm.tabs()` has it ({ id, sessionId, … }). */
async function openShell(wd, timeout = 30_000) {
  const before = await wd.exec(() => window.__podterm.tabs().map((t) => t.id));
  await wd.click('.pod[data-pod="shell"] .pod-line');
  await wd.click('.pod[data-pod="shell"] .container[data-container="main"]');
  return wd.waitUntil("a connected tab", timeout, (b) => {
    const t = window.__podterm.tabs().find((x) => !b.includes(x.id));
    return t && t.sessionId !== null && document.querySelector(`.tab[data-tab-id="${t.id}"][data-state="connected"]`) ? t : null;
  }, before);
}

/** The text of every line of tab `tabId`'s terminal buffer (scrollback included); [] before it
 *  has a terminal. */
function bufferLines(wd, tabId) {
  return wd.exec((id) => {
    const term = window.__podterm.terminals.get(id);
    if (!term) return [];
    const buf = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? "");
    return lines;
  }, tabId);
}

/** The lines of tab `tabId` once one of them satisfies `predicate`; an error with the last lines
 *  shown when none does within `timeout` ms. */
async function waitForLine(wd, tabId, predicate, what, timeout = 15_000) {
  const end = Date.now() + timeout;
  let lines = [];
  while (Date.now() < end) {
    lines = await bufferLines(wd, tabId);
    if (lines.some(predicate)) return lines;
    await sleep(50);
  }
  throw new Error(`terminal never showed ${what}; last lines:\n${lines.filter(Boolean).slice(-10).join("\n")}`);
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Runs `tests` ({ name, fn }) in order, printing "ok"/"FAIL" per test; after a failure calls
 * `onFailure` (a screenshot; its own errors ignored: the window may be gone), and with
 * `stopAfterFailure` skips the rest (tests that build on each other); then `cleanup`,
 * whatever happened. Ends the process: exit 0 only when every test passed, the last line being
 * "N passed, N failed" (`before` lines print just ahead of it).
 */
export async function runTests(tests, { onFailure = async () => {}, cleanup = async () => {}, before = [], stopAfterFailure = false } = {}) {
  let passed = 0;
  let failed = 0;
  try {
    for (const t of tests) {
      if (stopAfterFailure && failed > 0) {
        console.log(`skip ${t.name}`);
        continue;
      }
      const t0 = Date.now();
      try {
        await t.fn();
        passed += 1;
        console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed += 1;
        console.log(`FAIL ${t.name}\n     ${String(e.stack ?? e).split("\n").join("\n     ")}`);
        try {
          await onFailure(t);
        } catch {
          /* the window may be gone */
        }
      }
    }
  } finally {
    await cleanup();
  }
  for (const line of before) console.log(line);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed === tests.length ? 0 : 1);
}

/** Writes a PNG of the whole X display (ImageMagick's `import`). */
function captureDisplay(display, file) {
  return new Promise((resolve, reject) => {
    const p = spawn("import", ["-display", display, "-window", "root", file], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.once("error", (e) => reject(new Error(`import (ImageMagick) did not run: ${e.message}; run \`make deps\``)));
    p.once("exit", (code) => (code === 0 ? resolve(file) : reject(new Error(`import exited ${code}: ${err.trim()}`))));
  });
}

/** The pid of the app started with this config dir (read from /proc). */
async function findPid(binary, configDir) {
  const { readdir, readFile, readlink } = await import("node:fs/promises");
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const exe = await readlink(`/proc/${name}/exe`);
      if (exe !== binary) continue;
      const environ = await readFile(`/proc/${name}/environ`, "utf8");
      if (environ.split("\0").includes(`PODTERM_CONFIG_DIR=${configDir}`)) return Number(name);
    } catch {
      /* not ours, or gone */
    }
  }
  return null;
}
