//! The record of every Stream Load attempt the emulator answered (or dropped), so tests can assert
//! on what clients sent, e.g. "the retry reused the label". Served as JSON at `/_emulator/loads`.

use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One Stream Load attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadAttempt {
    /// 1, 2, ... in the order the attempts finished.
    pub seq: u64,
    /// `fe` (answered by the FE without a redirect) or `be`.
    pub port: String,
    pub db: String,
    pub table: String,
    pub label: String,
    pub txn_id: i64,
    /// The answered `Status` (`Success`, `Fail`, `FAILED`, ...), or `connection reset` / `HTTP
    /// <code>` for faults that answer no JSON.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_job_status: Option<String>,
    pub message: String,
    pub total_rows: u64,
    pub loaded_rows: u64,
    pub filtered_rows: u64,
    pub unselected_rows: u64,
    /// The fault that hit this attempt, in its JSON form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// The shared attempt log. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct LoadLog {
    attempts: Arc<Mutex<Vec<LoadAttempt>>>,
}

impl LoadLog {
    /// Appends `attempt`, assigning its `seq`.
    pub(crate) fn push(&self, mut attempt: LoadAttempt) {
        let mut attempts = self.lock();
        attempt.seq = attempts.len() as u64 + 1;
        attempts.push(attempt);
    }

    /// Every attempt so far, oldest first.
    pub fn attempts(&self) -> Vec<LoadAttempt> {
        self.lock().clone()
    }

    /// Forgets every attempt.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoadAttempt>> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }
}
