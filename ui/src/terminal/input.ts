// A tab's keystrokes, in the one order they were typed. The UI keeps them only until its
// session has an id, and sends them one `send_input` at a time (IPC calls may otherwise overtake
// each other); the session's own queue in the shell holds them until it has connected.

/** Keystrokes held for a session that has no id yet (bytes of text); beyond it they are dropped. */
export const MAX_HELD_INPUT = 64 * 1024;

export class InputQueue {
  private pending = "";
  private inFlight = false;

  /**
   * `target` gives the session to send to now (null while there is none: a tab connecting or
   * reopening), read again for every call, so input that waited behind a call to a session since
   * replaced goes to the new one, never the old.
   */
  constructor(
    private readonly target: () => number | null,
    private readonly send: (sessionId: number, data: string) => Promise<unknown>,
    private readonly max = MAX_HELD_INPUT,
  ) {}

  /**
   * Queues what was typed and sends it as soon as it may go. Only input held for a session
   * that has no id yet is bounded; once there is a session, everything goes (a large paste too).
   */
  push(data: string): void {
    if (this.target() === null && this.pending.length + data.length > this.max) return;
    this.pending += data;
    this.pump();
  }

  /** Sends what is held, if a session can take it and no call is under way. */
  pump(): void {
    if (this.inFlight || this.pending === "") return;
    const id = this.target();
    if (id === null) return;
    const data = this.pending;
    this.pending = "";
    this.inFlight = true;
    this.send(id, data)
      .catch(() => {
        /* the session ended; its state channel tells the user */
      })
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }

  /** Forgets what is held (the session ended, or a new one starts). */
  clear(): void {
    this.pending = "";
  }

  /** Characters held, not yet sent. */
  get held(): number {
    return this.pending.length;
  }
}
