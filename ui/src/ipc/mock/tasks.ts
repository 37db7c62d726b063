// The mock's clock: ordered asynchronous delivery, as IPC messages arrive, and short waits, as
// commands take.

// clamp as with nested setTimeout).

type Task = () => void;
const taskQueue: Task[] = [];
let taskPort: MessagePort | null = null;
let taskPosted = false;

function runTasks(): void {
  taskPosted = false;
  const batch = taskQueue.splice(0, taskQueue.length);
  for (const t of batch) {
    try {
      t();
    } catch (err) {
      console.error("mock backend task failed", err);
    }
  }
}

export function later(task: Task): void {
  taskQueue.push(task);
  if (taskPosted) return;
  taskPosted = true;
  if (typeof MessageChannel === "undefined") {
    setTimeout(runTasks, 0);
    return;
  }
  if (!taskPort) {
    const ch = new MessageChannel();
    ch.port1.onmessage = runTasks;
    taskPort = ch.port2;
  }
  taskPort.postMessage(null);
}

export const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

/** A gate that operations wait at while it is closed (a test holds them, then lets them go). */
export class Gate {
  private closed: { promise: Promise<void>; open: () => void } | null = null;

  set(closed: boolean): void {
    if (closed && !this.closed) {
      let open = () => {};
      const promise = new Promise<void>((r) => (open = r));
      this.closed = { promise, open };
    } else if (!closed && this.closed) {
      this.closed.open();
      this.closed = null;
    }
  }

  wait(): Promise<void> {
    return this.closed?.promise ?? Promise.resolve();
  }
}
