// Tabs that survive a restart, wired: the open tabs are saved (by the engine, in tabs.json) a
// moment after each change once the last run's tabs are back; at start those are reopened (a
// pod replaced by a rollout in its workload's newest Ready pod, saying so; a pod gone for good
// as deleted). Each pod's owner is remembered from the pod list, for the engine to follow.
import type { FavouritesModel } from "../favourites/model";
import { errorMessage, type Backend } from "../ipc";
import type { PodOwner } from "../ipc/types";
import type { SidebarModel } from "../sidebar/model";
import type { Workspace } from "../terminal/workspace";
import { debugTabAgain, reopenOf, restoredOwners, tabsToSave } from "./model";

/** How long after a change the tabs are saved (a burst of changes saves once). */
const SAVE_DELAY_MS = 300;

/** Starts saving the tabs; returns what reopens the last run's (`restore`: call it once, at
 *  start) and what saves them now (`saveNow`: the setting turned on again, which the engine
 *  had emptied the file for). */
export function keepTabsAcrossRestarts(
  backend: Pick<Backend, "saveOpenTabs" | "restoreTabs" | "planDebug">,
  workspace: Workspace,
  sidebar: SidebarModel,
  favourites: FavouritesModel,
): { restore: () => Promise<void>; saveNow: () => void } {
  const owners = new Map<string, PodOwner>();
  const ownerKey = (t: { profile: string; namespace: string; pod: string }) => `${t.profile}\n${t.namespace}\n${t.pod}`;
  let restored = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const save = () => {
    timer = null;
    // A split tab is kept as its first pane (its anchor): the other panes are not reopened.
    const tabs = workspace.barTabs();
    for (const t of tabs) {
      const listed = sidebar.profile === t.target.profile ? sidebar.pods.get(sidebar.podRef({ namespace: t.target.namespace, name: t.target.pod })) : undefined;
      if (listed?.owner && (listed.namespace || sidebar.namespace) === t.target.namespace) owners.set(ownerKey(t.target), listed.owner);
    }
    const active = workspace.model.active;
    const saved = tabsToSave(tabs, active ? workspace.paneGroups.anchorOf(active.id) : null, (t) => owners.get(ownerKey(t)) ?? null);
    backend.saveOpenTabs(saved).catch((err: unknown) => favourites.report(`The open tabs could not be saved: ${errorMessage(err)}`));
  };
  workspace.model.onChange(() => {
    // Not before the last run's tabs are back: that would save an empty list over them.
    if (restored && timer === null) timer = setTimeout(save, SAVE_DELAY_MS);
  });

  const saveNow = () => {
    // Not before the last run's tabs are back (see above).
    if (restored) save();
  };
  const restore = async () => {
    try {
      const last = await backend.restoreTabs();
      const agains = last.tabs.map(reopenOf);
      // Every debug tab's look at its pod at once, each bounded (DEBUG_PLAN_WAIT_MS): tabs after
      // a debug tab of an unreachable cluster do not wait for its timeout one by one.
      const targets = await Promise.all(
        agains.map((a) =>
          a.view === "terminal" && !a.favourite
            ? debugTabAgain(a.target, (t, image) => backend.planDebug(t.profile, t.namespace, t.pod, t.container, image))
            : Promise.resolve(a.target),
        ),
      );
      // What each tab followed stays known, listed in the sidebar or not.
      for (const [t, owner] of restoredOwners(last.tabs, agains.map((a, i) => targets[i] ?? a.target))) owners.set(ownerKey(t), owner);
      const opened: number[] = [];
      for (const [i, again] of agains.entries()) {
        const tab =
          again.view !== "terminal"
            ? workspace.openLogs(again.target, again.view === "workloadLogs")
            : again.favourite
              ? workspace.openFavourite(again.favourite.name, favourites.get(again.favourite.name))
              : workspace.open(targets[i] ?? again.target);
        opened.push(tab.id);
        // A "no" at start to a production tab's question keeps it, cancelled: closed, the next
        // save would drop it for good.
        workspace.keepIfDeclined(tab.id);
        if (again.gone) workspace.podGone(again.target.profile, again.target.namespace, again.target.pod);
        if (again.note) workspace.notice(tab.id, again.note);
      }
      const active = last.active === null ? undefined : opened[last.active];
      if (active !== undefined) workspace.activate(active);
      // A tab of the Demo cluster starts it: its profiles are listed from then on.
      if (last.tabs.some((r) => !sidebar.profiles.some((p) => p.name === r.tab.profile))) await sidebar.loadProfiles();
    } catch (err) {
      favourites.report(`The last run's tabs could not be reopened: ${errorMessage(err)}`);
    } finally {
      restored = true;
      save();
    }
  };
  return { restore, saveNow };
}
