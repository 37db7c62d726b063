//! Helpers shared by the CLI's test crates (each uses what it needs).
#![allow(dead_code)]

pub mod pty;
