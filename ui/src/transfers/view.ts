// Files in the app, drawn: the bar a drop on a terminal tab opens (destination prefilled,
// editable, then Upload), the tab's Download… bar (a pod path completed from a listing, a local
// folder from the native dialog), a strip per tab with its pod's transfers, and the transfers
// panel (every transfer: name, direction, pod, bytes, rate, state; cancel; sha256 on request).
// What a transfer is and how it reads is model.ts's; the bytes move in the engine.
import { clear, h, keyed, removeKeepingFocus, setText } from "../dom";
import { errorMessage, type Backend } from "../ipc";
import type { TransferInfo, TransferTarget } from "../ipc/types";
import type { MenuItem } from "../menu";
import { sessionPod, type Tab } from "../terminal/tabs";
import type { Workspace } from "../terminal/workspace";
import {
  bytesText,
  completeOnce,
  completionParts,
  completions,
  debugVia,
  downloadPathStart,
  dropDestination,
  droppedNames,
  endNotice,
  fraction,
  podKey,
  podText,
  progressText,
  stateText,
  TransfersModel,
  workingDirFill,
} from "./model";
import { pageStorage as store } from "../storage";

/** Where the last directory used per pod and the last download folder are remembered. */
const DIRS_KEY = "podterm.transfers.dirs";
const FOLDER_KEY = "podterm.transfers.folder";
/** Suggestions shown under the pod path field. */
const MAX_SUGGESTIONS = 8;

/** A tab's pod and container, as a transfer names them (null: no pod to copy with). */
export function tabTransferTarget(tab: Tab | undefined): TransferTarget | null {
  if (!tab || tab.kind !== "terminal" || !tab.target.pod) return null;
  const t = tab.target;
  // A copy tab's files are the copy's.
  return { profile: t.profile, namespace: t.namespace, pod: sessionPod(t), container: t.container, debugImage: t.debug?.image ?? null };
}

/** A debug tab's words for its bars (null for any other tab). */
function tabVia(tab: Tab | undefined): string | null {
  if (!tab || tab.kind !== "terminal") return null;
  return debugVia(tab.target.debug, tab.target.container);
}

/** The bar's line saying a copy goes through the debug container, when it may. */
function viaLine(words: string | null): HTMLElement[] {
  return words ? [h("span", { class: "transfer-via" }, words)] : [];
}

/** The panel's parts that a render updates. */
interface PanelParts {
  download: HTMLButtonElement;
  clear: HTMLButtonElement;
  empty: HTMLElement;
  table: HTMLElement;
  rows: HTMLElement;
  status: HTMLElement;
}

