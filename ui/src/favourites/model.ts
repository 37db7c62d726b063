// Favourites: workloads saved from a pod's star, one click from a shell.
//
// A star on a pod saves the workload that runs it (the backend follows the pod's owner: a
// Deployment's pod saves the Deployment), so the favourite survives rollouts. Opening one resolves
// it to the newest Ready pod at that moment, then opens a session there as a pod click does; the
// tab remembers the favourite and resolves it again on every reopen.
//
// `FavouritesModel` holds the list and talks to the backend (testable with a fake backend, no
// DOM); `FavouritesView` is the sidebar's Favourites section.
import { clear, h } from "./dom";
import { errorMessage, type Backend } from "./ipc";
import type { AppRequest, FavouriteSummary } from "./ipc/types";
import type { SessionTarget, TabModel } from "./tabs";

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** What a favourite points at: `deployment/web`, `pod/shell`. */
export function favouriteTarget(f: Pick<FavouriteSummary, "kind" | "target">): string {
  return `${f.kind}/${f.target}`;
}

/** The dim line under a favourite's name: `profile · namespace · deployment/web`. */
export function favouriteWhere(f: FavouriteSummary): string {
  return `${f.profile} · ${f.namespace} · ${favouriteTarget(f)}`;
}

/** Everything about a favourite, for its tooltip. */
export function favouriteDetails(f: FavouriteSummary): string {
  const parts = [`${favouriteTarget(f)} in ${f.namespace} (${f.profile})`];
  parts.push(f.container ? `container ${f.container}` : "the default container");
  if (f.command.length > 0) parts.push(`runs ${f.command.join(" ")}`);
  return parts.join(", ");
}

/** The notice after a star: `Saved favourite web (deployment/web in demo)`. */
export function savedNotice(f: FavouriteSummary): string {
  return `Saved favourite ${f.name} (${favouriteTarget(f)} in ${f.namespace})`;
}

