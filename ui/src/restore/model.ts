// Tabs that survive a restart: what is saved of each open tab (engine side: podterm-core's
// opentabs.rs, tabs.json) and how the saved ones come back. Pure: no DOM, no IPC.
import type { PodOwner, RestoredTab, SavedTab, SavedTabs } from "../ipc/types";
import type { FavouriteRef, SessionTarget, Tab } from "../terminal/tabs";

/** What a saved tab is opened on again. */
export interface Reopen {
  target: SessionTarget;
  favourite: FavouriteRef | null;
  /** The pod is gone and nothing podterm can follow owned it: show the tab as deleted. */
  gone: boolean;
  /** Said in the tab when the pod moved: `web-1 is gone: reopened in web-2, …`. */
  note: string | null;
}

/**
 * The tabs as saved: each tab's place (for a favourite's tab its name; it is resolved again),
 * the owner of its pod when known (`ownerOf`), and the active tab's index.
 */
export function tabsToSave(
  tabs: readonly Pick<Tab, "id" | "target" | "favourite">[],
  activeId: number | null,
  ownerOf: (t: SessionTarget) => PodOwner | null,
): SavedTabs {
  const saved: SavedTab[] = tabs.map((t) => ({
    profile: t.target.profile,
    namespace: t.target.namespace,
    pod: t.target.pod,
    container: t.target.container,
    command: t.target.command ? [...t.target.command] : null,
    favourite: t.favourite?.name ?? null,
    owner: t.favourite ? null : ownerOf(t.target),
  }));
  const active = tabs.findIndex((t) => t.id === activeId);
  return { tabs: saved, active: active < 0 ? null : active };
}

/** How a restored tab reopens. */
export function reopenOf(r: RestoredTab): Reopen {
  const t = r.tab;
  return {
    target: { profile: t.profile, namespace: t.namespace, pod: t.pod, container: t.container, command: t.command ? [...t.command] : null },
    favourite: t.favourite ? { name: t.favourite } : null,
    gone: r.gone,
    note: r.movedFrom
      ? `the pod ${t.namespace}/${r.movedFrom} is gone: reopened in ${t.pod}, the newest Ready pod of its ${t.owner?.kind === "ReplicaSet" ? "Deployment" : (t.owner?.kind ?? "workload")}`
      : null,
  };
}
