// The soak: the release app (test-fixtures build, for the Demo cluster's admin port) under Xvfb
// for SOAK_MINUTES with busy tabs, an idle one and pod churn; memory, CPU, fds and threads per
// process every SOAK_SAMPLE_S. `make soak`. A benchmark, not a test: it prints and records
// figures, and fails only when the app itself fails.
//
//   SOAK_MINUTES=30 SOAK_TABS=5 SOAK_SAMPLE_S=30 node bench/soak.mjs
//
// What runs: SOAK_TABS tabs on the Demo pod `shell`, each running
// `while true; do date; ls /; sleep 0.2; done` (about 1 KB/s per tab); one more tab left idle
// (the one shown, as a user leaves the app); a pod created and another deleted every 2 s through
// the Demo cluster's admin port. Each busy tab's scrollback is filled first (`yes | head`), so the
// trend after the warm-up (SOAK_WARMUP_MINUTES, default 2) is growth, not scrollback filling up.
// At the end the loops are stopped and CPU is measured with every tab idle for a minute.
//
// Prints a table and writes bench/results/soak-<UTC time>.json: a summary (per process: PSS
// first/last, least-squares trend in MB/hour after the warm-up, CPU, fds, threads), with the
// total PSS series, no raw dump.
//
// JavaScriptCore's options (`JSC_*` in the environment, which the app's WebKit processes
// inherit) are recorded in the result (`jscOptions`): a run with `JSC_useGenerationalGC=0`
// (every collection a full one) tells garbage an old generation keeps from growth of what is
// live (docs/architecture.md, "Memory over long sessions").
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TICKS_PER_SECOND, freePort, launchApp, processTree, sleep } from "../tests/app/tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const TABS = Number(process.env.SOAK_TABS ?? 5);
const SAMPLE_S = Number(process.env.SOAK_SAMPLE_S ?? 30);
const WARMUP_MIN = Number(process.env.SOAK_WARMUP_MINUTES ?? 2);
const CHURN_MS = 2000;
const IDLE_S = 60;
const LOOP = "while true; do date; ls /; sleep 0.2; done";
const out = path.join(repo, "bench", "results");
const log = (m) => process.stderr.write(`  · ${m}\n`);
const r1 = (x) => Math.round(x * 10) / 10;
const TICK = TICKS_PER_SECOND;

/** The processes we report, by their /proc comm (15 characters at most). */
const KINDS = { "podterm-desktop": "app", WebKitWebProces: "webkit-web", WebKitNetworkPr: "webkit-network" };

/** The app's process and its WebKit descendants: { kind: pid }. */
async function processes(root) {
  const found = {};
  for (const { pid, comm } of await processTree(root)) {
    const kind = KINDS[comm];
    if (kind && !found[kind]) found[kind] = pid;
  }
  return found;
}

/** PSS (MB), CPU ticks, fds and threads of one process. */
async function sample(pid) {
  const roll = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return {
    pss: Number(/^Pss:\s+(\d+) kB/m.exec(roll)?.[1] ?? 0) / 1024,
    // Private memory: pages no other process maps now. A library page turns from private to
    // shared when another process (another WebKit app) maps the same file, so USS moves too.
    uss: (Number(/^Private_Clean:\s+(\d+) kB/m.exec(roll)?.[1] ?? 0) + Number(/^Private_Dirty:\s+(\d+) kB/m.exec(roll)?.[1] ?? 0)) / 1024,
    // Anonymous memory (heaps, JavaScript, caches): what a leak grows, and not moved by other
    // processes, so its trend holds on a busy machine where PSS and USS drift.
    anon: Number(/^Anonymous:\s+(\d+) kB/m.exec(roll)?.[1] ?? 0) / 1024,
    ticks: Number(f[11]) + Number(f[12]), // utime + stime
    fds: (await readdir(`/proc/${pid}/fd`)).length,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0),
  };
}

/** Least-squares slope of ys over ts. */
function slope(ts, ys) {
  const n = ts.length;
  if (n < 2) return NaN;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i] - mt) * (ys[i] - my);
    den += (ts[i] - mt) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/**
 * Theil–Sen slope of ys over ts: the median of the slopes between every two samples. One GC peak
 * (the web process jumps by 250 MB for a sample now and then) moves a least-squares line by tens
 * of MB/hour; it moves this by little.
 */