export class TransfersView {
  readonly model = new TransfersModel();
  private readonly button: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly dirs: Record<string, string>;
  /** The open bars, one per tab at most: a drop's or a download's. */
  private readonly bars = new Map<number, HTMLElement>();
  private readonly strips = new Map<number, HTMLElement>();
  /** Checksums asked for, by transfer id ("…" while computing). */
  private readonly sums = new Map<number, string>();
  /** The panel's parts, once it was first shown. */
  private parts: PanelParts | null = null;
  /** What had the focus when the panel opened: Escape gives it back. */
  private opener: Element | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly workspace: Workspace,
  ) {
    let dirs: Record<string, string> = {};
    try {
      dirs = JSON.parse(store()?.getItem(DIRS_KEY) ?? "{}") as Record<string, string>;
    } catch {
      /* a broken entry: none remembered */
    }
    this.dirs = dirs;
    this.button = h(
      "button",
      {
        class: "icon-button transfers-button",
        title: "File transfers",
        "aria-label": "File transfers",
        "aria-haspopup": "dialog",
        onclick: () => this.togglePanel(),
      },
      "⇅",
    );
    this.panel = h("section", { class: "transfers-panel", hidden: true, "aria-label": "File transfers" });
    // Escape closes the panel from within it or from its button (elsewhere, a terminal's
    // program gets its Escape).
    for (const el of [this.panel, this.button]) {
      el.addEventListener("keydown", (e) => {
        if (e.key !== "Escape" || this.panel.hidden) return;
        e.preventDefault();
        this.closePanelByKey();
      });
    }
    const strip = workspace.root.querySelector(".tab-strip");
    strip?.insertBefore(this.button, strip.querySelector(".tab-overflow"));
    workspace.root.appendChild(this.panel);
    this.model.onChange((t) => this.changed(t));
    workspace.model.onChange(() => {
      this.dropClosedTabsBars();
      this.renderStrips();
    });
  }

  /** Listens for transfers (the list first: after a reload, the ones still running). */
  async start(): Promise<void> {
    await this.backend.watchTransfers((t) => this.model.apply(t));
    this.model.replace(await this.backend.listTransfers());
  }

  /** The tab menu's file items for tab `tabId` (none for a tab without a pod). */
  menuItems(tabId: number): MenuItem[] {
    const target = tabTransferTarget(this.workspace.model.get(tabId));
    if (!target) return [];
    return [{ label: "Download from the pod…", run: () => this.openDownload(tabId) }];
  }

  /**
   * Files dropped on the window at (x, y): the tab under the drop (its label or its pane), else
   * the active one, gets the drop bar. Only paths cross: the engine reads the files.
   */
  filesDropped(paths: string[], x: number, y: number): void {
    const at = document.elementFromPoint(x, y)?.closest<HTMLElement>("[data-tab-id]");
    const id = at ? Number(at.dataset.tabId) : this.workspace.model.active?.id;
    const tab = id === undefined ? undefined : this.workspace.model.get(id);
    const target = tabTransferTarget(tab);
    if (!tab || !target) {
      this.panelNotice("Drop files on a terminal tab to upload them into its pod.");
      return;
    }
    if (this.workspace.model.active?.id !== tab.id) this.workspace.activate(tab.id);
    this.openUploadBar(tab.id, target, paths, tabVia(tab));
  }

  private pane(tabId: number): HTMLElement | null {
    return document.getElementById(`pane-${tabId}`);
  }

  private closeBar(tabId: number): void {
    const bar = this.bars.get(tabId);
    this.bars.delete(tabId);
    // The focus was in the bar (or fell from its button to the body): the tab's terminal takes
    // it back, as from a closed search bar. A bar of a tab not shown leaves the focus alone.
    if (bar) removeKeepingFocus(bar, () => this.workspace.activate(tabId), this.workspace.model.active?.id === tabId);
  }

  /** A closed tab's bar goes with it (its pane is removed), and so does its entry. */
  private dropClosedTabsBars(): void {
    for (const [id, bar] of this.bars) {
      if (this.workspace.model.get(id)) continue;
      bar.remove();
      this.bars.delete(id);
    }
  }

  private showBar(tabId: number, bar: HTMLElement): void {
    const pane = this.pane(tabId);
    if (!pane) return;
    this.closeBar(tabId);
    this.bars.set(tabId, bar);
    // Under the tab's banner, above its terminal.
    pane.insertBefore(bar, pane.querySelector(":scope > .terminal-view") ?? pane.querySelector(":scope > .toast"));
  }

  private openUploadBar(tabId: number, target: TransferTarget, paths: string[], via: string | null): void {
    const key = podKey(target);
    const remembered = this.dirs[key];
    const dest = h("input", {
      type: "text",
      class: "transfer-dest",
      "aria-label": "Destination directory in the container",
      spellcheck: "false",
      value: dropDestination(remembered, null),
    });
    const error = h("span", { class: "transfer-error", role: "alert" });
    // Why the destination was not prefilled (the container could not say), in the engine's words.
    const note = h("span", { class: "transfer-note", role: "status" });
    const upload = h("button", { class: "primary transfer-go", type: "submit" }, "Upload");
    const bar = h(
      "form",
      {
        class: "transfer-bar upload-bar",
        "data-tab-id": tabId,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const dir = dest.value.trim();
          upload.disabled = true;
          setText(error, "");
          this.backend.startUpload(target, paths, dir).then(
            () => {
              this.dirs[key] = dir;
              store()?.setItem(DIRS_KEY, JSON.stringify(this.dirs));
              this.closeBar(tabId);
            },
            (err: unknown) => {
              upload.disabled = false;
              setText(error, errorMessage(err));
            },
          );
        },
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === "Escape") this.closeBar(tabId);
        },
      },
      h("span", { class: "transfer-what", title: paths.join("\n") }, `Upload ${droppedNames(paths)} to ${podText(target)}:`),
      dest,
      upload,
      h("button", { type: "button", class: "transfer-cancel", onclick: () => this.closeBar(tabId) }, "Cancel"),
      error,
      note,
      ...viaLine(via),
    );
    this.showBar(tabId, bar);
    dest.focus();
    dest.select();
    // The container's working directory, unless a directory was used there before.
    if (remembered === undefined) {
      dest.placeholder = "asking the container…";
      const prefilled = dest.value;
      this.backend.podWorkingDir(target).then(
        (pwd) => {
          const filled = workingDirFill(dest.value, prefilled, pwd);
          if (filled !== null) {
            dest.value = filled;
            // Typing replaces it; a field the user left is not taken back.
            if (document.activeElement === dest) dest.select();
          }
        },
        (err: unknown) => {
          // Nothing to ask with (no shell, and no debug container running): /tmp stays, editable.
          dest.placeholder = "";
          setText(note, `Working directory unknown: ${errorMessage(err)}`);
        },
      );
    }
  }

  /** The tab's Download… bar: a pod path (completed from a listing) and a local folder. */
  openDownload(tabId: number): void {
    const tab = this.workspace.model.get(tabId);
    const target = tabTransferTarget(tab);
    if (!target) return;
    const via = tabVia(tab);
    if (this.workspace.model.active?.id !== tabId) this.workspace.activate(tabId);
    const path = h("input", {
      type: "text",
      class: "transfer-path",
      "aria-label": "Path in the container",
      placeholder: "/path/in/the/container",
      spellcheck: "false",
      autocomplete: "off",
      value: downloadPathStart(this.dirs[podKey(target)]),
    });
    const suggestions = h("ul", { class: "transfer-suggestions", role: "listbox", hidden: true });
    const folder = h("span", { class: "transfer-folder" }, store()?.getItem(FOLDER_KEY) ?? "");
    const error = h("span", { class: "transfer-error", role: "alert" });
    // Why there is no completion (the container cannot list), in the engine's words.
    const note = h("span", { class: "transfer-note", role: "status" });
    const go = h("button", { class: "primary transfer-go", type: "submit" }, "Download");
    // Each directory's entries, listed once as its path is typed ("pending" while asked).
    const listings = new Map<string, string[] | "pending">();
    let shown: string[] = [];
    const suggest = () => {
      const typed = path.value;
      const { dir } = completionParts(typed);
      const entries = dir.startsWith("/") ? listings.get(dir) : undefined;
      if (entries === undefined && dir.startsWith("/")) {
        listings.set(dir, "pending");
        this.backend.listPodDir(target, dir).then(
          (e) => {
            listings.set(dir, e);
            setText(note, "");
          },
          (err: unknown) => {
            listings.set(dir, []);
            setText(note, `No completion: ${errorMessage(err)}`);
          },
        ).finally(() => {
          if (completionParts(path.value).dir === dir && document.activeElement === path) suggest();
        });
      }
      // Nothing stale: only the entries of the directory typed now.
      shown = Array.isArray(entries) ? completions(typed, entries) : [];
      clear(suggestions);
      for (const s of shown.slice(0, MAX_SUGGESTIONS)) {
        suggestions.appendChild(
          h(
            "li",
            {
              role: "option",
              class: "transfer-suggestion",
              onmousedown: (e: Event) => {
                e.preventDefault();
                path.value = s;
                path.focus();
                suggest();
              },
            },
            s,
          ),
        );
      }
      if (shown.length > MAX_SUGGESTIONS) suggestions.appendChild(h("li", { class: "more" }, `… ${shown.length - MAX_SUGGESTIONS} more`));
      suggestions.hidden = shown.length === 0 || (shown.length === 1 && shown[0] === typed);
    };
    path.addEventListener("input", suggest);
    path.addEventListener("focus", suggest);
    path.addEventListener("blur", () => (suggestions.hidden = true));
    path.addEventListener("keydown", (e) => {
      if (e.key === "Tab" && !e.shiftKey && shown.length > 0) {
        e.preventDefault();
        path.value = completeOnce(path.value, shown);
        suggest();
      }
    });
    const choose = async (): Promise<string | null> => {
      const picked = await this.backend.pickFolder();
      if (picked) {
        setText(folder, picked);
        store()?.setItem(FOLDER_KEY, picked);
      }
      return picked;
    };
    const bar = h(
      "form",
      {
        class: "transfer-bar download-bar",
        "data-tab-id": tabId,
        onsubmit: (e: Event) => {
          e.preventDefault();
          void (async () => {
            setText(error, "");
            const src = path.value.trim();
            if (!src) {
              setText(error, "Type the path of a file or folder in the container.");
              return;
            }
            try {
              const into = folder.textContent || (await choose());
              if (!into) return;
              go.disabled = true;
              await this.backend.startDownload(target, src, into);
              const dir = completionParts(src).dir;
              if (dir.startsWith("/")) {
                this.dirs[podKey(target)] = dir.length > 1 ? dir.replace(/\/$/, "") : dir;
                store()?.setItem(DIRS_KEY, JSON.stringify(this.dirs));
              }
              this.closeBar(tabId);
            } catch (err) {
              go.disabled = false;
              setText(error, errorMessage(err));
            }
          })();
        },
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === "Escape") this.closeBar(tabId);
        },
      },
      h("span", { class: "transfer-what" }, `Download from ${podText(target)}:`),
      h("span", { class: "transfer-path-box" }, path, suggestions),
      h("span", { class: "transfer-into" }, "into"),
      folder,
      h(
        "button",
        {
          type: "button",
          class: "transfer-choose",
          onclick: () => {
            choose().catch((err: unknown) => setText(error, errorMessage(err)));
          },
        },
        "Choose folder…",
      ),
      go,
      h("button", { type: "button", class: "transfer-cancel", onclick: () => this.closeBar(tabId) }, "Cancel"),
      error,
      note,
      ...viaLine(via),
    );
    this.showBar(tabId, bar);
    path.focus();
  }

  private changed(t: TransferInfo | null): void {
    this.renderStrips();
    if (!this.panel.hidden) this.renderPanel();
    this.renderButton();
    if (t && t.state.state !== "running") this.announce(t);
  }

  /** A transfer's end, said in its tab's terminal notice and the panel's status line. */
  private announce(t: TransferInfo): void {
    if (this.parts) setText(this.parts.status, endNotice(t));
  }

  private renderButton(): void {
    const running = this.model.running().length;
    setText(this.button, running > 0 ? `⇅ ${running}` : "⇅");
    this.button.classList.toggle("busy", running > 0);
    this.button.title = running > 0 ? `File transfers: ${running} running` : "File transfers";
    // Its tab closed, a running copy keeps its button (and Cancel) in reach.
    this.workspace.keepStrip(running > 0 || !this.panel.hidden);
  }

  /** Each terminal tab's strip: its pod's transfers (running, and finished until dismissed). */
  private renderStrips(): void {
    const tabs = this.workspace.model.list();
    for (const [id, strip] of this.strips) {
      if (!tabs.some((t) => t.id === id)) {
        strip.remove();
        this.strips.delete(id);
      }
    }
    for (const tab of tabs) {
      const target = tabTransferTarget(tab);
      const items = target ? this.model.forTab(target) : [];
      let strip = this.strips.get(tab.id);
      if (items.length === 0) {
        strip?.remove();
        this.strips.delete(tab.id);
        continue;
      }
      const pane = this.pane(tab.id);
      if (!pane) continue;
      if (!strip) {
        strip = h("div", { class: "transfer-strip", role: "status", "aria-label": "Transfers of this pod" });
        this.strips.set(tab.id, strip);
      }
      if (strip.parentElement !== pane) pane.insertBefore(strip, pane.querySelector(":scope > .toast"));
      // Items kept in place while their state holds: progress arrives several times a second,
      // and a Cancel rebuilt under the pointer would never see its click.
      keyed(strip, items, (t) => String(t.id), (t) => this.shape(t), (t) => this.stripItem(t), (el, t) => this.updateItem(el, t));
    }
  }

  /** What a transfer's item and row are built from (its progress aside). */
  private shape(t: TransferInfo): string {
    return `${t.state.state}\n${this.sums.get(t.id) ?? ""}`;
  }

  private progressBar(): HTMLElement {
    return h("span", { class: "transfer-meter", "aria-hidden": "true" }, h("span", { class: "transfer-meter-fill" }));
  }

  /** A meter (from progressBar) brought to `t`'s progress. */
  private setMeter(meter: Element | null, t: TransferInfo): void {
    const f = fraction(t);
    meter?.classList.toggle("unknown", f === null);
    const fill = meter?.querySelector<HTMLElement>(".transfer-meter-fill");
    const width = `${Math.round((f ?? (t.state.state === "done" ? 1 : 0)) * 100)}%`;
    if (fill && fill.style.width !== width) fill.style.width = width;
  }

  private stripItem(t: TransferInfo): HTMLElement {
    const running = t.state.state === "running";
    const arrow = t.direction === "upload" ? "↑" : "↓";
    return h(
      "div",
      { class: `transfer-item state-${t.state.state}`, "data-transfer-id": t.id, "data-state": t.state.state },
      h("span", { class: "transfer-arrow", title: t.direction }, arrow),
      h("span", { class: "transfer-name", title: `${t.localPath}\n${t.podPath}` }, t.name),
      this.progressBar(),
      h("span", { class: "transfer-progress" }),
      this.sumButton(t),
      running
        ? h("button", { class: "transfer-stop", title: "Cancel this transfer", onclick: () => this.cancel(t.id) }, "Cancel")
        : h("button", { class: "icon-button transfer-dismiss", title: "Dismiss", "aria-label": "Dismiss", onclick: () => this.model.dismiss(t.id) }, "×"),
    );
  }

  /** A strip item (from stripItem, same state) brought to `t`'s progress. */
  private updateItem(el: HTMLElement, t: TransferInfo): void {
    this.setMeter(el.querySelector(".transfer-meter"), t);
    const progress = el.querySelector(".transfer-progress");
    if (progress) setText(progress, t.state.state === "running" ? progressText(t) : endNotice(t));
  }

  /** The sha256 button of a finished transfer, or its sum once computed. */
  private sumButton(t: TransferInfo): HTMLElement | null {
    if (t.state.state !== "done") return null;
    const sum = this.sums.get(t.id);
    if (sum) return h("code", { class: "transfer-sha", title: "sha256 of the local file" }, sum);
    return h(
      "button",
      {
        class: "transfer-sha-button",
        title: "Compute the sha256 of the local file",
        onclick: () => {
          this.sums.set(t.id, "computing…");
          this.changed(null);
          this.backend.transferSha256(t.id).then(
            (s) => {
              this.sums.set(t.id, `sha256 ${s}`);
              this.changed(null);
            },
            (err: unknown) => {
              this.sums.set(t.id, `no sha256: ${errorMessage(err)}`);
              this.changed(null);
            },
          );
        },
      },
      "sha256",
    );
  }

  private cancel(id: number): void {
    this.backend.cancelTransfer(id).catch((err: unknown) => this.panelNotice(errorMessage(err)));
  }

  togglePanel(open?: boolean): void {
    const show = open ?? this.panel.hidden;
    // What has the focus as the panel opens (for Escape); forgotten as it closes.
    if (!show) {
      this.opener = null;
    } else if (this.panel.hidden) {
      const at = document.activeElement;
      this.opener = at === document.body ? null : at;
    }
    this.panel.hidden = !show;
    if (show) this.renderPanel();
    this.renderButton();
  }

  /**
   * Escape closed the panel: the focus goes back to what had it when the panel opened, else to
   * the panel's button. The focus was in the panel or on the button, and with no tab open and no
   * copy running the button goes with the panel: neither may keep it, and on the page's body keys
   * reach nothing. Then the sidebar's pod filter takes it (where one is, always in the app).
   */
  private closePanelByKey(): void {
    const back = this.opener;
    this.togglePanel(false);
    if (back instanceof HTMLElement && back.isConnected) back.focus();
    if (document.activeElement !== back) this.button.focus();
    if (document.activeElement !== back && document.activeElement !== this.button) {
      document.body.querySelector<HTMLElement>("input.filter")?.focus();
    }
  }

  private panelNotice(text: string): void {
    this.togglePanel(true);
    setText(this.panelParts().status, text);
  }

  /** The panel's parts, built once: a render updates them, so no button is rebuilt under a click. */
  private panelParts(): PanelParts {
    if (this.parts) return this.parts;
    const download = h("button", {
      class: "transfers-download",
      onclick: () => {
        const active = this.workspace.model.active;
        if (!active || !tabTransferTarget(active)) return;
        this.togglePanel(false);
        this.openDownload(active.id);
      },
    });
    const clearButton = h(
      "button",
      {
        class: "transfers-clear",
        onclick: () => {
          this.backend.clearTransfers().then(
            () => this.model.clearFinished(),
            (err: unknown) => this.panelNotice(errorMessage(err)),
          );
        },
      },
      "Clear finished",
    );
    const empty = h("p", { class: "transfers-empty" }, "No transfers yet. Drop files on a terminal tab to upload them into its pod; Download… in a tab's menu copies a file out.");
    const rows = h("tbody", {});
    const table = h(
      "table",
      { class: "transfers-table" },
      h("thead", {}, h("tr", {}, ...["Name", "Direction", "Pod", "Bytes", "Rate", "State", ""].map((c) => h("th", {}, c)))),
      rows,
    );
    const status = h("p", { class: "transfers-status", role: "status" });
    this.panel.append(
      h(
        "header",
        { class: "transfers-head" },
        h("h2", {}, "File transfers"),
        download,
        clearButton,
        h("button", { class: "icon-button transfers-close", title: "Close", "aria-label": "Close", onclick: () => this.togglePanel(false) }, "×"),
      ),
      empty,
      status,
    );
    this.parts = { download, clear: clearButton, empty, table, rows, status };
    return this.parts;
  }

  private renderPanel(): void {
    const parts = this.panelParts();
    const target = tabTransferTarget(this.workspace.model.active);
    parts.download.hidden = target === null;
    setText(parts.download, target ? `Download from ${podText(target)}…` : "");
    const all = this.model.list();
    parts.clear.disabled = !all.some((t) => t.state.state !== "running");
    // The list or the words for none, before the status line.
    const body = all.length === 0 ? parts.empty : parts.table;
    if (body.parentElement !== this.panel) {
      (body === parts.empty ? parts.table : parts.empty).remove();
      this.panel.insertBefore(body, parts.status);
    }
    keyed(parts.rows, all, (t) => String(t.id), (t) => this.shape(t), (t) => this.panelRow(t), (el, t) => this.updateRow(el, t));
  }

  private panelRow(t: TransferInfo): HTMLElement {
    return h(
      "tr",
      { class: `transfer-row state-${t.state.state}`, "data-transfer-id": t.id, "data-state": t.state.state },
      h("td", { class: "transfer-name", title: `${t.localPath}\n${t.podPath}` }, t.name),
      h("td", {}, t.direction === "upload" ? "↑ upload" : "↓ download"),
      h("td", { title: `${t.target.profile} · ${t.target.namespace}` }, podText(t.target)),
      h("td", { class: "num transfer-bytes" }),
      h("td", { class: "num transfer-rate" }),
      h("td", { class: "transfer-state" }, this.progressBar(), h("span", { class: "transfer-state-text" })),
      h(
        "td",
        { class: "transfer-actions" },
        t.state.state === "running" ? h("button", { class: "transfer-stop", onclick: () => this.cancel(t.id) }, "Cancel") : this.sumButton(t),
      ),
    );
  }

  /** A panel row (from panelRow, same state) brought to `t`'s progress. */
  private updateRow(el: HTMLElement, t: TransferInfo): void {
    const cell = (c: string) => el.querySelector(`.${c}`);
    const bytes = cell("transfer-bytes");
    if (bytes) setText(bytes, t.total > 0 ? `${bytesText(t.bytes)} / ${bytesText(t.total)}` : bytesText(t.bytes));
    const rate = cell("transfer-rate");
    if (rate) setText(rate, `${bytesText(t.rate)}/s`);
    const state = cell("transfer-state");
    if (state instanceof HTMLElement) state.title = t.notes.join("\n");
    this.setMeter(cell("transfer-meter"), t);
    const text = cell("transfer-state-text");
    if (text) setText(text, stateText(t));
  }
}
