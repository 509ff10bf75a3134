//! Fault injection, switched at run time (through [`Faults`] or the FE admin endpoint
//! `/_emulator/faults`).
//!
//! A [`FaultRule`] is an action plus an optional target (`db`, `table`) and a count (`times`,
//! default 1; 0 = until cleared). Each Stream Load consumes at most one rule: the first rule, in
//! the order added, whose target matches and whose action applies at that port (`no_backend_alive`
//! on the FE, every other action on the BE).
//!
//! JSON form (the admin endpoint's body; `kind` selects the action):
//! `{"kind": "fail", "message": "timeout by txn manager", "status": "Fail", "db": "d",
//!   "table": "t", "times": 2}`.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// What a fault does to a Stream Load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// BE: after reading the body, answer `Status` (default `Fail`) with `message`; nothing is
    /// loaded and the label is ABORTED (reusable).
    Fail {
        #[serde(default = "default_fail_status")]
        status: String,
        message: String,
    },
    /// BE: load normally, then wait `ms` before answering (a lost response when the client's
    /// timeout is shorter; a retry with the same label then sees `Label Already Exists`).
    Delay { ms: u64 },
    /// BE: read at least `after_bytes` of the body (all of it if shorter), then close the
    /// connection without an answer. Nothing is loaded; the label is ABORTED.
    ResetMidBody {
        #[serde(default)]
        after_bytes: u64,
    },
    /// BE: load the data (committed), answer `Publish Timeout`; `get_load_state` says COMMITTED
    /// until `visible_after_ms` passes, then VISIBLE.
    PublishTimeout {
        #[serde(default)]
        visible_after_ms: u64,
    },
    /// BE: the load stays RUNNING (label state PREPARE) for `ms` before it is applied and
    /// answered with `Success`; a concurrent retry with the same label gets
    /// `Label Already Exists` + `ExistingJobStatus: RUNNING`.
    KeepRunning { ms: u64 },
    /// BE: fail with `Too many versions. tablet_id: ..., version_count: 1001, limit: 1000`.
    TooManyVersions,
    /// BE: fail at begin with `current running txns on db <id> is 1000, larger than limit 1000`.
    TooManyRunningTxns,
    /// FE: answer the Stream Load PUT with `FAILED` / `No backend alive.` instead of a redirect.
    NoBackendAlive,
    /// BE: fail before begin with `Service is shutting down, please retry later!`.
    ShuttingDown,
    /// BE: answer with HTTP status `code` and `body` (e.g. a 503 from a proxy), before begin.
    HttpStatus {
        code: u16,
        #[serde(default)]
        body: String,
    },
    /// BE: read the whole body and answer `Success` with its rows counted by their delimiter,
    /// but neither parse nor store them (the label is VISIBLE): a target that costs nothing, to
    /// measure a client alone. Not a StarRocks behaviour; benchmarks only.
    Discard,
}

fn default_fail_status() -> String {
    "Fail".to_string()
}

fn default_times() -> u32 {
    1
}

/// Where a Stream Load is when faults are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPort {
    Fe,
    Be,
}

impl FaultAction {
    fn port(&self) -> FaultPort {
        match self {
            FaultAction::NoBackendAlive => FaultPort::Fe,
            _ => FaultPort::Be,
        }
    }
}

/// A fault with its target and remaining count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(flatten)]
    pub action: FaultAction,
    /// Only loads into this database (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    /// Only loads into this table (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// How many loads it hits; 0 = every load until cleared.
    #[serde(default = "default_times")]
    pub times: u32,
}

impl FaultRule {
    /// A rule hitting the next load into any table.
    pub fn once(action: FaultAction) -> Self {
        Self {
            action,
            db: None,
            table: None,
            times: 1,
        }
    }

    /// Restricts the rule to `db`.`table`.
    pub fn on_table(mut self, db: &str, table: &str) -> Self {
        self.db = Some(db.to_string());
        self.table = Some(table.to_string());
        self
    }

    /// Sets how many loads the rule hits (0 = until cleared).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    fn matches(&self, port: FaultPort, db: &str, table: &str) -> bool {
        self.action.port() == port
            && self.db.as_deref().is_none_or(|d| d == db)
            && self.table.as_deref().is_none_or(|t| t == table)
    }
}

/// The shared, run-time switchable set of fault rules. Cloning shares the set.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    /// Adds a rule after the existing ones.
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The rules still armed, in order.
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// Takes (consumes one count of) the first rule matching a load into `db`.`table` at `port`.
    pub(crate) fn take(&self, port: FaultPort, db: &str, table: &str) -> Option<FaultAction> {
        let mut rules = self.lock();
        let index = rules.iter().position(|r| r.matches(port, db, table))?;
        let action = rules[index].action.clone();
        match rules[index].times {
            0 => {}
            1 => {
                rules.remove(index);
            }
            _ => rules[index].times -= 1,
        }
        Some(action)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        // Why: a panic while holding this lock cannot leave the Vec inconsistent.
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_and_consumption() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"kind":"fail","message":"timeout by txn manager","table":"t","db":"d","times":2}"#,
        )
        .unwrap();
        assert_eq!(
            rule.action,
            FaultAction::Fail {
                status: "Fail".into(),
                message: "timeout by txn manager".into()
            }
        );
        let faults = Faults::default();
        faults.add(rule);
        faults.add(FaultRule::once(FaultAction::NoBackendAlive));
        assert!(faults.take(FaultPort::Be, "d", "other").is_none());
        assert!(faults.take(FaultPort::Be, "d", "t").is_some());
        assert_eq!(faults.list()[0].times, 1);
        assert!(faults.take(FaultPort::Be, "d", "t").is_some());
        assert!(faults.take(FaultPort::Be, "d", "t").is_none());
        assert_eq!(
            faults.take(FaultPort::Fe, "x", "y"),
            Some(FaultAction::NoBackendAlive)
        );
        let text = serde_json::to_string(&FaultRule::once(FaultAction::Delay { ms: 5 })).unwrap();
        assert_eq!(text, r#"{"kind":"delay","ms":5,"times":1}"#);
    }
}
