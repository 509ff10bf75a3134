//! Placeholder until the replication pipeline lands: the two entry points the CLI calls.
//!
//! The lead engineer replaces this file; the signatures are the contract with `main.rs`.

use std::fmt;

use tokio::sync::watch;

use crate::config::Config;
use crate::error::{Error, Result};

/// What `check` found: printed by the CLI (`Display`).
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// One line per finding.
    pub lines: Vec<String>,
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

// Why the allows: placeholders with the final async signatures; the real ones await.
/// Runs the pipeline until `shutdown` turns `true` (SIGTERM/SIGINT), then drains and returns.
#[allow(clippy::unused_async)]
pub async fn run(config: Config, shutdown: watch::Receiver<bool>) -> Result<()> {
    let _ = (config, shutdown);
    Err(Error::definite("not wired yet"))
}

/// Connects to both sides, runs the preflight checks and the target verification.
#[allow(clippy::unused_async)]
pub async fn check(config: &Config) -> Result<CheckReport> {
    let _ = config;
    Err(Error::definite("not wired yet"))
}