function robustSlope(ts, ys) {
  const slopes = [];
  for (let i = 0; i < ts.length; i++) for (let j = i + 1; j < ts.length; j++) if (ts[j] !== ts[i]) slopes.push((ys[j] - ys[i]) / (ts[j] - ts[i]));
  if (slopes.length === 0) return NaN;
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 ? slopes[m] : (slopes[m - 1] + slopes[m]) / 2;
}

const adminPort = await freePort();
const admin = `http://127.0.0.1:${adminPort}`;
const xdg = await mkdtemp(path.join(tmpdir(), "podterm-soak-xdg-"));
const app = await launchApp({ binary, env: { PODTERM_DEMO_ADMIN: `127.0.0.1:${adminPort}`, RUST_LOG: "warn", XDG_CONFIG_HOME: xdg }, log });
const started = new Date();
const jscOptions = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("JSC_")));
const R = { when: started.toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, minutes: MINUTES, tabs: TABS, sampleS: SAMPLE_S, warmupMinutes: WARMUP_MIN, loop: LOOP, jscOptions };
let churn = null;
let churnErrors = 0;
let churned = 0;

try {
  const root = await app.pid();
  if (!root) throw new Error("the app's process was not found");
  await app.click("#demo-cluster", 20_000);
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
  // Pod churn needs the Demo cluster's admin port, which only a test-fixtures build opens
  // (`make test-package` leaves the package build, without it, at the same path): say so at once
  // instead of measuring without churn.
  const status = await fetch(`${admin}/status`).catch(() => null);
  if (!status?.ok) {
    throw new Error(`no Demo cluster admin port at ${admin}: ${binary} is not a test-fixtures build (make soak builds one)`);
  }

  // The busy tabs, then the idle one (left active, as a user leaves the window).
  const busy = [];
  for (let i = 0; i < TABS; i++) busy.push(await app.openShell());
  const idle = await app.openShell();
  const busyIds = busy.map((t) => t.id);
  const send = (data) =>
    app.exec(async (ids, d) => {
      for (const t of window.__podterm.tabs()) if (ids.includes(t.id)) await window.__TAURI_INTERNALS__.invoke("send_input", { id: t.sessionId, data: d });
      return true;
    }, busyIds, data);
  const full = () =>
    app.exec((ids) => ids.every((id) => {
      const t = window.__podterm.terminals.get(id);
      return t.buffer.active.length >= t.options.scrollback + t.rows;
    }), busyIds);
  const scrollback = await app.exec((id) => window.__podterm.terminals.get(id).options.scrollback, busyIds[0]);
  const cols = await app.exec((id) => window.__podterm.terminals.get(id).cols, busyIds[0]);
  R.scrollback = scrollback;
  R.cols = cols;
  log(`${TABS} busy tabs and one idle; scrollback ${scrollback} lines of ${cols} columns; filling it`);
  await send(`yes "$(printf '%${cols - 2}s' | tr ' ' .)" | head -n ${scrollback + 200}\r`);
  await app.waitUntil("every busy tab's scrollback full", 300_000, (ids) => ids.every((id) => {
    const t = window.__podterm.terminals.get(id);
    return t.buffer.active.length >= t.options.scrollback + t.rows;
  }), busyIds);
  await send(`${LOOP}\r`);

  // Pod churn: create one, delete the one before, every 2 s.
  let n = 0;
  const churnOnce = async () => {
    n += 1;
    const spec = `namespace: demo\nname: churn-${n}\ncontainers:\n  - name: main\n`;
    try {
      const put = await fetch(`${admin}/pods`, { method: "POST", body: spec });
      if (!put.ok) churnErrors += 1;
      if (n > 1) {
        const del = await fetch(`${admin}/pods/demo/churn-${n - 1}`, { method: "DELETE" });
        if (!del.ok) churnErrors += 1;
      }
      churned += 1;
    } catch {
      churnErrors += 1;
    }
  };
  churn = setInterval(churnOnce, CHURN_MS);

  const kinds = await processes(root);
  for (const k of Object.values(KINDS)) if (!kinds[k]) throw new Error(`no ${k} process under the app (pid ${root})`);
  R.pids = kinds;
  const series = []; // { t (min), per kind: sample }
  const t0 = Date.now();
  const flows0 = await app.exec((ids) => ids.map((id) => window.__podterm.flow(id)), busyIds);
  for (;;) {
    const t = (Date.now() - t0) / 60_000;
    const s = { t };
    for (const [k, pid] of Object.entries(kinds)) s[k] = await sample(pid);
    s.full = await full();
    series.push(s);
    log(`${t.toFixed(1)} min: ${Object.keys(kinds).map((k) => `${k} ${r1(s[k].pss)} MB (USS ${r1(s[k].uss)}, anon ${r1(s[k].anon)})`).join(", ")}${s.full ? "" : " (scrollback not full)"}`);
    if (Date.now() - t0 >= MINUTES * 60_000) break;
    await sleep(Math.min(SAMPLE_S * 1000, Math.max(0, MINUTES * 60_000 - (Date.now() - t0))));
  }
  const flows1 = await app.exec((ids) => ids.map((id) => window.__podterm.flow(id)), busyIds);
  clearInterval(churn);
  churn = null;
  const loadS = (Date.now() - t0) / 1000;
  const sum = (fs, key) => fs.reduce((a, f) => a + (f?.[key] ?? 0), 0);
  R.output = {
    bytesPerS: r1((sum(flows1, "written") - sum(flows0, "written")) / loadS),
    messagesPerS: r1((sum(flows1, "chunks") - sum(flows0, "chunks")) / loadS),
    acksPerS: r1((sum(flows1, "acks") - sum(flows0, "acks")) / loadS),
  };
  R.churn = { podsCreated: churned, errors: churnErrors };

  // Every tab idle: Ctrl-C the loops, let the output settle, then CPU over IDLE_S.
  await send("\x03");
  await app.waitUntil("the tabs to go quiet", 30_000, (ids) => {
    const w = ids.map((id) => window.__podterm.flow(id).written);
    const prev = window.__soakQuiet;
    window.__soakQuiet = w;
    return prev && prev.every((x, i) => x === w[i]);
  }, busyIds);
  await sleep(5000);
  const idleBefore = {};
  for (const [k, pid] of Object.entries(kinds)) idleBefore[k] = await sample(pid);
  const i0 = Date.now();
  await sleep(IDLE_S * 1000);
  const idleS = (Date.now() - i0) / 1000;
  R.idleCpuPercent = {};
  for (const [k, pid] of Object.entries(kinds)) {
    const after = await sample(pid);
    R.idleCpuPercent[k] = r1((100 * (after.ticks - idleBefore[k].ticks)) / TICK / idleS);
  }
  R.idleCpuPercent.total = r1(Object.values(R.idleCpuPercent).reduce((a, b) => a + b, 0));
  R.idleTab = idle.id;

  // The summary.
  const after = series.filter((s) => s.t >= WARMUP_MIN && s.full);
  R.warmupEnded = after.length >= 2;
  const fit = R.warmupEnded ? after : series.slice(Math.floor(series.length / 2));
  R.process = {};
  for (const k of Object.keys(kinds)) {
    const first = series[0][k];
    const last = series.at(-1)[k];
    const min = (series.at(-1).t - series[0].t) || 1;
    R.process[k] = {
      pssFirstMB: r1(first.pss),
      pssLastMB: r1(last.pss),
      pssMaxMB: r1(Math.max(...series.map((s) => s[k].pss))),
      trendMBperHour: r1(60 * slope(fit.map((s) => s.t), fit.map((s) => s[k].pss))),
      robustTrendMBperHour: r1(60 * robustSlope(fit.map((s) => s.t), fit.map((s) => s[k].pss))),
      ussTrendMBperHour: r1(60 * slope(fit.map((s) => s.t), fit.map((s) => s[k].uss))),
      anonFirstMB: r1(first.anon),
      anonLastMB: r1(last.anon),
      anonTrendMBperHour: r1(60 * slope(fit.map((s) => s.t), fit.map((s) => s[k].anon))),
      anonRobustTrendMBperHour: r1(60 * robustSlope(fit.map((s) => s.t), fit.map((s) => s[k].anon))),
      cpuPercent: r1((100 * (last.ticks - first.ticks)) / TICK / (min * 60)),
      fds: [first.fds, last.fds],
      threads: [first.threads, last.threads],
    };
  }
  const total = (s) => Object.keys(kinds).reduce((a, k) => a + s[k].pss, 0);
  const anonTotal = (s) => Object.keys(kinds).reduce((a, k) => a + s[k].anon, 0);
  R.total = {
    pssFirstMB: r1(total(series[0])),
    pssLastMB: r1(total(series.at(-1))),
    trendMBperHour: r1(60 * slope(fit.map((s) => s.t), fit.map(total))),
    robustTrendMBperHour: r1(60 * robustSlope(fit.map((s) => s.t), fit.map(total))),
    ussTrendMBperHour: r1(60 * slope(fit.map((s) => s.t), fit.map((s) => Object.keys(kinds).reduce((a, k) => a + s[k].uss, 0)))),
    anonTrendMBperHour: r1(60 * slope(fit.map((s) => s.t), fit.map(anonTotal))),
    anonRobustTrendMBperHour: r1(60 * robustSlope(fit.map((s) => s.t), fit.map(anonTotal))),
    fitFromMinute: r1(fit[0].t),
    samples: series.length,
  };
  R.totalPssSeries = series.map((s) => [r1(s.t), r1(total(s))]);
  R.totalAnonSeries = series.map((s) => [r1(s.t), r1(anonTotal(s))]);
} finally {
  if (churn) clearInterval(churn);
  await app.close();
  await rm(xdg, { recursive: true, force: true });
}

