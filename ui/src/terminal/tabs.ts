// Terminal tabs: the model and its state machine, without DOM or IPC.
//
//   connecting ──▶ connected ──▶ exited(code)      Enter reopens (a new session, same target)
//        │              │
//        └──────────────┴──────▶ lost(reason)      the Reconnect button reopens
//
// A connecting tab offers Cancel: lost before connecting (`cancelled`), its session closed. The
// engine gives up on its own after the request timeout (podterm_core::exec::REQUEST_TIMEOUT).
//
// Closing a tab ends its session. Every session a tab opens is numbered (`attempt`): events from an
// older attempt (a session that was replaced or closed) are ignored.
//
// A tab opened from a favourite remembers it: each attempt first resolves the favourite to the pod
// it means now (a rollout may have replaced the pod), then opens the session there; a resolve that
// fails ends the attempt as lost before connecting (`unresolved`), with the backend's words.
import type { CopyRequest, CrashingPod, DebugRequest, SessionState } from "../ipc/types";
import { nodeOf } from "./node-shell";

export interface SessionTarget {
  profile: string;
  namespace: string;
  pod: string;
  container: string;
  /** null: the shell fallback. */
  command: string[] | null;
  /**
   * A debug tab: the shell runs in our debug container beside `container` (added by the engine
   * when the pod has no running one for this image). See terminal/debug.ts.
   */
  debug?: DebugRequest;
  /** `container` is one of the pod's ephemeral (debug) containers, opened from the picker. */
  ephemeral?: boolean;
  /**
   * A copy tab: the shell runs in a copy of `pod` whose `container` runs a shell instead of its
   * command (made by the engine when there is none of ours); closing the tab deletes the copy.
   * See terminal/copy.ts.
   */
  copy?: CopyRequest;
}

/** The pod the tab's shell runs in: the copy's for a copy tab, else its pod. */
export function sessionPod(target: SessionTarget): string {
  return target.copy?.name ?? target.pod;
}

/** A tab in a debug container: ours beside a target, or an ephemeral one picked in the list. */
export function isDebugTarget(target: SessionTarget): boolean {
  return target.debug !== undefined || target.ephemeral === true;
}

export type TabStatus =
  /** `resolving`: finding the favourite's pod, before the session is opened. */
  | { kind: "connecting"; since: number; resolving?: boolean }
  | { kind: "connected"; since: number }
  | { kind: "exited"; code: number }
  /**
   * `beforeConnect`: the session never connected (the open failed or was refused);
   * `unresolved`: the favourite could not be resolved to a pod.
   */
  | {
      kind: "lost";
      reason: string;
      beforeConnect: boolean;
      unresolved?: boolean;
      cancelled?: boolean;
      /** The container has no shell (see `noShellEnd`): `reason` is NO_SHELL. */
      noShell?: boolean;
      /** The pod list saw the pod deleted. */
      podGone?: boolean;
      /** The session could not start: this container crashes as it starts, has ended for good, or its pod has completed (a copy can be debugged). */
      crashing?: string;
      /**
       * For a favourite that could not be resolved (none of its pods Ready): the pod `crashing`
       * is a container of, whose copy is offered. The tab's target stays the favourite's.
       */
      copyOf?: { namespace: string; pod: string };
    };

/** The reason a tab cancelled while connecting shows. */
export const CANCELLED = "cancelled while connecting";

/** The reason a tab whose container has no shell shows. */
export const NO_SHELL =
  "this container has no shell (neither bash nor sh is in its image, as in distroless or scratch images)";

/**
 * Did this end mean "the container has no shell"? The engine reads the container runtime's
 * status ("exec: \"sh\": executable file not found in $PATH") into `noExecutable`, never a
 * connection's or local file's error that reads alike (a moved CA file's "No such file or
 * directory"); or the shells' own exit codes for "cannot execute" / "not found" (126, 127). An
 * exit 126/127 counts only for the shell fallback (no command) before anything was typed (else
 * it is the status of the last command the user ran in a working shell).
 */
