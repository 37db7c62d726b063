import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asksBeforeClose, setAsksBeforeClose } from "../confirm-close";
import { fakePage, fakeStorage } from "../fake-dom";
import type { AppSettings } from "../ipc/generated";
import { askBeforeCloseControl, globalShortcutControl, settingsGroup } from "./view";

describe("ask before closing, in the settings", () => {
  beforeEach(() => {
    fakeStorage();
    vi.stubGlobal(
      "MutationObserver",
      class {
        observe(): void {}
      },
    );
    fakePage();
  });
  afterEach(() => vi.unstubAllGlobals());

  it("undoes the close dialog's \"Don't ask again\", and shows what holds each time the settings open", () => {
    // Asks by default.
    expect(askBeforeCloseControl().querySelector<HTMLInputElement>("input#ask-before-close")?.checked).toBe(true);
    // Said in the close dialog before the settings were built.
    setAsksBeforeClose(false);
    const control = askBeforeCloseControl();
    const box = control.querySelector<HTMLInputElement>("input#ask-before-close")!;
    expect(control.querySelector(".field-check")?.textContent).toBe("Ask before closing with live sessions");
    expect(box.checked).toBe(false);

    // Ticked: asked again.
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(asksBeforeClose()).toBe(true);

    // "Don't ask again" in the close dialog while the settings were folded: opened, they say so.
    const group = settingsGroup([control]);
    setAsksBeforeClose(false);
    group.open = true;
    group.dispatchEvent(new Event("toggle"));
    expect(box.checked).toBe(false);

    // "Don't ask again" while Settings are open: the box follows at once.
    setAsksBeforeClose(true);
    expect(box.checked).toBe(true);
    setAsksBeforeClose(false);
    expect(box.checked).toBe(false);

    // Unticked, then ticked again.
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    expect(asksBeforeClose()).toBe(false);
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(asksBeforeClose()).toBe(true);
  });
});

describe("the global shortcut, in the settings", () => {
  beforeEach(() => fakePage());
  afterEach(() => vi.unstubAllGlobals());

  const settings = (over: Partial<AppSettings>): AppSettings => ({
    scrollbackLines: 10000,
    debugImage: "busybox:1.36",
    restoreTabs: true,
    logLines: 1000,
    tray: true,
    launcherEntry: null,
    globalShortcut: true,
    globalShortcutKeys: "Ctrl+Alt+K",
    globalShortcutError: null,
    drawEveryByte: false,
    ...over,
  });
  const shown = async (s: AppSettings, setGlobalShortcut = vi.fn(() => Promise.resolve())) => {
    const control = globalShortcutControl({ appSettings: () => Promise.resolve(s), setGlobalShortcut });
    await Promise.resolve();
    await Promise.resolve();
    return control;
  };

  it("says when the shortcut that is on could not be taken at start, until it is set again", async () => {
    const why = "Ctrl+Alt+K could not be taken as a global shortcut (grab failed): another application may hold it";
    const set = vi.fn(() => Promise.resolve());
    const control = await shown(settings({ globalShortcutError: why }), set);
    const box = control.querySelector<HTMLInputElement>("input#global-shortcut")!;
    const error = control.querySelector<HTMLElement>(".global-shortcut-error")!;
    expect(box.checked).toBe(true);
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe(`Not working: ${why}. Untick and tick the box to try again.`);
    // Unticked: given back, nothing wrong any more.
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    await Promise.resolve();
    await Promise.resolve();
    expect(set).toHaveBeenCalledWith(false);
    expect(error.hidden).toBe(true);
    // Taken at start, or off: nothing is said.
    for (const s of [settings({}), settings({ globalShortcut: false, globalShortcutError: why })]) {
      expect((await shown(s)).querySelector<HTMLElement>(".global-shortcut-error")!.hidden).toBe(true);
    }
  });
});
