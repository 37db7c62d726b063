// Debugging a copy of a pod whose container crashes as it starts (CrashLoopBackOff), or of a pod
// that has completed (a Job's): nothing runs in it to open a shell in, and an ephemeral
// container beside it sees no process (or never starts). The tab
// that could not start offers "Debug a copy of the pod…": after asking once, a new tab opens a
// shell in a copy of the pod whose container runs a shell instead of its command (what
// `kubectl debug POD --copy-to=NAME -c CONTAINER -- sh` makes). The copy belongs to its tab:
// closing the tab deletes it (and the app deletes the ones still open when it quits).
import type { CopyPlan } from "../ipc/types";
import { askOffer, type DebugOffer } from "./debug";
import type { SessionTarget } from "./tabs";

/** What the dialog says before the copy is made. */
export function copyOffer(plan: CopyPlan): DebugOffer {
  return {
    title: `Debug a copy of ${plan.pod}?`,
    facts: [
      ["Pod", `${plan.namespace}/${plan.pod}`],
      ["Container", `${plan.container} runs a shell instead of its command`],
      ["Image", `${plan.image || "the container's"} (the shell comes from it: sh must be in the image)`],
      ["Copy", plan.name],
    ],
    warning:
      "A new pod is made in the cluster, with the original's spec but no labels (no Service sends it traffic), no probes and no node. " +
      "Podterm deletes it when this tab closes, and when Podterm quits with the tab open (should Podterm be killed, its next start offers to delete it).",
    confirm: "Make the copy and open a shell",
  };
}

/** The copy tab's target: a shell in the planned copy of the pod. */
export function copyTarget(from: SessionTarget, plan: CopyPlan): SessionTarget {
  return {
    profile: from.profile,
    namespace: plan.namespace,
    pod: plan.pod,
    container: plan.container,
    command: null,
    copy: { name: plan.name },
  };
}

/** Asks once: `onConfirm` runs when the user agrees; `plan` null: `error` says why not. */
export function askCopy(plan: CopyPlan | null, onConfirm: () => void, error?: string): HTMLDialogElement {
  return askOffer(
    { className: "copy-offer", label: "Debug a copy of the pod", refused: "Cannot copy this pod", unchanged: "" },
    plan ? copyOffer(plan) : null,
    onConfirm,
    error,
  );
}

/** A copy tab's tooltip line. */
export function copyDescription(target: SessionTarget): string | null {
  return target.copy ? `a copy of ${target.pod} (pod ${target.copy.name}), ${target.container || "its container"} running a shell; deleted when the tab closes` : null;
}

/** A closed copy tab whose copy could not be deleted: says so, and how to delete it by hand. */
export function copyNotDeleted(target: SessionTarget, reason: string): HTMLDialogElement | null {
  if (!target.copy) return null;
  return askOffer(
    { className: "copy-offer", label: "The copy was not deleted", refused: `The copy ${target.copy.name} was not deleted`, unchanged: "" },
    null,
    () => {},
    `${reason}. It stays in ${target.namespace} until deleted (kubectl delete pod -n ${target.namespace} ${target.copy.name}).`,
  );
}
