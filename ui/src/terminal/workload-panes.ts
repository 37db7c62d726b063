// "Open all pods of the workload in panes (broadcast)": the pod's right-click menu entry that
// opens one tab with a pane per pod of the workload that runs it (panes.ts `podsOfWorkload`, at
// most MAX_PANES), all of them broadcasting (broadcast.ts).
import type { MenuItem } from "../menu";
import type { SidebarModel } from "../sidebar/model";
import type { SessionTarget } from "./tabs";
import { podsOfWorkload } from "./panes";

export function workloadPanesItems(model: SidebarModel, pod: string, open: (targets: SessionTarget[]) => void): MenuItem[] {
  const p = model.pods.get(pod);
  const profile = model.profile;
  if (!p?.owner || profile === null) return [];
  const pods = podsOfWorkload(model.pods.sorted(), p);
  return [
    {
      label: `Open all pods of ${p.owner.kind.toLowerCase()}/${p.owner.name} in panes (broadcast)`,
      disabled: pods.length === 0,
      run: () =>
        open(pods.map((x) => ({ profile, namespace: x.namespace || model.namespace || "", pod: x.name, container: x.defaultContainer, command: null }))),
    },
  ];
}
