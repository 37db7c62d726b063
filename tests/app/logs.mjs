// The real app's Logs view under load and across a rollout (the release binary built with the
// test-fixtures feature, under Xvfb, through tauri-driver + WebKitWebDriver), against the in-app
// Demo cluster and its admin port:
// - a container writing about 10 MB/s followed in a Logs view: the window keeps answering (the
//   search box takes typing, another tab's shell echoes), the view holds at most its line limit
//   (the app setting, saved in settings.json through the engine), the app's memory stays bounded;
// - a workload's Logs view of `deploy/web` while the Deployment rolls out (a pod of a new
//   ReplicaSet added, the old ones deleted): the new pod's lines appear, prefixed with its name.
//
//   node tests/app/logs.mjs    (PODTERM_APP: the binary, default target/release/podterm-desktop;
//                               PODTERM_FLOOD_RESULT: a file to write the flood's figures to, as
//                               `make bench` does; they are measured, never asserted)
//
// Screenshots: ui/test-results/app-logs/. The last line is "N passed, N failed".
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp, processTree, runTests, sleep } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const results = path.join(repo, "ui", "test-results", "app-logs");
await mkdir(results, { recursive: true });

const adminPort = await freePort();
const admin = `http://127.0.0.1:${adminPort}`;
const log = (m) => console.log(`  · ${m}`);
const configDir = await mkdtemp(path.join(tmpdir(), "podterm-e2e-logs-config-"));
const xdgConfig = await mkdtemp(path.join(tmpdir(), "podterm-e2e-logs-xdg-"));
const appEnv = { PODTERM_DEMO_ADMIN: `127.0.0.1:${adminPort}`, RUST_LOG: "warn", PODTERM_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdgConfig };
const app = await launchApp({ binary, env: appEnv, log });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  return app.screenshot(path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`));
}

const tabs = () => app.exec(() => window.__podterm.tabs());

const bufferLines = (tabId) => app.bufferLines(tabId);

const waitForLine = (tabId, predicate, what, timeout = 30_000) => app.waitForLine(tabId, predicate, what, timeout);

async function putPod(pod) {
  const res = await fetch(`${admin}/pods`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(pod) });
  assert(res.ok, `admin PUT ${pod.name}: HTTP ${res.status} ${await res.text()}`);
}

async function deletePod(name) {
  const res = await fetch(`${admin}/pods/demo/${name}`, { method: "DELETE" });
  assert(res.ok, `admin DELETE ${name}: HTTP ${res.status} ${await res.text()}`);
}

/** Resident memory of the app's own process (the engine), in MB. */
async function appRssMb() {
  const pid = await app.pid();
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

/** Memory of every process of the app (engine and WebKit), PSS in MB. */
async function appPssMb() {
  let kib = 0;
  for (const { pid } of await processTree(await app.pid())) {
    try {
      kib += Number(/^Pss:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kib / 1024;
}

function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Opens `pod`'s Logs view with the L key on its row; returns its tab. */
async function openLogs(pod, workload = false) {
  if (!workload) {
    await app.type(`.pod[data-pod="${pod}"] .pod-line`, "l");
    return app.waitUntil(`${pod}'s Logs tab`, 15_000, (p) => window.__podterm.tabs().find((t) => t.kind === "logs" && t.pod === p && !t.workload), pod);
  }
  // The pod's right-click menu, "Logs of the workload".
  await app.exec((p) => {
    const row = document.querySelector(`.pod[data-pod="${p}"] .pod-line`);
    const r = row.getBoundingClientRect();
    row.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true, clientX: r.left + 20, clientY: r.top + 5, button: 2 }));
  }, pod);
  await app.waitUntil("the workload item", 10_000, () => {
    const item = [...document.querySelectorAll(".context-menu .context-item")].find((e) => e.textContent.includes("Logs of the workload"));
    if (!item) return false;
    item.click();
    return true;
  });
  return app.waitUntil("the workload's Logs tab", 15_000, () => window.__podterm.tabs().find((t) => t.kind === "logs" && t.workload));
}

// ------------------------------------------------------------------------------------ tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const figures = {};

test("the Demo cluster's pods are listed", async () => {
  await app.click("#demo-cluster", 30_000);
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
});

