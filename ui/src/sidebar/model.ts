// The sidebar's state: profiles → namespaces → pods (live), the container picker, messages. It
// talks to the backend and is testable with a fake backend, without DOM; `view.ts` renders it.
import { podOwnedBy, savedNotice } from "../favourites/favourite";
import type { FavouritesModel } from "../favourites/model";
import { errorKind, errorMessage, type Backend } from "../ipc";
import type { PodChange, PodSummary, ProfileDetails, ManualProfile, ProfileSummary, WatchStatus } from "../ipc/types";
import type { SessionTarget } from "../terminal/tabs";
import { ALL_NAMESPACES, execRefusal, parseCommand, pickNamespace, PodList, POD_SORTS, visiblePods, type PodSort } from "./pods";
import { pageStorage as storage } from "../storage";

export interface Picker {
  pod: string;
  container: string;
  command: string;
}

export type SidebarListener = () => void;

export interface SidebarHooks {
  /** The pod list saw a pod deleted (its tabs end). */
  podDeleted?(profile: string, namespace: string, pod: string): void;
  /** A pod's picker opened: a tab is likely to open next. */
  pickerOpened?(): void;
  /** A cluster was renamed in its edit form (the engine moved its favourites and forwards). */
  profileRenamed?(old: string, name: string): void;
}

const LAST_PROFILE_KEY = "podterm.profile";
const POD_SORT_KEY = "podterm.podSort";
/** How long a short notice (a star's "Saved favourite …") stays (ms). */
const SHORT_NOTICE_MS = 6000;

function readSort(): PodSort {
  try {
    const v = storage()?.getItem(POD_SORT_KEY);
    return POD_SORTS.find((o) => o.value === v)?.value ?? "name";
  } catch {
    return "name";
  }
}

export class SidebarModel {
  profiles: ProfileSummary[] = [];
  profilesLoaded = false;
  profile: string | null = null;
  namespaces: string[] = [];
  namespace: string | null = null;
  readonly pods = new PodList();
  /** A watch is being started and has not answered yet. */
  podsLoading = false;
  /** Why the pod list is not live now (its watch broke and retries); null while it is. */
  watchProblem: string | null = null;
  /** The list holds this many pods, the most it keeps, and leaves out the rest; null: all. */
  podsCapped: number | null = null;
  /**
   * The pods of this namespace could not be listed: `forbidden` (the cluster refused: RBAC),
   * else `failed`. Null while they are listed (or being).
   */
  podsUnlisted: "forbidden" | "failed" | null = null;
  filter = "";
  /** The pod list's order (remembered). */
  sort: PodSort = readSort();
  picker: Picker | null = null;
  /** Shown in the sidebar (and the first-run screen) until dismissed or replaced. */
  error: string | null = null;
  notice: string | null = null;
  /** A long operation under way ("Importing ~/.kube/config…"). */
  busy: string | null = null;
  /** Pods whose star was clicked and whose favourite is being saved. */
  readonly starring = new Set<string>();

