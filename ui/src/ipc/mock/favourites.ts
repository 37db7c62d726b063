// The mock's favourites, as the Rust side keeps them: a star saves the pod's owning workload (a
// ReplicaSet's Deployment, a StatefulSet, a DaemonSet; a bare pod or a Job's pod stays a fixed
// pod), named after it ("web", then "web (2)"...); resolving picks the newest Ready pod that is
// not terminating, or says which pods exist and why none is Ready, in the engine's words.
import type { FavouriteSummary, ResolvedFavourite } from "../types";
import { mockError } from "./errors";
import { mockNotReadyReason, mockPodReady, type MockCluster, type MockPod } from "./pods";
import type { MockProfiles } from "./profiles";

const WORKLOAD_KINDS = ["deployment", "statefulset", "daemonset", "replicaset"] as const;

export function copyFavourite(f: FavouriteSummary): FavouriteSummary {
  return { ...f, command: [...f.command] };
}

export class MockFavourites {
  private favourites: FavouriteSummary[] = [];

  constructor(
    private readonly cluster: MockCluster,
    private readonly profiles: MockProfiles,
  ) {}

  list(): FavouriteSummary[] {
    return this.favourites.map(copyFavourite);
  }

  /** Replaces the list (as another Podterm or the CLI would). */
  set(list: FavouriteSummary[]): void {
    this.favourites = list.map(copyFavourite);
  }

  /** A cluster renamed: its favourites follow it (as the engine's `save_profile` does). */
  renameProfile(old: string, name: string): void {
    for (const f of this.favourites) if (f.profile === old) f.profile = name;
  }

  private require(name: string): FavouriteSummary {
    const f = this.favourites.find((x) => x.name === name);
    if (!f) {
      const known = this.favourites.map((x) => x.name);
      throw mockError(
        "notFound",
        `no favourite named "${name}"; ${known.length === 0 ? "there are no favourites yet" : `the favourites are: ${known.join(", ")}`}`,
      );
    }
    return f;
  }

