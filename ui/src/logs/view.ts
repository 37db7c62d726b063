// A Logs view in a tab: a toolbar (follow/pause, search, timestamps, wrap, previous run,
// container, line limit, download), the log, and beside it the pod's status and events. The log
// streams through the engine (open_logs) in acknowledged batches; the model keeps at most the
// line limit (the app setting `logLines` in settings.json, the same for every Logs view). Everything
// from the pod is set as text (textContent), never as HTML.
import { clear, h, setText } from "../dom";
import { errorMessage, type Backend } from "../ipc";
import type { LogsState, PodDetails } from "../ipc/types";
import { formatAge } from "../sidebar/age";
import { DEFAULT_LINE_LIMIT, LogModel, boundLineLimit, lineLimitChoices, plain, ranges, spans, type LogLine } from "./model";

/** Where a Logs view's stream is: its tab's dot and status word follow it. */
export type LogsStreamState = "connecting" | "streaming" | "ended" | "failed";

export interface LogsTarget {
  profile: string;
  namespace: string;
  pod: string;
  /** Empty: the pod's default container. */
  container: string;
  /** The logs of the workload that runs the pod, every pod of it (across rollouts). */
  workload?: boolean;
}

/**
 * Lines in the DOM while the view follows (the model keeps up to the limit): a flood then costs
 * at most this many new rows a frame, however much arrived. Pausing (or stepping through
 * matches) draws every kept line, to scroll and search through.
 */
const FOLLOW_ROWS = 1_000;
/** How often the status and events are read again while the view is shown. */
const DETAILS_EVERY_MS = 5_000;

/** Lines every Logs view keeps: the app setting (read at start), the default until then. */
let lineLimit = DEFAULT_LINE_LIMIT;
const openViews = new Set<LogsView>();

/** The line limit every Logs view keeps now. */
export function logLineLimit(): number {
  return lineLimit;
}

/** Every Logs view, open and new, keeps `lines` lines (the setting as saved). */
export function setLogLineLimit(lines: number): void {
  lineLimit = boundLineLimit(lines);
  for (const v of openViews) v.applyLimit(lineLimit);
}

export class LogsView {
  readonly root: HTMLElement;
  readonly model: LogModel;
  private readonly body: HTMLElement;
  private readonly lines: HTMLElement;
  private readonly pendingEl: HTMLElement;
  private readonly state: HTMLElement;
  /** Shown when the stream ended or failed: reads the log anew (never a dead end). */
  private readonly retryButton: HTMLElement;
  private readonly details: HTMLElement;
  private readonly events: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly matchCount: HTMLElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly containerSelect: HTMLSelectElement;
  private readonly previousBox: HTMLInputElement;
  private readonly limitSelect: HTMLSelectElement;
  private timestamps = false;
  private streamId: number | null = null;
  /**
   * Bytes the model has taken but the engine has not been told of: acknowledged once the lines
   * are on screen (render), so a view that cannot draw as fast as the log comes pauses the
   * stream instead of parsing what it will never show. Held while the stream's id is unknown.
   */
  private unacked = 0;
  /** Bumped for every stream opened: output of an older one is ignored. */
  private generation = 0;
  /** The last line number in the DOM (lines arrive in order). */
  private lastShown = 0;
  private frame: number | null = null;
  private fullRender = true;
  private currentMatch = -1;
  private detailsTimer: ReturnType<typeof setInterval> | null = null;
  private disposed = false;
  container: string;

