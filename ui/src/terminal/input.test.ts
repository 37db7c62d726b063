import { describe, expect, it } from "vitest";
import { InputQueue } from "./input";

/** send_input calls that return only when told to, like IPC round trips. */
function backend() {
  const calls: { id: number; data: string; done: () => void }[] = [];
  const send = (id: number, data: string) => new Promise<void>((done) => calls.push({ id, data, done }));
  return { calls, send };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("InputQueue", () => {
  it("holds keystrokes until the session has an id, then sends them in order, one call at a time", async () => {
    let session: number | null = null;
    const b = backend();
    const q = new InputQueue(() => session, b.send);
    q.push("l");
    q.push("s");
    expect(b.calls).toEqual([]);
    expect(q.held).toBe(2);
    session = 4;
    q.pump();
    expect(b.calls.map((c) => [c.id, c.data])).toEqual([[4, "ls"]]);
    // Typed while the first call is under way: waits for it, then goes as one call.
    q.push("\r");
    q.push("x");
    expect(b.calls).toHaveLength(1);
    b.calls[0]!.done();
    await settle();
    expect(b.calls.map((c) => [c.id, c.data])).toEqual([
      [4, "ls"],
      [4, "\rx"],
    ]);
  });

  it("sends what waited behind a replaced session to the new one", async () => {
    let session: number | null = 1;
    const b = backend();
    const q = new InputQueue(() => session, b.send);
    q.push("a");
    q.push("b");
    session = null; // a reopen: no session until the new one has its id
    b.calls[0]!.done();
    await settle();
    expect(b.calls).toHaveLength(1);
    session = 2;
    q.pump();
    expect(b.calls.map((c) => [c.id, c.data])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });

  it("bounds only what is held for a session without an id; a large paste to a live session goes whole", async () => {
    let session: number | null = 3;
    const b = backend();
    const q = new InputQueue(() => session, b.send, 4);
    q.push("a");
    q.push("a long paste"); // waits behind the first call, and is not cut
    b.calls[0]!.done();
    await settle();
    expect(b.calls.map((c) => c.data)).toEqual(["a", "a long paste"]);
    session = null;
    q.push("toolong");
    expect(q.held).toBe(0);
  });

  it("keeps at most its limit while held, and forgets on clear", () => {
    const b = backend();
    const q = new InputQueue(() => null, b.send, 4);
    q.push("abc");
    q.push("de");
    expect(q.held).toBe(3);
    q.clear();
    expect(q.held).toBe(0);
  });
});