  private watchId: number | null = null;
  /** Bumped on every profile or namespace switch: answers for an older one are dropped. */
  private generation = 0;
  /** The generation of the selectProfile whose "Connecting to …" is in `busy`, if any. */
  private connectingGen: number | null = null;
  /**
   * What `error` concerns: a profile (and namespace) it goes away with when another is chosen;
   * null for an error about no one profile (an import's, the Demo's).
   */
  private errorScope: { profile: string; namespace: string | null } | null = null;
  private listeners = new Set<SidebarListener>();
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly openTab: (target: SessionTarget) => void,
    /** The favourites the pods' stars save to (none: no stars). */
    readonly favourites: FavouritesModel | null = null,
    private readonly hooks: SidebarHooks = {},
  ) {}

  onChange(fn: SidebarListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  get selectedProfile(): ProfileSummary | undefined {
    return this.profiles.find((p) => p.name === this.profile);
  }

  dismissMessages(): void {
    this.error = null;
    this.errorScope = null;
    this.notice = null;
    this.changed();
  }

  /**
   * Shows an error. `scope`: the profile (and namespace) it concerns; it disappears when another
   * is chosen, so that one cluster's refusal never stands above another's pod list.
   */
  private fail(what: string, err: unknown, scope: { profile: string; namespace?: string | null } | null = null): void {
    this.error = `${what}: ${errorMessage(err)}`;
    this.errorScope = scope ? { profile: scope.profile, namespace: scope.namespace ?? null } : null;
    this.notice = null;
  }

  /** A scoped error that does not concern `profile` / `namespace` goes. */
  private dropErrorsOutside(profile: string | null, namespace: string | null): void {
    const s = this.errorScope;
    if (!s || this.error === null) return;
    if (s.profile !== profile || (s.namespace !== null && namespace !== null && s.namespace !== namespace)) {
      this.error = null;
      this.errorScope = null;
    }
  }

  /** Says `text` under the pod list for a few seconds (what a pod's menu did). */
  say(text: string): void {
    this.shortNotice(text);
    this.changed();
  }

  /** A notice that goes away by itself after a few seconds. */
  private shortNotice(text: string): void {
    this.notice = text;
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      if (this.notice === text) {
        this.notice = null;
        this.changed();
      }
    }, SHORT_NOTICE_MS);
  }

  /**
   * The star on a pod: saves the workload that runs it as a favourite (the backend finds the
   * owner and names it) and says what was saved.
   */
  async starPod(ref: string): Promise<void> {
    const favourites = this.favourites;
    const profile = this.profile;
    const pod = this.pods.get(ref);
    const namespace = pod?.namespace || this.namespace;
    const podName = pod?.name ?? ref;
    if (!favourites || profile === null || namespace === null || namespace === ALL_NAMESPACES || this.starring.has(ref)) return;
    // Where the star was clicked: its failure is that view's, and goes when another is chosen.
    const scope = { profile, namespace: this.namespace };
    this.starring.add(ref);
    this.changed();
    try {
      const f = await favourites.add(profile, namespace, podName, null);
      this.error = null;
      this.shortNotice(savedNotice(f));
    } catch (err) {
      this.fail(`Could not favourite ${podName}`, err, scope);
    } finally {
      this.starring.delete(ref);
    }
    this.changed();
  }

  /** The favourites this pod is one of, by its owner (a hint for its star). */
  starredAs(ref: string): string[] {
    const { favourites, profile } = this;
    const pod = this.pods.get(ref);
    const namespace = pod?.namespace || this.namespace;
    if (!favourites || profile === null || namespace === null || !pod) return [];
    return favourites.list.filter((f) => podOwnedBy(f, profile, namespace, pod)).map((f) => f.name);
  }

  /** Loads the saved profiles and opens the last used (or first) one. */
  async loadProfiles(): Promise<void> {
    try {
      this.profiles = await this.backend.listProfiles();
    } catch (err) {
      this.fail("Could not read the saved clusters", err);
      this.profiles = [];
    }
    this.profilesLoaded = true;
    this.changed();
    if (this.profile === null || !this.selectedProfile) {
      const last = storage()?.getItem(LAST_PROFILE_KEY) ?? null;
      const first = this.profiles.find((p) => p.name === last) ?? this.profiles[0];
      if (first) await this.selectProfile(first.name);
      else this.resetSelection();
    }
  }

  /** Clears a "Connecting to …" message (not an import's or the Demo's); true if it did. */
  private endConnecting(): boolean {
    if (this.connectingGen === null) return false;
    this.connectingGen = null;
    this.busy = null;
    return true;
  }

  private resetSelection(): void {
    this.generation++;
    this.endConnecting();
    this.stopWatch();
    this.dropErrorsOutside(null, null);
    this.profile = null;
    this.namespaces = [];
    this.namespace = null;
    this.pods.clear();
    this.picker = null;
    this.changed();
  }

  /** Shows the profile `name`'s pods: in `keep` when it is still one of its namespaces (or All
   *  namespaces), else its own namespace. */
  async selectProfile(name: string, keep: string | null = null): Promise<void> {
    const profile = this.profiles.find((p) => p.name === name);
    if (!profile) return;
    const gen = ++this.generation;
    this.stopWatch();
    this.dropErrorsOutside(name, null);
    this.profile = name;
    this.namespaces = [];
    this.namespace = null;
    this.pods.clear();
    this.picker = null;
    this.busy = `Connecting to ${name}…`;
    this.connectingGen = gen;
    storage()?.setItem(LAST_PROFILE_KEY, name);
    this.changed();
    let namespaces: string[];
    try {
      namespaces = await this.backend.listNamespaces(name);
    } catch (err) {
      if (gen !== this.generation) return this.staleConnect(gen);
      // Without the right to list namespaces, the profile's own namespace may still be usable.
      this.fail(`Could not list the namespaces of ${name}`, err, { profile: name });
      namespaces = [profile.namespace ?? "default"];
    }
    if (gen !== this.generation) return this.staleConnect(gen);
    this.endConnecting();
    this.namespaces = [...namespaces].sort();
    const kept = keep !== null && (keep === ALL_NAMESPACES || this.namespaces.includes(keep)) ? keep : null;
    const ns = kept ?? pickNamespace(this.namespaces, profile.namespace);
    if (ns) await this.selectNamespace(ns);
    else this.changed();
  }

  /** A superseded selectProfile's answer: its "Connecting to …" goes unless a newer one set it. */
  private staleConnect(gen: number): void {
    if (this.connectingGen === gen && this.endConnecting()) this.changed();
  }

  async selectNamespace(namespace: string): Promise<void> {
    const profile = this.profile;
    if (profile === null) return;
    const gen = ++this.generation;
    this.endConnecting(); // a namespace chosen while connecting supersedes the connect
    this.stopWatch();
    this.dropErrorsOutside(profile, namespace);
    // A namespace typed by hand (namespaces may not be listed) joins the choices.
    const all = namespace === ALL_NAMESPACES;
    if (!all && !this.namespaces.includes(namespace)) this.namespaces = [...this.namespaces, namespace].sort();
    this.namespace = namespace;
    this.pods.clear();
    this.picker = null;
    this.podsLoading = true;
    this.watchProblem = null;
    this.podsCapped = null;
    this.changed();
    try {
      // A batch (the first list whole, then each change) is drawn once.
      const onEvent = (events: PodChange[]) => {
        if (gen !== this.generation) return;
        let changed = false;
        for (const event of events) {
          if (!this.pods.apply(event)) continue;
          changed = true;
          if (event.type === "Deleted") {
            if (this.picker !== null && this.pods.get(this.picker.pod) === undefined) this.picker = null;
            this.hooks.podDeleted?.(profile, event.pod.namespace || namespace, event.pod.name);
          }
        }
        if (changed) this.changed();
      };
      const onStatus = (status: WatchStatus) => {
        if (gen !== this.generation) return;
        if (status.kind === "capped") this.podsCapped = status.limit;
        else this.watchProblem = status.kind === "broken" ? status.reason : null;
        this.changed();
      };
      const id = all
        ? await this.backend.watchAllPods(profile, onEvent, onStatus)
        : await this.backend.watchPods(profile, namespace, onEvent, onStatus);
      if (gen !== this.generation) {
        this.backend.stopWatch(id).catch(() => {});
        return;
      }
      this.watchId = id;
    } catch (err) {
      if (gen !== this.generation) return;
      this.podsUnlisted = errorKind(err) === "refused" ? "forbidden" : "failed";
      this.fail(`Could not list the pods in ${all ? "all namespaces" : namespace}`, err, { profile, namespace });
    }
    this.podsLoading = false;
    this.changed();
  }

  private stopWatch(): void {
    const id = this.watchId;
    this.watchId = null;
    this.podsLoading = false;
    this.watchProblem = null;
    this.podsCapped = null;
    this.podsUnlisted = null;
    if (id !== null) this.backend.stopWatch(id).catch(() => {});
  }

  setFilter(query: string): void {
    if (this.filter === query) return;
    this.filter = query;
    this.changed();
  }

  visiblePods(): PodSummary[] {
    return visiblePods(this.pods, this.filter, this.sort);
  }

  /** Whether the list shows every namespace (its rows then say their namespace). */
  get allNamespaces(): boolean {
    return this.namespace === ALL_NAMESPACES;
  }

  /** How a pod is named to this model's methods: `namespace/name` in all namespaces, else its name. */
  podRef(p: Pick<PodSummary, "namespace" | "name">): string {
    return this.allNamespaces ? `${p.namespace}/${p.name}` : p.name;
  }

  setSort(sort: PodSort): void {
    if (this.sort === sort) return;
    this.sort = sort;
    try {
      storage()?.setItem(POD_SORT_KEY, sort);
    } catch {
      /* not remembered */
    }
    this.changed();
  }

  /** Clicking a pod opens (or closes) its container picker, the default container preselected. */
  togglePicker(podName: string): void {
    const pod = this.pods.get(podName);
    if (!pod || this.picker?.pod === podName) {
      this.picker = null;
    } else {
      const container = pod.containers.includes(pod.defaultContainer)
        ? pod.defaultContainer
        : (pod.containers[0] ?? pod.defaultContainer);
      this.picker = { pod: podName, container, command: "" };
      this.hooks.pickerOpened?.();
    }
    this.changed();
  }

  closePicker(): void {
    if (this.picker) {
      this.picker = null;
      this.changed();
    }
  }

  selectContainer(container: string): void {
    if (this.picker && this.picker.container !== container) {
      this.picker.container = container;
      this.changed();
    }
  }

  /** The command box; no re-render needed. */
  setCommand(text: string): void {
    if (this.picker) this.picker.command = text;
  }

  /** Opens a tab for the picked pod (in `container`, else the preselected one). */
  openPicked(container?: string): SessionTarget | null {
    const picker = this.picker;
    if (!picker || this.profile === null || this.namespace === null) return null;
    const pod = this.pods.get(picker.pod);
    if (!pod) return null;
    const refusal = execRefusal(pod);
    if (refusal) {
      this.error = refusal;
      this.errorScope = { profile: this.profile, namespace: this.namespace };
      // The error says it; an open picker would push the pods below down under the pointer.
      this.picker = null;
      this.changed();
      return null;
    }
    const chosen = container ?? picker.container;
    const target: SessionTarget = {
      profile: this.profile,
      namespace: pod.namespace || this.namespace,
      pod: pod.name,
      container: chosen,
      command: parseCommand(picker.command),
    };
    // One of the pod's ephemeral (debug) containers: its tab is marked as a debug tab.
    if ((pod.ephemeralContainers ?? []).includes(chosen)) target.ephemeral = true;
    this.picker = null;
    this.error = null;
    this.changed();
    this.openTab(target);
    return target;
  }

  /** Opens the default container's shell directly (double click). */
  openDefault(podName: string): SessionTarget | null {
    const pod = this.pods.get(podName);
    if (!pod) return null;
    this.picker = { pod: podName, container: pod.defaultContainer, command: "" };
    return this.openPicked();
  }

  /**
   * "Open by name": `pod` or `pod/container` in the namespace shown, listed or not (a pod one may
   * exec into without the right to list pods). A listed pod is refused as a click would be; an
   * unlisted one without a container gets the server's default (the only container, if one).
   * Returns the target opened, or null (with `error` set when the name is not usable).
   */
  openByName(text: string): SessionTarget | null {
    const trimmed = text.trim();
    if (this.profile === null || this.namespace === null || trimmed === "") return null;
    if (this.allNamespaces) {
      this.fail("Cannot open that", "choose a namespace first, or type namespace/pod in quick open (Ctrl+K)", { profile: this.profile, namespace: this.namespace });
      this.changed();
      return null;
    }
    const [podName = "", container = "", ...rest] = trimmed.split("/");
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(podName) || rest.length > 0 || (trimmed.includes("/") && container === "")) {
      this.fail("Cannot open that", `"${trimmed}" is not a pod name (or pod/container); pod names are lower case letters, digits, '-' and '.'`, {
        profile: this.profile,
        namespace: this.namespace,
      });
      this.changed();
      return null;
    }
    const listed = this.pods.get(podName);
    if (listed) {
      const refusal = execRefusal(listed);
      if (refusal) {
        this.fail("Cannot open a shell", refusal, { profile: this.profile, namespace: this.namespace });
        this.changed();
        return null;
      }
    }
    const target: SessionTarget = {
      profile: this.profile,
      namespace: this.namespace,
      pod: podName,
      container: container || listed?.defaultContainer || "",
      command: null,
    };
    this.error = null;
    this.changed();
    this.openTab(target);
    return target;
  }

  /** "Run a command…" on a tab with no shell: its pod's picker, when that pod is listed here. */
  pickFor(target: SessionTarget): boolean {
    const ref = this.podRef({ namespace: target.namespace, name: target.pod });
    const pod = this.pods.get(ref);
    if (target.profile !== this.profile || !pod || pod.namespace !== target.namespace) return false;
    this.picker = { pod: ref, container: target.container, command: "" };
    this.hooks.pickerOpened?.();
    this.changed();
    return true;
  }

  private async afterImport(imported: ProfileSummary[], what: string): Promise<void> {
    const names = imported.map((p) => p.name);
    // Importing again replaces the clusters of the same names: "updated", not "added".
    const known = new Set(this.profiles.map((p) => p.name));
    const added = names.filter((n) => !known.has(n));
    const updated = names.filter((n) => known.has(n));
    const parts = [added.length ? `added ${added.join(", ")}` : null, updated.length ? `updated ${updated.join(", ")}` : null].filter(Boolean);
    this.notice = names.length === 0 ? `${what}: no new cluster found.` : `${what}: ${parts.join("; ")}.`;
    this.error = null;
    const current = this.profile;
    const gen = this.generation;
    await this.loadProfiles();
    // The profile shown stays, listed again: its credentials may be the ones just imported
    // (unless loading the profiles has just selected and listed it).
    const target = current && this.selectedProfile ? current : names[0];
    const justListed = this.generation !== gen && this.profile === target;
    if (target && !justListed) await this.selectProfile(target);
  }

  /** Imports kubeconfig contexts: `path` null means ~/.kube/config and KUBECONFIG. */
  async importKubeconfig(path: string | null): Promise<void> {
    const what = path ? `Import of ${path}` : "Import of ~/.kube/config";
    this.busy = path ? `Importing ${path}…` : "Importing ~/.kube/config…";
    this.connectingGen = null; // this message replaces a "Connecting to …"
    this.error = null;
    this.notice = null;
    this.changed();
    try {
      const imported = await this.backend.importKubeconfig(path, null, true);
      this.busy = null;
      await this.afterImport(imported, what);
    } catch (err) {
      this.busy = null;
      this.fail(path ? `Could not import ${path}` : "Could not import ~/.kube/config", err);
      this.changed();
    }
  }

  /** The native file dialog; a chosen file is imported as `importKubeconfig(path)` does. */
  async chooseKubeconfig(): Promise<void> {
    let path: string | null;
    try {
      path = await this.backend.pickKubeconfig();
    } catch (err) {
      this.fail("Could not open the file dialog", err);
      this.changed();
      return;
    }
    if (path) await this.importKubeconfig(path);
  }

  /** A profile's settings for the edit form. */
  profileDetails(name: string): Promise<ProfileDetails> {
    return this.backend.profileDetails(name);
  }

  /**
   * Saves a profile typed by hand, then lists the profiles again: a new one is selected; an
   * edited one that is shown is connected again with its new settings, in the namespace shown
   * (its own namespace, when the edit changed that);
   * another one edited leaves the list as it is. Resolves once saved, not once the pods are
   * listed (an unreachable cluster would hold the form). A rejection (bad input, in words for
   * the user) is left to the caller: the form shows it.
   */
  async saveProfile(input: ManualProfile): Promise<ProfileSummary> {
    const shown = this.profile;
    // The namespace shown stays, unless the edit gave the cluster another namespace of its own.
    const before = this.profiles.find((p) => p.name === input.original)?.namespace ?? null;
    const saved = await this.backend.saveProfile(input);
    const namespace = (saved.namespace ?? null) === before ? this.namespace : null;
    this.error = null;
    this.shortNotice(input.original === null ? `Added ${saved.name}.` : `Saved ${saved.name}.`);
    try {
      this.profiles = await this.backend.listProfiles();
    } catch (err) {
      this.fail("Could not read the saved clusters", err);
    }
    if (!this.profiles.some((p) => p.name === saved.name)) this.profiles.push(saved);
    this.profilesLoaded = true;
    if (input.original !== null && input.original !== saved.name) {
      // Its favourites follow it (the engine renamed them); its tabs too.
      void this.favourites?.load();
      this.hooks.profileRenamed?.(input.original, saved.name);
    }
    if (input.original === null) void this.selectProfile(saved.name);
    else if (input.original === shown) void this.selectProfile(saved.name, namespace);
    else this.changed();
    return saved;
  }

  /** Starts the in-app Demo cluster and selects its profile. */
  async addDemo(): Promise<void> {
    this.busy = "Starting the Demo cluster…";
    this.connectingGen = null; // this message replaces a "Connecting to …"
    this.error = null;
    this.notice = null;
    this.changed();
    try {
      const demo = await this.backend.demoProfile();
      this.busy = null;
      this.profiles = await this.backend.listProfiles();
      if (!this.profiles.some((p) => p.name === demo.name)) this.profiles.push(demo);
      await this.selectProfile(demo.name);
    } catch (err) {
      this.busy = null;
      this.fail("Could not start the Demo cluster", err);
      this.changed();
    }
  }

  async deleteProfile(name: string): Promise<void> {
    try {
      await this.backend.deleteProfile(name);
    } catch (err) {
      this.fail(`Could not delete ${name}`, err);
      this.changed();
      return;
    }
    this.notice = `Removed ${name}.`;
    if (this.profile === name) this.resetSelection();
    await this.loadProfiles();
  }

  dispose(): void {
    this.generation++;
    this.stopWatch();
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.listeners.clear();
  }
}
