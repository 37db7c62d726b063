// Copies of pods a run before made for its tabs and never deleted (it was killed, or their
// cluster did not answer when it quit): the engine keeps them listed in copies.json until they
// are deleted. At start a card in the corner of the workspace names them and offers to delete
// them (each only while it is still Podterm's copy of its pod) or to keep them (they stay as any
// pod does). Nothing is deleted without a click.
import { clear, h } from "../dom";
import { errorMessage, type Backend } from "../ipc";
import type { Deleted, MadeCopy } from "../ipc/types";

/** The card's first line (each line below says what its pod is: a pod's copy, a node's shell). */
export function leftCopiesTitle(n: number): string {
  return n === 1 ? "Podterm's last run did not delete a pod it made for a tab:" : `Podterm's last run did not delete ${n} pods it made for tabs:`;
}

/** One copy as the card lists it. */
export function leftCopyLine(c: MadeCopy): string {
  const where = c.namespace ? `namespace ${c.namespace}, ` : "";
  // A shell on a node's pod is listed as a copy of `node/NODE`.
  const what = c.of.startsWith("node/") ? `a shell on node ${c.of.slice("node/".length)}` : `a copy of ${c.of}`;
  return `${c.name}, ${what} (${where}cluster ${c.profile})`;
}

/** How to delete a kept copy by hand. */
export function deleteByHand(c: MadeCopy): string {
  return c.namespace ? `kubectl delete pod -n ${c.namespace} ${c.name}` : `kubectl delete pod ${c.name}`;
}

/** What a deletion found, in words (null: deleted, nothing to say). */
export function deletedNote(c: MadeCopy, found: Deleted): string | null {
  switch (found) {
    case "deleted":
      return null;
    case "gone":
      return `${c.name} was already gone.`;
    case "notOurs":
      return `${c.name} is now another pod (not Podterm's copy of ${c.of}): left alone.`;
  }
}

const key = (c: MadeCopy) => `${c.profile}\n${c.namespace}\n${c.name}\n${c.of}`;

/**
 * Asks the engine for the copies a run before left and, when there are some, shows the card in
 * `host` until each is deleted or kept. Resolves once the card is shown (or there is none).
 */
export async function offerLeftCopies(backend: Pick<Backend, "leftCopies" | "deleteLeftCopy" | "keepLeftCopies">, host: HTMLElement): Promise<void> {
  let copies: MadeCopy[];
  try {
    copies = await backend.leftCopies();
  } catch {
    // The engine could not read its list: it said so in its log; nothing to offer.
    host.dataset.leftCopies = "unknown";
    return;
  }
  // What was found, for tests to wait on (the card follows at once when there are some).
  host.dataset.leftCopies = String(copies.length);
  if (copies.length === 0) return;
  const errors = new Map<string, string>();
  const notes: string[] = [];
  /** The card's title once no copy is left to decide on. */
  let doneTitle = "";
  let busy = false;
  const card = h("section", { class: "left-copies", role: "region", "aria-label": "Pod copies left by the last run" });
  host.appendChild(card);

  const render = () => {
    clear(card);
    const said = notes.length > 0 ? h("ul", { class: "left-copies-notes", role: "status" }, ...notes.map((n) => h("li", {}, n))) : "";
    if (copies.length === 0) {
      if (notes.length === 0) {
        card.remove();
        return;
      }
      card.append(
        h("p", { class: "left-copies-title" }, doneTitle),
        said,
        h("div", { class: "left-copies-actions" }, h("button", { class: "left-copies-close", onclick: () => card.remove() }, "Close")),
      );
      return;
    }
    card.append(
      h("p", { class: "left-copies-title" }, leftCopiesTitle(copies.length)),
      h(
        "ul",
        { class: "left-copies-list" },
        ...copies.map((c) => {
          const error = errors.get(key(c));
          return h(
            "li",
            { "data-copy": c.name },
            h("span", { class: "left-copy-line" }, leftCopyLine(c)),
            error ? h("span", { class: "left-copy-error", role: "alert" }, error) : "",
          );
        }),
      ),
      said,
      h(
        "p",
        { class: "left-copies-note" },
        `${copies.length === 1 ? "It runs" : "Each runs"} a shell and holds what its pod asks for until deleted. Delete deletes only a pod that is still Podterm's copy.`,
      ),
      h(
        "div",
        { class: "left-copies-actions" },
        h("button", { class: "primary left-copies-delete", disabled: busy, onclick: () => void deleteAll() }, busy ? "Deleting…" : copies.length === 1 ? "Delete it" : "Delete them"),
        h("button", { class: "left-copies-keep", disabled: busy, onclick: () => void keep() }, copies.length === 1 ? "Keep it" : "Keep them"),
        // Offered again at the next start.
        h("button", { class: "left-copies-later", title: "Hide this until Podterm starts again", onclick: () => card.remove() }, "Not now"),
      ),
    );
  };

  const deleteAll = async () => {
    if (busy) return;
    busy = true;
    doneTitle = "Done: no copy is left to delete.";
    render();
    // Each shown as soon as its cluster answered (the engine bounds each by its request timeout).
    await Promise.all(
      copies.map((copy) =>
        backend.deleteLeftCopy(copy).then(
          (found) => {
            errors.delete(key(copy));
            const note = deletedNote(copy, found);
            if (note) notes.push(note);
            copies = copies.filter((c) => key(c) !== key(copy));
            render();
          },
          (err: unknown) => {
            errors.set(key(copy), `Not deleted: ${errorMessage(err)}`);
            render();
          },
        ),
      ),
    );
    busy = false;
    render();
  };

  const keep = async () => {
    if (busy) return;
    busy = true;
    render();
    const kept = copies;
    try {
      await backend.keepLeftCopies();
      copies = [];
      doneTitle = kept.length === 1 ? "Kept: Podterm will not offer it again." : "Kept: Podterm will not offer them again.";
      notes.push(...kept.map((c) => `${c.name} stays: ${deleteByHand(c)}, in cluster ${c.profile}'s context, deletes it.`));
    } catch (err) {
      for (const c of kept) errors.set(key(c), `Not kept: ${errorMessage(err)}`);
    }
    busy = false;
    render();
  };

  render();
}
