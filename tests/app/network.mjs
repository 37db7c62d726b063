// The real app on a real network's bad days (issue 12): a testcluster of its own (a separate
// process, with its admin port for faults) imported through the app, its profile set in the
// profile form to reconnect automatically with a 2 s keepalive and a 6 s dead-link deadline.
//
//   node tests/app/network.mjs   (PODTERM_APP as for app.mjs; PODTERM_TESTCLUSTER: the testcluster
//                                 binary, default target/debug/testcluster; under
//                                 scripts/with-keyring.sh: the import keeps tokens in the keyring)
//
// A dropped connection, the API server gone and back, the whole app stopped (SIGSTOP, as a
// laptop lid does) for longer than the deadline: every tab notices, says so, and reconnects on
// its own, marking the new session; the pod list says it is not live and recovers. And a tab
// through an HTTP proxy (tinyproxy) named by the kubeconfig's proxy-url. Screenshots go to
// ui/test-results/app-network/. The last line is "N passed, N failed".
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, freePort, Keys, launchApp, listenerPids, processTree, runTests, sleep, waitFor } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = path.resolve(process.env.PODTERM_APP ?? path.join(repo, "target", "release", "podterm-desktop"));
const testclusterBin = path.resolve(process.env.PODTERM_TESTCLUSTER ?? path.join(repo, "target", "debug", "testcluster"));
const results = path.join(repo, "ui", "test-results", "app-network");
await rm(results, { recursive: true, force: true });
await mkdir(results, { recursive: true });
const log = (m) => console.log(`  · ${m}`);

/** The profile's network settings, typed into the form (seconds). */
const KEEPALIVE = 2;
const DEAD_LINK = 6;
/** How long the app stays stopped: well past the dead-link deadline, as a closed lid is. */
const LID_CLOSED_MS = 20_000;

// ------------------------------------------------------------------ testcluster and tinyproxy

const work = await mkdtemp(path.join(tmpdir(), "podterm-e2e-net-"));
const children = [];
function start(cmd, args, name) {
  if (!existsSync(cmd)) throw new Error(`${cmd} is missing: build it (cargo build --workspace --tests --bin testcluster --bin podterm, as make test-app does) or run \`make deps\``);
  const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  children.push(p);
  return { proc: p, output: () => out, name };
}

const apiPort = await freePort();
const adminPort = await freePort();
const kubeconfig = path.join(work, "kubeconfig");
const tc = start(testclusterBin, ["serve", "--listen", `127.0.0.1:${apiPort}`, "--kubeconfig", kubeconfig, "--admin", `127.0.0.1:${adminPort}`], "testcluster");
await waitFor("testcluster's kubeconfig", () => existsSync(kubeconfig) && tc.output().includes("admin:"), 30_000);
const admin = `http://127.0.0.1:${adminPort}`;
async function fault(route, method = "POST") {
  const res = await fetch(`${admin}${route}`, { method });
  assert(res.ok, `admin ${method} ${route}: HTTP ${res.status} ${await res.text()}`);
}

