// Text put on the desktop's clipboard from a click or a key (the terminal's copy, a forward's
// address, a pod's name): the Clipboard API, or a selected text box copied where the webview
// refuses it.
import { h } from "./dom";

export async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    /* fall back to the legacy path below */
  }
  const ta = h("textarea", { class: "clipboard-helper", "aria-hidden": "true" });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  try {
    if (!document.execCommand("copy")) throw new Error("the clipboard is not available");
  } finally {
    ta.remove();
  }
}
