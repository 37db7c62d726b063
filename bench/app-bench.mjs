// Benchmarks of the real desktop app (release binary, UI embedded) under Xvfb, driven through
// tauri-driver, against a testcluster it imports from a kubeconfig, with kubectl timed on the
// same testcluster in the same run. Part of `make bench`.
//
//   node bench/app-bench.mjs   (PODTERM_APP, TESTCLUSTER, KUBECTL, FLOOD_MB, TABS may be given)
//
// Measures: idle memory (RSS and PSS of the app and its WebKit processes), memory with TABS open
// tabs, click → first prompt byte (against kubectl exec start → first byte), flood throughput
// into xterm (against the same bytes written into the same xterm with no IPC), keystroke echo
// during a flood, and Ctrl-C → quiet; beside them their floors (WebKitGTK alone in MiniBrowser, an
// idle echo's round trip on a PTY and the page's frame interval, 20 tabs in a fresh app), and
// what a background tab would cost with no terminal (parked as a string; not built).
// `--memory-only`: WebKitGTK's floor and the fresh app alone, as JSON. `--transport-only`: ways
// into the page (a test-fixtures build), as JSON. Prints a Markdown table; writes bench/results/app-<UTC>.json,
// app-latest.json and app-latest.md. Figures only: no target turns into a failure.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Keys, launchApp, pageSocketsOpen, processTree, sleep, startXvfb } from "../tests/app/tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const testcluster = path.resolve(process.env.TESTCLUSTER ?? path.join(repo, "target", "release", "testcluster"));
const kubectl = process.env.KUBECTL ?? "/usr/bin/kubectl";
const podtermCli = path.resolve(process.env.PODTERM_CLI ?? path.join(repo, "target", "release", "podterm"));
const FLOOD_MB = Number(process.env.FLOOD_MB ?? 1024);
const TABS = Number(process.env.TABS ?? 20);
const RENDER_MB = Number(process.env.RENDER_MB ?? 32);
const OPENS = 10;
/** Between one open and the next (after closing the tab): a user's pace. */
const OPEN_GAP_MS = 1500;
/** From the pod's picker shown to the click on its container: a person's pace (the time to see
 *  the picker and move to a row; a quick user's is longer still). The page makes the tab's
 *  terminal when the picker opens (workspace.ts, `expectTab`), so the first open, too, is on
 *  a terminal made ahead. */
const PICK_MS = 300;
/** The page's thread's time on a core and waiting in the run queue (`cpuTimes`), reported apart
 *  from the processes' CPU time, which already counts the first. Declared before the run that
 *  uses them. */
const PAGE_ON_CORE = "page thread, on a core";
const PAGE_WAITING = "page thread, waiting for a core";
const isPageThread = (k) => k === PAGE_ON_CORE || k === PAGE_WAITING;

// The fresh app's tabs (issue 13): each prints this many lines; closed and opened CYCLES times.
const FRESH_LINES = Number(process.env.FRESH_LINES ?? 300);
const CYCLES = Number(process.env.CYCLES ?? 3);
// `--memory-only`: the floors and the fresh app alone (A/B of memory settings), printed as JSON.
const MEMORY_ONLY = process.argv.includes("--memory-only");
// `--skip-only`: the skipping run alone (Ctrl-C into a new tab's first `yes`, a FLOOD_MB flood,
// keys during `yes`, Ctrl-C into a flowing `yes` and into one just started after long lines, a
// listing) in a fresh app, printed as JSON (A/B of how a skipped flood is paced).
const SKIP_ONLY = process.argv.includes("--skip-only");
// `--echo-only`: keystroke → echo painted in an idle tab, and its floors, in a fresh app, printed
// as JSON (A/B of how an idle tab draws).
const ECHO_ONLY = process.argv.includes("--echo-only");
// `--transport-only` (a test-fixtures build; any build with TRANSPORT_WAYS=session): ways into the page, the same bytes each, printed
// as JSON (issue 13, item 3; `src-tauri/probe.rs`).
const TRANSPORT_ONLY = process.argv.includes("--transport-only");
// `--pods-only`: the long pod list alone (`bigPodList`), printed as JSON (A/B of builds with
// PODTERM_APP). BIG_PODS pods in one namespace; CHURN_PER_S of them change a second.
const PODS_ONLY = process.argv.includes("--pods-only");
const BIG_PODS = Number(process.env.BIG_PODS ?? 3000);
const CHURN_PER_S = Number(process.env.CHURN_PER_S ?? 20);
const KEYS = 20;
// Keys for the idle echo and its floors: their goal is a p99, and of 20 keys the p99 is the
// slowest one, so one late frame decided the row (13.6 ms in one run, 16.5 in the next, the
// same code). Of 100, it is the second slowest; the slowest is reported beside it.
const IDLE_KEYS = Number(process.env.IDLE_KEYS ?? 100);
// Ctrl-C into `yes`, skipping: rounds, the median reported.
const CTRL_C_ROUNDS = Number(process.env.CTRL_C_ROUNDS ?? 5);
// A listing's size (bytes of 79-column lines) for the skipping run's Enter → last line drawn.
const LISTING_BYTES = 240_000;
// Long lines drawn before each early Ctrl-C round (the window they grow is what `yes` meets).
const EARLY_LONG_BYTES = 8_000_000;
const out = path.join(repo, "bench", "results");
const log = (m) => process.stderr.write(`  · ${m}\n`);

// `--report FILE`: render a recorded run's table again (app-latest.md) without measuring.
if (process.argv[2] === "--report") {
  const R = JSON.parse(await readFile(process.argv[3], "utf8"));
  await writeReport(R, false);
  process.exit(0);
}

for (const [what, p] of [["the app", binary], ["testcluster", testcluster], ["kubectl", kubectl]]) {
  if (!existsSync(p)) {
    console.error(`${what} is missing at ${p} (make app; cargo build --release -p testcluster; make deps)`);
    process.exit(2);
  }
}

// ------------------------------------------------------------------------------- helpers

const median = (xs) => percentile(xs, 50);
function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
function r1(x) {
  return Math.round(x * 10) / 10;
}

/** RSS and PSS (MB, 10^6) of a process and all its descendants, and per process name; and
 *  with `kinds`, each process's PSS by kind of mapping (`kindsBy`, see `mappingKinds`). */
async function memory(pid, kinds = false) {
  const all = (await processTree(pid)).map((p) => p.pid);
  let rss = 0;
  let pss = 0;
  const parts = {};
  const kindsBy = {};
  for (const p of all) {
    try {
      const roll = await readFile(`/proc/${p}/smaps_rollup`, "utf8");
      const comm = (await readFile(`/proc/${p}/comm`, "utf8")).trim();
      const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(roll)?.[1] ?? 0);
      rss += kb("Rss");
      pss += kb("Pss");
      parts[comm] = r1(((parts[comm] ?? 0) * 1000 + kb("Pss") * 1.024) / 1000);
      if (kinds) {
        const into = (kindsBy[comm] ??= {});
        for (const [k, v] of Object.entries(await mappingKinds(p))) into[k] = r1((into[k] ?? 0) + v);
      }
    } catch {
      /* gone */
    }
  }
  return { rss: r1((rss * 1024) / 1e6), pss: r1((pss * 1024) / 1e6), processes: all.length, pssBy: parts, ...(kinds ? { kindsBy } : {}) };
}

/**
 * A process's PSS (MB) by kind of mapping, from /proc/PID/smaps: `anon` (heap, anonymous and
 * stacks: what the process allocated), `exe` (its own executable), `gl` (Mesa: libLLVM, the DRI
 * driver, libgallium; what GL costs with software rendering), `webkit` (libwebkit2gtk and
 * libjavascriptcoregtk), `libs` (every other shared library) and `other` (files, shared memory).
 */
async function mappingKinds(pid) {
  const text = await readFile(`/proc/${pid}/smaps`, "utf8");
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => "");
  const out = { anon: 0, exe: 0, gl: 0, webkit: 0, libs: 0, other: 0 };
  let kind = "anon";
  for (const line of text.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1];
      if (!name || name.startsWith("[")) kind = "anon";
      else if (name === exe) kind = "exe";
      else if (/libLLVM|_dri\.so|libgallium|libglapi|libGL|libEGL|libgbm/.test(name)) kind = "gl";
      else if (/libwebkit2gtk|libjavascriptcoregtk/.test(name)) kind = "webkit";
      else if (/\.so/.test(name)) kind = "libs";
      else kind = "other";
      continue;
    }
    const pss = /^Pss:\s+(\d+) kB/.exec(line);
    if (pss) out[kind] += (Number(pss[1]) * 1024) / 1e6;
  }
  for (const k of Object.keys(out)) out[k] = r1(out[k]);
  return out;
}

/**
 * A results file: indented as JSON.stringify's two spaces, but an array of numbers or strings
 * (the runs behind a median) on one line, so a run's summary stays a few hundred lines.
 */
export function summaryJson(value) {
  const flat = (v) => Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");
  const out = (v, indent) => {
    if (flat(v)) return JSON.stringify(v);
    if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
    const pad = "  ".repeat(indent + 1);
    const items = Array.isArray(v)
      ? v.map((x) => pad + out(x, indent + 1))
      : Object.entries(v)
          .filter(([, x]) => x !== undefined && typeof x !== "function")
          .map(([k, x]) => `${pad}${JSON.stringify(k)}: ${out(x, indent + 1)}`);
    if (items.length === 0) return Array.isArray(v) ? "[]" : "{}";
    const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
    return `${open}\n${items.join(",\n")}\n${"  ".repeat(indent)}${close}`;
  };
  return out(value, 0) + "\n";
}

/** kubectl exec, start → first stdout byte (ms), and start → exit. */
function kubectlFirstByte(kubeconfig) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = NaN;
    const p = spawn(kubectl, ["--kubeconfig", kubeconfig, "-n", "demo", "exec", "shell", "--", "sh", "-c", "printf '$ '"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    p.stdout.once("data", () => (first = performance.now() - t0));
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.once("exit", (code) => (code === 0 ? resolve(first) : reject(new Error(`kubectl exited ${code}: ${err}`))));
  });
}

/**
 * The queues of the connections to testcluster's `port` (bytes, from `ss`): the largest send
 * queue on testcluster's side (written by the server, not yet acknowledged by us: its socket's
 * send buffer, which Linux sizes by itself up to tcp_wmem's maximum) and the largest receive
 * queue on the client's side (arrived, not yet read by the app), with the server socket's line.
 */
function socketQueues(port) {
  const run = (filter) =>
    new Promise((resolve) => {
      const p = spawn("ss", ["-tnmiH", "state", "established", filter], { stdio: ["ignore", "pipe", "ignore"] });
      let s = "";
      p.stdout.on("data", (d) => (s += d));
      p.once("error", () => resolve(""));
      p.once("exit", () => resolve(s));
    });
  const parse = (text) => {
    // One socket: "Recv-Q Send-Q local peer", then its -m/-i details on an indented line.
    const socks = [];
    for (const line of text.split("\n")) {
      const m = /^(\d+)\s+(\d+)\s/.exec(line);
      if (m) socks.push({ recvQ: Number(m[1]), sendQ: Number(m[2]), info: "" });
      else if (socks.length && line.trim()) socks.at(-1).info += line.trim();
    }
    return socks;
  };
  return Promise.all([run(`( sport = :${port} )`), run(`( dport = :${port} )`)]).then(([server, client]) => {
    const s = parse(server).sort((a, b) => b.sendQ - a.sendQ);
    const c = parse(client);
    const pick = (info) => ["tb", "notsent", "rwnd_limited", "snd_wnd"].map((k) => new RegExp(`${k}[:]?([^,\\s)]+)`).exec(info)?.[0]).filter(Boolean).join(" ");
    return { serverSendQ: s[0]?.sendQ ?? 0, clientRecvQ: Math.max(0, ...c.map((x) => x.recvQ)), serverInfo: pick(s[0]?.info ?? "") };
  });
}

/** kubectl's echo during `yes` on a local PTY read at `rate` bytes/s (0: free): bench/pty-echo.py's `yes`. */
function kubectlEcho(kubeconfig, rate, keys) {
  const argv = [kubectl, "--kubeconfig", kubeconfig, "-n", "demo", "exec", "-it", "shell", "--", "sh"];
  return ptyRun(["yes", String(Math.round(rate)), String(keys)], argv).then((r) => {
    const ms = r.ms.map((x) => (x === null ? Infinity : x));
    return { p50: r1(median(ms)), p99: r1(percentile(ms, 99)), bytesAheadMedian: median(r.bytesAhead), ms, bytesAhead: r.bytesAhead };
  });
}

/**
 * Installs the page profile (issue 13, item 1) on tab `id`'s terminal: where the page's one
 * thread spends a flood. Counters only (performance.now() around xterm's parser and renderer,
 * the IPC fetches Tauri makes, a 10 ms timer's lateness), read and reset with `profileTake`.
 * xterm's private members are reached by name: a bench, not the app.
 */
function profileInstall(id) {
  const term = window.__podterm.terminals.get(id);
  const core = term._core;
  const P = (window.__profile = { t0: performance.now(), parseMs: 0, parses: 0, renderMs: 0, renders: 0, msgs: 0, msgBytes: 0, queueMs: [], fetch: {}, lag: [] });
  const ih = core._inputHandler;
  const parse = ih.parse.bind(ih);
  ih.parse = (data, promiseResult) => {
    const t = performance.now();
    try {
      return parse(data, promiseResult);
    } finally {
      window.__profile.parseMs += performance.now() - t;
      window.__profile.parses += 1;
    }
  };
  const rs = core._renderService;
  if (rs && typeof rs._renderRows === "function") {
    const render = rs._renderRows.bind(rs);
    rs._renderRows = (a, b) => {
      const t = performance.now();
      try {
        return render(a, b);
      } finally {
        window.__profile.renderMs += performance.now() - t;
        window.__profile.renders += 1;
      }
    };
  }
  // Every message reaches xterm through term.write (FlowController): count, size, and the wait
  // from arrival to xterm's callback (queued behind earlier output).
  const write = term.write.bind(term);
  term.write = (data, cb) => {
    if (data.length === 0) return write(data, cb); // the flow controller's mark before a piece
    const t = performance.now();
    const n = typeof data === "string" ? data.length : data.byteLength;
    window.__profile.msgs += 1;
    window.__profile.msgBytes += n;
    write(data, () => {
      window.__profile.queueMs.push(performance.now() - t);
      cb?.();
    });
  };
  // Tauri's IPC: each channel message over 1 KiB is a fetch; each command (ack, send_input) too.
  const fetch0 = window.fetch.bind(window);
  window.fetch = (url, init) => {
    const name = decodeURIComponent(String(url)).split("/").pop().replace(/^plugin:__TAURI_CHANNEL__\|/, "channel:");
    const t = performance.now();
    const f = (window.__profile.fetch[name] ??= { n: 0, ms: 0, max: 0 });
    return fetch0(url, init).then((r) => {
      const ms = performance.now() - t;
      f.n += 1;
      f.ms += ms;
      f.max = Math.max(f.max, ms);
      return r;
    });
  };
  // Lateness of a 10 ms timer: how long a keystroke's event would wait for the thread.
  let due = performance.now() + 10;
  const tick = () => {
    const now = performance.now();
    window.__profile.lag.push(now - due);
    due = now + 10;
    setTimeout(tick, 10);
  };
  setTimeout(tick, 10);
  return true;
}

/** The profile since the last take, summarised; the counters start again. */
function profileTake() {
  const P = window.__profile;
  const pct = (xs, p) => {
    if (xs.length === 0) return 0;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  };
  const r = (x) => Math.round(x * 10) / 10;
  const secs = (performance.now() - P.t0) / 1000;
  const fetch = {};
  for (const [k, v] of Object.entries(P.fetch)) fetch[k] = { perS: r(v.n / secs), avgMs: r(v.ms / Math.max(1, v.n)), maxMs: r(v.max) };
  const out = {
    seconds: r(secs),
    msgsPerS: r(P.msgs / secs),
    kbPerMsg: r(P.msgBytes / Math.max(1, P.msgs) / 1024),
    parseShare: r((100 * P.parseMs) / 1000 / secs),
    parseMsPerMB: r(P.parseMs / Math.max(1e-9, P.msgBytes / 1e6)),
    renderShare: r((100 * P.renderMs) / 1000 / secs),
    rendersPerS: r(P.renders / secs),
    queueMs: { p50: r(pct(P.queueMs, 50)), p99: r(pct(P.queueMs, 99)) },
    timerLagMs: { p50: r(pct(P.lag, 50)), p99: r(pct(P.lag, 99)), max: r(pct(P.lag, 100)) },
    fetch,
  };
  Object.assign(P, { t0: performance.now(), parseMs: 0, parses: 0, renderMs: 0, renders: 0, msgs: 0, msgBytes: 0, queueMs: [], fetch: {}, lag: [] });
  return out;
}

/**
 * One renderer in a new tab (issue 13, item 5): its idle echo taken apart, hop by hop, from the
 * page's keydown (send_input leaving the page, its round trip, the echo's arrival in term.write,
 * written by xterm's parser, xterm's next render event: the frame it was drawn in), then a flood
 * of RENDER_MB MiB (MB/s, renders a second) and any error. `webgl` loads @xterm/addon-webgl
 * (ui/node_modules, a devDependency) into the page through WebDriver (the page's CSP allows no
 * eval), with `preserveDrawingBuffer`, and reports the GL renderer WebKit gave it.
 */
