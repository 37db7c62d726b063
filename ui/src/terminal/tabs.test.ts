import { describe, expect, it } from "vitest";
import { CANCELLED, inputAction, logsStatusText, nextStatus, NO_SHELL, noShellEnd, profileHue, statusText, TabModel, tabLabel, tabLabels, tabTitle, type SessionTarget } from "./tabs";

const target: SessionTarget = { profile: "demo", namespace: "demo", pod: "shell", container: "shell", command: null };

function model() {
  let now = 1000;
  const m = new TabModel(() => now);
  let changes = 0;
  m.onChange(() => changes++);
  return { m, tick: (ms: number) => (now += ms), changes: () => changes };
}

describe("tab state machine", () => {
  it("Cancel while connecting: lost before connecting, the session to close, late events ignored", () => {
    const { m } = model();
    const tab = m.open(target);
    expect(m.sessionOpened(tab.id, 1, 42)).toBe(true);
    expect(m.cancel(tab.id)).toBe(42);
    expect(tab.status).toEqual({ kind: "lost", reason: CANCELLED, beforeConnect: true, cancelled: true });
    expect(statusText(tab.status)).toBe("cancelled");
    // The cancelled attempt's session may still report: ignored.
    expect(m.sessionState(tab.id, 1, { state: "connected" })).toBeNull();
    expect(m.cancel(tab.id)).toBeUndefined(); // only a connecting tab cancels
    // Reconnect starts a new attempt.
    expect(m.reopen(tab.id)).toEqual({ attempt: 3, oldSession: null });
    expect(tab.status.kind).toBe("connecting");
  });

  it("Cancel before open_session answered: the id that comes later is to be closed", () => {
    const { m } = model();
    const tab = m.open(target);
    expect(m.cancel(tab.id)).toBeNull();
    expect(m.sessionOpened(tab.id, 1, 7)).toBe(false);
    expect(tab.sessionId).toBeNull();
  });

  it("connecting → connected → exited(code)", () => {
    const { m } = model();
    const tab = m.open(target);
    expect(tab.status).toEqual({ kind: "connecting", since: 1000 });
    expect(m.active?.id).toBe(tab.id);
    expect(m.sessionOpened(tab.id, 1, 42)).toBe(true);
    expect(tab.sessionId).toBe(42);
    expect(m.sessionState(tab.id, 1, { state: "connecting" })).toBeNull();
    expect(m.sessionState(tab.id, 1, { state: "connected" })?.kind).toBe("connected");
    expect(m.sessionState(tab.id, 1, { state: "connected" })).toBeNull();
    expect(m.sessionState(tab.id, 1, { state: "exited", code: 3, outputBytes: 0 })).toEqual({ kind: "exited", code: 3 });
    expect(statusText(tab.status)).toBe("exited 3");
    // Terminal: nothing moves an ended tab but a reopen.
    expect(m.sessionState(tab.id, 1, { state: "lost", reason: "x", outputBytes: 0 })).toBeNull();
    expect(m.sessionState(tab.id, 1, { state: "connected" })).toBeNull();
    expect(tab.status).toEqual({ kind: "exited", code: 3 });
  });

  it("connected → lost(reason), then Reconnect opens a new attempt", () => {
    const { m } = model();
    const tab = m.open(target);
    m.sessionOpened(tab.id, 1, 5);
    m.sessionState(tab.id, 1, { state: "connected" });
    m.sessionState(tab.id, 1, { state: "lost", reason: "pod deleted", outputBytes: 0 });
    expect(tab.status).toEqual({ kind: "lost", reason: "pod deleted", beforeConnect: false });
    expect(statusText(tab.status)).toBe("lost");
    const r = m.reopen(tab.id);
    expect(r).toEqual({ attempt: 2, oldSession: 5 });
    expect(tab.status.kind).toBe("connecting");
    expect(tab.sessionId).toBeNull();
    // Late events of attempt 1 are ignored.
    expect(m.sessionState(tab.id, 1, { state: "connected" })).toBeNull();
    expect(m.sessionOpened(tab.id, 1, 99)).toBe(false);
    expect(tab.sessionId).toBeNull();
    expect(m.sessionOpened(tab.id, 2, 6)).toBe(true);
    expect(m.sessionState(tab.id, 2, { state: "connected" })?.kind).toBe("connected");
  });

  it("a failed open is lost before connecting, with the backend's words", () => {
    const { m } = model();
    const tab = m.open(target);
    m.openFailed(tab.id, 1, 'pods "shell" is forbidden: User "viewer" cannot create resource "pods/exec"');
    expect(tab.status).toMatchObject({ kind: "lost", beforeConnect: true });
    expect(statusText(tab.status)).toBe("failed");
    expect(m.reopen(tab.id)?.attempt).toBe(2);
  });

  it("lost while connecting is marked beforeConnect", () => {
    expect(nextStatus({ kind: "connecting", since: 0 }, { state: "lost", reason: "r", outputBytes: 0 }, 1)).toEqual({
      kind: "lost",
      reason: "r",
      beforeConnect: true,
    });
  });

  it("an exit can beat open_session's reply and the id is still kept to release", () => {
    const { m } = model();
    const tab = m.open(target);
    m.sessionState(tab.id, 1, { state: "connected" });
    m.sessionState(tab.id, 1, { state: "exited", code: 0, outputBytes: 0 });
    expect(m.sessionOpened(tab.id, 1, 8)).toBe(true);
    expect(m.close(tab.id)).toBe(8);
  });

  it("reopen only from an ended state", () => {
    const { m } = model();
    const tab = m.open(target);
    expect(m.reopen(tab.id)).toBeNull();
    m.sessionState(tab.id, 1, { state: "connected" });
    expect(m.reopen(tab.id)).toBeNull();
    m.sessionState(tab.id, 1, { state: "exited", code: 1, outputBytes: 0 });
    expect(m.reopen(tab.id)).not.toBeNull();
  });

  it("close returns the session to end and activates a neighbour", () => {
    const { m } = model();
    const a = m.open(target);
    const b = m.open({ ...target, pod: "web" });
    const c = m.open({ ...target, pod: "db" });
    m.sessionOpened(b.id, 1, 20);
    m.activate(b.id);
    expect(m.close(b.id)).toBe(20);
    expect(m.active?.id).toBe(c.id);
    expect(m.close(c.id)).toBeNull(); // never got a session id
    expect(m.active?.id).toBe(a.id);
    expect(m.close(a.id)).toBeNull();
    expect(m.active).toBeUndefined();
    expect(m.close(a.id)).toBeUndefined();
    // A reply for a closed tab must be closed by the caller.
    expect(m.sessionOpened(a.id, 1, 30)).toBe(false);
  });

  it("notifies listeners on changes only", () => {
    const { m, changes } = model();
    const tab = m.open(target);
    const n = changes();
    m.sessionState(tab.id, 1, { state: "connecting" });
    m.activate(tab.id);
    expect(changes()).toBe(n);
    m.sessionState(tab.id, 1, { state: "connected" });
    expect(changes()).toBe(n + 1);
  });
});

