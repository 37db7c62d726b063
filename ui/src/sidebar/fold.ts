// Sidebar sections folded to their title line (Favourites, Clusters, Port forwards): a click on
// the title folds or unfolds one, so that a user with many clusters or forwards gives the pod list
// the room. Which are folded is remembered in localStorage (a layout choice, nothing secret).
import { pageStorage as storage } from "../storage";

const KEY = "podterm.sidebarFolded";

/** The sections remembered as folded (none when nothing or something unreadable is stored). */
export function loadFolded(): Set<string> {
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(KEY) ?? "[]");
    return new Set(Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === "string") : []);
  } catch {
    return new Set();
  }
}

export function saveFolded(key: string, folded: boolean): void {
  const all = loadFolded();
  if (folded) all.add(key);
  else all.delete(key);
  try {
    storage()?.setItem(KEY, JSON.stringify([...all].sort()));
  } catch {
    /* not remembered: the next start shows the section unfolded */
  }
}

/**
 * What a folded title says after its name: how many rows it hides and, when some need a look
 * (`attention`: a forward that stopped), how many of them, then what else the rows say
 * (`detail`: forwards still starting); unfolded, nothing.
 */
export function foldedCount(folded: boolean, count: number, attention = "", detail = ""): string {
  return foldedParts(folded, count, attention, detail)
    .map((part) => part.before + part.text)
    .join("");
}

/** A part of the folded title: the words, what goes before them, and whether they need a look. */
export interface FoldedPart {
  before: string;
  text: string;
  attention: boolean;
}

/** [`foldedCount`]'s words in their parts, so that the title can show the one needing a look in red. */
export function foldedParts(folded: boolean, count: number, attention = "", detail = ""): FoldedPart[] {
  if (!folded || count <= 0) return [];
  const parts = [
    { text: `${count}`, attention: false },
    { text: attention, attention: true },
    { text: detail, attention: false },
  ].filter((part) => part.text !== "");
  return parts.map((part, i) => ({ ...part, before: i === 0 ? " · " : ", " }));
}

export interface Fold {
  /** The title's button (put it where the section's name was). */
  readonly button: HTMLButtonElement;
  /** How many rows the section holds, said in the title while it is folded (with `attention`, shown as needing a look, then `detail`). */
  setCount(count: number, attention?: string, detail?: string): void;
  setFolded(folded: boolean): void;
}

/**
 * Makes `section` foldable by a button showing `name`: folded, the section has the class
 * `folded` (its stylesheet rules hide its rows), the button `aria-expanded="false"`.
 */
export function foldable(section: HTMLElement, key: string, name: string): Fold {
  const chevron = document.createElement("span");
  chevron.className = "fold-chevron";
  chevron.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.className = "fold-name";
  const count = document.createElement("span");
  count.className = "fold-count";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "fold-toggle";
  button.dataset.fold = key;
  button.append(chevron, label, count);
  let folded = loadFolded().has(key);
  let rows = 0;
  let needs = "";
  let more = "";
  const show = (): void => {
    section.classList.toggle("folded", folded);
    button.setAttribute("aria-expanded", folded ? "false" : "true");
    chevron.textContent = folded ? "\u25b8" : "\u25be";
    label.textContent = name;
    // The words of foldedCount, only what needs a look in red (not the forwards still starting).
    count.replaceChildren();
    for (const part of foldedParts(folded, rows, needs, more)) {
      if (!part.attention) {
        count.append(part.before + part.text);
        continue;
      }
      const red = document.createElement("span");
      red.className = "fold-attention";
      red.textContent = part.text;
      count.append(part.before, red);
    }
    count.classList.toggle("attention", folded && needs !== "");
    button.title = folded ? `Show the ${name.toLowerCase()}` : `Fold the ${name.toLowerCase()} to give the pods more room`;
  };
  const fold: Fold = {
    button,
    setCount(n: number, attention = "", detail = "") {
      rows = n;
      needs = attention;
      more = detail;
      show();
    },
    setFolded(f: boolean) {
      folded = f;
      saveFolded(key, f);
      show();
    },
  };
  button.addEventListener("click", () => fold.setFolded(!folded));
  show();
  return fold;
}
