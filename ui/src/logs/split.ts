// A Logs view beside a terminal, in the terminal tab's own pane: the pod's log (the tab's
// container) on the right, the terminal narrowed to the rest (its ResizeObserver refits it). The
// divider drags to resize it, × closes it. Only this: a general split of panes is not this module's.
import { h } from "../dom";
import type { Backend } from "../ipc";
import { LogsView, type LogsTarget } from "./view";

/** The share of the pane the log takes when it opens, and the bounds a drag keeps it within. */
export const SPLIT_DEFAULT = 0.45;
export const SPLIT_MIN = 0.2;
export const SPLIT_MAX = 0.8;

/** The log's share of a pane `width` wide when the divider is at `x` (both in client pixels). */
export function splitShare(left: number, width: number, x: number): number {
  if (!(width > 0)) return SPLIT_DEFAULT;
  const share = (left + width - x) / width;
  return Math.min(SPLIT_MAX, Math.max(SPLIT_MIN, share));
}

export class LogsSplit {
  readonly root: HTMLElement;
  readonly view: LogsView;
  private share = SPLIT_DEFAULT;

  constructor(
    backend: Backend,
    target: LogsTarget,
    /** The terminal tab's pane: the split lives in it and narrows it. */
    private readonly pane: HTMLElement,
    onClose: () => void,
  ) {
    this.view = new LogsView(backend, target);
    const divider = h("div", {
      class: "logs-split-divider",
      role: "separator",
      "aria-orientation": "vertical",
      "aria-label": "Resize the log beside the terminal",
      title: "Drag to resize",
    });
    divider.addEventListener("pointerdown", (e: PointerEvent) => {
      if (e.button !== 0) return;
      e.preventDefault();
      divider.setPointerCapture(e.pointerId);
      this.root.classList.add("resizing");
      const move = (m: PointerEvent) => {
        const r = this.pane.getBoundingClientRect();
        this.setShare(splitShare(r.left, r.width, m.clientX));
      };
      const up = () => {
        divider.removeEventListener("pointermove", move);
        divider.removeEventListener("pointerup", up);
        divider.removeEventListener("pointercancel", up);
        this.root.classList.remove("resizing");
      };
      divider.addEventListener("pointermove", move);
      divider.addEventListener("pointerup", up);
      divider.addEventListener("pointercancel", up);
    });
    const where = target.container ? `${target.pod}/${target.container}` : target.pod;
    const head = h(
      "div",
      { class: "logs-split-head" },
      h("span", { class: "logs-split-title" }, `Logs · ${where}`),
      h("button", { class: "icon-button logs-split-close", title: "Close the log (Ctrl+Shift+L)", "aria-label": "Close the log", onclick: onClose }, "×"),
    );
    this.root = h("div", { class: "logs-split", role: "complementary", "aria-label": "Log beside the terminal" }, divider, h("div", { class: "logs-split-body" }, head, this.view.root));
    pane.classList.add("with-logs");
    pane.appendChild(this.root);
    this.setShare(this.share);
  }

  /** The log's share of the pane (within SPLIT_MIN..SPLIT_MAX). */
  get width(): number {
    return this.share;
  }

  setShare(share: number): void {
    this.share = Math.min(SPLIT_MAX, Math.max(SPLIT_MIN, share));
    this.pane.style.setProperty("--logs-split", `${(this.share * 100).toFixed(2)}%`);
  }

  focus(): void {
    this.view.focus();
  }

  /** Closes the log (its stream stops) and gives the terminal its width back. */
  dispose(): void {
    this.view.dispose();
    this.root.remove();
    this.pane.classList.remove("with-logs");
    this.pane.style.removeProperty("--logs-split");
  }
}
