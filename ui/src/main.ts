// The app shell: sidebar on the left; tabs and terminals on the right; a first-run screen while
// there is no saved cluster.
import "@xterm/xterm/css/xterm.css";
import "./style.css";
import { clear, h } from "./dom";
import { FavouritesModel } from "./favourites/model";
import { confirmClose } from "./confirm-close";
import { connectBackend, errorMessage } from "./ipc";
import { logsTarget, podMenuItems } from "./logs/pod-menu";
import { SidebarModel } from "./sidebar/model";
import { askBeforeCloseControl, debugImageControl, drawEveryByteControl, globalShortcutControl, restoreTabsControl, scrollbackControl, settingsGroup } from "./settings/view";
import { setLogLineLimit } from "./logs/view";
import { keepTabsAcrossRestarts } from "./restore/session";
import { offerLeftCopies } from "./terminal/left-copies";
import { SidebarView } from "./sidebar/view";
import { podtermHook } from "./terminal/view";
import { profileLook } from "./profile-look";
import { openQuickOpen } from "./quickopen/view";
import { ClusterPods } from "./quickopen/everywhere";
import { askProduction, ProductionGate } from "./terminal/production";
import { quickConnectNote, type NotePart } from "./quickconnect";
import { Workspace } from "./terminal/workspace";
import { TransfersView } from "./transfers/view";
import { ForwardsView } from "./forwards/view";
import { openRecordings } from "./recordings/view";
import { askBroadcast } from "./terminal/broadcast";
import { workloadPanesItems } from "./terminal/workload-panes";
import { nodeShellItems } from "./terminal/node-shell";
import { favouriteTarget, placeholderTarget } from "./favourites/favourite";
import type { FavouriteRef, SessionTarget } from "./terminal/tabs";

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) throw new Error("#app is missing from index.html");
  const backend = await connectBackend();
  document.body.dataset.backend = backend.kind;

  let workspace: Workspace | null = null;
  // Saving the open tabs (restore/session.ts), made once the workspace is.
  let tabsKept: ReturnType<typeof keepTabsAcrossRestarts> | null = null;
  let transfers: TransfersView | null = null;
  const favourites = new FavouritesModel(backend, {
    open: (name, summary) => workspace?.openFavourite(name, summary),
    renamed: (from, to) => workspace?.renameFavourite(from, to),
    likely: () => workspace?.expectTab(),
  });
  const model = new SidebarModel(backend, (target) => workspace?.open(target), favourites, {
    podDeleted: (profile, namespace, pod) => workspace?.podGone(profile, namespace, pod),
    pickerOpened: () => workspace?.expectTab(),
    profileRenamed: (old, name) => workspace?.renameProfile(old, name),
  });
  const forwards = new ForwardsView(backend);
  const openLogs = (pod: string) => {
    const t = logsTarget(model, pod);
    if (t) workspace?.openLogs(t);
  };
  const sidebar = new SidebarView(model, root, {
    badge: backend.kind === "mock" ? "preview" : undefined,
    podMenu: {
      items: (pod) => [
        ...podMenuItems(model, pod, (t, workload) => workspace?.openLogs(t, workload)),
        ...workloadPanesItems(model, pod, (targets) => workspace?.openPanes(targets, true)),
        ...nodeShellItems(model, pod, (profile, namespace, node) => workspace?.openNodeShell(profile, namespace, node)),
        ...forwards.menuItems(model, pod),
      ],
      logs: openLogs,
      forward: (pod) => forwards.askFor(model, pod),
    },
    pickFolder: () => backend.pickRecordingsFolder(),
  });
  // Every Logs view keeps the saved line limit (settings.json's `logLines`).
  backend.appSettings().then(
    (s) => setLogLineLimit(s.logLines),
    () => {
      /* the scrollback control says the settings could not be read */
    },
  );
  // Port forwards: shown while there is one.
  sidebar.root.appendChild(forwards.root);
  // A Service's port forwarded (its Services listed); recordings: the folders listed, and the player.
  sidebar.root.appendChild(
    h(
      "div",
      { class: "recordings-setting sidebar-tools" },
      h(
        "button",
        { class: "services-button", title: "Forward a port of one of the namespace's Services (kubectl port-forward svc/NAME)", onclick: () => forwards.askService(model) },
        "\u21c4 Service ports…",
      ),
      h("button", { class: "recordings-button", title: "Recorded sessions: list, play, delete", onclick: () => openRecordings(backend) }, "\u25cf Recordings…"),
    ),
  );
  sidebar.root.appendChild(
    settingsGroup([
      restoreTabsControl(backend, () => tabsKept?.saveNow()),
      askBeforeCloseControl(),
      globalShortcutControl(backend),
      scrollbackControl(backend),
      drawEveryByteControl(backend),
      debugImageControl(backend),
    ]),
  );
  const main = h("main", { class: "workspace" });
  root.appendChild(main);
  const welcome = h("div", { class: "welcome" });
  main.appendChild(welcome);
  // Ctrl+K, and the tray's "Quick open…" (a request from outside the window).
  // `into`: what a choice opens instead of a new tab (a new pane: "Split right with…").
  const showQuickOpen = (into?: (target: SessionTarget, favourite: FavouriteRef | null) => void) => {
    // Beyond the sidebar's namespace: the current cluster's pods in every namespace.
    let everywhere: ClusterPods | null = null;
    workspace?.expectTab();
    openQuickOpen({
      sources: () => ({
        favourites: favourites.list,
        recent: workspace?.recentTargets() ?? [],
        profile: model.profile,
        namespace: model.namespace,
        pods: everywhere ? everywhere.pods(model.pods.sorted()) : model.pods.sorted(),
      }),
      live: (refresh) => {
        const profile = model.profile;
        if (profile !== null && !model.allNamespaces) everywhere = new ClusterPods(backend, profile, refresh);
        return { note: () => everywhere?.note ?? null, close: () => everywhere?.stop() };
      },
      open: (item) => {
        if (into) {
          if (item.kind === "favourite") {
            const f = favourites.get(item.name);
            if (f) into(placeholderTarget(f), { name: f.name, target: favouriteTarget(f) });
          } else if (item.kind === "node") return "A shell on a node opens in a tab of its own, not in a pane: open it with Ctrl+K.";
          else if ((item.kind === "pod" || item.kind === "workload") && item.refusal) return item.refusal;
          else if (item.target) into(item.target, null);
          return null;
        }
        if (item.kind === "favourite") favourites.open(item.name);
        else if (item.kind === "node") workspace?.openNodeShell(item.profile, item.namespace, item.node);
        else if ((item.kind === "pod" || item.kind === "workload") && item.refusal) return item.refusal;
        else if (item.target) workspace?.open(item.target);
        return null;
      },
    });
  };
  workspace = new Workspace(backend, main, {
    onTabsChanged: renderWelcome,
    // A container without a shell: its pod's picker, to type one of its own programs.
    runCommand: (target) => {
      if (model.pickFor(target)) sidebar.root.querySelector<HTMLInputElement>(".picker input.command")?.focus();
    },
    profileLook: (name) => profileLook(name, model.profiles.find((p) => p.name === name)),
    quickOpen: () => showQuickOpen(),
    autoReconnect: (profile) => model.profiles.some((p) => p.name === profile && p.reconnect),
    production: new ProductionGate((name) => model.profiles.some((p) => p.name === name && p.production), askProduction),
    tabMenuExtra: (tabId) => transfers?.menuItems(tabId) ?? [],
    chooseTarget: (then) => showQuickOpen(then),
    askBroadcast,
  });
  // Files: a drop on a tab uploads into its pod, Download… copies out, the transfers panel.
  transfers = new TransfersView(backend, workspace);
  transfers.start().catch((err: unknown) => {
    favourites.report(`File transfers cannot report here: ${errorMessage(err)}`);
  });
  // A profile's colour or production mark changed (an edit): the tabs follow.
  let looks = "";
  model.onChange(() => {
    const now = JSON.stringify(model.profiles.map((p) => [p.name, p.colour, p.production]));
    if (now !== looks) {
      looks = now;
      workspace?.looksChanged();
    }
  });
  // Tabs that survive a restart (restore/session.ts).
  tabsKept = keepTabsAcrossRestarts(backend, workspace, model, favourites);

  const hook = podtermHook();
  hook.favourites = () => favourites.list.map((f) => ({ ...f, command: [...f.command] }));

  // Where Podterm keeps its files, said under the welcome card (asked once; null: unknown).
  let configDir: string | null = null;
  backend
    .configDir()
    .then((dir) => {
      configDir = dir;
      shown = null;
      renderWelcome();
    })
    .catch(() => {
      /* the card simply does not say it */
    });

  // Where quick-connect lives on this desktop (the tray, the launcher's actions), asked once.
  let quickConnect: NotePart[] | null = null;
  backend
    .appSettings()
    .then((s) => {
      quickConnect = quickConnectNote(s);
      shown = null;
      renderWelcome();
    })
    .catch(() => {
      /* the card simply does not say it */
    });

  // Built once: what is typed here survives re-renders (a failed import keeps the path).
  const path = h("input", { type: "text", placeholder: "/path/to/kubeconfig", "aria-label": "Kubeconfig file to import", spellcheck: "false" });
  let shown: string | null = null;

  function renderWelcome(): void {
    const tabs = workspace?.model.list().length ?? 0;
    // Only what the card shows; pod events and the like change none of it.
    const key = JSON.stringify([tabs, model.profilesLoaded, model.profiles.length, model.busy, model.error]);
    if (key === shown) return;
    shown = key;
    welcome.hidden = tabs > 0;
    if (tabs > 0) return;
    const typing = document.activeElement === path;
    clear(welcome);
    const card = h("div", { class: "welcome-card" }, h("h1", {}, "Podterm"), h("p", { class: "lead" }, "A shell in any pod, in a terminal tab."));
    if (!model.profilesLoaded) {
      card.appendChild(h("p", {}, "Loading your clusters…"));
    } else if (model.profiles.length === 0) {
      card.append(
        h("p", {}, "No cluster is saved yet. Import the clusters you use with kubectl, or try the built-in Demo cluster."),
        h(
          "div",
          { class: "first-run-actions" },
          h(
            "button",
            { class: "primary", id: "import-kubeconfig", disabled: model.busy !== null, onclick: () => void model.importKubeconfig(null) },
            h("span", { class: "button-title" }, "Import ~/.kube/config"),
            h("span", { class: "button-sub" }, "every context, and the files named in KUBECONFIG"),
          ),
          h(
            "button",
            { id: "demo-cluster", disabled: model.busy !== null, onclick: () => void model.addDemo() },
            h("span", { class: "button-title" }, "Demo cluster"),
            h("span", { class: "button-sub" }, "runs inside Podterm: its \u201cpods\u201d are shells on this computer, as you"),
          ),
        ),
        h(
          "form",
          {
            class: "import-file",
            onsubmit: (e: Event) => {
              e.preventDefault();
              const p = path.value.trim();
              if (p) void model.importKubeconfig(p);
            },
          },
          h("label", {}, "Or a kubeconfig file: "),
          path,
          h("button", { type: "submit", disabled: model.busy !== null }, "Import"),
          h(
            "button",
            { type: "button", id: "choose-kubeconfig", disabled: model.busy !== null, onclick: () => void model.chooseKubeconfig() },
            "Choose a file…",
          ),
        ),
        h(
          "p",
          { class: "demo-note" },
          "The Demo cluster is not a real cluster: a shell opened in one of its pods runs on this computer, as your user, with your files.",
        ),
        "Tokens and keys go to the system keyring; Podterm never writes them to a file.",
      );
      if (model.busy) card.appendChild(h("div", { class: "message busy" }, h("span", { class: "spinner" }), model.busy));
      if (model.error) card.appendChild(h("div", { class: "message error", role: "alert" }, model.error));
    } else {
      card.append(
        h("p", {}, "Pick a pod on the left, then a container, to open a shell in it."),
        h(
          "ul",
          { class: "hints" },
          h("li", {}, h("kbd", {}, "Ctrl+Shift+C"), " / ", h("kbd", {}, "Ctrl+Shift+V"), " copy and paste"),
          h("li", {}, h("kbd", {}, "Ctrl+Shift+F"), " find in the terminal; right-click for copy, paste, clear"),
          h("li", {}, h("kbd", {}, "Ctrl+Tab"), " / ", h("kbd", {}, "Ctrl+PgDn"), " next tab, ", h("kbd", {}, "Ctrl+Shift+W"), " close, ", h("kbd", {}, "Ctrl+Shift+T"), " reopen"),
          h("li", {}, h("kbd", {}, "Ctrl+K"), " quick open: a favourite, a recent session or a pod by a few letters (", h("kbd", {}, "Ctrl+Shift+K"), " in a terminal)"),
          h("li", {}, h("kbd", {}, "Alt+1"), "…", h("kbd", {}, "Alt+9"), " go to a tab; drag a tab or ", h("kbd", {}, "Ctrl+Shift+PgUp/PgDn"), " to move it"),
          h("li", {}, h("kbd", {}, "Ctrl+="), " ", h("kbd", {}, "Ctrl+-"), " ", h("kbd", {}, "Ctrl+0"), " text size"),
          h("li", {}, "Double-click a pod to open its default container directly"),
          h("li", {}, "Right-click a pod (or ", h("kbd", {}, "L"), " on it) for its logs and events; ", h("kbd", {}, "F"), " on it forwards a port (", h("strong", {}, "\u21c4 Service ports…"), " a Service's)"),
          h("li", {}, "☆ on a pod keeps the workload that runs it in Favourites, one click from a shell"),
        ),
      );
    }
    if (quickConnect && model.profilesLoaded) {
      card.appendChild(h("p", { class: "quick-connect" }, ...quickConnect.map((p) => (typeof p === "string" ? p : h("code", {}, p.code)))));
    }
    if (configDir) {
      card.appendChild(
        h(
          "p",
          { class: "config-dir" },
          "Podterm keeps your clusters and favourites in ",
          h("code", {}, configDir),
          ".",
        ),
      );
    }
    welcome.appendChild(card);
    if (typing && path.isConnected) path.focus();
  }

  model.onChange(renderWelcome);
  renderWelcome();
  // Requests from the tray, a second launch (--connect NAME) or a podterm:// link; those made
  // before this page listened arrive now.
  backend
    .watchRequests((request) => {
      if (request.kind === "filesDropped") {
        transfers?.filesDropped(request.paths, request.x, request.y);
        return;
      }
      if (request.kind === "confirmClose") {
        const live = workspace?.liveCount() ?? 0;
        const { quit } = request;
        confirmClose(
          live > 0 ? live : request.sessions,
          () => {
            (quit ? backend.quitApp() : backend.closeWindow()).catch((err: unknown) => {
              favourites.report(`${quit ? "Podterm could not quit" : "The window could not be closed"}: ${errorMessage(err)}`);
            });
          },
          request.transfers,
          quit,
        );
        return;
      }
      // The tray's "Recent" and "Quick open…".
      if (request.kind === "openSession") {
        const { profile, namespace, pod, container, command } = request.target;
        workspace?.open({ profile, namespace, pod, container, command });
        return;
      }
      if (request.kind === "quickOpen") {
        showQuickOpen();
        return;
      }
      favourites.handleRequest(request);
    })
    .catch((err: unknown) => {
      favourites.report(`Requests from the tray cannot reach this window: ${errorMessage(err)}; restart Podterm to use the tray and --connect.`);
    });
  await Promise.all([favourites.load(), model.loadProfiles()]);
  // Copies of pods the last run made and did not delete (it was killed): offered, never deleted unasked.
  void offerLeftCopies(backend, main);
  await tabsKept?.restore();
}

start().catch((err: unknown) => {
  document.body.appendChild(
    h("div", { class: "fatal", role: "alert" }, `Podterm could not start: ${errorMessage(err)}`),
  );
});