  constructor(
    private readonly backend: Backend,
    readonly target: LogsTarget,
    private readonly handlers: { onWorkload?: (name: string) => void; onState?: (state: LogsStreamState, text: string) => void } = {},
  ) {
    this.container = target.container;
    openViews.add(this);
    this.model = new LogModel(lineLimit, (n) => {
      this.unacked += n;
      this.schedule();
    });
    this.model.onChange(() => this.schedule());
    this.pauseButton = h("button", { class: "logs-pause", title: "Pause following (new lines are held)", onclick: () => this.togglePause() }, "Pause");
    this.searchInput = h("input", {
      type: "search",
      class: "logs-search",
      placeholder: "Search",
      "aria-label": "Search the log",
      spellcheck: "false",
      oninput: () => {
        this.model.setSearch(this.searchInput.value);
        this.currentMatch = -1;
        this.fullRender = true;
      },
      onkeydown: (e: Event) => {
        const k = e as KeyboardEvent;
        if (k.key === "Enter") {
          e.preventDefault();
          this.step(k.shiftKey ? -1 : 1);
        }
      },
    });
    this.matchCount = h("span", { class: "logs-matches", "aria-live": "polite" });
    const check = (label: string, cls: string, onchange: (on: boolean) => void, title: string) => {
      const box = h("input", { type: "checkbox", class: cls, onchange: () => onchange(box.checked) });
      return { box, label: h("label", { class: "logs-toggle", title }, box, label) };
    };
    const stamps = check("Timestamps", "logs-timestamps", (on) => {
      this.timestamps = on;
      this.fullRender = true;
      this.schedule();
    }, "Show each line's time, as the API server recorded it");
    const wrap = check("Wrap", "logs-wrap", (on) => this.lines.classList.toggle("wrap", on), "Wrap long lines");
    const previous = check("Previous run", "logs-previous", () => this.restart(), "The container's run before its last restart");
    this.previousBox = previous.box;
    this.containerSelect = h("select", {
      class: "logs-container",
      "aria-label": "Container",
      onchange: () => {
        this.container = this.containerSelect.value;
        this.restart();
      },
    });
    const limit = h("select", {
      class: "logs-limit",
      "aria-label": "Lines kept",
      title: "The most lines a Logs view keeps (the oldest go first); saved for every Logs view",
      onchange: () => {
        const wanted = Number(limit.value);
        this.backend.setLogLines(wanted).then(
          (saved) => setLogLineLimit(saved),
          (e: unknown) => {
            this.notice(`Line limit not changed: ${errorMessage(e)}`);
            this.renderLimits();
          },
        );
      },
    });
    this.limitSelect = limit;
    this.renderLimits();
    const toolbar = h(
      "div",
      { class: "logs-toolbar", role: "toolbar", "aria-label": "Log" },
      this.pauseButton,
      this.searchInput,
      this.matchCount,
      h("button", { class: "icon-button logs-prev", title: "Previous match (Shift+Enter)", onclick: () => this.step(-1) }, "↑"),
      h("button", { class: "icon-button logs-next", title: "Next match (Enter)", onclick: () => this.step(1) }, "↓"),
      stamps.label,
      wrap.label,
      previous.label,
      this.containerSelect,
      limit,
      h("button", { class: "logs-download", title: "Save the lines shown as a text file", onclick: () => this.download() }, "Download"),
    );
    this.lines = h("div", { class: "logs-lines", role: "log", "aria-label": "Log lines" });
    this.pendingEl = h("div", { class: "log-line pending" });
    this.state = h("div", { class: "logs-state", role: "status" });
    this.retryButton = h(
      "button",
      { class: "logs-retry", hidden: true, title: "Read the log again and follow it", onclick: () => this.restart() },
      "Follow again",
    );
    this.body = h("div", { class: "logs-body" }, this.lines, this.pendingEl);
    this.details = h("section", { class: "logs-details", "aria-label": "Pod status" });
    this.events = h("section", { class: "logs-events", "aria-label": "Events" });
    const side = h(
      "aside",
      { class: "logs-side" },
      h("div", { class: "logs-side-head" }, h("h2", {}, "Pod"), h("button", { class: "icon-button logs-refresh", title: "Read the status and events again", onclick: () => void this.loadDetails() }, "⟳")),
      this.details,
      h("h2", {}, "Events"),
      this.events,
    );
    if (target.workload) {
      // One log of many pods: no single container or previous run to choose.
      previous.label.hidden = true;
      this.containerSelect.hidden = true;
    }
    this.root = h("div", { class: "logs-view" }, toolbar, h("div", { class: "logs-main" }, h("div", { class: "logs-log" }, this.body, h("div", { class: "logs-foot" }, this.state, this.retryButton)), side));
    this.start();
    void this.loadDetails();
    this.detailsTimer = setInterval(() => {
      if (this.root.isConnected && !this.root.closest("[hidden]")) void this.loadDetails();
    }, DETAILS_EVERY_MS);
  }

  focus(): void {
    this.searchInput.focus();
  }

  /** The line limit changed (this view's select or another's): keep that many lines. */
  applyLimit(lines: number): void {
    if (lines === this.model.limit) return;
    this.model.setLimit(lines);
    this.fullRender = true;
    this.renderLimits();
  }

  private renderLimits(): void {
    clear(this.limitSelect);
    for (const n of lineLimitChoices(this.model.limit)) {
      this.limitSelect.appendChild(h("option", { value: n, selected: n === this.model.limit }, `${n.toLocaleString("en")} lines`));
    }
    this.limitSelect.value = String(this.model.limit);
  }

