import { describe, expect, it } from "vitest";
import { Broadcast, broadcastKey, broadcastQuestion, joinAsking, joinPlan } from "./broadcast";

describe("broadcast input", () => {
  it("typing into a broadcasting pane goes to every broadcasting pane, the typing one first", () => {
    const b = new Broadcast();
    expect(b.targets(1)).toEqual([1]);
    b.join([1, 2, 3]);
    expect(b.targets(2)).toEqual([2, 1, 3]);
    // A pane not marked types only into itself.
    expect(b.targets(4)).toEqual([4]);
    b.leave(2);
    expect(b.targets(1)).toEqual([1, 3]);
    expect(b.targets(2)).toEqual([2]);
  });

  it("Ctrl+Shift+B joins in an unmarked pane and stops everything in a marked one", () => {
    const b = new Broadcast();
    let changes = 0;
    b.onChange(() => changes++);
    expect(broadcastKey(b, 1)).toBe("join");
    b.join([1, 2]);
    expect(broadcastKey(b, 1)).toBe("stop");
    expect(broadcastKey(b, 3)).toBe("join");
    expect(b.stop()).toEqual([1, 2]);
    expect(b.size).toBe(0);
    expect(b.targets(1)).toEqual([1]);
    expect(changes).toBe(2);
    b.stop();
    b.join([]);
    expect(changes).toBe(2); // nothing changed, nobody told
  });

  it("production panes join only after a yes; a no keeps them out and the others in", async () => {
    const profiles: Record<number, string> = { 1: "staging", 2: "prod-eu", 3: "prod-eu", 4: "prod-us" };
    const isProd = (p: string) => p.startsWith("prod");
    expect(joinPlan([1, 2, 3, 4], (id) => profiles[id] ?? null, isProd)).toEqual({ plain: [1], production: [2, 3, 4], profiles: ["prod-eu", "prod-us"] });

    const asked: [string[], number][] = [];
    const no = new Broadcast();
    const joinedNo = await joinAsking(no, [1, 2, 3, 4], (id) => profiles[id] ?? null, isProd, async (p, n) => {
      asked.push([p, n]);
      // Asked while the plain panes already broadcast, the production ones not yet.
      expect(no.list()).toEqual([1]);
      return false;
    });
    expect(joinedNo).toEqual([1]);
    expect(no.list()).toEqual([1]);
    expect(asked).toEqual([[["prod-eu", "prod-us"], 3]]);

    const yes = new Broadcast();
    expect(await joinAsking(yes, [1, 2], (id) => profiles[id] ?? null, isProd, async () => true)).toEqual([1, 2]);
    expect(yes.list()).toEqual([1, 2]);

    // A question that fails counts as no.
    const failed = new Broadcast();
    expect(await joinAsking(failed, [2], (id) => profiles[id] ?? null, isProd, () => Promise.reject(new Error("gone")))).toEqual([]);
    expect(failed.size).toBe(0);

    // No production pane: nobody is asked.
    const plain = new Broadcast();
    await joinAsking(plain, [1], (id) => profiles[id] ?? null, isProd, () => {
      throw new Error("asked");
    });
    expect(plain.list()).toEqual([1]);
  });

  it("the question names the production clusters, escaped", () => {
    const q = broadcastQuestion(["prod\u001b]0;x"], 2);
    expect(q.title).toBe("Broadcast typing into production cluster prod\\u{1b}]0;x?");
    expect(q.body).toContain("2 panes of prod\\u{1b}]0;x");
  });
});
