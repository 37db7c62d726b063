//! Podterm's engine. It never depends on Tauri: everything the app does can be done, and tested,
//! without a window.
//!
//! - [`cluster`]: a client from kubeconfig (several files merged, a context, a namespace).
//! - `resend`: a read whose connection closed before its answer came, sent once more (the
//!   client [`cluster`] builds).
//! - [`commandsecrets`]: which words of a command look like they hold a secret (a tab not
//!   saved, a word masked in the verbose log).
//! - [`httplog`]: each request to the API server as a line of a log (`podterm -v 6`), its
//!   credentials masked.
//! - [`overrides`]: kubectl's connection flags (`--server`, `--token`, `--user` ...) over a
//!   kubeconfig, with kubectl's precedence.
//! - [`browse`]: namespaces and a live, watched list of pod summaries (a cluster browser).
//! - [`logs`]: container logs as `kubectl logs` reads them; a follow that resumes.
//! - [`follow`]: a workload's logs followed across rollouts (new pods picked up, stern-like).
//! - [`logview`]: a container's log for a UI, batched and acknowledged like terminal output.
//! - [`podinfo`]: a pod's status details and events, for a UI.
//! - [`pods`]: finding the pod and container to run in, as kubectl does.
//! - [`protocol`]: the `v5.channel.k8s.io` / `v4.channel.k8s.io` wire format.
//! - [`debug`]: debug containers: an ephemeral container added to a pod, waited for, reused.
//! - [`podcopy`]: debugging a copy of a pod (`debug --copy-to`): a crashing pod's copy with a
//!   shell, made as kubectl makes it.
//! - [`madecopies`]: the copies made and not yet deleted (`copies.json`), for the next run
//!   when one ended without deleting them.
//! - [`portforward`]: port forwards as kubectl makes them, to a pod or through a Service,
//!   following a workload's (or Service's) pods; [`savedforwards`] keeps them for the next run.
//! - [`services`]: a namespace's Services and their ports, to forward through one.
//! - [`exec`]: exec and attach sessions: the frame pump, read-ahead, liveness, outcomes.
//! - [`stdin`]: stdin's bytes framed for the wire; a reader that reads straight into frames.
//! - [`fanout`]: one command in every Ready pod of a selector or workload (`exec --all`): lines
//!   kept whole per pod, bounded memory, a report of exit codes.
//! - [`flow`]: output for a UI terminal: coalescing and acknowledgement watermarks.
//! - [`pagesocket`]: a terminal's output into the desktop app's page over a loopback
//!   WebSocket, each socket a one-time ticket from the page's own origin.
//! - [`profiles`]: saved cluster profiles, a versioned file in the config directory.
//! - [`favourites`]: saved quick-connects (profile, namespace, workload or pod, container,
//!   command), resolved to the newest Ready pod when connecting.
//! - [`manual`]: profiles added or edited by hand (server, CA, namespace, token).
//! - [`import`]: kubeconfig contexts into profiles, their secrets into the vault.
//! - [`vault`]: secrets of saved profiles in the OS keyring (or in memory for one run).
//! - [`settings`]: app settings (close to the tray), a small file beside the profiles.
//! - [`store`]: the versioned files in the config directory (atomic writes, a lock, the format
//!   version check, unknown fields kept), used by profiles, favourites and settings.
//! - [`shellenv`]: the login-shell environment, for credential plugins.
//! - [`tail`]: what a terminal tab behind a flood can still show (the rest of the flood is skipped).
//! - [`terminal`]: an interactive shell for a UI: pod and container choice, TTY exec, flow control.
//! - [`transfer`]: copying files to and from containers as `kubectl cp` does (its tar streams),
//!   with a pod's stream kept inside the destination.
//! - [`podfs`]: what a UI needs around transfers: a container's working directory, a
//!   directory's listing (for completion), a local file's sha256.
//! - [`launcher`]: the desktop entry's actions, one per favourite (quick-connect without a tray).
//! - [`recent`]: the last sessions opened (the tray's "Recent"), the live-session count's words.
//! - [`recording`]: session recordings in asciicast v2 (asciinema), written as the session runs.
//! - [`recordings`]: the app's recordings: a session's tap, file names, the folders listed by id.
//! - [`warnings`]: what the API server warns of (its `Warning` headers: Pod Security in warn
//!   mode, webhooks), handed to the task or the process that asked.
//! - [`text`]: outside text (servers, plugins, pods) escaped and cut before it is shown.

pub mod bodylimit;
pub mod browse;
pub mod cluster;
pub mod commandsecrets;
pub mod debug;
pub mod exec;
pub mod fanout;
pub mod favourites;
pub mod flow;
pub mod follow;
pub mod httplog;
pub mod import;
pub mod launcher;
pub mod logs;
pub mod logview;
pub mod madecopies;
pub mod manual;
pub mod nodedebug;
pub mod oidc;
pub mod oidclogin;
pub mod opentabs;
pub mod overrides;
pub mod pagesocket;
pub mod podcopy;
pub mod podfs;
pub mod podinfo;
pub mod pods;
pub mod portforward;
pub mod profiles;
pub mod protocol;
pub mod recent;
pub mod recording;
pub mod recordings;
mod resend;
pub mod savedforwards;
pub mod services;
pub mod settings;
pub mod shellenv;
pub mod stdin;
pub mod store;
pub mod tail;
pub mod terminal;
pub mod text;
pub mod transfer;
pub mod vault;
pub mod warnings;

/// The TypeScript forms the `ts` feature derives: the field names the app's UI reads.
#[cfg(all(test, feature = "ts"))]
mod ts_forms {
    use ts_rs::{Config, TS};

    #[test]
    fn ipc_types_have_their_json_names() {
        let cfg = Config::new();
        let pod = crate::browse::PodSummary::decl(&cfg);
        for field in [
            "name: string",
            "createdAt: string",
            "defaultContainer: string",
            "terminating: boolean",
            "owner: PodOwner | null",
        ] {
            assert!(pod.contains(field), "{field} in {pod}");
        }
        let change = crate::browse::PodChange::decl(&cfg);
        assert!(change.contains("type: ChangeKind"), "{change}");
        let kind = crate::browse::ChangeKind::decl(&cfg);
        assert!(
            kind.contains("\"Added\" | \"Modified\" | \"Deleted\""),
            "{kind}"
        );
        let manual = crate::manual::ManualProfile::decl(&cfg);
        for field in [
            "caPem: string | null",
            "token?: string | null",
            "insecure: boolean",
        ] {
            assert!(manual.contains(field), "{field} in {manual}");
        }
        let req = crate::terminal::TerminalRequest::decl(&cfg);
        for field in ["command: Array<string> | null", "cols: number"] {
            assert!(req.contains(field), "{field} in {req}");
        }
    }
}
