// Closing the window with live sessions or running copies asks first. The app's side
// (src-tauri, CloseAction) holds the close and sends `confirmClose` when sessions are open or
// copies run and the window does not just hide to the tray; this asks the user and calls
// close_window if they agree. The tray's Quit asks the same way (`quit`: it ends them even
// when closing the window only hides it), then calls quit_app. "Don't ask again" is
// remembered in localStorage, and Settings can turn the question back on.
import { h } from "./dom";
import { pageStorage as storage } from "./storage";

const KEY = "podterm.confirmClose";

/** Whether to ask before closing (false once the user said "don't ask again"). */
export function asksBeforeClose(): boolean {
  return storage()?.getItem(KEY) !== "never";
}

/** Told when the answer changes (Settings' box follows the close dialog's "Don't ask again"). */
const watchers = new Set<() => void>();

/** Calls `fn` whenever asking before closing is turned on or off; returns how to stop. */
export function onAsksBeforeClose(fn: () => void): () => void {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

export function setAsksBeforeClose(ask: boolean): void {
  try {
    if (ask) storage()?.removeItem(KEY);
    else storage()?.setItem(KEY, "never");
  } catch {
    /* not remembered */
  }
  for (const fn of watchers) fn();
}

/** The question, in words: how many sessions end, and how many copies are cancelled. */
export function closeQuestion(sessions: number, transfers = 0, quit = false): string {
  const tabs = sessions === 1 ? "1 tab has a live session" : `${sessions} tabs have live sessions`;
  const copies = transfers === 1 ? "1 file copy is running" : `${transfers} file copies are running`;
  const doing = quit ? "Quitting Podterm" : "Closing the window";
  if (transfers === 0) return `${tabs}. ${doing} ends ${sessions === 1 ? "it" : "them"}.`;
  if (sessions === 0) return `${copies}. ${doing} cancels ${transfers === 1 ? "it" : "them"}.`;
  return `${tabs} and ${copies}. ${doing} ends them.`;
}

/**
 * The app asked whether to close with `sessions` open: closes at once when the user said not to
 * ask again, else asks in a dialog. `close` closes the window (or, with `quit`, Podterm) for good.
 */
export function confirmClose(sessions: number, close: () => void, transfers = 0, quit = false): HTMLDialogElement | null {
  if (!asksBeforeClose()) {
    close();
    return null;
  }
  document.querySelector("dialog.confirm-close")?.remove();
  const never = h("input", { type: "checkbox", name: "never" });
  const cancel = h("button", { type: "button", class: "cancel", onclick: () => dialog.close() }, "Keep working");
  const dialog = h(
    "dialog",
    { class: "confirm-close", "aria-label": quit ? "Quit Podterm?" : "Close Podterm?" },
    h("h2", {}, quit ? "Quit Podterm?" : "Close Podterm?"),
    h("p", {}, closeQuestion(sessions, transfers, quit)),
    h("label", { class: "field-check" }, never, h("span", {}, "Don't ask again")),
    h(
      "div",
      { class: "form-actions" },
      cancel,
      h(
        "button",
        {
          type: "button",
          class: "danger close-window",
          onclick: () => {
            if (never.checked) setAsksBeforeClose(false);
            dialog.close();
            close();
          },
        },
        quit ? "Quit and end them" : "Close and end them",
      ),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  cancel.focus();
  return dialog;
}
