// The sidebar: favourites, profiles → namespaces → pods (live), and the container picker that
// opens a tab. It renders a `SidebarModel` and turns clicks and keys into model calls.
import { append, clear, h, setText } from "../dom";
import { showMenu, type MenuItem } from "../menu";
import { FavouritesView } from "../favourites/view";
import { errorMessage } from "../ipc";
import type { PodSummary, ProfileDetails } from "../ipc/types";
import type { SidebarModel } from "./model";
import { ALL_NAMESPACES, cappedWords, execRefusal, pickerContainers, podListEmptyText, podRow, podTooltip, podWindow, POD_SORTS, type PodSort } from "./pods";
import { formatAge } from "./age";
import { clampSidebarWidth, loadSidebarWidth, saveSidebarWidth } from "./width";
import { type Fold, foldable } from "./fold";
import { openProfileForm } from "./profile-form-view";
import { profileLook } from "../profile-look";

interface RowEls {
  li: HTMLLIElement;
  /** The namespace before the name (all namespaces shown). */
  ns: HTMLElement;
  line: HTMLElement;
  star: HTMLButtonElement | null;
  name: HTMLElement;
  age: HTMLElement;
  status: HTMLElement;
  ready: HTMLElement;
  restarts: HTMLElement;
  /** When the pod was created (RFC 3339): the age ticks on from it. */
  createdAt: string;
  picker: HTMLElement | null;
  pickerKey: string | null;
  /** The pod and star state the row last showed (see `updateRow`). */
  shownPod: PodSummary | null;
  shownStar: string;
}

/** Sets (null: removes) an attribute only when it changes (a write is a mutation). */
function setAttr(el: HTMLElement, name: string, value: string | null): void {
  if (el.getAttribute(name) === value) return;
  if (value === null) el.removeAttribute(name);
  else el.setAttribute(name, value);
}

/** A pod row's height (px) until one is measured. */
const ROW_GUESS = 43;

/** Sets an element's height only when it changes (a write restyles, and is a mutation). */
function setHeight(el: HTMLElement, height: string): void {
  if (el.style.height !== height) el.style.height = height;
}

/** The namespace menu's last entry: type one. */
const OTHER_NAMESPACE = "\u0000other";

export class SidebarView {
  readonly root: HTMLElement;
  private profileList: HTMLUListElement;
  private readonly profilesFold: Fold;
  private addMenu: HTMLElement;
  private nsSelect: HTMLSelectElement;
  private nsInput: HTMLInputElement;
  private filterInput: HTMLInputElement;
  private openInput: HTMLInputElement;
  private sortSelect: HTMLSelectElement;
  private messages: HTMLElement;
  private podList: HTMLUListElement;
  private podEmpty: HTMLElement;
  private watchStatus: HTMLElement;
  private podSection: HTMLElement;
  /** The rows drawn, by pod ref: all of a short list, those in and near the view of a long one
   *  (`podWindow`), with a spacer for the rows above them and one for those below. */
  private rows = new Map<string, RowEls>();
  /** The spacers in the list, in order: each stands for a run of rows not drawn. */
  private spacers: HTMLLIElement[] = [];
  /** The pods in the order shown (the keyboard walks them, drawn or not). */
  private shownPods: PodSummary[] = [];
  /** Whether the model changed since `shownPods` was sorted. */
  private podsDirty = true;
  /** A row's height (px), measured from a drawn row; 0 before. */
  private rowHeight = 0;
  private confirmDelete: string | null = null;
  /**
   * What the profile rows and the messages were last built from. A render that would build the
   * same rows again (a pod list changing does, many times a second) leaves them as they are: a
   * row rebuilt between a press and its release loses the click (the release lands on a new node).
   */
  private profilesShown = "";
  private messagesShown = "";
  private renderQueued = false;
  private ageTimer: ReturnType<typeof setInterval>;
  private favouritesView: FavouritesView | null = null;

