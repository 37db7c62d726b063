//! Clients under a pseudo-terminal. [`RawPty`] is the terminal itself (the bench reads and
//! writes its master side directly); [`Pty`] is the tests' harness on top: the client's output
//! collected by a thread, waits on what it shows, typing, resizing, its exit code.

use crate::Error;
use portable_pty::{CommandBuilder, MasterPty, PtySize, SlavePty};
use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the harness waits for output or an exit.
pub const WAIT: Duration = Duration::from_secs(20);

/// A child process on a pseudo-terminal.
pub type PtyChild = Box<dyn portable_pty::Child + Send + Sync>;

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// A pseudo-terminal: the client gets the slave side as its stdin, stdout and stderr (and
/// controlling terminal); the caller reads and writes the master.
pub struct RawPty {
    master: Box<dyn MasterPty + Send>,
    slave: Option<Box<dyn SlavePty + Send>>,
}

impl RawPty {
    /// A `cols`×`rows` terminal.
    pub fn open(cols: u16, rows: u16) -> Result<Self, Error> {
        let pair = portable_pty::native_pty_system()
            .openpty(size(cols, rows))
            .map_err(Error::pty("opening a pseudo-terminal"))?;
        Ok(RawPty {
            master: pair.master,
            slave: Some(pair.slave),
        })
    }

    /// Starts `cmd` on the terminal (a new session, the terminal as its controlling one). Our
    /// copy of the slave side is closed afterwards, so reading the master ends (EIO) once the
    /// client and its children have gone.
    pub fn spawn(&mut self, cmd: CommandBuilder) -> Result<PtyChild, Error> {
        let label = format!("spawning {:?} on a PTY", cmd.get_argv());
        let slave = self.slave.take().ok_or_else(|| Error::Pty {
            what: label.clone(),
            source: "this terminal already has its process".into(),
        })?;
        slave.spawn_command(cmd).map_err(Error::pty(label))
    }

    pub fn reader(&self) -> Result<Box<dyn std::io::Read + Send>, Error> {
        self.master
            .try_clone_reader()
            .map_err(Error::pty("a reader for the PTY master"))
    }

    /// The writer (once). Dropping it types "\n" and EOF into the terminal, so keep it until the
    /// client has exited.
    pub fn writer(&self) -> Result<Box<dyn std::io::Write + Send>, Error> {
        self.master
            .take_writer()
            .map_err(Error::pty("a writer for the PTY master"))
    }

    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), Error> {
        self.master
            .resize(size(cols, rows))
            .map_err(Error::pty("resizing the PTY"))
    }
}

/// A client on an 80x24 terminal, its output collected by a thread.
pub struct Pty {
    raw: RawPty,
    // Never dropped: portable-pty's writer types "\n^D" into the terminal when dropped.
    writer: std::mem::ManuallyDrop<Box<dyn std::io::Write + Send>>,
    pub child: PtyChild,
    seen: Arc<Mutex<Vec<u8>>>,
    /// Set once the terminal is closed (the client and its children have gone) and all its
    /// output is in `seen`.
    closed: Arc<AtomicBool>,
    label: String,
}

impl Pty {
    /// Runs `program args` on an 80x24 terminal; `env` sets (`Some`) or removes (`None`)
    /// variables of the test's own environment.
    pub fn spawn(program: &Path, args: &[&str], env: &[(String, Option<OsString>)]) -> Pty {
        let mut raw = RawPty::open(80, 24).expect("pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            }
        }
        let child = raw.spawn(cmd).expect("spawn");
        let mut reader = raw.reader().expect("reader");
        let writer = raw.writer().expect("writer");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let closed = Arc::new(AtomicBool::new(false));
        let closed2 = closed.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
                if n == 0 {
                    break;
                }
                seen2.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
            closed2.store(true, Ordering::SeqCst);
        });
        Pty {
            raw,
            writer: std::mem::ManuallyDrop::new(writer),
            child,
            seen,
            closed,
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

    /// Waits up to [`WAIT`] for `needle`, typing `retype` (if any) every `every` until it shows.
    pub fn wait_for(&mut self, needle: &str, retype: Option<&str>, every: Duration) {
        let start = Instant::now();
        while !self.text().contains(needle) {
            assert!(
                start.elapsed() < WAIT,
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

    /// Waits up to [`WAIT`] for `needle`.
    pub fn expect(&mut self, needle: &str) {
        self.wait_for(needle, None, Duration::from_millis(20));
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.raw.resize(cols, rows).expect("resize");
    }

    /// The exit code, waiting up to [`WAIT`].
    pub fn exit_code(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s.exit_code();
            }
            assert!(
                start.elapsed() < WAIT,
                "{} did not exit: {}",
                self.label,
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to [`WAIT`] after exit for the output to contain `needle` or to end; the text
    /// either way.
    pub fn drained_until(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let closed = self.closed.load(Ordering::SeqCst);
            let text = self.text();
            if closed || text.contains(needle) || start.elapsed() > WAIT {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// All the output, once the terminal has closed (the client and every process that held it
    /// have gone), waiting up to [`WAIT`].
    pub fn all_output(&self) -> String {
        let start = Instant::now();
        while !self.closed.load(Ordering::SeqCst) {
            assert!(
                start.elapsed() < WAIT,
                "{}: the terminal is still open: {}",
                self.label,
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.text()
    }
}
