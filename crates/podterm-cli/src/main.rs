//! `podterm`: the command line over podterm-core. `podterm exec` arrives with the exec issue.

fn main() {
    eprintln!("podterm: no commands yet; `podterm exec` arrives with the exec engine.");
    std::process::exit(2);
}