describe("input on a tab", () => {
  it("is sent while connected and while connecting (the session holds it until it has connected)", () => {
    expect(inputAction({ kind: "connected", since: 0 }, "ls\r")).toBe("send");
    expect(inputAction({ kind: "connecting", since: 0 }, "l")).toBe("send");
  });
  it("Enter reopens an exited tab; other keys do nothing", () => {
    expect(inputAction({ kind: "exited", code: 0 }, "\r")).toBe("reopen");
    expect(inputAction({ kind: "exited", code: 0 }, "x")).toBe("ignore");
  });
  it("a lost tab waits for its Reconnect button", () => {
    expect(inputAction({ kind: "lost", reason: "r", beforeConnect: false }, "\r")).toBe("ignore");
  });
});

describe("tab titles", () => {
  it("name the pod, container and command", () => {
    expect(tabTitle(target)).toBe("shell/shell");
    expect(tabTitle({ ...target, container: "nginx", command: ["ls", "-l"] })).toBe("shell/nginx (ls -l)");
  });
});

describe("a workload's Logs tab", () => {
  it("is labelled by the pod it was opened from until its stream names the workload", () => {
    const { m } = model();
    const tab = m.openLogs({ ...target, pod: "web-1" }, true);
    expect(tabLabel(tab)).toBe("Logs · workload of web-1");
    m.nameWorkload(tab.id, "deployment/web");
    expect(tabLabel(tab)).toBe("Logs · deployment/web");
    // A pod's own Logs tab keeps its pod.
    const own = m.openLogs(target);
    m.nameWorkload(own.id, "deployment/web");
    expect(tabLabel(own)).toBe("Logs · shell/shell");
  });
});

