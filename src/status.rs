//! [`PipelineStatus`]: the live state of the pipeline that the admin endpoint reports.
//!
//! The pipeline writes it (phase, readiness, progress, position, lag, per-table counters); the
//! admin endpoint reads it for `/healthz`, `/readyz`, `/status`, and to refresh the gauges of
//! `/metrics` at scrape time (phase, lag, checkpoint age and position). Cheap to update: one
//! short mutex section per call, never held across an `.await`.
//!
//! Health rule: unhealthy when the pipeline reported itself stalled ([`PipelineStatus::set_stalled`]),
//! or when it is snapshotting or streaming and has made no progress (rows, heartbeats or
//! checkpoints: [`PipelineStatus::record_progress`]) for longer than `stall_after`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::checkpoint::PositionJson;
use crate::position::Position;
use crate::schema::TableId;

/// What the pipeline as a whole is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Loading the checkpoint, preflight checks, target verification.
    Starting,
    /// Copying tables (initial snapshot).
    Snapshot,
    /// Following the binlog.
    Streaming,
    /// Shutting down: flushing and committing the last checkpoint.
    Draining,
    /// Stopped.
    Stopped,
    /// Stopped on an error.
    Failed,
}

impl Phase {
    /// Every phase, in order (for the `pipeline_phase` gauge).
    pub const ALL: [Phase; 6] = [
        Phase::Starting,
        Phase::Snapshot,
        Phase::Streaming,
        Phase::Draining,
        Phase::Stopped,
        Phase::Failed,
    ];

    /// Lower-case name, as in `/status` and the metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Snapshot => "snapshot",
            Phase::Streaming => "streaming",
            Phase::Draining => "draining",
            Phase::Stopped => "stopped",
            Phase::Failed => "failed",
        }
    }
}

/// What one table is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TablePhase {
    /// Known, not yet copied or streamed.
    #[default]
    Pending,
    /// Being copied.
    Snapshot,
    /// Following the binlog.
    Streaming,
    /// Stopped on an error.
    Failed,
}

impl TablePhase {
    /// Every phase, for per-phase gauges.
    pub const ALL: [TablePhase; 4] = [
        TablePhase::Pending,
        TablePhase::Snapshot,
        TablePhase::Streaming,
        TablePhase::Failed,
    ];

    /// The phase as a label value.
    pub fn as_str(self) -> &'static str {
        match self {
            TablePhase::Pending => "pending",
            TablePhase::Snapshot => "snapshot",
            TablePhase::Streaming => "streaming",
            TablePhase::Failed => "failed",
        }
    }
}

/// Per-table counters and phase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStatus {
    /// Phase.
    pub phase: TablePhase,
    /// Target table (after routing).
    pub target: String,
    /// Row events read from the binlog.
    pub rows_read: u64,
    /// Rows the binlog path loaded into the target table (upserts and deletes; when several
    /// source tables share a target, each shows the target's count).
    pub rows_loaded: u64,
    /// Rows copied by the snapshot.
    pub rows_copied: u64,
    /// Estimated rows of the table (for snapshot progress), if known.
    pub rows_estimated: Option<u64>,
    /// Snapshot copy rate in this run (rows per second).
    #[serde(default)]
    pub rows_per_second: u64,
    /// Load attempts into the target table that failed: each attempt that was retried, and a
    /// load that failed for good (when several source tables share a target, each shows the
    /// target's count).
    pub load_failures: u64,
}

/// The live state, shared between the pipeline and the admin endpoint (`Arc<PipelineStatus>`).
#[derive(Debug)]
pub struct PipelineStatus {
    ready: AtomicBool,
    stall_after: Option<Duration>,
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    phase: Phase,
    last_progress: Instant,
    stalled: Option<String>,
    position: Option<Position>,
    checkpointed_at: Option<Instant>,
    lag: Option<Duration>,
    tables: BTreeMap<TableId, TableStatus>,
}

