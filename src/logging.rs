//! Logging set-up: `tracing` events to stderr, human-readable text or JSON lines.
//!
//! The filter comes from `RUST_LOG` when set, else from `log.level`. Text output uses colours
//! only when stderr is a terminal. Secrets never reach the log: configuration values are
//! [`crate::config::Secret`]s whose `Debug`/`Display` print `***`, and no code logs row values.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};
use crate::error::{Error, Result};

/// Installs the global subscriber. Call once, before the Tokio runtime starts.
pub fn init(config: &LogConfig) -> Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .map_err(|error| {
                Error::definite(format!(
                    "RUST_LOG=\"{directives}\" is not a valid filter: {error}"
                ))
            })?,
        _ => EnvFilter::try_new(&config.level).map_err(|error| {
            Error::definite(format!(
                "log.level \"{}\" is not a valid filter: {error}",
                config.level
            ))
        })?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::progress::LogWriter);
    crate::progress::enable_if_terminal(config.format == LogFormat::Text);
    let installed = match config.format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    installed.map_err(|error| Error::definite(format!("cannot install the logger: {error}")))
}