describe("a Logs view's tab", () => {
  it("follows its stream: live while it follows, ended or failed (with the reason) after", () => {
    const { m } = model();
    const tab = m.openLogs(target);
    const shell = m.open(target);
    m.logsState(tab.id, "connecting", "Connecting…");
    expect([tab.status.kind, logsStatusText(tab.status)]).toEqual(["connecting", "logs…"]);
    m.logsState(tab.id, "streaming", "Following shell");
    expect([tab.status.kind, logsStatusText(tab.status)]).toEqual(["connected", "logs"]);
    m.logsState(tab.id, "failed", "the API server closed the stream");
    expect(tab.status).toEqual({ kind: "lost", reason: "the API server closed the stream", beforeConnect: false });
    expect(logsStatusText(tab.status)).toBe("logs failed");
    m.logsState(tab.id, "ended", "The log ended (the container stopped).");
    expect([tab.status.kind, logsStatusText(tab.status)]).toEqual(["exited", "logs ended"]);
    // A terminal tab is not moved by a log's state.
    m.logsState(shell.id, "failed", "nope");
    expect(shell.status.kind).toBe("connecting");
  });
});

describe("a favourite's tab", () => {
  it("is titled after the favourite and resolves on every attempt", () => {
    const { m } = model();
    const tab = m.open({ ...target, pod: "" }, { name: "web", target: "deployment/web" });
    expect(tabLabel(tab)).toBe("★ web");
    expect(tabLabel({ target, favourite: null })).toBe("shell/shell");
    expect(tab.status).toEqual({ kind: "connecting", since: 1000, resolving: true });
    // Only the current attempt may move it on.
    expect(m.resolved(tab.id, 2, { ...target, pod: "web-1" })).toBe(false);
    expect(m.resolved(tab.id, 1, { ...target, pod: "web-1" })).toBe(true);
    expect(tab.target.pod).toBe("web-1");
    expect(tab.status).toEqual({ kind: "connecting", since: 1000 });
    expect(m.resolved(tab.id, 1, { ...target, pod: "web-2" })).toBe(false); // no longer resolving
    m.openFailed(tab.id, 1, "refused");
    expect(m.reopen(tab.id)?.attempt).toBe(2);
    expect(tab.status).toMatchObject({ kind: "connecting", resolving: true });
    m.resolveFailed(tab.id, 2, "no Ready pod for deployment/web in namespace demo: no pods match");
    expect(tab.status).toEqual({
      kind: "lost",
      reason: "no Ready pod for deployment/web in namespace demo: no pods match",
      beforeConnect: true,
      unresolved: true,
    });
    expect(statusText(tab.status)).toBe("failed");
    expect(inputAction(tab.status, "\r")).toBe("ignore"); // Reconnect, not Enter, retries a failure
  });
});