export function noShellEnd(event: SessionState, command: string[] | null, typed: boolean): boolean {
  const shell = command === null || (command.length === 1 && /^(\/bin\/|\/usr\/bin\/)?(ba|a|z)?sh$/.test(command[0]!));
  if (!shell) return false;
  if (event.state === "lost") return event.noExecutable === true;
  if (event.state === "exited") return command === null && !typed && (event.code === 126 || event.code === 127);
  return false;
}

/** The favourite a tab was opened from. */
export interface FavouriteRef {
  name: string;
  /** What it points at, when known: `deployment/web`. */
  target?: string;
}

export interface Tab {
  readonly id: number;
  /** A shell (an exec session), or a pod's Logs view (no session: its stream is the view's). */
  readonly kind: "terminal" | "logs";
  /** A Logs view of the workload that runs the pod (every pod of it). */
  readonly workload?: boolean;
  /** That workload (`deployment/web`), once its stream named it: its pods come and go. */
  workloadName?: string;
  /** For a favourite's tab: where the last resolve led (empty pod before the first). */
  target: SessionTarget;
  /** Set for a tab opened from a favourite: every attempt resolves it again. */
  favourite: FavouriteRef | null;
  status: TabStatus;
  /** The engine's session id for the current attempt, once open_session returned it. */
  sessionId: number | null;
  attempt: number;
  /** Something was typed into the current attempt's session. */
  typed: boolean;
}

/** What a keystroke on a tab should do. */
export type InputAction = "send" | "reopen" | "ignore";

export function tabTitle(target: SessionTarget): string {
  const cmd = target.command && target.command.length > 0 ? ` (${target.command.join(" ")})` : "";
  return `${target.container ? `${target.pod}/${target.container}` : target.pod}${cmd}`;
}

/** A tab's title: `★ NAME` for a favourite's tab, `Logs · pod/container` for a Logs view, else `pod/container (command)`. */
export function tabLabel(tab: Pick<Tab, "target" | "favourite"> & { kind?: Tab["kind"]; workload?: boolean; workloadName?: string }): string {
  if (tab.kind === "logs" && tab.workload) return tab.workloadName ? `Logs · ${tab.workloadName}` : `Logs · workload of ${tab.target.pod}`;
  if (tab.kind === "logs") return `Logs · ${tabTitle({ ...tab.target, command: null })}`;
  if (tab.favourite) return `★ ${tab.favourite.name}`;
  // A shell on a node: the node is the place (its pod's one container is not).
  return nodeOf(tab.target) !== null ? tab.target.pod : tabTitle(tab.target);
}

/** What tells a tab apart from others with the same title: shown before its title. */
export interface TabLabel {
  title: string;
  /** The profile (cluster) when tabs of more than one are open, else null. */
  profile: string | null;
  /** The namespace when another tab of the same profile has the same title elsewhere. */
  namespace: string | null;
}

/**
 * Labels for all tabs at once: `title` is `tabLabel`; the profile is added as soon as tabs of two
 * profiles are open (three `shell/main` from two clusters must be told apart at a glance), the
 * namespace where the same title is open in two namespaces of one profile.
 */
export function tabLabels(tabs: readonly (Pick<Tab, "target" | "favourite"> & { kind?: Tab["kind"]; workload?: boolean; workloadName?: string })[]): TabLabel[] {
  const profiles = new Set(tabs.map((t) => t.target.profile));
  const titles = tabs.map((t) => tabLabel(t));
  return tabs.map((t, i) => {
    const clash = tabs.some(
      (o, j) => j !== i && titles[j] === titles[i] && o.target.profile === t.target.profile && o.target.namespace !== t.target.namespace,
    );
    return {
      title: titles[i]!,
      profile: profiles.size > 1 ? t.target.profile : null,
      namespace: clash && t.target.namespace ? t.target.namespace : null,
    };
  });
}

/** A profile's colour (a hue, 0–359), the same every time for a name. */
export function profileHue(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h % 360;
}

export function statusText(status: TabStatus): string {
  switch (status.kind) {
    case "connecting":
      return "connecting…";
    case "connected":
      return "connected";
    case "exited":
      return `exited ${status.code}`;
    case "lost":
      return status.cancelled ? "cancelled" : status.beforeConnect ? "failed" : "lost";
  }
}

