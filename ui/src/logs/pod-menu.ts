// The pod's right-click menu in the sidebar (and the `L` key on a pod): its shell, its Logs view,
// its name copied.
// Entries of other features join the list returned here.
import { writeClipboard } from "../clipboard";
import type { MenuItem } from "../menu";
import type { SidebarModel } from "../sidebar/model";
import type { SessionTarget } from "../terminal/tabs";

/** Where a listed pod's Logs view reads: its default container, in its own namespace (`pod` is the
 *  list's key: `namespace/name` when every namespace is shown). */
export function logsTarget(model: SidebarModel, pod: string): SessionTarget | null {
  const p = model.pods.get(pod);
  if (!p || model.profile === null || model.namespace === null) return null;
  return { profile: model.profile, namespace: p.namespace || model.namespace, pod: p.name, container: p.defaultContainer, command: null };
}

export function podMenuItems(model: SidebarModel, pod: string, openLogs: (t: SessionTarget, workload: boolean) => void): MenuItem[] {
  const target = logsTarget(model, pod);
  const owner = model.pods.get(pod)?.owner ?? null;
  const name = model.pods.get(pod)?.name ?? null;
  const items: MenuItem[] = [
    { label: "Open shell", run: () => void model.openDefault(pod) },
    { label: "Logs and events", keys: "L", disabled: target === null, run: () => target && openLogs(target, false) },
    {
      label: "Copy name",
      disabled: name === null,
      run: () => {
        if (name === null) return;
        writeClipboard(name).then(
          () => model.say(`Copied ${name}`),
          () => model.say(`Could not copy: the clipboard is not available (the pod is ${name})`),
        );
      },
    },
  ];
  // Every pod of the Deployment (StatefulSet …) that runs it, followed across rollouts.
  if (owner) {
    items.push({ label: "Logs of the workload", disabled: target === null, run: () => target && openLogs(target, true) });
  }
  return items;
}
