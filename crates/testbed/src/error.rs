//! The single error type of the test bed.
//!
//! Every variant carries enough text to diagnose a failure from the test output alone (script
//! output, server error-log tail, what was being waited for), because tests fail with it rather
//! than skip.

use std::fmt;
use std::time::Duration;

/// Why a test-bed operation failed.
#[derive(Debug)]
pub enum TestbedError {
    /// `scripts/provision-sources.sh` is missing, failed, or could not be run.
    Provision(String),
    /// A `scripts/source-server.sh` command failed; `output` holds its stdout and stderr (for
    /// `start` this includes the tail of the server's error log).
    Script {
        /// What was attempted, e.g. `start mysql server on 127.0.0.1:40123`.
        what: String,
        /// The script's combined output.
        output: String,
    },
    /// A local I/O operation failed (temporary directory, free port, running a script).
    Io {
        /// What was attempted.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A MySQL client operation failed.
    Mysql {
        /// What was attempted.
        context: String,
        /// The underlying error.
        source: mysql_async::Error,
    },
    /// A condition polled with [`crate::wait_until`] / [`crate::wait_for`] did not hold in time.
    Timeout {
        /// The condition's description.
        what: String,
        /// How long it was polled.
        waited: Duration,
    },
    /// The caller passed something unusable (e.g. an invalid database name).
    Invalid(String),
}

impl TestbedError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn mysql(context: impl Into<String>, source: mysql_async::Error) -> Self {
        Self::Mysql {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for TestbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Provision(msg) => write!(f, "provisioning the source servers failed: {msg}"),
            Self::Script { what, output } => write!(f, "{what} failed:\n{output}"),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::Mysql { context, source } => write!(f, "{context}: {source}"),
            Self::Timeout { what, waited } => {
                write!(
                    f,
                    "timed out after {:.1} s waiting for {what}",
                    waited.as_secs_f64()
                )
            }
            Self::Invalid(msg) => write!(f, "invalid argument: {msg}"),
        }
    }
}

impl std::error::Error for TestbedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Mysql { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<mysql_async::Error> for TestbedError {
    fn from(source: mysql_async::Error) -> Self {
        Self::mysql("MySQL client error", source)
    }
}
