// Transfers as the app runs them, in the page: each moves its bytes on a timer (no file is read:
// the mock has none), reports progress a few times a second, can be cancelled, and ends with a
// checksum on request. Tests set the size and speed, fail the next one, and drop paths on the
// window as the native drop does (`AppRequest::FilesDropped`).
import type { TransferInfo, TransferTarget } from "../types";
import { mockError } from "./errors";
import { later } from "./tasks";

/** The mock container's working directory (a drop's default destination). */
export const MOCK_WORKING_DIR = "/home/app";

/** Directories of the mock containers and their entries (directories end with `/`). */
export const MOCK_DIRS: Record<string, string[]> = {
  "/": ["bin/", "etc/", "home/", "tmp/", "var/"],
  "/home/": ["app/"],
  "/home/app/": ["config.yaml", "data/", "logs/", "report.csv"],
  "/home/app/data/": ["2026-11-29.db", "2026-11-30.db"],
  "/home/app/logs/": ["app.log"],
  "/tmp/": [],
  "/var/": ["log/"],
  "/var/log/": ["syslog"],
};

interface Running {
  info: TransferInfo;
  timer: ReturnType<typeof setInterval> | null;
}

export class MockTransfers {
  private readonly items = new Map<number, Running>();
  private next = 1;
  private sink: ((t: TransferInfo) => void) | null = null;
  /** Bytes of each new transfer. */
  size = 3 * 1024 * 1024;
  /** Bytes moved per tick (5 ticks a second, as the app's throttle). */
  step = 256 * 1024;
  /** The next transfer fails with these words (once). */
  failNext: string | null = null;
  /** Folders that exist locally (a download's destination must). */
  readonly folders = new Set<string>(["/home/you/Downloads", "/home/you"]);
  /** What pick_folder answers next. */
  pickedFolder: string | null = "/home/you/Downloads";

  listen(sink: (t: TransferInfo) => void): void {
    this.sink = sink;
  }

  list(): TransferInfo[] {
    return [...this.items.values()].map((r) => ({ ...r.info })).sort((a, b) => a.id - b.id);
  }

  upload(target: TransferTarget, paths: string[], dir: string): TransferInfo[] {
    if (paths.length === 0) throw mockError("invalidInput", ": nothing to upload");
    for (const p of paths) {
      if (!p.startsWith("/")) throw mockError("invalidInput", `${p}: not an absolute path`);
    }
    if (!dir.trim().startsWith("/")) {
      throw mockError("invalidInput", `${dir}: the destination in the container must be an absolute path (starting with /)`);
    }
    return paths.map((p) => this.start("upload", p.replace(/\/+$/, "").split("/").pop() || p, target, dir.trim(), p));
  }

  download(target: TransferTarget, podPath: string, folder: string): TransferInfo {
    const name = podPath.trim().replace(/\/+$/, "").split("/").pop() ?? "";
    if (!name) throw mockError("invalidInput", `${podPath}: name a file or folder in the container (not its root)`);
    if (!this.folders.has(folder)) throw mockError("invalidInput", `${folder}: not an existing folder`);
    const local = `${folder}/${name}`;
    if (this.list().some((t) => t.localPath === local && t.state.state === "done")) {
      throw mockError("invalidInput", `${local}: already exists: move it away or pick another folder`);
    }
    return this.start("download", name, target, podPath.trim(), local);
  }

  cancel(id: number): void {
    const r = this.items.get(id);
    if (!r) throw mockError("notFound", `transfer ${id} is not listed any more`);
    if (r.info.state.state === "running") this.end(r, { state: "cancelled" });
  }

  clear(): void {
    for (const [id, r] of this.items) if (r.info.state.state !== "running") this.items.delete(id);
  }

  sha256(id: number): string {
    const r = this.items.get(id);
    if (!r) throw mockError("notFound", `transfer ${id} is not listed any more`);
    if (r.info.state.state !== "done") throw mockError("invalidInput", `${r.info.localPath}: the transfer has not finished`);
    // A stand-in checksum: the same for a file's upload and its download back.
    let h = 0x811c9dc5;
    for (const c of `${r.info.name}:${r.info.bytes}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, "0").repeat(8);
  }

  private start(direction: "upload" | "download", name: string, target: TransferTarget, podPath: string, localPath: string): TransferInfo {
    const info: TransferInfo = {
      id: this.next++,
      direction,
      name,
      target,
      podPath,
      localPath,
      bytes: 0,
      total: this.size,
      rate: 0,
      state: { state: "running" },
      notes: [],
    };
    const r: Running = { info, timer: null };
    this.items.set(info.id, r);
    this.send(info);
    const fail = this.failNext;
    this.failNext = null;
    r.timer = setInterval(() => {
      if (fail !== null) {
        this.end(r, { state: "failed", reason: fail });
        return;
      }
      r.info = { ...r.info, bytes: Math.min(r.info.total, r.info.bytes + this.step), rate: this.step * 5 };
      if (r.info.bytes >= r.info.total) this.end(r, { state: "done" });
      else this.send(r.info);
    }, 200);
    return { ...info };
  }

  private end(r: Running, state: TransferInfo["state"]): void {
    if (r.timer) clearInterval(r.timer);
    r.timer = null;
    r.info = { ...r.info, state };
    this.send(r.info);
  }

  private send(t: TransferInfo): void {
    const sink = this.sink;
    const copy = { ...t };
    if (sink) later(() => sink(copy));
  }
}

/** A directory's entries in the mock containers. */
export function mockListing(dir: string): string[] {
  const key = dir.endsWith("/") ? dir : `${dir}/`;
  const entries = MOCK_DIRS[key];
  if (!entries) throw mockError("refused", `ls in container "main" failed: ls: ${dir}: No such file or directory`);
  return entries;
}
