// A shell on a node (`kubectl debug node/NODE`): the pod's right-click menu offers "Shell on its
// node (NODE)…"; after asking once, a new tab opens a shell in a debugging pod the engine makes on
// that node (the node's network, processes and IPC; its root filesystem at /host), from the Debug
// image setting. The pod belongs to its tab as a pod copy does (terminal/copy.ts): its target is
// a copy of `node/NODE`, and closing the tab deletes it.
import type { MenuItem } from "../menu";
import type { CopyPlan } from "../ipc/types";
import type { SidebarModel } from "../sidebar/model";
import { askOffer, type DebugOffer } from "./debug";
import type { SessionTarget } from "./tabs";

/** The node a target's shell runs on, when it is a shell on a node (else null). */
export function nodeOf(target: SessionTarget): string | null {
  return target.copy && target.pod.startsWith("node/") ? target.pod.slice("node/".length) : null;
}

/** The pod menu's entry, for a pod placed on a node: `open` plans and asks. */
export function nodeShellItems(model: SidebarModel, pod: string, open: (profile: string, namespace: string, node: string) => void): MenuItem[] {
  const p = model.pods.get(pod);
  const profile = model.profile;
  if (!p || profile === null) return [];
  const node = p.node;
  return [
    {
      label: node ? `Shell on its node (${node})…` : "Shell on its node… (not scheduled yet)",
      disabled: !node,
      run: () => node && open(profile, p.namespace || model.namespace || "", node),
    },
  ];
}

/** What is wrong with `ns` as the namespace to make the pod in (null: nothing): a DNS label. */
export function namespaceProblem(ns: string): string | null {
  if (ns === "") return "Name the namespace to make the pod in";
  if (ns.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
    return `"${ns.slice(0, 80)}" is not a namespace's name: lowercase letters, digits and '-', at most 63, beginning and ending with a letter or digit`;
  }
  return null;
}

/** What the dialog says before the debugging pod is made; its namespace may be changed there. */
export function nodeOffer(plan: CopyPlan): DebugOffer {
  const node = plan.pod.slice("node/".length);
  return {
    title: `Open a shell on node ${node}?`,
    facts: [
      ["Node", node],
      ["Image", `${plan.image} (the Debug image setting: the shell comes from it)`],
      ["Namespace", plan.namespace],
      ["Pod", plan.name],
      ["Sees", "the node's network, processes and IPC; its files at /host (chroot /host runs the node's own programs)"],
    ],
    warning:
      "A pod is made on the node, as kubectl debug node/" +
      node +
      " makes it: it needs the right to create pods in that namespace, and a namespace that enforces Pod Security (baseline or restricted) refuses its host access: choose one that allows it. " +
      "Podterm deletes it when this tab closes, and when Podterm quits with the tab open (should Podterm be killed, its next start offers to delete it).",
    confirm: "Make the pod and open a shell",
    edit: { fact: "Namespace", value: plan.namespace, check: namespaceProblem },
  };
}

/** The tab's target: a shell in the planned debugging pod on the node, in `namespace` (the plan's unless changed). */
export function nodeTarget(profile: string, plan: CopyPlan, namespace: string = plan.namespace): SessionTarget {
  return {
    profile,
    namespace,
    pod: plan.pod,
    container: plan.container,
    command: null,
    copy: { name: plan.name, image: plan.image },
  };
}

/** Asks once: `onConfirm` runs with the namespace chosen when the user agrees; `plan` null: `error` says why not. */
export function askNodeShell(plan: CopyPlan | null, onConfirm: (namespace: string) => void, error?: string): HTMLDialogElement {
  return askOffer(
    { className: "node-offer", label: "Open a shell on the node", refused: "Cannot open a shell on this node", unchanged: "" },
    plan ? nodeOffer(plan) : null,
    (namespace) => onConfirm(namespace ?? plan?.namespace ?? ""),
    error,
  );
}

/** A node tab's tooltip line. */
export function nodeDescription(target: SessionTarget): string | null {
  const node = nodeOf(target);
  return node && target.copy ? `a shell on node ${node} (pod ${target.copy.name}, image ${target.copy.image ?? "the debug image"}); deleted when the tab closes` : null;
}
