// An in-page stand-in for the Rust backend, used when the page runs outside Tauri (`vite dev` or
// `vite preview` in a browser, the Playwright tests): a Demo profile, a few namespaces and pods
// with live updates, and a fake shell per session. Each area has its module:
//   profiles.ts    saved clusters, imports, the file dialog
//   pods.ts        the cluster: pods with their owners, ReplicaSets, watches, rollouts
//   sessions.ts    exec sessions: the fake shell and flow control (acks, watermarks)
//   favourites.ts  favourites: stars, order, resolving to the newest Ready pod
//   requests.ts    requests from outside the window (tray, --connect NAME)
// This file puts them together as a `Backend` and gives tests their controls
// (window.__podtermMock). Commands fail as the app's do: with `{ kind, message, hint }`.
import type { Backend } from "../index";
import type { FavouriteSummary, MadeCopy, PodOwner, PodSummary, ProfileSummary, SavedTabs, TransferInfo, ForwardInfo } from "../types";
import { mockError } from "./errors";
import { MockFavourites } from "./favourites";
import { MockLogs, type MockLogStats } from "./logs";
import { MockCluster, mockPod, NAMESPACES } from "./pods";
import { DEMO_PROFILE, MockProfiles } from "./profiles";
import { MockRecordings } from "./recordings";
import { MockRequests } from "./requests";
import { CHUNK_MAX, HIGH_WATER, LOW_WATER, MockSessions, type MockSessionStats } from "./sessions";
import { Gate, tick } from "./tasks";
import { MockTransfers, MOCK_WORKING_DIR, mockListing } from "./transfers";
import { MOCK_FORWARDS_KEY, MockForwards } from "./forwards";
import { MAX_SCROLLBACK_LINES } from "../../settings/scrollback";
import { DEFAULT_LOG_LINES, MAX_LOG_LINES, MIN_LOG_LINES } from "../generated/limits";
import { pageStorage as mockStore } from "../../storage";


/** The mock keeps the saved tabs and their setting in localStorage: a page reload is a restart. */
const MOCK_TABS_KEY = "podterm.mock.tabs";
const MOCK_RESTORE_KEY = "podterm.mock.restoreTabs";
/**
 * The copies of pods "a run before" left (a JSON `MadeCopy[]`): a test sets it, then reloads the
 * page (a restart); `deleteLeftCopy` and `keepLeftCopies` take them off, as the engine's list.
 */
export const MOCK_LEFT_COPIES_KEY = "podterm.mock.leftCopies";

function readLeftCopies(): MadeCopy[] {
  try {
    const v: unknown = JSON.parse(mockStore()?.getItem(MOCK_LEFT_COPIES_KEY) ?? "[]");
    return Array.isArray(v) ? (v as MadeCopy[]) : [];
  } catch {
    return [];
  }
}

function writeLeftCopies(copies: MadeCopy[]): void {
  mockStore()?.setItem(MOCK_LEFT_COPIES_KEY, JSON.stringify(copies));
}

/**
 * Why the global shortcut, on, could not be taken as the next mock page starts, once (another
 * application holds its keys): the app then keeps the setting on and says why.
 */
export const MOCK_SHORTCUT_TAKEN_KEY = "podterm.mock.shortcutTakenAtStart";
/** Pods (`namespace/name`) the next mock page starts with not Ready, once (a test's rollout under way at a restart). */
export const MOCK_NOT_READY_KEY = "podterm.mock.notReadyAtStart";
/**
 * Clusters (a JSON `ProfileSummary[]`) the next mock page starts with saved, once: the app keeps
 * its saved clusters across a restart, the mock (in memory) does not.
 */
export const MOCK_PROFILES_AT_START_KEY = "podterm.mock.profilesAtStart";
const mockRestoreTabs = (): boolean => mockStore()?.getItem(MOCK_RESTORE_KEY) !== "off";
/** The mock's default debug image (the app's comes from podterm_core::settings). */
export const MOCK_DEBUG_IMAGE = "busybox:1.36";

/** Where the mock says Podterm keeps its files (nothing is written: it is a browser page). */
export const MOCK_CONFIG_DIR = "/home/you/.config/podterm";
export { CHUNK_MAX, HIGH_WATER, LOW_WATER, type MockSessionStats } from "./sessions";

/** Mock-only pod details: who runs it and why it is not Ready. */
export interface MockPodExtra {
  /** The pod's controller: `{ kind: "ReplicaSet", name: "api-5c8f7d9b4" }`; none: a bare pod. */
  owner?: PodOwner | null;
  /** For a ReplicaSet owner: the Deployment that owns that ReplicaSet. */
  deployment?: string;
  /** Why it is not Ready: `ContainerCreating` (Pending), `container app waiting: CrashLoopBackOff`. */
  reason?: string;
}

