// The Tauri backend (the client generated from src-tauri/contract.rs) calls exactly the app's
// commands, each under its own name, with callbacks sent as Channels and never as functions.
import { describe, expect, it, vi } from "vitest";

const invoked: { cmd: string; args: Record<string, unknown> | undefined }[] = [];

vi.mock("@tauri-apps/api/core", () => {
  class Channel<T> {
    onmessage: ((m: T) => void) | undefined;
    constructor(onmessage?: (m: T) => void) {
      this.onmessage = onmessage;
    }
  }
  return {
    Channel,
    invoke: async (cmd: string, args?: Record<string, unknown>) => {
      invoked.push({ cmd, args });
      return undefined;
    },
  };
});

const { Channel } = await import("@tauri-apps/api/core");
const { COMMANDS } = await import("./generated/commands");
const { tauriBackend } = await import("./index");

const camel = (cmd: string) => cmd.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe("tauriBackend", () => {
  it("invokes every command the app allows, each with its arguments by name", async () => {
    const b = tauriBackend();
    const noop = () => {};
    const calls: [string, unknown[]][] = [
      ["listProfiles", []],
      ["importKubeconfig", ["/k", "ctx", true]],
      ["profileDetails", ["p"]],
      ["saveProfile", [{ original: null, name: "p", server: "https://x:6443", namespace: null, caPem: null, caFile: null, insecure: false, token: null, production: false }]],
      ["pickKubeconfig", []],
      ["deleteProfile", ["p"]],
      ["demoProfile", []],
      ["listNamespaces", ["p"]],
      ["watchPods", ["p", "ns", noop, noop]],
      ["watchAllPods", ["p", noop, noop]],
      ["stopWatch", [1]],
      ["openSession", [{ profile: "p", namespace: "n", pod: "x", container: "c", command: null, cols: 80, rows: 24 }, noop, noop]],
      ["pageSocket", []],
      ["planDebug", ["p", "n", "x", "c", "busybox:1.36"]],
      ["planCopy", ["p", "n", "x", "c"]],
      ["planNodeShell", ["p", "n", "node-1", "busybox:1.36"]],
      ["deleteCopy", ["p", "n", "x-debug-b2c4d", "x"]],
      ["leftCopies", []],
      ["deleteLeftCopy", [{ profile: "p", namespace: "n", name: "x-debug-b2c4d", of: "x" }]],
      ["keepLeftCopies", []],
      ["sendInput", [1, "a"]],
      ["resize", [1, 80, 24]],
      ["ack", [1, 10, 2500]],
      ["closeSession", [1]],
      ["startRecording", [1]],
      ["stopRecording", [1]],
      ["listRecordings", []],
      ["readRecording", ["0/a.cast", 0]],
      ["deleteRecording", ["0/a.cast"]],
      ["openRecordingsFolder", ["0/a.cast"]],
      ["pickRecordingsFolder", []],
      ["openLogs", [{ profile: "p", namespace: "n", pod: "x", container: "", previous: false, tailLines: 100 }, noop, noop]],
      ["ackLogs", [1, 10]],
      ["closeLogs", [1]],
      ["podDetails", ["p", "n", "x"]],
      ["startUpload", [{ profile: "p", namespace: "n", pod: "x", container: "" }, ["/tmp/a"], "/home"]],
      ["startDownload", [{ profile: "p", namespace: "n", pod: "x", container: "" }, "/etc/hosts", "/tmp"]],
      ["cancelTransfer", [1]],
      ["listTransfers", []],
      ["watchTransfers", [noop]],
      ["clearTransfers", []],
      ["transferSha256", [1]],
      ["startForward", [{ profile: "p", namespace: "n", pod: "x", remote: "8080", local: null }]],
      ["listServices", ["p", "n"]],
      ["findService", ["p", "n", "web"]],
      ["stopForward", [1]],
      ["listForwards", []],
      ["watchForwards", [noop]],
      ["restoreForwards", []],
      ["startForwardAgain", [1]],
      ["podWorkingDir", [{ profile: "p", namespace: "n", pod: "x", container: "" }]],
      ["listPodDir", [{ profile: "p", namespace: "n", pod: "x", container: "" }, "/"]],
      ["pickFolder", []],
      ["saveLog", ["x.log", "text"]],
      ["listFavourites", []],
      ["addFavourite", ["p", "ns", "web-1", null]],
      ["addServiceFavourite", ["p", "ns", "web"]],
      ["renameFavourite", ["web", "front"]],
      ["deleteFavourite", ["web"]],
      ["reorderFavourites", [["a", "b"]]],
      ["resolveFavourite", ["web"]],
      ["watchRequests", [noop]],
      ["openUrl", ["https://x.test/"]],
      ["configDir", []],
      ["appSettings", []],
      ["setScrollbackLines", [5000]],
      ["setLogLines", [1000]],
      ["setRestoreTabs", [false]],
      ["setDrawEveryByte", [true]],
      ["saveOpenTabs", [{ tabs: [], active: null }]],
      ["restoreTabs", []],
      ["setDebugImage", ["busybox:1.36"]],
      ["setGlobalShortcut", [true]],
      ["closeWindow", []],
      ["quitApp", []],
    ];
    const seen = new Set<string>();
    for (const [method, args] of calls) {
      invoked.length = 0;
      await (b as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
      expect(invoked, method).toHaveLength(1);
      const { cmd, args: sent } = invoked[0]!;
      expect(camel(cmd), method).toBe(method);
      seen.add(cmd);
      // One named argument per parameter; callbacks travel as Channels.
      const values = Object.values(sent ?? {});
      expect(values, method).toHaveLength(args.length);
      for (const v of values) if (typeof v === "function") throw new Error(`${method}: a function was sent`);
      for (const v of values) if (v && typeof v === "object" && "onmessage" in v) expect(v).toBeInstanceOf(Channel);
    }
    expect([...seen].sort()).toEqual([...COMMANDS].sort());
  });

  it("watchRequests hands each request to the callback", async () => {
    const got: unknown[] = [];
    invoked.length = 0;
    await tauriBackend().watchRequests((r) => got.push(r));
    const channel = invoked[0]?.args?.onRequest as { onmessage: (m: unknown) => void };
    channel.onmessage({ kind: "openFavourite", name: "web" });
    expect(got).toEqual([{ kind: "openFavourite", name: "web" }]);
  });
});
