// A small menu of our own at the pointer (the terminal's right-click menu), in place of the
// webview's text-box menu. One at a time; Escape, a click elsewhere or a choice closes it.
import { h } from "./dom";

export interface MenuItem {
  label: string;
  /** A key shown beside the label (`Ctrl+Shift+C`). */
  keys?: string;
  disabled?: boolean;
  run(): void;
}

/** A separator between groups of items. */
export const SEPARATOR = null;

let open: { el: HTMLElement; close: () => void } | null = null;

export function closeMenu(): void {
  open?.close();
}

/** Shows `items` at (x, y) in the viewport, kept inside it; returns the menu element. */
export function showMenu(x: number, y: number, items: (MenuItem | null)[], label = "Menu"): HTMLElement {
  closeMenu();
  const buttons: HTMLButtonElement[] = [];
  const el = h("div", { class: "context-menu", role: "menu", "aria-label": label });
  for (const item of items) {
    if (item === null) {
      el.appendChild(h("div", { class: "menu-separator", role: "separator" }));
      continue;
    }
    const b = h(
      "button",
      {
        class: "context-item",
        role: "menuitem",
        disabled: item.disabled === true,
        onclick: () => {
          close();
          item.run();
        },
      },
      h("span", { class: "context-label" }, item.label),
      item.keys ? h("span", { class: "context-keys" }, item.keys) : null,
    );
    buttons.push(b);
    el.appendChild(b);
  }
  const onDown = (e: Event) => {
    if (!el.contains(e.target as Node)) close();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
      return;
    }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const enabled = buttons.filter((b) => !b.disabled);
      const i = enabled.indexOf(document.activeElement as HTMLButtonElement);
      const next = enabled[(i + (e.key === "ArrowDown" ? 1 : -1) + enabled.length) % enabled.length];
      next?.focus();
    }
  };
  function close(): void {
    if (open?.el !== el) return;
    open = null;
    el.remove();
    document.removeEventListener("mousedown", onDown, true);
    document.removeEventListener("keydown", onKey, true);
    window.removeEventListener("blur", close);
  }
  document.body.appendChild(el);
  const r = el.getBoundingClientRect();
  el.style.left = `${Math.max(0, Math.min(x, window.innerWidth - r.width - 4))}px`;
  el.style.top = `${Math.max(0, Math.min(y, window.innerHeight - r.height - 4))}px`;
  document.addEventListener("mousedown", onDown, true);
  document.addEventListener("keydown", onKey, true);
  window.addEventListener("blur", close);
  open = { el, close };
  buttons.find((b) => !b.disabled)?.focus();
  return el;
}
