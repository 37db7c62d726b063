// The app settings the sidebar's footer shows: the scrollback per tab, with its memory cost.
import { asksBeforeClose, onAsksBeforeClose, setAsksBeforeClose } from "../confirm-close";
import { clear, h } from "../dom";
import { errorMessage, type Backend } from "../ipc";
import type { AppSettings } from "../ipc/generated";
import { setDebugImage } from "../terminal/debug";
import { setScrollback } from "../terminal/view";
import { DEFAULT_SCROLLBACK_LINES, linesLabel, scrollbackChoices, scrollbackCost } from "./scrollback";

/**
 * A "Scrollback" select and its cost ("≈ 25 MB per tab"). The saved value applies to every
 * terminal, open and new; a refused save (an unreadable or newer settings.json) is shown, and
 * the select goes back to what is saved.
 */
export function scrollbackControl(backend: Pick<Backend, "appSettings" | "setScrollbackLines">): HTMLElement {
  let saved = DEFAULT_SCROLLBACK_LINES;
  const select = h("select", { id: "scrollback-lines", "aria-label": "Scrollback lines per tab" });
  const cost = h("span", { class: "scrollback-cost" });
  const error = h("div", { class: "message error settings-error", role: "alert", hidden: true });

  function render(lines: number): void {
    clear(select);
    for (const n of scrollbackChoices(lines)) {
      select.appendChild(h("option", { value: String(n) }, linesLabel(n)));
    }
    select.value = String(lines);
    cost.textContent = scrollbackCost(lines);
    cost.title = "Memory a tab's full scrollback takes at about 108 columns (about 2.5 KB a line)";
  }

  function apply(lines: number): void {
    saved = lines;
    setScrollback(lines);
    render(lines);
  }

  select.addEventListener("change", () => {
    const wanted = Number(select.value);
    cost.textContent = scrollbackCost(wanted);
    backend.setScrollbackLines(wanted).then(
      (lines) => {
        error.hidden = true;
        apply(lines);
      },
      (err: unknown) => {
        error.textContent = `Scrollback not changed: ${errorMessage(err)}`;
        error.hidden = false;
        render(saved);
      },
    );
  });

  render(saved);
  backend.appSettings().then(
    (s) => apply(s.scrollbackLines),
    (err: unknown) => {
      error.textContent = `Settings not read: ${errorMessage(err)}`;
      error.hidden = false;
    },
  );

  return h(
    "footer",
    { class: "app-settings" },
    h("label", { class: "scrollback" }, h("span", {}, "Scrollback"), select, cost),
    error,
  );
}

/** A setting shown as one checkbox: what it reads, how it saves, and what the page shows. */
interface CheckboxSetting {
  /** The element ids and class names derive from it (`restore-tabs` → `#restore-tabs`). */
  id: string;
  label: string;
  title: string;
  /** Shown until the saved value is read. */
  initial: boolean;
  read: (s: AppSettings) => boolean;
  save: (wanted: boolean) => Promise<unknown>;
  settings: () => Promise<AppSettings>;
}

/**
 * One checkbox setting: the saved value once read, saved on change; a refused save is shown
 * and the box goes back. A settings file that cannot be read is said once, by the scrollback
 * control, so the box keeps its initial value quietly.
 */
function settingCheckbox(c: CheckboxSetting): HTMLElement {
  const box = h("input", { type: "checkbox", id: c.id });
  box.checked = c.initial;
  const error = h("div", { class: `message error ${c.id}-error`, role: "alert", hidden: true });
  box.addEventListener("change", () => {
    const wanted = box.checked;
    c.save(wanted).then(
      () => {
        error.hidden = true;
      },
      (err: unknown) => {
        box.checked = !wanted;
        error.textContent = `Not changed: ${errorMessage(err)}`;
        error.hidden = false;
      },
    );
  });
  c.settings().then(
    (s) => {
      box.checked = c.read(s);
    },
    () => {
      /* the scrollback control says the settings could not be read */
    },
  );
  return h(
    "div",
    { class: `${c.id}-setting` },
    h("label", { class: "field-check", title: c.title }, box, h("span", {}, c.label)),
    error,
  );
}

/**
 * "Reopen tabs and port forwards at start": the last run's tabs and port forwards come back
 * after a restart (on by default; off also forgets the saved tabs).
 */
export function restoreTabsControl(backend: Pick<Backend, "appSettings" | "setRestoreTabs">, kept: () => void = () => {}): HTMLElement {
  return settingCheckbox({
    id: "restore-tabs",
    label: "Reopen tabs and port forwards at start",
    title: "The open tabs and running port forwards are saved (never a secret) and opened again, as new sessions and on the same local ports, at the next start",
    initial: true,
    read: (s) => s.restoreTabs,
    // On again: the open tabs are saved now (off emptied the file), not at their next change.
    save: async (wanted) => {
      await backend.setRestoreTabs(wanted);
      if (wanted) kept();
    },
    settings: () => backend.appSettings(),
  });
}

/**
 * "Draw every byte of a flood" (off by default): off, a tab that falls behind a flood skips
 * the output it could no longer show, and its screen and scrollback end as if it had drawn it
 * all; on, every byte is drawn in order, however long that takes. Applies to new sessions.
 */
export function drawEveryByteControl(backend: Pick<Backend, "appSettings" | "setDrawEveryByte">): HTMLElement {
  return settingCheckbox({
    id: "draw-every-byte",
    label: "Draw every byte of a flood",
    title:
      "Off: a tab behind a flood skips what it could no longer show (screen and scrollback end the same) so keys answer at once. On: every byte is drawn, in order. New tabs.",
    initial: false,
    read: (s) => s.drawEveryByte,
    save: (wanted) => backend.setDrawEveryByte(wanted),
    settings: () => backend.appSettings(),
  });
}