  /** Ctrl+F in the view. */
  find(): void {
    this.searchInput.focus();
    this.searchInput.select();
  }

  private togglePause(): void {
    if (this.model.paused) {
      // Following again: back to the newest line.
      this.currentMatch = -1;
      this.lines.querySelector(".log-line.current")?.classList.remove("current");
      this.model.resume();
    } else {
      this.model.pause();
      // Every kept line, not only the newest rows drawn while following.
      this.fullRender = true;
      this.render();
    }
    setText(this.pauseButton, this.model.paused ? "Follow" : "Pause");
    this.pauseButton.classList.toggle("paused", this.model.paused);
    this.pauseButton.title = this.model.paused ? "Show the held lines and follow again" : "Pause following (new lines are held)";
  }

  /** Opens the stream: the container's log followed, or its previous run read whole. */
  private start(): void {
    const gen = ++this.generation;
    // Bytes of an earlier stream are not this one's to acknowledge.
    this.unacked = 0;
    this.setState("Connecting…", "connecting");
    this.backend
      .openLogs(
        {
          profile: this.target.profile,
          namespace: this.target.namespace,
          pod: this.target.pod,
          container: this.container,
          previous: this.previousBox.checked,
          tailLines: this.model.limit,
          workload: this.target.workload === true,
        },
        (bytes) => {
          if (gen === this.generation) this.model.write(bytes);
        },
        (s) => {
          if (gen === this.generation) this.onState(s);
        },
      )
      .then(
        (id) => {
          if (gen !== this.generation || this.disposed) {
            this.backend.closeLogs(id).catch(() => {});
            return;
          }
          this.streamId = id;
          // What arrived before the id is acknowledged now.
          this.flushAcks();
        },
        (e: unknown) => {
          if (gen === this.generation) this.setState(`Could not read the log: ${errorMessage(e)}`, "failed");
        },
      );
  }

  private onState(s: LogsState): void {
    switch (s.state) {
      case "streaming":
        if (this.target.workload) {
          this.setState(`Following every pod of ${s.container}`, "streaming");
          this.root.dataset.workload = s.container;
          this.handlers.onWorkload?.(s.container);
          break;
        }
        if (this.container === "") this.container = s.container;
        this.setState(this.previousBox.checked ? `The previous run of ${s.container}` : `Following ${s.container}`, "streaming");
        this.syncContainers();
        break;
      case "resuming":
        // The lines so far stay; the follow goes on by itself once the API server answers.
        this.setState(`The log broke off and cannot be resumed yet (${s.reason}); trying again for up to a minute…`, "connecting");
        break;
      case "ended":
        this.model.end();
        this.setState(this.previousBox.checked ? "The previous run, whole." : "The log ended (the container stopped).", "ended");
        break;
      case "failed":
        this.model.end();
        this.setState(s.reason, "failed");
        break;
    }
  }

  private setState(text: string, kind: LogsStreamState): void {
    setText(this.state, text);
    this.state.dataset.state = kind;
    this.handlers.onState?.(kind, text);
    // A followed log that ended or broke can be followed again; a previous run was read whole.
    this.retryButton.hidden = !(kind === "failed" || (kind === "ended" && !this.previousBox.checked));
  }

  /** Another container or run: the old stream stops, the lines go. */
  private restart(): void {
    if (this.streamId !== null) this.backend.closeLogs(this.streamId).catch(() => {});
    this.streamId = null;
    if (this.model.paused) this.togglePause();
    this.model.clear();
    this.model.end();
    this.lastShown = 0;
    this.fullRender = true;
    this.start();
  }

  private schedule(): void {
    if (this.frame !== null || this.disposed) return;
    const run = () => {
      this.frame = null;
      this.render();
    };
    this.frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(run) : (setTimeout(run, 16) as unknown as number);
  }