  constructor(
    private readonly model: SidebarModel,
    parent: HTMLElement,
    private readonly opts: {
      badge?: string;
      /** The pod's right-click menu (and `L` on a pod: `logs`). */
      podMenu?: { items(pod: string): MenuItem[]; logs(pod: string): void; forward(pod: string): void };
      /** The native folder dialog (a cluster's recordings folder). */
      pickFolder?: () => Promise<string | null>;
    } = {},
  ) {
    this.profileList = h("ul", { class: "profile-list", "aria-label": "Clusters" });
    const importPath = h("input", {
      type: "text",
      class: "import-path",
      placeholder: "/path/to/kubeconfig",
      "aria-label": "Kubeconfig file to import",
      spellcheck: "false",
    });
    this.addMenu = h(
      "div",
      { class: "add-menu", hidden: true },
      h("button", { class: "menu-item", "data-action": "import-default", onclick: () => this.run(() => model.importKubeconfig(null)) }, "Import ~/.kube/config"),
      h(
        "form",
        {
          class: "import-form",
          onsubmit: (e: Event) => {
            e.preventDefault();
            const path = importPath.value.trim();
            if (path) this.run(() => model.importKubeconfig(path));
          },
        },
        importPath,
        h("button", { type: "submit" }, "Import file"),
      ),
      h("button", { class: "menu-item", "data-action": "choose-file", onclick: () => this.run(() => model.chooseKubeconfig()) }, "Choose a kubeconfig file…"),
      h("button", { class: "menu-item", "data-action": "add-manual", onclick: () => this.run(() => this.openForm(null)) }, "Add by hand…"),
      h("button", { class: "menu-item", "data-action": "demo", onclick: () => this.run(() => model.addDemo()) }, "Demo cluster"),
    );
    this.nsSelect = h("select", {
      class: "ns-select",
      "aria-label": "Namespace",
      onchange: () => {
        if (this.nsSelect.value === OTHER_NAMESPACE) {
          this.nsInput.hidden = false;
          this.nsInput.focus();
          return;
        }
        void model.selectNamespace(this.nsSelect.value);
      },
    });
    // A namespace typed by hand: one may have rights in a namespace without the right to list
    // namespaces (the list then holds only the profile's own).
    this.nsInput = h("input", {
      type: "text",
      class: "ns-input",
      placeholder: "namespace, then Enter",
      "aria-label": "Namespace to show",
      spellcheck: "false",
      hidden: true,
      onkeydown: (e: Event) => {
        const k = (e as KeyboardEvent).key;
        if (k === "Enter") {
          const ns = this.nsInput.value.trim();
          if (!ns) return;
          this.nsInput.value = "";
          this.nsInput.hidden = true;
          void model.selectNamespace(ns);
        } else if (k === "Escape") {
          this.nsInput.hidden = true;
          this.nsSelect.dataset.options = ""; // re-render puts the current namespace back
          this.render();
        }
      },
    });
    this.openInput = h("input", {
      type: "text",
      class: "open-by-name",
      placeholder: "Open pod by name (pod or pod/container)",
      title: "A shell in this pod of the namespace shown, listed or not; Enter opens it",
      "aria-label": "Open a pod by name",
      spellcheck: "false",
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key !== "Enter") return;
        e.preventDefault();
        if (model.openByName(this.openInput.value)) this.openInput.value = "";
      },
    });
    this.filterInput = h("input", {
      type: "search",
      class: "filter",
      placeholder: "Filter pods",
      "aria-label": "Filter pods",
      spellcheck: "false",
      oninput: () => model.setFilter(this.filterInput.value),
      onkeydown: (e: Event) => {
        const ke = e as KeyboardEvent;
        const k = ke.key;
        if (k === "Enter") {
          const first = model.visiblePods()[0];
          if (first) model.togglePicker(model.podRef(first));
        } else if (k === "ArrowDown" && !ke.shiftKey && !ke.ctrlKey && !ke.altKey && !ke.metaKey && !ke.isComposing && this.movePodFocus(null, 1)) {
          // From the filter down into the list: the keys then go from pod to pod.
          e.preventDefault();
        }
      },
    });
    this.sortSelect = h(
      "select",
      { class: "pod-sort", "aria-label": "Sort pods", title: "Sort pods: by name, newest first, problems first, or most restarts first", onchange: () => model.setSort(this.sortSelect.value as PodSort) },
      ...POD_SORTS.map((o) => h("option", { value: o.value }, o.label)),
    );
    this.sortSelect.value = model.sort;
    // Over the bottom of the list, not in its flow: a notice never moves the pods under the pointer.
    this.messages = h("div", { class: "messages", "aria-live": "polite" });
    this.podList = h("ul", { class: "pod-list", "aria-label": "Pods" });
    this.podEmpty = h("div", { class: "pod-empty" });
    this.watchStatus = h("div", { class: "watch-status", role: "status", hidden: true });
    this.messages.appendChild(this.watchStatus);
    this.podSection = h("section", { class: "pods" }, this.podList, this.podEmpty);
    // A long list draws the rows in view: scrolled or resized, others come into it.
    const drawnPart = () => {
      if (this.shownPods.length > this.rows.size) this.scheduleRender();
    };
    this.podSection.addEventListener("scroll", drawnPart, { passive: true });
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(drawnPart).observe(this.podSection);
    if (model.favourites) {
      this.favouritesView = new FavouritesView(model.favourites);
      // A star's look follows the favourites.
      model.favourites.onChange(() => this.scheduleRender());
    }

    // Clusters: folded, only the one chosen shows.
    const profiles = h("section", { class: "profiles" });
    this.profilesFold = foldable(profiles, "clusters", "Clusters");
    append(
      profiles,
      h(
        "div",
        { class: "section-title" },
        this.profilesFold.button,
        h("button", {
          class: "icon-button add-profile",
          title: "Add a cluster",
          "aria-label": "Add a cluster",
          onclick: () => {
            this.addMenu.hidden = !this.addMenu.hidden;
          },
        }, "+"),
      ),
      this.addMenu,
      this.profileList,
    );
    this.root = h(
      "aside",
      { class: "sidebar" },
      h(
        "header",
        { class: "brand" },
        h("span", { class: "brand-name" }, "Podterm"),
        opts.badge ? h("span", { class: "badge", title: "No Tauri backend: an in-page mock answers" }, opts.badge) : null,
      ),
      this.favouritesView?.root ?? null,
      profiles,
      h(
        "section",
        { class: "ns" },
        h("label", { class: "ns-label" }, h("span", {}, "Namespace"), this.nsSelect),
        this.nsInput,
        h("div", { class: "filter-row" }, this.filterInput, this.sortSelect),
        this.openInput,
      ),
      // The messages float over the bottom of the pod list (not over what the sidebar shows
      // below it: Recordings, Settings).
      h("div", { class: "pods-area" }, this.podSection, this.messages),
    );
    parent.appendChild(this.root);
    // On the window, over the sidebar's edge: the sidebar scrolls in a short window, and would
    // clip a handle of its own that reaches past its edge.
    parent.appendChild(this.resizer(parent));
    // A burst of watch events renders once per frame.
    model.onChange(() => {
      this.podsDirty = true;
      this.scheduleRender();
    });
    this.ageTimer = setInterval(() => this.renderAges(), 1000);
    this.render();
  }

  /** The drag handle on the sidebar's right edge; the width is remembered. */
  private resizer(app: HTMLElement): HTMLElement {
    const apply = (w: number) => app.style.setProperty("--sidebar-width", `${w}px`);
    apply(loadSidebarWidth());
    const handle = h("div", {
      class: "sidebar-resizer",
      role: "separator",
      "aria-orientation": "vertical",
      "aria-label": "Resize the sidebar",
      title: "Drag to resize the sidebar",
    });
    handle.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      const left = this.root.getBoundingClientRect().left;
      handle.setPointerCapture(e.pointerId);
      handle.classList.add("dragging");
      const move = (ev: PointerEvent) => apply(clampSidebarWidth(ev.clientX - left, window.innerWidth));
      const up = (ev: PointerEvent) => {
        handle.releasePointerCapture(ev.pointerId);
        handle.classList.remove("dragging");
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
        saveSidebarWidth(clampSidebarWidth(ev.clientX - left, window.innerWidth));
      };
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
    });
    return handle;
  }

  private run(fn: () => Promise<void>): void {
    this.addMenu.hidden = true;
    void fn();
  }

  /** The add/edit form: `name` null adds a profile, else edits that one. */
  private async openForm(name: string | null): Promise<void> {
    const m = this.model;
    let details: ProfileDetails | null = null;
    if (name !== null) {
      try {
        details = await m.profileDetails(name);
      } catch (err) {
        m.error = `Could not read ${name}: ${errorMessage(err)}`;
        this.render();
        return;
      }
    }
    openProfileForm({ details, save: (input) => m.saveProfile(input), pickFolder: this.opts.pickFolder });
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
    this.renderProfiles();
    this.renderNamespaces();
    this.renderMessages();
    this.renderPods();
  }

  private renderProfiles(): void {
    const m = this.model;
    const shown = JSON.stringify([m.profilesLoaded, m.profiles, m.profile, this.confirmDelete]);
    if (shown === this.profilesShown) return;
    this.profilesShown = shown;
    clear(this.profileList);
    if (m.profilesLoaded && m.profiles.length === 0) {
      this.profileList.appendChild(h("li", { class: "profile-empty" }, "No clusters yet. Use + to add one."));
    }
    this.profilesFold.setCount(m.profiles.length);
    for (const p of m.profiles) {
      const selected = p.name === m.profile;
      const confirming = this.confirmDelete === p.name;
      const li = h(
        "li",
        {
          class: `profile${selected ? " selected" : ""}${p.production ? " production" : ""}`,
          "data-profile": p.name,
          tabindex: 0,
          role: "button",
          "aria-pressed": selected ? "true" : "false",
          title: `${p.server} · ${p.authKind}${p.actsAs !== null ? ` · acts as ${p.actsAs}` : ""}${p.insecure ? " · TLS not verified" : ""}`,
          onclick: (e: Event) => {
            if ((e.target as HTMLElement).closest("button")) return;
            if (!selected) void m.selectProfile(p.name);
          },
          onkeydown: (e: Event) => {
            if ((e as KeyboardEvent).key === "Enter" && !selected) void m.selectProfile(p.name);
          },
        },
        h(
          "div",
          { class: "profile-main" },
          h(
            "span",
            { class: "profile-name" },
            h("span", { class: "profile-swatch", "aria-hidden": "true", style: `--profile-hue: ${profileLook(p.name, p).hue}` }),
            p.name,
            p.production ? h("span", { class: "prod-badge", title: "A production cluster" }, "PROD") : null,
          ),
          h("span", { class: "profile-server" }, `${p.server.replace(/^https?:\/\//, "")} · ${p.authKind}${p.actsAs !== null ? ` · as ${p.actsAs}` : ""}`),
          p.insecure ? h("span", { class: "profile-insecure", title: "The server's certificate is not verified" }, "insecure") : null,
        ),
        confirming
          ? h(
              "span",
              { class: "confirm" },
              h("button", { class: "danger", onclick: () => { this.confirmDelete = null; void m.deleteProfile(p.name); } }, "Delete"),
              h("button", { onclick: () => { this.confirmDelete = null; this.render(); } }, "Keep"),
            )
          : h(
              "span",
              { class: "profile-actions" },
              h("button", {
                class: "icon-button edit-profile",
                title: `Edit ${p.name}`,
                "aria-label": `Edit ${p.name}`,
                onclick: () => void this.openForm(p.name),
              }, "✎"),
              h("button", {
                class: "icon-button delete-profile",
                title: `Remove ${p.name} (and its saved credentials)`,
                "aria-label": `Remove ${p.name}`,
                onclick: () => { this.confirmDelete = p.name; this.render(); },
              }, "×"),
            ),
      );
      this.profileList.appendChild(li);
    }
  }

  private renderNamespaces(): void {
    const m = this.model;
    const wanted = `${m.profile === null ? "" : "+"}${m.namespaces.join("\n")}`;
    if (this.nsSelect.dataset.options !== wanted) {
      clear(this.nsSelect);
      if (m.profile !== null) this.nsSelect.appendChild(h("option", { value: ALL_NAMESPACES, class: "ns-all" }, "All namespaces"));
      for (const ns of m.namespaces) this.nsSelect.appendChild(h("option", { value: ns }, ns));
      if (m.profile !== null) this.nsSelect.appendChild(h("option", { value: OTHER_NAMESPACE, class: "ns-other" }, "Type a namespace…"));
      this.nsSelect.dataset.options = wanted;
      if (m.namespace !== null) this.nsSelect.value = m.namespace;
    }
    if (m.namespace !== null && this.nsSelect.value !== m.namespace && this.nsInput.hidden) this.nsSelect.value = m.namespace;
    this.nsSelect.disabled = m.profile === null || (m.namespaces.length === 0 && m.busy !== null);
    this.filterInput.disabled = m.namespace === null;
    this.openInput.disabled = m.namespace === null || m.allNamespaces;
    this.openInput.placeholder = m.allNamespaces ? "Open by name: pick a namespace" : "Open pod by name (pod or pod/container)";
    if (this.sortSelect.value !== m.sort) this.sortSelect.value = m.sort;
  }

  private renderMessages(): void {
    const m = this.model;
    const shown = JSON.stringify([m.busy, m.error, m.notice]);
    if (shown === this.messagesShown) return;
    this.messagesShown = shown;
    clear(this.messages);
    // "Not live" floats with the messages, over the bottom of the list: shown at the top of
    // the list it moved every row down under a pointer about to double-click one.
    this.messages.appendChild(this.watchStatus);
    if (m.busy) this.messages.appendChild(h("div", { class: "message busy" }, h("span", { class: "spinner" }), m.busy));
    if (m.error) {
      this.messages.appendChild(
        h("div", { class: "message error", role: "alert" },
          h("span", { class: "message-text" }, m.error),
          h("button", { class: "icon-button", "aria-label": "Dismiss", onclick: () => m.dismissMessages() }, "×")),
      );
    }
    if (m.notice) {
      this.messages.appendChild(
        h("div", { class: "message notice" },
          h("span", { class: "message-text" }, m.notice),
          h("button", { class: "icon-button", "aria-label": "Dismiss", onclick: () => m.dismissMessages() }, "×")),
      );
    }
  }

  private renderPods(): void {
    const m = this.model;
    // A scroll or a resize draws other rows of the same list: sorted again only when it changed.
    const pods = !this.podsDirty ? this.shownPods : m.namespace === null ? [] : m.visiblePods();
    // Whose list the rows below are, once listed: `profile/namespace` ("*" for all of them), empty
    // while a list loads. Set in the same pass as the rows, so a test waiting on it sees them.
    this.podSection.dataset.shown = m.profile === null || m.namespace === null || m.podsLoading ? "" : `${m.profile}/${m.allNamespaces ? "*" : m.namespace}`;
    // How many pods the list has (drawn or not), for tests and the bench.
    if (this.podSection.dataset.pods !== String(pods.length)) this.podSection.dataset.pods = String(pods.length);
    this.shownPods = pods;
    this.podsDirty = false;
    this.placeRows(pods);
    const empty = podListEmptyText({
      profile: m.profile,
      profilesLoaded: m.profilesLoaded,
      namespace: m.allNamespaces ? "any namespace" : m.namespace,
      busy: m.busy !== null,
      loading: m.podsLoading,
      unlisted: m.podsUnlisted,
      total: m.pods.size,
      shown: pods.length,
      filter: m.filter,
    });
    setText(this.podEmpty, empty);
    this.podEmpty.hidden = empty === "";
    const problem = m.watchProblem;
    const lines = [
      problem === null ? "" : `Not live: ${problem}. Retrying…`,
      m.podsCapped === null ? "" : cappedWords(m.podsCapped, m.allNamespaces),
    ].filter((l) => l !== "");
    setText(this.watchStatus, lines.join("\n"));
    this.watchStatus.title = problem === null ? "" : "The list may be out of date until the cluster answers again";
    this.watchStatus.hidden = lines.length === 0;
  }

  /**
   * Puts the rows of `pods` in the list: all of a short list; of a long one (`podWindow`) those
   * in and near the view, and wherever they are the row whose picker is open and the row with
   * the keyboard (so neither is taken from under the user by a scroll, and the spacers never
   * count a picker's taller row), with a spacer for each run of rows not drawn.
   */
  private placeRows(pods: PodSummary[], measured = false): void {
    const m = this.model;
    const rowHeight = this.rowHeight || ROW_GUESS;
    const { from, to } = podWindow(pods.length, this.podSection.scrollTop, this.podSection.clientHeight, rowHeight);
    const drawn: number[] = [];
    for (let i = from; i < to; i++) drawn.push(i);
    if (to - from < pods.length) {
      const pinned = [m.picker?.pod, this.focusedRef()].filter((r): r is string => typeof r === "string");
      for (const ref of new Set(pinned)) {
        const i = pods.findIndex((p) => m.podRef(p) === ref);
        if (i >= 0 && (i < from || i >= to)) drawn.push(i);
      }
      drawn.sort((a, b) => a - b);
    }
    // Rows no longer drawn go first: moving a row past them would move it out of the document
    // and in again, and take the keyboard from it.
    const seen = new Set(drawn.map((i) => m.podRef(pods[i]!)));
    for (const [name, row] of this.rows) {
      if (!seen.has(name)) {
        row.li.remove();
        this.rows.delete(name);
      }
    }
    const now = Date.now();
    const spacers: HTMLLIElement[] = [];
    let prev: Element | null = null;
    const place = (el: Element) => {
      const expected = prev ? prev.nextSibling : this.podList.firstChild;
      if (expected !== el) this.podList.insertBefore(el, expected);
      prev = el;
    };
    const gap = (n: number) => {
      if (n <= 0) return;
      const spacer = this.spacers[spacers.length] ?? h("li", { class: "pod-space", "aria-hidden": "true" });
      spacers.push(spacer);
      setHeight(spacer, `${n * (this.rowHeight || rowHeight)}px`);
      place(spacer);
    };
    let last = -1;
    for (const i of drawn) {
      gap(i - last - 1);
      last = i;
      const p = pods[i]!;
      const ref = m.podRef(p);
      let row = this.rows.get(ref);
      if (!row) {
        row = this.createRow(ref, p);
        this.rows.set(ref, row);
      }
      this.updateRow(row, p, now);
      // Drawn in part, the list says to a screen reader where each row is and how many there are.
      const windowed = drawn.length < pods.length;
      setAttr(row.li, "aria-posinset", windowed ? String(i + 1) : null);
      setAttr(row.li, "aria-setsize", windowed ? String(pods.length) : null);
      place(row.li);
    }
    gap(pods.length - last - 1);
    for (const spacer of this.spacers.slice(spacers.length)) spacer.remove();
    this.spacers = spacers;
    // A long list's row height, from a drawn row without its picker open (read once: a layout).
    // Measured unlike the guess, the rows are placed again at once with it.
    if (drawn.length < pods.length && this.rowHeight === 0 && !measured) {
      const sample = [...this.rows.values()].find((r) => r.picker === null)?.li.getBoundingClientRect().height ?? 0;
      if (sample > 0) {
        this.rowHeight = sample;
        if (Math.abs(sample - rowHeight) > 0.01) this.placeRows(pods, true);
      }
    }
  }

  /** The pod ref of the drawn row that has the keyboard, if one has. */
  private focusedRef(): string | null {
    const li = document.activeElement?.closest("li.pod");
    if (!li) return null;
    for (const [ref, row] of this.rows) if (row.li === li) return ref;
    return null;
  }

  /**
   * Moves the keyboard `step` pods from `from` (a pod's line; `null`: before the first) in the
   * order shown, stopping at either end (±Infinity: the first or last pod). False when there is
   * none that way.
   */
  private movePodFocus(from: HTMLElement | null, step: number): boolean {
    // The rows as the model has them now (a filter typed this frame renders at the next).
    if (this.renderQueued) this.render();
    const m = this.model;
    const pods = this.shownPods;
    const fromRef = from === null ? null : [...this.rows].find(([, r]) => r.line === from)?.[0];
    const at = fromRef === undefined || fromRef === null ? -1 : pods.findIndex((p) => m.podRef(p) === fromRef);
    const want = step === Infinity ? pods.length - 1 : step === -Infinity ? 0 : at + step;
    if (want < 0 || pods.length === 0) return false;
    const to = Math.min(want, pods.length - 1);
    const ref = m.podRef(pods[to]!);
    let row = this.rows.get(ref);
    if (!row) {
      // Not drawn (a long list): scrolled to, then drawn at once.
      const rowHeight = this.rowHeight || ROW_GUESS;
      const view = this.podSection.clientHeight;
      const top = to * rowHeight;
      this.podSection.scrollTop = top < this.podSection.scrollTop ? top : Math.max(0, top + rowHeight - view);
      this.render();
      row = this.rows.get(ref);
    }
    if (!row) return false;
    row.line.focus();
    row.line.scrollIntoView?.({ block: "nearest" });
    return true;
  }

  /** Ages move on while nothing else changes: the timer touches their text alone, and only
   *  when it changes (each second for a pod under 10 minutes old, each minute or less often
   *  after), never the rest of a row (a whole row's titles, classes and attributes were
   *  rewritten each second). */
  private renderAges(): void {
    const now = Date.now();
    for (const row of this.rows.values()) setText(row.age, formatAge(row.createdAt, now));
  }

  private createRow(ref: string, p: PodSummary): RowEls {
    const name = ref;
    const ns = h("span", { class: "pod-ns", hidden: !this.model.allNamespaces }, `${p.namespace}/`);
    const nameEl = h("span", { class: "pod-name" }, p.name);
    const age = h("span", { class: "pod-age", title: "Age" });
    const status = h("span", { class: "pod-status" });
    const ready = h("span", { class: "pod-ready", title: "Ready containers" });
    const restarts = h("span", { class: "pod-restarts", title: "Restarts" });
    const line = h(
      "div",
      {
        class: "pod-line",
        role: "button",
        tabindex: 0,
        onclick: () => this.model.togglePicker(name),
        ondblclick: () => this.model.openDefault(name),
        oncontextmenu: (e: Event) => {
          const menu = this.opts.podMenu;
          if (!menu) return;
          e.preventDefault();
          const m = e as MouseEvent;
          showMenu(m.clientX, m.clientY, menu.items(name), `Pod ${name}`);
        },
        onkeydown: (e: Event) => {
          const k = (e as KeyboardEvent).key;
          const plain = !(e as KeyboardEvent).ctrlKey && !(e as KeyboardEvent).altKey && !(e as KeyboardEvent).metaKey;
          if ((k === "l" || k === "L") && this.opts.podMenu && plain) {
            e.preventDefault();
            this.opts.podMenu.logs(name);
            return;
          }
          if ((k === "f" || k === "F") && this.opts.podMenu && plain) {
            e.preventDefault();
            this.opts.podMenu.forward(name);
            return;
          }
          if (k === "Enter" || k === " ") {
            e.preventDefault();
            this.model.togglePicker(name);
            return;
          }
          const row = e.currentTarget as HTMLElement;
          const step = k === "ArrowDown" ? 1 : k === "ArrowUp" ? -1 : k === "Home" ? -Infinity : k === "End" ? Infinity : 0;
          if (step !== 0 && plain) {
            e.preventDefault();
            // Above the first pod: back to the filter.
            if (!this.movePodFocus(row, step)) this.filterInput.focus();
          }
        },
      },
      h("div", { class: "pod-first" }, ns, nameEl, age),
      h("div", { class: "pod-second" }, status, ready, restarts),
    );
    const star = this.model.favourites
      ? h("button", {
          class: "icon-button star",
          title: "Favourite the workload that runs this pod",
          "aria-label": `Favourite the workload that runs ${name}`,
          onclick: () => void this.model.starPod(name),
        }, "☆")
      : null;
    const li = h("li", { class: "pod", "data-pod": p.name, "data-namespace": p.namespace }, h("div", { class: "pod-head" }, line, star));
    return { li, ns, line, star, name: nameEl, age, status, ready, restarts, createdAt: p.createdAt, picker: null, pickerKey: null, shownPod: null, shownStar: "" };
  }

  private updateRow(row: RowEls, p: PodSummary, now: number): void {
    const ref = this.model.podRef(p);
    const picker = this.model.picker;
    const open = picker !== null && picker.pod === ref;
    const as = row.star ? this.model.starredAs(ref) : [];
    const starKey = row.star ? `${as.join("\n")}|${this.model.starring.has(ref)}` : "";
    // Nothing it shows has changed (a pod's summary is replaced when the pod changes, never
    // changed in place): its elements are left alone. Writing the same titles and classes again
    // made WebKit restyle every row of a long list for one pod's change (the ages tick apart).
    if (!open && row.picker === null && row.shownPod === p && row.shownStar === starKey) return;
    row.shownPod = p;
    row.shownStar = starKey;
    const r = podRow(p, now);
    row.createdAt = p.createdAt;
    row.line.title = podTooltip(p);
    setText(row.age, r.age);
    setText(row.status, r.status);
    row.status.className = `pod-status status-${r.status.toLowerCase()}`;
    row.status.title = p.reason ?? "";
    setText(row.ready, `${r.ready} ready`);
    setText(row.restarts, p.restarts === 1 ? "1 restart" : `${r.restarts} restarts`);
    row.restarts.classList.toggle("has-restarts", p.restarts > 0);
    row.li.classList.toggle("terminating", p.terminating);
    if (row.star) {
      const starred = as.length > 0;
      setText(row.star, starred ? "★" : "☆");
      row.star.classList.toggle("starred", starred);
      row.star.title = starred
        ? `Favourite the workload that runs this pod (saved as ${as.join(", ")}; a star saves another)`
        : "Favourite the workload that runs this pod";
      row.star.disabled = this.model.starring.has(ref);
    }
    row.li.classList.toggle("picking", open);
    row.line.setAttribute("aria-expanded", open ? "true" : "false");
    const key = open ? `${p.containers.join("\n")}|${(p.ephemeralContainers ?? []).join("\n")}|${p.defaultContainer}|${execRefusal(p) ?? ""}` : null;
    if (key !== row.pickerKey) {
      // Closed with the keyboard in it (Escape): the keyboard goes back to its pod.
      const hadFocus = row.picker?.contains(document.activeElement) ?? false;
      row.picker?.remove();
      if (hadFocus && !open) row.line.focus({ preventScroll: true });
      row.picker = open ? this.createPicker(p) : null;
      if (row.picker) {
        row.li.appendChild(row.picker);
        // The command box takes the keyboard: Enter opens the preselected container's shell,
        // or the command typed.
        // Without scrolling the list: the second click of a double-click must land on the same pod.
        row.picker.querySelector<HTMLElement>("input.command")?.focus({ preventScroll: true });
      }
      row.pickerKey = key;
    }
    if (open && row.picker) {
      for (const b of row.picker.querySelectorAll<HTMLButtonElement>(".container")) {
        const sel = b.dataset.container === picker.container;
        b.classList.toggle("selected", sel);
        b.setAttribute("aria-checked", sel ? "true" : "false");
      }
    }
  }

  private createPicker(p: PodSummary): HTMLElement {
    const m = this.model;
    const refusal = execRefusal(p);
    if (refusal) {
      return h("div", { class: "picker" }, h("div", { class: "picker-refusal" }, `Cannot open a shell: ${refusal}.`));
    }
    const command = h("input", {
      type: "text",
      class: "command",
      placeholder: "Command (empty: bash, else sh)",
      title: "Enter opens the selected container; empty runs bash, else sh",
      "aria-label": "Command to run instead of a shell",
      spellcheck: "false",
      oninput: () => m.setCommand(command.value),
      onkeydown: (e: Event) => {
        const k = (e as KeyboardEvent).key;
        if (k === "Enter") {
          e.preventDefault();
          m.openPicked();
        } else if (k === "Escape") {
          m.closePicker();
        }
      },
    });
    // The pod's ephemeral (debug) containers after its own, marked "debug".
    const all = pickerContainers(p);
    const debug = new Set(p.ephemeralContainers ?? []);
    const buttons = all.map((c) =>
      h(
        "button",
        {
          class: "container",
          role: "radio",
          "data-container": c,
          title: `Open ${c}`,
          onclick: () => m.openPicked(c),
          onfocus: () => m.selectContainer(c),
          onkeydown: (e: Event) => {
            const k = (e as KeyboardEvent).key;
            const i = all.indexOf(c);
            const go = (j: number) => {
              const name = all[(j + all.length) % all.length]!;
              (e.currentTarget as HTMLElement).parentElement
                ?.querySelector<HTMLElement>(`[data-container="${CSS.escape(name)}"]`)
                ?.focus();
            };
            if (k === "ArrowDown" || k === "ArrowRight") { e.preventDefault(); go(i + 1); }
            else if (k === "ArrowUp" || k === "ArrowLeft") { e.preventDefault(); go(i - 1); }
            else if (k === "Escape") m.closePicker();
          },
        },
        h("span", { class: "container-name" }, c),
        c === p.defaultContainer ? h("span", { class: "container-default" }, "default") : null,
        debug.has(c) ? h("span", { class: "container-debug", title: "An ephemeral (debug) container: it stays in the pod until the pod is deleted" }, "debug") : null,
      ),
    );
    return h(
      "div",
      { class: "picker", role: "group", "aria-label": `Open a shell in ${p.name}` },
      h("div", { class: "picker-title" }, "Container"),
      h("div", { class: "containers", role: "radiogroup" }, ...buttons),
      command,
    );
  }

  dispose(): void {
    clearInterval(this.ageTimer);
    this.favouritesView?.dispose();
    this.root.remove();
  }
}

