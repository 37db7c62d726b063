// The mock's favourites answer as the Rust side does (src-tauri over podterm_core::favourites).
import { describe, expect, it } from "vitest";
import type { AppRequest, FavouriteSummary } from "../types";
import { createMock } from ".";

/** The error a command rejects with (no hint). */
const appError = (kind: string, message: string) => ({ kind, message, hint: null, crashing: null });

function fav(name: string): FavouriteSummary {
  return { name, profile: "demo", namespace: "demo", kind: "deployment", target: name, container: null, command: [], debug: false };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("mock favourites (as the Rust side answers)", () => {
  it("resolves to the newest Ready pod, follows a rollout, and says why none is Ready", async () => {
    const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
    const web = await backend.addFavourite("demo", "demo", "web-7c9d6b5f4-kx2lp", null);
    expect(web).toMatchObject({ name: "web", kind: "deployment", target: "web", container: null, command: [] });
    // The newest of the two web pods.
    expect(await backend.resolveFavourite("web")).toEqual({
      name: "web",
      profile: "demo",
      namespace: "demo",
      pod: "web-7c9d6b5f4-q8z7m",
      container: "nginx",
      command: null,
      debug: false,
      unready: null,
    });
    const fresh = controls.rollout("demo", "web");
    expect(fresh).toHaveLength(2);
    expect((await backend.resolveFavourite("web")).pod).toBe(fresh[0]);
    // None Ready, one running (its readiness probe fails): that one, said.
    controls.modifyPod("demo", fresh[0]!, { ready: "1/2" });
    controls.modifyPod("demo", fresh[1]!, { ready: "0/2" });
    expect(await backend.resolveFavourite("web")).toMatchObject({
      pod: fresh[0],
      unready: `No Ready pod for deployment/web; using ${fresh[0]} (not Ready)`,
    });
    controls.modifyPod("demo", fresh[0]!, { phase: "Pending", ready: "0/2", reason: "ContainerCreating" });
    controls.modifyPod("demo", fresh[1]!, { terminating: true });
    await expect(backend.resolveFavourite("web")).rejects.toEqual(
      appError("notFound", `no Ready pod for deployment/web in namespace demo: ${fresh[0]} (Pending: ContainerCreating), ${fresh[1]} (terminating)`),
    );
    // A bare pod is itself; a Job's pod too; a chosen container must exist.
    const crashy = await backend.addFavourite("demo", "demo", "crashy", "app");
    expect(crashy).toMatchObject({ kind: "pod", target: "crashy", container: "app" });
    expect((await backend.resolveFavourite("crashy")).pod).toBe("crashy");
    const job = await backend.addFavourite("demo", "demo", "migrate-28493115-x7kq2", null);
    expect(job).toMatchObject({ kind: "pod", target: "migrate-28493115-x7kq2" });
    await expect(backend.resolveFavourite(job.name)).rejects.toEqual(
      appError("refused", "cannot exec into a container in a completed pod; current phase is Succeeded"),
    );
    controls.addPod({ name: "api-5c8f7d9b4-m2x9p", owner: { kind: "ReplicaSet", name: "api-5c8f7d9b4" }, deployment: "api", phase: "Pending", ready: "0/1", reason: "ContainerCreating" });
    await backend.addFavourite("demo", "demo", "api-5c8f7d9b4-m2x9p", null);
    await expect(backend.resolveFavourite("api")).rejects.toEqual(
      appError("notFound", "no Ready pod for deployment/api in namespace demo: api-5c8f7d9b4-m2x9p (Pending: ContainerCreating)"),
    );
    controls.deletePod("demo", "api-5c8f7d9b4-m2x9p");
    await expect(backend.resolveFavourite("api")).rejects.toEqual(
      appError("notFound", "no Ready pod for deployment/api in namespace demo: no pods match"),
    );
    await expect(backend.resolveFavourite("nope")).rejects.toEqual(
      appError("notFound", 'no favourite named "nope"; the favourites are: web, crashy, migrate-28493115-x7kq2, api'),
    );
  });

  it("renames, deletes and reorders with the store's checks", async () => {
    const { backend } = createMock({ withDemo: true, liveUpdates: false });
    await expect(backend.deleteFavourite("x")).rejects.toEqual(
      appError("notFound", 'no favourite named "x"; there are no favourites yet'),
    );
    await backend.addFavourite("demo", "demo", "db-0", null);
    await backend.addFavourite("demo", "demo", "shell", null);
    await expect(backend.renameFavourite("db", "shell")).rejects.toEqual(
      appError("invalidInput", 'a favourite named "shell" already exists: pick another name, or remove it first'),
    );
    await expect(backend.renameFavourite("db", "  ")).rejects.toEqual(
      appError("invalidInput", 'invalid favourite "": a favourite needs a name'),
    );
    await backend.renameFavourite("db", " postgres ");
    await expect(backend.reorderFavourites(["shell"])).rejects.toEqual(
      appError("invalidInput", "the new order must name every favourite exactly once: missing postgres"),
    );
    await expect(backend.reorderFavourites(["shell", "shell", "x"])).rejects.toEqual(
      appError("invalidInput", "the new order must name every favourite exactly once: missing postgres; no favourite named x; named more than once: shell"),
    );
    await backend.reorderFavourites(["shell", "postgres"]);
    expect((await backend.listFavourites()).map((f) => f.name)).toEqual(["shell", "postgres"]);
    await backend.deleteFavourite("shell");
    expect((await backend.listFavourites()).map((f) => f.name)).toEqual(["postgres"]);
  });

  it("holds open requests until the UI listens, then sends them in order", async () => {
    const { backend, controls } = createMock({ withDemo: true, liveUpdates: false });
    controls.requestOpen("a");
    controls.requestFavouritesChanged(); // not held: a UI that starts listening reads the list anyway
    controls.requestOpen("b");
    expect(controls.listening()).toBe(false);
    const got: AppRequest[] = [];
    await backend.watchRequests((r) => got.push(r));
    controls.requestOpen("c");
    await flush();
    expect(got).toEqual([
      { kind: "openFavourite", name: "a" },
      { kind: "openFavourite", name: "b" },
      { kind: "openFavourite", name: "c" },
    ]);
    controls.setFavourites([fav("x")]);
    await flush();
    expect(got.at(-1)).toEqual({ kind: "favouritesChanged" });
    expect((await backend.listFavourites()).map((f) => f.name)).toEqual(["x"]);
  });
});
