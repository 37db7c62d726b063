//! A local pseudo-terminal for the `-t -i` runs (podterm-test-support's `RawPty`): the client
//! gets the slave side as its stdin/stdout/stderr (and controlling terminal); the bench reads and
//! writes the master.

use crate::clients::RunEnv;
use crate::Ctx;
use podterm_test_support::pty::RawPty;

pub use podterm_test_support::pty::PtyChild;

pub struct Pty(RawPty);

impl Pty {
    /// An 80×24 terminal.
    pub fn open() -> Result<Self, String> {
        RawPty::open(80, 24).map(Pty).ctx("the bench's terminal")
    }

    /// Starts `argv` on the terminal with the clients' environment, in their scratch directory.
    /// Reading the master ends (EIO) once the client and its children have gone.
    pub fn spawn(&mut self, env: &RunEnv, argv: &[String]) -> Result<PtyChild, String> {
        let mut cmd = portable_pty::CommandBuilder::new(&argv[0]);
        cmd.args(&argv[1..]);
        for (k, v) in env.vars() {
            cmd.env(k, v);
        }
        cmd.cwd(&env.scratch);
        self.0.spawn(cmd).ctx(argv.join(" "))
    }

    pub fn reader(&self) -> Result<Box<dyn std::io::Read + Send>, String> {
        self.0.reader().ctx("the bench's terminal")
    }

    /// The writer. Dropping it types "\n" and EOF into the terminal, so keep it until the client
    /// has exited.
    pub fn writer(&self) -> Result<Box<dyn std::io::Write + Send>, String> {
        self.0.writer().ctx("the bench's terminal")
    }
}
