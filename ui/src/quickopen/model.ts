// Quick open (Ctrl+K): one box over the window that finds a favourite, a recent session or a
// listed pod of the current cluster by a few letters of its name, and opens it on Enter. Typed
// `namespace/pod` opens that pod in the current cluster, listed or not (as "Open pod by name",
// for a namespace one may only exec into). The matching and ranking, without DOM.
import type { FavouriteSummary, PodSummary } from "../ipc/types";
import type { SessionTarget } from "../terminal/tabs";
import { execRefusal } from "../sidebar/pods";
import { favouriteWhere } from "../favourites/favourite";

export type QuickItem =
  | { kind: "favourite"; name: string; detail: string }
  | { kind: "recent"; target: SessionTarget; label: string; detail: string }
  | { kind: "pod"; target: SessionTarget; label: string; detail: string; refusal: string | null }
  /** `namespace/pod` as typed, in the current cluster. */
  | { kind: "typed"; target: SessionTarget; label: string; detail: string };

export interface QuickSources {
  favourites: readonly FavouriteSummary[];
  /** Sessions opened in this run, the latest first (open tabs and closed ones). */
  recent: readonly SessionTarget[];
  /** The current cluster and namespace, and its listed pods; null profile: none chosen. */
  profile: string | null;
  namespace: string | null;
  pods: readonly PodSummary[];
}

export interface Ranked {
  item: QuickItem;
  /** Higher is better. */
  score: number;
  /** Indexes in `label` of the letters matched (to show them). */
  matched: number[];
}

/** What a row shows as its name (the text matched). */
export function itemLabel(item: QuickItem): string {
  return item.kind === "favourite" ? item.name : item.label;
}

/**
 * A fuzzy match: every character of `query` in order in `text` (case-insensitive). The score
 * favours letters that follow each other, ones at the start of a word (after `-`, `/`, `.`,
 * space) and short texts; null when the query's letters are not all there.
 */
export function fuzzy(query: string, text: string): { score: number; matched: number[] } | null {
  const q = query.toLowerCase().replace(/\s+/g, "");
  const t = text.toLowerCase();
  if (q === "") return { score: 0, matched: [] };
  const matched: number[] = [];
  let score = 0;
  let from = 0;
  let previous = -2;
  for (const ch of q) {
    // Prefer the next word start holding the letter over the first occurrence.
    let at = t.indexOf(ch, from);
    if (at < 0) return null;
    if (at !== previous + 1) {
      for (let i = at; i < t.length; i++) {
        if (t[i] === ch && (i === 0 || /[-/. _·]/.test(t[i - 1]!))) {
          at = i;
          break;
        }
      }
    }
    score += 1;
    if (at === previous + 1) score += 5;
    if (at === 0 || /[-/. _·]/.test(t[at - 1]!)) score += 3;
    matched.push(at);
    previous = at;
    from = at + 1;
  }
  // A whole-word or prefix match beats scattered letters; shorter names win a tie.
  if (t.startsWith(q)) score += 10;
  if (t === q) score += 10;
  return { score: score - t.length / 100, matched };
}

const sameTarget = (a: SessionTarget, b: SessionTarget): boolean =>
  a.profile === b.profile && a.namespace === b.namespace && a.pod === b.pod && a.container === b.container &&
  JSON.stringify(a.command) === JSON.stringify(b.command);

const POD_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Every candidate, before matching: favourites, then recent sessions, then the listed pods. */
export function quickItems(s: QuickSources, query: string): QuickItem[] {
  const items: QuickItem[] = [];
  for (const f of s.favourites) {
    items.push({ kind: "favourite", name: f.name, detail: `★ ${favouriteWhere(f)}` });
  }
  const seen: SessionTarget[] = [];
  for (const t of s.recent) {
    if (!t.pod || seen.some((o) => sameTarget(o, t))) continue;
    seen.push(t);
    const cmd = t.command && t.command.length > 0 ? ` (${t.command.join(" ")})` : "";
    items.push({
      kind: "recent",
      target: t,
      label: `${t.namespace}/${t.pod}${t.container ? `/${t.container}` : ""}${cmd}`,
      detail: `recent · ${t.profile}`,
    });
  }
  if (s.profile !== null && s.namespace !== null) {
    for (const p of s.pods) {
      items.push({
        kind: "pod",
        target: { profile: s.profile, namespace: p.namespace || s.namespace, pod: p.name, container: p.defaultContainer, command: null },
        label: `${p.namespace || s.namespace}/${p.name}`,
        detail: `pod · ${s.profile} · ${p.phase}`,
        refusal: execRefusal(p),
      });
    }
  }
  // `namespace/pod` typed whole: that pod in the current cluster, listed or not.
  const typed = /^\s*([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)\s*$/.exec(query);
  if (typed && s.profile !== null && POD_NAME.test(typed[1]!) && POD_NAME.test(typed[2]!)) {
    const [, namespace, pod] = typed as unknown as [string, string, string];
    const listed = items.some((i) => i.kind === "pod" && i.target.namespace === namespace && i.target.pod === pod);
    if (!listed) {
      items.push({
        kind: "typed",
        target: { profile: s.profile, namespace, pod, container: "", command: null },
        label: `${namespace}/${pod}`,
        detail: `open by name in ${s.profile}`,
      });
    }
  }
  return items;
}

/** The kinds' order among equal scores: favourites, recent, pods, a typed name. */
const KIND_ORDER: Record<QuickItem["kind"], number> = { favourite: 0, recent: 1, pod: 2, typed: 3 };

/** The items matching `query`, best first (at most `limit`). */
export function rank(query: string, items: readonly QuickItem[], limit = 50): Ranked[] {
  const out: Ranked[] = [];
  for (const item of items) {
    if (item.kind === "typed") {
      // Always offered when typed, below what the letters match in the lists.
      out.push({ item, score: -1, matched: [] });
      continue;
    }
    const m = fuzzy(query, itemLabel(item));
    if (m) out.push({ item, score: m.score, matched: m.matched });
  }
  out.sort((a, b) => b.score - a.score || KIND_ORDER[a.item.kind] - KIND_ORDER[b.item.kind]);
  return out.slice(0, limit);
}