async function rendererRun(app, kind, pid) {
  const before = await app.exec(() => window.__podterm.tabs().map((t) => t.id));
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const id = await app.waitUntil("a connected tab", 20_000, (b) => {
    const t = window.__podterm.tabs().find((x) => !b.includes(x.id));
    return t && t.sessionId !== null && document.querySelector(`.tab[data-tab-id="${t.id}"][data-state="connected"]`) ? t.id : null;
  }, before);
  await app.waitUntil("the prompt", 10_000, (id) => window.__podterm.flow(id).written > 0, id);
  if (kind === "webgl") {
    const src = await readFile(path.join(repo, "ui", "node_modules", "@xterm", "addon-webgl", "lib", "addon-webgl.js"), "utf8");
    await app.cmd("POST", "/execute/sync", { script: `${src};\nreturn typeof self.WebglAddon;`, args: [] });
  }
  const setup = await app.exec((id, kind) => {
    const term = window.__podterm.terminals.get(id);
    const r = (window.__renderer = { errors: [], keys: [], sends: [], writes: [], renders: [], bytes: 0, first: 0, last: 0 });
    let gl = null;
    if (kind === "webgl") {
      const c = document.createElement("canvas").getContext("webgl2");
      const info = c && c.getExtension("WEBGL_debug_renderer_info");
      gl = c ? String(c.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : c.RENDERER)) : "no WebGL2";
      const addon = new self.WebglAddon.WebglAddon({ preserveDrawingBuffer: true });
      addon.onContextLoss(() => r.errors.push("context lost"));
      term.loadAddon(addon);
    }
    window.addEventListener("error", (e) => r.errors.push(String(e.message).slice(0, 200)));
    document.addEventListener("keydown", (e) => r.keys.push({ key: e.key, at: performance.now() }), true);
    const fetch0 = window.fetch;
    window.fetch = (url, init) => {
      if (!String(url).includes("send_input")) return fetch0(url, init);
      const s = { at: performance.now(), done: 0 };
      r.sends.push(s);
      return fetch0(url, init).then((res) => ((s.done = performance.now()), res));
    };
    const write = term.write.bind(term);
    term.write = (data, cb) => {
      if (data.length === 0) return write(data, cb); // the flow controller's mark before a piece
      const at = performance.now();
      const n = typeof data === "string" ? data.length : data.byteLength;
      const hasX = typeof data === "string" ? data.includes("x") : data.includes(0x78);
      if (r.first === 0) r.first = at;
      write(data, () => {
        r.bytes += n;
        r.last = performance.now();
        if (hasX) r.writes.push({ at, done: r.last });
        cb?.();
      });
    };
    term.onRender(() => r.renders.push(performance.now()));
    return { gl, renderer: term._core._renderService?._renderer?.value?.constructor?.name ?? null };
  }, id, kind);
  const textarea = `.pane[data-tab-id="${id}"] .xterm-helper-textarea`;
  const hops = [];
  for (let i = 0; i < KEYS; i++) {
    await app.exec(() => (Object.assign(window.__renderer, { keys: [], sends: [], writes: [], renders: [] }), true));
    await app.type(textarea, "x");
    hops.push(await app.exec(async () => {
      const r = window.__renderer;
      const t0 = performance.now();
      for (;;) {
        const k = r.keys.find((x) => x.key === "x");
        const w = k && r.writes.find((x) => x.at >= k.at);
        const drawn = w && r.renders.find((x) => x >= w.done);
        const s = k && r.sends.find((x) => x.at >= k.at);
        if (drawn && s?.done) return { toIpc: s.at - k.at, ipc: s.done - s.at, arrived: w.at - k.at, written: w.done - k.at, drawn: drawn - k.at };
        if (performance.now() - t0 > 10_000) return null;
        await new Promise((res) => setTimeout(res, 1));
      }
    }));
    await sleep(50);
  }
  await app.type(textarea, `${Keys.CONTROL}u${"\uE000"}`);
  await sleep(300);
  const done = hops.filter(Boolean);
  const hop = (k) => ({ p50: r1(median(done.map((h) => h[k]))), p99: r1(percentile(done.map((h) => h[k]), 99)) });
  const echo = { keys: KEYS, answered: done.length, toIpc: hop("toIpc"), ipc: hop("ipc"), arrived: hop("arrived"), written: hop("written"), drawn: hop("drawn") };
  await app.exec(() => (Object.assign(window.__renderer, { bytes: 0, first: 0, last: 0, renders: [] }), true));
  const bytes = RENDER_MB * 1024 * 1024;
  await app.type(textarea, `head -c ${bytes} /dev/zero | tr '\\0' y | fold -w 79`);
  await app.type(textarea, Keys.ENTER);
  await app.waitUntil(`${RENDER_MB} MiB drawn`, 600_000, (n) => window.__renderer.bytes >= n, bytes);
  const flood = await app.exec(() => {
    const r = window.__renderer;
    const s = (r.last - r.first) / 1000;
    return { mbps: Math.round((r.bytes / 1e6 / s) * 10) / 10, rendersPerS: Math.round((r.renders.length / s) * 10) / 10, errors: r.errors };
  });
  await app.screenshot(path.join(work, `renderer-${kind}.png`));
  // The GL driver the web process loaded (WebKit masks WebGL's renderer string).
  const web = (await processTree(pid)).find((p) => p.comm === "WebKitWebProces");
  const maps = web ? await readFile(`/proc/${web.pid}/maps`, "utf8").catch(() => "") : "";
  const driver = [...new Set([...maps.matchAll(/\/([\w-]+_dri\.so|libgallium[\w.-]*\.so|libLLVM[\w.-]*)/g)].map((m) => m[1]))].join(" + ") || "none";
  return { ...setup, driver, echo, floodMB: RENDER_MB, floodMBps: flood.mbps, rendersPerS: flood.rendersPerS, errors: flood.errors };
}

// ------------------------------------------------------------------------------- floors (issue 13)

/** bench/pty-echo.py: an idle terminal's keystroke echo through `argv` on a local PTY (ms). */
function ptyEcho(argv, keys, env = {}) {
  return ptyRun(String(keys), argv, env).then((out) => {
    const ms = out.ms.map((x) => (x === null ? Infinity : x));
    return { p50: r1(median(ms)), p99: r1(percentile(ms, 99)), ms };
  });
}

/** `argv` (a client: podterm's CLI) on a local PTY, its terminal read until it ends and nothing
 *  drawn (bench/pty-echo.py's `flood`): MB/s from its first byte to its last. */
function ptyFlood(argv) {
  return ptyRun("flood", argv).then(({ bytes, ms }) => ({ bytes, ms, MBps: r1(bytes / 1e6 / (ms / 1000)) }));
}

/** bench/pty-echo.py with `mode` (a count of keys, `flood`, or ["yes", rate, keys]) around
 *  `argv`: its JSON. */
function ptyRun(mode, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn("python3", [path.join(here, "pty-echo.py"), ...[mode].flat(), "--", ...argv], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.once("error", reject);
    p.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`pty-echo exited ${code}: ${err.slice(-300)}`));
      resolve(JSON.parse(out));
    });
  });
}

/** The flood every flood row runs in the pod: `bytes` of `y` in lines of 79 (81 bytes each on
 *  the pod's terminal, `\r\n` ending them). */
function floodCommand(bytes) {
  return `head -c ${bytes} /dev/zero | tr '\\0' y | fold -w 79`;
}

/** The page's frame interval (ms between requestAnimationFrame callbacks, `n` frames): what a
 *  draw waits for at most. Xvfb has no vsync; WebKitGTK paces frames itself. */
function frameInterval(n) {
  return new Promise((resolve) => {
    const at = [];
    const step = (t) => {
      at.push(t);
      if (at.length <= n) requestAnimationFrame(step);
      else {
        const d = at.slice(1).map((t, i) => t - at[i]).sort((a, b) => a - b);
        const q = (p) => Math.round(d[Math.min(d.length - 1, Math.ceil((p / 100) * d.length) - 1)] * 10) / 10;
        resolve({ p50: q(50), p99: q(99), frames: d.length });
      }
    };
    requestAnimationFrame(step);
  });
}

/** A page with xterm.js alone (the app's version, from ui/node_modules), as the app's tab has
 *  it: the same options, a prompt written; its title says when it is drawn. */
function xtermPage() {
  const xterm = pathToFileURL(path.join(repo, "ui", "node_modules", "@xterm", "xterm")).href;
  return `<!doctype html><html><head><meta charset="utf-8"><title>loading</title>
<link rel="stylesheet" href="${xterm}/css/xterm.css"><script src="${xterm}/lib/xterm.js"></script></head>
<body style="margin:0;background:#1b1e24"><div id="t" style="width:100vw;height:100vh"></div><script>
const term = new Terminal({ allowProposedApi: true, fontFamily: '"DejaVu Sans Mono", monospace', fontSize: 14, scrollback: 10000, cursorBlink: true });
term.open(document.getElementById("t"));
term.write("$ ", () => requestAnimationFrame(() => { document.title = "xterm-ready"; }));
</script></body></html>`;
}

/** Whether a window whose name matches `name` is on `display` (xdotool). */
function windowShown(display, name) {
  return new Promise((resolve) => {
    const p = spawn("xdotool", ["search", "--name", name], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, DISPLAY: display } });
    let s = "";
    p.stdout.on("data", (d) => (s += d));
    p.once("error", () => resolve(false));
    p.once("exit", () => resolve(s.trim().length > 0));
  });
}

/**
 * WebKitGTK's own floor (issue 13): MiniBrowser (the same libwebkit2gtk-4.1 as the app) under an
 * Xvfb of its own, with the app's WebKit environment (compositing off, JSC's heap growth),
 * showing about:blank, then the xterm.js page; PSS of all its processes after the same settling
 * as the app's idle figure, by process and by mapping. Run while no app runs: PSS splits shared
 * library pages between the processes that map them.
 */
async function webkitFloor() {
  const mini = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
  if (!existsSync(mini)) return { error: `MiniBrowser is missing at ${mini} (apt package libwebkit2gtk-4.1-0)` };
  const page = path.join(work, "xterm-alone.html");
  await writeFile(page, xtermPage());
  const xvfb = await startXvfb(log);
  const out = {};
  try {
    for (const [name, url, title] of [["blank", "about:blank", null], ["xterm", pathToFileURL(page).href, "xterm-ready"]]) {
      const env = { ...process.env, DISPLAY: xvfb.display, NO_AT_BRIDGE: "1", WEBKIT_DISABLE_COMPOSITING_MODE: "1", JSC_smallHeapGrowthFactor: "1.25" };
      const p = spawn(mini, [url], { env, stdio: ["ignore", "ignore", "pipe"] });
      const exited = new Promise((r) => p.once("exit", r));
      try {
        const t0 = Date.now();
        for (;;) {
          const procs = await processTree(p.pid);
          const shown = procs.some((x) => x.comm === "WebKitWebProces") && (title === null || (await windowShown(xvfb.display, title)));
          if (shown) break;
          if (p.exitCode !== null) throw new Error(`MiniBrowser exited ${p.exitCode}`);
          if (Date.now() - t0 > 30_000) throw new Error(`MiniBrowser showed no ${title ?? "web process"} in 30 s`);
          await sleep(200);
        }
        await sleep(5000); // as the app's idle figure: after things settle
        out[name] = await memory(p.pid, true);
      } finally {
        p.kill("SIGTERM");
        await Promise.race([exited, sleep(5000)]);
      }
    }
  } finally {
    xvfb.stop();
  }
  log(`WebKitGTK floor: ${JSON.stringify(out)}`);
  return out;
}

/** Opens a tab on the shell pod in `a`; its id once connected. */
async function openShellTab(a) {
  const before = await a.exec(() => window.__podterm.tabs().map((t) => t.id));
  await a.click('.pod[data-pod="shell"] .pod-line');
  await a.click('.pod[data-pod="shell"] .container[data-container="main"]');
  return a.waitUntil("a connected tab", 30_000, (b) => {
    const t = window.__podterm.tabs().find((x) => !b.includes(x.id));
    return t && t.sessionId !== null && document.querySelector(`.tab[data-tab-id="${t.id}"][data-state="connected"]`) ? t.id : null;
  }, before);
}

/** A realistic amount of output: `lines` lines of ~75 columns (a build's, a log's). */
const printLines = (lines) => `seq ${lines} | sed 's/$/: some output, as a build or a log writes it, about seventy-five columns/'\r`;

/** Opens `n` tabs in `a`, each printing `lines` lines; their ids once every line is in its buffer. */
async function openPrintingTabs(a, n, lines) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const id = await openShellTab(a);
    await a.exec((id, data) => {
      const t = window.__podterm.tabs().find((x) => x.id === id);
      return window.__TAURI_INTERNALS__.invoke("send_input", { id: t.sessionId, data }).then(() => true);
    }, id, printLines(lines));
    ids.push(id);
  }
  await a.waitUntil(`${n} tabs with ${lines} lines each`, 120_000, (ids, lines) =>
    ids.every((id) => {
      const b = window.__podterm.terminals.get(id)?.buffer.normal;
      if (!b) return false;
      for (let i = b.length - 1; i >= 0; i--) if (b.getLine(i)?.translateToString(true).startsWith(`${lines}: some output`)) return true;
      return false;
    }), ids, lines);
  return ids;
}

/** The web process's PSS in a `memory()` reading (MB). */
const webPss = (m) => m.pssBy.WebKitWebProces ?? NaN;

/**
 * A long pod list: BIG_PODS pods in one namespace of a testcluster of its own (with `shell`,
 * a TTY shell), imported into a fresh app. Measured: import → every row listed (ms, polled);
 * the web process's PSS before the import and with the list shown; then, quiet and while
 * CHURN_PER_S pods a second change (readiness toggled through testcluster's admin port, as a
 * rollout in a big cluster changes pods), the lateness of a 10 ms timer in the page (how long a
 * keystroke's event would wait for the page's thread) and keystroke → echo painted in a shell
 * tab of that cluster (the frame after xterm wrote it). A list that rewrote every row for one
 * pod's change kept the page's thread busy for tens of milliseconds at each.
 */
