// The sidebar: favourites, profiles → namespaces → pods (live), and the container picker that
// opens a tab. A star on a pod saves the workload that runs it as a favourite (favourites.ts).
//
// `SidebarModel` holds the state and talks to the backend (testable with a fake backend, no DOM);
// `SidebarView` renders it and turns clicks and keys into model calls.
import { formatAge } from "./age";
import { clear, h, setText } from "./dom";
import { FavouritesView, podLooksLike, savedNotice, type FavouritesModel } from "./favourites";
import { errorMessage, type Backend } from "./ipc";
import type { PodEvent, PodSummary, ProfileDetails, ProfileInput, ProfileSummary } from "./ipc/types";
import { openProfileForm } from "./profileform";
import type { SessionTarget } from "./tabs";

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** The pods of one namespace, kept current from watch events. */
export class PodList {
  private byName = new Map<string, PodSummary>();

  /** Applies a watch event; false when it changed nothing. */
  apply(event: PodEvent): boolean {
    const { pod } = event;
    switch (event.type) {
      case "Added":
      case "Modified":
        this.byName.set(pod.name, pod);
        return true;
      case "Deleted":
        return this.byName.delete(pod.name);
      default:
        return false;
    }
  }

  clear(): void {
    this.byName.clear();
  }

  get size(): number {
    return this.byName.size;
  }

  get(name: string): PodSummary | undefined {
    return this.byName.get(name);
  }

