// Tabs that survive a restart: what is saved of each open tab (engine side: podterm-core's
// opentabs.rs, tabs.json) and how the saved ones come back. Pure: no DOM, no IPC.
import type { DebugPlan, PodOwner, RestoredTab, SavedTab, SavedTabs, TabView } from "../ipc/types";
import { nodeOf } from "../terminal/node-shell";
import { debugTarget } from "../terminal/debug";
import type { FavouriteRef, SessionTarget, Tab } from "../terminal/tabs";

/** What a saved tab is opened on again. */
export interface Reopen {
  target: SessionTarget;
  favourite: FavouriteRef | null;
  /** The pod is gone and nothing podterm can follow owned it: show the tab as deleted. */
  gone: boolean;
  /** Said in the tab when the pod moved: `web-1 is gone: reopened in web-2, …`. */
  note: string | null;
  /** A terminal, or a Logs view (of the pod's container, or of its workload): never a shell
   *  where a Logs view was. */
  view: TabView;
}

/**
 * The tabs as saved: each tab's place (for a favourite's tab its name; it is resolved again),
 * what it shows (a terminal, a debug container's terminal, a Logs view), the owner of its pod
 * when known (`ownerOf`), and the active tab's index.
 */
export function tabsToSave(
  tabs: readonly (Pick<Tab, "id" | "target" | "favourite"> & Partial<Pick<Tab, "kind" | "workload">>)[],
  activeId: number | null,
  ownerOf: (t: SessionTarget) => PodOwner | null,
): SavedTabs {
  // A shell on a node is not kept: its pod goes with its tab (reopened, it would be no pod).
  const kept = tabs.filter((t) => nodeOf(t.target) === null);
  const saved: SavedTab[] = kept.map((t) => ({
    profile: t.target.profile,
    namespace: t.target.namespace,
    pod: t.target.pod,
    container: t.target.container,
    command: t.target.command ? [...t.target.command] : null,
    favourite: t.favourite?.name ?? null,
    owner: t.favourite ? null : ownerOf(t.target),
    view: t.kind === "logs" ? (t.workload ? "workloadLogs" : "logs") : "terminal",
    debug: t.target.debug ? { ...t.target.debug } : null,
    ephemeral: t.target.ephemeral === true,
  }));
  const active = kept.findIndex((t) => t.id === activeId);
  return { tabs: saved, active: active < 0 ? null : active };
}

/** How a restored tab reopens. */
/**
 * The owners the last run saved, by where each tab reopens (`opened[i]` is tab `i`'s target):
 * kept for the next save, so a tab whose pod the sidebar does not list (another cluster or
 * namespace) still follows its workload after the next restart.
 */
export function restoredOwners(tabs: readonly RestoredTab[], opened: readonly SessionTarget[]): [SessionTarget, PodOwner][] {
  const out: [SessionTarget, PodOwner][] = [];
  tabs.forEach((r, i) => {
    const at = opened[i];
    if (r.tab.owner && at) out.push([at, r.tab.owner]);
  });
  return out;
}

export function reopenOf(r: RestoredTab): Reopen {
  const t = r.tab;
  return {
    target: {
      profile: t.profile,
      namespace: t.namespace,
      pod: t.pod,
      container: t.container,
      command: t.command ? [...t.command] : null,
      ...(t.debug ? { debug: { ...t.debug } } : {}),
      ...(t.ephemeral ? { ephemeral: true } : {}),
    },
    view: t.view,
    favourite: t.favourite ? { name: t.favourite } : null,
    gone: r.gone,
    note: r.movedFrom
      ? `the pod ${t.namespace}/${r.movedFrom} is gone: reopened in ${t.pod}, the newest Ready pod of its ${t.owner?.kind === "ReplicaSet" ? "Deployment" : (t.owner?.kind ?? "workload")}`
      : null,
  };
}

/**
 * How long reopening waits for a debug tab's look at its pod (the restore waits for every debug
 * tab's at once). An unreachable cluster answers only at the request's timeout (30 s): the tabs
 * would open that much later. Past it the tab reopens on its target container, whose tab offers
 * the debug container again (reusing the one that runs).
 */
export const DEBUG_PLAN_WAIT_MS = 4000;

/**
 * Where a reopened debug tab's shell runs: in its debug container only while that still runs
 * (`plan` reuses it). An ephemeral container cannot be removed, so a new one is added only after
 * the user's yes: otherwise (or when the plan fails, or gives no answer within `waitMs`) the tab
 * reopens on the target container, whose tab offers the debug container as any tab without a
 * shell does.
 */
export async function debugTabAgain(
  target: SessionTarget,
  plan: (target: SessionTarget, image: string) => Promise<DebugPlan>,
  waitMs = DEBUG_PLAN_WAIT_MS,
): Promise<SessionTarget> {
  const { debug, ...plain } = target;
  if (!debug) return target;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  try {
    const p = await Promise.race([plan(plain, debug.image), late]);
    return p?.reuse ? debugTarget(plain, p) : plain;
  } catch {
    return plain;
  } finally {
    clearTimeout(timer);
  }
}