/** `names` with `name` moved by `delta` places (clamped); null when it would not move. */
export function movedOrder(names: readonly string[], name: string, delta: number): string[] | null {
  const i = names.indexOf(name);
  if (i < 0) return null;
  const j = Math.max(0, Math.min(names.length - 1, i + delta));
  if (j === i) return null;
  const out = [...names];
  out.splice(i, 1);
  out.splice(j, 0, name);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Whether the pod `podName` looks like one of `f`'s, from the names Kubernetes gives pods
 * (`web-<hash>-<id>` for a Deployment, `db-0` for a StatefulSet, `x-<id>` for a DaemonSet or
 * ReplicaSet). A hint for the star only: resolving a favourite asks the cluster.
 */
export function podLooksLike(f: FavouriteSummary, profile: string, namespace: string, podName: string): boolean {
  if (f.profile !== profile || f.namespace !== namespace) return false;
  const t = escapeRegExp(f.target);
  switch (f.kind) {
    case "pod":
      return podName === f.target;
    case "statefulset":
      return new RegExp(`^${t}-\\d+$`).test(podName);
    case "deployment":
      return new RegExp(`^${t}-[a-z0-9]{1,10}-[a-z0-9]{5}$`).test(podName);
    case "replicaset":
    case "daemonset":
      return new RegExp(`^${t}-[a-z0-9]{5}$`).test(podName);
    default:
      return false;
  }
}

/** Where a favourite's tab starts, before it is resolved: what the summary says, if known. */
export function placeholderTarget(f: FavouriteSummary | undefined): SessionTarget {
  return {
    profile: f?.profile ?? "",
    namespace: f?.namespace ?? "",
    pod: "",
    container: f?.container ?? "",
    command: f && f.command.length > 0 ? [...f.command] : null,
  };
}

/**
 * The first step of an attempt of a favourite's tab: resolve the favourite to the pod it means
 * now. Returns the target to open, or null when there is nothing to open (the resolve failed, and
 * the tab says so; or the tab was closed or reopened meanwhile). A tab without a favourite keeps
 * its target.
 */
export async function resolveForTab(
  backend: Pick<Backend, "resolveFavourite">,
  tabs: TabModel,
  tabId: number,
  attempt: number,
): Promise<SessionTarget | null> {
  const tab = tabs.get(tabId);
  if (!tab) return null;
  if (!tab.favourite) return tab.target;
  let target: SessionTarget;
  try {
    const r = await backend.resolveFavourite(tab.favourite.name);
    target = { profile: r.profile, namespace: r.namespace, pod: r.pod, container: r.container, command: r.command };
  } catch (err) {
    tabs.resolveFailed(tabId, attempt, errorMessage(err));
    return null;
  }
  return tabs.resolved(tabId, attempt, target) ? target : null;
}

// ---------------------------------------------------------------------------------------------
// Model

export interface FavouritesHooks {
  /** Open a tab for the favourite `name` (`summary`: the list's entry, when it is known). */
  open(name: string, summary: FavouriteSummary | undefined): void;
  /** A favourite was renamed here: tabs opened from it follow. */
  renamed?(from: string, to: string): void;
}

export type FavouritesListener = () => void;

/** How long a just-added favourite stays highlighted (ms). */
const HIGHLIGHT_MS = 2500;

export class FavouritesModel {
  list: FavouriteSummary[] = [];
  loaded = false;
  /** Shown in the Favourites section until dismissed or replaced. */
  error: string | null = null;
  /** The favourite just added, highlighted for a moment. */
  highlight: string | null = null;

  private listeners = new Set<FavouritesListener>();
  /** Changes and reloads run one after the other, so a reload never undoes a later change. */
  private queue: Promise<unknown> = Promise.resolve();
  private highlightTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly hooks: FavouritesHooks,
  ) {}

  onChange(fn: FavouritesListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }

  get(name: string): FavouriteSummary | undefined {
    return this.list.find((f) => f.name === name);
  }

  /** Shows `message` in the Favourites section. */
  report(message: string): void {
    this.error = message;
    this.changed();
  }

  dismissError(): void {
    if (this.error !== null) {
      this.error = null;
      this.changed();
    }
  }

  /** Reads the list again. */
  load(): Promise<void> {
    return this.serial(() => this.reload());
  }

  private async reload(): Promise<void> {
    try {
      this.list = await this.backend.listFavourites();
    } catch (err) {
      this.error = `Could not read the favourites: ${errorMessage(err)}`;
    }
    this.loaded = true;
    if (this.highlight !== null && !this.get(this.highlight)) this.highlight = null;
    this.changed();
  }

  /**
   * Saves the workload that runs `pod` (the star). Rejects with the backend's words; the caller
   * says where the user looks.
   */
  add(profile: string, namespace: string, pod: string, container: string | null): Promise<FavouriteSummary> {
    return this.serial(async () => {
      const f = await this.backend.addFavourite(profile, namespace, pod, container);
      this.error = null;
      this.setHighlight(f.name);
      await this.reload();
      return f;
    });
  }

  private setHighlight(name: string | null): void {
    this.highlight = name;
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    this.highlightTimer = null;
    if (name !== null) {
      this.highlightTimer = setTimeout(() => {
        this.highlightTimer = null;
        if (this.highlight === name) {
          this.highlight = null;
          this.changed();
        }
      }, HIGHLIGHT_MS);
    }
  }

  /** Renames a favourite; false (and `error` says why) when the backend refused. */
  rename(name: string, newName: string): Promise<boolean> {
    const wanted = newName.trim();
    if (wanted === name) return Promise.resolve(true);
    return this.serial(async () => {
      try {
        await this.backend.renameFavourite(name, wanted);
      } catch (err) {
        this.error = `Could not rename ${name}: ${errorMessage(err)}`;
        this.changed();
        return false;
      }
      this.error = null;
      if (this.highlight === name) this.setHighlight(wanted);
      this.hooks.renamed?.(name, wanted);
      await this.reload();
      return true;
    });
  }

  /** Deletes a favourite (the caller has asked for confirmation). */
  remove(name: string): Promise<boolean> {
    return this.serial(async () => {
      try {
        await this.backend.deleteFavourite(name);
      } catch (err) {
        this.error = `Could not delete ${name}: ${errorMessage(err)}`;
        await this.reload();
        return false;
      }
      this.error = null;
      await this.reload();
      return true;
    });
  }

  /** Moves a favourite `delta` places (-1: up, 1: down). The list shows the new order at once. */
  move(name: string, delta: number): Promise<boolean> {
    const order = movedOrder(
      this.list.map((f) => f.name),
      name,
      delta,
    );
    if (!order) return Promise.resolve(false);
    this.list = order.map((n) => this.get(n)!);
    this.changed();
    return this.serial(async () => {
      try {
        // The order this move made; a later move sends its own, so nothing is lost.
        await this.backend.reorderFavourites(order);
      } catch (err) {
        this.error = `Could not reorder the favourites: ${errorMessage(err)}`;
        await this.reload();
        return false;
      }
      // No reload: the list already shows this order, and reading it back while a later
      // move waits would show the older order over it.
      if (this.error !== null) {
        this.error = null;
        this.changed();
      }
      return true;
    });
  }

  /** Opens a tab for the favourite (resolved there, as every reopen of that tab is). */
  open(name: string): void {
    this.hooks.open(name, this.get(name));
  }

  /** A request from outside the window (watch_requests). */
  handleRequest(request: AppRequest): void {
    switch (request.kind) {
      case "openFavourite":
        this.open(request.name);
        break;
      case "favouritesChanged":
        void this.load();
        break;
    }
  }

  dispose(): void {
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    this.listeners.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// View

interface Editing {
  name: string;
  input: HTMLInputElement;
  saving: boolean;
}

/** The sidebar's Favourites section: `section.favourites`, one `li.favourite` per favourite. */
export class FavouritesView {
  readonly root: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly messages: HTMLElement;
  private editing: Editing | null = null;
  private confirmDelete: string | null = null;
  private rendering = false;
  private renderQueued = false;
  private lastHighlight: string | null = null;

  constructor(private readonly model: FavouritesModel) {
    this.list = h("ul", { class: "favourite-list", "aria-label": "Favourites" });
    this.messages = h("div", { class: "favourite-messages", "aria-live": "polite" });
    this.root = h(
      "section",
      { class: "favourites" },
      h("div", { class: "section-title" }, h("span", {}, "Favourites")),
      this.messages,
      this.list,
    );
    model.onChange(() => this.scheduleRender());
    this.render();
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
    const m = this.model;
    this.rendering = true;
    try {
      // Keep the keyboard where it was across the rebuild.
      const active = document.activeElement;
      let refocus: { name: string; cls: string | null } | null = null;
      if (active instanceof HTMLElement && this.list.contains(active)) {
        const row = active.closest<HTMLElement>(".favourite");
        if (row?.dataset.favourite !== undefined) {
          const cls = active === row ? null : ([...active.classList].find((c) => c.startsWith("favourite-")) ?? null);
          refocus = { name: row.dataset.favourite, cls };
        }
      }
      const editingFocused = this.editing !== null && active === this.editing.input;

      clear(this.messages);
      if (m.error) {
        this.messages.appendChild(
          h("div", { class: "message error", role: "alert" },
            h("span", { class: "message-text" }, m.error),
            h("button", { class: "icon-button", "aria-label": "Dismiss", onclick: () => m.dismissError() }, "×")),
        );
      }

      if (this.editing && !m.get(this.editing.name)) this.editing = null;
      if (this.confirmDelete !== null && !m.get(this.confirmDelete)) this.confirmDelete = null;

      clear(this.list);
      if (m.loaded && m.list.length === 0) {
        this.list.appendChild(
          h("li", { class: "favourite-empty" }, "Star ", h("span", { class: "star-glyph", "aria-hidden": "true" }, "☆"), " a pod to keep its workload here."),
        );
      }
      const count = m.list.length;
      m.list.forEach((f, i) => this.list.appendChild(this.row(f, i, count)));

      if (editingFocused && this.editing) this.editing.input.focus();
      else if (refocus) {
        const row = this.list.querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(refocus.name)}"]`);
        const el = refocus.cls ? row?.querySelector<HTMLElement>(`.${refocus.cls}`) : row;
        if (el && !(el as HTMLButtonElement).disabled) el.focus();
        else row?.focus();
      }
      if (m.highlight !== null && m.highlight !== this.lastHighlight) {
        this.list
          .querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(m.highlight)}"]`)
          ?.scrollIntoView?.({ block: "nearest" });
      }
      this.lastHighlight = m.highlight;
    } finally {
      this.rendering = false;
    }
  }

  private row(f: FavouriteSummary, index: number, count: number): HTMLLIElement {
    const m = this.model;
    const editing = this.editing?.name === f.name ? this.editing : null;
    const confirming = this.confirmDelete === f.name;
    const name = f.name;
    const actions = confirming
      ? h(
          "span",
          { class: "confirm" },
          h("button", {
            class: "danger favourite-confirm-delete",
            onclick: () => {
              this.confirmDelete = null;
              void m.remove(name);
            },
          }, "Delete"),
          h("button", {
            class: "favourite-keep",
            onclick: () => {
              this.confirmDelete = null;
              this.render();
              this.focusRow(name);
            },
          }, "Keep"),
        )
      : editing
        ? null
        : h(
            "span",
            { class: "favourite-actions" },
            h("button", {
              class: "icon-button favourite-up",
              title: "Move up",
              "aria-label": `Move ${name} up`,
              disabled: index === 0,
              onclick: () => void m.move(name, -1),
            }, "↑"),
            h("button", {
              class: "icon-button favourite-down",
              title: "Move down",
              "aria-label": `Move ${name} down`,
              disabled: index === count - 1,
              onclick: () => void m.move(name, 1),
            }, "↓"),
            h("button", {
              class: "icon-button favourite-rename",
              title: "Rename",
              "aria-label": `Rename ${name}`,
              onclick: () => this.startRename(name),
            }, "✎"),
            h("button", {
              class: "icon-button favourite-delete",
              title: `Delete the favourite ${name}`,
              "aria-label": `Delete ${name}`,
              onclick: () => this.askDelete(name),
            }, "×"),
          );
    const li = h(
      "li",
      {
        class: `favourite${m.highlight === name ? " added" : ""}${editing ? " editing" : ""}`,
        "data-favourite": name,
        "data-kind": f.kind,
        "data-target": f.target,
        "data-profile": f.profile,
        "data-namespace": f.namespace,
        tabindex: 0,
        role: "button",
        "aria-label": `Open ${name}: ${favouriteWhere(f)}`,
        title: `Open a shell: ${favouriteDetails(f)}`,
        onclick: (e: Event) => {
          if ((e.target as HTMLElement).closest("button, input")) return;
          if (!this.editing || this.editing.name !== name) m.open(name);
        },
        onkeydown: (e: Event) => this.rowKey(e as KeyboardEvent, name),
      },
      h("span", { class: "favourite-star", "aria-hidden": "true" }, "★"),
      h(
        "div",
        { class: "favourite-main" },
        editing ? editing.input : h("span", { class: "favourite-name" }, name),
        h("span", { class: "favourite-where" }, favouriteWhere(f)),
      ),
      actions,
    );
    return li;
  }

  private rowKey(e: KeyboardEvent, name: string): void {
    if (e.target !== e.currentTarget) return; // keys in the row's buttons and input are theirs
    const m = this.model;
    switch (e.key) {
      case "Enter":
      case " ":
        e.preventDefault();
        m.open(name);
        break;
      case "F2":
        e.preventDefault();
        this.startRename(name);
        break;
      case "Delete":
        e.preventDefault();
        this.askDelete(name);
        break;
      case "ArrowUp":
      case "ArrowDown": {
        e.preventDefault();
        const delta = e.key === "ArrowUp" ? -1 : 1;
        if (e.altKey) {
          void m.move(name, delta);
        } else {
          const names = m.list.map((f) => f.name);
          const next = names[names.indexOf(name) + delta];
          if (next !== undefined) this.focusRow(next);
        }
        break;
      }
    }
  }

  private focusRow(name: string): void {
    this.list.querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(name)}"]`)?.focus();
  }

  private askDelete(name: string): void {
    this.confirmDelete = name;
    this.editing = null;
    this.render();
    this.list
      .querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(name)}"] .favourite-keep`)
      ?.focus();
  }

  /** Inline rename: Enter saves, Escape (or leaving the box) cancels. */
  startRename(name: string): void {
    const m = this.model;
    if (!m.get(name)) return;
    this.confirmDelete = null;
    const input = h("input", {
      type: "text",
      class: "favourite-rename-input",
      value: name,
      "aria-label": `New name for ${name}`,
      title: "Enter saves, Escape cancels",
      spellcheck: "false",
    });
    const editing: Editing = { name, input, saving: false };
    const cancel = () => {
      if (this.editing !== editing) return;
      this.editing = null;
      this.render();
      this.focusRow(name);
    };
    input.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape") {
        e.preventDefault();
        cancel();
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (editing.saving) return;
        editing.saving = true;
        const wanted = input.value.trim();
        void m.rename(name, input.value).then((ok) => {
          editing.saving = false;
          if (!ok || this.editing !== editing) return;
          this.editing = null;
          this.render();
          this.focusRow(wanted);
        });
      }
    });
    input.addEventListener("blur", () => {
      if (this.rendering || editing.saving) return;
      // Leaving the box cancels (after a click elsewhere has been handled).
      setTimeout(() => {
        if (this.editing === editing && document.activeElement !== input && !editing.saving) cancel();
      }, 0);
    });
    input.addEventListener("click", (e) => e.stopPropagation());
    this.editing = editing;
    this.render();
    input.focus();
    input.select();
  }

  dispose(): void {
    this.root.remove();
  }
}
