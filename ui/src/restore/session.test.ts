import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakePage } from "../fake-dom";
import type { Backend, RestoredTab, SavedTab, SavedTabs } from "../ipc";
import type { FavouritesModel } from "../favourites/model";
import type { SidebarModel } from "../sidebar/model";
import { ProductionGate } from "../terminal/production";
import { podtermHook } from "../terminal/view";
import { Workspace } from "../terminal/workspace";
import { keepTabsAcrossRestarts } from "./session";

// xterm.js needs a real page: each tab's terminal is a stand-in that keeps the lines Podterm
// writes in it (its notices).
vi.mock("../terminal/view", () => {
  const hook = { terminals: new Map(), logs: new Map(), splits: new Map(), transports: new Map(), painters: new Map(), selections: new Map() };
  class TerminalView {
    readonly notices: string[] = [];
    readonly term = { cols: 80, rows: 24, notices: this.notices, write: () => {}, focus: () => {} };
    readonly painter = {};
    readonly selectionRedraws = {};
    fit(): void {}
    focus(): void {}
    notice(text: string): void {
      this.notices.push(text);
    }
    dispose(): void {}
  }
  return { podtermHook: () => hook, TerminalView };
});

/** A saved terminal tab (no debug container), of a favourite when `favourite` is given. */
function saved(profile: string, pod: string, favourite: string | null = null): RestoredTab {
  const tab: SavedTab = { profile, namespace: "default", pod, container: "", command: null, favourite, owner: null, view: "terminal", debug: null, ephemeral: false };
  return { tab, movedFrom: null, gone: false };
}

/**
 * The workspace with the production question (every profile named prod… is production; the
 * test answers each question asked), and the last run's `tabs` to restore.
 */
function app(tabs: RestoredTab[]) {
  const asked: ((yes: boolean) => void)[] = [];
  const gate = new ProductionGate(
    (profile) => profile.startsWith("prod"),
    () => new Promise<boolean>((resolve) => asked.push(resolve)),
  );
  const saves: SavedTabs[] = [];
  const backend = {
    kind: "mock",
    closeSession: () => Promise.resolve(),
    pageSocket: () => new Promise(() => {}),
    planDebug: () => new Promise(() => {}),
    restoreTabs: () => Promise.resolve({ tabs, active: null }),
    // Every favourite leads to the pod web-3 of prod-eu.
    resolveFavourite: (name: string) => Promise.resolve({ name, profile: "prod-eu", namespace: "default", pod: "web-3", container: "", command: null, debug: false, unready: null }),
    saveOpenTabs: (s: SavedTabs) => {
      saves.push(s);
      return Promise.resolve();
    },
  } as unknown as Backend;
  const workspace = new Workspace(backend, document.body as unknown as HTMLElement, { production: gate });
  const sidebar = { profile: null, pods: new Map(), profiles: tabs.map((r) => ({ name: r.tab.profile })), loadProfiles: () => Promise.resolve() } as unknown as SidebarModel;
  const reported: string[] = [];
  const favourites = { get: () => undefined, report: (m: string) => reported.push(m) } as unknown as FavouritesModel;
  const { restore } = keepTabsAcrossRestarts(backend, workspace, sidebar, favourites);
  const notices = (tabId: number) => (podtermHook().terminals.get(tabId) as unknown as { notices: string[] }).notices;
  /** The user's answer to the question on screen (the last asked). */
  const answer = async (yes: boolean) => {
    asked.at(-1)!(yes);
    // Every tab waiting on the question hears the answer.
    await vi.advanceTimersByTimeAsync(0);
  };
  return { workspace, restore, asked, answer, saves, notices, reported };
}

describe("restored tabs and the production question", () => {
  beforeEach(() => {
    fakePage();
    const listen = { addEventListener: () => {}, removeEventListener: () => {} };
    vi.stubGlobal("window", listen);
    Object.assign(document, listen);
    vi.stubGlobal("ResizeObserver", class { observe(): void {} });
    vi.stubGlobal("localStorage", undefined);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("a Cancel at start keeps the restored production tabs, saved, and Reconnect asks again", async () => {
    const { workspace, restore, asked, answer, saves, notices, reported } = app([saved("prod-eu", "web-1"), saved("dev", "tools"), saved("prod-eu", "db-0"), saved("prod-eu", "web-2", "web")]);
    await restore();
    await vi.advanceTimersByTimeAsync(0); // the favourite resolved
    // One question for the production tabs (the favourite's too); the other tab opens at once.
    expect(asked).toHaveLength(1);
    await answer(false);
    const tabs = workspace.model.list();
    expect(tabs.map((t) => [t.target.profile, t.target.pod, t.status.kind])).toEqual([
      ["prod-eu", "web-1", "lost"],
      ["dev", "tools", "connecting"],
      ["prod-eu", "db-0", "lost"],
      ["prod-eu", "web-3", "lost"],
    ]);
    expect(tabs[3]?.favourite?.name).toBe("web");
    const prod = tabs[0]!;
    expect(prod.status).toMatchObject({ cancelled: true, beforeConnect: true });
    expect(notices(prod.id)).toEqual(["not opened: prod-eu is a production cluster and its question was cancelled; Reconnect asks again"]);
    // Still saved with the others: the next start reopens them.
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves.at(-1)?.tabs.map((t) => t.pod)).toEqual(["web-1", "tools", "db-0", "web-3"]);
    expect(saves.at(-1)?.tabs[3]?.favourite).toBe("web");
    expect(reported).toEqual([]);

    // Reconnect asks again (a "no" is not remembered); a second "no" keeps it as it is.
    workspace.reopen(prod.id);
    expect(workspace.model.get(prod.id)?.status.kind).toBe("connecting");
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toHaveLength(2);
    await answer(false);
    expect(workspace.model.get(prod.id)?.status).toMatchObject({ kind: "lost", cancelled: true });
    expect(workspace.model.list()).toHaveLength(4);
  });

  it("a tab opened by hand and declined still closes, beside restored ones that stay", async () => {
    const { workspace, restore, asked, answer, notices } = app([saved("prod-eu", "web-1")]);
    await restore();
    const byHand = workspace.open({ profile: "prod-eu", namespace: "default", pod: "api-0", container: "", command: null });
    expect(asked).toHaveLength(1);
    await answer(false);
    expect(workspace.model.get(byHand.id)).toBeUndefined();
    expect(workspace.model.list().map((t) => t.target.pod)).toEqual(["web-1"]);
    expect(notices(workspace.model.list()[0]!.id)).toHaveLength(1);
  });

  it("a restored tab's line shows its profile's name escaped, as the question does", async () => {
    const { workspace, restore, answer, notices } = app([saved("prod\x1b[2Jeu", "web-1")]);
    await restore();
    await answer(false);
    const [tab] = workspace.model.list();
    expect(notices(tab!.id)[0]).toMatch(/^not opened: prod\\u\{1b\}\[2Jeu is a production cluster/);
  });
});