  private lineEl(l: LogLine, q: string): HTMLElement {
    const el = h("div", { class: "log-line", "data-n": l.n });
    if (l.source) el.appendChild(h("span", { class: "log-source", style: `--source-hue: ${hue(l.source)}` }, `${l.source} `));
    if (this.timestamps && l.stamp) el.appendChild(h("span", { class: "log-stamp" }, `${l.stamp} `));
    const marks = q ? ranges(plain(l.text), q) : [];
    let at = 0;
    for (const s of spans(l.text)) {
      const start = at;
      at += s.text.length;
      const style = [s.color ? `color: ${s.color}` : "", s.background ? `background: ${s.background}` : ""].filter(Boolean).join("; ");
      const span = h("span", { class: s.classes.join(" ") || null, style: style || null });
      // Highlights cut across the run where they fall.
      let pos = start;
      for (const [a, b] of marks) {
        if (b <= pos || a >= at) continue;
        if (a > pos) span.appendChild(document.createTextNode(s.text.slice(pos - start, a - start)));
        const end = Math.min(b, at);
        span.appendChild(h("mark", { class: "log-match" }, s.text.slice(Math.max(a, pos) - start, end - start)));
        pos = end;
      }
      if (pos < at) span.appendChild(document.createTextNode(s.text.slice(pos - start)));
      el.appendChild(span);
    }
    if (marks.length > 0) el.classList.add("has-match");
    return el;
  }

  private render(): void {
    const all = this.model.all();
    const q = this.model.search;
    if (this.fullRender) {
      clear(this.lines);
      this.lastShown = 0;
      this.fullRender = false;
    }
    // While following, only the newest FOLLOW_ROWS lines are drawn.
    const following = !this.model.paused && this.currentMatch < 0;
    const from = following ? Math.max(0, all.length - FOLLOW_ROWS) : 0;
    const first = all[from]?.n ?? this.lastShown + 1;
    // Lines dropped by the limit leave the DOM too.
    while (this.lines.firstElementChild && Number((this.lines.firstElementChild as HTMLElement).dataset.n) < first) {
      this.lines.firstElementChild.remove();
    }
    const frag = document.createDocumentFragment();
    for (let i = all.length - 1; i >= from && all[i]!.n > this.lastShown; i--) {
      frag.prepend(this.lineEl(all[i]!, q));
    }
    this.lines.appendChild(frag);
    this.lastShown = all[all.length - 1]?.n ?? this.lastShown;
    // The line still growing (a prompt, a progress line) is drawn as a line is: its timestamp
    // only when timestamps are shown, its colours kept.
    const pending = this.model.pendingLine;
    this.pendingEl.replaceChildren(...(pending ? [...this.lineEl(pending, q).childNodes] : []));
    this.pendingEl.hidden = pending === null;
    const count = q ? this.model.matches().length : 0;
    setText(this.matchCount, q ? `${count} ${count === 1 ? "line" : "lines"}` : "");
    const held = this.model.heldByteCount;
    if (this.model.paused) {
      this.pauseButton.dataset.held = String(held);
    }
    this.root.dataset.lines = String(all.length);
    if (!this.model.paused && this.currentMatch < 0) this.body.scrollTop = this.body.scrollHeight;
    this.flushAcks();
  }

  /** Tells the engine of the bytes taken and drawn since the last time. */
  private flushAcks(): void {
    if (this.streamId === null || this.unacked === 0) return;
    const n = this.unacked;
    this.unacked = 0;
    this.backend.ackLogs(this.streamId, n).catch(() => {});
  }

  /** The next (1) or previous (-1) matching line, scrolled to. */
  private step(delta: number): void {
    const m = this.model.matches();
    if (m.length === 0) return;
    if (!this.model.paused) this.togglePause();
    this.currentMatch = (this.currentMatch + delta + m.length) % m.length;
    this.lines.querySelector(".log-line.current")?.classList.remove("current");
    const el = this.lines.querySelector<HTMLElement>(`.log-line[data-n="${m[this.currentMatch]}"]`);
    el?.classList.add("current");
    el?.scrollIntoView({ block: "center" });
    setText(this.matchCount, `${this.currentMatch + 1} of ${m.length}`);
  }

  /** The lines kept, as a file where the user chooses (the native save dialog). */
  private download(): void {
    const text = this.model.text(this.timestamps);
    const lines = this.model.all().length;
    const name = `${this.root.dataset.workload ?? this.target.pod}-${this.container || "log"}.log`.replace(/[^A-Za-z0-9._-]/g, "_");
    this.backend.saveLog(name, text).then(
      (path) => {
        if (path) this.notice(`Saved ${lines} lines to ${path}`);
      },
      (e: unknown) => this.notice(`The log could not be saved: ${errorMessage(e)}`),
    );
  }

  /** A short word under the log (a saved file), over the stream's state until it changes. */
  private notice(text: string): void {
    setText(this.state, text);
  }

  private containers: string[] = [];

