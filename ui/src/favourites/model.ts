// Favourites: workloads saved from a pod's star, one click from a shell.
//
// A star on a pod saves the workload that runs it (the backend follows the pod's owner: a
// Deployment's pod saves the Deployment), so the favourite survives rollouts. Opening one resolves
// it to the newest Ready pod at that moment, then opens a session there as a pod click does; the
// tab remembers the favourite and resolves it again on every reopen.
//
// `FavouritesModel` (here) holds the list and talks to the backend (testable with a fake backend, no
// DOM); `FavouritesView` (`view.ts`) is the sidebar's Favourites section.
import { crashingOf, errorMessage, type Backend } from "../ipc";
import type { AppRequest, FavouriteSummary } from "../ipc/types";
import { currentDebugImage } from "../terminal/debug";
import type { SessionTarget, TabModel } from "../terminal/tabs";
import { movedOrder } from "./favourite";

/**
 * The first step of an attempt of a favourite's tab: resolve the favourite to the pod it means
 * now. Returns the target to open, or null when there is nothing to open (the resolve failed, and
 * the tab says so; or the tab was closed or reopened meanwhile). A tab without a favourite keeps
 * its target. `unready` is told the backend's note when no pod of the workload was Ready and one
 * that runs, not Ready, was taken (its readiness probe fails: what one opens a shell to look at).
 */
export async function resolveForTab(
  backend: Pick<Backend, "resolveFavourite">,
  tabs: TabModel,
  tabId: number,
  attempt: number,
  unready?: (note: string) => void,
): Promise<SessionTarget | null> {
  const tab = tabs.get(tabId);
  if (!tab) return null;
  if (!tab.favourite) return tab.target;
  let target: SessionTarget;
  let note: string | null;
  try {
    const r = await backend.resolveFavourite(tab.favourite.name);
    note = r.unready;
    target = { profile: r.profile, namespace: r.namespace, pod: r.pod, container: r.container, command: r.command };
    // A debug favourite: our debug container beside the container (the name is the engine's).
    if (r.debug) target.debug = { image: currentDebugImage(), name: "" };
  } catch (err) {
    tabs.resolveFailed(tabId, attempt, errorMessage(err), crashingOf(err));
    return null;
  }
  if (!tabs.resolved(tabId, attempt, target)) return null;
  if (note !== null) unready?.(note);
  return target;
}

export interface FavouritesHooks {
  /** Open a tab for the favourite `name` (`summary`: the list's entry, when it is known). */
  open(name: string, summary: FavouriteSummary | undefined): void;
  /** A favourite was renamed here: tabs opened from it follow. */
  renamed?(from: string, to: string): void;
  /** The pointer or the keyboard is on a favourite: a tab is likely to open next. */
  likely?(): void;
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

  /** Saves Service `service` as a favourite (`service/NAME`: a shell in a pod it selects), highlighted. */
  addService(profile: string, namespace: string, service: string): Promise<FavouriteSummary> {
    return this.serial(async () => {
      const f = await this.backend.addServiceFavourite(profile, namespace, service);
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

  /** The pointer or the keyboard reached a favourite's row (it may be opened next). */
  approached(): void {
    this.hooks.likely?.();
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
