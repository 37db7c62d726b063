//! Podterm's engine. It never depends on Tauri: everything the app does can be done, and tested,
//! without a window.
//!
//! - [`cluster`]: a client from kubeconfig (several files merged, a context, a namespace).
//! - [`pods`]: finding the pod and container to run in, as kubectl does.
//! - [`protocol`]: the `v5.channel.k8s.io` / `v4.channel.k8s.io` wire format.
//! - [`exec`]: exec and attach sessions: the frame pump, read-ahead, liveness, outcomes.
//! - [`flow`]: output for a UI terminal: coalescing and acknowledgement watermarks.

pub mod cluster;
pub mod exec;
pub mod flow;
pub mod pods;
pub mod protocol;