/**
 * Said to each control of the settings group as the group opens: a setting the page keeps itself
 * (not in settings.json) may have changed while it was folded, and is read again.
 */
const SETTINGS_SHOWN = "podterm-settings-shown";

/**
 * "Ask before closing with live sessions" (running copies too; on by default): the close dialog's
 * "Don't ask again" turns it off, and this box turns it back on. The page keeps it
 * (confirm-close.ts, in localStorage), so the box reads it each time the settings open.
 */
export function askBeforeCloseControl(): HTMLElement {
  const box = h("input", { type: "checkbox", id: "ask-before-close" });
  const read = (): void => {
    box.checked = asksBeforeClose();
  };
  box.addEventListener("change", () => {
    setAsksBeforeClose(box.checked);
    // Not remembered (no storage): the box says what holds.
    read();
  });
  read();
  // "Don't ask again" in the close dialog while Settings are open.
  onAsksBeforeClose(read);
  const row = h(
    "div",
    { class: "ask-before-close-setting" },
    h(
      "label",
      { class: "field-check", title: "Closing the window (or Quit in the tray) ends the live sessions and cancels running file copies: asked first" },
      box,
      h("span", {}, "Ask before closing with live sessions"),
    ),
  );
  row.addEventListener(SETTINGS_SHOWN, read);
  return row;
}

/**
 * The image of the debug containers the app adds to pods whose container has no shell (the
 * `debugImage` setting). Saved on Enter or when the box loses focus; blank means the default.
 * A refused save is shown and the box goes back to what is saved.
 */
export function debugImageControl(backend: Pick<Backend, "appSettings" | "setDebugImage">): HTMLElement {
  let saved = "";
  const input = h("input", {
    type: "text",
    id: "debug-image",
    class: "debug-image",
    spellcheck: "false",
    "aria-label": "Debug container image",
    title: "The image of the ephemeral container added to debug a container without a shell (blank: the default)",
  });
  const error = h("div", { class: "message error settings-error", role: "alert", hidden: true });

  function apply(image: string): void {
    saved = image;
    setDebugImage(image);
    input.value = image;
  }

  function save(): void {
    const wanted = input.value.trim();
    if (wanted === saved) return;
    backend.setDebugImage(wanted).then(
      (image) => {
        error.hidden = true;
        apply(image);
      },
      (err: unknown) => {
        error.textContent = `Debug image not changed: ${errorMessage(err)}`;
        error.hidden = false;
        input.value = saved;
      },
    );
  }

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      save();
    } else if (e.key === "Escape") {
      input.value = saved;
    }
  });
  input.addEventListener("change", save);

  backend.appSettings().then(
    (s) => apply(s.debugImage),
    () => {
      /* the scrollback control says the settings could not be read */
    },
  );

  return h("div", { class: "app-settings debug-image-setting" }, h("label", { class: "scrollback" }, h("span", {}, "Debug image"), input), error);
}

/**
 * The global shortcut (the `globalShortcut` setting, off by default): its keys bring Podterm
 * forward with quick open from any application. A refusal (another application holds the keys,
 * a damaged settings file) is shown and the box goes back.
 */
export function globalShortcutControl(backend: Pick<Backend, "appSettings" | "setGlobalShortcut">): HTMLElement {
  const box = h("input", { type: "checkbox", id: "global-shortcut" });
  const keys = h("kbd", {}, "…");
  const error = h("div", { class: "message error global-shortcut-error", role: "alert", hidden: true });
  box.addEventListener("change", () => {
    const wanted = box.checked;
    backend.setGlobalShortcut(wanted).then(
      () => {
        error.hidden = true;
      },
      (err: unknown) => {
        box.checked = !wanted;
        error.textContent = `Not changed: ${errorMessage(err)}`;
        error.hidden = false;
      },
    );
  });
  backend.appSettings().then(
    (s) => {
      box.checked = s.globalShortcut;
      keys.textContent = s.globalShortcutKeys;
      // On, but not taken at start: the ticked box alone would say it works.
      if (s.globalShortcut && s.globalShortcutError) {
        error.textContent = `Not working: ${s.globalShortcutError}. Untick and tick the box to try again.`;
        error.hidden = false;
      }
    },
    () => {
      /* the scrollback control says the settings could not be read */
    },
  );
  return h(
    "div",
    { class: "global-shortcut-setting" },
    h("label", { class: "field-check", title: "From any application: Podterm comes forward with quick open, type a favourite or pod, Enter" }, box, h("span", {}, keys, " quick open from anywhere")),
    error,
  );
}

/**
 * The app settings, folded under one "Settings" line at the foot of the sidebar so the pod
 * list keeps the room (six settings took ~180 px: at 690 px of window the list showed a row
 * and a half). Folded by default; it opens by itself when one of its settings shows an error
 * (an unreadable settings.json, a refused save), so no message is ever hidden in it.
 */
export function settingsGroup(controls: HTMLElement[]): HTMLDetailsElement {
  const group = h("details", { class: "settings-group" }, h("summary", { class: "settings-summary" }, "Settings"), ...controls);
  const reveal = (): void => {
    if (group.querySelector('[role="alert"]:not([hidden])')) group.open = true;
  };
  // An error shown anew (unhidden), or a new message in one already shown (its text replaced).
  new MutationObserver(reveal).observe(group, { subtree: true, attributes: true, attributeFilter: ["hidden"], childList: true, characterData: true });
  reveal();
  // Opened: each control shows what holds now (the close dialog may have changed a setting).
  group.addEventListener("toggle", () => {
    if (group.open) for (const c of controls) c.dispatchEvent(new Event(SETTINGS_SHOWN));
  });
  return group;
}