async function bigPodList() {
  const dir = await mkdtemp(path.join(tmpdir(), "podterm-big-list-"));
  const config = path.join(dir, "cluster.yaml");
  const kc = path.join(dir, "kubeconfig");
  const name = (i) => `bulk-${String(i).padStart(4, "0")}`;
  const yaml = [
    "defaultNamespace: big",
    "namespaces: [big]",
    "users:",
    "  - { name: admin, auth: token, rules: [{ namespaces: [\"*\"], verbs: [\"*\"], resources: [\"*\"] }] }",
    "pods:",
    "  - { namespace: big, name: shell, containers: [{ name: main, command: [sh], tty: true }] }",
  ];
  for (let i = 0; i < BIG_PODS; i++) yaml.push(`  - { namespace: big, name: ${name(i)}, containers: [{ name: main }] }`);
  await writeFile(config, yaml.join("\n") + "\n");
  const tc = spawn(testcluster, ["serve", "--config", config, "--kubeconfig", kc, "--admin", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let said = "";
  tc.stdout.on("data", (d) => (said += d));
  tc.stderr.on("data", (d) => (said += d));
  const R = { pods: BIG_PODS + 1, churnPerS: CHURN_PER_S };
  let a = null;
  try {
    let admin = null;
    for (let i = 0; !(admin = /admin: (http:\/\/\S+)/.exec(said)?.[1]) || !existsSync(kc); i++) {
      if (i > 400 || tc.exitCode !== null) throw new Error(`testcluster did not start: ${said.slice(0, 300)}`);
      await sleep(50);
    }
    admin = admin.replace(/\/$/, "");
    a = await launchApp({ binary, env: { KUBECONFIG: kc, RUST_LOG: "warn" }, log });
    const pid = await a.pid();
    await sleep(3000);
    R.webPssBeforeMB = webPss(await memory(pid));
    const t0 = Date.now();
    await a.click("#import-kubeconfig", 20_000);
    await a.waitUntil(`${R.pods} pods listed`, 120_000, (n) => Number(document.querySelector(".pods")?.dataset.pods ?? document.querySelectorAll(".pod").length) === n || null, R.pods);
    R.listedMs = Date.now() - t0;
    await sleep(5000);
    R.webPssListedMB = webPss(await memory(pid));
    // The shell's row is the list's last: filtered to it for the click, then the whole list back.
    const filter = (text) =>
      a.exec((t) => {
        const f = document.querySelector(".filter");
        f.value = t;
        f.dispatchEvent(new Event("input", { bubbles: true }));
      }, text);
    await filter("shell");
    await a.waitUntil("the shell's row alone", 30_000, () => document.querySelectorAll(".pod").length === 1 || null);
    const tab = (await a.openShell()).id;
    await filter("");
    await a.waitUntil(`${R.pods} pods listed again`, 60_000, (n) => Number(document.querySelector(".pods")?.dataset.pods ?? document.querySelectorAll(".pod").length) === n || null, R.pods);
    await a.exec(benchInstall, tab);
    const textarea = `.pane[data-tab-id="${tab}"] .xterm-helper-textarea`;
    const measure = async () => {
      await a.exec(() => {
        const lag = (window.__lag = []);
        let due = performance.now() + 10;
        const tick = () => {
          const now = performance.now();
          lag.push(now - due);
          due = now + 10;
          if (window.__lag === lag) setTimeout(tick, 10);
        };
        setTimeout(tick, 10);
      });
      const echo = [];
      for (let i = 0; i < KEYS; i++) {
        echo.push(await echoPainted(a, textarea));
        await sleep(200);
      }
      await a.type(textarea, `${Keys.CONTROL}u${"\uE000"}`);
      const lag = await a.exec(() => {
        const l = window.__lag;
        window.__lag = null;
        return l;
      });
      return {
        echoMs: { p50: r1(median(echo)), p99: r1(percentile(echo, 99)) },
        timerLateMs: { p50: r1(median(lag)), p99: r1(percentile(lag, 99)), max: r1(Math.max(...lag)) },
      };
    };
    R.quiet = await measure();
    log(`long pod list, quiet: ${JSON.stringify(R.quiet)}`);
    // The churn: readiness toggled, pod after pod, CHURN_PER_S a second, until the run ends.
    let churning = true;
    let changes = 0;
    const churn = (async () => {
      const every = 1000 / CHURN_PER_S;
      for (let i = 0; churning; i++) {
        const t = Date.now();
        const pod = name((i * 37) % BIG_PODS);
        await fetch(`${admin}/pods/big/${pod}/ready?value=${Math.floor(i / BIG_PODS) % 2 === 1 ? "true" : "false"}`, { method: "POST" });
        changes += 1;
        await sleep(Math.max(0, every - (Date.now() - t)));
      }
    })();
    await sleep(1000);
    const c0 = changes;
    const t1 = Date.now();
    R.churn = await measure();
    R.churn.changesPerS = r1(((changes - c0) * 1000) / (Date.now() - t1));
    churning = false;
    await churn;
    log(`long pod list, ${CHURN_PER_S} changes a second: ${JSON.stringify(R.churn)}`);
    // The list kept up: a pod changed last shows it (filtered to it: a long list draws the
    // rows in view).
    const last = name(((changes - 1) * 37) % BIG_PODS);
    await filter(last);
    R.lastChangeShown = await a
      .waitUntil("the last change in its row", 10_000, (n) => document.querySelector(`.pod[data-pod="${n}"] .pod-ready`)?.textContent?.startsWith("0/") || null, last)
      .then(() => true, () => false);
  } finally {
    await a?.close();
    tc.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
  return R;
}

/** The long pod list's rows of the table (`bigPodList`). */
function bigListRows(B) {
  if (!B) return [];
  if (B.error) return [["a long pod list", `not measured: ${B.error}`, "", "", null]];
  const t = (m) => `${m.echoMs.p50} / ${m.echoMs.p99}; ${m.timerLateMs.p50} / ${m.timerLateMs.p99} / ${m.timerLateMs.max}`;
  return [
    [`a long pod list (${B.pods} pods in one namespace, a fresh app): import → every row listed (ms); web process PSS before the import → listed (MB)`, `${B.listedMs}; ${B.webPssBeforeMB} → ${B.webPssListedMB}`, "", "", null],
    [`  ↳ while ${B.churn.changesPerS} pods change a second: keystroke → echo painted p50 / p99 (ms); the page's 10 ms timer late p50 / p99 / max (ms)${B.lastChangeShown ? "" : "; the last change NOT shown"}`, t(B.churn), `the list quiet, same tab: ${t(B.quiet)}`, "", null],
  ];
}

/** A fresh app (its process id) with testcluster's kubeconfig imported and the pod list shown. */
async function freshApp() {
  const a = await launchApp({ binary, env: { KUBECONFIG: kubeconfig, RUST_LOG: "warn" }, log });
  try {
    const pid = await a.pid();
    if (!pid) throw new Error("the fresh app's process was not found");
    await a.click("#import-kubeconfig", 20_000);
    await a.waitFor('.pod[data-pod="shell"]', 30_000);
    return { a, pid };
  } catch (e) {
    await a.close();
    throw e;
  }
}

/**
 * 20 tabs in a fresh app (issue 13): no flood before, each tab having printed FRESH_LINES
 * lines; then CYCLES times every tab closed and as many opened again, the web process measured
 * each time, and the closed terminals counted that the page still holds (WeakRefs, after
 * garbage that makes JavaScriptCore collect): a closed tab must release its terminal.
 */
async function freshTabs() {
  const { a, pid } = await freshApp();
  try {
    await sleep(5000);
    const idle = await memory(pid, true);
    // The first tab apart: it brings what every later tab shares (xterm.js's compiled code,
    // the tab strip), so the tabs after it are what one more tab costs.
    let ids = await openPrintingTabs(a, 1, FRESH_LINES);
    await sleep(5000);
    const first = await memory(pid);
    ids = ids.concat(await openPrintingTabs(a, TABS - 1, FRESH_LINES));
    await sleep(5000);
    const tabs = await memory(pid, true);
    const cycles = [];
    for (let c = 0; c < CYCLES; c++) {
      await a.exec((ids) => {
        const w = (window.__closedTerminals ??= []);
        for (const id of ids) w.push(new WeakRef(window.__podterm.terminals.get(id)));
        return true;
      }, ids);
      for (const id of ids) await a.click(`.tab[data-tab-id="${id}"] .tab-close`);
      await a.waitUntil("every tab closed", 30_000, () => window.__podterm.tabs().length === 0);
      await sleep(3000);
      const closed = await memory(pid);
      ids = await openPrintingTabs(a, TABS, FRESH_LINES);
      await sleep(3000);
      const reopened = await memory(pid);
      cycles.push({ closedPss: closed.pss, closedWebPss: webPss(closed), openPss: reopened.pss, openWebPss: webPss(reopened) });
      log(`fresh app, cycle ${c + 1}: ${JSON.stringify(cycles.at(-1))}`);
    }
    // A full collection (collectedTerminals), then the closed terminals still reachable; again
    // while any is held, for at most 30 s (right after a close a pending timer may hold one).
    const t0 = Date.now();
    let held;
    for (;;) {
      held = await collectedTerminals(a);
      if (held.held === 0 || Date.now() - t0 > 30_000) break;
      await sleep(1000);
    }
    return {
      tabs: TABS,
      lines: FRESH_LINES,
      idle,
      tabsMemory: tabs,
      perTabPss: r1((tabs.pss - idle.pss) / TABS),
      perTabWebPss: r1((webPss(tabs) - webPss(idle)) / TABS),
      firstTab: { pss: r1(first.pss - idle.pss), webPss: r1(webPss(first) - webPss(idle)) },
      // One tab alone has no "each tab after the first".
      nextTabPss: TABS > 1 ? r1((tabs.pss - first.pss) / (TABS - 1)) : null,
      nextTabWebPss: TABS > 1 ? r1((webPss(tabs) - webPss(first)) / (TABS - 1)) : null,
      cycles,
      closedTerminals: held,
    };
  } finally {
    await a.close();
  }
}

/**
 * xterm.js alone, in the app's own page (issue 13): what a terminal costs with nothing of the
 * app around it, the reference for a tab's cost beyond the first. A fresh app with one tab
 * (FRESH_LINES lines: xterm.js's code compiled, as for the tabs after a first one), then TABS
 * bare terminals made by the page's own xterm.js build, each the first tab's size, font and
 * scrollback, with no addons, in a box hidden as a background tab is (`.pane[hidden]`), each
 * written the same FRESH_LINES lines; the web process measured before and after.
 */
async function xtermTerminals() {
  const { a, pid } = await freshApp();
  try {
    await openPrintingTabs(a, 1, FRESH_LINES);
    await sleep(5000);
    const before = await memory(pid);
    const size = await a.exec(async (n, lines) => {
      const first = window.__podterm.terminals.values().next().value;
      const Terminal = first.constructor;
      const { fontFamily, fontSize, scrollback } = first.options;
      const text = Array.from({ length: lines }, (_, i) => `${i + 1}: some output, as a build or a log writes it, about seventy-five columns\r\n`).join("");
      const box = document.createElement("div");
      box.style.cssText = "position: absolute; inset: 0; overflow: hidden";
      document.body.appendChild(box);
      const written = [];
      for (let i = 0; i < n; i++) {
        const host = document.createElement("div");
        host.style.cssText = `position: absolute; width: ${first.element.offsetWidth}px; height: ${first.element.offsetHeight}px; visibility: hidden; transform: translateX(110%)`;
        box.appendChild(host);
        const t = new Terminal({ fontFamily, fontSize, scrollback });
        t.open(host);
        t.resize(first.cols, first.rows);
        written.push(new Promise((r) => t.write(text, r)));
        (window.__bareTerminals ??= []).push(t);
      }
      await Promise.all(written);
      return { cols: first.cols, rows: first.rows };
    }, TABS, FRESH_LINES);
    await sleep(5000);
    const after = await memory(pid);
    return { terminals: TABS, lines: FRESH_LINES, ...size, perTerminalPss: r1((after.pss - before.pss) / TABS), perTerminalWebPss: r1((webPss(after) - webPss(before)) / TABS) };
  } finally {
    await a.close();
  }
}

/**
 * What a background tab would cost with no xterm.js terminal at all (issue 13, item 6: the
 * lever left for the 20-tab row, not built): its screen and scrollback kept as a string by
 * xterm.js's serialize addon (ui/node_modules, a devDependency the bench loads into the page;
 * the app does not ship it), its terminal made again when the tab is shown. In a fresh app with
 * one tab, TABS bare terminals as in `xtermTerminals`, made one after another, each serialized
 * and disposed once the next has its lines, as background tabs would be while the user opens
 * the next; the web process measured before, and 5 s and 30 s after (JavaScriptCore collects the
 * old generation on a timer once the page is idle), each with the parked terminals it still holds
 * (WeakRefs; no collection forced, so a held one counts against the figure). Then the price:
 * making a terminal again from its string (a new terminal opened in a hidden box, the string
 * written, to xterm's callback), 5 times for the FRESH_LINES lines and for a full scrollback of
 * the first tab's size.
 */
async function parkedTerminals() {
  const { a, pid } = await freshApp();
  try {
    await openPrintingTabs(a, 1, FRESH_LINES);
    const src = await readFile(path.join(repo, "ui", "node_modules", "@xterm", "addon-serialize", "lib", "addon-serialize.js"), "utf8");
    await a.cmd("POST", "/execute/sync", { script: `${src};\nreturn typeof self.SerializeAddon;`, args: [] });
    await sleep(5000);
    const before = await memory(pid);
    const made = await a.exec(async (n, lines) => {
      const first = window.__podterm.terminals.values().next().value;
      const Terminal = first.constructor;
      const { fontFamily, fontSize, scrollback } = first.options;
      const text = (count) => Array.from({ length: count }, (_, i) => `${i + 1}: some output, as a build or a log writes it, about seventy-five columns\r\n`).join("");
      const box = document.createElement("div");
      box.style.cssText = "position: absolute; inset: 0; overflow: hidden";
      document.body.appendChild(box);
      const make = () => {
        const host = document.createElement("div");
        host.style.cssText = `position: absolute; width: ${first.element.offsetWidth}px; height: ${first.element.offsetHeight}px; visibility: hidden; transform: translateX(110%)`;
        box.appendChild(host);
        const t = new Terminal({ fontFamily, fontSize, scrollback });
        const ser = new self.SerializeAddon.SerializeAddon();
        t.loadAddon(ser);
        t.open(host);
        t.resize(first.cols, first.rows);
        return { t, ser, host };
      };
      const park = ({ t, ser, host }) => {
        const s = ser.serialize();
        (window.__parkedRefs ??= []).push(new WeakRef(t));
        t.dispose();
        host.remove();
        return s;
      };
      const parked = (window.__parked = []);
      let live = null;
      for (let i = 0; i < n; i++) {
        const next = make();
        await new Promise((r) => next.t.write(text(lines), r));
        if (live) parked.push(park(live));
        live = next;
      }
      parked.push(park(live));
      window.__park = { make, park, text, first };
      return { cols: first.cols, rows: first.rows, scrollback, stringKB: Math.round((parked[0].length / 1024) * 10) / 10 };
    }, TABS, FRESH_LINES);
    await sleep(5000);
    const after = await memory(pid);
    const held = await a.exec(() => window.__parkedRefs.filter((r) => r.deref() !== undefined).length);
    // And once the page has been idle a while (JavaScriptCore collects the old generation on a
    // timer once allocation stops).
    await sleep(25_000);
    const later = await memory(pid);
    const heldLater = await a.exec(() => window.__parkedRefs.filter((r) => r.deref() !== undefined).length);
    // Made again from its string: the price of showing a parked tab (after the memory reading,
    // whose figure the full scrollback's garbage would raise).
    const wakes = await a.exec(async () => {
      const { make, park, text, first } = window.__park;
      const wake = async (s, times) => {
        const ms = [];
        for (let i = 0; i < times; i++) {
          const t0 = performance.now();
          const w = make();
          await new Promise((r) => w.t.write(s, r));
          ms.push(performance.now() - t0);
          w.t.dispose();
          w.host.remove();
        }
        return ms.sort((x, y) => x - y);
      };
      const parked = window.__parked;
      const small = await wake(parked[parked.length - 1], 5);
      const lines = first.options.scrollback + first.rows;
      const full = make();
      await new Promise((r) => full.t.write(text(lines), r));
      const fullString = park(full);
      const big = await wake(fullString, 5);
      return {
        wakeMs: { p50: Math.round(small[2]), max: Math.round(small[4]) },
        full: { lines, stringKB: Math.round((fullString.length / 1024) * 10) / 10, wakeMs: { p50: Math.round(big[2]), max: Math.round(big[4]) } },
      };
    });
    return { terminals: TABS, lines: FRESH_LINES, ...made, ...wakes, perTerminalPss: r1((after.pss - before.pss) / TABS), perTerminalWebPss: r1((webPss(after) - webPss(before)) / TABS), held, later: { perTerminalPss: r1((later.pss - before.pss) / TABS), perTerminalWebPss: r1((webPss(later) - webPss(before)) / TABS), held: heldLater } };
  } finally {
    await a.close();
  }
}

/** The closed terminals (`window.__closedTerminals`, WeakRefs) the page still holds, after
 *  garbage that makes JavaScriptCore run a full collection. */
function collectedTerminals(a) {
  return a.exec(async () => {
    // Old garbage: kept over a few timer turns, so that young collections promote it, then let
    // go; the old generation then outgrows its limit and JavaScriptCore makes a full collection.
    // Young garbage alone never brings one, and only a full one frees a closed tab's terminal
    // (promoted long before): counted with short-lived garbage, whole rounds of closed terminals
    // looked held for minutes, and a FinalizationRegistry agreed they were not collected.
    for (let round = 0; round < 3; round++) {
      let keep = [];
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 10; j++) keep.push(new Array(100_000).fill(j));
        await new Promise((r) => setTimeout(r, 30));
      }
      keep = null;
      await new Promise((r) => setTimeout(r, 100));
    }
    const w = window.__closedTerminals;
    return { closed: w.length, held: w.filter((r) => r.deref() !== undefined).length };
  });
}

// ------------------------------------------------------------------------------- the X screen

/** Why the screen cannot be watched (no cc or libX11), when it cannot. */
let screenWatchError = null;
let screenWatchBinary = null;

/** screen-watch.c, built once into the run's work folder with cc and libX11; null (and
 *  `screenWatchError`) when it cannot be built. */
async function screenWatcher() {
  if (screenWatchBinary || screenWatchError) return screenWatchBinary;
  const out = path.join(work, "screen-watch");
  const built = await new Promise((resolve) => {
    const p = spawn("cc", ["-O2", "-o", out, path.join(here, "screen-watch.c"), "-lX11"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("error", (e) => resolve(String(e.message ?? e)));
    p.on("exit", (code) => resolve(code === 0 ? null : `cc exited ${code}: ${err.slice(-300)}`));
  });
  if (built !== null) {
    screenWatchError = `screen-watch.c was not built (cc and libX11: make deps): ${built}`;
    return null;
  }
  return (screenWatchBinary = out);
}

/**
 * Watches rectangle `r` ({x, y, w, h}, screen pixels) of X display `display` for up to `secs`
 * seconds, once screen-watch has read it the first time. `glyphAfter(t0, timeoutMs)`: ms from t0
 * (epoch ms) to the first picture after it whose pixels differ among themselves (a glyph drawn
 * in an empty cell or over a block cursor, both one colour), or null; it stops the watch.
 */
async function watchRect(binary, r, secs, display) {
  const p = spawn(binary, [r.x, r.y, r.w, r.h, secs].map(String), { env: { ...process.env, DISPLAY: display }, stdio: ["ignore", "pipe", "pipe"] });
  const pictures = [];
  let buf = "";
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  p.stdout.on("data", (d) => {
    buf += d;
    for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) {
      const [t, kind] = buf.slice(0, i).split(" ");
      pictures.push({ t: Number(t), mixed: kind === "m" });
    }
  });
  const exited = new Promise((resolve) => p.once("exit", resolve));
  const stop = () => {
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
  };
  const first = await Promise.race([
    (async () => {
      while (pictures.length === 0) await sleep(1);
      return true;
    })(),
    exited.then(() => false),
  ]);
  if (!first) throw new Error(`screen-watch ended before reading the screen: ${err.slice(-300)}`);
  return {
    async glyphAfter(t0, timeoutMs) {
      const end = Date.now() + timeoutMs;
      try {
        for (;;) {
          const hit = pictures.find((x) => x.t >= t0 && x.mixed);
          if (hit) return hit.t - t0;
          if (Date.now() > end || p.exitCode !== null) return null;
          await sleep(2);
        }
      } finally {
        stop();
      }
    },
    stop,
  };
}

/** Watches the cell under tab `tab`'s cursor (its block, one pixel in from each edge): where the
 *  next letter is drawn. null when the cursor is not drawn. */
async function watchCursorCell(app, binary, tab) {
  const r = await app.exec((id) => {
    const c = document.querySelector(`.pane[data-tab-id="${id}"] .xterm-rows .xterm-cursor`);
    if (!c) return null;
    const b = c.getBoundingClientRect();
    return { x: Math.round(b.left + window.screenX) + 1, y: Math.round(b.top + window.screenY) + 1, w: Math.floor(b.width) - 2, h: Math.floor(b.height) - 2 };
  }, tab);
  if (!r || r.w < 1 || r.h < 1) return null;
  return watchRect(binary, r, 15, app.env.DISPLAY);
}

/** xterm.js alone on the screen: a letter written from the page at a random moment (no round
 *  trip) → its cell shows it, IDLE_KEYS times; the letters wiped after, the cursor put back. */
async function xtermAloneOnScreen(app, binary, tab) {
  const ms = [];
  await app.exec((id) => window.__podterm.terminals.get(id).write("\x1b7"), tab);
  await sleep(100);
  for (let i = 0; i < IDLE_KEYS; i++) {
    const watch = await watchCursorCell(app, binary, tab);
    if (!watch) {
      ms.push(Infinity);
      continue;
    }
    const at = await app.exec(async (id) => {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 17));
      const t = performance.timeOrigin + performance.now();
      window.__podterm.terminals.get(id).write("x");
      return t;
    }, tab);
    ms.push((await watch.glyphAfter(at, 5000)) ?? Infinity);
    await sleep(50);
  }
  await app.exec((id) => window.__podterm.terminals.get(id).write("\x1b8\x1b[K"), tab);
  return { ms: ms.map(r1), p50: r1(median(ms)), p99: r1(percentile(ms, 99)) };
}

/** Instruments tab `id`'s terminal for the bench (a page function): `window.__bench` counts what
 *  xterm wrote, when each key went down, when `send_input` left and came back, when an echo
 *  (an `x`) was drawn by the page's own measure (the frame after xterm wrote it). */
function benchInstall(id) {
  const term = window.__podterm.terminals.get(id);
  const orig = term.write.bind(term);
  const b = (window.__bench = { bytes: 0, first: 0, last: 0, marks: [], keys: [], painted: [], sends: [] });
  document.addEventListener("keydown", (e) => b.keys.push({ key: e.key, at: performance.now(), bytes: b.bytes }), true);
  // The key's next hop: the send_input command leaving the page (its IPC fetch), and its reply.
  const fetch0 = window.fetch.bind(window);
  window.fetch = (url, init) => {
    if (!String(url).includes("send_input")) return fetch0(url, init);
    const s = { at: performance.now(), done: 0 };
    b.sends.push(s);
    return fetch0(url, init).then((r) => ((s.done = performance.now()), r));
  };
  term.write = (data, cb) => {
    if (data.length === 0) return orig(data, cb); // the flow controller's mark before a piece
    const now = performance.now();
    if (b.first === 0) b.first = now;
    const n = typeof data === "string" ? data.length : data.byteLength;
    const hasZ = typeof data === "string" ? data.includes("Z") : data.includes(0x5a);
    const hasX = typeof data === "string" ? data.includes("x") : data.includes(0x78);
    orig(data, () => {
      b.bytes += n;
      b.last = performance.now();
      if (hasZ) b.marks.push({ at: b.last, bytes: b.bytes });
      // Painted: the frame after xterm wrote it (its renderer draws in that frame).
      if (hasX) requestAnimationFrame(() => requestAnimationFrame(() => b.painted.push(performance.now())));
      cb?.();
    });
  };
  return true;
}

