//! Prometheus metrics of the daemon (`/metrics`), all prefixed `mysql2starrocks_`.
//!
//! [`Metrics`] is cheap to clone (an `Arc` inside) and is updated by the pipeline's tasks.
//! Labels come from bounded sets only: `table` is a configured source table (`db.table`; the routed target table for load-side metrics), `op`
//! and `outcome` are fixed words. Gauges that describe the pipeline as a whole (phase, lag,
//! checkpoint age and position) are refreshed from [`PipelineStatus`] when scraped
//! ([`Metrics::refresh_from_status`]), so the pipeline updates them in one place only.
//! `docs/METRICS.md` lists every metric; keep it in step with [`Metrics::new`].

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::schema::TableId;
use crate::status::{Phase, PipelineStatus, TablePhase};

/// Prefix of every metric name.
pub const METRIC_PREFIX: &str = "mysql2starrocks";

/// The `Content-Type` of [`Metrics::encode`]'s output (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Kind of a source row event (`source_events_total{op}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceOp {
    /// INSERT row.
    Insert,
    /// UPDATE row (before/after pair).
    Update,
    /// DELETE row.
    Delete,
    /// A row copied by the snapshot.
    Snapshot,
}

impl SourceOp {
    fn as_str(self) -> &'static str {
        match self {
            SourceOp::Insert => "insert",
            SourceOp::Update => "update",
            SourceOp::Delete => "delete",
            SourceOp::Snapshot => "snapshot",
        }
    }
}

/// Kind of a loaded row (`rows_loaded_total{op}`): `__op` 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOp {
    /// `__op = 0`.
    Upsert,
    /// `__op = 1`.
    Delete,
}

impl LoadOp {
    fn as_str(self) -> &'static str {
        match self {
            LoadOp::Upsert => "upsert",
            LoadOp::Delete => "delete",
        }
    }
}

/// How one Stream Load request ended (`loads_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcomeLabel {
    /// Committed (`Success`, `Publish Timeout`, label already FINISHED).
    Success,
    /// Failed; will be retried with the same label.
    Retry,
    /// Failed for good (definite error or retries exhausted).
    Failed,
    /// Rejected and written to `dirty_data_dir` (`strategy_on_error: batch_dirty_data`).
    Dirty,
}