  private checkName(name: string): void {
    let reason: string | null = null;
    if (name.trim() === "") reason = "a favourite needs a name";
    else if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) reason = "control characters are not allowed in its name";
    if (reason) throw mockError("invalidInput", `invalid favourite ${JSON.stringify(name)}: ${reason}`);
  }

  /** `base`, else `base (2)`, `base (3)`... whichever is free. */
  private uniqueName(base: string): string {
    const taken = new Set(this.favourites.map((f) => f.name));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
  }

  add(profile: string, namespace: string, podName: string, container: string | null): FavouriteSummary {
    this.profiles.require(profile);
    const p = this.cluster.find(namespace, podName);
    if (!p) throw mockError("notFound", `pods "${podName}" not found`);
    const { kind, target } = this.cluster.targetForPod(p);
    const fav: FavouriteSummary = {
      name: this.uniqueName(target),
      profile,
      namespace,
      kind,
      target,
      container: container ? container : null,
      debug: false,
      command: [],
    };
    this.favourites.push(fav);
    return copyFavourite(fav);
  }

  /** As the engine's star on a Service: `service/NAME`, refused when it is not there or selects no pods. */
  addService(profile: string, namespace: string, service: string): FavouriteSummary {
    this.profiles.require(profile);
    const svc = this.cluster.service(namespace, service);
    if (!svc) throw mockError("notFound", `Error from server (NotFound): services "${service}" not found`);
    if (svc.selects === null) {
      throw mockError("invalidInput", `cannot attach to *v1.Service: invalid service '${service}': Service is defined without a selector`);
    }
    const fav: FavouriteSummary = { name: this.uniqueName(service), profile, namespace, kind: "service", target: service, container: null, debug: false, command: [] };
    this.favourites.push(fav);
    return copyFavourite(fav);
  }

  rename(name: string, newName: string): void {
    const wanted = newName.trim();
    const f = this.require(name);
    if (wanted === name) return;
    if (this.favourites.some((x) => x.name === wanted)) {
      throw mockError("invalidInput", `a favourite named "${wanted}" already exists: pick another name, or remove it first`);
    }
    this.checkName(wanted);
    f.name = wanted;
  }

  delete(name: string): void {
    this.require(name);
    this.favourites = this.favourites.filter((f) => f.name !== name);
  }

  reorder(names: string[]): void {
    const problems: string[] = [];
    const missing = this.favourites.map((f) => f.name).filter((n) => !names.includes(n));
    if (missing.length) problems.push(`missing ${missing.join(", ")}`);
    const unknown = names.filter((n) => !this.favourites.some((f) => f.name === n));
    if (unknown.length) problems.push(`no favourite named ${unknown.join(", ")}`);
    const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
    if (twice.length) problems.push(`named more than once: ${twice.join(", ")}`);
    if (problems.length) {
      throw mockError("invalidInput", `the new order must name every favourite exactly once: ${problems.join("; ")}`);
    }
    this.favourites = names.map((n) => this.favourites.find((f) => f.name === n)!);
  }

  resolve(name: string): ResolvedFavourite {
    const f = this.require(name);
    this.profiles.require(f.profile);
    const cluster = this.cluster;
    let chosen: MockPod;
    let unready: string | null = null;
    if (f.kind === "pod") {
      const p = cluster.find(f.namespace, f.target);
      if (!p) throw mockError("notFound", `pods "${f.target}" not found`);
      chosen = p;
    } else {
      if (f.kind === "service") {
        if (!cluster.service(f.namespace, f.target)) throw mockError("notFound", `services "${f.target}" not found`);
      } else if (!(WORKLOAD_KINDS as readonly string[]).includes(f.kind) || !cluster.workloadExists(f.namespace, f.kind, f.target)) {
        throw mockError("notFound", `${f.kind}s.apps "${f.target}" not found`);
      }
      const matching = cluster.workloadPods(f.namespace, f.kind, f.target).sort((a, b) =>
        a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.name < b.name ? -1 : 1,
      );
      // With none Ready, the newest that runs (no container waiting or ended), as the engine.
      const runs = matching.find((p) => !p.terminating && p.phase === "Running" && !cluster.reason(p));
      const ready = matching.find(mockPodReady) ?? runs;
      if (ready && !mockPodReady(ready)) {
        unready = `No Ready pod for ${f.kind}/${f.target}; using ${ready.name} (${mockNotReadyReason(ready, cluster.reason(ready))})`;
      }
      if (!ready) {
        const detail =
          matching.length === 0
            ? "no pods match"
            : matching.map((p) => `${p.name} (${mockNotReadyReason(p, cluster.reason(p))})`).join(", ");
        // The newest pod crashing as it starts, named for the tab's copy offer (as the engine).
        const crashy = matching.find((p) => /CrashLoopBackOff/.test(cluster.reason(p) ?? ""));
        const crashing = crashy ? { namespace: f.namespace, pod: crashy.name, container: crashy.defaultContainer } : null;
        const hint = crashy
          ? `pod ${crashy.name}'s container ${crashy.defaultContainer} crashes as it starts, so there is nothing to open a shell in: Debug a copy of the pod… (on this tab) makes a copy of ${crashy.name} whose container runs a shell instead, deleted when the tab closes`
          : null;
        throw mockError("notFound", `no Ready pod for ${f.kind}/${f.target} in namespace ${f.namespace}: ${detail}`, hint, crashing);
      }
      chosen = ready;
    }
    if (chosen.phase === "Succeeded" || chosen.phase === "Failed") {
      throw mockError("refused", `cannot exec into a container in a completed pod; current phase is ${chosen.phase}`);
    }
    let container = chosen.defaultContainer;
    if (f.container !== null) {
      if (!chosen.containers.includes(f.container)) {
        throw mockError(
          "notFound",
          `container ${f.container} is not valid for pod ${chosen.name} out of: ${chosen.containers.join(", ")}`,
        );
      }
      container = f.container;
    }
    return {
      name: f.name,
      profile: f.profile,
      namespace: f.namespace,
      pod: chosen.name,
      container,
      command: f.command.length > 0 ? [...f.command] : null,
      debug: f.debug,
      unready,
    };
  }
}