/**
 * A command whose output comes in two parts a few milliseconds apart, as a shell's or a
 * build's often does (`printf A1; sleep 0.005; printf B2`): Enter → each part written into the
 * tab (ms; p50 / p99 of `rounds`). The first part follows the Enter's echo, which the page has
 * not yet acknowledged (it acknowledges small output once quiet for ACK_IDLE_MS): it must not
 * wait for a batch to fill (flow::JOIN_AFTER; before, it waited the batch delay, 16 ms).
 */
async function splitOutputRun(app, tab, textarea, rounds = KEYS) {
  await app.exec((id) => {
    const term = window.__podterm.terminals.get(id);
    const s = (window.__split = { enter: 0, a: 0, b: 0, done: false });
    document.addEventListener("keydown", (e) => e.key === "Enter" && !s.done && Object.assign(s, { enter: performance.now(), a: 0, b: 0 }), true);
    const orig = term.write.bind(term);
    term.write = (data, cb) => {
      if (s.enter && !s.b && !s.done) {
        const now = performance.now();
        const text = typeof data === "string" ? data : new TextDecoder().decode(data);
        if (!s.a && text.includes("A1\r\n")) s.a = now;
        if (text.includes("B2\r\n")) s.b = now;
      }
      return orig(data, cb);
    };
    return true;
  }, tab);
  const first = [];
  const second = [];
  for (let i = 0; i < rounds; i++) {
    await app.type(textarea, "printf 'A%s\\n' 1; sleep 0.005; printf 'B%s\\n' 2");
    // As a person pauses before Enter: the line's echo drawn and acknowledged.
    await sleep(100);
    await app.type(textarea, Keys.ENTER);
    const r = await app.waitUntil("the command's second part", 10_000, () => window.__split.b > 0 && { ...window.__split });
    first.push(r.a - r.enter);
    second.push(r.b - r.enter);
  }
  // The floods that follow in this tab are not decoded.
  await app.exec(() => (window.__split.done = true));
  const stat = (xs) => ({ ms: xs.map(r1), p50: r1(median(xs)), p99: r1(percentile(xs, 99)) });
  const R = { splitOutput: { first: stat(first), second: stat(second) } };
  log(`split output: ${JSON.stringify(R.splitOutput)}`);
  return R;
}

/**
 * Keystroke → echo painted in an idle tab (issue 13), tab `tab` instrumented by `benchInstall`,
 * two ways: the page's own measure (keydown → the frame after xterm wrote the echo: `p50`, `p99`,
 * the fields' meaning since they were added), and the X screen itself (`screen`: keydown → the
 * echo's cell shows a glyph, read back by screen-watch.c). The page's measure cannot see a draw
 * made before the next frame (an idle terminal's echo is drawn at once: ui/src/terminal/paint.ts);
 * the screen sees when a person could. Its floors: the round trip alone, the frame interval, and
 * xterm.js alone writing a letter at a random moment (timed both ways).
 */
/**
 * One key typed into `textarea` (a tab with `benchInstall`): keydown → the frame after xterm.js
 * wrote its echo (ms; Infinity: not drawn within 10 s). `beforeKey` runs just before the key.
 */
async function echoPainted(app, textarea, beforeKey = async () => {}) {
  await app.exec(() => (window.__bench.painted = []));
  await beforeKey();
  await app.type(textarea, "x");
  const ms = await app.exec(async () => {
    const b = window.__bench;
    const k = b.keys.filter((x) => x.key === "x").at(-1);
    const start = performance.now();
    for (;;) {
      const m = k && b.painted.find((t) => t >= k.at);
      if (m) return m - k.at;
      if (performance.now() - start > 10_000) return Infinity;
      await new Promise((r) => setTimeout(r, 1));
    }
  });
  // A script's Infinity reaches us through WebDriver's JSON as null: never drawn.
  return ms ?? Infinity;
}