  private syncContainers(): void {
    if (this.target.workload) return;
    const names = this.containers.length > 0 ? this.containers : [this.container];
    const key = names.join("\n") + "\n" + this.container;
    if (this.containerSelect.dataset.key === key) return;
    this.containerSelect.dataset.key = key;
    clear(this.containerSelect);
    for (const n of names) this.containerSelect.appendChild(h("option", { value: n, selected: n === this.container }, n));
    this.containerSelect.hidden = names.length < 2;
  }

  private async loadDetails(): Promise<void> {
    try {
      // A workload's pods come and go (a rollout replaces the one it was opened from): its
      // status is the newest pod's that wrote to the log.
      const pod = this.target.workload ? (this.model.newestPod() ?? this.target.pod) : this.target.pod;
      const d = await this.backend.podDetails(this.target.profile, this.target.namespace, pod);
      if (this.disposed) return;
      this.containers = d.containers.map((c) => c.name);
      this.syncContainers();
      this.renderDetails(d);
    } catch (e) {
      if (this.disposed) return;
      clear(this.details);
      this.details.appendChild(h("p", { class: "message error" }, `The pod's status could not be read: ${errorMessage(e)}`));
    }
  }

  private renderDetails(d: PodDetails): void {
    const now = Date.now();
    clear(this.details);
    const row = (k: string, v: string | null) => (v ? h("tr", {}, h("th", {}, k), h("td", {}, v)) : null);
    this.details.appendChild(
      h(
        "table",
        { class: "logs-facts" },
        this.target.workload ? row("Pod", d.name) : null,
        row("Phase", d.reason ? `${d.phase} (${d.reason})` : d.phase),
        row("Node", d.node),
        row("Pod IP", d.podIp),
        row("Host IP", d.hostIp),
        row("Age", d.created ? formatAge(d.created, now) : null),
      ),
    );
    const conds = h("ul", { class: "logs-conditions" });
    for (const c of d.conditions) {
      conds.appendChild(
        h("li", { class: `condition ${c.status === "True" ? "ok" : "not-ok"}`, title: c.message ?? "" }, `${c.type}: ${c.status}${c.reason ? ` (${c.reason})` : ""}`),
      );
    }
    this.details.appendChild(conds);
    const cs = h("ul", { class: "logs-containers" });
    for (const c of d.containers) {
      const why = [c.reason, c.exitCode !== null ? `exit code ${c.exitCode}` : null].filter(Boolean).join(", ");
      cs.appendChild(
        h(
          "li",
          { class: `container-state state-${c.state.toLowerCase()}`, title: c.message ?? "", "data-container": c.name },
          h("span", { class: "container-name" }, c.name),
          ` ${c.state}${why ? ` (${why})` : ""}${c.ready ? ", ready" : ""}, ${c.restartCount} ${c.restartCount === 1 ? "restart" : "restarts"}`,
          c.kind !== "main" ? ` · ${c.kind}` : "",
        ),
      );
    }
    this.details.appendChild(cs);
    clear(this.events);
    if (d.eventsError) this.events.appendChild(h("p", { class: "message error" }, `Events could not be read: ${d.eventsError}`));
    else if (d.events.length === 0) this.events.appendChild(h("p", { class: "empty" }, "No events (the cluster keeps them about an hour)."));
    else {
      const table = h("table", { class: "logs-event-table" }, h("tr", {}, h("th", {}, "Reason"), h("th", {}, "Message"), h("th", {}, "Age"), h("th", {}, "Count")));
      for (const e of [...d.events].reverse()) {
        table.appendChild(
          h(
            "tr",
            { class: `event ${e.type === "Warning" ? "warning" : ""}`, title: e.source ? `from ${e.source}` : "" },
            h("td", { class: "event-reason" }, e.reason),
            h("td", { class: "event-message" }, e.message),
            h("td", { class: "event-age" }, e.lastSeen ? formatAge(e.lastSeen, now) : ""),
            h("td", { class: "event-count" }, String(e.count)),
          ),
        );
      }
      this.events.appendChild(table);
    }
  }

  dispose(): void {
    this.disposed = true;
    openViews.delete(this);
    this.generation++;
    if (this.streamId !== null) this.backend.closeLogs(this.streamId).catch(() => {});
    this.streamId = null;
    if (this.detailsTimer) clearInterval(this.detailsTimer);
    this.root.remove();
  }
}

/** A pod's colour in a workload's log (a hue, the same every time for a name). */
function hue(name: string): number {
  let x = 2166136261;
  for (let i = 0; i < name.length; i++) x = Math.imul(x ^ name.charCodeAt(i), 16777619) >>> 0;
  return x % 360;
}