export interface MockControls {
  /** The links `openUrl` was asked to open, in order. */
  openedUrls: string[];
  /** The copies `deleteCopy` was asked to delete, in order. */
  copiesDeleted(): { profile: string; namespace: string; name: string; of: string }[];
  /** The copies a run before left, still listed (MOCK_LEFT_COPIES_KEY). */
  leftCopies(): MadeCopy[];
  sessions(): MockSessionStats[];
  session(id: number): MockSessionStats | null;
  addPod(p: Partial<PodSummary> & { name: string } & MockPodExtra): void;
  deletePod(namespace: string, name: string): void;
  /**
   * Deletes a pod whose exec sessions do not notice (its node is gone: the streams hang): only
   * the pod list learns it.
   */
  deletePodQuietly(namespace: string, name: string): void;
  /**
   * The window's close button, as the app handles it: with sessions open the page is asked
   * (`confirmClose`), else it closes at once. `windowClosed()` says whether it closed.
   */
  pressClose(): void;
  windowClosed(): boolean;
  /** The tray's Quit: asks (`confirmClose` with `quit`) while sessions or copies run. */
  pressQuit(): void;
  /** Whether `quitApp` was called. */
  quitted(): boolean;
  /** The file a session is being recorded into (null: none). */
  recording(sessionId: number): string | null;
  /** A session's recording stops on its own (a full disk); the session goes on. */
  failRecording(sessionId: number): void;
  /** The cluster refuses (403) to list pods for this profile; null: for none. */
  refusePods(profile: string | null): void;
  modifyPod(namespace: string, name: string, change: Partial<PodSummary> & { reason?: string }): void;
  /**
   * A rollout of Deployment `name`: as many new pods (a new ReplicaSet, Ready, created now) as it
   * has, then the old ones are deleted (their sessions end: the pod was deleted). Returns the new
   * pods' names, newest first.
   */
  rollout(namespace: string, name: string): string[];
  /** Every pod watch reports it broke (`reason`), or, with null, that it is back. */
  setWatchBroken(reason: string | null): void;
  /** Every pod watch says it holds `limit` pods and leaves out the rest. */
  setWatchCapped(limit: number): void;
  /** How long new sessions take to connect (default 60 ms). */
  setConnectDelay(ms: number): void;
  /** How long resolve_favourite takes (default 20 ms). */
  setResolveDelay(ms: number): void;
  /** How long favourites' writes (add, rename, delete, reorder) take to land (default 0 ms). */
  setFavouritesWriteDelay(ms: number): void;
  /** true: new sessions stay "connecting" (after their connect delay) until this is called with false. */
  holdConnect(on: boolean): void;
  /** true: resolve_favourite does not answer until this is called with false. */
  holdResolve(on: boolean): void;
  /** The saved favourites, in order. */
  favourites(): FavouriteSummary[];
  /** Every pod of the mock cluster (copies). */
  pods(): { namespace: string; name: string; createdAt: string }[];
  /** Replaces the favourites (as another Podterm or the CLI would) and says they changed. */
  setFavourites(list: FavouriteSummary[]): void;
  /** As the tray, `podterm-desktop --connect NAME` or a podterm://connect/NAME link: open it. */
  requestOpen(name: string): void;
  /** Sends a favouritesChanged request. */
  requestFavouritesChanged(): void;
  /** How many times list_favourites has answered. */
  favouritesRead(): number;
  /** Whether the UI listens for requests (watch_requests was called). */
  listening(): boolean;
  /** What pick_kubeconfig (the native file dialog) answers next: a path, or null (cancelled). */
  setPickedFile(path: string | null): void;
  /** Makes a saved profile act as `user` (null: as itself), as one imported from a kubeconfig
   * user with `as:` does; the list shows it when next read. */
  actAs(profile: string, user: string | null): void;
  /** How many times pick_kubeconfig (the native file dialog) has answered. */
  dialogsAnswered(): number;
  /** How many times import_kubeconfig was called. */
  importsAsked(): number;
  /** The scrollback lines saved (settings.json's `scrollbackLines`; default 10,000). */
  scrollbackLines(): number;
  /** The Logs views' line limit saved (settings.json's `logLines`; default 10,000). */
  logLines(): number;
  /** How many times save_open_tabs was called (since the page loaded). */
  tabsSaved(): number;
  /** The open tabs as saved (kept in localStorage, so that a reload is a restart). */
  savedTabs(): SavedTabs | null;
  /**
   * true: saving a setting fails as the app's does when settings.json is unreadable or newer
   * (nothing saved), until this is called with false.
   */
  refuseSettings(on: boolean): void;
  /** The Logs views' streams, open ones and closed ones not yet forgotten. */
  logStreams(): MockLogStats[];
  /** Appends lines (a timestamp each) to the open log streams of `pod`. */
  writeLog(pod: string, lines: string[]): void;
  /** Appends text as it is (no timestamp, no newline) to the open log streams of `pod`. */
  writeLogRaw(pod: string, text: string): void;
  /** The log follows of `pod` wait for the API server (`back`: it answers again). */
  resumeLog(pod: string, back: boolean): void;
  /** Ends the log streams of `pod`, as a container that stopped. */
  endLog(pod: string): void;
  /** The logs saved through save_log (the native save dialog), in order. */
  savedLogs(): { fileName: string; text: string }[];
  /** How often a followed log ticks (ms; 0: never). */
  setLogTick(ms: number): void;
  /** The debug image saved (settings.json's `debugImage`). */
  debugImage(): string;
  /**
   * Adding a debug container is refused with these words (as for a user without `patch` on
   * `pods/ephemeralcontainers`), until this is called with null.
   */
  refuseDebug(message: string | null): void;
  /**
   * Files dropped on the window at (x, y) (CSS pixels), as the app's native drop sends them
   * (`filesDropped`); absent x, y: the centre of the page.
   */
  dropFiles(paths: string[], x?: number, y?: number): void;
  /** Every transfer as the backend lists it. */
  transfers(): TransferInfo[];
  /** New transfers' size and bytes per tick (5 ticks a second). */
  setTransferSpeed(size: number, step: number): void;
  /** The next transfer fails with these words. */
  failNextTransfer(reason: string): void;
  /** What pick_folder (the native folder dialog) answers next: a path, or null (cancelled). */
  setPickedFolder(path: string | null): void;
  /** How many Services a listing returns at most (the app's engine: 500); more says so. */
  setServicePage(size: number): void;
  /** Every port forward as the backend lists it. */
  forwards(): ForwardInfo[];
  /** A connection through forward `id`: opened and ended at once, or failed with `error`. */
  connectForward(id: number, error?: string): void;
  HIGH_WATER: number;
  LOW_WATER: number;
  CHUNK_MAX: number;
}

