// The installed package: starts PODTERM_APP (default /usr/bin/podterm-desktop, as the .deb puts
// it) under Xvfb through tauri-driver and checks the window comes up as a user would see it on
// first run: titled Podterm, offering the Demo cluster, which opens and lists its pods.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchApp } from "./tauri.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const results = path.join(here, "..", "..", "ui", "test-results", "package");
await mkdir(results, { recursive: true });
const binary = process.env.PODTERM_APP ?? "/usr/bin/podterm-desktop";
const app = await launchApp({ binary, env: { RUST_LOG: "warn" } });
let ok = false;
try {
  await app.waitFor("#demo-cluster", 30_000);
  const title = await app.cmd("GET", "/title");
  if (title !== "Podterm") throw new Error(`window title "${title}"`);
  const backend = await app.exec(() => document.body.dataset.backend);
  if (backend !== "tauri") throw new Error(`backend ${backend}: the UI is not embedded in the binary`);
  await app.screenshot(path.join(results, "01-installed-first-run.png"));
  await app.click("#demo-cluster");
  await app.waitFor('.pod[data-pod="shell"]', 30_000);
  await app.screenshot(path.join(results, "02-installed-demo.png"));
  ok = true;
  console.log(`ok   ${binary} starts, shows the first-run screen and lists the Demo cluster's pods`);
} catch (e) {
  console.log(`FAIL ${binary}: ${e.stack ?? e}`);
} finally {
  await app.close();
}
process.exit(ok ? 0 : 1);
