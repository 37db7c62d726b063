import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { h } from "../dom";
import { fakePage, press, type FakeDocument } from "../fake-dom";
import type { Backend } from "../ipc";
import { TabModel, type SessionTarget } from "../terminal/tabs";
import type { Workspace } from "../terminal/workspace";
import { TransfersView } from "./view";

const target: SessionTarget = { profile: "demo", namespace: "demo", pod: "shell", container: "shell", command: null };

/** The workspace's parts the view uses: its tabs, their panes, and the strip with the transfers' button. */
function page() {
  const doc: FakeDocument = fakePage();
  const model = new TabModel();
  const strip = h("div", { class: "tab-strip", hidden: true }, h("button", { class: "tab-overflow" }));
  const root = h("div", { class: "workspace" }, strip);
  document.body.appendChild(root);
  // As the workspace does: the strip shows while a tab is open, or while kept for the button.
  let kept = false;
  const renderStrip = () => (strip.hidden = model.list().length === 0 && !kept);
  model.onChange(renderStrip);
  const workspace = {
    root,
    model,
    keepStrip: (k: boolean) => {
      kept = k;
      renderStrip();
    },
    activate: (id: number) => model.activate(id),
  };
  const openTab = () => {
    const tab = model.open(target);
    const pane = h("div", { class: "pane", id: `pane-${tab.id}` }, h("div", { class: "terminal-view" }, h("textarea", { class: "xterm-helper-textarea" })));
    root.appendChild(pane);
    return { tab, pane, terminal: pane.querySelector<HTMLElement>("textarea")! };
  };
  const closeTab = (id: number) => {
    model.close(id);
    document.getElementById(`pane-${id}`)?.remove();
  };
  const backend = {
    podWorkingDir: () => new Promise(() => {}),
    listPodDir: () => Promise.resolve([]),
  } as unknown as Backend;
  const view = new TransfersView(backend, workspace as unknown as Workspace);
  const button = root.querySelector<HTMLButtonElement>(".transfers-button")!;
  const panel = root.querySelector<HTMLElement>(".transfers-panel")!;
  return { doc, view, button, panel, openTab, closeTab, activate: workspace.activate };
}

describe("transfers view", () => {
  beforeEach(() => vi.stubGlobal("localStorage", undefined));
  afterEach(() => vi.unstubAllGlobals());

  it("Escape with no tab open gives the focus back to what had it, not to the page's body", () => {
    const { doc, view, button, panel } = page();
    const filter = document.body.appendChild(h("input", { class: "filter" }));
    filter.focus();
    // Opened (a drop with no terminal tab says so in it); the focus then goes into it.
    view.togglePanel(true);
    expect(button.closest<HTMLElement>(".tab-strip")?.hidden).toBe(false);
    const close = panel.querySelector<HTMLElement>(".transfers-close")!;
    close.focus();
    press(close, "Escape");
    expect(panel.hidden).toBe(true);
    // No tab and no copy: the strip went with the panel, its button too.
    expect(button.closest<HTMLElement>(".tab-strip")?.hidden).toBe(true);
    expect(doc.activeElement).toBe(filter);
  });

  it("Escape gives the focus back to the terminal it came from, else to the panel's button", () => {
    const { doc, view, button, panel, openTab } = page();
    const { terminal } = openTab();
    terminal.focus();
    view.togglePanel(true);
    button.focus();
    press(button, "Escape");
    expect(panel.hidden).toBe(true);
    expect(doc.activeElement).toBe(terminal);

    // What had the focus went meanwhile (a dialog closed): the button takes it.
    const field = document.body.appendChild(h("input", {}));
    field.focus();
    view.togglePanel(true);
    field.remove();
    const close = panel.querySelector<HTMLElement>(".transfers-close")!;
    close.focus();
    press(close, "Escape");
    expect(doc.activeElement).toBe(button);

    // Nothing had it (the body): the button.
    doc.focused = null;
    view.togglePanel(true);
    press(panel, "Escape");
    expect(doc.activeElement).toBe(button);
  });

  it("Escape with no tab open, opened from the transfers button, gives the focus to the pod filter", () => {
    const { doc, view, button, panel } = page();
    const filter = document.body.appendChild(h("input", { class: "filter" }));
    // Opened with a click on ⇅ (the button took the focus, as a webview gives it on a click).
    button.focus();
    view.togglePanel(true);
    press(panel, "Escape");
    expect(panel.hidden).toBe(true);
    expect(button.closest<HTMLElement>(".tab-strip")?.hidden).toBe(true);
    expect(doc.activeElement).toBe(filter);
  });

  it("forgets a closed tab's bar, and keeps the bars of the tabs still open", () => {
    const { view, openTab, closeTab, activate } = page();
    const one = openTab();
    const two = openTab();
    view.openDownload(one.tab.id);
    // Files dropped with no tab under them: the active tab's upload bar.
    activate(two.tab.id);
    view.filesDropped(["/home/you/a.txt"], 0, 0);
    expect(one.pane.querySelector(".download-bar")).not.toBeNull();
    expect(two.pane.querySelector(".upload-bar")).not.toBeNull();
    expect(view["bars"].size).toBe(2);

    closeTab(one.tab.id);
    expect(view["bars"].size).toBe(1);
    closeTab(two.tab.id);
    expect(view["bars"].size).toBe(0);

    // A bar of an open tab still closes with Escape.
    const three = openTab();
    view.openDownload(three.tab.id);
    const bar = three.pane.querySelector<HTMLElement>(".download-bar")!;
    press(bar.querySelector<HTMLElement>(".transfer-path")!, "Escape");
    expect(three.pane.querySelector(".download-bar")).toBeNull();
    expect(view["bars"].size).toBe(0);
  });
});