impl LoadOutcomeLabel {
    fn as_str(self) -> &'static str {
        match self {
            LoadOutcomeLabel::Success => "success",
            LoadOutcomeLabel::Retry => "retry",
            LoadOutcomeLabel::Failed => "failed",
            LoadOutcomeLabel::Dirty => "dirty",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TablePhaseLabels {
    table: String,
    phase: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableOpLabels {
    table: String,
    op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableOutcomeLabels {
    table: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    phase: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileLabels {
    file: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The daemon's metrics. Clone freely: clones share the same values.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

struct Inner {
    registry: Registry,
    up: Gauge,
    source_events: Family<TableOpLabels, Counter>,
    rows_loaded: Family<TableOpLabels, Counter>,
    loads: Family<TableOutcomeLabels, Counter>,
    load_retries: Family<TableLabels, Counter>,
    load_duration: HistogramFamily<TableLabels>,
    batch_rows: Histogram,
    batch_bytes: Histogram,
    dirty_batches: Family<TableLabels, Counter>,
    ignored_columns: Family<TableLabels, Counter>,
    source_reconnects: Counter,
    replication_lag: FloatGauge,
    checkpoint_age: FloatGauge,
    checkpoint_position: Family<FileLabels, Gauge>,
    checkpoints: Counter,
    pipeline_phase: Family<PhaseLabels, Gauge>,
    snapshot_rows_copied: Family<TableLabels, Gauge>,
    snapshot_rows_estimated: Family<TableLabels, Gauge>,
    snapshot_rows_per_second: Family<TableLabels, Gauge>,
    table_phase: Family<TablePhaseLabels, Gauge>,
    retention_headroom: FloatGauge,
}

fn load_duration_histogram() -> Histogram {
    // 5 ms .. ~655 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 18))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Creates and registers every metric; `up` is 1.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(METRIC_PREFIX);
        let inner = Inner {
            up: Gauge::default(),
            source_events: Family::default(),
            rows_loaded: Family::default(),
            loads: Family::default(),
            load_retries: Family::default(),
            load_duration: Family::new_with_constructor(load_duration_histogram),
            // 1 .. ~1M rows.
            batch_rows: Histogram::new(exponential_buckets(1.0, 4.0, 11)),
            // 1 KiB .. 1 GiB.
            batch_bytes: Histogram::new(exponential_buckets(1024.0, 4.0, 11)),
            dirty_batches: Family::default(),
            ignored_columns: Family::default(),
            source_reconnects: Counter::default(),
            replication_lag: FloatGauge::default(),
            checkpoint_age: FloatGauge::default(),
            checkpoint_position: Family::default(),
            checkpoints: Counter::default(),
            pipeline_phase: Family::default(),
            snapshot_rows_copied: Family::default(),
            snapshot_rows_estimated: Family::default(),
            snapshot_rows_per_second: Family::default(),
            table_phase: Family::default(),
            retention_headroom: FloatGauge::default(),
            registry: Registry::default(),
        };
        registry.register("up", "1 while the process runs", inner.up.clone());
        registry.register(
            "source_events",
            "Row events read from the source, per source table and op (insert, update, delete, snapshot)",
            inner.source_events.clone(),
        );
        registry.register(
            "rows_loaded",
            "Rows loaded into StarRocks, per target table and op (upsert, delete)",
            inner.rows_loaded.clone(),
        );
        registry.register(
            "loads",
            "Stream Load requests, per target table and outcome (success, retry, failed, dirty)",
            inner.loads.clone(),
        );
        registry.register(
            "load_retries",
            "Stream Load retries (same label), per target table",
            inner.load_retries.clone(),
        );
        registry.register(
            "load_duration_seconds",
            "Duration of one Stream Load request, per target table",
            inner.load_duration.clone(),
        );
        registry.register(
            "batch_rows",
            "Rows per loaded batch",
            inner.batch_rows.clone(),
        );
        registry.register(
            "batch_bytes",
            "Encoded bytes per loaded batch",
            inner.batch_bytes.clone(),
        );
        registry.register(
            "dirty_batches",
            "Rejected batches written to dirty_data_dir, per target table",
            inner.dirty_batches.clone(),
        );
        registry.register(
            "ignored_columns",
            "Columns seen in the binlog but not replicated (added by an ignored DDL), per source table",
            inner.ignored_columns.clone(),
        );
        registry.register(
            "source_reconnects",
            "Reconnections of the binlog connection",
            inner.source_reconnects.clone(),
        );
        registry.register(
            "replication_lag_seconds",
            "Now minus the source timestamp of the last event applied",
            inner.replication_lag.clone(),
        );
        registry.register(
            "checkpoint_age_seconds",
            "Seconds since the last checkpoint commit",
            inner.checkpoint_age.clone(),
        );
        registry.register(
            "checkpoint_position",
            "Byte offset of the last committed checkpoint in its binlog file (label file)",
            inner.checkpoint_position.clone(),
        );
        registry.register(
            "checkpoints",
            "Checkpoint commits",
            inner.checkpoints.clone(),
        );
        registry.register(
            "pipeline_phase",
            "1 for the current pipeline phase, 0 for the others",
            inner.pipeline_phase.clone(),
        );
        registry.register(
            "snapshot_rows_copied",
            "Rows copied by the snapshot so far, per source table (kept across restarts)",
            inner.snapshot_rows_copied.clone(),
        );
        registry.register(
            "snapshot_rows_estimated",
            "The source's row estimate of each table being copied",
            inner.snapshot_rows_estimated.clone(),
        );
        registry.register(
            "snapshot_rows_per_second",
            "Snapshot copy rate of each table in this run",
            inner.snapshot_rows_per_second.clone(),
        );
        registry.register(
            "table_phase",
            "1 for the current phase of each source table (pending, snapshot, streaming, failed)",
            inner.table_phase.clone(),
        );
        registry.register(
            "binlog_retention_headroom_seconds",
            "During a snapshot: time left before the source may purge the binlog the pipeline resumes from, minus the estimated time to finish the copy (negative: at risk)",
            inner.retention_headroom.clone(),
        );
        inner.up.set(1);
        for phase in Phase::ALL {
            inner
                .pipeline_phase
                .get_or_create(&PhaseLabels {
                    phase: phase.as_str(),
                })
                .set(i64::from(phase == Phase::Starting));
        }
        Metrics {
            inner: Arc::new(Inner { registry, ..inner }),
        }
    }

    /// Counts `count` row events of `table` read from the source.
    pub fn source_events(&self, table: &TableId, op: SourceOp, count: u64) {
        self.inner
            .source_events
            .get_or_create(&TableOpLabels {
                table: table.to_string(),
                op: op.as_str(),
            })
            .inc_by(count);
    }

    /// Counts `count` rows of `table` loaded into StarRocks.
    pub fn rows_loaded(&self, table: &TableId, op: LoadOp, count: u64) {
        self.inner
            .rows_loaded
            .get_or_create(&TableOpLabels {
                table: table.to_string(),
                op: op.as_str(),
            })
            .inc_by(count);
    }

    /// Records one finished Stream Load request of `table`.
    pub fn load_finished(&self, table: &TableId, outcome: LoadOutcomeLabel, duration: Duration) {
        let table = table.to_string();
        self.inner
            .loads
            .get_or_create(&TableOutcomeLabels {
                table: table.clone(),
                outcome: outcome.as_str(),
            })
            .inc();
        self.inner
            .load_duration
            .get_or_create(&TableLabels { table })
            .observe(duration.as_secs_f64());
    }

    /// Counts a failed Stream Load request of `table` that is retried with the same label
    /// (`load_retries_total`, and `loads_total` with outcome `retry`).
    pub fn load_retry(&self, table: &TableId) {
        let table = table.to_string();
        self.inner
            .loads
            .get_or_create(&TableOutcomeLabels {
                table: table.clone(),
                outcome: LoadOutcomeLabel::Retry.as_str(),
            })
            .inc();
        self.inner
            .load_retries
            .get_or_create(&TableLabels { table })
            .inc();
    }

    /// Records the size of one batch handed to the loader.
    pub fn batch(&self, rows: u64, bytes: u64) {
        // Precision loss above 2^53 is irrelevant for histogram buckets.
        self.inner.batch_rows.observe(rows as f64);
        self.inner.batch_bytes.observe(bytes as f64);
    }

    /// Counts a rejected batch of `table` written to `dirty_data_dir`.
    pub fn dirty_batch(&self, table: &TableId) {
        self.inner
            .dirty_batches
            .get_or_create(&TableLabels {
                table: table.to_string(),
            })
            .inc();
    }

    /// Counts `count` columns of `table` not replicated after an ignored DDL.
    pub fn ignored_columns(&self, table: &TableId, count: u64) {
        self.inner
            .ignored_columns
            .get_or_create(&TableLabels {
                table: table.to_string(),
            })
            .inc_by(count);
    }

    /// Counts a reconnection of the binlog connection.
    pub fn source_reconnect(&self) {
        self.inner.source_reconnects.inc();
    }

    /// Counts a checkpoint commit.
    pub fn checkpoint_committed(&self) {
        self.inner.checkpoints.inc();
    }

    /// Sets the binlog retention headroom during a snapshot (see the metric's help).
    pub fn retention_headroom(&self, seconds: f64) {
        self.inner.retention_headroom.set(seconds);
    }

    /// Copies the whole-pipeline gauges from `status` (called at each scrape).
    pub fn refresh_from_status(&self, status: &PipelineStatus) {
        for (table, t) in status.report().tables {
            let labels = TableLabels {
                table: table.clone(),
            };
            let gauge = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            if t.rows_copied > 0 || t.phase == TablePhase::Snapshot {
                self.inner
                    .snapshot_rows_copied
                    .get_or_create(&labels)
                    .set(gauge(t.rows_copied));
                self.inner
                    .snapshot_rows_per_second
                    .get_or_create(&labels)
                    .set(gauge(t.rows_per_second));
            }
            if let Some(estimated) = t.rows_estimated {
                self.inner
                    .snapshot_rows_estimated
                    .get_or_create(&labels)
                    .set(gauge(estimated));
            }
            for phase in TablePhase::ALL {
                self.inner
                    .table_phase
                    .get_or_create(&TablePhaseLabels {
                        table: table.clone(),
                        phase: phase.as_str(),
                    })
                    .set(i64::from(phase == t.phase));
            }
        }
        let phase = status.phase();
        for candidate in Phase::ALL {
            self.inner
                .pipeline_phase
                .get_or_create(&PhaseLabels {
                    phase: candidate.as_str(),
                })
                .set(i64::from(candidate == phase));
        }
        if let Some(lag) = status.lag() {
            self.inner.replication_lag.set(lag.as_secs_f64());
        }
        if let Some(age) = status.checkpoint_age() {
            self.inner.checkpoint_age.set(age.as_secs_f64());
        }
        if let Some(position) = status.position() {
            let labels = FileLabels {
                file: position.file.clone(),
            };
            // Invariant: exactly one series, for the current file (old files are dropped).
            if self.inner.checkpoint_position.get(&labels).is_none() {
                self.inner.checkpoint_position.clear();
            }
            self.inner
                .checkpoint_position
                .get_or_create(&labels)
                .set(i64::try_from(position.pos).unwrap_or(i64::MAX));
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        if prometheus_client::encoding::prometheus_text::encode(&mut text, &self.inner.registry)
            .is_err()
        {
            text.clear();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::position::Position;

    #[test]
    fn encodes_names_labels_and_refreshed_gauges() {
        let metrics = Metrics::new();
        let orders = TableId::new("shop", "orders");
        metrics.source_events(&orders, SourceOp::Insert, 3);
        metrics.rows_loaded(&orders, LoadOp::Delete, 2);
        metrics.load_finished(
            &orders,
            LoadOutcomeLabel::Success,
            Duration::from_millis(30),
        );
        let status = PipelineStatus::new(None);
        status.set_phase(Phase::Streaming);
        status.set_lag(Duration::from_millis(1500));
        status.set_checkpoint(Position {
            file: "binlog.000002".into(),
            pos: 99,
            gtid: None,
        });
        metrics.refresh_from_status(&status);
        status.set_checkpoint(Position {
            file: "binlog.000003".into(),
            pos: 4,
            gtid: None,
        });
        metrics.refresh_from_status(&status);

        let text = metrics.encode();
        for expected in [
            "mysql2starrocks_up 1",
            "mysql2starrocks_source_events_total{table=\"shop.orders\",op=\"insert\"} 3",
            "mysql2starrocks_rows_loaded_total{table=\"shop.orders\",op=\"delete\"} 2",
            "mysql2starrocks_loads_total{table=\"shop.orders\",outcome=\"success\"} 1",
            "mysql2starrocks_load_duration_seconds_count{table=\"shop.orders\"} 1",
            "mysql2starrocks_replication_lag_seconds 1.5",
            "mysql2starrocks_pipeline_phase{phase=\"streaming\"} 1",
            "mysql2starrocks_pipeline_phase{phase=\"starting\"} 0",
            "mysql2starrocks_checkpoint_position{file=\"binlog.000003\"} 4",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        assert!(
            !text.contains("binlog.000002"),
            "old file series must be dropped:\n{text}"
        );
    }
}
