import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asksBeforeClose, setAsksBeforeClose } from "../confirm-close";
import { fakePage } from "../fake-dom";
import { askBeforeCloseControl, settingsGroup } from "./view";

describe("ask before closing, in the settings", () => {
  beforeEach(() => {
    const items = new Map<string, string>();
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    });
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

    // Unticked, then ticked again.
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    expect(asksBeforeClose()).toBe(false);
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(asksBeforeClose()).toBe(true);
  });
});