/** A Logs view tab's status word: `logs` while it follows (or read a run whole). */
export function logsStatusText(status: TabStatus): string {
  switch (status.kind) {
    case "connecting":
      return "logs…";
    case "connected":
      return "logs";
    case "exited":
      return "logs ended";
    case "lost":
      return "logs failed";
  }
}

export function isEnded(status: TabStatus): boolean {
  return status.kind === "exited" || status.kind === "lost";
}

/** Pure decision for input typed into a tab. */
export function inputAction(status: TabStatus, data: string): InputAction {
  switch (status.kind) {
    // While connecting too: the session's queue holds keystrokes until it has connected.
    case "connected":
    case "connecting":
      return "send";
    case "exited":
      return data.includes("\r") ? "reopen" : "ignore";
    case "lost":
      return "ignore";
  }
}

/**
 * The next status after a SessionState from the engine, or null when the event changes nothing
 * (a repeat, or an event after the session already ended).
 */
export function nextStatus(
  current: TabStatus,
  event: SessionState,
  now: number,
  tab: { command: string[] | null; typed: boolean } = { command: null, typed: true },
): TabStatus | null {
  if (isEnded(current)) return null;
  if (noShellEnd(event, tab.command, tab.typed)) {
    return { kind: "lost", reason: NO_SHELL, beforeConnect: true, noShell: true };
  }
  switch (event.state) {
    case "connecting":
      return null;
    case "connected":
      return current.kind === "connecting" ? { kind: "connected", since: now } : null;
    case "exited":
      return { kind: "exited", code: event.code };
    case "lost":
      return {
        kind: "lost",
        reason: event.reason,
        beforeConnect: current.kind === "connecting",
        ...(event.crashing ? { crashing: event.crashing } : {}),
      };
    case "recording":
    case "recordingStopped":
      // A recording's news, not the session's (the workspace shows it on the tab).
      return null;
    case "warning":
      // The API server's warning: written in the terminal by the workspace.
      return null;
  }
}

/** The target on the original pod: a copy tab's copy is its own (deleted when it closes). */
export function withoutCopy(target: SessionTarget): SessionTarget {
  const { copy: _copy, ...plain } = target;
  return plain;
}

/** Whether another open tab than `id` runs in the same copy (a split pane of it). */
export function copyShared(tabs: readonly Tab[], id: number, target: SessionTarget): boolean {
  const copy = target.copy;
  if (!copy) return false;
  return tabs.some((t) => t.id !== id && t.target.copy?.name === copy.name && t.target.profile === target.profile && t.target.namespace === target.namespace);
}

export type TabsListener = () => void;

function copyTarget(target: SessionTarget): SessionTarget {
  const copy: SessionTarget = { ...target, command: target.command ? [...target.command] : null };
  if (target.debug) copy.debug = { ...target.debug };
  if (target.copy) copy.copy = { ...target.copy };
  return copy;
}

export class TabModel {
  private tabs: Tab[] = [];
  private nextId = 1;
  private activeId: number | null = null;
  /** What closed tabs were opened on, the last closed last (Ctrl+Shift+T reopens it). */
  private closed: { target: SessionTarget; favourite: FavouriteRef | null }[] = [];
  private listeners = new Set<TabsListener>();

  constructor(private readonly clock: () => number = () => Date.now()) {}

