// The sidebar's Favourites section: renders a `FavouritesModel` and turns clicks and keys into
// model calls.
import { clear, h } from "../dom";
import type { FavouriteSummary } from "../ipc/types";
import { favouriteDetails, favouriteWhere } from "./favourite";
import { type Fold, foldable } from "../sidebar/fold";
import type { FavouritesModel } from "./model";

interface Editing {
  name: string;
  input: HTMLInputElement;
  saving: boolean;
}

/** The sidebar's Favourites section: `section.favourites`, one `li.favourite` per favourite. */
export class FavouritesView {
  readonly root: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly messages: HTMLElement;
  private readonly fold: Fold;
  private editing: Editing | null = null;
  private confirmDelete: string | null = null;
  private rendering = false;
  private renderQueued = false;
  /** What the list last showed; a render that would show the same keeps the rows. */
  private shown: string | null = null;
  private lastHighlight: string | null = null;

  constructor(private readonly model: FavouritesModel) {
    this.list = h("ul", { class: "favourite-list", "aria-label": "Favourites" });
    this.messages = h("div", { class: "favourite-messages", "aria-live": "polite" });
    this.root = h("section", { class: "favourites" });
    this.fold = foldable(this.root, "favourites", "Favourites");
    this.root.append(h("div", { class: "section-title" }, this.fold.button), this.messages, this.list);
    // A favourite under the pointer or the focus is a sign its tab may come next.
    const near = (e: Event) => {
      if ((e.target as HTMLElement).closest?.("li.favourite")) this.model.approached();
    };
    this.list.addEventListener("pointerover", near);
    this.list.addEventListener("focusin", near);
    model.onChange(() => this.scheduleRender());
    this.render();
  }

  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  render(): void {
    const m = this.model;
    if (this.editing && !m.get(this.editing.name)) this.editing = null;
    if (this.confirmDelete !== null && !m.get(this.confirmDelete)) this.confirmDelete = null;
    // A reload that changed nothing (another Podterm or the CLI wrote the file, a list read
    // again) leaves the rows alone: rebuilding them between a button's press and release
    // loses the click.
    const shown = JSON.stringify([m.loaded, m.error, m.list, m.highlight, this.confirmDelete, this.editing?.name ?? null]);
    if (shown === this.shown) return;
    this.shown = shown;
    this.rendering = true;
    try {
      // Keep the keyboard where it was across the rebuild.
      const active = document.activeElement;
      let refocus: { name: string; cls: string | null } | null = null;
      if (active instanceof HTMLElement && this.list.contains(active)) {
        const row = active.closest<HTMLElement>(".favourite");
        if (row?.dataset.favourite !== undefined) {
          const cls = active === row ? null : ([...active.classList].find((c) => c.startsWith("favourite-")) ?? null);
          refocus = { name: row.dataset.favourite, cls };
        }
      }
      const editingFocused = this.editing !== null && active === this.editing.input;

      clear(this.messages);
      if (m.error) {
        this.messages.appendChild(
          h("div", { class: "message error", role: "alert" },
            h("span", { class: "message-text" }, m.error),
            h("button", { class: "icon-button", "aria-label": "Dismiss", onclick: () => m.dismissError() }, "×")),
        );
      }

      clear(this.list);
      if (m.loaded && m.list.length === 0) {
        this.list.appendChild(
          h("li", { class: "favourite-empty" }, "Star ", h("span", { class: "star-glyph", "aria-hidden": "true" }, "☆"), " a pod to keep its workload here."),
        );
      }
      const count = m.list.length;
      this.fold.setCount(count);
      m.list.forEach((f, i) => this.list.appendChild(this.row(f, i, count)));

      if (editingFocused && this.editing) this.editing.input.focus();
      else if (refocus) {
        const row = this.list.querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(refocus.name)}"]`);
        const el = refocus.cls ? row?.querySelector<HTMLElement>(`.${refocus.cls}`) : row;
        if (el && !(el as HTMLButtonElement).disabled) el.focus();
        else row?.focus();
      }
      if (m.highlight !== null && m.highlight !== this.lastHighlight) {
        this.list
          .querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(m.highlight)}"]`)
          ?.scrollIntoView?.({ block: "nearest" });
      }
      this.lastHighlight = m.highlight;
    } finally {
      this.rendering = false;
    }
  }

  private row(f: FavouriteSummary, index: number, count: number): HTMLLIElement {
    const m = this.model;
    const editing = this.editing?.name === f.name ? this.editing : null;
    const confirming = this.confirmDelete === f.name;
    const name = f.name;
    const actions = confirming
      ? h(
          "span",
          { class: "confirm" },
          h("button", {
            class: "danger favourite-confirm-delete",
            onclick: () => {
              this.confirmDelete = null;
              void m.remove(name);
            },
          }, "Delete"),
          h("button", {
            class: "favourite-keep",
            onclick: () => {
              this.confirmDelete = null;
              this.render();
              this.focusRow(name);
            },
          }, "Keep"),
        )
      : editing
        ? null
        : h(
            "span",
            { class: "favourite-actions" },
            h("button", {
              class: "icon-button favourite-up",
              title: "Move up",
              "aria-label": `Move ${name} up`,
              disabled: index === 0,
              onclick: () => void m.move(name, -1),
            }, "↑"),
            h("button", {
              class: "icon-button favourite-down",
              title: "Move down",
              "aria-label": `Move ${name} down`,
              disabled: index === count - 1,
              onclick: () => void m.move(name, 1),
            }, "↓"),
            h("button", {
              class: "icon-button favourite-rename",
              title: "Rename",
              "aria-label": `Rename ${name}`,
              onclick: () => this.startRename(name),
            }, "✎"),
            h("button", {
              class: "icon-button favourite-delete",
              title: `Delete the favourite ${name}`,
              "aria-label": `Delete ${name}`,
              onclick: () => this.askDelete(name),
            }, "×"),
          );
    const li = h(
      "li",
      {
        class: `favourite${m.highlight === name ? " added" : ""}${editing ? " editing" : ""}`,
        "data-favourite": name,
        "data-kind": f.kind,
        "data-target": f.target,
        "data-profile": f.profile,
        "data-namespace": f.namespace,
        tabindex: 0,
        role: "button",
        "aria-label": `Open ${name}: ${favouriteWhere(f)}`,
        title: `Open a shell: ${favouriteDetails(f)}`,
        onclick: (e: Event) => {
          if ((e.target as HTMLElement).closest("button, input")) return;
          if (!this.editing || this.editing.name !== name) m.open(name);
        },
        onkeydown: (e: Event) => this.rowKey(e as KeyboardEvent, name),
      },
      h("span", { class: "favourite-star", "aria-hidden": "true" }, "★"),
      h(
        "div",
        { class: "favourite-main" },
        editing ? editing.input : h("span", { class: "favourite-name" }, name),
        h("span", { class: "favourite-where" }, favouriteWhere(f)),
      ),
      actions,
    );
    return li;
  }

  private rowKey(e: KeyboardEvent, name: string): void {
    if (e.target !== e.currentTarget) return; // keys in the row's buttons and input are theirs
    const m = this.model;
    switch (e.key) {
      case "Enter":
      case " ":
        e.preventDefault();
        m.open(name);
        break;
      case "F2":
        e.preventDefault();
        this.startRename(name);
        break;
      case "Delete":
        e.preventDefault();
        this.askDelete(name);
        break;
      case "ArrowUp":
      case "ArrowDown": {
        e.preventDefault();
        const delta = e.key === "ArrowUp" ? -1 : 1;
        if (e.altKey) {
          void m.move(name, delta);
        } else {
          const names = m.list.map((f) => f.name);
          const next = names[names.indexOf(name) + delta];
          if (next !== undefined) this.focusRow(next);
        }
        break;
      }
    }
  }

  private focusRow(name: string): void {
    this.list.querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(name)}"]`)?.focus();
  }

  private askDelete(name: string): void {
    this.confirmDelete = name;
    this.editing = null;
    this.render();
    this.list
      .querySelector<HTMLElement>(`.favourite[data-favourite="${CSS.escape(name)}"] .favourite-keep`)
      ?.focus();
  }

  /** Inline rename: Enter saves, Escape (or leaving the box) cancels. */
  startRename(name: string): void {
    const m = this.model;
    if (!m.get(name)) return;
    this.confirmDelete = null;
    const input = h("input", {
      type: "text",
      class: "favourite-rename-input",
      value: name,
      "aria-label": `New name for ${name}`,
      title: "Enter saves, Escape cancels",
      spellcheck: "false",
    });
    const editing: Editing = { name, input, saving: false };
    const cancel = () => {
      if (this.editing !== editing) return;
      this.editing = null;
      this.render();
      this.focusRow(name);
    };
    input.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape") {
        e.preventDefault();
        cancel();
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (editing.saving) return;
        editing.saving = true;
        const wanted = input.value.trim();
        void m.rename(name, input.value).then((ok) => {
          editing.saving = false;
          if (!ok || this.editing !== editing) return;
          this.editing = null;
          this.render();
          this.focusRow(wanted);
        });
      }
    });
    input.addEventListener("blur", () => {
      if (this.rendering || editing.saving) return;
      // Leaving the box cancels (after a click elsewhere has been handled).
      setTimeout(() => {
        if (this.editing === editing && document.activeElement !== input && !editing.saving) cancel();
      }, 0);
    });
    input.addEventListener("click", (e) => e.stopPropagation());
    this.editing = editing;
    this.render();
    input.focus();
    input.select();
  }

  dispose(): void {
    this.root.remove();
  }
}