/// The `/status` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Pipeline phase.
    pub phase: Phase,
    /// Whether the pipeline copies or streams (both sides verified; `/readyz`).
    pub ready: bool,
    /// Whether `/healthz` answers 200.
    pub healthy: bool,
    /// Why not healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_reason: Option<String>,
    /// Seconds since the process started.
    pub uptime_seconds: f64,
    /// Seconds since the last progress.
    pub seconds_since_progress: f64,
    /// Last committed checkpoint position.
    pub position: Option<PositionJson>,
    /// The GTID state of `position` in the server's notation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtid: Option<String>,
    /// Seconds since the last checkpoint commit.
    pub checkpoint_age_seconds: Option<f64>,
    /// Replication lag in seconds (now minus the timestamp of the last event applied).
    pub lag_seconds: Option<f64>,
    /// Per source table (`db.table`).
    pub tables: BTreeMap<String, TableStatus>,
    /// Wall-clock time of this report, Unix seconds.
    pub generated_at_unix: f64,
}

impl PipelineStatus {
    /// A status in phase `Starting`, not ready. With `stall_after`, a snapshotting or streaming
    /// pipeline without progress for that long is reported unhealthy.
    pub fn new(stall_after: Option<Duration>) -> Self {
        let now = Instant::now();
        PipelineStatus {
            ready: AtomicBool::new(false),
            stall_after,
            started: now,
            inner: Mutex::new(Inner {
                phase: Phase::Starting,
                last_progress: now,
                stalled: None,
                position: None,
                checkpointed_at: None,
                lag: None,
                tables: BTreeMap::new(),
            }),
        }
    }

    /// Sets the pipeline phase (counts as progress).
    pub fn set_phase(&self, phase: Phase) {
        let mut inner = self.lock();
        inner.phase = phase;
        inner.last_progress = Instant::now();
    }

    /// The pipeline phase.
    pub fn phase(&self) -> Phase {
        self.lock().phase
    }