describe("a working day of tabs", () => {
  const at = (profile: string, namespace = "demo", pod = "shell", container = "main"): SessionTarget => ({
    profile,
    namespace,
    pod,
    container,
    command: null,
  });

  it("Ctrl+Tab order: step goes to the next and previous tab, round the ends", () => {
    const { m } = model();
    const a = m.open(at("a"));
    const b = m.open(at("b"));
    const c = m.open(at("c"));
    expect(m.active?.id).toBe(c.id);
    expect(m.step(1)?.id).toBe(a.id);
    expect(m.step(1)?.id).toBe(b.id);
    expect(m.step(-1)?.id).toBe(a.id);
    expect(m.step(-1)?.id).toBe(c.id);
  });

  it("Alt+N selects the Nth tab, 9 the last; moving a tab keeps the others' order and the active tab", () => {
    const { m } = model();
    const [a, b, c, d] = ["a", "b", "c", "d"].map((p) => m.open(at(p)));
    expect(m.select(2)?.id).toBe(b!.id);
    expect(m.active?.id).toBe(b!.id);
    expect(m.select(9)?.id).toBe(d!.id);
    expect(m.select(5)).toBeUndefined();
    expect(m.active?.id).toBe(d!.id);
    const order = () => m.list().map((t) => t.target.profile).join("");
    expect(m.move(a!.id, 2)).toBe(true);
    expect(order()).toBe("bcad");
    expect(m.move(a!.id, 99)).toBe(true);
    expect(order()).toBe("bcda");
    expect(m.move(a!.id, 3)).toBe(false);
    expect(m.active?.id).toBe(d!.id);
    // Ctrl+Shift+PgUp/PgDn move the active tab one place, not round the ends.
    m.activate(c!.id);
    expect(m.moveActive(-1)).toBe(true);
    expect(order()).toBe("cbda");
    expect(m.moveActive(-1)).toBe(false);
    expect(m.moveActive(1)).toBe(true);
    expect(order()).toBe("bcda");
    expect(m.active?.id).toBe(c!.id);
    expect(m.select(1)?.id).toBe(b!.id);
  });

  it("three shell/main tabs from two clusters get distinct labels; one cluster needs no prefix", () => {
    const tabs = [at("prod"), at("staging"), at("prod", "web")].map((target) => ({ target, favourite: null }));
    const labels = tabLabels(tabs);
    const shown = labels.map((l) => [l.profile, l.namespace, l.title].filter(Boolean).join(" · "));
    expect(shown).toEqual(["prod · demo · shell/main", "staging · shell/main", "prod · web · shell/main"]);
    expect(new Set(shown).size).toBe(3);
    expect(tabLabels([{ target: at("prod"), favourite: null }])[0]).toEqual({ title: "shell/main", profile: null, namespace: null });
    // A profile's colour is stable and differs between these names.
    expect(profileHue("prod")).toBe(profileHue("prod"));
    expect(profileHue("prod")).not.toBe(profileHue("staging"));
  });

  it("at 12 tabs every label is distinct", () => {
    const tabs = Array.from({ length: 12 }, (_, i) => ({ target: at(`c${i % 3}`, `ns${i % 2}`, `pod-${Math.floor(i / 6)}`), favourite: null }));
    const shown = tabLabels(tabs).map((l) => [l.profile, l.namespace, l.title].filter(Boolean).join(" · "));
    // Same profile, namespace and pod twice is the same place: the others all differ.
    expect(new Set(shown).size).toBe(new Set(tabs.map((t) => JSON.stringify(t.target))).size);
  });

  it("Ctrl+Shift+T: the last closed tab's target comes back, last closed first", () => {
    const { m } = model();
    const a = m.open(at("a"));
    const b = m.open({ ...at("b"), command: ["top"] });
    m.close(a.id);
    m.close(b.id);
    expect(m.closedTargets().map((t) => t.profile)).toEqual(["b", "a"]);
    expect(m.takeClosed()).toEqual({ target: { ...at("b"), command: ["top"] }, favourite: null });
    expect(m.takeClosed()?.target.profile).toBe("a");
    expect(m.takeClosed()).toBeNull();
  });

  it("a renamed cluster's tabs, and those closed to reopen, follow its new name", () => {
    const { m } = model();
    const a = m.open({ ...at("a"), profile: "staging" });
    const b = m.open({ ...at("b"), profile: "other" });
    const c = m.open({ ...at("c"), profile: "staging" });
    m.close(c.id);
    expect(m.renameProfile("staging", "prod")).toBe(1);
    expect([m.get(a.id)?.target.profile, m.get(b.id)?.target.profile]).toEqual(["prod", "other"]);
    expect(m.takeClosed()?.target.profile).toBe("prod");
    expect(m.renameProfile("nothing", "else")).toBe(0);
  });

  it("a container without a shell ends failed with one clear reason, not lost with the runtime's words", () => {
    const { m } = model();
    const tab = m.open(at("a"));
    m.sessionState(tab.id, 1, { state: "connected" });
    const raw = 'OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown';
    const next = m.sessionState(tab.id, 1, { state: "lost", reason: raw, outputBytes: 0, noExecutable: true });
    expect(next).toEqual({ kind: "lost", reason: NO_SHELL, beforeConnect: true, noShell: true });
    expect(statusText(tab.status)).toBe("failed");
    // A local file's error in the same words (a moved CA file) is its own reason, with its way
    // forward, not "no shell".
    const other = m.open(at("b"));
    const moved = "failed to read file '/home/u/ca.crt': No such file or directory (os error 2)";
    expect(m.sessionState(other.id, 1, { state: "lost", reason: moved, outputBytes: 0 })).toMatchObject({ kind: "lost", reason: moved });
  });

  it("exit 126/127 means no shell only for the shell fallback before anything was typed", () => {
    const exit127 = { state: "exited", code: 127, outputBytes: 0 } as const;
    expect(noShellEnd(exit127, null, false)).toBe(true);
    expect(noShellEnd({ ...exit127, code: 126 }, null, false)).toBe(true);
    // The user's last command was not found, then they left the shell: theirs.
    expect(noShellEnd(exit127, null, true)).toBe(false);
    expect(noShellEnd(exit127, ["python3"], false)).toBe(false);
    expect(noShellEnd({ ...exit127, code: 1 }, null, false)).toBe(false);
    expect(noShellEnd({ state: "lost", reason: "the connection to the cluster dropped", outputBytes: 0 }, null, false)).toBe(false);
    const { m } = model();
    const tab = m.open(at("a"));
    m.sessionState(tab.id, 1, { state: "connected" });
    m.typed(tab.id);
    expect(m.sessionState(tab.id, 1, exit127)).toEqual({ kind: "exited", code: 127 });
  });

  it("a deleted pod ends its open tabs (their sessions to close), not others", () => {
    const { m, changes } = model();
    const live = m.open(at("a", "demo", "web-1"));
    m.sessionOpened(live.id, 1, 11);
    m.sessionState(live.id, 1, { state: "connected" });
    const other = m.open(at("a", "demo", "web-2"));
    const elsewhere = m.open(at("b", "demo", "web-1"));
    const before = changes();
    expect(m.podGone("a", "demo", "web-1")).toEqual([11]);
    expect(changes()).toBe(before + 1);
    expect(live.status).toEqual({ kind: "lost", reason: "the pod demo/web-1 was deleted", beforeConnect: false, podGone: true });
    expect(statusText(live.status)).toBe("lost");
    expect(other.status.kind).toBe("connecting");
    expect(elsewhere.status.kind).toBe("connecting");
    // The ended session's late exit changes nothing; a second delete neither.
    expect(m.sessionState(live.id, 1, { state: "exited", code: 137, outputBytes: 0 })).toBeNull();
    expect(m.podGone("a", "demo", "web-1")).toEqual([]);
    expect(changes()).toBe(before + 1);
  });

  it("a copy's tab is not ended by the list seeing its copy's name deleted (a Reconnect makes an ended copy again under it): the engine says", () => {
    const { m } = model();
    const copy = { ...at("a", "demo", "job-1"), copy: { name: "job-1-debug-abcde" } };
    const live = m.open(copy);
    m.sessionOpened(live.id, 1, 11);
    m.sessionState(live.id, 1, { state: "connected" });
    const again = m.open(copy);
    m.sessionOpened(again.id, 1, 12);
    const plain = m.open(at("a", "demo", "job-1-debug-abcde"));
    m.sessionOpened(plain.id, 1, 13);
    m.sessionState(plain.id, 1, { state: "connected" });
    expect(m.podGone("a", "demo", "job-1")).toEqual([]);
    // A tab on the pod by its name (not as its copy) ends as any pod's does.
    expect(m.podGone("a", "demo", "job-1-debug-abcde")).toEqual([13]);
    expect(live.status.kind).toBe("connected");
    expect(again.status.kind).toBe("connecting");
  });

  it("a tab its stream ended first learns from the pod list that the pod was deleted; an exit stays an exit", () => {
    const { m, changes } = model();
    const lost = m.open(at("a", "demo", "web-1"));
    m.sessionOpened(lost.id, 1, 11);
    m.sessionState(lost.id, 1, { state: "connected" });
    m.sessionState(lost.id, 1, { state: "lost", reason: "the connection to the cluster dropped", outputBytes: 0 });
    const exited = m.open(at("a", "demo", "web-1"));
    m.sessionOpened(exited.id, 1, 12);
    m.sessionState(exited.id, 1, { state: "connected" });
    m.sessionState(exited.id, 1, { state: "exited", code: 0, outputBytes: 0 });
    const before = changes();
    // Nothing to close: both sessions have ended.
    expect(m.podGone("a", "demo", "web-1")).toEqual([]);
    expect(changes()).toBe(before + 1);
    expect(lost.status).toMatchObject({ kind: "lost", reason: "the pod demo/web-1 was deleted", podGone: true });
    expect(exited.status).toEqual({ kind: "exited", code: 0 });
    // Said once.
    expect(m.podGone("a", "demo", "web-1")).toEqual([]);
    expect(changes()).toBe(before + 1);
  });
});
