// A few DOM helpers: no framework, no innerHTML with data.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates an element: attributes (on* keys become listeners; true/false toggle boolean ones). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === "class") {
      el.className = String(v);
    } else if (v === true) {
      el.setAttribute(k, "");
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Sets text only when it changed (keeps selection and avoids layout work). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * Removes `el` without dropping the focus on the page's body, where keystrokes reach nothing:
 * when it was inside `el`, `refocus` gives it a home. `fromNowhere`: also when it is on the body
 * already (a focused button disabled while it works, or one a click does not focus, left it there).
 */
export function removeKeepingFocus(el: Element, refocus: () => void, fromNowhere = false): void {
  const at = document.activeElement;
  const lost = (at !== null && el.contains(at)) || (fromNowhere && (at === null || at === document.body));
  el.remove();
  if (lost) refocus();
}

/**
 * Keeps `parent`'s children one element per item, in the items' order, matched by `key`. An
 * item whose `shape` is unchanged keeps its element and is brought up to date by `update`; one
 * whose shape changed is built anew in its place. An element kept is the same node, so a click
 * whose press and release straddle an update still lands on its button, and focus stays where
 * it was: rebuilding on every progress report loses both.
 */
export function keyed<T>(
  parent: Element,
  items: readonly T[],
  key: (item: T) => string,
  shape: (item: T) => string,
  build: (item: T) => HTMLElement,
  update: (el: HTMLElement, item: T) => void,
): void {
  const wanted = new Set(items.map(key));
  const old = new Map<string, HTMLElement>();
  // What goes goes first, so that what stays need not move (a moved node loses focus).
  for (const c of Array.from(parent.children)) {
    if (c instanceof HTMLElement && c.dataset.key !== undefined && wanted.has(c.dataset.key)) old.set(c.dataset.key, c);
    else c.remove();
  }
  let at: Element | null = parent.firstElementChild;
  for (const item of items) {
    const k = key(item);
    const s = shape(item);
    let el = old.get(k);
    if (el && el.dataset.shape !== s) {
      const fresh = build(item);
      if (at === el) at = fresh;
      el.replaceWith(fresh);
      el = fresh;
    } else if (!el) {
      el = build(item);
    }
    el.dataset.key = k;
    el.dataset.shape = s;
    update(el, item);
    if (el === at) at = at.nextElementSibling;
    else parent.insertBefore(el, at);
  }
}
