// Broadcast input: panes (of one tab or of several) marked to receive what is typed into any of
// them. Typing or pasting into a marked pane sends the same bytes to every marked pane's session
// (the fan-out is here, in the UI: one keystroke, one send_input per session); a pane not marked
// types only into itself. A pane of a production profile joins only after the user says yes to
// a question of its own. Ctrl+Shift+B: the focused tab's panes join; pressed in a marked pane, it
// stops the broadcast everywhere. The model is without DOM or IPC (the question is passed in);
// `askBroadcast` is the question's dialog.
import { askProductionDialog, shownName } from "./production";

/** The key that starts and stops broadcasting, as the marker and the menus name it. */
export const BROADCAST_KEY = "Ctrl+Shift+B";

export type BroadcastListener = () => void;

export class Broadcast {
  private readonly members = new Set<number>();
  private readonly listeners = new Set<BroadcastListener>();

  onChange(fn: BroadcastListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  get size(): number {
    return this.members.size;
  }

  list(): number[] {
    return [...this.members];
  }

  /**
   * Where input typed into pane `from` goes: to every marked pane (`from` first) when `from` is
   * marked, else to `from` alone.
   */
  targets(from: number): number[] {
    if (!this.members.has(from)) return [from];
    return [from, ...[...this.members].filter((id) => id !== from)];
  }

  join(ids: readonly number[]): void {
    let changed = false;
    for (const id of ids) {
      if (!this.members.has(id)) {
        this.members.add(id);
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /** Pane `id` no longer receives (closed, or its toggle). */
  leave(id: number): void {
    if (this.members.delete(id)) this.changed();
  }

  /** Nobody receives any more. Returns who did. */
  stop(): number[] {
    const was = [...this.members];
    this.members.clear();
    if (was.length > 0) this.changed();
    return was;
  }
}

/** What Ctrl+Shift+B does in pane `focused`: stop when it is marked, else its tab's panes join. */
export function broadcastKey(b: Broadcast, focused: number): "stop" | "join" {
  return b.has(focused) ? "stop" : "join";
}

/**
 * Panes about to join, split by whether the user must be asked first: `production` holds the
 * panes of production profiles (and `profiles` their names, once each); `plain` the rest.
 */
export function joinPlan(
  ids: readonly number[],
  profileOf: (id: number) => string | null,
  isProduction: (profile: string) => boolean,
): { plain: number[]; production: number[]; profiles: string[] } {
  const plain: number[] = [];
  const production: number[] = [];
  const profiles: string[] = [];
  for (const id of ids) {
    const p = profileOf(id);
    if (p !== null && isProduction(p)) {
      production.push(id);
      if (!profiles.includes(p)) profiles.push(p);
    } else {
      plain.push(id);
    }
  }
  return { plain, production, profiles };
}

/** The question before production panes join (put in the page as text, never markup). */
export function broadcastQuestion(profiles: readonly string[], panes: number): { title: string; body: string; confirm: string } {
  const names = profiles.map(shownName).join(", ");
  const one = profiles.length === 1;
  return {
    title: `Broadcast typing into production cluster${one ? "" : "s"} ${names}?`,
    body: `${panes === 1 ? "A pane" : `${panes} panes`} of ${names} would receive everything typed into any broadcasting pane. Commands act there for real. Podterm asks each time a production pane joins a broadcast.`,
    confirm: "Broadcast there too",
  };
}

/**
 * Panes `ids` join `b`: the non-production ones at once, the production ones after `ask` says
 * yes (with no, they stay out). Resolves with the panes that joined.
 */
export async function joinAsking(
  b: Broadcast,
  ids: readonly number[],
  profileOf: (id: number) => string | null,
  isProduction: (profile: string) => boolean,
  ask: (profiles: string[], panes: number) => Promise<boolean>,
): Promise<number[]> {
  const plan = joinPlan(ids, profileOf, isProduction);
  b.join(plan.plain);
  if (plan.production.length === 0) return plan.plain;
  const yes = await ask(plan.profiles, plan.production.length).catch(() => false);
  if (!yes) return plan.plain;
  b.join(plan.production);
  return [...plan.plain, ...plan.production];
}

/** Asks in a modal dialog; resolves true on "Broadcast there too", false on Cancel or Escape. */
export function askBroadcast(profiles: string[], panes: number): Promise<boolean> {
  return askProductionDialog(broadcastQuestion(profiles, panes), {
    dialogClass: "production-ask broadcast-ask",
    confirmClass: "broadcast-confirm",
  });
}
