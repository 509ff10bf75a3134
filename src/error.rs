//! Error classes and process exit codes.
//!
//! Every error the daemon reports is either *transient* (network, timeouts, 5xx, lock waits: retry
//! with back-off, then restart the pipeline from the checkpoint) or *definite* (bad configuration,
//! server settings, purged position, incompatible schema, non-PK target, rejected data under
//! `strategy_on_error: exit`). Definite errors stop the process with a distinct exit code so that a
//! supervisor (systemd `RestartPreventExitStatus=`) does not crash-loop.

use std::fmt;

/// Exit code for a configuration error (file unreadable, invalid value): `EX_CONFIG`.
pub const EXIT_CONFIG: u8 = 78;
/// Exit code for a definite error found while running (server settings, purged position,
/// incompatible schema or target, rejected data).
pub const EXIT_DEFINITE: u8 = 2;
/// Exit code for a transient error that outlived its retries.
pub const EXIT_TRANSIENT: u8 = 1;

/// How an error must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Retry with back-off; the same operation may succeed later.
    Transient,
    /// Retrying cannot help: stop and tell the operator what to change.
    Definite,
}

impl ErrorClass {
    /// The process exit code for an error of this class that ends the process.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorClass::Transient => EXIT_TRANSIENT,
            ErrorClass::Definite => EXIT_DEFINITE,
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Definite => "definite",
        })
    }
}

/// An operator-facing error: what happened, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Transient or definite.
    pub class: ErrorClass,
    /// What went wrong, naming the table, column, position or statement concerned.
    pub message: String,
    /// What the operator can do, if anything.
    pub hint: Option<String>,
}

impl Error {
    /// A transient error.
    pub fn transient(message: impl Into<String>) -> Self {
        Error {
            class: ErrorClass::Transient,
            message: message.into(),
            hint: None,
        }
    }

    /// A definite error.
    pub fn definite(message: impl Into<String>) -> Self {
        Error {
            class: ErrorClass::Definite,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint for the operator.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prefixes the message with context (e.g. the table or position).
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        self.class == ErrorClass::Transient
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Result with the daemon's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