async function idleEchoRun(app, tab, textarea) {
  const R = {};
  const watcher = await screenWatcher();
  const screenMs = [];

  await sleep(300);
  // Keystroke → echo painted in an idle tab: keydown → the frame after xterm wrote the echo.
  const idleEchoes = [];
  for (let i = 0; i < IDLE_KEYS; i++) {
    let watch = null;
    idleEchoes.push(await echoPainted(app, textarea, async () => (watch = watcher && (await watchCursorCell(app, watcher, tab)))));
    if (watch) {
      const keyAt = await app.exec(() => performance.timeOrigin + window.__bench.keys.filter((x) => x.key === "x").at(-1).at);
      screenMs.push((await watch.glyphAfter(keyAt, 5000)) ?? Infinity);
    } else if (watcher) {
      screenMs.push(Infinity); // the cursor's cell was not found: not seen on the screen
    }
    await sleep(50);
  }
  await app.type(textarea, `${Keys.CONTROL}u${"\uE000"}`);
  R.idleEcho = { ms: idleEchoes.map(r1), p50: r1(median(idleEchoes)), p99: r1(percentile(idleEchoes, 99)) };
  R.idleEcho.screen = watcher ? { ms: screenMs.map(r1), p50: r1(median(screenMs)), p99: r1(percentile(screenMs, 99)), max: r1(Math.max(...screenMs)) } : { error: screenWatchError };
  // Draws the app made at once, not at the next frame (paint.ts); null: not engaged.
  R.idleEcho.drawnAtOnce = await app.exec((id) => {
    const p = window.__podterm.painters?.get(id);
    return p && p.engaged ? p.drawnAtOnce : null;
  }, tab);
  log(`idle echo painted: ${JSON.stringify(R.idleEcho)}`);
  await sleep(300);
  // Its floor (issue 13): the round trip alone through the same testcluster, nothing drawn (the
  // engine: podterm's CLI on a PTY; and kubectl), plus the page's frame interval.
  R.idleEchoFloor = { frameMs: await app.exec(frameInterval, 120) };
  // And xterm.js alone in the same tab, timed the same way: a letter written from the page at a
  // random moment (as a key comes at any point of a frame) → painted (the same `painted` as the
  // echo's: the frame after xterm wrote it). No round trip: what the page adds to any echo.
  // The cursor is kept and the letters wiped after, so the shell's line is as it was.
  R.idleEchoFloor.xtermAlone = await app.exec(async (id, n) => {
    const term = window.__podterm.terminals.get(id);
    const b = window.__bench;
    const ms = [];
    term.write("\x1b7");
    for (let i = 0; i < n; i++) {
      b.painted = [];
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 17));
      const at = performance.now();
      term.write("x");
      for (;;) {
        const m = b.painted.find((t) => t >= at);
        if (m) {
          ms.push(m - at);
          break;
        }
        if (performance.now() - at > 10_000) {
          ms.push(null);
          break;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    term.write("\x1b8\x1b[K");
    return ms;
  }, tab, IDLE_KEYS);
  {
    const xs = R.idleEchoFloor.xtermAlone.map((x) => x ?? Infinity);
    R.idleEchoFloor.xtermAlone = { ms: xs.map(r1), p50: r1(median(xs)), p99: r1(percentile(xs, 99)) };
  }
  for (const [name, argv] of [
    ["podterm", [podtermCli, "exec", "--kubeconfig", kubeconfig, "-n", "demo", "-it", "shell", "--", "sh"]],
    ["kubectl", [kubectl, "--kubeconfig", kubeconfig, "-n", "demo", "exec", "-it", "shell", "--", "sh"]],
  ]) {
    try {
      R.idleEchoFloor[name] = await ptyEcho(argv, IDLE_KEYS);
    } catch (e) {
      R.idleEchoFloor[name] = { error: String(e.message ?? e).slice(0, 300) };
    }
  }
  log(`idle echo floor: ${JSON.stringify(R.idleEchoFloor)}`);
  if (watcher) R.idleEchoFloor.xtermAloneScreen = await xtermAloneOnScreen(app, watcher, tab);
  return R;
}


// ------------------------------------------------------------------------------- setup

const work = await mkdtemp(path.join(tmpdir(), "podterm-app-bench-"));
const kubeconfig = path.join(work, "kubeconfig");
// kubectl's exec starts as soon as the app's: no settling time for it (testcluster's
// KUBECTL_SETTLE, 100 ms since 2026-12-06), so "click → first prompt byte" compares the clients
// alone, as podterm-bench's start rows do.
const cluster = spawn(testcluster, ["serve", "--kubeconfig", kubeconfig, "--kubectl-settle-ms", "0"], { stdio: ["ignore", "pipe", "pipe"] });
let clusterErr = "";
cluster.stderr.on("data", (d) => (clusterErr += d));
for (let i = 0; !existsSync(kubeconfig); i++) {
  if (i > 200 || cluster.exitCode !== null) throw new Error(`testcluster did not start: ${clusterErr}`);
  await sleep(50);
}
await sleep(100);
// testcluster's port (its kubeconfig's server URL): the exec connection's two ends for `ss`.
const clusterPort = Number(/server:\s*https?:\/\/[^:\s]+:(\d+)/.exec(await readFile(kubeconfig, "utf8"))?.[1] ?? 0);
const kubectlVersion = await new Promise((resolve) => {
  const p = spawn(kubectl, ["version", "--client", "-o", "json"], { stdio: ["ignore", "pipe", "ignore"] });
  let s = "";
  p.stdout.on("data", (d) => (s += d));
  p.once("exit", () => {
    try {
      resolve(JSON.parse(s).clientVersion.gitVersion);
    } catch {
      resolve("unknown");
    }
  });
});

const results = { when: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, kubectl: kubectlVersion, floodMB: FLOOD_MB, tabs: TABS };
// WebKitGTK's own floor (issue 13), while no app runs.
try {
  results.webkitFloor = await webkitFloor();
} catch (e) {
  results.webkitFloor = { error: String(e.message ?? e).slice(0, 300) };
}
if (PODS_ONLY) {
  try {
    console.log(JSON.stringify(await bigPodList(), null, 2));
  } finally {
    cluster.kill("SIGTERM");
    await rm(work, { recursive: true, force: true });
  }
  process.exit(0);
}
if (MEMORY_ONLY) {
  try {
    results.fresh = await freshTabs();
  } catch (e) {
    results.fresh = { error: String(e.stack ?? e).slice(0, 600) };
  }
  try {
    results.xtermTabs = await xtermTerminals();
  } catch (e) {
    results.xtermTabs = { error: String(e.stack ?? e).slice(0, 600) };
  }
  try {
    results.parkedTabs = await parkedTerminals();
  } catch (e) {
    results.parkedTabs = { error: String(e.stack ?? e).slice(0, 600) };
  } finally {
    cluster.kill("SIGTERM");
  }
  const brief = (m) => m && { pss: m.pss, rss: m.rss, pssBy: m.pssBy, kindsBy: m.kindsBy };
  console.log(JSON.stringify({ env: { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? null }, webkitFloor: { blank: brief(results.webkitFloor.blank), xterm: brief(results.webkitFloor.xterm), error: results.webkitFloor.error }, fresh: results.fresh.error ? results.fresh : { ...results.fresh, idle: brief(results.fresh.idle), tabsMemory: brief(results.fresh.tabsMemory) }, xtermTabs: results.xtermTabs, parkedTabs: results.parkedTabs }, null, 2));
  await rm(work, { recursive: true, force: true });
  process.exit(0);
}
const app = await launchApp({ binary, env: { KUBECONFIG: kubeconfig, RUST_LOG: "warn" }, log });

try {
  const pid = await app.pid();
  if (!pid) throw new Error("the app's process was not found");
  // Import the testcluster's kubeconfig (KUBECONFIG) as a user would on first run.
  await app.click("#import-kubeconfig", 20_000);
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
  log("profile imported; pods listed");
  if (TRANSPORT_ONLY) {
    console.log(JSON.stringify(await transportProbe(Number(process.env.TRANSPORT_MB ?? 256) * 1024 * 1024), null, 2));
    cluster.kill("SIGTERM");
    await app.close();
    await rm(work, { recursive: true, force: true });
    process.exit(0);
  }
  if (ECHO_ONLY) {
    // Taking turns, each in a new tab: the app as it is, and with the tab's painter stopped (its
    // terminal then draws at the next frame only, as before paint.ts).
    const runs = [];
    for (const paint of ["at once", "next frame", "at once", "next frame"]) {
      const tab = (await app.openShell()).id;
      if (paint === "next frame") await app.exec((id) => window.__podterm.painters.get(id).dispose(), tab);
      await app.exec(benchInstall, tab);
      runs.push({ paint, ...(await idleEchoRun(app, tab, `.pane[data-tab-id="${tab}"] .xterm-helper-textarea`)) });
      await app.click(`.tab[data-tab-id="${tab}"] .tab-close`);
    }
    {
      const tab = (await app.openShell()).id;
      runs.push(await splitOutputRun(app, tab, `.pane[data-tab-id="${tab}"] .xterm-helper-textarea`));
    }
    console.log(JSON.stringify(runs, null, 2));
    cluster.kill("SIGTERM");
    await app.close();
    await rm(work, { recursive: true, force: true });
    process.exit(0);
  }
  if (SKIP_ONLY) {
    const skip = await skipMode(FLOOD_MB * 1024 * 1024);
    // What the web process keeps afterwards (its JavaScript heap's high-water mark).
    await sleep(5000);
    skip.webPssAfterMB = webPss(await memory(await app.pid()));
    skip.pageSockets = { open: await pageSocketsOpen(await app.pid()), tabs: await app.exec(() => window.__podterm.tabs().length) };
    console.log(JSON.stringify(skip, null, 2));
    cluster.kill("SIGTERM");
    await app.close();
    await rm(work, { recursive: true, force: true });
    process.exit(0);
  }
  // Today's fields (flood, echo, ctrlC) keep their meaning: every byte drawn. The default
  // (skipping what a tab behind a flood cannot show) is measured after them, in `skip`.
  await setDrawEveryByte(true);

  // Idle: the pod list shown, nothing open, after things settle.
  await sleep(5000);
  results.idle = await memory(pid, true);
  log(`idle: ${JSON.stringify(results.idle)}`);

  // Click → first prompt byte, against kubectl exec → first byte. `podtermMs` as before: the
  // page polls the tab's written count (each poll a timer turn, so up to a few ms late);
  // `parsedMs`: the instant xterm.js parsed the first output (its onWriteParsed), no polling.
  // The first open is a cold one (xterm.js's code not yet run); the rest come OPEN_GAP_MS
  // apart, a user's pace, by which time the page has made the next tab's terminal ahead
  // (workspace.ts, the spare terminal); each click comes PICK_MS after its picker shows.
  const opens = [];
  const parsed = [];
  for (let i = 0; i < OPENS; i++) {
    await app.click('.pod[data-pod="shell"] .pod-line');
    await app.waitFor('.pod[data-pod="shell"] .container[data-container="main"]');
    await sleep(PICK_MS);
    const ms = await app.exec(async () => {
      const before = new Set(window.__podterm.tabs().map((t) => t.id));
      const t0 = performance.now();
      document.querySelector('.pod[data-pod="shell"] .container[data-container="main"]').click();
      let parsedAt = null;
      const made = window.__podterm.tabs().find((t) => !before.has(t.id));
      const watch = made && window.__podterm.terminals.get(made.id)?.onWriteParsed(() => {
        parsedAt ??= performance.now();
      });
      for (;;) {
        const tab = window.__podterm.tabs().find((t) => !before.has(t.id));
        const f = tab && window.__podterm.flow(tab.id);
        if (f && f.written > 0) {
          const at = performance.now();
          watch?.dispose();
          return { ms: at - t0, parsedMs: parsedAt === null ? null : parsedAt - t0, id: tab.id };
        }
        if (performance.now() - t0 > 10_000) throw new Error("no prompt byte in 10 s");
        await new Promise((r) => setTimeout(r, 0));
      }
    });
    opens.push(ms.ms);
    if (ms.parsedMs !== null) parsed.push(ms.parsedMs);
    if (i < OPENS - 1) {
      await app.click(`.tab[data-tab-id="${ms.id}"] .tab-close`);
      await sleep(OPEN_GAP_MS);
    } else results.floodTab = ms.id;
  }
  // Without the settling time kubectl may drop a prompt that comes before its streams are
  // registered (no first byte): such a run is left out of the median and counted.
  const kubectlOpens = [];
  let kubectlDropped = 0;
  for (let i = 0; i < OPENS; i++) {
    const ms = await kubectlFirstByte(kubeconfig);
    if (Number.isFinite(ms)) kubectlOpens.push(ms);
    else kubectlDropped++;
  }
  results.open = {
    podtermMs: opens.map(r1),
    kubectlMs: kubectlOpens.map(r1),
    podtermMedian: r1(median(opens)),
    kubectlMedian: r1(median(kubectlOpens)),
    kubectlDropped,
    parsedMs: parsed.map(r1),
    parsedMedian: r1(median(parsed.slice(1))),
    coldParsedMs: r1(parsed[0] ?? NaN),
    gapMs: OPEN_GAP_MS,
    pickMs: PICK_MS,
  };
  log(`open: ${results.open.podtermMedian} ms (parsed ${results.open.parsedMedian}, cold ${results.open.coldParsedMs}) vs kubectl ${results.open.kubectlMedian} ms`);

  // Flood throughput into xterm through the app, then the same bytes into the same xterm in JS.
  const tab = results.floodTab;
  const textarea = `.pane[data-tab-id="${tab}"] .xterm-helper-textarea`;
  await app.exec(profileInstall, tab);
  results.profile = {};
  await app.exec(benchInstall, tab);
  const waitQuiet = (quietMs, timeoutMs) =>
    app.waitUntil("output to go quiet", timeoutMs, (q) => window.__bench.last > 0 && performance.now() - window.__bench.last > q, quietMs);
  Object.assign(results, await idleEchoRun(app, tab, textarea));
  Object.assign(results, await splitOutputRun(app, tab, textarea));
  await app.exec(() => Object.assign(window.__bench, { bytes: 0, first: 0, last: 0 }));
  await app.exec(profileTake);
  const floodBytes = FLOOD_MB * 1024 * 1024;
  // The cores each process used over the flood (issue 13: where the machine's two cores go).
  const floodCpuFrom = await cpuTimes();
  await app.type(textarea, floodCommand(floodBytes));
  await app.type(textarea, Keys.ENTER);
  const rssDuring = [];
  const t0 = Date.now();
  await app.waitUntil("the flood to start", 10_000, () => window.__bench.bytes > 1_000_000);
  rssDuring.push((await memory(pid)).rss);
  for (;;) {
    await sleep(2000);
    // 3 s quiet: on a loaded machine the page itself stalled for 1.7 s mid-flood.
    const done = await app.exec(() => window.__bench.last > 0 && performance.now() - window.__bench.last > 3000);
    rssDuring.push((await memory(pid)).rss);
    if (done) break;
    if (Date.now() - t0 > 900_000) throw new Error("the flood took over 15 minutes");
  }
  const flood = await app.exec(() => ({ bytes: window.__bench.bytes, ms: window.__bench.last - window.__bench.first }));
  const floodCores = cpuShare(floodCpuFrom, await cpuTimes(), flood.ms);
  results.profile.flood = await app.exec(profileTake);
  log(`profile, flood: ${JSON.stringify(results.profile.flood)}`);
  // The same bytes written into the same xterm in JS, no IPC: xterm's own rate on this page.
  const capCpuFrom = await cpuTimes();
  const cap = await xtermAlone(tab, flood.bytes, "y".repeat(79) + "\r\n");
  const capCores = cpuShare(capCpuFrom, await cpuTimes(), cap.ms);
  results.profile.xtermAlone = await app.exec(profileTake);
  log(`profile, xterm alone: ${JSON.stringify(results.profile.xtermAlone)}`);
  // The same flood's source, same testcluster, nothing drawn: podterm's CLI on a local PTY
  // (the pod's terminal, the server and the engine, with a terminal that costs nothing).
  // Its cores: the machine's busy time per MB is what the flood costs without drawing
  // (`machineCeiling`).
  let source;
  try {
    const sourceCpuFrom = await cpuTimes();
    // `-it`: a terminal in the pod, as a tab has (kubectl's rule: `-t` without `-i` gets none,
    // and the pod then writes to pipes, 32 KiB a read and no line discipline: on 2026-12-02 that
    // source cost the machine 24 ms per MB against 93–101 with the pod's terminal).
    source = await ptyFlood([podtermCli, "exec", "--kubeconfig", kubeconfig, "-n", "demo", "-it", "shell", "--", "sh", "-c", floodCommand(floodBytes)]);
    source.cores = cpuShare(sourceCpuFrom, await cpuTimes(), source.ms);
  } catch (e) {
    source = { error: String(e.message ?? e).slice(0, 300) };
  }
  log(`the flood's source, nothing drawn: ${JSON.stringify(source)}`);
  results.flood = {
    source,
    bytes: flood.bytes,
    appMBps: r1(flood.bytes / 1e6 / (flood.ms / 1000)),
    xtermCapMBps: r1(cap.bytes / 1e6 / (cap.ms / 1000)),
    rssMB: { first: rssDuring[0], max: Math.max(...rssDuring), last: rssDuring.at(-1), samples: rssDuring },
    cores: floodCores,
    xtermCapCores: capCores,
  };
  results.flood.ceiling = machineCeiling(results.flood, results.cores);
  log(`flood: ${JSON.stringify(results.flood)}`);

  // Keystrokes during an endless flood: keydown → the echoed byte written by xterm. Then Ctrl-C.
  // Where each key waits (issue 13): keydown → send_input leaving the page (the page's thread),
  // and the bytes xterm wrote between the key and its echo (everything queued ahead of the echo
  // on the way from the pod's terminal), beside the queues of the exec connection's two ends
  // (`ss`: testcluster's send queue, the app's receive queue) sampled at each key.
  await app.type(textarea, "yes");
  await app.type(textarea, Keys.ENTER);
  await app.waitUntil("yes to flow", 10_000, () => window.__bench.bytes > 10_000_000);
  await app.exec(() => {
    window.__bench.marks = [];
    window.__bench.keys = [];
    window.__bench.sends = [];
    return true;
  });
  await app.exec(profileTake);
  const echoes = [];
  const hops = [];
  const sockets = [];
  // The cores each process used while the keys were typed: the page's thread's share on a core
  // and waiting for one says whether `yes` is drawn slower than xterm alone draws it by the
  // page's own work or by the other processes on the cores.
  const yesCpuFrom = await cpuTimes();
  const yesFrom = await app.exec(() => ({ bytes: window.__bench.bytes, at: performance.now() }));
  for (let i = 0; i < KEYS; i++) {
    await app.type(textarea, "Z");
    sockets.push(await socketQueues(clusterPort));
    const hop = await app.exec(async () => {
      const b = window.__bench;
      const k = b.keys.filter((x) => x.key === "Z").at(-1);
      const start = performance.now();
      for (;;) {
        const m = k && b.marks.find((t) => t.at >= k.at);
        if (m) {
          const s = b.sends.find((x) => x.at >= k.at);
          return { ms: m.at - k.at, bytesAhead: m.bytes - k.bytes, toIpc: s ? s.at - k.at : null, ipcMs: s && s.done ? s.done - s.at : null };
        }
        if (performance.now() - start > 10_000) return { ms: Infinity, bytesAhead: b.bytes - (k?.bytes ?? b.bytes), toIpc: null, ipcMs: null };
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    echoes.push(hop.ms ?? Infinity);
    hops.push(hop);
    await sleep(150);
  }
  const yesTo = await app.exec(() => ({ bytes: window.__bench.bytes, at: performance.now() }));
  const yesCores = cpuShare(yesCpuFrom, await cpuTimes());
  results.profile.yes = await app.exec(profileTake);
  log(`profile, yes with keystrokes: ${JSON.stringify(results.profile.yes)}`);
  await app.type(textarea, `${Keys.CONTROL}c${"\uE000"}`);
  const ctrlC = await app.exec(async () => {
    const b = window.__bench;
    const k = b.keys.filter((x) => x.key === "c" || x.key === "C").at(-1);
    const before = b.bytes;
    for (;;) {
      if (performance.now() - b.last > 1500) return { ms: b.last - k.at, bytes: b.bytes - before };
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  results.echo = { ms: echoes.map(r1), p50: r1(median(echoes)), p99: r1(percentile(echoes, 99)) };
  const nums = (xs) => xs.filter((x) => typeof x === "number" && Number.isFinite(x));
  const sendQ = sockets.map((q) => q.serverSendQ);
  results.echoPath = {
    // The tab's drawing rate of `yes` while the keys were typed (MB/s).
    yesDrawMBps: r1((yesTo.bytes - yesFrom.bytes) / 1e6 / ((yesTo.at - yesFrom.at) / 1000)),
    bytesAhead: hops.map((h) => h.bytesAhead),
    bytesAheadMedian: median(hops.map((h) => h.bytesAhead)),
    keyToIpcMs: { p50: r1(median(nums(hops.map((h) => h.toIpc)))), p99: r1(percentile(nums(hops.map((h) => h.toIpc)), 99)) },
    sendInputMs: { p50: r1(median(nums(hops.map((h) => h.ipcMs)))), p99: r1(percentile(nums(hops.map((h) => h.ipcMs)), 99)) },
    serverSendQ: sendQ,
    serverSendQMedian: median(sendQ),
    clientRecvQMedian: median(sockets.map((q) => q.clientRecvQ)),
    serverSocket: sockets.at(-1)?.serverInfo ?? "",
    cores: yesCores,
  };
  await waitQuiet(500, 20_000);
  // xterm's own rate on `yes`'s two-byte lines, same page (at most 8 MB): the fastest any
  // transport could have the tab draw what is queued ahead of an echo.
  const yesCapCpuFrom = await cpuTimes();
  const yesCap = await xtermAlone(tab, 8e6, "y\r\n");
  results.echoPath.xtermYesCores = cpuShare(yesCapCpuFrom, await cpuTimes(), yesCap.ms);
  await app.exec(profileTake);
  results.echoPath.xtermYesMBps = r1(yesCap.bytes / 1e6 / (yesCap.ms / 1000));
  // kubectl on a local PTY, same testcluster, same run: read as fast as possible (a terminal
  // that draws for free), then paced to the tab's drawing rate of `yes`.
  results.echoPath.kubectl = {};
  for (const [name, rate] of [["free", 0], ["atTabRate", results.echoPath.yesDrawMBps * 1e6]]) {
    try {
      results.echoPath.kubectl[name] = await kubectlEcho(kubeconfig, rate, 10);
    } catch (e) {
      results.echoPath.kubectl[name] = { error: String(e.message ?? e).slice(0, 300) };
    }
  }
  log(`echo path: ${JSON.stringify(results.echoPath)}`);
  results.ctrlC = { ms: r1(ctrlC.ms), bytesAfter: ctrlC.bytes };
  log(`echo during flood: ${JSON.stringify(results.echo)}; Ctrl-C → quiet ${results.ctrlC.ms} ms`);

  // The same flood, echo and Ctrl-C in a new tab with the default: a tab behind a flood skips
  // what it could no longer show (issue 13, item 4).
  try {
    results.skip = await skipMode(FLOOD_MB * 1024 * 1024);
  } catch (e) {
    results.skip = { error: String(e.message ?? e).slice(0, 300) };
  }
  log(`skipping: ${JSON.stringify(results.skip)}`);

  // The page after the floods, before more tabs: what the flood left behind (WebKit keeps the
  // JS heap's high-water mark), so the tabs' own cost is tabsMemory − afterFlood.
  await sleep(3000);
  results.afterFlood = await memory(pid, true);
  // What of it is live for sure: every terminal's buffer (xterm.js keeps 3 32-bit words a cell).
  results.afterFlood.xtermBuffersMB = await app.exec(() => {
    let cells = 0;
    for (const t of window.__podterm.terminals.values()) cells += t.buffer.normal.length * t.cols;
    return Math.round((cells * 12) / 1e5) / 10;
  });
  results.afterFlood.pageSockets = { open: await pageSocketsOpen(pid), tabs: await app.exec(() => window.__podterm.tabs().length) };
  log(`after the floods, one tab: ${JSON.stringify(results.afterFlood)}`);

  // TABS open tabs (each a shell at its prompt).
  for (let i = 0; i < TABS - 1; i++) {
    await app.click('.pod[data-pod="shell"] .pod-line');
    await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  }
  await app.waitUntil(`${TABS} connected tabs`, 60_000, (n) =>
    document.querySelectorAll('.tab[data-state="connected"]').length >= n, TABS);
  await sleep(5000);
  results.tabsMemory = await memory(pid, true);
  log(`${TABS} tabs: ${JSON.stringify(results.tabsMemory)}`);
  await app.screenshot(path.join(work, "tabs.png"));

  // The renderers (issue 13, item 5), each in a new tab shown in the same window: xterm's DOM
  // renderer (the app's) and its WebGL one (@xterm/addon-webgl, loaded by the bench only).
  results.renderers = {};
  for (const kind of ["dom", "webgl"]) {
    try {
      results.renderers[kind] = await rendererRun(app, kind, pid);
    } catch (e) {
      results.renderers[kind] = { error: String(e.message ?? e).slice(0, 300) };
    }
    log(`renderer ${kind}: ${JSON.stringify(results.renderers[kind])}`);
  }
} catch (e) {
  cluster.kill("SIGTERM");
  throw e;
} finally {
  await app.close();
}
// 20 tabs in a fresh app (issue 13): no floods before; tabs closed and opened again.
try {
  results.fresh = await freshTabs();
} catch (e) {
  results.fresh = { error: String(e.message ?? e).slice(0, 300) };
}
log(`fresh app: ${JSON.stringify(results.fresh)}`);
// xterm.js alone in the app's page: the reference for a tab's own cost.
try {
  results.xtermTabs = await xtermTerminals();
} catch (e) {
  results.xtermTabs = { error: String(e.message ?? e).slice(0, 300) };
}
log(`xterm.js alone: ${JSON.stringify(results.xtermTabs)}`);
// A background tab with no terminal, its screen kept as a string: the 20-tab row's lever left.
try {
  results.parkedTabs = await parkedTerminals();
} catch (e) {
  results.parkedTabs = { error: String(e.message ?? e).slice(0, 300) };
} finally {
  cluster.kill("SIGTERM");
}
log(`parked terminals: ${JSON.stringify(results.parkedTabs)}`);
// A long pod list in a fresh app, quiet and while its pods change.
try {
  results.bigList = await bigPodList();
} catch (e) {
  results.bigList = { error: String(e.message ?? e).slice(0, 300) };
}
log(`long pod list: ${JSON.stringify(results.bigList)}`);

await writeReport(results, true);
await rm(work, { recursive: true, force: true });

/** CPU time (s) of the app's processes, testcluster's (its pods' commands included) and the
 *  app's X server, by process name, with the time it was read; and the page thread's (above). */
async function cpuTimes() {
  const tick = 100; // USER_HZ
  const by = {};
  let web = null;
  for (const root of [await app.pid(), cluster.pid, app.xvfbPid]) {
    for (const p of await processTree(root)) {
      if (p.comm === "WebKitWebProces") web = p;
      try {
        const stat = await readFile(`/proc/${p.pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // utime and stime: fields 14 and 15 of stat, 12 and 13 after the name.
        by[p.comm] = (by[p.comm] ?? 0) + (Number(f[11]) + Number(f[12])) / tick;
      } catch {
        /* gone */
      }
    }
  }
  // The page's thread (the web process's main thread: xterm.js, the IPC's JavaScript, WebKit's
  // layout and painting): its time on a core and its time runnable but waiting for one, from
  // the scheduler's own account (schedstat, ns). A thread that always has work and waits in the
  // run queue is slowed by the other processes on the cores, not by its own cost.
  if (web) {
    try {
      const [run, wait] = (await readFile(`/proc/${web.pid}/task/${web.pid}/schedstat`, "utf8")).trim().split(/\s+/).map(Number);
      by[PAGE_ON_CORE] = run / 1e9;
      by[PAGE_WAITING] = wait / 1e9;
    } catch {
      /* gone */
    }
  }
  // The whole machine's busy time (every process, the kernel's own work included), in the
  // same unit: what the two cores had left.
  const cpu = (await readFile("/proc/stat", "utf8")).split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  by["machine, every process"] = (cpu.reduce((a, b) => a + b, 0) - cpu[3] - cpu[4]) / tick;
  return { at: performance.now(), by };
}

/** Cores each process used between two cpuTimes (CPU seconds per second), busiest first; over
 *  `ms` when given (a flood's own time, without the quiet the bench waits for after it). */
function cpuShare(a, b, ms = b.at - a.at) {
  const secs = ms / 1000;
  const out = {};
  for (const [k, v] of Object.entries(b.by).sort((x, y) => (y[1] - (a.by[y[0]] ?? 0)) - (x[1] - (a.by[x[0]] ?? 0)))) {
    const used = (v - (a.by[k] ?? 0)) / secs;
    if (used >= 0.01) out[k] = Math.round(used * 100) / 100;
  }
  return out;
}

/**
 * Ways into the page (issue 13, item 3), each carrying `bytes` of 80-byte lines that the page
 * counts and drops (no xterm, so the transport alone is timed): `channel`, a session as today
 * (testcluster's pod prints them; Tauri `Channel` messages, flow control, acks; the tab's
 * `write` replaced by a counter); `fetch`, one request per `piece` bytes from the probe's URI
 * scheme (`src-tauri/probe.rs`: Tauri's fetch of a message without its `eval` and routing);
 * `stream`, one request whose body the page reads as it comes; `eval`, scripts the app runs in
 * the page, each a piece as a JSON string (what Tauri does with a message under 1 KiB); `ws`, a
 * WebSocket from a loopback port, a piece per binary message. Each: MB/s into the page, the
 * messages (or body chunks) the page got, and each process's CPU time per MB.
 */
async function transportProbe(bytes, piece = Number(process.env.PIECE_KB ?? 256) * 1024) {
  // TRANSPORT_WAYS: the ways to run, comma-separated (all by default). The session's way alone
  // needs no probe: any release build.
  const ways = (process.env.TRANSPORT_WAYS ?? "session,fetch,stream,eval,ws").split(",");
  const want = (way) => ways.includes(way);
  const probe = ways.every((w) => w === "session") ? 1 : await app.exec(() => fetch("podterm-probe://localhost/whole?bytes=1").then((r) => r.arrayBuffer()).then((b) => b.byteLength, (e) => String(e)));
  if (probe !== 1) throw new Error(`the transport probe did not answer (${probe}): a test-fixtures build is needed (make test-app)`);
  const appPid = await app.pid();
  const perMB = (cores, ms) => Object.fromEntries(Object.entries(cores).map(([k, v]) => [k, r1((v * ms) / (bytes / 1e6))]));
  const measure = async (name, start, done) => {
    const from = await cpuTimes();
    await start();
    // Polled once a second: each WebDriver script costs the busy page its own work (polled
    // every 50 ms, a drawn flood ran at a third of its rate).
    let r = null;
    // The web process's PSS before, at its highest while the bytes arrive, and 5 s after.
    const webBefore = webPss(await memory(appPid));
    let webMax = webBefore;
    for (const end = Date.now() + 900_000; !r; await sleep(1000)) {
      if (Date.now() > end) throw new Error(`${name} did not finish in 15 minutes`);
      r = await app.exec(done);
      webMax = Math.max(webMax, webPss(await memory(appPid)));
    }
    if (r.error) throw new Error(`${name}: ${r.error}`);
    const cores = cpuShare(from, await cpuTimes(), r.ms);
    await sleep(5000);
    const webPssMB = { before: webBefore, max: webMax, after: webPss(await memory(appPid)) };
    const row = { MBps: r1(bytes / 1e6 / (r.ms / 1000)), ms: r1(r.ms), messages: r.messages, chunkMedian: r.chunkMedian, chunkMax: r.chunkMax, cpuMsPerMB: perMB(cores, r.ms), cores, webPssMB };
    log(`transport ${name}: ${JSON.stringify(row)}`);
    return row;
  };
  const R = { bytes, piece };
  if (want("session")) await sessionWay(R, measure, bytes);
  // The probe's scheme: one request per piece, one after another.
  if (want("fetch")) R.fetch = await measure("fetch", () => app.exec((total, piece) => {
    const t = (window.__transport = { done: null });
    (async () => {
      const t0 = performance.now();
      let got = 0, messages = 0;
      while (got < total) {
        const b = await (await fetch(`podterm-probe://localhost/whole?bytes=${Math.min(piece, total - got)}`)).arrayBuffer();
        got += b.byteLength;
        messages++;
      }
      t.done = { ms: performance.now() - t0, messages, got };
    })().catch((e) => (t.done = { error: String(e) }));
    return true;
  }, bytes, piece), () => window.__transport.done);
  // One request for all of it, its body read as it comes.
  if (want("stream")) R.stream = await measure("stream", () => app.exec((total, piece) => {
    const t = (window.__transport = { done: null });
    (async () => {
      const t0 = performance.now();
      const reader = (await fetch(`podterm-probe://localhost/stream?bytes=${total}&piece=${piece}`)).body.getReader();
      let got = 0;
      const sizes = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        got += value.byteLength;
        sizes.push(value.byteLength);
      }
      sizes.sort((a, b) => a - b);
      t.done = { ms: performance.now() - t0, messages: sizes.length, got, chunkMedian: sizes[sizes.length >> 1], chunkMax: sizes.at(-1) };
    })().catch((e) => (t.done = { error: String(e) }));
    return true;
  }, bytes, piece), () => window.__transport.done);
  // Scripts the app evaluates in the page, each carrying a piece as a JSON string.
  if (want("eval")) R.eval = await measure("eval", () => app.exec((total, piece) => {
    const t = (window.__transport = { done: null });
    const t0 = performance.now();
    let got = 0, messages = 0;
    window.__probeEval = (s) => {
      got += s.length;
      messages++;
      if (got >= total && !t.done) t.done = { ms: performance.now() - t0, messages, got };
    };
    return fetch(`podterm-probe://localhost/eval?bytes=${total}&piece=${piece}`).then((r) => r.arrayBuffer()).then(() => true);
  }, bytes, piece), () => window.__transport.done);
  // A WebSocket from a loopback port: WebKit's network process reads it and hands each binary
  // message to the page (a candidate measured, not a way the app uses).
  if (want("ws")) R.ws = await measure("ws", () => app.exec((total, piece) => {
    const t = (window.__transport = { done: null });
    (async () => {
      const url = await (await fetch(`podterm-probe://localhost/ws?bytes=${total}&piece=${piece}`)).text();
      if (!url.startsWith("ws://")) throw new Error(url);
      const t0 = performance.now();
      let got = 0, messages = 0;
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      ws.onmessage = (e) => {
        got += e.data.byteLength;
        messages++;
        if (got >= total && !t.done) t.done = { ms: performance.now() - t0, messages, got };
      };
      ws.onerror = () => (t.done ??= { error: "the WebSocket failed" });
      ws.onclose = () => (t.done ??= { error: `closed after ${got} bytes` });
    })().catch((e) => (t.done = { error: String(e) }));
    return true;
  }, bytes, piece), () => window.__transport.done);
  return R;
}

/** Today's path: a session's output through the `Channel` into a tab that only counts it (with
 *  TRANSPORT_DRAW=1, draws it; then xterm.js alone on the same tab). */
async function sessionWay(R, measure, bytes) {
  await setDrawEveryByte(true);
  const id = await openShellTab(app);
  const area = `.pane[data-tab-id="${id}"] .xterm-helper-textarea`;
  // TRANSPORT_DRAW=1: xterm draws it (the flood row's conditions, every byte drawn).
  await app.exec((id, draw) => {
    const term = window.__podterm.terminals.get(id);
    const orig = term.write.bind(term);
    const t = (window.__transport = { bytes: 0, first: 0, last: 0, messages: 0 });
    term.write = (data, cb) => {
      const n = typeof data === "string" ? data.length : data.byteLength;
      const done = () => {
        if (n > 0) {
          const now = performance.now();
          if (t.first === 0) t.first = now;
          t.bytes += n;
          t.messages++;
          t.last = now;
        }
        cb?.();
      };
      if (draw) orig(data, done);
      else queueMicrotask(done);
    };
    return true;
  }, id, process.env.TRANSPORT_DRAW === "1");
  await sleep(500);
  await app.exec(() => Object.assign(window.__transport, { bytes: 0, first: 0, last: 0, messages: 0 }));
  // Where the page's time went while drawing (xterm's parser, its renderer), as in the flood row.
  if (process.env.TRANSPORT_DRAW === "1") await app.exec(profileInstall, id);
  R.channel = await measure("channel", async () => {
    if (process.env.TRANSPORT_DRAW === "1") await app.exec(profileTake);
    // TRANSPORT_YES=1: `yes`'s two-byte lines instead of 80-byte ones.
    await app.type(area, process.env.TRANSPORT_YES === "1" ? `yes | head -c ${bytes}` : floodCommand(bytes));
    await app.type(area, Keys.ENTER);
  }, () => {
    const t = window.__transport;
    return t.bytes >= 1e6 && performance.now() - t.last > 2000 ? { ms: t.last - t.first, messages: t.messages, got: t.bytes } : null;
  });
  if (process.env.TRANSPORT_DRAW === "1") {
    R.channel.profile = await app.exec(profileTake);
    // The same lines written straight into the same xterm: what the page alone can draw.
    const x = await xtermAlone(id, bytes, process.env.TRANSPORT_YES === "1" ? "y\r\n" : "y".repeat(79) + "\r\n");
    R.xtermAloneMBps = r1(x.bytes / 1e6 / (x.ms / 1000));
    log(`transport: xterm alone ${R.xtermAloneMBps} MB/s`);
  }
}

/**
 * The flood row's ceiling on this machine (issue 13): the machine's CPU time per MB for the
 * flood's source with a terminal that costs nothing (podterm's CLI on a local PTY: the pod's
 * commands, testcluster, the engine, the kernel's PTYs and sockets), plus xterm.js alone's per
 * MB drawn (the page's thread, WebKit, Xvfb), spread over all `cores`, and never above xterm.js
 * alone's rate (the page has one thread). The fastest any way into the page could draw the
 * flood while its source shares the cores, if it cost nothing itself and no core ever idled;
 * `tabMsPerMB` is what the tab's whole pipeline cost the machine per MB.
 */
function machineCeiling(flood, cores) {
  const msPerMB = (by, MBps) => ((by?.["machine, every process"] ?? 0) * 1000) / (MBps || Infinity);
  const source = msPerMB(flood.source?.cores, flood.source?.MBps);
  const xterm = msPerMB(flood.xtermCapCores, flood.xtermCapMBps);
  if (!(source > 0) || !(xterm > 0)) return null;
  return {
    sourceMsPerMB: r1(source),
    xtermMsPerMB: r1(xterm),
    tabMsPerMB: r1(msPerMB(flood.cores, flood.appMBps)),
    MBps: r1(Math.min(flood.xtermCapMBps, (cores * 1000) / (source + xterm))),
  };
}

/** `total` bytes of `line` written straight into the tab's xterm, no IPC: xterm's own rate on
 *  this page. */
function xtermAlone(id, total, line) {
  return app.exec(async (id, total, line) => {
    const term = window.__podterm.terminals.get(id);
    const chunkText = line.repeat(Math.floor(65536 / line.length));
    const chunk = new TextEncoder().encode(chunkText);
    const write = term.write.bind(term);
    const t0 = performance.now();
    let sent = 0;
    let done = 0;
    await new Promise((resolve) => {
      // At most 15 s of writing: WebDriver gives a script 30 s (a slow machine's flood was
      // longer, and the run failed here).
      const pump = () => {
        const more = () => sent < total && performance.now() - t0 < 15_000;
        // Keep ~100 KB in xterm's queue, as the app's flow control does.
        while (sent - done < 100_000 && more()) {
          sent += chunk.length;
          write(chunk, () => {
            done += chunk.length;
            if (done >= sent && !more()) resolve();
            else pump();
          });
        }
      };
      pump();
    });
    return { bytes: done, ms: performance.now() - t0 };
  }, id, total, line);
}

/** The "Draw every byte of a flood" setting, through the app's own command. */
async function setDrawEveryByte(on) {
  await app.exec((on) => window.__TAURI_INTERNALS__.invoke("set_draw_every_byte", { on }).then(() => true), on);
}

/**
 * `yes` in the instrumented tab, Ctrl-C as soon as the page has drawn some of it (a WebDriver
 * round trip later): keydown → the last write before 1.5 s of quiet, the bytes drawn after the
 * key, the page's queue at the key and what was drawn of `yes` before it.
 */
async function earlyCtrlC(area) {
  const drawn = await app.exec(() => window.__skip.bytes);
  await app.type(area, "yes");
  await app.type(area, Keys.ENTER);
  await app.waitUntil("yes to start", 30_000, (drawn) => window.__skip.bytes > drawn + 4_000, drawn);
  const c = await ctrlCQuiet(area);
  return { ...c, drawnBeforeKey: c.drawnBeforeKey - drawn };
}

/**
 * Ctrl-C into the instrumented tab: keydown → the last write before 1.5 s of quiet, the bytes
 * drawn after the key, the page's queue at the key (and the bytes drawn before it, in all).
 */
async function ctrlCQuiet(area) {
  const drawnBeforeKey = await app.exec(() => window.__skip.bytes);
  await app.type(area, `${Keys.CONTROL}c${"\uE000"}`);
  const c = await app.exec(async () => {
    const b = window.__skip;
    const k = b.keys.filter((x) => x.key === "c" || x.key === "C").at(-1);
    for (;;) {
      if (performance.now() - b.last > 1500) return { ms: b.last - k.at, bytes: b.bytes, queued: k.queued };
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return { ms: r1(c.ms), bytesAfter: c.bytes - drawnBeforeKey, queuedAtKey: c.queued, drawnBeforeKey };
}

/**
 * A new shell tab whose terminal's writes are counted in `window.__skip` (bytes, the last write,
 * keys with the page's queue at each, echo marks): its id and its input's selector.
 */
async function instrumentedTab() {
  const before = new Set((await app.exec(() => window.__podterm.tabs())).map((t) => t.id));
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const id = await app.waitUntil("a new tab", 10_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id) && window.__podterm.flow(t.id)?.written > 0)?.id, [...before]);
  const area = `.pane[data-tab-id="${id}"] .xterm-helper-textarea`;
  await app.exec((id) => {
    const term = window.__podterm.terminals.get(id);
    const orig = term.write.bind(term);
    const b = (window.__skip = { bytes: 0, first: 0, last: 0, marks: [], keys: [], sends: [], echoes: false, queue: null });
    // At each key: the bytes handed to the page and not yet drawn (what a Ctrl-C or an echo
    // waits behind in the page).
    const queued = () => {
      const f = window.__podterm.flow(id);
      return f ? f.received - f.written : null;
    };
    document.addEventListener("keydown", (e) => b.keys.push({ key: e.key, at: performance.now(), queued: queued() }), true);
    // While `b.queue` is a list: the same, every 10 ms.
    setInterval(() => b.queue?.push(queued()), 10);
    // The key's send_input leaving the page: an echo is written after it, never before.
    const fetch0 = window.fetch.bind(window);
    window.fetch = (url, init) => {
      if (String(url).includes("send_input")) b.sends.push(performance.now());
      return fetch0(url, init);
    };
    term.write = (data, cb) => {
      if (data.length === 0) return orig(data, cb); // the flow controller's mark before a piece
      const n = typeof data === "string" ? data.length : data.byteLength;
      // While keys are typed: the capital letters the write holds (each key is a different
      // one, so an echo is matched to its own key, never to an earlier key's or the flood's).
      let caps = "";
      if (b.echoes) {
        // A session's output is text (the app's scripts); a recording's, bytes.
        const at = typeof data === "string" ? (i) => data.charCodeAt(i) : (i) => data[i];
        for (let i = 0; i < n; i++) {
          const c = at(i);
          if (c >= 0x41 && c <= 0x5a && !caps.includes(String.fromCharCode(c))) caps += String.fromCharCode(c);
        }
      }
      orig(data, () => {
        const now = performance.now();
        if (b.first === 0) b.first = now;
        b.bytes += n;
        b.last = now;
        if (caps) b.marks.push({ at: now, caps });
        cb?.();
      });
    };
    return true;
  }, id);
  return { id, area };
}

/**
 * With the default setting (skip what the tab cannot show): Ctrl-C into new tabs' first `yes`;
 * then in a new tab a flood of `bytes` (its time until the tab is quiet, bytes drawn vs the
 * pod's), keystroke echo during `yes` (keydown → the echoed byte written by xterm), Ctrl-C →
 * quiet into a flowing `yes` and into one just started after long lines, and a listing.
 */
async function skipMode(bytes) {
  await setDrawEveryByte(false);
  // A tab's first flood, Ctrl-C at once: each round in a new tab, whose window no flood has
  // sized yet (closed after).
  const first = [];
  for (let i = 0; i < CTRL_C_ROUNDS; i++) {
    const t = await instrumentedTab();
    await sleep(500);
    first.push(await earlyCtrlC(t.area));
    await app.click(`.tab[data-tab-id="${t.id}"] .tab-close`);
    await app.waitUntil("the tab closed", 10_000, (id) => !window.__podterm.tabs().some((x) => x.id === id), t.id);
  }
  const { id, area } = await instrumentedTab();
  const transport = await app.exec((id) => window.__podterm.transports.get(id) ?? null, id);
  await sleep(500);
  await app.exec(() => Object.assign(window.__skip, { bytes: 0, first: 0, last: 0 }));
  const floodCpuFrom = await cpuTimes();
  await app.type(area, floodCommand(bytes));
  await app.type(area, Keys.ENTER);
  const t0 = Date.now();
  await app.waitUntil("the flood to start", 10_000, () => window.__skip.bytes > 100_000);
  for (;;) {
    await sleep(1000);
    if (await app.exec(() => window.__skip.last > 0 && performance.now() - window.__skip.last > 3000)) break;
    if (Date.now() - t0 > 900_000) throw new Error("the flood took over 15 minutes");
  }
  const f = await app.exec(() => ({ drawn: window.__skip.bytes, ms: window.__skip.last - window.__skip.first }));
  const floodCores = cpuShare(floodCpuFrom, await cpuTimes(), f.ms);
  // What the pod's terminal sent: 79 `y` and `\r\n` per line, the command's echo aside.
  const podBytes = Math.round((bytes / 79) * 81);
  const flood = { podBytes, drawnBytes: f.drawn, skippedBytes: Math.max(0, podBytes - f.drawn), appMBps: r1(podBytes / 1e6 / (f.ms / 1000)), cores: floodCores };
  await app.type(area, "yes");
  await app.type(area, Keys.ENTER);
  // Skipping, the tab draws little of it: what it can show, as it has room.
  await app.waitUntil("yes to flow", 30_000, (drawn) => window.__skip.bytes > drawn + 100_000, f.drawn);
  // The flood's queues fill (the server's socket, the window): as long as the every-byte run's.
  await sleep(3000);
  // Keys during `yes`, each a different capital letter: keydown → the first write holding that
  // letter (its echo) after the key's send_input left the page. Before, every key was a `Z`
  // and the first write holding any `Z` after the keydown counted: an earlier key's echo
  // written late read as this key's (the 0 ms samples). `earlierMs`: that old reading, kept
  // to show it. A skipped echo (its line dropped with the flood, as a terminal scrolls it
  // away) is never drawn: Infinity (`ms` keeps it as null), counted in `drawn`. The cores each process used and
  // testcluster's send queue at each key go beside them.
  const letters = "ZQXJKVWBGHMNPRSTUFDC";
  await app.exec(() => Object.assign(window.__skip, { echoes: true, marks: [], keys: [], sends: [], queue: [] }));
  // The tab's share of the page while `yes` is paced: what it wrote and the drawing time its
  // acks reported (flow stats), over the keys.
  const pacing = () => app.exec((id) => ({ f: window.__podterm.flow(id), at: performance.now() }), id);
  const pacedFrom = await pacing();
  const cpuFrom = await cpuTimes();
  const echoes = [];
  const earlier = [];
  const sendQ = [];
  for (let i = 0; i < KEYS; i++) {
    const letter = letters[i % letters.length];
    await app.type(area, letter);
    sendQ.push((await socketQueues(clusterPort)).serverSendQ);
    const e = await app.exec(async (letter, seen) => {
      const b = window.__skip;
      const k = b.keys.filter((x) => x.key === letter).at(-1);
      const start = performance.now();
      for (;;) {
        const s = k && b.sends.find((t) => t >= k.at);
        const m = s !== undefined && b.marks.find((t) => t.at >= s && t.caps.includes(letter));
        if (m) {
          const old = b.marks.find((t) => t.at >= k.at && [...seen].some((c) => t.caps.includes(c)));
          return { ms: m.at - k.at, earlierMs: old && old.at <= m.at ? old.at - k.at : null };
        }
        if (performance.now() - start > 3_000) return { ms: null, earlierMs: null };
        await new Promise((r) => setTimeout(r, 1));
      }
    }, letter, letters.slice(0, i));
    // Never drawn (skipped): Infinity. Before, a timed-out key's Infinity came back through
    // WebDriver's JSON as null and r1(null) read 0 ms: the 0 ms samples were skipped echoes.
    echoes.push(e.ms ?? Infinity);
    earlier.push(e.earlierMs);
    await sleep(150);
  }
  const cpu = cpuShare(cpuFrom, await cpuTimes());
  const pacedTo = await pacing();
  const pacedMs = pacedTo.at - pacedFrom.at;
  const drawMs = pacedTo.f.drawMs - pacedFrom.f.drawMs;
  const drawnBytes = pacedTo.f.written - pacedFrom.f.written;
  const paced = {
    // MB/s written into the tab; the share of the page's time spent drawing it (the goal:
    // PACE_DRAW of each PACE_FRAME, a quarter); the rate it drew at (MB per second of drawing).
    drawnMBps: r1(drawnBytes / 1e6 / (pacedMs / 1000)),
    drawShare: Math.round((drawMs / pacedMs) * 1000) / 1000,
    drawMBps: drawMs > 0 ? r1(drawnBytes / 1e6 / (drawMs / 1000)) : null,
  };
  const pageQueue = await app.exec(() => {
    const q = window.__skip.queue.filter((x) => typeof x === "number");
    window.__skip.queue = null;
    return q;
  });
  await app.exec(() => Object.assign(window.__skip, { echoes: false }));
  // Ctrl-C, CTRL_C_ROUNDS times: the first into the `yes` the keys were typed into, each
  // later one into a new `yes` that has flowed as long (a single sample moved 97–388 ms
  // between runs on a slower machine). Each: keydown → the last write before 1.5 s of quiet,
  // the bytes drawn after the key, and the page's queue at the key.
  const rounds = [];
  for (let i = 0; i < CTRL_C_ROUNDS; i++) {
    if (i > 0) {
      const drawn = await app.exec(() => window.__skip.bytes);
      await app.type(area, "yes");
      await app.type(area, Keys.ENTER);
      await app.waitUntil("yes to flow", 30_000, (drawn) => window.__skip.bytes > drawn + 100_000, drawn);
      await sleep(3000);
    }
    const { ms, bytesAfter, queuedAtKey } = await ctrlCQuiet(area);
    rounds.push({ ms, bytesAfter, queuedAtKey });
  }
  // Ctrl-C at a flood's start (`cat` of the wrong file, stopped at once), CTRL_C_ROUNDS times:
  // a new `yes` after long lines, the key as soon as the page has drawn some of it (a
  // WebDriver round trip later), before the drain rate has sized the tab's window for it.
  // Measured as above.
  const early = [];
  for (let i = 0; i < CTRL_C_ROUNDS; i++) {
    // First long lines, as a log's: the tab's window grows to what it draws of them.
    await app.type(area, floodCommand(EARLY_LONG_BYTES));
    const before = await app.exec(() => window.__skip.bytes);
    await app.type(area, Keys.ENTER);
    await app.waitUntil("the long lines drawn", 60_000, (before) => window.__skip.bytes > before && performance.now() - window.__skip.last > 1000, before);
    early.push(await earlyCtrlC(area));
  }
  // A listing of LISTING_BYTES (3,000 lines of 79 columns, a large `kubectl get -A`'s size),
  // CTRL_C_ROUNDS times: Enter → its last line drawn (the last write before 1 s of quiet).
  // What a window that starts small costs a burst that is over before the drain rate is known.
  const listing = [];
  for (let i = 0; i < CTRL_C_ROUNDS; i++) {
    await app.type(area, floodCommand(LISTING_BYTES));
    const drawn = await app.exec(() => window.__skip.bytes);
    await app.type(area, Keys.ENTER);
    const l = await app.exec(async (drawn) => {
      const b = window.__skip;
      for (;;) {
        const k = b.keys.filter((x) => x.key === "Enter").at(-1);
        if (b.bytes > drawn && performance.now() - b.last > 1000) return { ms: b.last - k.at, bytes: b.bytes - drawn };
        await new Promise((r) => setTimeout(r, 20));
      }
    }, drawn);
    listing.push({ ms: r1(l.ms), bytes: l.bytes });
  }
  await setDrawEveryByte(true);
  return {
    flood,
    echo: {
      ms: echoes.map(r1),
      p50: r1(median(echoes)),
      p99: r1(percentile(echoes, 99)),
      drawn: echoes.filter(Number.isFinite).length,
      drawnP50: r1(median(echoes.filter(Number.isFinite))),
      drawnP99: r1(percentile(echoes.filter(Number.isFinite), 99)),
      earlierMs: earlier.map((x) => (x === null ? null : r1(x))),
      transport,
      serverSendQ: sendQ,
      serverSendQMedian: median(sendQ),
      cores: cpu,
      paced,
      // Handed to the page and not yet drawn, sampled every 10 ms over the keys (bytes).
      pageQueue: { p50: median(pageQueue), p99: percentile(pageQueue, 99), max: Math.max(0, ...pageQueue) },
    },
    // `ms` and `bytesAfter`: the median round's (before, the only one).
    ctrlC: { ...rounds.toSorted((a, b) => a.ms - b.ms)[Math.floor(rounds.length / 2)], max: Math.max(...rounds.map((r) => r.ms)), rounds },
    // Enter → a listing's last line drawn: the median round's fields.
    listing: { ...listing.toSorted((a, b) => a.ms - b.ms)[Math.floor(listing.length / 2)], max: Math.max(...listing.map((r) => r.ms)), rounds: listing },
    // The same in a new tab's first flood; the median round's fields.
    ctrlCFirst: { ...first.toSorted((a, b) => a.ms - b.ms)[Math.floor(first.length / 2)], max: Math.max(...first.map((r) => r.ms)), rounds: first },
    // The same at a flood's start after long lines; the median round's fields.
    ctrlCEarly: { ...early.toSorted((a, b) => a.ms - b.ms)[Math.floor(early.length / 2)], max: Math.max(...early.map((r) => r.ms)), rounds: early },
  };
}

// ------------------------------------------------------------------------------- report

/** Mean of the last third of the samples minus the mean of the first third (MB). */
function trend(xs) {
  const n = Math.max(1, Math.floor(xs.length / 3));
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  return r1(mean(xs.slice(-n)) - mean(xs.slice(0, n)));
}

/**
 * Where a keystroke's echo waits during `yes` (issue 13): the bytes drawn ahead of it, the part
 * of them that sat in testcluster's socket, the tab's and xterm's drawing rates of `yes`, the
 * floor that follows (the server's queue drawn at xterm's own rate), and kubectl in the same run.
 */
function echoPathRows(E) {
  const mb = (b) => r1(b / 1e6);
  const floorMs = Math.round(E.serverSendQMedian / 1e6 / E.xtermYesMBps * 1000);
  const k = (x) => (x && !x.error ? `${x.p50} / ${x.p99} ms, ${mb(x.bytesAheadMedian)} MB ahead` : `failed: ${x?.error ?? "not run"}`);
  return [
    ["  ↳ drawn ahead of each echo (median MB); of it in testcluster's socket send queue at the key (median MB; Linux sizes it, up to tcp_wmem's max)", `${mb(E.bytesAheadMedian)}; ${mb(E.serverSendQMedian)}`, `client receive queue ${mb(E.clientRecvQMedian)} MB; ${E.serverSocket}`, "", null],
    ["  ↳ `yes` drawn by the tab vs xterm alone (MB/s); the floor: the server's queue at xterm's rate (ms)", `${E.yesDrawMBps}`, `xterm alone: ${E.xtermYesMBps}; floor ${floorMs} ms`, "", null],
    ...(E.cores ? [["  ↳ cores each process used while those keys were typed (CPU s per s)", coresText(E.cores), "", "", null]] : []),
    ...(E.cores?.[PAGE_ON_CORE] && E.xtermYesCores?.[PAGE_ON_CORE]
      ? [pageThreadRow({ cores: E.cores, appMBps: E.yesDrawMBps, xtermCapCores: E.xtermYesCores, xtermCapMBps: E.xtermYesMBps }, "`yes` with the keys")]
      : []),
    ["  ↳ keydown → send_input leaves the page; send_input's round trip: p50 / p99 (ms)", `${E.keyToIpcMs.p50} / ${E.keyToIpcMs.p99}; ${E.sendInputMs.p50} / ${E.sendInputMs.p99}`, "", "", null],
    ["  ↳ kubectl on a PTY, same run: echo p50 / p99 read for free; paced to the tab's `yes` rate", "—", `${k(E.kubectl?.free)}; ${k(E.kubectl?.atTabRate)}`, "", null],
  ];
}

/**
 * Issue 13's two CLI rows from podterm-bench's bench/results/latest.json (written earlier in the
 * same `make bench`; its finish time is shown, so a stale one is seen as such): stdout with a TTY
 * against the lowest of the PTY ceilings (the remote one, `tty=true`; the local one, `local_pty`;
 * and a bare client between the two, `bare_tty`; the last two when the run has them), stdin →
 * stdout against each kubectl and the stdin ceiling.
 */
async function cliRows() {
  try {
    const L = JSON.parse(await readFile(path.join(out, "latest.json"), "utf8"));
    const ours = L.clients.find((c) => c.kind === "podterm");
    const kubectls = L.clients.filter((c) => c.kind === "kubectl");
    return {
      finishedAt: L.finished_at,
      ttyMBps: r1(ours.stdout_tty.mb_per_s),
      ttyCeilingMBps: r1(L.ceiling_tty.mb_per_s),
      localPtyCeilingMBps: L.local_pty?.mb_per_s == null ? null : r1(L.local_pty.mb_per_s),
      bareTtyCeilingMBps: L.bare_tty?.mb_per_s == null ? null : r1(L.bare_tty.mb_per_s),
      stdinCeilingMBps: L.ceiling_stdin?.mb_per_s == null ? null : r1(L.ceiling_stdin.mb_per_s),
      ttyKubectlMBps: kubectls.map((k) => r1(k.stdout_tty?.mb_per_s ?? NaN)),
      stdinMBps: r1(ours.stdin_pipe.mb_per_s),
      stdinKubectlMBps: kubectls.map((k) => r1(k.stdin_pipe?.mb_per_s ?? NaN)),
      kubectls: kubectls.map((k) => k.version ?? k.label),
    };
  } catch (e) {
    log(`no CLI figures (bench/results/latest.json): ${e.message}`);
    return null;
  }
}

function cliTableRows(C) {
  const local = C.localPtyCeilingMBps ?? null;
  const bare = C.bareTtyCeilingMBps ?? null;
  const lower = Math.min(C.ttyCeilingMBps, ...[local, bare].filter((x) => x != null));
  const tty = C.ttyMBps / lower;
  const stdin = C.stdinKubectlMBps.map((k) => C.stdinMBps / k);
  const stdinCeiling = C.stdinCeilingMBps ?? null;
  const ofStdinCeiling = stdinCeiling == null ? null : C.stdinMBps / stdinCeiling;
  const localRef = `${local == null ? "" : `; local PTY ceiling ${local}`}${bare == null ? "" : `; both PTYs (a bare client between them) ${bare}`}`;
  const stdinRef = stdinCeiling == null ? "" : `; stdin ceiling ${stdinCeiling}`;
  const stdinShare = ofStdinCeiling == null ? "" : `; ${Math.round(100 * ofStdinCeiling)}% of the ceiling`;
  return [
    [`CLI, stdout with a TTY (MB/s; podterm-bench, ${C.finishedAt})`, `${C.ttyMBps}`, `raw TTY ceiling ${C.ttyCeilingMBps}${localRef}; kubectl ${C.ttyKubectlMBps.join(" / ")}`, `within 10% of the ${local == null && bare == null ? "" : "lowest "}ceiling: ${Math.round(100 * tty)}%`, tty >= 0.9],
    [`CLI, stdin → stdout (MB/s; podterm-bench, ${C.finishedAt})`, `${C.stdinMBps}`, `kubectl ${C.stdinKubectlMBps.join(" / ")}${stdinRef}`, `≥ 1.2× kubectl: ${stdin.map((x) => `${x.toFixed(2)}×`).join(" / ")}${stdinShare}`, stdin.every((x) => x >= 1.2) || (ofStdinCeiling != null && ofStdinCeiling >= 0.9)],
  ];
}

/** Where each process's PSS goes (mappingKinds), idle and after the floods. */
function memoryKindRows(R) {
  const kinds = (m) =>
    Object.entries(m?.kindsBy ?? {})
      .filter(([comm]) => /podterm|WebKit/.test(comm))
      .map(([comm, k]) => `${comm}: anon ${k.anon}, exe ${k.exe}, webkit ${k.webkit}, gl ${k.gl}, libs ${k.libs}`)
      .join("; ");
  return [
    ...(R.idle?.kindsBy ? [["  ↳ idle, PSS by mapping (MB): anon = heap + anonymous + stacks, exe = the app's binary, webkit = libwebkit2gtk + JavaScriptCore, gl = Mesa (llvmpipe's libLLVM, DRI)", kinds(R.idle), "—", "", null]] : []),
    ...(R.afterFlood?.kindsBy ? [["  ↳ after the floods, PSS by mapping (MB); every terminal's buffer (the part surely live)", kinds(R.afterFlood), `xterm buffers ${R.afterFlood.xtermBuffersMB} MB`, "", null]] : []),
  ];
}

/** The renderers' rows (rendererRun): the idle echo hop by hop, and WebGL against DOM. */
function rendererRows(X) {
  const hops = (e) => (e ? ["toIpc", "ipc", "arrived", "written", "drawn"].map((k) => `${e[k].p50}/${e[k].p99}`).join("; ") : "—");
  const rows = [];
  const dom = X.dom;
  const gl = X.webgl;
  if (dom && !dom.error)
    rows.push(["keystroke → echo, idle tab, DOM renderer, hop by hop, p50/p99 (ms from keydown): send_input leaves; its round trip; echo arrives; written; drawn (xterm's render event)", hops(dom.echo), "the idle echo row above stops at the frame after the one drawn (a second requestAnimationFrame): one frame more", "", null]);
  if (gl && !gl.error && dom && !dom.error) {
    const ok = gl.errors.length === 0 && gl.floodMBps > dom.floodMBps && gl.echo.drawn.p99 <= dom.echo.drawn.p99;
    rows.push([`WebGL renderer (@xterm/addon-webgl, preserveDrawingBuffer; the web process's GL: ${gl.driver ?? "not recorded"}, WebGL names it "${gl.gl}"): ${gl.floodMB} MiB flood (MB/s, renders/s); echo drawn p50 / p99 (ms); errors`, `${gl.floodMBps}, ${gl.rendersPerS}/s; ${gl.echo.drawn.p50} / ${gl.echo.drawn.p99}; ${gl.errors.length ? gl.errors.join(", ") : "none"}`, `DOM, same run: ${dom.floodMBps}, ${dom.rendersPerS}/s; ${dom.echo.drawn.p50} / ${dom.echo.drawn.p99}`, "offered as a setting only if faster than DOM without errors", ok]);
  } else {
    for (const [k, v] of Object.entries(X)) if (v?.error) rows.push([`${k} renderer`, `failed: ${v.error}`, "—", "", null]);
  }
  return rows;
}

/** The idle echo's floor (issue 13): the round trip alone plus one frame. */
function idleEchoFloorText(F) {
  if (!F) return "—";
  const rt = (k) => (F[k]?.error ? `${k} failed: ${F[k].error}` : F[k] ? `${F[k].p50} / ${F[k].p99}` : "—");
  const floor = F.podterm && !F.podterm.error ? `; floor (podterm's round trip + one frame) ${r1(F.podterm.p50 + F.frameMs.p50)} / ${r1(F.podterm.p99 + F.frameMs.p50)}` : "";
  const alone = F.xtermAlone ? `; xterm.js alone in the same tab, a letter written at a random moment → painted, same measure: ${F.xtermAlone.p50} / ${F.xtermAlone.p99}` : "";
  return `round trip on a PTY, nothing drawn, same testcluster: podterm CLI ${rt("podterm")}, kubectl ${rt("kubectl")}; the page's frame interval ${F.frameMs.p50} / ${F.frameMs.p99}${floor}${alone}`;
}

/** The same echo up to the frame xterm.js drew it in (the DOM renderer's hops, later in the run):
 *  the row's figure waits for one more frame. */
function idleEchoDrawnText(R) {
  const d = R.renderers?.dom?.echo?.drawn;
  return d ? `; drawn (xterm's render event, in the frame that paints it): ${d.p50} / ${d.p99}, the row's figure waits one frame more` : "";
}

/** The echo on the screen against its floors: xterm.js alone, on the screen, and the round trip. */
function idleEchoScreenText(R) {
  const F = R.idleEchoFloor ?? {};
  const alone = F.xtermAloneScreen ? `xterm.js alone in the same tab, a letter written at a random moment → on the screen: ${F.xtermAloneScreen.p50} / ${F.xtermAloneScreen.p99}` : "xterm.js alone: —";
  const rt = F.podterm && !F.podterm.error ? `; the round trip on a PTY (podterm CLI, same testcluster): ${F.podterm.p50} / ${F.podterm.p99}` : "";
  const once = R.idleEcho.drawnAtOnce === null ? "; the tab's painter not engaged (ui/src/terminal/paint.ts)" : `; drawn at once (not at the next frame): ${R.idleEcho.drawnAtOnce}`;
  return `${alone}${rt}${once}`;
}

/** The goal against the floor: a p99 under one frame needs the floor under it too. */
function idleEchoFloorShare(R) {
  const F = R.idleEchoFloor;
  if (!F?.podterm || F.podterm.error) return "";
  const floor = F.podterm.p99 + F.frameMs.p50;
  return `; the floor ${r1(floor)} ms, the app ${r1(R.idleEcho.p99 - floor)} ms above it`;
}

/** The idle app against WebKitGTK showing a blank page and xterm.js alone (MiniBrowser). */
function webkitFloorText(R) {
  const W = R.webkitFloor;
  if (!W) return "—";
  if (W.error) return `WebKitGTK floor failed: ${W.error}`;
  const blank = W.blank?.pss;
  const xterm = W.xterm?.pss;
  return `WebKitGTK alone (MiniBrowser, same Xvfb setup): about:blank ${blank} / ${W.blank?.rss}, xterm.js page ${xterm} / ${W.xterm?.rss}; the app is ${r1(R.idle.pss - blank)} MB above WebKitGTK showing a blank page`;
}

function webkitFloorByProcess(W) {
  if (!W?.blank) return "—";
  const each = (m) => Object.entries(m.pssBy).map(([k, v]) => `${k} ${v}`).join(", ");
  return `MiniBrowser about:blank: ${each(W.blank)}${W.xterm ? `; xterm.js page: ${each(W.xterm)}` : ""}`;
}

/** 20 tabs in a fresh app (no floods), beside the bench's after-the-floods figure. */
function freshTabsText(F) {
  if (!F) return "—";
  if (F.error) return `fresh app failed: ${F.error}`;
  return `fresh app, no floods: ${F.tabs} tabs × ${F.lines} lines ${F.tabsMemory.pss} / ${F.tabsMemory.rss} (idle ${F.idle.pss}; per tab +${F.perTabPss}, web process +${F.perTabWebPss})`;
}

function freshTabsRows(F, X, P) {
  if (!F || F.error) return [];
  const rows = [];
  if (F.nextTabPss !== undefined) {
    const alone = !X ? "—" : X.error ? `xterm.js alone failed: ${X.error}` : `xterm.js alone in the same page, no addons, ${X.cols}×${X.rows} with the same lines: ${X.perTerminalPss} / ${X.perTerminalWebPss} a terminal; the app's tab ${r1(F.nextTabPss / X.perTerminalPss)}× that`;
    const floor = X && !X.error ? `${F.tabs} tabs at xterm.js's own cost: ${r1(F.idle.pss + F.firstTab.pss + (F.tabs - 1) * X.perTerminalPss)} MB (idle + the first tab + ${F.tabs - 1} bare terminals)` : "";
    rows.push([`  ↳ fresh app: the first tab; each tab after it: PSS / web process (MB)`, `+${F.firstTab.pss}; ${F.nextTabPss} / ${F.nextTabWebPss}`, alone, floor, null]);
  }
  if (P && !P.error) {
    const L = P.later;
    const est = F.nextTabPss !== undefined ? `${F.tabs} tabs so, the shown one a live terminal: ~${r1(F.idle.pss + F.firstTab.pss + (F.tabs - 1) * L.perTerminalPss)} MB (idle + the first tab + ${F.tabs - 1} parked); built in the app, it kept 331 (323 opened one after another): reverted, docs/architecture.md` : "built, measured, reverted";
    rows.push([
      `  ↳ the lever measured on bare terminals (built in the app and reverted): a background tab with no terminal, its screen and scrollback a string (xterm.js's serialize addon), made again when shown: PSS / web process per parked tab (MB), the page idle 30 s (5 s); parked terminals still held then (5 s); the string (KB); made again, parsed (ms, p50 / max of 5)`,
      `${L.perTerminalPss} / ${L.perTerminalWebPss} (${P.perTerminalPss} / ${P.perTerminalWebPss}); ${L.held} of ${P.terminals} (${P.held}); ${P.stringKB}; ${P.wakeMs.p50} / ${P.wakeMs.max}`,
      `a full scrollback (${P.full.lines} lines): ${P.full.stringKB} KB, made again in ${P.full.wakeMs.p50} / ${P.full.wakeMs.max} ms`,
      est,
      null,
    ]);
  } else if (P?.error) {
    rows.push([`  ↳ a background tab with no terminal (not built)`, `failed: ${P.error}`, "", "", null]);
  }
  const cyc = F.cycles.map((c) => `${c.closedPss} → ${c.openPss}`).join("; ");
  const held = F.closedTerminals;
  return [...rows, [`  ↳ fresh app: every tab closed, then ${F.tabs} opened again, ${F.cycles.length}×: PSS closed → open (MB); closed terminals the page still holds`, cyc, `web process ${F.cycles.map((c) => `${c.closedWebPss} → ${c.openWebPss}`).join("; ")}; ${held.held} of ${held.closed} closed terminals held`, "a closed tab releases its terminal", held.held === 0]];
}

/**
 * A run's page thread (the flood's, or `yes`'s while keys are typed): its time on a core per MB
 * drawn, in the tab and in xterm.js alone, each with its share of the run on a core and waiting
 * for one; and the tab's rate were its thread never kept waiting (its work per MB alone, at a
 * whole core), against xterm alone. `what` names the run in the row.
 */
function pageThreadRow(f, what = "the flood") {
  const on = f.cores[PAGE_ON_CORE];
  const capOn = f.xtermCapCores[PAGE_ON_CORE];
  const msPerMB = (1000 * on) / f.appMBps;
  const capMsPerMB = (1000 * capOn) / f.xtermCapMBps;
  const whole = 1000 / msPerMB;
  return [
    `  ↳ the page's thread (xterm.js, the IPC's JavaScript, WebKit's layout and painting): ms on a core per MB drawn; share of ${what} on a core, waiting for one; the rate with a whole core (MB/s)`,
    `${r1(msPerMB)}; ${on}, ${f.cores[PAGE_WAITING] ?? 0}; ${r1(whole)} (${Math.round((100 * whole) / f.xtermCapMBps)}% of xterm alone)`,
    `xterm alone: ${r1(capMsPerMB)}; ${capOn}, ${f.xtermCapCores[PAGE_WAITING] ?? 0}`,
    "",
    null,
  ];
}

/** Each process's cores (cpuShare), the machine's and the page thread's, as one cell. */
function coresText(by) {
  const procs = Object.entries(by).filter(([k]) => !k.startsWith("machine") && !isPageThread(k));
  const page = by[PAGE_ON_CORE] === undefined ? "" : `; the page's thread on a core ${by[PAGE_ON_CORE]}, runnable but waiting for one ${by[PAGE_WAITING] ?? 0}`;
  return `${procs.map(([k, v]) => `${k} ${v}`).join(", ")}; these ${r1(procs.reduce((a, [, v]) => a + v, 0))}, the machine ${by["machine, every process"] ?? "?"}${page}`;
}

/** Prints the table; writes app-latest.md (and, for a new run, the JSON files). */
async function writeReport(R, record) {
  // A key never drawn is Infinity, which JSON keeps as null: read back (`--report`), it is
  // Infinity again, never a figure of 0 that would meet its goal.
  for (const e of [R.echo, R.skip?.echo, R.idleEcho]) {
    if (!e) continue;
    for (const k of ["p50", "p99"]) if (e[k] === null) e[k] = Infinity;
  }
  // Each row of issue 13's table: the figure, the reference measured in the same run, the goal,
  // and the figure as a share of the goal (≤ 1× meets a "less than" goal).
  const x = (v, goal) => `${r1(v / goal)}× the goal`;
  const cores = coresText;
  const flood = R.flood.appMBps / R.flood.xtermCapMBps;
  const cli = R.cli ?? (record ? await cliRows() : null);
  if (record && cli) R.cli = cli;
  const rows = [
    [`flood of ${R.floodMB} MiB into a tab (MB/s)`, `${R.flood.appMBps}`, `xterm alone, same page: ${R.flood.xtermCapMBps}`, `≥ 80% of xterm alone: ${Math.round(100 * flood)}%`, flood >= 0.8],
    ["  ↳ RSS during the flood: first / max / last (MB); trend: last third − first third", `${R.flood.rssMB.first} / ${R.flood.rssMB.max} / ${R.flood.rssMB.last}; ${trend(R.flood.rssMB.samples) >= 0 ? "+" : ""}${trend(R.flood.rssMB.samples)}`, "—", "flat: no growth over the flood (trend < 50 MB)", trend(R.flood.rssMB.samples) < 50],
    ...(R.flood.cores
      ? [["  ↳ cores each process used over the flood (CPU s per s of the flood; the machine has " + R.cores + ")", cores(R.flood.cores), "", "", null]]
      : []),
    ...(R.flood.cores?.[PAGE_ON_CORE] && R.flood.xtermCapCores?.[PAGE_ON_CORE]
      ? [pageThreadRow(R.flood)]
      : []),
    ...(R.flood.source?.MBps
      ? [["  ↳ the flood's source, same testcluster, nothing drawn: podterm's CLI on a local PTY (MB/s); the tab's share of it, every byte drawn / skipping", `${R.flood.source.MBps}`, `${Math.round((100 * R.flood.appMBps) / R.flood.source.MBps)}% / ${R.skip?.flood ? Math.round((100 * R.skip.flood.appMBps) / R.flood.source.MBps) + "%" : "—"}`, "", null]]
      : []),
    ...(R.flood.ceiling
      ? [[`  ↳ the ceiling on this machine: the machine's CPU per MB for that source plus xterm alone's, over its ${R.cores} cores (MB/s); the tab against it`, `${R.flood.ceiling.MBps} (${Math.round((100 * R.flood.ceiling.MBps) / R.flood.xtermCapMBps)}% of xterm alone)`, `the source ${R.flood.ceiling.sourceMsPerMB} + xterm alone ${R.flood.ceiling.xtermMsPerMB} ms per MB; the tab's whole pipeline ${R.flood.ceiling.tabMsPerMB}; the tab at ${Math.round((100 * R.flood.appMBps) / R.flood.ceiling.MBps)}% of the ceiling`, "", null]]
      : []),
    ...(R.skip?.flood
      ? [[`  ↳ skipping (the default): the same flood, until the tab is quiet (MB/s of the pod's output; MB drawn / skipped)`, `${R.skip.flood.appMBps}; ${r1(R.skip.flood.drawnBytes / 1e6)} / ${r1(R.skip.flood.skippedBytes / 1e6)}`, "every byte drawn: the row above", "", null]]
      : []),
    ...(R.skip?.flood?.cores
      ? [["  ↳ skipping: cores each process used over that flood", cores(R.skip.flood.cores), "", "", null]]
      : []),
    ["keystroke echo during a `yes` flood: p50 / p99 (ms)", `${R.echo.p50} / ${R.echo.p99}`, "—", `p99 < 100 ms: ${x(R.echo.p99, 100)}`, R.echo.p99 < 100],
    ...(R.skip?.flood
      ? [["  ↳ skipping (the default): keystroke echo during `yes`, drawn: p50 / p99 (ms; ∞: scrolled away with the flood's lines, never drawn)", `${R.skip.echo.p50} / ${R.skip.echo.p99}`, "every byte drawn: the row above", `p99 < 100 ms: ${x(R.skip.echo.p99, 100)}`, R.skip.echo.p99 < 100]]
      : []),
    ...(R.skip?.echo?.cores
      ? [["  ↳ skipping, during those keys: echoes drawn (the rest skipped with the flood's lines, never drawn: ∞ above); testcluster's send queue at the key (median MB); handed to the page, not yet drawn (p50 / max KB, every 10 ms); cores used by each process", `${R.skip.echo.drawn} of ${R.skip.echo.ms.length}${R.skip.echo.drawn > 0 ? ` (p50 / p99 of those ${R.skip.echo.drawnP50} / ${R.skip.echo.drawnP99} ms)` : ""}; ${r1(R.skip.echo.serverSendQMedian / 1e6)}${R.skip.echo.pageQueue ? `; ${Math.round(R.skip.echo.pageQueue.p50 / 1e3)} / ${Math.round(R.skip.echo.pageQueue.max / 1e3)}` : ""}`, Object.entries(R.skip.echo.cores).map(([k, v]) => `${k} ${v}`).join(", "), "", null]]
      : []),
    ...(R.skip?.echo?.paced
      ? [["  ↳ skipping, `yes` paced during those keys: written into the tab (MB/s); the page's time spent drawing it (goal: a quarter, PACE_DRAW of each frame); drawn at (MB per second of drawing)", `${R.skip.echo.paced.drawnMBps}; ${R.skip.echo.paced.drawShare}`, `${R.skip.echo.paced.drawMBps ?? "—"}`, `≤ 0.25: ${R.skip.echo.paced.drawShare <= 0.25 ? "yes" : "no"}`, R.skip.echo.paced.drawShare <= 0.25]]
      : []),
    ...(R.echoPath ? echoPathRows(R.echoPath) : []),
    ["`yes`, Ctrl-C → output stops, prompt shown (ms; MB drawn after the key)", `${R.ctrlC.ms}; ${r1(R.ctrlC.bytesAfter / 1e6)}`, "—", `< 300 ms: ${x(R.ctrlC.ms, 300)}`, R.ctrlC.ms < 300],
    ...(R.skip?.flood
      ? [[`  ↳ skipping (the default): \`yes\`, Ctrl-C → output stops (ms${R.skip.ctrlC.rounds ? `, median / slowest of ${R.skip.ctrlC.rounds.length} rounds` : ""}; MB drawn after the key${R.skip.ctrlC.rounds ? "; KB queued in the page at the key" : ""})`, R.skip.ctrlC.rounds ? `${R.skip.ctrlC.ms} / ${R.skip.ctrlC.max}; ${r1(R.skip.ctrlC.bytesAfter / 1e6)}; ${Math.round(R.skip.ctrlC.queuedAtKey / 1e3)}` : `${R.skip.ctrlC.ms}; ${r1(R.skip.ctrlC.bytesAfter / 1e6)}`, "every byte drawn: the row above", `< 300 ms: ${x(R.skip.ctrlC.ms, 300)}`, R.skip.ctrlC.ms < 300]]
      : []),
    ...(R.skip?.listing
      ? [[`  ↳ skipping: a listing of ${r1(LISTING_BYTES / 1e3)} KB (79-column lines), Enter → its last line drawn (ms, median / slowest of ${R.skip.listing.rounds.length} rounds; KB drawn)`, `${R.skip.listing.ms} / ${R.skip.listing.max}; ${Math.round(R.skip.listing.bytes / 1e3)}`, "", "", null]]
      : []),
    ...(R.skip?.ctrlCFirst
      ? [[`  ↳ skipping: a new tab's first \`yes\`, Ctrl-C at once (the key as the page draws its first KB): output stops (ms, median / slowest of ${R.skip.ctrlCFirst.rounds.length} tabs; MB drawn after the key; KB queued in the page at the key)`, `${R.skip.ctrlCFirst.ms} / ${R.skip.ctrlCFirst.max}; ${r1(R.skip.ctrlCFirst.bytesAfter / 1e6)}; ${Math.round(R.skip.ctrlCFirst.queuedAtKey / 1e3)}`, "", `< 300 ms: ${x(R.skip.ctrlCFirst.ms, 300)}`, R.skip.ctrlCFirst.ms < 300]]
      : []),
    ...(R.skip?.ctrlCEarly
      ? [[`  ↳ skipping: \`yes\`, after long lines, Ctrl-C at once (the key as the page draws its first KB): output stops (ms, median / slowest of ${R.skip.ctrlCEarly.rounds.length} rounds; MB drawn after the key; KB queued in the page at the key)`, `${R.skip.ctrlCEarly.ms} / ${R.skip.ctrlCEarly.max}; ${r1(R.skip.ctrlCEarly.bytesAfter / 1e6)}; ${Math.round(R.skip.ctrlCEarly.queuedAtKey / 1e3)}`, "", `< 300 ms: ${x(R.skip.ctrlCEarly.ms, 300)}`, R.skip.ctrlCEarly.ms < 300]]
      : []),
    ...(R.idleEcho?.screen?.p99 !== undefined
      ? [
          [`keystroke → echo on the X screen, idle tab: p50 / p99 (ms${R.idleEcho.screen.max == null ? "" : `; of ${R.idleEcho.screen.ms.length} keys, the slowest`})`, `${R.idleEcho.screen.p50} / ${R.idleEcho.screen.p99}${R.idleEcho.screen.max == null ? "" : `; ${R.idleEcho.screen.max}`}`, idleEchoScreenText(R), `p99 < 16 ms (one frame): ${x(R.idleEcho.screen.p99, 16)}`, R.idleEcho.screen.p99 < 16],
          ["  ↳ the page's own measure: keydown → the frame after xterm.js wrote the echo (ms)", `${R.idleEcho.p50} / ${R.idleEcho.p99}`, `${idleEchoFloorText(R.idleEchoFloor)}${idleEchoDrawnText(R)}`, "", null],
        ]
      : R.idleEcho
        ? [["keystroke → echo painted, idle tab: p50 / p99 (ms)", `${R.idleEcho.p50} / ${R.idleEcho.p99}`, `${idleEchoFloorText(R.idleEchoFloor)}${idleEchoDrawnText(R)}${R.idleEcho.screen?.error ? `; the screen not watched: ${R.idleEcho.screen.error}` : ""}`, `p99 < 16 ms (one frame): ${x(R.idleEcho.p99, 16)}${idleEchoFloorShare(R)}`, R.idleEcho.p99 < 16]]
        : []),
    ...(R.splitOutput
      ? [["  ↳ a command's output in two parts ~6 ms apart (`printf A1; sleep 0.005; printf B2`): Enter → each part written, p50 / p99 (ms)", `${R.splitOutput.first.p50} / ${R.splitOutput.first.p99}; ${R.splitOutput.second.p50} / ${R.splitOutput.second.p99}`, "the first part follows the Enter's echo before the page acknowledges it", "", null]]
      : []),
    ["idle app, pod list shown: PSS / RSS (MB), app + WebKit processes", `${R.idle.pss} / ${R.idle.rss}`, webkitFloorText(R), `< 200 MB PSS: ${x(R.idle.pss, 200)}`, R.idle.pss < 200],
    ["  ↳ PSS by process (MB)", Object.entries(R.idle.pssBy).map(([k, v]) => `${k} ${v}`).join(", "), webkitFloorByProcess(R.webkitFloor), "", null],
    [`${R.tabs} open tabs: PSS / RSS (MB)`, `${R.tabsMemory.pss} / ${R.tabsMemory.rss}`, freshTabsText(R.fresh), `< 300 MB PSS: ${x(R.tabsMemory.pss, 300)}`, R.tabsMemory.pss < 300],
    ...freshTabsRows(R.fresh, R.xtermTabs, R.parkedTabs),
    ...(R.afterFlood
      ? [[`  ↳ after the floods, before the other tabs: PSS (MB); the ${R.tabs - 1} new tabs' share`, `${R.afterFlood.pss}; +${r1(R.tabsMemory.pss - R.afterFlood.pss)}`, Object.entries(R.afterFlood.pssBy).map(([k, v]) => `${k} ${v}`).join(", "), "", null]]
      : []),
    ...memoryKindRows(R),
    ...bigListRows(R.bigList),
    ...(R.renderers ? rendererRows(R.renderers) : []),
    ...(cli ? cliTableRows(cli) : []),
    ["click → first prompt byte: median (ms); parsed by xterm.js, median of the warm opens (the first, cold)", `${R.open.podtermMedian}; ${R.open.parsedMedian ?? "—"} (${R.open.coldParsedMs ?? "—"})`, `${R.open.kubectlMedian} (exec start → first byte${R.open.kubectlDropped ? `; ${R.open.kubectlDropped} of ${OPENS} runs lost the prompt, left out` : ""})`, "< 100 ms", R.open.podtermMedian < 100],
  ];
  // The page profile (item 1): where the page's one thread went in each phase.
  const prof = Object.entries(R.profile ?? {}).map(([phase, p]) => {
    const ipc = Object.entries(p.fetch).map(([k, f]) => `${k} ${f.perS}/s ${f.avgMs} ms`).join(", ");
    return `| ${phase} | ${p.msgsPerS} × ${p.kbPerMsg} KB | ${p.parseShare}% (${p.parseMsPerMB} ms/MB) | ${p.renderShare}% (${p.rendersPerS}/s) | ${p.queueMs.p50} / ${p.queueMs.p99} | ${p.timerLagMs.p50} / ${p.timerLagMs.p99} / ${p.timerLagMs.max} | ${ipc || "—"} |`;
  });
  const verdict = (ok) => (ok === null ? "" : ok ? ": **met**" : ": **not met**");
  const md = [
    "# The desktop app on testcluster",
    "",
    `${R.when} · ${R.cores} cores (${R.cpu}) · kubectl ${R.kubectl} · release build under Xvfb, WebKitGTK, DOM renderer`,
    "",
    "| what | podterm app | reference | target |",
    "| --- | --- | --- | --- |",
    ...rows.map(([what, ours, ref, target, ok]) => `| ${what} | ${ours} | ${ref} | ${target}${verdict(ok)} |`),
    "",
    ...(prof.length
      ? [
          "Where the page's time goes (the CLI rows are in latest.md):",
          "",
          "| phase | messages/s × size | xterm parse | xterm render | arrival → written p50 / p99 (ms) | 10 ms timer late p50 / p99 / max (ms) | IPC fetches |",
          "| --- | --- | --- | --- | --- | --- | --- |",
          ...prof,
          "",
        ]
      : []),
  ].join("\n");
  console.log(md);
  await mkdir(out, { recursive: true });
  if (record) {
    const stamp = R.when.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    await writeFile(path.join(out, `app-${stamp}.json`), summaryJson(R));
    await writeFile(path.join(out, "app-latest.json"), summaryJson(R));
  }
  await writeFile(path.join(out, "app-latest.md"), md);
}