test("a 10 MB/s writer followed: the window answers, the view keeps its line limit, memory stays bounded", async () => {
  // 1 MiB of 64-byte lines, then a tenth of a second: about 10 MB/s, for as long as it runs.
  const line = "a line of the fast writer, sixty-four bytes with its newline...";
  await putPod({
    namespace: "demo",
    name: "flood",
    labels: { app: "flood" },
    containers: [{ name: "main", command: ["sh", "-c", `b=$(yes '${line}' | head -n 16384); while :; do printf '%s\\n' "$b"; sleep 0.1; done`] }],
  });
  // The new pod listed first: its row, arriving above shell's, would move shell's row under a
  // click aimed at it (the click landed on the pod above).
  await app.waitFor('.pod[data-pod="flood"]', 20_000);
  // A shell in another tab first: it must keep echoing during the flood.
  const before = (await tabs()).map((t) => t.id);
  await app.click('.pod[data-pod="shell"] .pod-line');
  await app.click('.pod[data-pod="shell"] .container[data-container="main"]');
  const shell = await app.waitUntil("the shell tab", 15_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
  await waitForLine(shell.id, (l) => /[$#] ?$/.test(l), "a prompt");

  const tab = await openLogs("flood");
  const pane = `.pane[data-tab-id="${tab.id}"]`;
  // The line limit is an app setting: 5,000 lines, saved in settings.json by the engine.
  await app.exec((sel) => {
    const s = document.querySelector(`${sel} .logs-limit`);
    s.value = "5000";
    s.dispatchEvent(new Event("change"));
  }, pane);
  const settings = await (async () => {
    const end = Date.now() + 10_000;
    for (;;) {
      try {
        const s = JSON.parse(await readFile(path.join(configDir, "settings.json"), "utf8"));
        if (s.logLines === 5000) return s;
      } catch {
        /* not written yet */
      }
      if (Date.now() > end) throw new Error("settings.json never had logLines 5000");
      await sleep(100);
    }
  })();
  log(`settings.json: logLines ${settings.logLines}`);
  await app.waitUntil("the view keeping 5,000 lines", 10_000, (id) => window.__podterm.logs.get(id).model.limit === 5000, tab.id);

  // The flood is flowing: many more lines than the limit have passed through the view.
  const rssStart = await appRssMb();
  const flowing = await app.waitUntil("20,000 lines through the view", 60_000, (id) => {
    const all = window.__podterm.logs.get(id).model.all();
    const last = all.at(-1)?.n ?? 0;
    return last > 20_000 ? last : false;
  }, tab.id);
  log(`lines through the view: ${flowing}`);

  // How long the page takes to answer while the view follows (measured, not asserted): the
  // delay of a zero timer, 40 times, 50 ms apart, or as many as 15 s allow (WebDriver gives a
  // script 30 s).
  const delays = await app.exec(
    () =>
      new Promise((resolve) => {
        const out = [];
        const end = performance.now() + 15_000;
        const tick = () => {
          const t0 = performance.now();
          setTimeout(() => {
            const now = performance.now();
            out.push(now - t0);
            if (out.length < 40 && now < end) setTimeout(tick, 50);
            else resolve(out);
          }, 0);
        };
        tick();
      }),
  );
  log(`zero-timer delays (ms): ${delays.map((d) => Math.round(d)).join(" ")}`);
  // Typing into the Logs search box during the flood, to its match count shown.
  const t0 = Date.now();
  await app.type(`${pane} .logs-search`, "sixty-four");
  await app.waitUntil("the search's match count", 30_000, (sel) => /\d+ lines?/.test(document.querySelector(`${sel} .logs-matches`)?.textContent ?? ""), pane);
  const searchMs = Date.now() - t0;
  const typed = await app.exec((sel) => document.querySelector(`${sel} .logs-search`).value, pane);
  assert(typed === "sixty-four", `the search box holds "${typed}"`);
  await screenshot("flood-search");

  // The bounds: at most the limit, in the model and in the DOM, while lines keep coming.
  const held = await app.exec((id) => ({
    model: window.__podterm.logs.get(id).model.all().length,
    dom: document.querySelectorAll(`.pane[data-tab-id="${id}"] .log-line:not(.pending)`).length,
    last: window.__podterm.logs.get(id).model.all().at(-1)?.n ?? 0,
  }), tab.id);
  assert(held.model <= 5000 && held.dom <= 5000, `held ${JSON.stringify(held)}`);
  await app.waitUntil("more lines after the search", 30_000, (id, last) => (window.__podterm.logs.get(id).model.all().at(-1)?.n ?? 0) > last, tab.id, held.last);

  // Another tab's shell echoes while the flood goes on in the Logs tab behind it.
  await app.click(`.tab[data-tab-id="${shell.id}"]`);
  const t1 = Date.now();
  await app.type(`.pane[data-tab-id="${shell.id}"] .xterm-helper-textarea`, "echo still-here");
  await app.type(`.pane[data-tab-id="${shell.id}"] .xterm-helper-textarea`, Keys.ENTER);
  await waitForLine(shell.id, (l) => l === "still-here", "the echo during the flood");
  const echoMs = Date.now() - t1;
  await app.click(`.tab[data-tab-id="${tab.id}"]`);

  // 500,000 more lines (32 MB) through the view: the app's memory stays bounded (flow control:
  // the engine never runs more than its window ahead of what the view has drawn).
  await app.waitUntil("500,000 more lines through the view", 180_000, (id, last) => (window.__podterm.logs.get(id).model.all().at(-1)?.n ?? 0) > last + 500_000, tab.id, held.last);
  const after = await app.exec((id) => ({
    model: window.__podterm.logs.get(id).model.all().length,
    dom: document.querySelectorAll(`.pane[data-tab-id="${id}"] .log-line:not(.pending)`).length,
    last: window.__podterm.logs.get(id).model.all().at(-1)?.n ?? 0,
  }), tab.id);
  assert(after.model <= 5000 && after.dom <= 5000, `held after the flood ${JSON.stringify(after)}`);
  assert(after.last > held.last, `the view stopped following: ${JSON.stringify({ held, after })}`);
  const rssEnd = await appRssMb();
  const pss = await appPssMb();
  assert(rssEnd - rssStart < 300, `the app's RSS grew ${Math.round(rssEnd - rssStart)} MB during the flood`);
  await screenshot("flood-after");

  figures.flood = {
    writer: "about 10 MB/s of 64-byte lines",
    line_limit: 5000,
    lines_through_view: after.last,
    page_timer_samples: delays.length,
    page_timer_delay_ms: { p50: +percentile(delays, 50).toFixed(1), p99: +percentile(delays, 99).toFixed(1), max: +Math.max(...delays).toFixed(1) },
    search_typed_to_count_ms: searchMs,
    other_tab_echo_ms: echoMs,
    app_rss_mb: { start: Math.round(rssStart), end: Math.round(rssEnd) },
    app_pss_mb: Math.round(pss),
  };
  log(`flood: ${JSON.stringify(figures.flood)}`);
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
  await app.click(`.tab[data-tab-id="${shell.id}"] .tab-close`);
  await deletePod("flood");
});

test("a workload's Logs view follows deploy/web through a rollout: the new pod's lines appear, prefixed", async () => {
  const old = await app.exec(() => [...document.querySelectorAll('.pod[data-pod^="web-"]')].map((e) => e.getAttribute("data-pod")));
  assert(old.length >= 1, "no web pod listed");
  const tab = await openLogs(old[0], true);
  const pane = `.pane[data-tab-id="${tab.id}"]`;
  await app.waitUntil("following deployment/web", 20_000, (sel) => /Following every pod of deployment\/web/.test(document.querySelector(`${sel} .logs-state`)?.textContent ?? ""), pane);
  // The rollout: a pod of a new ReplicaSet comes up, the old pods go.
  const fresh = "web-7d8e9f0a1-new01";
  await putPod({
    namespace: "demo",
    name: fresh,
    labels: { app: "web", "pod-template-hash": "7d8e9f0a1" },
    owner: { kind: "ReplicaSet", name: "web-7d8e9f0a1" },
    containers: [{ name: "main", command: ["sh", "-c", "for i in 1 2 3; do echo new line $i; sleep 0.2; done; exec sleep 3600"] }],
  });
  for (const p of old) await deletePod(p);
  const lines = await app.waitUntil("the new pod's three lines", 30_000, (id, src) => {
    const got = window.__podterm.logs.get(id).model.all().filter((l) => l.source === src).map((l) => l.text);
    return got.length >= 3 ? got : false;
  }, tab.id, `pod/${fresh}/main`);
  assert(JSON.stringify(lines) === JSON.stringify(["new line 1", "new line 2", "new line 3"]), `the new pod's lines: ${JSON.stringify(lines)}`);
  const shown = await app.waitUntil("the prefix shown", 10_000, (sel, src) => [...document.querySelectorAll(`${sel} .log-source`)].some((e) => e.textContent.trim() === src), pane, `pod/${fresh}/main`);
  assert(shown, "no prefix");
  // The tab names the workload, not the pod it was opened from (gone now), and the status
  // beside the log is the new pod's (the refresh button reads it at once).
  await app.waitUntil("the tab labelled Logs · deployment/web", 10_000, (id) => window.__podterm.tabs().find((t) => t.id === id)?.title === "Logs · deployment/web", tab.id);
  const tooltip = await app.exec((id) => document.querySelector(`.tab[data-tab-id="${id}"]`)?.getAttribute("title") ?? "", tab.id);
  assert(tooltip.includes("deployment/web") && !old.some((p) => tooltip.includes(p)), `the tab's tooltip names a pod: ${tooltip}`);
  await app.click(`${pane} .logs-refresh`);
  await app.waitUntil("the new pod's status beside the log", 20_000, (sel, pod) => (document.querySelector(`${sel} .logs-facts`)?.textContent ?? "").includes(`Pod${pod}`), pane, fresh);
  await screenshot("rollout");
  await app.click(`.tab[data-tab-id="${tab.id}"] .tab-close`);
});

// ------------------------------------------------------------------------------------ run

await runTests(tests, {
  onFailure: () => screenshot("failure"),
  cleanup: async () => {
    await app.close();
    await rm(configDir, { recursive: true, force: true });
    await rm(xdgConfig, { recursive: true, force: true });
    if (process.env.PODTERM_FLOOD_RESULT && figures.flood) {
      await writeFile(process.env.PODTERM_FLOOD_RESULT, `${JSON.stringify({ measured_at: new Date().toISOString(), ...figures.flood }, null, 2)}\n`);
      console.log(`figures: ${process.env.PODTERM_FLOOD_RESULT}`);
    }
  },
  before: [`screenshots: ${results}`],
});
