//! A client under a pseudo-terminal (80x24), its output collected by a thread.

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    master: Box<dyn portable_pty::MasterPty + Send>,
    // Never dropped: portable-pty's writer types "\n^D" into the terminal when dropped.
    writer: std::mem::ManuallyDrop<Box<dyn std::io::Write + Send>>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    seen: Arc<Mutex<Vec<u8>>>,
    label: String,
}

impl Pty {
    /// Runs `program args` on an 80x24 terminal; `env` sets (`Some`) or removes (`None`)
    /// variables of the test's own environment.
    pub fn spawn(program: &Path, args: &[&str], env: &[(String, Option<OsString>)]) -> Pty {
        use portable_pty::{CommandBuilder, PtySize};
        let pair = portable_pty::native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            }
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
                if n == 0 {
                    break;
                }
                seen2.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master: pair.master,
            writer: std::mem::ManuallyDrop::new(writer),
            child,
            seen,
            label: format!("{} {}", program.display(), args.join(" ")),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().expect("lock")).into_owned()
    }

    pub fn type_str(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).expect("type");
        self.writer.flush().expect("flush");
    }

    /// Waits up to 15 s for `needle`, typing `retype` (if any) every `every` until it shows.
    pub fn wait_for(&mut self, needle: &str, retype: Option<&str>, every: Duration) {
        let start = Instant::now();
        while !self.text().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{}: no {needle:?} in {}",
                self.label,
                self.text()
            );
            if let Some(t) = retype {
                self.type_str(t);
            }
            std::thread::sleep(every);
        }
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(portable_pty::PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
    }

    /// The exit code, waiting up to 15 s.
    pub fn exit_code(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s.exit_code();
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{} did not exit: {}",
                self.label,
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to 15 s after exit for the output to contain `needle`; the text either way.
    pub fn drained_until(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if text.contains(needle) || start.elapsed() > Duration::from_secs(15) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