const sign = (x) => `${x >= 0 ? "+" : ""}${x}`;
const rows = Object.entries(R.process).map(([k, p]) =>
  `| ${k} | ${p.pssFirstMB} | ${p.pssLastMB} | ${p.pssMaxMB} | ${sign(p.trendMBperHour)}, ${sign(p.robustTrendMBperHour)} (USS ${sign(p.ussTrendMBperHour)}) | ${p.anonFirstMB} → ${p.anonLastMB}: ${sign(p.anonRobustTrendMBperHour)} | ${p.cpuPercent} | ${R.idleCpuPercent[k]} | ${p.fds.join(" → ")} | ${p.threads.join(" → ")} |`);
console.log([
  `# Soak: ${MINUTES} min, ${TABS} busy tabs + 1 idle, pod churn every ${CHURN_MS / 1000} s`,
  "",
  `${R.when} · ${R.cores} cores${Object.keys(jscOptions).length ? ` · ${Object.entries(jscOptions).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""} · scrollback ${R.scrollback} lines × ${R.cols} columns, filled first · output ${R.output.bytesPerS} B/s in ${R.output.messagesPerS} messages/s, ${R.output.acksPerS} acks/s · ${R.churn.podsCreated} pods churned (${R.churn.errors} errors)`,
  "",
  "| process | PSS first (MB) | PSS last | PSS max | trend after warm-up (MB/hour; least squares, Theil–Sen, USS) | anonymous MB first → last: Theil–Sen MB/hour | CPU under load (% of a core) | CPU, all tabs idle | fds | threads |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows,
  `| total | ${R.total.pssFirstMB} | ${R.total.pssLastMB} | | ${sign(R.total.trendMBperHour)}, ${sign(R.total.robustTrendMBperHour)} (USS ${sign(R.total.ussTrendMBperHour)}; from minute ${R.total.fitFromMinute}${R.warmupEnded ? "" : ", warm-up not over: last half"}) | ${sign(R.total.anonRobustTrendMBperHour)} | | ${R.idleCpuPercent.total} | | |`,
  "",
  `Goal (issue 20): total trend < 10 MB/hour after warm-up (Theil–Sen): PSS ${R.total.robustTrendMBperHour < 10 ? "met" : "not met"}, anonymous memory ${R.total.anonRobustTrendMBperHour < 10 ? "met" : "not met"}; CPU with every tab idle < 1% of a core: ${R.idleCpuPercent.total < 1 ? "met" : "not met"}.`,
].join("\n"));
await mkdir(out, { recursive: true });
const stamp = R.when.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
const file = path.join(out, `soak-${stamp}.json`);
// A summary: the fields one to a line, each per-sample series on one line of its own.
const { totalPssSeries, totalAnonSeries, ...fields } = R;
const series = { totalPssSeries, totalAnonSeries };
const text = JSON.stringify(fields, null, 1).replace(
  /\n}$/,
  Object.entries(series).map(([k, v]) => `,\n "${k}": ${JSON.stringify(v)}`).join("") + "\n}",
);
await writeFile(file, text + "\n");
log(`written ${path.relative(repo, file)}`);