// tinyproxy on a free loopback port; its log names every CONNECT, so the test can tell that the
// tab went through it.
const tinyproxyBin = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"].find((p) => existsSync(p));
if (!tinyproxyBin) throw new Error("tinyproxy is missing: run `make deps`");
const proxyLog = path.join(work, "tinyproxy.log");
const root = process.getuid?.() === 0;
if (root) await chmod(work, 0o777); // tinyproxy drops root for nobody; its log must stay writable
// Started once it holds its port's listener itself (another process may take a free port first:
// then tinyproxy exits, and another port is tried).
let proxyPort;
for (let attempt = 1; ; attempt++) {
  proxyPort = await freePort();
  await writeFile(
    path.join(work, "tinyproxy.conf"),
    `Port ${proxyPort}\nListen 127.0.0.1\nTimeout 600\nMaxClients 64\nAllow 127.0.0.1\nLogLevel Connect\nLogFile "${proxyLog}"\nPidFile "${path.join(work, "tinyproxy.pid")}"\n${root ? "User nobody\nGroup nogroup\n" : ""}`,
  );
  const tp = start(tinyproxyBin, ["-d", "-c", path.join(work, "tinyproxy.conf")], "tinyproxy");
  const held = await waitFor(`tinyproxy listening on ${proxyPort}`, async () =>
    (await listenerPids(proxyPort)).includes(tp.proc.pid) ? "held" : tp.proc.exitCode !== null ? "exited" : null, 30_000);
  if (held === "held") break;
  assert(attempt < 3, `tinyproxy never held its port: ${tp.output()}`);
}
const proxyCount = async () => {
  try {
    return ((await readFile(proxyLog, "utf8")).match(new RegExp(`CONNECT 127\\.0\\.0\\.1:${apiPort}`, "g")) ?? []).length;
  } catch {
    return 0;
  }
};
// The same cluster as another context, through the proxy.
const proxied = path.join(work, "proxied.kubeconfig");
{
  const text = await readFile(kubeconfig, "utf8");
  const via = text
    .replace(/^(\s*)server: (https:\/\/\S+)$/m, `$1server: $2\n$1proxy-url: http://127.0.0.1:${proxyPort}`)
    .replace(/name: testcluster$/m, "name: testcluster-via-proxy")
    .replace(/cluster: testcluster$/gm, "cluster: testcluster-via-proxy")
    .replace(/name: demo-admin$/m, "name: via-proxy")
    .replace(/current-context: demo-admin/, "current-context: via-proxy");
  assert(via.includes("proxy-url:") && via.includes("name: via-proxy"), `could not make the proxied kubeconfig from:\n${text}`);
  await writeFile(proxied, via);
}

// ------------------------------------------------------------------ the app

const configDir = await mkdtemp(path.join(tmpdir(), "podterm-e2e-net-config-"));
const xdgConfig = await mkdtemp(path.join(tmpdir(), "podterm-e2e-net-xdg-"));
const app = await launchApp({ binary, env: { RUST_LOG: "warn", PODTERM_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdgConfig }, log });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  return app.screenshot(path.join(results, `${String(shot).padStart(2, "0")}-${name}.png`));
}
const tabs = () => app.exec(() => window.__podterm.tabs());
const tab = async (id) => (await tabs()).find((t) => t.id === id);
const text = (css) => app.exec((sel) => document.querySelector(sel)?.textContent ?? null, css);

const bufferLines = (tabId) => app.bufferLines(tabId);

const waitForLine = (tabId, predicate, what, timeout = 15_000) => app.waitForLine(tabId, predicate, what, timeout);

async function typeLine(tabId, line) {
  // Keys go to the shown tab's terminal.
  if (!(await tab(tabId))?.active) {
    await app.click(`.tab[data-tab-id="${tabId}"]`);
    await app.waitUntil(`tab ${tabId} shown`, 10_000, (id) => !document.querySelector(`.pane[data-tab-id="${id}"]`)?.hidden, tabId);
  }
  await app.type(`.pane[data-tab-id="${tabId}"] .xterm-helper-textarea`, line);
  await app.type(`.pane[data-tab-id="${tabId}"] .xterm-helper-textarea`, Keys.ENTER);
}

/** A working shell: a command typed now prints its answer. */
async function echoes(tabId, word) {
  await typeLine(tabId, `echo "${word}-$((6*7))"`);
  await waitForLine(tabId, (l) => l === `${word}-42`, `the answer to "echo ${word}"`);
}

async function openPod(pod, container) {
  const before = (await tabs()).map((t) => t.id);
  await app.click(`.pod[data-pod="${pod}"] .pod-line`);
  await app.click(`.pod[data-pod="${pod}"] .container[data-container="${container}"]`);
  return app.waitUntil("a new tab", 10_000, (ids) => window.__podterm.tabs().find((t) => !ids.includes(t.id)), before);
}

