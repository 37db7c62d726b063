// The pods quick open searches beyond the sidebar's list: every namespace of the current
// cluster, through a watch of all pods kept while the box is open (stopped when it closes).
// Listing pods at the cluster scope may be forbidden: then the box says so, and `namespace/pod`
// typed whole still opens a pod one may only exec into.
import { errorMessage, type Backend } from "../ipc";
import { PodList } from "../sidebar/pods";
import type { PodSummary } from "../ipc/types";

export class ClusterPods {
  private readonly list = new PodList();
  private watchId: number | null = null;
  private stopped = false;
  /** Why pods of other namespaces are not offered, or not all (null: they are, or not asked yet). */
  note: string | null = null;

  constructor(
    private readonly backend: Pick<Backend, "watchAllPods" | "stopWatch">,
    profile: string,
    private readonly onChange: () => void,
  ) {
    backend
      .watchAllPods(
        profile,
        (events) => {
          if (this.stopped) return;
          let changed = false;
          for (const e of events) changed = this.list.apply(e) || changed;
          if (changed) this.onChange();
        },
        (status) => {
          if (this.stopped || status.kind !== "capped") return;
          this.note = `Only ${status.limit.toLocaleString("en-US")} pods of ${profile} are searched, the most a list holds. Type namespace/pod to open another by name.`;
          this.onChange();
        },
      )
      .then(
        (id) => {
          if (this.stopped) backend.stopWatch(id).catch(() => {});
          else this.watchId = id;
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.note = `Pods of other namespaces in ${profile} cannot be listed (${errorMessage(err)}). Type namespace/pod to open one by name.`;
          this.onChange();
        },
      );
  }

  /** The pods seen so far, with `also` (the sidebar's list) first; each pod once. */
  pods(also: readonly PodSummary[]): PodSummary[] {
    const seen = new Set(also.map((p) => `${p.namespace}/${p.name}`));
    return [...also, ...this.list.sorted().filter((p) => !seen.has(`${p.namespace}/${p.name}`))];
  }

  stop(): void {
    this.stopped = true;
    if (this.watchId !== null) this.backend.stopWatch(this.watchId).catch(() => {});
    this.watchId = null;
  }
}