    /// Marks replication as running (or not). Also tells systemd `READY=1` the first time
    /// (a no-op outside systemd).
    pub fn set_ready(&self, ready: bool) {
        let was_ready = self.ready.swap(ready, Ordering::SeqCst);
        if ready && !was_ready {
            if let Err(error) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
                tracing::warn!(message = "Cannot notify systemd.", %error);
            }
        }
    }

    /// Whether replication is running.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Records progress: rows read or loaded, a heartbeat, a checkpoint.
    pub fn record_progress(&self) {
        self.lock().last_progress = Instant::now();
    }

    /// Reports the pipeline stalled (`Some(reason)`) or recovered (`None`).
    pub fn set_stalled(&self, reason: Option<String>) {
        self.lock().stalled = reason;
    }

    /// Records a committed checkpoint (counts as progress).
    pub fn set_checkpoint(&self, position: Position) {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.position = Some(position);
        inner.checkpointed_at = Some(now);
        inner.last_progress = now;
    }

    /// Sets the replication lag.
    pub fn set_lag(&self, lag: Duration) {
        self.lock().lag = Some(lag);
    }

    /// Updates one table's status (created as `Pending` on first use).
    pub fn update_table(&self, table: &TableId, update: impl FnOnce(&mut TableStatus)) {
        let mut inner = self.lock();
        // Called per rows event: clone the key only the first time.
        if !inner.tables.contains_key(table) {
            inner.tables.insert(table.clone(), TableStatus::default());
        }
        if let Some(status) = inner.tables.get_mut(table) {
            update(status);
        }
    }

    /// Adds `rows` loaded into `target` to every source table routed there.
    pub fn rows_loaded_into(&self, target: &TableId, rows: u64) {
        if rows > 0 {
            self.update_routed_to(target, |t| t.rows_loaded += rows);
        }
    }

    /// A load attempt into `target` failed (counted for every source table routed there).
    pub fn load_failed_into(&self, target: &TableId) {
        self.update_routed_to(target, |t| t.load_failures += 1);
    }

    /// Applies `f` to every source table whose target is `target`.
    fn update_routed_to(&self, target: &TableId, mut f: impl FnMut(&mut TableStatus)) {
        let target = target.to_string();
        let mut inner = self.lock();
        for status in inner.tables.values_mut().filter(|t| t.target == target) {
            f(status);
        }
    }

    /// `Ok` when healthy, else why not.
    pub fn health(&self) -> Result<(), String> {
        let inner = self.lock();
        if let Some(reason) = &inner.stalled {
            return Err(reason.clone());
        }
        if let Some(stall_after) = self.stall_after {
            let idle = inner.last_progress.elapsed();
            if matches!(inner.phase, Phase::Snapshot | Phase::Streaming) && idle > stall_after {
                return Err(format!(
                    "no progress for {:.0} s (limit {:.0} s) while {}",
                    idle.as_secs_f64(),
                    stall_after.as_secs_f64(),
                    inner.phase.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Seconds since the last checkpoint commit, if any.
    pub fn checkpoint_age(&self) -> Option<Duration> {
        self.lock().checkpointed_at.map(|at| at.elapsed())
    }

    /// The last committed position.
    pub fn position(&self) -> Option<Position> {
        self.lock().position.clone()
    }

    /// The replication lag, if known.
    pub fn lag(&self) -> Option<Duration> {
        self.lock().lag
    }

    /// The `/status` document.
    pub fn report(&self) -> StatusReport {
        let health = self.health();
        let inner = self.lock();
        let position = inner.position.as_ref().map(PositionJson::from_position);
        StatusReport {
            phase: inner.phase,
            ready: self.is_ready(),
            healthy: health.is_ok(),
            unhealthy_reason: health.err(),
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            seconds_since_progress: inner.last_progress.elapsed().as_secs_f64(),
            gtid: position.as_ref().and_then(PositionJson::gtid_text),
            position,
            checkpoint_age_seconds: inner.checkpointed_at.map(|at| at.elapsed().as_secs_f64()),
            lag_seconds: inner.lag.map(|lag| lag.as_secs_f64()),
            tables: inner
                .tables
                .iter()
                .map(|(id, table)| (id.to_string(), table.clone()))
                .collect(),
            generated_at_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Why: every update is a single field assignment, so a poisoned lock still guards a
        // consistent value; reporting must keep working.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_stall_reports_and_progress() {
        let status = PipelineStatus::new(Some(Duration::ZERO));
        assert!(status.health().is_ok(), "starting is never stalled by time");
        status.set_phase(Phase::Streaming);
        // Poll (with a deadline) until any time at all has elapsed past the zero limit.
        let deadline = Instant::now() + Duration::from_secs(5);
        let error = loop {
            match status.health() {
                Err(error) => break error,
                Ok(()) => assert!(Instant::now() < deadline, "never reported stalled"),
            }
        };
        assert!(error.contains("no progress"), "{error}");

        let status = PipelineStatus::new(None);
        status.set_phase(Phase::Streaming);
        assert!(status.health().is_ok());
        status.set_stalled(Some("loader stuck on shop.orders".into()));
        assert_eq!(status.health().unwrap_err(), "loader stuck on shop.orders");
        status.set_stalled(None);
        assert!(status.health().is_ok());
    }

    #[test]
    fn report_lists_tables_and_position() {
        let status = PipelineStatus::new(None);
        status.update_table(&TableId::new("shop", "orders"), |t| t.rows_loaded += 5);
        status.set_checkpoint(Position {
            file: "binlog.000001".into(),
            pos: 157,
            gtid: None,
        });
        status.set_ready(true);
        let report = status.report();
        assert!(report.ready);
        assert_eq!(report.tables["shop.orders"].rows_loaded, 5);
        assert_eq!(report.position.unwrap().pos, 157);
        let json = serde_json::to_string(&status.report()).unwrap();
        let back: StatusReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.tables["shop.orders"].rows_loaded, 5);
    }
}
