// For tests only: a small stand-in for the page's DOM, since Vitest runs in node with no DOM
// library installed. Just what the views under test use: elements built by dom.ts's `h`, their
// tree, simple selectors, events that bubble, and the focus (on the body when the focused
// element is hidden or gone, as a browser does).
import { vi } from "vitest";

type Listener = (e: Event) => void;

/** The attributes that are also properties (`h` sets them as attributes). */
const REFLECTED = new Set(["id", "title", "placeholder", "type", "role"]);

class FakeText {
  parentNode: FakeElement | null = null;
  constructor(public textContent: string) {}
}

type FakeNode = FakeElement | FakeText;

export class FakeElement {
  parentNode: FakeElement | null = null;
  readonly childNodes: FakeNode[] = [];
  readonly attributes = new Map<string, string>();
  private readonly listeners = new Map<string, Set<Listener>>();
  className = "";
  value = "";
  checked = false;
  open = false;
  readonly style: Record<string, string> = {};
  readonly tagName: string;
  readonly dataset: Record<string, string | undefined>;

  constructor(
    tag: string,
    private readonly doc: FakeDocument,
  ) {
    this.tagName = tag.toUpperCase();
    const attr = (k: string) => `data-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    this.dataset = new Proxy({} as Record<string, string | undefined>, {
      get: (_, k) => (typeof k === "string" ? this.attributes.get(attr(k)) : undefined),
      set: (_, k, v) => {
        this.attributes.set(attr(String(k)), String(v));
        return true;
      },
    });
  }

  setAttribute(k: string, v: string): void {
    this.attributes.set(k, v);
    if (k === "value") this.value = v;
  }
  getAttribute(k: string): string | null {
    return this.attributes.get(k) ?? null;
  }
  /** Also how a failed expectation prints the element. */
  getAttributeNames(): string[] {
    return [...this.attributes.keys()];
  }
  hasAttribute(k: string): boolean {
    return this.attributes.has(k);
  }
  removeAttribute(k: string): void {
    this.attributes.delete(k);
  }
  get hidden(): boolean {
    return this.attributes.has("hidden");
  }
  set hidden(on: boolean) {
    this.flag("hidden", on);
  }
  get disabled(): boolean {
    return this.attributes.has("disabled");
  }
  set disabled(on: boolean) {
    this.flag("disabled", on);
  }
  private flag(k: string, on: boolean): void {
    if (on) this.attributes.set(k, "");
    else this.attributes.delete(k);
  }

  readonly classList = {
    contains: (c: string) => this.className.split(/\s+/).includes(c),
    add: (c: string) => this.classList.toggle(c, true),
    remove: (c: string) => this.classList.toggle(c, false),
    toggle: (c: string, force?: boolean) => {
      const on = force ?? !this.classList.contains(c);
      const rest = this.className.split(/\s+/).filter((x) => x !== "" && x !== c);
      this.className = (on ? [...rest, c] : rest).join(" ");
      return on;
    },
  };

  get children(): FakeElement[] {
    return this.childNodes.filter((n): n is FakeElement => n instanceof FakeElement);
  }
  get firstChild(): FakeNode | null {
    return this.childNodes[0] ?? null;
  }
  get firstElementChild(): FakeElement | null {
    return this.children[0] ?? null;
  }
  get parentElement(): FakeElement | null {
    return this.parentNode;
  }
  get nextElementSibling(): FakeElement | null {
    const siblings = this.parentNode?.children ?? [];
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }
  get isConnected(): boolean {
    let at: FakeElement | null = this;
    while (at.parentNode) at = at.parentNode;
    return at === this.doc.documentElement;
  }
  get textContent(): string {
    return this.childNodes.map((n) => n.textContent).join("");
  }
  set textContent(text: string) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes.length = 0;
    if (text !== "") this.appendChild(new FakeText(text));
  }

  appendChild<T extends FakeNode>(n: T): T {
    return this.insertBefore(n, null);
  }
  append(...nodes: FakeNode[]): void {
    for (const n of nodes) this.appendChild(n);
  }
  prepend(...nodes: FakeNode[]): void {
    const first = this.childNodes[0] ?? null;
    for (const n of nodes) this.insertBefore(n, first);
  }
  /** Nothing is laid out here: nothing to scroll. */
  scrollIntoView(): void {}
  insertBefore<T extends FakeNode>(n: T, ref: FakeNode | null): T {
    detach(n);
    const i = ref ? this.childNodes.indexOf(ref) : -1;
    this.childNodes.splice(i < 0 ? this.childNodes.length : i, 0, n);
    n.parentNode = this;
    return n;
  }
  removeChild<T extends FakeNode>(n: T): T {
    detach(n);
    return n;
  }
  remove(): void {
    detach(this);
  }
  replaceWith(n: FakeNode): void {
    this.parentNode?.insertBefore(n, this);
    detach(this);
  }
  contains(n: unknown): boolean {
    for (let at = n as FakeNode | null; at; at = at.parentNode) if (at === this) return true;
    return false;
  }

  /** Shown: in the document, and neither it nor a parent hidden. */
  get rendered(): boolean {
    for (let at: FakeElement | null = this; at; at = at.parentNode) if (at.hidden) return false;
    return this.isConnected;
  }
  focus(): void {
    if (this.rendered && !this.disabled) this.doc.focused = this;
  }
  blur(): void {
    if (this.doc.focused === this) this.doc.focused = null;
  }
  select(): void {}

  addEventListener(type: string, fn: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
  }
  removeEventListener(type: string, fn: Listener): void {
    this.listeners.get(type)?.delete(fn);
  }
  /** Runs the listeners of `e`, then its parents' when it bubbles. */
  dispatchEvent(e: Event): boolean {
    for (let at: FakeElement | null = this; at; at = e.bubbles ? at.parentNode : null) {
      for (const fn of at.listeners.get(e.type) ?? []) fn(e);
    }
    return !e.defaultPrevented;
  }

  matches(selector: string): boolean {
    return compound(selector)(this);
  }
  closest(selector: string): FakeElement | null {
    for (let at: FakeElement | null = this; at; at = at.parentNode) if (at.matches(selector)) return at;
    return null;
  }
  querySelectorAll(selector: string): FakeElement[] {
    const child = /^:scope\s*>\s*(.+)$/.exec(selector);
    if (child) return this.children.filter(compound(child[1]!));
    const test = compound(selector);
    const found: FakeElement[] = [];
    const walk = (el: FakeElement) => {
      for (const c of el.children) {
        if (test(c)) found.push(c);
        walk(c);
      }
    };
    walk(this);
    return found;
  }
  querySelector(selector: string): FakeElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

// The reflected attributes read and written as properties.
for (const k of REFLECTED) {
  Object.defineProperty(FakeElement.prototype, k, {
    get(this: FakeElement) {
      return this.attributes.get(k) ?? "";
    },
    set(this: FakeElement, v: string) {
      this.attributes.set(k, String(v));
    },
  });
}

function detach(n: FakeNode): void {
  const parent = n.parentNode;
  if (!parent) return;
  parent.childNodes.splice(parent.childNodes.indexOf(n), 1);
  n.parentNode = null;
}

/**
 * One compound selector: a tag, `#id`, `.class`es, `[attr]` / `[attr="v"]` and `:not([attr])`. Anything
 * else (combinators, other pseudo-classes) throws, so a test never passes on a selector misread.
 */
function compound(selector: string): (el: FakeElement) => boolean {
  const tests: ((el: FakeElement) => boolean)[] = [];
  let rest = selector.trim();
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  const tag = take(/^[a-z][a-z0-9]*/i);
  if (tag) tests.push((el) => el.tagName === tag[0].toUpperCase());
  while (rest !== "") {
    const id = take(/^#([\w-]+)/);
    const cls = id ? null : take(/^\.([\w-]+)/);
    const attr = id || cls ? null : take(/^\[([\w-]+)(?:="([^"]*)")?\]/);
    const not = id || cls || attr ? null : take(/^:not\(\[([\w-]+)\]\)/);
    if (id) tests.push((el) => el.getAttribute("id") === id[1]);
    else if (cls) tests.push((el) => el.classList.contains(cls[1]!));
    else if (attr) tests.push((el) => el.hasAttribute(attr[1]!) && (attr[2] === undefined || el.getAttribute(attr[1]!) === attr[2]));
    else if (not) tests.push((el) => !el.hasAttribute(not[1]!));
    else throw new Error(`fake-dom: selector not understood: ${selector}`);
  }
  return (el) => tests.every((t) => t(el));
}

export class FakeDocument {
  readonly documentElement: FakeElement;
  readonly body: FakeElement;
  focused: FakeElement | null = null;

  constructor() {
    this.documentElement = new FakeElement("html", this);
    this.body = this.documentElement.appendChild(new FakeElement("body", this));
  }

  /** The focused element while it is shown; else the body, where keys reach nothing. */
  get activeElement(): FakeElement {
    return this.focused?.rendered ? this.focused : this.body;
  }
  createElement(tag: string): FakeElement {
    return new FakeElement(tag, this);
  }
  createTextNode(text: string): FakeText {
    return new FakeText(text);
  }
  getElementById(id: string): FakeElement | null {
    return this.documentElement.querySelectorAll(`[id="${id}"]`)[0] ?? null;
  }
  elementFromPoint(): FakeElement | null {
    return null;
  }
}

/** A fresh fake page as `document` (and `HTMLElement`, for `instanceof`); undone by vi.unstubAllGlobals. */
export function fakePage(): FakeDocument {
  const doc = new FakeDocument();
  vi.stubGlobal("document", doc);
  vi.stubGlobal("HTMLElement", FakeElement);
  return doc;
}

/** A key pressed on `el` (bubbling, like the browser's keydown). */
export function press(el: Element, key: string): void {
  const e = new Event("keydown", { bubbles: true, cancelable: true });
  Object.defineProperty(e, "key", { value: key });
  el.dispatchEvent(e);
}

/** A page's localStorage, kept in memory (stubbed as the global; `vi.unstubAllGlobals` ends it). */
export function fakeStorage(): void {
  const items = new Map<string, string>();
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  });
}
