// The Recordings view: the recordings folders listed (title, date, length, size; Play, Delete
// with a confirmation, the folder opened), and a player: an xterm.js terminal of the recording's
// size fed its events with their timing (model.ts), play/pause, 1×/2×/4×, skip idle, the
// position and a seek. Recordings are named by the id the list gave (never a path) and read in
// pages. Every text outside the terminal (names, titles) is set as text, and came escaped and
// cut from the engine.
import { Terminal } from "@xterm/xterm";
import { clear, h, setText } from "../dom";
import { errorMessage, type Backend } from "../ipc";
import type { RecordingEntry } from "../ipc/types";
import { podtermHook } from "../terminal/view";
import { Playback, SLIDER_STEPS, SPEEDS, IDLE_CAP_S, SliderGrip, clockText, loadUntil, resizeOf, sizeText, type CastEvent } from "./model";

type RecordingsBackend = Pick<Backend, "listRecordings" | "readRecording" | "deleteRecording" | "openRecordingsFolder">;

/** The longest the player waits before it looks again (the time display's refresh). */
const TICK_MS = 200;
/** What ends a press on the position slider. */
const GRIP_ENDS = ["pointerup", "pointercancel"] as const;

/** Opens the Recordings dialog (modal; Escape or × closes it). */
export function openRecordings(backend: RecordingsBackend): HTMLDialogElement {
  const body = h("div", { class: "recordings-body" });
  const status = h("div", { class: "recordings-status", role: "status" });
  let player: Player | null = null;
  const dialog = h(
    "dialog",
    { class: "recordings-dialog", "aria-label": "Recordings" },
    h(
      "header",
      { class: "recordings-header" },
      h("h2", {}, "Recordings"),
      h("button", { class: "icon-button recordings-close", title: "Close", "aria-label": "Close", onclick: () => dialog.close() }, "×"),
    ),
    status,
    body,
  );
  const say = (text: string) => setText(status, text);

  const showList = async () => {
    player?.dispose();
    player = null;
    clear(body);
    say("Reading the recordings folders…");
    let list: RecordingEntry[];
    try {
      list = await backend.listRecordings();
    } catch (err) {
      say(`Could not list the recordings: ${errorMessage(err)}`);
      return;
    }
    say(list.length === 0 ? "No recordings yet. Start one from a tab's menu, or tick “Record every session” in a cluster's settings." : `${list.length} recording${list.length === 1 ? "" : "s"}`);
    if (list.length === 0) return;
    const rows = list.map((r) => row(r));
    body.appendChild(
      h(
        "table",
        { class: "recordings-list" },
        h("thead", {}, h("tr", {}, h("th", {}, "Recording"), h("th", {}, "Started"), h("th", {}, "Length"), h("th", {}, "Size"), h("th", {}, ""))),
        h("tbody", {}, ...rows),
      ),
    );
  };

  const row = (r: RecordingEntry): HTMLElement => {
    const actions = h("td", { class: "recording-actions" });
    const normal = () => {
      clear(actions);
      actions.append(
        h("button", { class: "recording-play primary", disabled: r.problem !== null, onclick: () => showPlayer(r) }, "Play"),
        h(
          "button",
          {
            class: "recording-folder",
            title: `Open ${r.folder}`,
            onclick: () => backend.openRecordingsFolder(r.id).catch((err: unknown) => say(errorMessage(err))),
          },
          "Folder",
        ),
        h("button", { class: "recording-delete", onclick: confirm }, "Delete"),
      );
    };
    const confirm = () => {
      clear(actions);
      actions.append(
        h("span", { class: "recording-confirm" }, "Delete this file?"),
        h(
          "button",
          {
            class: "recording-delete-yes danger",
            onclick: () =>
              backend.deleteRecording(r.id).then(
                () => void showList(),
                (err: unknown) => {
                  say(`Not deleted: ${errorMessage(err)}`);
                  normal();
                },
              ),
          },
          "Delete",
        ),
        h("button", { class: "recording-delete-no", onclick: normal }, "Keep"),
      );
    };
    normal();
    const started = r.started === null ? "" : new Date(r.started * 1000).toLocaleString();
    return h(
      "tr",
      { class: "recording-row", "data-id": r.id },
      h(
        "td",
        { class: "recording-name" },
        h("div", { class: "recording-title" }, r.title ?? r.name),
        h("div", { class: "recording-file", title: r.folder }, r.name),
        r.problem ? h("div", { class: "recording-problem" }, r.problem) : null,
      ),
      h("td", { class: "recording-started" }, started),
      h("td", { class: "recording-duration" }, r.duration === null ? "?" : clockText(r.duration)),
      h("td", { class: "recording-size" }, sizeText(r.bytes)),
      actions,
    );
  };

  const showPlayer = (r: RecordingEntry) => {
    clear(body);
    say("");
    player = new Player(backend, r, body, say, () => void showList());
  };

  dialog.addEventListener("close", () => {
    player?.dispose();
    dialog.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  void showList();
  return dialog;
}

/** One recording played in an xterm.js terminal. */
class Player {
  readonly term: Terminal;
  private readonly playback = new Playback();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private next: number | null = 0;
  /** The page on its way, if one is: a seek waits for it rather than asking twice. */
  private loading: Promise<void> | null = null;
  private disposed = false;
  private readonly grip = new SliderGrip();
  private readonly letGo = () => this.grip.letGo();
  /** The latest seek asked for (an earlier one still loading its pages gives way to it). */
  private seekSerial = 0;
  private readonly toggle: HTMLButtonElement;
  private readonly time: HTMLElement;
  private readonly seek: HTMLInputElement;

  constructor(
    private readonly backend: RecordingsBackend,
    private readonly entry: RecordingEntry,
    parent: HTMLElement,
    private readonly say: (text: string) => void,
    back: () => void,
  ) {
    const host = h("div", { class: "player-terminal" });
    this.toggle = h("button", { class: "player-toggle primary", onclick: () => this.toggled() }, "Pause");
    const speed = h("select", { class: "player-speed", "aria-label": "Speed" }, ...SPEEDS.map((s) => h("option", { value: String(s) }, `${s}×`)));
    speed.addEventListener("change", () => this.playback.setSpeed(Number(speed.value)));
    const skip = h("input", { type: "checkbox", class: "player-skip" });
    skip.addEventListener("change", () => {
      this.playback.setSkipIdle(skip.checked);
      this.schedule();
    });
    this.playback.recordedLength = entry.duration;
    this.seek = h("input", { type: "range", class: "player-seek", min: "0", max: String(SLIDER_STEPS), value: "0", "aria-label": "Position" });
    // The thumb is the user's from a press or a move until let go; not while the slider merely
    // keeps the focus after a click.
    this.seek.addEventListener("pointerdown", () => this.grip.grip());
    this.seek.addEventListener("input", () => this.grip.grip());
    // Released anywhere: a drag may end off the slider.
    for (const end of GRIP_ENDS) document.addEventListener(end, this.letGo);
    this.seek.addEventListener("change", () => {
      this.grip.letGo();
      void this.seekTo(this.playback.sliderSeconds(Number(this.seek.value)));
    });
    this.time = h("span", { class: "player-time" }, "0:00 / 0:00");
    parent.append(
      h(
        "div",
        { class: "recording-player", "data-id": entry.id },
        h("div", { class: "player-title" }, h("strong", {}, entry.title ?? entry.name), h("span", { class: "recording-file" }, ` ${entry.name}`)),
        host,
        h(
          "div",
          { class: "player-controls" },
          h("button", { class: "player-back", onclick: back }, "← Recordings"),
          this.toggle,
          speed,
          h("label", { class: "field-check player-skip-label", title: `Pauses longer than ${IDLE_CAP_S} s last ${IDLE_CAP_S} s` }, skip, h("span", {}, "Skip idle")),
          this.seek,
          this.time,
        ),
      ),
    );
    this.term = new Terminal({ cols: 80, rows: 24, fontSize: 12, scrollback: 5000, disableStdin: true, cursorBlink: false, convertEol: false });
    this.term.open(host);
    const hook = podtermHook();
    hook.player = this.term;
    hook.playerState = () => ({
      position: this.playback.position(),
      duration: this.playback.duration(),
      playing: this.playback.playing,
      speed: this.playback.speed,
      ended: this.playback.ended(),
      played: this.playback.played,
    });
    void this.more().then(() => {
      if (this.disposed) return;
      this.playback.play();
      this.schedule();
    });
  }

  /** The next page of events, if there is one (the one on its way, when one is). */
  private more(): Promise<void> {
    if (this.next === null) return Promise.resolve();
    this.loading ??= this.load(this.next);
    return this.loading;
  }

  private async load(offset: number): Promise<void> {
    try {
      const page = await this.backend.readRecording(this.entry.id, offset);
      if (this.disposed) return;
      if (offset === 0) {
        const cols = Math.min(page.width, 500);
        const rows = Math.min(page.height, 200);
        this.playback.setStartSize(cols, rows);
        this.term.resize(cols, rows);
      }
      this.next = page.next;
      this.playback.add(page.events, page.next === null);
    } catch (err) {
      this.say(`Could not read the recording: ${errorMessage(err)}`);
      this.next = null;
      this.playback.add([], true);
    } finally {
      this.loading = null;
    }
    this.schedule();
  }

  private write(events: CastEvent[]): void {
    let out = "";
    for (const e of events) {
      if (e.code === "o") out += e.data;
      const size = resizeOf(e);
      if (size) {
        if (out) this.term.write(out);
        out = "";
        this.term.resize(size.cols, size.rows);
      }
    }
    if (out) this.term.write(out);
  }

  private schedule(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.write(this.playback.due());
    if (this.playback.wantsMore()) void this.more();
    if (this.playback.playing && this.playback.ended()) this.playback.pause();
    this.show();
    if (!this.playback.playing) return;
    const wait = this.playback.wait();
    this.timer = setTimeout(() => this.schedule(), Math.min(wait ?? TICK_MS, TICK_MS));
  }

  private show(): void {
    const p = this.playback;
    const ended = p.ended();
    setText(this.toggle, p.playing ? "Pause" : ended ? "Play again" : "Play");
    setText(this.time, `${clockText(p.position())} / ${clockText(p.length())}${p.lengthKnown() ? "" : "…"}`);
    if (!this.grip.held) this.seek.value = String(p.sliderValue());
    this.time.parentElement?.parentElement?.setAttribute("data-state", p.playing ? "playing" : ended ? "ended" : "paused");
  }

  private toggled(): void {
    if (this.playback.playing) this.playback.pause();
    else {
      const again = this.playback.play();
      if (again) this.replay(again);
    }
    this.schedule();
  }

  /** A cleared terminal given `events` (a replay from the start: they begin with its size). */
  private replay(events: CastEvent[]): void {
    this.term.reset();
    this.write(events);
  }

  private async seekTo(seconds: number): Promise<void> {
    const serial = ++this.seekSerial;
    const done = this.grip.seeking();
    try {
      // Past the pages loaded (the slider spans the whole recording): the pages up to there first.
      const current = () => !this.disposed && serial === this.seekSerial;
      if (!(await loadUntil(this.playback, seconds, () => this.more(), current))) return;
      this.replay(this.playback.seekTo(seconds));
    } finally {
      done();
    }
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const end of GRIP_ENDS) document.removeEventListener(end, this.letGo);
    const hook = podtermHook();
    if (hook.player === this.term) {
      delete hook.player;
      delete hook.playerState;
    }
    this.term.dispose();
  }
}
