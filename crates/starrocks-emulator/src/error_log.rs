//! Error logs of loads that filtered rows, served by the BE at
//! `GET /api/_load_error_log?file=<name>` (the `ErrorURL` of the load's answer).
//!
//! Each log is text, one line per filtered row: `Error: <reason>. Row: <row>`. At most
//! [`MAX_LINES`] lines are kept per load and at most [`MAX_LOGS`] logs (oldest dropped).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Lines kept per log.
pub const MAX_LINES: usize = 1000;
/// Logs kept.
pub const MAX_LOGS: usize = 1000;

#[derive(Debug, Default)]
struct Inner {
    logs: BTreeMap<String, String>,
    order: VecDeque<String>,
}

/// The shared store of error logs. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct ErrorLogs {
    inner: Arc<Mutex<Inner>>,
}

impl ErrorLogs {
    /// Stores `lines` under a new file name (`error_log_<hex>_<hex>`) and returns the name.
    pub(crate) fn store(&self, lines: &[String]) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("error_log_{}_{}", &id[..16], &id[16..]);
        let mut text = String::new();
        for line in lines.iter().take(MAX_LINES) {
            text.push_str(line);
            text.push('\n');
        }
        let mut inner = self.lock();
        inner.logs.insert(name.clone(), text);
        inner.order.push_back(name.clone());
        while inner.order.len() > MAX_LOGS {
            if let Some(old) = inner.order.pop_front() {
                inner.logs.remove(&old);
            }
        }
        name
    }

    /// The log stored under `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.lock().logs.get(name).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