const isPrompt = (l) => /[$#] ?$/.test(l);
const marker = (pod) => (l) => new RegExp(`^── reconnected to ${pod} at \\d\\d:\\d\\d ──$`).test(l);

/**
 * The tab was lost and is connected again by itself (a later attempt than `attempt`), its
 * new session marked in the terminal before its prompt.
 */
async function reconnected(tabId, attempt, pod, timeout) {
  const t = await waitFor(
    `tab ${tabId} connected again after attempt ${attempt}`,
    async () => {
      const now = await tab(tabId);
      return now && now.attempt > attempt && now.status.kind === "connected" ? now : null;
    },
    timeout,
  );
  // A marker after the last end's notice: this reconnect's, not an earlier one's.
  const isMarker = marker(pod ?? t.pod);
  const isEnd = (l) => /^\[(connection lost|could not connect|ended): /.test(l);
  let lines = [];
  await waitFor(`the line marking the new session in ${pod ?? t.pod} after the last end`, async () => {
    lines = await bufferLines(tabId);
    const end = lines.findLastIndex(isEnd);
    return end >= 0 && lines.findLastIndex(isMarker) > end;
  }, 15_000).catch((e) => {
    throw new Error(`${e.message}; last lines:\n${lines.filter(Boolean).slice(-12).join("\n")}`);
  });
  const at = lines.findLastIndex(isMarker);
  log(`tab ${tabId}: "${lines[at]}" (attempt ${t.attempt})`);
  return t;
}

const watchStatus = () =>
  app.exec(() => {
    const el = document.querySelector(".watch-status");
    return el && !el.hidden ? el.textContent : null;
  });

// ------------------------------------------------------------------ tests

/** Opens the sidebar's add menu and waits until its import box shows. A click while the app
 * is still starting (its first profile list, the reopened tabs) can be undone by that start, so
 * this clicks again until the menu is open. */
async function openAddMenu() {
  await app.waitFor(".add-profile", 20_000);
  await app.waitUntil("the add menu open", 20_000, () => {
    const menu = document.querySelector(".add-menu");
    if (menu && !menu.hidden) return true;
    document.querySelector(".add-profile")?.click();
    return false;
  });
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const state = {};

test("the testcluster's kubeconfig is imported and its profile set to reconnect automatically", async () => {
  await openAddMenu();
  await app.type(".import-path", kubeconfig);
  await app.click(".import-form button[type=submit]");
  await app.waitFor('.profile[data-profile="demo-admin"]', 20_000);
  // The row's buttons show on hover only: a click on the button itself, in the page.
  await app.exec(() => document.querySelector('.profile[data-profile="demo-admin"] .edit-profile').click());
  await app.waitFor("dialog.profile-form[open] input[name=keepalive]");
  await app.type("dialog.profile-form input[name=keepalive]", String(KEEPALIVE));
  await app.type("dialog.profile-form input[name=deadLink]", String(DEAD_LINK));
  await app.click("dialog.profile-form label.field-check:has(input[name=reconnect]) span");
  assert(await app.exec(() => document.querySelector("dialog.profile-form input[name=reconnect]").checked), "the box is not ticked");
  await screenshot("profile-form-reconnect");
  await app.click("dialog.profile-form button[type=submit]");
  await app.waitUntil("the form to close", 10_000, () => !document.querySelector("dialog.profile-form"));
  const saved = JSON.parse(await readFile(path.join(configDir, "profiles.json"), "utf8"));
  const p = (saved.profiles ?? saved).find?.((x) => x.name === "demo-admin") ?? JSON.stringify(saved);
  assert(p.reconnect === true && p.keepalive_secs === KEEPALIVE && p.dead_link_secs === DEAD_LINK, `profiles.json has ${JSON.stringify(p)}`);
  await app.click('.profile[data-profile="demo-admin"]');
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
});

test("a dropped connection: the tab says so and reconnects on its own, marking the new session", async () => {
  const t = await openPod("shell", "main");
  state.shell = t.id;
  await waitFor("connected", async () => (await tab(t.id))?.status.kind === "connected", 20_000);
  await waitForLine(t.id, isPrompt, "a prompt");
  await echoes(t.id, "before");
  const attempt = (await tab(t.id)).attempt;
  await fault("/faults/drop-connections");
  await reconnected(t.id, attempt, "shell", 20_000);
  await waitForLine(t.id, (l) => /connection lost: /.test(l), "the notice of the lost connection");
  await echoes(t.id, "after-drop");
  await screenshot("reconnected-after-drop");
});

test("the API server gone: the pod list is not live, the tab retries with a backoff, a Logs view says it waits; back: all recover", async () => {
  // A Logs view following the pod's log beside the shell's tab.
  await app.type('.pod[data-pod="shell"] .pod-line', "l");
  const logs = await app.waitUntil("a Logs tab", 10_000, () => window.__podterm.tabs().find((t) => t.kind === "logs" && t.pod === "shell"));
  const logsState = `.pane[data-tab-id="${logs.id}"] .logs-state`;
  await waitFor("the log followed", async () => /^Following /.test((await text(logsState)) ?? ""), 15_000);
  await app.click(`.tab[data-tab-id="${state.shell}"]`);
  await app.waitUntil("the shell's tab active", 10_000, (id) => window.__podterm.tabs().find((t) => t.active)?.id === id, state.shell);
  const attempt = (await tab(state.shell)).attempt;
  await fault("/server/stop");
  state.started = false;
  const notLive = await waitFor("the pod list to say it is not live", watchStatus, 30_000);
  log(`pod list: ${notLive}`);
  assert(/^Not live: /.test(notLive), `watch status "${notLive}"`);
  // Lost, then automatic attempts that fail (the server refuses) with longer waits between.
  await waitFor("a second automatic attempt", async () => {
    const t = await tab(state.shell);
    return t.attempt >= attempt + 2 && t.status.kind === "lost";
  }, 30_000);
  const banner = await waitFor("the banner to say when it retries", async () => {
    const b = await text(`.pane[data-tab-id="${state.shell}"] .banner-text`);
    return /Reconnecting automatically in \d+ s \(attempt \d+ of 20\)/.test(b ?? "") ? b : null;
  }, 15_000);
  log(`banner: ${banner}`);
  // The Logs view's follow broke too: it says it keeps trying, and its tab is not a live one.
  const waiting = await waitFor("the Logs view to say its follow waits", async () => {
    const t = await text(logsState);
    return /^The log broke off and cannot be resumed yet \(.+\); trying again for up to a minute/.test(t ?? "") ? t : null;
  }, 30_000);
  log(`logs: ${waiting}`);
  assert((await tab(logs.id)).status.kind === "connecting", `the Logs tab's status ${JSON.stringify((await tab(logs.id)).status)}`);
  // The window is not held up meanwhile: the (stale) pod list still filters as one types.
  await app.type("input.filter", "web");
  await app.waitUntil("the filter to apply", 10_000, () => !document.querySelector('.pod[data-pod="shell"]') && document.querySelector('.pod[data-pod^="web-"]'));
  await screenshot("server-gone");
  await app.exec(() => {
    const f = document.querySelector("input.filter");
    f.value = "";
    f.dispatchEvent(new Event("input"));
  });
  const before = (await tab(state.shell)).attempt;
  await fault("/server/start");
  state.started = true;
  await reconnected(state.shell, before, "shell", 60_000);
  await echoes(state.shell, "after-restart");
  await waitFor("the pod list to be live again", async () => (await watchStatus()) === null, 30_000);
  await app.waitFor('.pod[data-pod="shell"]', 10_000);
  // The Logs view follows on by itself.
  await waitFor("the Logs view following again", async () => /^Following /.test((await text(logsState)) ?? ""), 30_000);
  assert((await tab(logs.id)).status.kind === "connected", `the Logs tab's status ${JSON.stringify((await tab(logs.id)).status)}`);
  await screenshot("server-back");
  await app.click(`.tab[data-tab-id="${logs.id}"] .tab-close`);
  await app.waitUntil("the Logs tab closed", 10_000, (id) => !window.__podterm.tabs().some((t) => t.id === id), logs.id);
});

test("a favourite's tab whose pod is deleted reconnects to the workload's current pod", async () => {
  await app.click('.pod[data-pod="web-6b7f9c8d5-h2x4k"] .star');
  await app.waitFor('.favourite[data-favourite="web"]', 10_000);
  const before = (await tabs()).map((t) => t.id);
  await app.click('.favourite[data-favourite="web"]');
  const t = await app.waitUntil("the favourite's tab", 15_000, (ids) => window.__podterm.tabs().find((x) => !ids.includes(x.id)), before);
  state.fav = t.id;
  await waitFor("connected", async () => (await tab(t.id))?.status.kind === "connected", 20_000);
  const first = (await tab(t.id)).pod;
  log(`favourite web opened on ${first}`);
  await waitForLine(t.id, isPrompt, "a prompt");
  await fault(`/pods/demo/${first}`, "DELETE");
  const now = await reconnected(t.id, t.attempt, null, 30_000);
  assert(now.pod !== first && now.pod.startsWith("web-"), `reconnected to ${now.pod}, not another web pod than ${first}`);
  await typeLine(t.id, 'echo "pod=$HOSTNAME"');
  await waitForLine(t.id, (l) => l === `pod=${now.pod}`, `pod=${now.pod}`);
});

test("the lid closed (the app stopped for longer than the deadline), then opened: every tab reconnects", async () => {
  const pid = await app.pid();
  assert(pid, "no pid for the app");
  const open = (await tabs()).filter((t) => t.status.kind === "connected");
  assert(open.length >= 2, `${open.length} connected tabs`);
  const attempts = new Map(open.map((t) => [t.id, t.attempt]));
  const procs = await processTree(pid);
  log(`stopping ${procs.map((p) => `${p.comm}(${p.pid})`).join(", ")} for ${LID_CLOSED_MS / 1000} s`);
  for (const p of procs) process.kill(p.pid, "SIGSTOP");
  try {
    // The lid is closed: nothing to wait on, the app cannot answer.
    await sleep(LID_CLOSED_MS);
  } finally {
    for (const p of procs) {
      try {
        process.kill(p.pid, "SIGCONT");
      } catch {
        /* gone */
      }
    }
  }
  for (const t of open) {
    await reconnected(t.id, attempts.get(t.id), null, 30_000);
    await waitForLine(t.id, (l) => /no data from the API server for 6 s/.test(l), `the dead link said in tab ${t.id}`);
    await echoes(t.id, `awake-${t.id}`);
  }
  await screenshot("after-the-lid");
});

test("a tab through an HTTP proxy (kubeconfig proxy-url, tinyproxy): the shell and the pod list", async () => {
  const before = await proxyCount();
  await openAddMenu();
  await app.exec(() => {
    const i = document.querySelector(".import-path");
    i.value = "";
  });
  await app.type(".import-path", proxied);
  await app.click(".import-form button[type=submit]");
  // The list re-renders while the import settles: each try clicks the row found afresh.
  await app.waitUntil("via-proxy selected", 20_000, () => {
    const row = document.querySelector('.profile[data-profile="via-proxy"]');
    if (row && !row.classList.contains("selected")) row.click();
    return row?.classList.contains("selected");
  });
  try {
    await app.waitFor('.pod[data-pod="shell"]', 30_000);
  } catch (e) {
    throw new Error(`${e.message}\ntinyproxy's log:\n${await readFile(proxyLog, "utf8").catch(() => "(none)")}`);
  }
  const t = await openPod("shell", "main");
  await waitFor("connected", async () => (await tab(t.id))?.status.kind === "connected", 20_000);
  await waitForLine(t.id, isPrompt, "a prompt");
  await typeLine(t.id, 'echo "host=$HOSTNAME"');
  await waitForLine(t.id, (l) => l === "host=shell", "host=shell");
  // The watch through the proxy sees a pod added now.
  const res = await fetch(`${admin}/pods`, {
    method: "PUT",
    body: JSON.stringify({ name: "through-proxy", namespace: "demo", containers: [{ name: "main" }] }),
  });
  assert(res.ok, `admin PUT /pods: HTTP ${res.status} ${await res.text()}`);
  await app.waitFor('.pod[data-pod="through-proxy"]', 20_000);
  const through = await proxyCount();
  log(`tinyproxy tunnelled ${through - before} connections to the API server`);
  assert(through - before >= 2, `tinyproxy saw ${through - before} CONNECTs to 127.0.0.1:${apiPort} (want the list/watch and the exec)`);
  await screenshot("through-proxy");
});

// ------------------------------------------------------------------ run

await runTests(tests, {
  onFailure: async () => {
    // A test that failed with the API server stopped leaves it running for the next.
    if (state.started === false) {
      await fault("/server/start").catch(() => {});
      state.started = true;
    }
    await screenshot("failure");
  },
  cleanup: async () => {
    await app.close();
    for (const c of children) c.kill("SIGTERM");
    await rm(configDir, { recursive: true, force: true });
    await rm(xdgConfig, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  },
  before: [`screenshots: ${results}`],
});
