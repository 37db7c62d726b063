//! Podterm desktop app. The Tauri shell arrives with the desktop issue; until then this binary
//! tells the user where to go instead of pretending to be an app.

fn main() {
    eprintln!(
        "podterm-desktop: the desktop app is not built yet.\n\
         Try the Kubernetes stand-in instead: `cargo run -p testcluster -- serve --kubeconfig /tmp/tc.kubeconfig`"
    );
    std::process::exit(2);
}