  /** All pods by name, as kubectl lists them. */
  sorted(): PodSummary[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** kubectl's STATUS column, as far as a summary can tell. */
export function podStatus(p: PodSummary): string {
  return p.terminating ? "Terminating" : p.phase;
}

/**
 * The filter box: every whitespace-separated word must appear (case-insensitive) in the pod's
 * name, status or container names.
 */
export function matchesFilter(p: PodSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [p.name, podStatus(p), ...p.containers].join(" ").toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function visiblePods(pods: PodList, query: string): PodSummary[] {
  return pods.sorted().filter((p) => matchesFilter(p, query));
}

export interface PodRow {
  name: string;
  status: string;
  ready: string;
  restarts: string;
  age: string;
}

export function podRow(p: PodSummary, now: number): PodRow {
  return {
    name: p.name,
    status: podStatus(p),
    ready: p.ready,
    restarts: String(p.restarts),
    age: formatAge(p.createdAt, now),
  };
}

/** kubectl refuses to exec into a completed pod; say so before trying. */
export function execRefusal(p: PodSummary): string | null {
  if (p.phase === "Succeeded" || p.phase === "Failed") {
    return `cannot exec into a container in a completed pod; current phase is ${p.phase}`;
  }
  return null;
}

/**
 * Splits a command line the way a shell would for simple cases: whitespace separates words,
 * '…' and "…" quote, a backslash escapes the next character. Empty input means "no command"
 * (the shell fallback): null.
 */
export function parseCommand(text: string): string[] | null {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < text.length && /["\\$`]/.test(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words.length > 0 ? words : null;
}

/** The namespace to show first for a profile. */
export function pickNamespace(namespaces: string[], preferred: string | null): string | null {
  if (preferred && namespaces.includes(preferred)) return preferred;
  if (namespaces.includes("default")) return "default";
  return namespaces[0] ?? preferred ?? null;
}

// ---------------------------------------------------------------------------------------------
// Model

export interface Picker {
  pod: string;
  container: string;
  command: string;
}

export type SidebarListener = () => void;

const LAST_PROFILE_KEY = "podterm.profile";
/** How long a short notice (a star's "Saved favourite …") stays (ms). */
const SHORT_NOTICE_MS = 6000;

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
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
  filter = "";
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
  private listeners = new Set<SidebarListener>();
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly openTab: (target: SessionTarget) => void,
    /** The favourites the pods' stars save to (none: no stars). */
    readonly favourites: FavouritesModel | null = null,
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
    this.notice = null;
    this.changed();
  }

  private fail(what: string, err: unknown): void {
    this.error = `${what}: ${errorMessage(err)}`;
    this.notice = null;
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
  async starPod(podName: string): Promise<void> {
    const favourites = this.favourites;
    const profile = this.profile;
    const namespace = this.namespace;
    if (!favourites || profile === null || namespace === null || this.starring.has(podName)) return;
    this.starring.add(podName);
    this.changed();
    try {
      const f = await favourites.add(profile, namespace, podName, null);
      this.error = null;
      this.shortNotice(savedNotice(f));
    } catch (err) {
      this.fail(`Could not favourite ${podName}`, err);
    } finally {
      this.starring.delete(podName);
    }
    this.changed();
  }

  /** The favourites that this pod looks like one of (a hint for its star). */
  starredAs(podName: string): string[] {
    const { favourites, profile, namespace } = this;
    if (!favourites || profile === null || namespace === null) return [];
    return favourites.list.filter((f) => podLooksLike(f, profile, namespace, podName)).map((f) => f.name);
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
    this.profile = null;
    this.namespaces = [];
    this.namespace = null;
    this.pods.clear();
    this.picker = null;
    this.changed();
  }

  async selectProfile(name: string): Promise<void> {
    const profile = this.profiles.find((p) => p.name === name);
    if (!profile) return;
    const gen = ++this.generation;
    this.stopWatch();
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
      this.fail(`Could not list the namespaces of ${name}`, err);
      namespaces = [profile.namespace ?? "default"];
    }
    if (gen !== this.generation) return this.staleConnect(gen);
    this.endConnecting();
    this.namespaces = [...namespaces].sort();
    const ns = pickNamespace(this.namespaces, profile.namespace);
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
    this.namespace = namespace;
    this.pods.clear();
    this.picker = null;
    this.podsLoading = true;
    this.watchProblem = null;
    this.changed();
    try {
      const id = await this.backend.watchPods(profile, namespace, (event) => {
        if (gen !== this.generation) return;
        if (this.pods.apply(event)) {
          if (event.type === "Deleted" && this.picker?.pod === event.pod.name) this.picker = null;
          this.changed();
        }
      }, (status) => {
        if (gen !== this.generation) return;
        this.watchProblem = status.kind === "broken" ? status.reason : null;
        this.changed();
      });
      if (gen !== this.generation) {
        this.backend.stopWatch(id).catch(() => {});
        return;
      }
      this.watchId = id;
    } catch (err) {
      if (gen !== this.generation) return;
      this.fail(`Could not list the pods in ${namespace}`, err);
    }
    this.podsLoading = false;
    this.changed();
  }

  private stopWatch(): void {
    const id = this.watchId;
    this.watchId = null;
    this.podsLoading = false;
    this.watchProblem = null;
    if (id !== null) this.backend.stopWatch(id).catch(() => {});
  }

  setFilter(query: string): void {
    if (this.filter === query) return;
    this.filter = query;
    this.changed();
  }

  visiblePods(): PodSummary[] {
    return visiblePods(this.pods, this.filter);
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
      this.changed();
      return null;
    }
    const target: SessionTarget = {
      profile: this.profile,
      namespace: this.namespace,
      pod: pod.name,
      container: container ?? picker.container,
      command: parseCommand(picker.command),
    };
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

  private async afterImport(imported: ProfileSummary[], what: string): Promise<void> {
    const names = imported.map((p) => p.name);
    this.notice =
      names.length === 0
        ? `${what}: no new cluster found.`
        : `${what}: added ${names.join(", ")}.`;
    this.error = null;
    const current = this.profile;
    await this.loadProfiles();
    const target = current && this.selectedProfile ? null : names[0];
    if (target) await this.selectProfile(target);
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
   * Saves a profile typed by hand, then lists the profiles again and selects it. A rejection
   * (bad input, in words for the user) is left to the caller: the form shows it.
   */
  async saveProfile(input: ProfileInput): Promise<ProfileSummary> {
    const saved = await this.backend.saveProfile(input);
    this.error = null;
    this.shortNotice(input.original === null ? `Added ${saved.name}.` : `Saved ${saved.name}.`);
    try {
      this.profiles = await this.backend.listProfiles();
    } catch (err) {
      this.fail("Could not read the saved clusters", err);
    }
    if (!this.profiles.some((p) => p.name === saved.name)) this.profiles.push(saved);
    this.profilesLoaded = true;
    await this.selectProfile(saved.name);
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

// ---------------------------------------------------------------------------------------------
// View

interface RowEls {
  li: HTMLLIElement;
  line: HTMLElement;
  star: HTMLButtonElement | null;
  name: HTMLElement;
  age: HTMLElement;
  status: HTMLElement;
  ready: HTMLElement;
  restarts: HTMLElement;
  picker: HTMLElement | null;
  pickerKey: string | null;
}

export class SidebarView {
  readonly root: HTMLElement;
  private profileList: HTMLUListElement;
  private addMenu: HTMLElement;
  private nsSelect: HTMLSelectElement;
  private filterInput: HTMLInputElement;
  private messages: HTMLElement;
  private podList: HTMLUListElement;
  private podEmpty: HTMLElement;
  private watchStatus: HTMLElement;
  private podSection: HTMLElement;
  private rows = new Map<string, RowEls>();
  private confirmDelete: string | null = null;
  private renderQueued = false;
  private ageTimer: ReturnType<typeof setInterval>;
  private favouritesView: FavouritesView | null = null;

  constructor(
    private readonly model: SidebarModel,
    parent: HTMLElement,
    opts: { badge?: string } = {},
  ) {
    this.profileList = h("ul", { class: "profile-list", "aria-label": "Clusters" });
    const importPath = h("input", {
      type: "text",
      class: "import-path",
      placeholder: "/path/to/kubeconfig",
      "aria-label": "Kubeconfig file to import",
      spellcheck: "false",
    });
    this.addMenu = h(
      "div",
      { class: "add-menu", hidden: true },
      h("button", { class: "menu-item", "data-action": "import-default", onclick: () => this.run(() => model.importKubeconfig(null)) }, "Import ~/.kube/config"),
      h(
        "form",
        {
          class: "import-form",
          onsubmit: (e: Event) => {
            e.preventDefault();
            const path = importPath.value.trim();
            if (path) this.run(() => model.importKubeconfig(path));
          },
        },
        importPath,
        h("button", { type: "submit" }, "Import file"),
      ),
      h("button", { class: "menu-item", "data-action": "choose-file", onclick: () => this.run(() => model.chooseKubeconfig()) }, "Choose a kubeconfig file…"),
      h("button", { class: "menu-item", "data-action": "add-manual", onclick: () => this.run(() => this.openForm(null)) }, "Add by hand…"),
      h("button", { class: "menu-item", "data-action": "demo", onclick: () => this.run(() => model.addDemo()) }, "Demo cluster"),
    );
    this.nsSelect = h("select", {
      class: "ns-select",
      "aria-label": "Namespace",
      onchange: () => void model.selectNamespace(this.nsSelect.value),
    });
    this.filterInput = h("input", {
      type: "search",
      class: "filter",
      placeholder: "Filter pods",
      "aria-label": "Filter pods",
      spellcheck: "false",
      oninput: () => model.setFilter(this.filterInput.value),
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Enter") {
          const first = model.visiblePods()[0];
          if (first) model.togglePicker(first.name);
        }
      },
    });
    this.messages = h("div", { class: "messages", "aria-live": "polite" });
    this.podList = h("ul", { class: "pod-list", "aria-label": "Pods" });
    this.podEmpty = h("div", { class: "pod-empty" });
    this.watchStatus = h("div", { class: "watch-status", role: "status", hidden: true });
    this.podSection = h("section", { class: "pods" }, this.watchStatus, this.podList, this.podEmpty);
    if (model.favourites) {
      this.favouritesView = new FavouritesView(model.favourites);
      // A star's look follows the favourites.
      model.favourites.onChange(() => this.scheduleRender());
    }

    this.root = h(
      "aside",
      { class: "sidebar" },
      h(
        "header",
        { class: "brand" },
        h("span", { class: "brand-name" }, "Podterm"),
        opts.badge ? h("span", { class: "badge", title: "No Tauri backend: an in-page mock answers" }, opts.badge) : null,
      ),
      this.favouritesView?.root ?? null,
      h(
        "section",
        { class: "profiles" },
        h(
          "div",
          { class: "section-title" },
          h("span", {}, "Clusters"),
          h("button", {
            class: "icon-button add-profile",
            title: "Add a cluster",
            "aria-label": "Add a cluster",
            onclick: () => {
              this.addMenu.hidden = !this.addMenu.hidden;
            },
          }, "+"),
        ),
        this.addMenu,
        this.profileList,
      ),
      h(
        "section",
        { class: "ns" },
        h("label", { class: "ns-label" }, h("span", {}, "Namespace"), this.nsSelect),
        this.filterInput,
      ),
      this.messages,
      this.podSection,
    );
    parent.appendChild(this.root);
    // A burst of watch events renders once per frame.
    model.onChange(() => this.scheduleRender());
    this.ageTimer = setInterval(() => this.renderPods(), 1000);
    this.render();
  }

  private run(fn: () => Promise<void>): void {
    this.addMenu.hidden = true;
    void fn();
  }

  /** The add/edit form: `name` null adds a profile, else edits that one. */
  private async openForm(name: string | null): Promise<void> {
    const m = this.model;
    let details: ProfileDetails | null = null;
    if (name !== null) {
      try {
        details = await m.profileDetails(name);
      } catch (err) {
        m.error = `Could not read ${name}: ${errorMessage(err)}`;
        this.render();
        return;
      }
    }
    openProfileForm({ details, save: (input) => m.saveProfile(input) });
  }

  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  render(): void {
    this.renderProfiles();
    this.renderNamespaces();
    this.renderMessages();
    this.renderPods();
  }

  private renderProfiles(): void {
    const m = this.model;
    clear(this.profileList);
    if (m.profilesLoaded && m.profiles.length === 0) {
      this.profileList.appendChild(h("li", { class: "profile-empty" }, "No clusters yet. Use + to add one."));
    }
    for (const p of m.profiles) {
      const selected = p.name === m.profile;
      const confirming = this.confirmDelete === p.name;
      const li = h(
        "li",
        {
          class: `profile${selected ? " selected" : ""}`,
          "data-profile": p.name,
          tabindex: 0,
          role: "button",
          "aria-pressed": selected ? "true" : "false",
          title: `${p.server} · ${p.authKind}${p.insecure ? " · TLS not verified" : ""}`,
          onclick: (e: Event) => {
            if ((e.target as HTMLElement).closest("button")) return;
            if (!selected) void m.selectProfile(p.name);
          },
          onkeydown: (e: Event) => {
            if ((e as KeyboardEvent).key === "Enter" && !selected) void m.selectProfile(p.name);
          },
        },
        h(
          "div",
          { class: "profile-main" },
          h("span", { class: "profile-name" }, p.name),
          h("span", { class: "profile-server" }, `${p.server.replace(/^https?:\/\//, "")} · ${p.authKind}`),
          p.insecure ? h("span", { class: "profile-insecure", title: "The server's certificate is not verified" }, "insecure") : null,
        ),
        confirming
          ? h(
              "span",
              { class: "confirm" },
              h("button", { class: "danger", onclick: () => { this.confirmDelete = null; void m.deleteProfile(p.name); } }, "Delete"),
              h("button", { onclick: () => { this.confirmDelete = null; this.render(); } }, "Keep"),
            )
          : h(
              "span",
              { class: "profile-actions" },
              h("button", {
                class: "icon-button edit-profile",
                title: `Edit ${p.name}`,
                "aria-label": `Edit ${p.name}`,
                onclick: () => void this.openForm(p.name),
              }, "✎"),
              h("button", {
                class: "icon-button delete-profile",
                title: `Remove ${p.name} (and its saved credentials)`,
                "aria-label": `Remove ${p.name}`,
                onclick: () => { this.confirmDelete = p.name; this.render(); },
              }, "×"),
            ),
      );
      this.profileList.appendChild(li);
    }
  }

  private renderNamespaces(): void {
    const m = this.model;
    const wanted = m.namespaces.join("\n");
    if (this.nsSelect.dataset.options !== wanted) {
      clear(this.nsSelect);
      for (const ns of m.namespaces) this.nsSelect.appendChild(h("option", { value: ns }, ns));
      this.nsSelect.dataset.options = wanted;
    }
    if (m.namespace !== null && this.nsSelect.value !== m.namespace) this.nsSelect.value = m.namespace;
    this.nsSelect.disabled = m.namespaces.length === 0;
    this.filterInput.disabled = m.namespace === null;
  }

  private renderMessages(): void {
    const m = this.model;
    clear(this.messages);
    if (m.busy) this.messages.appendChild(h("div", { class: "message busy" }, h("span", { class: "spinner" }), m.busy));
    if (m.error) {
      this.messages.appendChild(
        h("div", { class: "message error", role: "alert" },
          h("span", { class: "message-text" }, m.error),
          h("button", { class: "icon-button", "aria-label": "Dismiss", onclick: () => m.dismissMessages() }, "×")),
      );
    }
    if (m.notice) {
      this.messages.appendChild(
        h("div", { class: "message notice" },
          h("span", { class: "message-text" }, m.notice),
          h("button", { class: "icon-button", "aria-label": "Dismiss", onclick: () => m.dismissMessages() }, "×")),
      );
    }
  }

  private renderPods(): void {
    const m = this.model;
    const pods = m.namespace === null ? [] : m.visiblePods();
    const now = Date.now();
    const seen = new Set<string>();
    let prev: Element | null = null;
    for (const p of pods) {
      seen.add(p.name);
      let row = this.rows.get(p.name);
      if (!row) {
        row = this.createRow(p.name);
        this.rows.set(p.name, row);
      }
      this.updateRow(row, p, now);
      const expected: ChildNode | null = prev ? prev.nextSibling : this.podList.firstChild;
      if (expected !== row.li) this.podList.insertBefore(row.li, expected);
      prev = row.li;
    }
    for (const [name, row] of this.rows) {
      if (!seen.has(name)) {
        row.li.remove();
        this.rows.delete(name);
      }
    }
    let empty = "";
    if (m.profile === null) empty = m.profilesLoaded ? "Add a cluster to see its pods." : "Loading…";
    else if (m.namespace === null) empty = m.busy ? "" : "No namespace to show.";
    else if (m.podsLoading && m.pods.size === 0) empty = "Loading pods…";
    else if (m.pods.size === 0) empty = `No pods in ${m.namespace}.`;
    else if (pods.length === 0) empty = `No pod matches "${m.filter}".`;
    setText(this.podEmpty, empty);
    this.podEmpty.hidden = empty === "";
    const problem = m.watchProblem;
    setText(this.watchStatus, problem === null ? "" : `Not live: ${problem}. Retrying…`);
    this.watchStatus.title = problem === null ? "" : "The list may be out of date until the cluster answers again";
    this.watchStatus.hidden = problem === null;
  }

  private createRow(name: string): RowEls {
    const nameEl = h("span", { class: "pod-name" }, name);
    const age = h("span", { class: "pod-age", title: "Age" });
    const status = h("span", { class: "pod-status" });
    const ready = h("span", { class: "pod-ready", title: "Ready containers" });
    const restarts = h("span", { class: "pod-restarts", title: "Restarts" });
    const line = h(
      "div",
      {
        class: "pod-line",
        role: "button",
        tabindex: 0,
        onclick: () => this.model.togglePicker(name),
        ondblclick: () => this.model.openDefault(name),
        onkeydown: (e: Event) => {
          const k = (e as KeyboardEvent).key;
          if (k === "Enter" || k === " ") {
            e.preventDefault();
            this.model.togglePicker(name);
          }
        },
      },
      h("div", { class: "pod-first" }, nameEl, age),
      h("div", { class: "pod-second" }, status, ready, restarts),
    );
    const star = this.model.favourites
      ? h("button", {
          class: "icon-button star",
          title: "Favourite the workload that runs this pod",
          "aria-label": `Favourite the workload that runs ${name}`,
          onclick: () => void this.model.starPod(name),
        }, "☆")
      : null;
    const li = h("li", { class: "pod", "data-pod": name }, h("div", { class: "pod-head" }, line, star));
    return { li, line, star, name: nameEl, age, status, ready, restarts, picker: null, pickerKey: null };
  }

  private updateRow(row: RowEls, p: PodSummary, now: number): void {
    const r = podRow(p, now);
    setText(row.age, r.age);
    setText(row.status, r.status);
    row.status.className = `pod-status status-${r.status.toLowerCase()}`;
    setText(row.ready, `${r.ready} ready`);
    setText(row.restarts, p.restarts === 1 ? "1 restart" : `${r.restarts} restarts`);
    row.restarts.classList.toggle("has-restarts", p.restarts > 0);
    row.li.classList.toggle("terminating", p.terminating);
    if (row.star) {
      const as = this.model.starredAs(p.name);
      const starred = as.length > 0;
      setText(row.star, starred ? "★" : "☆");
      row.star.classList.toggle("starred", starred);
      row.star.title = starred
        ? `Favourite the workload that runs this pod (saved as ${as.join(", ")}; a star saves another)`
        : "Favourite the workload that runs this pod";
      row.star.disabled = this.model.starring.has(p.name);
    }
    const picker = this.model.picker;
    const open = picker !== null && picker.pod === p.name;
    row.li.classList.toggle("picking", open);
    row.line.setAttribute("aria-expanded", open ? "true" : "false");
    const key = open ? `${p.containers.join("\n")}|${p.defaultContainer}|${execRefusal(p) ?? ""}` : null;
    if (key !== row.pickerKey) {
      row.picker?.remove();
      row.picker = open ? this.createPicker(p) : null;
      if (row.picker) {
        row.li.appendChild(row.picker);
        // The command box takes the keyboard: Enter opens the preselected container's shell,
        // or the command typed.
        row.picker.querySelector<HTMLElement>("input.command")?.focus();
      }
      row.pickerKey = key;
    }
    if (open && row.picker) {
      for (const b of row.picker.querySelectorAll<HTMLButtonElement>(".container")) {
        const sel = b.dataset.container === picker.container;
        b.classList.toggle("selected", sel);
        b.setAttribute("aria-checked", sel ? "true" : "false");
      }
    }
  }

  private createPicker(p: PodSummary): HTMLElement {
    const m = this.model;
    const refusal = execRefusal(p);
    if (refusal) {
      return h("div", { class: "picker" }, h("div", { class: "picker-refusal" }, `Cannot open a shell: ${refusal}.`));
    }
    const command = h("input", {
      type: "text",
      class: "command",
      placeholder: "Command (empty: bash, else sh)",
      title: "Enter opens the selected container; empty runs bash, else sh",
      "aria-label": "Command to run instead of a shell",
      spellcheck: "false",
      oninput: () => m.setCommand(command.value),
      onkeydown: (e: Event) => {
        const k = (e as KeyboardEvent).key;
        if (k === "Enter") {
          e.preventDefault();
          m.openPicked();
        } else if (k === "Escape") {
          m.closePicker();
        }
      },
    });
    const buttons = p.containers.map((c) =>
      h(
        "button",
        {
          class: "container",
          role: "radio",
          "data-container": c,
          title: `Open ${c}`,
          onclick: () => m.openPicked(c),
          onfocus: () => m.selectContainer(c),
          onkeydown: (e: Event) => {
            const k = (e as KeyboardEvent).key;
            const i = p.containers.indexOf(c);
            const go = (j: number) => {
              const name = p.containers[(j + p.containers.length) % p.containers.length]!;
              (e.currentTarget as HTMLElement).parentElement
                ?.querySelector<HTMLElement>(`[data-container="${CSS.escape(name)}"]`)
                ?.focus();
            };
            if (k === "ArrowDown" || k === "ArrowRight") { e.preventDefault(); go(i + 1); }
            else if (k === "ArrowUp" || k === "ArrowLeft") { e.preventDefault(); go(i - 1); }
            else if (k === "Escape") m.closePicker();
          },
        },
        h("span", { class: "container-name" }, c),
        c === p.defaultContainer ? h("span", { class: "container-default" }, "default") : null,
      ),
    );
    return h(
      "div",
      { class: "picker", role: "group", "aria-label": `Open a shell in ${p.name}` },
      h("div", { class: "picker-title" }, "Container"),
      h("div", { class: "containers", role: "radiogroup" }, ...buttons),
      command,
    );
  }

  dispose(): void {
    clearInterval(this.ageTimer);
    this.favouritesView?.dispose();
    this.root.remove();
  }
}
