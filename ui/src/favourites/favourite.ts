// What the sidebar and the tabs say about a favourite, its order, and which pods are its
// (pure: no DOM, no IPC).
import type { FavouriteSummary, PodSummary } from "../ipc/types";
import type { SessionTarget } from "../terminal/tabs";

/** What a favourite points at: `deployment/web`, `pod/shell`. */
export function favouriteTarget(f: Pick<FavouriteSummary, "kind" | "target">): string {
  return `${f.kind}/${f.target}`;
}

/** The dim line under a favourite's name: `profile · namespace · deployment/web`. */
export function favouriteWhere(f: FavouriteSummary): string {
  return `${f.profile} · ${f.namespace} · ${favouriteTarget(f)}${f.debug ? " · debug" : ""}`;
}

/** Everything about a favourite, for its tooltip. */
export function favouriteDetails(f: FavouriteSummary): string {
  const parts = [`${favouriteTarget(f)} in ${f.namespace} (${f.profile})`];
  parts.push(f.container ? `container ${f.container}` : "the default container");
  if (f.command.length > 0) parts.push(`runs ${f.command.join(" ")}`);
  if (f.debug) parts.push("opens in a debug container beside it (its image has no shell)");
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

/**
 * Whether `pod` (in `profile`/`namespace`) is one of `f`'s, from the pod's owner (its controller
 * ownerReference): a StatefulSet's, DaemonSet's, ReplicaSet's or Job's pod names it; a Deployment's pod
 * names the ReplicaSet the Deployment made, `TARGET-<pod-template-hash>`. A hint for the star
 * only: resolving a favourite asks the cluster. Never guessed from the pod's own name.
 */
export function podOwnedBy(f: FavouriteSummary, profile: string, namespace: string, pod: PodSummary): boolean {
  if (f.profile !== profile || f.namespace !== namespace) return false;
  if (f.kind === "pod") return pod.name === f.target;
  const owner = pod.owner;
  if (owner === null) return false;
  switch (f.kind) {
    case "statefulset":
      return owner.kind === "StatefulSet" && owner.name === f.target;
    case "daemonset":
      return owner.kind === "DaemonSet" && owner.name === f.target;
    case "replicaset":
      return owner.kind === "ReplicaSet" && owner.name === f.target;
    case "job":
      return owner.kind === "Job" && owner.name === f.target;
    case "deployment":
      return owner.kind === "ReplicaSet" && deploymentOfReplicaSet(owner.name, f.target);
    default:
      return false;
  }
}

/** Whether `replicaSet` is named as Deployment `deployment`'s ReplicaSets are: `NAME-<hash>`. */
function deploymentOfReplicaSet(replicaSet: string, deployment: string): boolean {
  if (!replicaSet.startsWith(`${deployment}-`)) return false;
  return /^[a-z0-9]{1,10}$/.test(replicaSet.slice(deployment.length + 1));
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
