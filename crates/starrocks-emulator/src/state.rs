//! State shared by the emulator's HTTP ports: the catalog, the accepted credentials, fault rules,
//! the load attempt log and stored error logs.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::catalog::Catalog;
use crate::credentials::Credentials;
use crate::error_log::ErrorLogs;
use crate::faults::Faults;
use crate::load_log::LoadLog;

/// Everything a request handler needs. Cheap to clone (all fields are shared handles).
#[derive(Debug, Clone)]
pub(crate) struct EmulatorState {
    pub catalog: Arc<Mutex<Catalog>>,
    pub credentials: Credentials,
    pub faults: Faults,
    pub loads: LoadLog,
    pub error_logs: ErrorLogs,
    /// Host the FE redirects to and error URLs name (the BE's advertised host).
    pub be_host: String,
    /// The BE HTTP port.
    pub be_port: u16,
}

impl EmulatorState {
    /// Locks the catalog. Never hold the guard across an `.await`.
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        // Why: every catalog mutation is a single step under the lock, so a poisoned lock still
        // guards a consistent catalog.
        self.catalog.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://<be_host>:<be_port>`.
    pub fn be_base_url(&self) -> String {
        format!("http://{}:{}", self.be_host, self.be_port)
    }
}
