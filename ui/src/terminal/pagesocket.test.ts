import { describe, expect, it, vi } from "vitest";
import { openPageSocket, type SocketLike } from "./pagesocket";

class FakeSocket implements SocketLike {
  binaryType = "blob";
  onopen: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = 0;
  constructor(readonly url: string) {}
  close(): void {
    this.closed++;
  }
}

function opener() {
  const made: FakeSocket[] = [];
  const open = (url: string): FakeSocket => {
    const ws = new FakeSocket(url);
    made.push(ws);
    return ws;
  };
  return { made, open };
}

describe("openPageSocket", () => {
  it("opens the address given and hands each binary message on, as bytes", async () => {
    const { made, open } = opener();
    const got: number[][] = [];
    const pending = openPageSocket(async () => "ws://127.0.0.1:1/abc", (b) => got.push([...b]), { open });
    await vi.waitFor(() => expect(made).toHaveLength(1));
    const ws = made[0]!;
    expect(ws.url).toBe("ws://127.0.0.1:1/abc");
    expect(ws.binaryType).toBe("arraybuffer");
    ws.onopen?.({});
    const socket = await pending;
    expect(socket?.url).toBe("ws://127.0.0.1:1/abc");
    ws.onmessage?.({ data: new Uint8Array([1, 2, 3]).buffer });
    ws.onmessage?.({ data: "text is not output" });
    ws.onmessage?.({ data: new ArrayBuffer(0) });
    ws.onmessage?.({ data: new Uint8Array([4]).buffer });
    expect(got).toEqual([[1, 2, 3], [4]]);
    socket?.close();
    expect(ws.closed).toBe(1);
  });

  it("is null when no address is given", async () => {
    const { made, open } = opener();
    const socket = await openPageSocket(() => Promise.reject(new Error("no port")), () => {}, { open });
    expect(socket).toBeNull();
    expect(made).toHaveLength(0);
  });

  it("is null when the socket fails or closes before it opens", async () => {
    for (const fail of ["onerror", "onclose"] as const) {
      const { made, open } = opener();
      const pending = openPageSocket(async () => "ws://127.0.0.1:1/x", () => {}, { open });
      await vi.waitFor(() => expect(made).toHaveLength(1));
      made[0]![fail]?.({});
      made[0]!.onopen?.({}); // too late: already settled
      expect(await pending).toBeNull();
    }
  });

  it("is null, and closes the socket, when it does not open in time", async () => {
    vi.useFakeTimers();
    try {
      const { made, open } = opener();
      const pending = openPageSocket(async () => "ws://127.0.0.1:1/x", () => {}, { open, timeoutMs: 100 });
      await vi.waitFor(() => expect(made).toHaveLength(1));
      vi.advanceTimersByTime(100);
      expect(await pending).toBeNull();
      expect(made[0]!.closed).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is null when the page cannot make a socket of the address", async () => {
    const socket = await openPageSocket(async () => "not a url", () => {}, {
      open: () => {
        throw new SyntaxError("bad url");
      },
    });
    expect(socket).toBeNull();
  });
});