declare global {
  interface Window {
    __podtermMock?: MockControls;
  }
}

export interface MockOptions {
  /** Start with the Demo profile already saved (default: none, the first-run screen). */
  withDemo?: boolean;
  /** Pods change on their own now and then (default true). */
  liveUpdates?: boolean;
}

export function mockBackend(opts: MockOptions = {}): Backend {
  return createMock(opts).backend;
}

/** The mock backend and its test controls (also on window.__podtermMock in a browser). */
export function createMock(opts: MockOptions = {}): { backend: Backend; controls: MockControls } {
  const params = typeof location !== "undefined" ? new URLSearchParams(location.search) : null;
  const withDemo = opts.withDemo ?? params?.get("demo") === "1";
  const liveUpdates = opts.liveUpdates ?? params?.get("live") !== "0";

  const profiles = new MockProfiles(withDemo);
  const atStart: unknown = JSON.parse(mockStore()?.getItem(MOCK_PROFILES_AT_START_KEY) ?? "[]");
  mockStore()?.removeItem(MOCK_PROFILES_AT_START_KEY);
  if (Array.isArray(atStart)) for (const p of atStart as ProfileSummary[]) profiles.keep(p);
  const cluster = new MockCluster();
  const sessions = new MockSessions();
  const favourites = new MockFavourites(cluster, profiles);
  const logs = new MockLogs(cluster);
  const savedLogs: { fileName: string; text: string }[] = [];
  const requests = new MockRequests();
  const transfers = new MockTransfers();
  const forwards = new MockForwards(cluster, mockStore(), mockRestoreTabs);
  // Pods the test asked to be not Ready as the next page starts (a rollout under way then).
  const notReady: unknown = JSON.parse(mockStore()?.getItem(MOCK_NOT_READY_KEY) ?? "[]");
  mockStore()?.removeItem(MOCK_NOT_READY_KEY);
  if (Array.isArray(notReady)) {
    for (const at of notReady) {
      const [namespace = "", name = ""] = String(at).split("/");
      const p = cluster.find(namespace, name);
      if (!p) continue;
      cluster.setReason(namespace, name, "ContainerCreating");
      cluster.modify(namespace, name, { ready: `0/${p.containers.length}` });
    }
  }
  const recordings = new MockRecordings(sessions);
  cluster.onPodDeleted = (namespace, name) => {
    sessions.podDeleted(namespace, name);
    forwards.podDeleted(namespace, name);
  };
  /** Services a listing returns at most (setServicePage). */
  let servicePage = 500;
  const openedUrls: string[] = [];
  const copiesDeleted: { profile: string; namespace: string; name: string; of: string }[] = [];
  let resolveDelay = 20;
  let writeDelay = 0;
  let favouriteReads = 0;
  const resolveHold = new Gate();
  let scrollbackLines = 10_000;
  let logLines = DEFAULT_LOG_LINES;
  let tabsSaved = 0;
  let settingsRefused = false;
  let debugImage = MOCK_DEBUG_IMAGE;
  const shortcutTaken = mockStore()?.getItem(MOCK_SHORTCUT_TAKEN_KEY) ?? null;
  mockStore()?.removeItem(MOCK_SHORTCUT_TAKEN_KEY);
  let globalShortcut = shortcutTaken !== null;
  let globalShortcutError: string | null = shortcutTaken;
  // The mock keeps this for the page's run only, as the app keeps it in settings.json.
  let drawEveryByte = false;
  let debugRefused: string | null = null;
  let podsRefusedFor: string | null = null;
  let windowClosed = false;
  let quitted = false;
  /** Our debug containers by namespace/pod/image/target (the engine finds them by a marker). */
  const debugContainers = new Map<string, string>();

  const controls: MockControls = {
    openedUrls,
    setWatchBroken: (reason) => cluster.setWatchBroken(reason),
    setWatchCapped: (limit) => cluster.setWatchCapped(limit),
    copiesDeleted: () => [...copiesDeleted],
    leftCopies: () => readLeftCopies(),
    sessions: () => sessions.stats(),
    session: (id) => sessions.statsOf(id),
    setServicePage: (size) => {
      servicePage = size;
    },
    addPod: (partial) => {
      const { owner, deployment, reason, ...summary } = partial;
      const namespace = summary.namespace ?? "demo";
      if (owner?.kind === "ReplicaSet" && deployment) cluster.addReplicaSet(namespace, owner.name, deployment);
      const p = mockPod(namespace, summary.name, summary.containers ?? ["main"], { ...summary, owner: owner ?? null });
      cluster.setReason(namespace, p.name, reason);
      cluster.put(p);
    },
    deletePod: (namespace, name) => cluster.delete(namespace, name),
    deletePodQuietly: (namespace, name) => cluster.delete(namespace, name, false),
    refusePods: (profile) => {
      podsRefusedFor = profile;
    },
    pressClose: () => {
      const open = sessions.stats().filter((s) => !s.ended).length;
      // As the app: a copy running (its tab closed or not) is asked about too.
      const copying = transfers.list().filter((t) => t.state.state === "running").length;
      if ((open > 0 || copying > 0) && requests.listening) requests.push({ kind: "confirmClose", sessions: open, transfers: copying, quit: false });
      else windowClosed = true;
    },
    windowClosed: () => windowClosed,
    pressQuit: () => {
      const open = sessions.stats().filter((s) => !s.ended).length;
      const copying = transfers.list().filter((t) => t.state.state === "running").length;
      // As the tray's Quit: it asks even where closing the window would only hide it.
      if ((open > 0 || copying > 0) && requests.listening) requests.push({ kind: "confirmClose", sessions: open, transfers: copying, quit: true });
      else quitted = true;
    },
    quitted: () => quitted,
    recording: (id) => recordings.recording(id),
    failRecording: (id) => recordings.fail(id),
    modifyPod: (namespace, name, change) => {
      const { reason, ...summary } = change;
      if (!cluster.find(namespace, name)) return;
      if (reason !== undefined) cluster.setReason(namespace, name, reason);
      cluster.modify(namespace, name, summary);
    },
    rollout: (namespace, name) => cluster.rollout(namespace, name),
    setConnectDelay: (ms) => {
      sessions.connectDelay = ms;
    },
    setResolveDelay: (ms) => {
      resolveDelay = ms;
    },
    setFavouritesWriteDelay: (ms) => {
      writeDelay = ms;
    },
    holdConnect: (on) => sessions.holdConnect(on),
    holdResolve: (on) => resolveHold.set(on),
    favourites: () => favourites.list(),
    pods: () => cluster.pods.map((p) => ({ namespace: p.namespace, name: p.name, createdAt: p.createdAt })),
    setFavourites: (list) => {
      favourites.set(list);
      requests.push({ kind: "favouritesChanged" });
    },
    requestOpen: (name) => requests.push({ kind: "openFavourite", name }),
    requestFavouritesChanged: () => requests.push({ kind: "favouritesChanged" }),
    favouritesRead: () => favouriteReads,
    listening: () => requests.listening,
    setPickedFile: (path) => {
      profiles.pickedFile = path;
    },
    actAs: (profile, user) => profiles.actAs(profile, user),
    dialogsAnswered: () => profiles.dialogsAnswered,
    importsAsked: () => profiles.importsAsked,
    scrollbackLines: () => scrollbackLines,
    logLines: () => logLines,
    tabsSaved: () => tabsSaved,
    savedTabs: () => JSON.parse(mockStore()?.getItem(MOCK_TABS_KEY) ?? "null") as SavedTabs | null,
    refuseSettings: (on) => {
      settingsRefused = on;
    },
    logStreams: () => logs.stats(),
    writeLog: (pod, lines) => logs.write(pod, lines),
    writeLogRaw: (pod, text) => logs.writeRaw(pod, text),
    resumeLog: (pod, back) => logs.resuming(pod, back),
    endLog: (pod) => logs.end(pod),
    savedLogs: () => [...savedLogs],
    setLogTick: (ms) => {
      logs.tickMs = ms;
    },
    debugImage: () => debugImage,
    refuseDebug: (message) => {
      debugRefused = message;
    },
    dropFiles: (paths, x, y) =>
      requests.push({
        kind: "filesDropped",
        paths,
        x: Math.round(x ?? window.innerWidth / 2),
        y: Math.round(y ?? window.innerHeight / 2),
      }),
    transfers: () => transfers.list(),
    setTransferSpeed: (size, step) => {
      transfers.size = size;
      transfers.step = step;
    },
    failNextTransfer: (reason) => {
      transfers.failNext = reason;
    },
    setPickedFolder: (path) => {
      transfers.pickedFolder = path;
    },
    forwards: () => forwards.list(),
    connectForward: (id, error) => forwards.connect(id, error ?? null),
    HIGH_WATER,
    LOW_WATER,
    CHUNK_MAX,
  };
  if (typeof window !== "undefined") window.__podtermMock = controls;

  if (liveUpdates) {
    // crashy keeps crashing: its restart count goes up now and then, like a real CrashLoopBackOff.
    setInterval(() => {
      const p = cluster.find("demo", "crashy");
      if (p) cluster.modify("demo", "crashy", { restarts: p.restarts + 1 });
    }, 20_000);
  }

  const backend: Backend = {
    kind: "mock",
    async listProfiles() {
      await tick();
      return profiles.list();
    },
    async importKubeconfig(path) {
      await tick(30);
      return profiles.importKubeconfig(path);
    },
    async profileDetails(name) {
      await tick();
      return profiles.details(name);
    },
    async saveProfile(input) {
      await tick(20);
      const saved = profiles.save(input);
      // A rename takes the cluster's favourites and forwards along, as the engine's does.
      if (input.original !== null && input.original !== saved.name) {
        favourites.renameProfile(input.original, saved.name);
        forwards.renameProfile(input.original, saved.name);
      }
      return saved;
    },
    async pickKubeconfig() {
      await tick();
      return profiles.pick();
    },
    async deleteProfile(name) {
      await tick();
      profiles.delete(name);
    },
    async demoProfile() {
      await tick(120);
      return profiles.demo();
    },
    async listNamespaces(profile) {
      await tick(10);
      profiles.require(profile);
      return [...NAMESPACES];
    },
    async watchPods(profile, namespace, onEvent, onStatus) {
      await tick(10);
      profiles.require(profile);
      if (profile === podsRefusedFor) {
        throw mockError(
          "refused",
          `Error from server (Forbidden): pods is forbidden: User "you" cannot list resource "pods" in API group "" in the namespace "${namespace}"`,
        );
      }
      return cluster.watch(namespace, onEvent, onStatus);
    },
    async watchAllPods(profile, onEvent, onStatus) {
      await tick(10);
      profiles.require(profile);
      if (profile === podsRefusedFor) {
        throw mockError(
          "refused",
          'Error from server (Forbidden): pods is forbidden: User "you" cannot list resource "pods" in API group "" at the cluster scope',
        );
      }
      return cluster.watch(null, onEvent, onStatus);
    },
    async stopWatch(id) {
      cluster.stopWatch(id);
    },
    async openSession(req, onOutput, onState) {
      await tick(5);
      profiles.require(req.profile);
      // A shell on a node: in the debugging pod the engine makes on it (the mock's one node).
      if (req.copy && req.pod.startsWith("node/")) {
        if (req.pod !== "node/mock-node-1") throw mockError("notFound", `nodes "${req.pod.slice(5)}" not found`);
        return sessions.open(req, onOutput, onState, null);
      }
      const p = cluster.find(req.namespace, req.pod);
      if (!p) throw mockError("notFound", `pods "${req.pod}" not found`);
      const completed = p.phase === "Succeeded" || p.phase === "Failed";
      if (completed && req.debug) {
        throw mockError("refused", `pod ${req.pod} is not running (phase ${p.phase}): a debug container would never start in it`);
      }
      if (!p.containers.includes(req.container) && !p.ephemeralContainers.includes(req.container)) {
        throw mockError("notFound", `container ${req.container} not found in pod ${req.pod}`);
      }
      if (req.debug) {
        if (debugRefused) throw mockError("refused", debugRefused);
        // As the engine: our running one is reused, else one is added (and stays in the pod).
        const key = `${req.namespace}/${req.pod}/${req.debug.image}/${req.container}`;
        const running = debugContainers.get(key);
        const name = running && p.ephemeralContainers.includes(running) ? running : req.debug.name || `debugger-${Math.random().toString(36).slice(2, 7)}`;
        debugContainers.set(key, name);
        if (!p.ephemeralContainers.includes(name)) {
          cluster.modify(req.namespace, req.pod, { ephemeralContainers: [...p.ephemeralContainers, name] });
        }
      }
      // A container that crashes as it starts, or a completed pod: refused, in the engine's
      // words (a copy runs, its own pod).
      const crashing = !req.debug && !req.copy && (completed || /CrashLoopBackOff/.test(cluster.reason(p) ?? "")) ? req.container || p.defaultContainer : null;
      const refusal = completed && crashing ? `cannot exec into a container in a completed pod; current phase is ${p.phase}` : null;
      const id = sessions.open(req, onOutput, onState, crashing, refusal);
      // The profile records every session: from its first byte, as the engine does.
      if (profiles.require(req.profile).recordSessions) recordings.start(id);
      return id;
    },
    async startRecording(id) {
      await tick();
      return recordings.start(id);
    },
    async stopRecording(id) {
      await tick();
      recordings.stop(id);
    },
    async listRecordings() {
      await tick(10);
      return recordings.list();
    },
    async readRecording(id, offset) {
      await tick(5);
      return recordings.read(id, offset);
    },
    async deleteRecording(id) {
      await tick();
      recordings.delete(id);
    },
    async pickRecordingsFolder() {
      await tick();
      return transfers.pickedFolder;
    },
    async openRecordingsFolder(id) {
      await tick();
      recordings.require(id);
      openedUrls.push(`folder:${id}`);
    },
    async planDebug(profile, namespace, pod, container, image) {
      await tick(10);
      profiles.require(profile);
      const p = cluster.find(namespace, pod);
      if (!p) throw mockError("notFound", `pods "${pod}" not found`);
      if (p.phase === "Succeeded" || p.phase === "Failed") {
        throw mockError("refused", `pod ${pod} is not running (phase ${p.phase}): a debug container would never start in it; debug a running pod of the same workload instead`);
      }
      const target = container || p.defaultContainer;
      const ours = debugContainers.get(`${namespace}/${pod}/${image}/${target}`);
      const reuse = ours !== undefined && p.ephemeralContainers.includes(ours);
      const name = reuse ? ours : `debugger-${Math.random().toString(36).slice(2, 7)}`;
      debugContainers.set(`${namespace}/${pod}/${image}/${target}`, name);
      return { namespace, pod, target, image, name, reuse };
    },
    async planCopy(profile, namespace, pod, container) {
      await tick(10);
      profiles.require(profile);
      const p = cluster.find(namespace, pod);
      if (!p) throw mockError("notFound", `pods "${pod}" not found`);
      const chosen = container || p.defaultContainer;
      if (!p.containers.includes(chosen)) throw mockError("notFound", `container ${chosen} is not valid for pod ${pod}`);
      return { namespace, pod, container: chosen, image: "busybox:1.36", name: `${pod}-debug-${Math.random().toString(36).slice(2, 7)}` };
    },
    async planNodeShell(profile, namespace, node, image) {
      await tick(10);
      profiles.require(profile);
      if (node !== "mock-node-1") throw mockError("notFound", `nodes "${node}" not found`);
      return { namespace: namespace || "default", pod: `node/${node}`, container: "debugger", image, name: `node-debugger-${node}-${Math.random().toString(36).slice(2, 7)}` };
    },
    async deleteCopy(profile, namespace, name, of) {
      // Told when asked (a test can then see that a call was not made).
      copiesDeleted.push({ profile, namespace, name, of });
      await tick(10);
      profiles.require(profile);
    },
    async leftCopies() {
      await tick(5);
      return readLeftCopies();
    },
    async deleteLeftCopy(copy) {
      await tick(10);
      profiles.require(copy.profile);
      const p = cluster.find(copy.namespace, copy.name);
      const found = p === undefined ? "gone" : "deleted";
      if (p) cluster.delete(copy.namespace, copy.name);
      writeLeftCopies(readLeftCopies().filter((c) => JSON.stringify(c) !== JSON.stringify(copy)));
      return found;
    },
    async keepLeftCopies() {
      await tick(5);
      writeLeftCopies([]);
    },
    async sendInput(id, data) {
      sessions.input(id, data);
    },
    async resize(id, cols, rows) {
      sessions.resize(id, cols, rows);
    },
    async pageSocket() {
      // No loopback port in the browser the mock runs in: output takes the Channel.
      throw mockError("local", "the in-page mock has no page sockets");
    },
    async ack(id, bytes, drawUs) {
      sessions.ack(id, bytes, drawUs);
    },
    async closeSession(id) {
      sessions.close(id);
    },
    async openLogs(req, onOutput, onState) {
      await tick(5);
      profiles.require(req.profile);
      return logs.open(req, onOutput, onState);
    },
    async ackLogs(id, bytes) {
      logs.ack(id, bytes);
    },
    async closeLogs(id) {
      logs.close(id);
    },
    async saveLog(fileName, text) {
      await tick();
      savedLogs.push({ fileName, text });
      return `/home/you/${fileName}`;
    },
    async startUpload(target, paths, dir) {
      await tick(10);
      profiles.require(target.profile);
      return transfers.upload(target, paths, dir);
    },
    async startDownload(target, podPath, folder) {
      await tick(10);
      profiles.require(target.profile);
      return transfers.download(target, podPath, folder);
    },
    async cancelTransfer(id) {
      transfers.cancel(id);
    },
    async listServices(profile, namespace) {
      await tick(10);
      profiles.require(profile);
      // As RBAC often has it: the user may not list kube-system's Services.
      if (namespace === "kube-system") {
        throw mockError("refused", `Error from server (Forbidden): services is forbidden: User "you" cannot list resource "services" in API group "" in the namespace "kube-system"`);
      }
      const all = cluster.listServices(namespace || "demo");
      return { services: all.slice(0, servicePage), more: all.length > servicePage };
    },
    async findService(profile, namespace, name) {
      await tick(10);
      profiles.require(profile);
      if (namespace === "kube-system") {
        throw mockError("refused", `Error from server (Forbidden): services "${name}" is forbidden: User "you" cannot get resource "services" in API group "" in the namespace "kube-system"`);
      }
      return cluster.listServices(namespace || "demo").find((s) => s.name === name) ?? null;
    },
    async startForward(req) {
      await tick();
      return forwards.start(req);
    },
    async stopForward(id) {
      forwards.stop(id);
    },
    async listForwards() {
      return forwards.list();
    },
    async watchForwards(onChange) {
      forwards.listen(onChange);
    },
    async restoreForwards() {
      await tick();
      if (!mockRestoreTabs()) return forwards.restore();
      // As the app starts the Demo cluster for a forward of it after a restart.
      const saved: unknown = JSON.parse(mockStore()?.getItem(MOCK_FORWARDS_KEY) ?? "[]");
      if (Array.isArray(saved) && saved.some((f: { profile?: string }) => f.profile === DEMO_PROFILE.name)) profiles.demo();
      return forwards.restore();
    },
    async startForwardAgain(id) {
      return forwards.startAgain(id);
    },
    async listTransfers() {
      return transfers.list();
    },
    async watchTransfers(onChange) {
      transfers.listen(onChange);
    },
    async clearTransfers() {
      transfers.clear();
    },
    async transferSha256(id) {
      await tick(20);
      return transfers.sha256(id);
    },
    async podWorkingDir(target) {
      await tick(20);
      profiles.require(target.profile);
      if (!cluster.find(target.namespace, target.pod)) throw mockError("notFound", `pods "${target.pod}" not found`);
      // A container without a shell is asked through its debug tab's debug container only.
      if (target.pod === "distroless" && !target.debugImage) throw mockError("refused", 'container "app" has no sh to ask with: type the path whole');
      return MOCK_WORKING_DIR;
    },
    async listPodDir(target, dir) {
      await tick(10);
      profiles.require(target.profile);
      if (target.pod === "distroless" && !target.debugImage) throw mockError("refused", 'container "app" has no ls to ask with: type the path whole');
      return mockListing(dir);
    },
    async pickFolder() {
      await tick();
      return transfers.pickedFolder;
    },
    async podDetails(profile, namespace, pod) {
      await tick(10);
      profiles.require(profile);
      return logs.details(namespace, pod);
    },
    async listFavourites() {
      await tick();
      favouriteReads += 1;
      return favourites.list();
    },
    async addFavourite(profile, namespace, podName, container) {
      await tick(30 + writeDelay);
      return favourites.add(profile, namespace, podName, container);
    },
    async addServiceFavourite(profile, namespace, service) {
      await tick(30 + writeDelay);
      return favourites.addService(profile, namespace, service);
    },
    async renameFavourite(name, newName) {
      await tick(writeDelay);
      favourites.rename(name, newName);
    },
    async deleteFavourite(name) {
      await tick(writeDelay);
      favourites.delete(name);
    },
    async reorderFavourites(names) {
      await tick(writeDelay);
      favourites.reorder(names);
    },
    async resolveFavourite(name) {
      await tick(resolveDelay);
      await resolveHold.wait();
      return favourites.resolve(name);
    },
    async watchRequests(onRequest) {
      await tick();
      requests.listen(onRequest);
    },
    async openUrl(url) {
      await tick();
      // As the app does: http(s) only.
      if (!/^https?:\/\/\S+$/i.test(url.trim())) {
        throw mockError("invalidInput", `not opened: only http and https links open from a terminal (${url})`);
      }
      openedUrls.push(url.trim());
    },
    async closeWindow() {
      await tick();
      windowClosed = true;
    },
    async quitApp() {
      await tick();
      quitted = true;
    },
    async configDir() {
      await tick();
      return MOCK_CONFIG_DIR;
    },
    async appSettings() {
      await tick();
      // The preview plays a desktop with a tray and no launcher entry written.
      return { scrollbackLines, restoreTabs: mockRestoreTabs(), debugImage, logLines, tray: true, launcherEntry: null, globalShortcut, globalShortcutKeys: "Ctrl+Alt+K", globalShortcutError, drawEveryByte };
    },
    async setDrawEveryByte(on) {
      await tick();
      drawEveryByte = on;
    },
    async setGlobalShortcut(on) {
      await tick();
      globalShortcut = on;
      globalShortcutError = null;
    },
    async setRestoreTabs(on) {
      await tick();
      mockStore()?.setItem(MOCK_RESTORE_KEY, on ? "on" : "off");
      if (!on) mockStore()?.removeItem(MOCK_TABS_KEY);
      if (!on) mockStore()?.removeItem(MOCK_FORWARDS_KEY);
    },
    async saveOpenTabs(tabs) {
      tabsSaved += 1;
      if (!mockRestoreTabs()) return;
      mockStore()?.setItem(MOCK_TABS_KEY, JSON.stringify(tabs));
    },
    async restoreTabs() {
      await tick();
      if (!mockRestoreTabs()) return { tabs: [], active: null };
      let saved: SavedTabs = { tabs: [], active: null };
      try {
        saved = JSON.parse(mockStore()?.getItem(MOCK_TABS_KEY) ?? "null") ?? saved;
      } catch {
        /* a broken entry: none */
      }
      // As the app starts the Demo cluster for a tab of it (or a favourite's) after a restart.
      if (saved.tabs.some((t) => t.profile === DEMO_PROFILE.name)) profiles.demo();
      return {
        tabs: saved.tabs.map((tab) => ({ tab, movedFrom: null, gone: tab.favourite === null && !cluster.find(tab.namespace, tab.pod) })),
        active: saved.active,
      };
    },
    async setDebugImage(image) {
      await tick();
      if (settingsRefused) {
        throw mockError(
          "store",
          `${MOCK_CONFIG_DIR}/settings.json was written by a newer Podterm (version 9; this one reads up to 1): upgrade Podterm`,
        );
      }
      debugImage = image.trim() || MOCK_DEBUG_IMAGE;
      return debugImage;
    },
    async setLogLines(lines) {
      await tick();
      if (settingsRefused) {
        throw mockError(
          "store",
          `${MOCK_CONFIG_DIR}/settings.json was written by a newer Podterm (version 9; this one reads up to 1): upgrade Podterm`,
        );
      }
      logLines = Math.min(MAX_LOG_LINES, Math.max(MIN_LOG_LINES, Math.round(lines)));
      return logLines;
    },
    async setScrollbackLines(lines) {
      await tick();
      if (settingsRefused) {
        throw mockError(
          "store",
          `${MOCK_CONFIG_DIR}/settings.json was written by a newer Podterm (version 9; this one reads up to 1): upgrade Podterm`,
        );
      }
      scrollbackLines = Math.min(lines, MAX_SCROLLBACK_LINES);
      return scrollbackLines;
    },
  };
  return { backend, controls };
}
