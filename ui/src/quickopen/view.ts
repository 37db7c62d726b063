// The quick-open box (Ctrl+K): a modal dialog at the top of the window with a text box and the
// matches (quickopen/model.ts). ↑/↓ choose, Enter opens, Escape (or a click outside) closes.
import { h, keyed } from "../dom";
import { itemLabel, quickItems, rank, type QuickItem, type QuickSources, type Ranked } from "./model";

export interface QuickOpenOptions {
  sources(): QuickSources;
  /**
   * Called once the box is shown with what re-renders it when the sources change (pods arriving);
   * returns what to do when it closes. `note()`: a line under the box (why some pods are missing).
   */
  live?(refresh: () => void): { note(): string | null; close(): void };
  /** Opens the item; a string is why it cannot be opened (shown, the box stays open). */
  open(item: QuickItem): string | null;
}

/** The label with its matched letters marked. */
function highlighted(label: string, matched: readonly number[]): HTMLElement {
  const out = h("span", { class: "quick-label" });
  const set = new Set(matched);
  let run = "";
  let inMatch = false;
  const flush = () => {
    if (run) out.appendChild(inMatch ? h("b", {}, run) : document.createTextNode(run));
    run = "";
  };
  [...label].forEach((ch, i) => {
    const m = set.has(i);
    if (m !== inMatch) {
      flush();
      inMatch = m;
    }
    run += ch;
  });
  flush();
  return out;
}

const KIND_WORD: Record<QuickItem["kind"], string> = { favourite: "favourite", recent: "recent", workload: "workload", pod: "pod", node: "node", typed: "by name" };

/** Opens the box (or focuses the one open). */
export function openQuickOpen(opts: QuickOpenOptions): HTMLDialogElement {
  const existing = document.querySelector<HTMLDialogElement>("dialog.quick-open");
  if (existing) {
    existing.querySelector("input")?.focus();
    return existing;
  }
  const input = h("input", {
    type: "text",
    class: "quick-input",
    placeholder: "Favourite, recent session, pod or workload, or namespace/pod",
    "aria-label": "Quick open",
    spellcheck: "false",
    autocomplete: "off",
  });
  const list = h("ul", { class: "quick-list", role: "listbox", "aria-label": "Matches" });
  const problem = h("div", { class: "message error quick-problem", role: "alert", hidden: true });
  const note = h("div", { class: "quick-note", hidden: true });
  const dialog = h("dialog", { class: "quick-open", "aria-label": "Quick open" }, input, problem, list, note);
  let shown: Ranked[] = [];
  /** Each shown item's key (its row's), in `shown`'s order. */
  let shownKeys: string[] = [];
  let selected = 0;
  let live: { note(): string | null; close(): void } | null = null;

  // Rows are kept by key while pods arrive (a redraw a frame while a cluster's pods are listed):
  // a row rebuilt between a press and its release loses the click.
  const render = () => {
    const why = live?.note() ?? null;
    note.hidden = why === null;
    note.textContent = why ?? "";
    shown = rank(input.value, quickItems(opts.sources(), input.value));
    selected = Math.min(selected, Math.max(0, shown.length - 1));
    const seen = new Map<string, number>();
    shownKeys = shown.map((r) => {
      const base = `${r.item.kind}\u0000${itemLabel(r.item)}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return `${base}\u0000${n}`;
    });
    const rows = shown.map((r, i) => ({ r, i, key: shownKeys[i]! }));
    keyed(
      list,
      rows,
      (row) => row.key,
      (row) => JSON.stringify([row.r.matched, row.r.item.detail]),
      (row) =>
        h(
          "li",
          {
            class: `quick-item kind-${row.r.item.kind}`,
            role: "option",
            "data-kind": row.r.item.kind,
            "data-label": itemLabel(row.r.item),
            onmousedown: (e: Event) => e.preventDefault(), // keep the focus in the box
            onclick: () => choose(shownKeys.indexOf(row.key)),
          },
          h("span", { class: "quick-kind" }, KIND_WORD[row.r.item.kind]),
          highlighted(itemLabel(row.r.item), row.r.matched),
          h("span", { class: "quick-detail" }, row.r.item.detail),
        ),
      (el, row) => {
        el.classList.toggle("selected", row.i === selected);
        el.setAttribute("aria-selected", row.i === selected ? "true" : "false");
      },
    );
    if (shown.length === 0) list.appendChild(h("li", { class: "quick-empty" }, input.value.trim() ? "Nothing matches. Type namespace/pod to open a pod by name." : "No favourites, sessions or pods yet."));
    list.querySelector(".quick-item.selected")?.scrollIntoView({ block: "nearest" });
  };

  const choose = (i: number) => {
    const r = shown[i];
    if (!r) return;
    const why = opts.open(r.item);
    if (why === null) {
      dialog.close();
      return;
    }
    problem.textContent = why;
    problem.hidden = false;
  };

  input.addEventListener("input", () => {
    selected = 0;
    problem.hidden = true;
    render();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (shown.length > 0) selected = (selected + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if (e.key === "Enter") {
      e.preventDefault();
      choose(selected);
    }
  });
  // A click on the backdrop (outside the box) closes it.
  dialog.addEventListener("mousedown", (e) => {
    if (e.target === dialog) {
      const r = dialog.getBoundingClientRect();
      const me = e as MouseEvent;
      if (me.clientX < r.left || me.clientX > r.right || me.clientY < r.top || me.clientY > r.bottom) dialog.close();
    }
  });
  dialog.addEventListener("close", () => {
    live?.close();
    live = null;
    dialog.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  // Pods arriving re-render once a frame at most, the selection kept by its place.
  let queued = false;
  live =
    opts.live?.(() => {
      if (queued || !dialog.isConnected) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        if (dialog.isConnected) render();
      });
    }) ?? null;
  render();
  input.focus();
  return dialog;
}
