// OSC 52, the clipboard escape (`ESC ] 52 ; Pc ; Pd BEL`), as a pod may send it: a write
// (`Pd` = base64 text) sets the user's clipboard and says so in a notice; a read (`Pd` = `?`)
// is never answered, since the answer would type the user's clipboard (a password, a token)
// into the pod. xterm's clipboard addon answers reads, so it is not used.

/** Where a write goes (the system clipboard) and how the tab tells the user. */
export interface Osc52Sink {
  writeClipboard(text: string): Promise<void>;
  notice(text: string): void;
}

/** The most a pod may put on the clipboard in one write (decoded characters). */
export const MAX_CLIPBOARD_WRITE = 1024 * 1024;

/** How much of the written text the notice shows. */
const PREVIEW_CHARS = 40;

/**
 * Handles one OSC 52 sequence's data (`Pc;Pd`, what follows `52;`). Returns true (the sequence
 * is handled: xterm passes it nowhere else). Nothing is ever sent back to the pod.
 */
export function handleOsc52(data: string, sink: Osc52Sink): boolean {
  const semi = data.indexOf(";");
  if (semi < 0) return true;
  const payload = data.slice(semi + 1);
  if (payload === "?") {
    sink.notice("The pod asked to read your clipboard: refused");
    return true;
  }
  if (payload === "") return true; // a "clear": left alone
  const text = decodeBase64Utf8(payload);
  if (text === null) return true;
  if (text.length > MAX_CLIPBOARD_WRITE) {
    sink.notice(`The pod tried to set your clipboard to ${text.length} characters: refused (too large)`);
    return true;
  }
  sink.writeClipboard(text).then(
    () => sink.notice(`The pod set your clipboard: ${preview(text)} (${plural(text.length, "character")})`),
    () => sink.notice("The pod tried to set your clipboard, but the clipboard is not available"),
  );
  return true;
}

/** Base64 to UTF-8 text; null when it is not valid base64 or not UTF-8. */
export function decodeBase64Utf8(b64: string): string | null {
  try {
    const bin = atob(b64.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** The start of `text` on one line, control characters shown as escapes (`\n`, `\x1b`). */
export function preview(text: string): string {
  const chars = Array.from(text);
  const head = chars.slice(0, PREVIEW_CHARS).map(escapeChar).join("");
  return `"${head}${chars.length > PREVIEW_CHARS ? "…" : ""}"`;
}

function escapeChar(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\t") return "\\t";
  const code = c.codePointAt(0) ?? 0;
  // C0, DEL, C1, and the bidi controls that reorder what is read.
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
    return `\\x${code.toString(16).padStart(2, "0")}`;
  }
  if (code === 0x061c || code === 0x200e || code === 0x200f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) {
    return `\\u{${code.toString(16)}}`;
  }
  return c;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
