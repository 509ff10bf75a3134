//! [`ConfigError`]: why a configuration file was refused, naming the file, each field and a hint.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, EXIT_CONFIG};

/// One problem with one field: `target.max_batch_rows: must be > 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path of the field, e.g. `source.tables[1]` or `snapshot.tables."shop.orders".where`.
    pub field: String,
    /// What is wrong with its value.
    pub problem: String,
    /// What to write instead, if that is not obvious from `problem`.
    pub hint: Option<String>,
}

impl FieldProblem {
    /// A problem without a hint.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            problem: problem.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// A configuration that cannot be used. Always a definite error; the process exits with
/// [`EXIT_CONFIG`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid YAML, or a key is unknown, or a value has the wrong type.
    #[error("configuration file {}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line, column and a snippet.
        message: String,
    },
    /// The file parsed but some values are not acceptable.
    #[error("configuration file {}: {}", path.display(), ProblemList(problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, in file order where possible.
        problems: Vec<FieldProblem>,
    },
}

impl ConfigError {
    /// The process exit code for a configuration error.
    pub fn exit_code(&self) -> u8 {
        EXIT_CONFIG
    }

    /// The field problems, when the error is about values.
    pub fn problems(&self) -> &[FieldProblem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } | ConfigError::Parse { .. } => &[],
        }
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::definite(error.to_string()).with_hint(
            "fix the configuration file; `mysql2starrocks check --config FILE` validates it",
        )
    }
}

struct ProblemList<'a>(&'a [FieldProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems:", many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}
