// A terminal's output as text: the app hands each batch to the page as a script,
// `window.__podtermText(key, "text", bytes)` (src-tauri/output.rs; the cheapest way into
// WebKitGTK's page per MB, docs/architecture.md, "Ways into the page"). The channel the command
// receives only names the handler: `key` is its id. `bytes` is how much of the stream the text
// took (what the page acknowledges); `null` text: the session's output is over, the handler goes.
import { Channel } from "@tauri-apps/api/core";

type TextHandler = (text: string, bytes: number) => void;

const handlers = new Map<number, TextHandler>();

declare global {
  interface Window {
    __podtermText?: (key: number, text: string | null, bytes: number) => void;
  }
}

function receive(key: number, text: string | null, bytes: number): void {
  if (text === null) {
    handlers.delete(key);
    return;
  }
  handlers.get(key)?.(text, bytes);
}

/** The channel argument for a command whose output comes as text to `onText`. */
export function textChannel(onText: TextHandler): Channel<unknown> {
  if (typeof window !== "undefined") window.__podtermText = receive;
  const channel = new Channel<unknown>();
  handlers.set(channel.id, onText);
  return channel;
}

/** Handlers registered and not yet released (for tests). */
export function textHandlers(): number {
  return handlers.size;
}
