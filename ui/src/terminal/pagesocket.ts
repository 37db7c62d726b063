// A session's output on a page socket (podterm_core::pagesocket): a WebSocket from a loopback
// port of the app, opened at a one-time address the engine gives (`page_socket`), then named in
// `open_session`. Each binary message is one batch of output, in order, as the `Channel` would
// have brought it, at a fraction of the page's and the app's cost per MB
// (docs/architecture.md, "Ways into the page"). When no socket opens (no address, refused, not
// open within PAGE_SOCKET_OPEN_MS) the session's output takes the `Channel`, as before.

/** How long the page waits for its socket to open before it falls back to the `Channel`. */
export const PAGE_SOCKET_OPEN_MS = 3000;

/**
 * A page socket's address asked for ahead (a spare terminal's, workspace.ts) is used only
 * this long after: the engine keeps a ticket nobody has connected or taken for an hour
 * (podterm_core::pagesocket::TICKET_TTL); past this, its tab asks for a new one.
 */
export const SPARE_TICKET_MAX_AGE_MS = 30 * 60 * 1000;

/** An open page socket. */
export interface PageSocket {
  /** The address it opened (what `open_session` is told). */
  url: string;
  /** Closes it (the tab's session is over or was replaced). */
  close(): void;
}

/** What is used of the page's `WebSocket` (a fake in the tests). */
export interface SocketLike {
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  close(): void;
}

export interface PageSocketOptions {
  /** Opens a socket (`new WebSocket(url)` by default). */
  open?: (url: string) => SocketLike;
  timeoutMs?: number;
}

/**
 * Asks for an address (`address`: the `page_socket` command), opens it, and resolves to the
 * open socket, whose messages go to `onBytes`; or to null, the session then taking the
 * `Channel`. Never rejects.
 */
export async function openPageSocket(
  address: () => Promise<string>,
  onBytes: (bytes: Uint8Array) => void,
  opts: PageSocketOptions = {},
): Promise<PageSocket | null> {
  let url: string;
  try {
    url = await address();
  } catch {
    return null;
  }
  const open = opts.open ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
  return new Promise((resolve) => {
    let ws: SocketLike;
    try {
      ws = open(url);
    } catch {
      resolve(null);
      return;
    }
    ws.binaryType = "arraybuffer";
    let settled = false;
    const settle = (socket: PageSocket | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(socket);
    };
    const timer = setTimeout(() => {
      ws.close();
      settle(null);
    }, opts.timeoutMs ?? PAGE_SOCKET_OPEN_MS);
    ws.onopen = () => settle({ url, close: () => ws.close() });
    // Before it opened: the `Channel` instead. After: the engine sees the socket gone and the
    // session's state says how it ended.
    ws.onerror = () => settle(null);
    ws.onclose = () => settle(null);
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer && e.data.byteLength > 0) onBytes(new Uint8Array(e.data));
    };
  });
}