  onChange(fn: TabsListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  list(): readonly Tab[] {
    return this.tabs;
  }

  get(id: number): Tab | undefined {
    return this.tabs.find((t) => t.id === id);
  }

  get active(): Tab | undefined {
    return this.activeId === null ? undefined : this.get(this.activeId);
  }

  /**
   * A new tab, connecting, made active. The caller opens its session (attempt 1); for a
   * favourite's tab (`favourite` set) it resolves the favourite first.
   */
  open(target: SessionTarget, favourite: FavouriteRef | null = null): Tab {
    const tab: Tab = {
      id: this.nextId++,
      kind: "terminal",
      target: copyTarget(target),
      favourite: favourite ? { ...favourite } : null,
      status: favourite
        ? { kind: "connecting", since: this.clock(), resolving: true }
        : { kind: "connecting", since: this.clock() },
      sessionId: null,
      attempt: 1,
      typed: false,
    };
    this.tabs.push(tab);
    this.activeId = tab.id;
    this.changed();
    return tab;
  }

  /** A new Logs view tab for a pod's container, made active. It has no session of its own. */
  openLogs(target: SessionTarget, workload = false): Tab {
    const tab: Tab = {
      id: this.nextId++,
      kind: "logs",
      workload,
      target: copyTarget({ ...target, command: null }),
      favourite: null,
      status: { kind: "connected", since: this.clock() },
      sessionId: null,
      attempt: 1,
      typed: false,
    };
    this.tabs.push(tab);
    this.activeId = tab.id;
    this.changed();
    return tab;
  }

  /**
   * A Logs view's stream changed: its tab's status follows it (connecting, connected while it
   * follows, exited 0 once it ended, lost with the reason when it failed), so the dot of a log
   * that stopped is not a live one.
   */
  logsState(id: number, state: "connecting" | "streaming" | "ended" | "failed", reason: string): void {
    const tab = this.get(id);
    if (!tab || tab.kind !== "logs") return;
    const next: TabStatus =
      state === "connecting"
        ? { kind: "connecting", since: this.clock() }
        : state === "streaming"
          ? { kind: "connected", since: this.clock() }
          : state === "ended"
            ? { kind: "exited", code: 0 }
            : { kind: "lost", reason, beforeConnect: false };
    if (tab.status.kind === next.kind && (next.kind !== "lost" || (tab.status.kind === "lost" && tab.status.reason === next.reason))) return;
    tab.status = next;
    this.changed();
  }

  activate(id: number): void {
    if (this.get(id) && this.activeId !== id) {
      this.activeId = id;
      this.changed();
    }
  }

  /** The next (`delta` 1) or previous (-1) tab becomes active, round the ends. */
  step(delta: number): Tab | undefined {
    const n = this.tabs.length;
    if (n === 0) return undefined;
    const i = this.tabs.findIndex((t) => t.id === this.activeId);
    const next = this.tabs[(((i < 0 ? 0 : i + delta) % n) + n) % n]!;
    this.activate(next.id);
    return next;
  }

  /** Alt+N: the Nth tab (1-based) becomes active; 9 (or more) is the last, as in browsers. */
  select(n: number): Tab | undefined {
    if (this.tabs.length === 0 || n < 1) return undefined;
    const tab = n >= 9 ? this.tabs[this.tabs.length - 1] : this.tabs[n - 1];
    if (tab) this.activate(tab.id);
    return tab;
  }

  /**
   * Moves tab `id` to position `index` (0-based, clamped; the others keep their order). Returns
   * whether anything moved.
   */
  move(id: number, index: number): boolean {
    const from = this.tabs.findIndex((t) => t.id === id);
    if (from < 0) return false;
    const to = Math.max(0, Math.min(this.tabs.length - 1, index));
    if (to === from) return false;
    const [tab] = this.tabs.splice(from, 1);
    this.tabs.splice(to, 0, tab!);
    this.changed();
    return true;
  }

  /** Ctrl+Shift+PgUp/PgDn: the active tab moves one place (no wrap at the ends). */
  moveActive(delta: number): boolean {
    const i = this.tabs.findIndex((t) => t.id === this.activeId);
    return i >= 0 && this.move(this.tabs[i]!.id, i + delta);
  }

  /** Something was typed into the tab's session (an exit 126/127 is then the user's). */
  typed(id: number): void {
    const tab = this.get(id);
    if (tab) tab.typed = true;
  }

  /** What closed tabs (not favourites') were opened on, the last closed first. */
  closedTargets(): SessionTarget[] {
    return this.closed.filter((c) => !c.favourite).map((c) => copyTarget(c.target)).reverse();
  }

  /** The target of the last closed tab, taken off the list (null: none). */
  takeClosed(): { target: SessionTarget; favourite: FavouriteRef | null } | null {
    return this.closed.pop() ?? null;
  }

  /**
   * The pod list saw `pod` deleted: its tabs that are not ended yet end (lost, `podGone`), and
   * one already lost for a reason the engine could not name says the pod was deleted. Returns
   * the session ids to close.
   */
  /** A cluster renamed (`old` is now `name`): its tabs reconnect, and are saved, under the
   *  new name. Returns how many tabs follow it. */
  renameProfile(old: string, name: string): number {
    let n = 0;
    for (const t of this.tabs) {
      if (t.target.profile !== old || old === name) continue;
      t.target = { ...t.target, profile: name };
      n++;
    }
    for (const c of this.closed) if (c.target.profile === old && old !== name) c.target = { ...c.target, profile: name };
    if (n > 0) this.changed();
    return n;
  }

  podGone(profile: string, namespace: string, pod: string): number[] {
    const ids: number[] = [];
    let changed = false;
    for (const t of this.tabs) {
      const { target } = t;
      // A favourite's tab offering a copy of a pod now gone: no offer left.
      if (t.status.kind === "lost" && t.status.copyOf && target.profile === profile && t.status.copyOf.namespace === namespace && t.status.copyOf.pod === pod) {
        t.status = { kind: "lost", reason: t.status.reason, beforeConnect: true, unresolved: true };
        changed = true;
        continue;
      }
      // A Logs view stays: the log of a deleted pod is still worth reading.
      if (t.kind === "logs" || target.profile !== profile || target.namespace !== namespace || sessionPod(target) !== pod) continue;
      // A copy's tab (a node's too) is not ended by the list: its Reconnect deletes an ended
      // copy and makes it again under the same name, and the list, which knows pods by name,
      // may say the old one went after the new one runs. The engine, which knows its pod by
      // uid, says when the tab's own pod goes.
      if (target.copy && !isEnded(t.status)) continue;
      if (isEnded(t.status)) {
        // Its stream ended first and the engine could not tell why (its look at the pod came
        // too late or failed): the pod list's word is the reason now.
        if (t.status.kind === "lost" && !t.status.podGone && !t.status.beforeConnect) {
          t.status = { ...t.status, reason: `the pod ${namespace}/${pod} was deleted`, podGone: true };
          changed = true;
        }
        continue;
      }
      if (t.sessionId !== null) ids.push(t.sessionId);
      // Its session's late events change nothing (an ended status stays); an id open_session
      // returns later is kept, for closing or reopening the tab to release.
      t.sessionId = null;
      // The engine's words for the same end, when its stream notices first.
      t.status = { kind: "lost", reason: `the pod ${namespace}/${pod} was deleted`, beforeConnect: false, podGone: true };
      changed = true;
    }
    if (changed) this.changed();
    return ids;
  }

  /** Is this attempt still the tab's current one? */
  isCurrent(id: number, attempt: number): boolean {
    const tab = this.get(id);
    return tab !== undefined && tab.attempt === attempt;
  }

  /**
   * open_session returned. False when the tab was closed or reopened meanwhile: the caller must
   * close that session.
   */
  sessionOpened(id: number, attempt: number, sessionId: number): boolean {
    const tab = this.get(id);
    if (!tab || tab.attempt !== attempt) return false;
    // Kept even when the session already ended (its exit can beat open_session's reply), so that
    // closing or reopening the tab releases it.
    tab.sessionId = sessionId;
    this.changed();
    return true;
  }

  /**
   * The favourite resolved: the attempt goes on to `target`. False when the tab was closed or
   * reopened meanwhile (then nothing is to be opened).
   */
  resolved(id: number, attempt: number, target: SessionTarget): boolean {
    const tab = this.get(id);
    if (!tab || tab.attempt !== attempt || tab.status.kind !== "connecting" || !tab.status.resolving) return false;
    tab.target = copyTarget(target);
    tab.status = { kind: "connecting", since: tab.status.since };
    this.changed();
    return true;
  }

  /**
   * The favourite could not be resolved: lost before connecting, with the reason. `crashing`:
   * none of its pods is Ready and this one crashes as it starts; the tab offers a copy of it (as
   * a tab on that pod does), its target staying the favourite's (Reconnect, Split right and
   * files follow the favourite, not that pod).
   */
  resolveFailed(id: number, attempt: number, reason: string, crashing: CrashingPod | null = null): void {
    const tab = this.get(id);
    if (!tab || tab.attempt !== attempt || isEnded(tab.status)) return;
    tab.status = { kind: "lost", reason, beforeConnect: true, unresolved: true };
    // Offered only where the copy's cluster is known (a favourite the list had not loaded has
    // none yet: its words say what to do).
    if (crashing && tab.kind === "terminal" && tab.target.profile) {
      tab.status.crashing = crashing.container;
      tab.status.copyOf = { namespace: crashing.namespace, pod: crashing.pod };
    }
    this.changed();
  }

  /** A favourite was renamed: its tabs follow the new name. */
  /** A workload's Logs view learnt the workload's name: its label says it (not a pod that may be gone). */
  nameWorkload(id: number, name: string): void {
    const t = this.get(id);
    if (!t || t.kind !== "logs" || !t.workload || t.workloadName === name) return;
    t.workloadName = name;
    this.changed();
  }

  renameFavourite(from: string, to: string): void {
    let changed = false;
    for (const t of this.tabs) {
      if (t.favourite?.name === from) {
        t.favourite = { ...t.favourite, name: to };
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /** open_session failed: the tab shows the reason and offers Reconnect. */
  openFailed(id: number, attempt: number, reason: string): void {
    const tab = this.get(id);
    if (!tab || tab.attempt !== attempt || isEnded(tab.status)) return;
    tab.status = { kind: "lost", reason, beforeConnect: tab.status.kind === "connecting" };
    this.changed();
  }

  /** A SessionState from the engine. Returns the new status, or null if nothing changed. */
  sessionState(id: number, attempt: number, event: SessionState): TabStatus | null {
    const tab = this.get(id);
    if (!tab || tab.attempt !== attempt) return null;
    const next = nextStatus(tab.status, event, this.clock(), { command: tab.target.command, typed: tab.typed });
    if (!next) return null;
    tab.status = next;
    this.changed();
    return next;
  }

  /**
   * Reopens an ended tab (Enter on exited, Reconnect on lost): a new attempt, connecting.
   * Returns the new attempt and the old session id to release, or null if the tab is not ended.
   */
  reopen(id: number): { attempt: number; oldSession: number | null } | null {
    const tab = this.get(id);
    if (!tab || !isEnded(tab.status)) return null;
    const oldSession = tab.sessionId;
    tab.attempt += 1;
    tab.sessionId = null;
    tab.typed = false;
    tab.status = tab.favourite
      ? { kind: "connecting", since: this.clock(), resolving: true }
      : { kind: "connecting", since: this.clock() };
    this.changed();
    return { attempt: tab.attempt, oldSession };
  }

  /**
   * Cancel on a connecting tab: lost before connecting, and the attempt is over (its late events
   * are ignored; a session id that arrives after this is to be closed). Returns the session id to
   * close (null when open_session has not answered yet), or undefined when the tab is not
   * connecting.
   */
  cancel(id: number): number | null | undefined {
    const tab = this.get(id);
    if (!tab || tab.status.kind !== "connecting") return undefined;
    const sessionId = tab.sessionId;
    tab.attempt += 1;
    tab.sessionId = null;
    tab.status = { kind: "lost", reason: CANCELLED, beforeConnect: true, cancelled: true };
    this.changed();
    return sessionId;
  }

  /**
   * Removes the tab. Returns the session id to close (null if none was open), or undefined if no
   * such tab. The neighbour becomes active. `reopenable` false: not kept for Ctrl+Shift+T.
   */
  close(id: number, reopenable = true): number | null | undefined {
    const i = this.tabs.findIndex((t) => t.id === id);
    if (i < 0) return undefined;
    const [tab] = this.tabs.splice(i, 1);
    // A copy tab's copy goes with it: reopened, it is the original pod's tab (which offers a copy).
    // A shell on a node is not reopened: its pod went with its tab, and a new one is asked for.
    if (tab!.kind === "terminal" && reopenable && nodeOf(tab!.target) === null) this.closed.push({ target: withoutCopy(copyTarget(tab!.target)), favourite: tab!.favourite ? { ...tab!.favourite } : null });
    if (this.closed.length > 20) this.closed.shift();
    if (this.activeId === id) {
      const next = this.tabs[i] ?? this.tabs[i - 1];
      this.activeId = next ? next.id : null;
    }
    this.changed();
    return tab!.sessionId;
  }
}
