//! A local pseudo-terminal for the `-t -i` runs: the client gets the slave side as its
//! stdin/stdout/stderr (and controlling terminal); the bench reads and writes the master.

use crate::clients::RunEnv;
use crate::Ctx;
use portable_pty::{CommandBuilder, MasterPty, PtySize};

pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    slave: Option<Box<dyn portable_pty::SlavePty + Send>>,
}

pub type PtyChild = Box<dyn portable_pty::Child + Send + Sync>;

impl Pty {
    /// An 80×24 terminal.
    pub fn open() -> Result<Self, String> {
        let pair = portable_pty::native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .ctx("opening a pseudo-terminal")?;
        Ok(Pty {
            master: pair.master,
            slave: Some(pair.slave),
        })
    }

    /// Starts `argv` on the terminal (a new session, the terminal as its controlling one), with
    /// the clients' environment. The bench's copy of the slave side is closed afterwards, so
    /// reading the master ends (EIO) once the client and its children have gone.
    pub fn spawn(&mut self, env: &RunEnv, argv: &[String]) -> Result<PtyChild, String> {
        let mut cmd = CommandBuilder::new(&argv[0]);
        cmd.args(&argv[1..]);
        for (k, v) in env.vars() {
            cmd.env(k, v);
        }
        cmd.cwd(&env.scratch);
        let slave = self
            .slave
            .take()
            .ctx("this terminal already has its process")?;
        slave
            .spawn_command(cmd)
            .ctx(format!("spawning {} on a PTY", argv.join(" ")))
    }

    pub fn reader(&self) -> Result<Box<dyn std::io::Read + Send>, String> {
        self.master
            .try_clone_reader()
            .ctx("a reader for the PTY master")
    }

    /// The writer. Dropping it types "\n" and EOF into the terminal, so keep it until the client
    /// has exited.
    pub fn writer(&self) -> Result<Box<dyn std::io::Write + Send>, String> {
        self.master.take_writer().ctx("a writer for the PTY master")
    }
}
