//! The initial snapshot: copies tables in primary-key order, in parallel, resumably, through the
//! same mapper, encoder and loader as the binlog path (ARCHITECTURE §4).
//!
//! ```text
//! planner (one connection) ─ splits ─> work queue ─> N chunk readers (own connections)
//!                                                      read chunk k+1 while chunk k loads
//!        coordinator <── chunk loaded (split, last key, rows) ──┘
//!          └─ saves each table's progress (RocksDB), updates /status and /metrics
//! ```
//!
//! Invariants:
//! - Lock-free: the caller records the binlog position before anything is read; every change
//!   after it is replayed from the binlog afterwards, which converges on primary-key tables
//!   whatever a chunk saw (ARCHITECTURE §3).
//! - A split's progress (the key of its last loaded row) is saved only after the loads holding
//!   that row succeeded: a restart, also after kill -9, resumes each split after its last saved
//!   key, never from zero, and finished tables are not read again. A chunk loaded but not yet
//!   saved is loaded again on restart (harmless: same rows, upserts).
//! - Memory is bounded by `parallelism × 2 × chunk_rows` rows (each reader holds the chunk being
//!   loaded and the one being read).
//! - Shutdown stops the readers at once; nothing half-saved can exist (see above).
//! - Chunks are read through the binary protocol (each chunk query is a prepared statement), so
//!   cells arrive as values; a chunk's last key is printed back to the server's text form
//!   ([`chunk_query::key_literal`] turns it into the next chunk's condition and the saved key
//!   keeps that text form across restarts).

pub mod chunk_query;
pub mod split_plan;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value as MyValue};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::change::RowChange;
use crate::checkpoint::{CheckpointStore, SnapshotState, SplitProgress};
use crate::config::SnapshotTableOptions;
use crate::error::{Error, Result};
use crate::mapper::{Projection, TableMapping};
use crate::metrics::{Metrics, SourceOp};
use crate::schema::{ColumnSchema, TableSchema};
use crate::sink::batcher::LoadJob;
use crate::sink::loader::{self, LoadContext};
use crate::source::connect::{self, classify};
use crate::source::decode::decode_result_row;
use crate::source::SourceSettings;
use crate::status::{PipelineStatus, TablePhase};
use crate::target::TargetTable;
use chunk_query::{hex, unhex, ChunkQuery, SplitRange};

/// How often the coordinator logs progress and checks the binlog retention.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// One table to copy.
#[derive(Debug, Clone)]
pub struct SnapshotTable {
    /// What is read: the source schema, restricted to `snapshot.tables."db.t".columns`.
    pub schema: Arc<TableSchema>,
    /// The verified target table.
    pub target: Arc<TargetTable>,
    /// The target column names the mapping may use (the same as the binlog path's).
    pub target_columns: Vec<String>,
    /// `snapshot.tables."db.t"`.
    pub options: SnapshotTableOptions,
}

/// What the snapshot needs from the pipeline.
pub(crate) struct SnapshotContext<'a> {
    pub settings: &'a SourceSettings,
    pub chunk_rows: usize,
    pub parallelism: usize,
    pub max_batch_rows: usize,
    pub max_batch_bytes: usize,
    pub store: &'a CheckpointStore,
    pub status: &'a PipelineStatus,
    pub metrics: &'a Metrics,
    pub load: LoadContext,
    /// When the snapshot's start position was recorded (for the retention guard).
    pub started_at: std::time::SystemTime,
}

/// How a snapshot run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Every table is copied.
    Finished,
    /// Shutdown was requested; progress is saved.
    Stopped,
}

/// One split to copy.
#[derive(Debug, Clone)]
struct WorkItem {
    table: usize,
    split: usize,
    from: Option<String>,
    to: Option<String>,
    after: Option<Vec<Vec<u8>>>,
}

/// A chunk's rows loaded (or a split finished).
#[derive(Debug)]
struct ChunkLoaded {
    table: usize,
    split: usize,
    after: Option<Vec<Vec<u8>>>,
    rows: u64,
    split_done: bool,
}

/// A table's progress, kept by the coordinator.
struct TableProgress {
    splits: Vec<SplitProgress>,
    rows_copied: u64,
    rows_estimated: Option<u64>,
    copied_this_run: u64,
    started: Instant,
}

impl TableProgress {
    /// Whether every split is copied.
    fn is_done(&self) -> bool {
        self.splits.iter().all(|s| s.done)
    }
}

/// What every chunk reader shares.
struct ReaderShared {
    settings: SourceSettings,
    tables: Vec<SnapshotTable>,
    split_columns: Vec<Option<ColumnSchema>>,
    chunk_rows: usize,
    max_batch_rows: usize,
    max_batch_bytes: usize,
    load: LoadContext,
    next_job: AtomicU64,
    queue: Mutex<VecDeque<WorkItem>>,
}

/// Copies `tables` (those whose snapshot is not `Done`), resuming saved progress.
pub(crate) async fn copy_tables(
    context: SnapshotContext<'_>,
    tables: Vec<SnapshotTable>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<SnapshotOutcome> {
    let mut planner = connect::open(context.settings).await?;
    // Both indexed like `tables`; `None` progress: nothing to copy.
    let mut progress_by_table: Vec<Option<TableProgress>> = Vec::with_capacity(tables.len());
    let mut split_columns: Vec<Option<ColumnSchema>> = Vec::with_capacity(tables.len());
    let mut queue = VecDeque::new();
    for (index, table) in tables.iter().enumerate() {
        let id = &table.schema.id;
        let split_column = split_plan::split_column(
            &table.schema.columns,
            &table.schema.key,
            table.options.split_pk.as_deref(),
        )
        .cloned();
        if let (Some(wanted), None) = (&table.options.split_pk, &split_column) {
            return Err(Error::definite(format!(
                "snapshot.tables.\"{id}\".split_pk: {wanted} is not an integer column of {id}"
            ))
            .with_hint("name an integer column, or remove split_pk to page by the primary key"));
        }
        split_columns.push(split_column.clone());
        let estimated = split_plan::estimate_rows(&mut planner, id).await?;
        let (splits, rows_copied) = match context.store.snapshot_state(id)? {
            SnapshotState::Done { .. } => {
                progress_by_table.push(None);
                continue;
            }
            SnapshotState::Copying {
                splits,
                rows_copied,
            } => {
                info!(table = %id, rows_copied, splits = splits.len(), "Resuming the snapshot of the table after its last loaded chunk.");
                (splits, rows_copied)
            }
            SnapshotState::Pending => {
                let splits = split_plan::plan(
                    &mut planner,
                    id,
                    split_column.as_ref(),
                    table.options.where_clause.as_deref(),
                    estimated,
                    context.chunk_rows,
                    context.parallelism,
                )
                .await?;
                context.store.set_snapshot_state(
                    id,
                    &SnapshotState::Copying {
                        splits: splits.clone(),
                        rows_copied: 0,
                    },
                )?;
                info!(table = %id, rows_estimated = estimated, splits = splits.len(), "Copying the table.");
                (splits, 0)
            }
        };
        for (split_index, split) in splits.iter().enumerate() {
            if split.done {
                continue;
            }
            let after = match &split.after_key {
                None => None,
                Some(values) => Some(
                    values
                        .iter()
                        .map(|v| unhex(v))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            Error::definite(format!(
                                "the saved snapshot progress of {id} is corrupt"
                            ))
                            .with_hint(format!(
                                "run `mysql2starrocks reset --table {id}` to copy it again"
                            ))
                        })?,
                ),
            };
            queue.push_back(WorkItem {
                table: index,
                split: split_index,
                from: split.from.clone(),
                to: split.to.clone(),
                after,
            });
        }
        context.status.update_table(id, |t| {
            t.phase = TablePhase::Snapshot;
            t.target = table.target.id.to_string();
            t.rows_copied = rows_copied;
            t.rows_estimated = estimated;
        });
        progress_by_table.push(Some(TableProgress {
            splits,
            rows_copied,
            rows_estimated: estimated,
            copied_this_run: 0,
            started: Instant::now(),
        }));
    }
    let _ = planner.disconnect().await;
    let retention = binlog_retention(context.settings).await;
    match retention {
        Some(retention) => {
            let age = context.started_at.elapsed().unwrap_or_default();
            info!(
                retention_secs = retention.as_secs(),
                snapshot_age_secs = age.as_secs(),
                "The source keeps binlogs for a limited time: the copy must end (and the stream catch up) before the recorded position is purged; progress reports warn when it may not."
            );
            context
                .metrics
                .retention_headroom(retention.saturating_sub(age).as_secs_f64());
        }
        None => info!("The source does not expire binlogs: no retention limit on the snapshot."),
    }

    // Tables with nothing left (every split done before a crash) are finished now.
    for (index, table_progress) in progress_by_table.iter().enumerate() {
        if let Some(p) = table_progress {
            if p.is_done() {
                finish_table(&context, &tables[index], p)?;
            }
        }
    }
    if queue.is_empty() {
        return Ok(SnapshotOutcome::Finished);
    }

    let readers = context.parallelism.min(queue.len()).max(1);
    let shared = Arc::new(ReaderShared {
        settings: context.settings.clone(),
        tables,
        split_columns,
        chunk_rows: context.chunk_rows,
        max_batch_rows: context.max_batch_rows,
        max_batch_bytes: context.max_batch_bytes,
        load: context.load.clone(),
        next_job: AtomicU64::new(0),
        queue: Mutex::new(queue),
    });
    let (events_tx, mut events) = mpsc::unbounded_channel::<Result<ChunkLoaded>>();
    let mut handles = Vec::with_capacity(readers);
    for _ in 0..readers {
        let shared = Arc::clone(&shared);
        let events = events_tx.clone();
        handles.push(tokio::spawn(async move {
            if let Err(error) = run_reader(&shared, &events).await {
                let _ = events.send(Err(error));
            }
        }));
    }
    drop(events_tx);
    let _abort = AbortAll(handles);
    let mut bars = crate::progress::SnapshotBars::new();
    if let Some(bars) = bars.as_mut() {
        for (index, p) in progress_by_table.iter().enumerate() {
            if let Some(p) = p {
                bars.update(
                    &shared.tables[index].schema.id,
                    p.rows_copied,
                    p.rows_estimated,
                );
            }
        }
    }

    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    ticker.tick().await;
    loop {
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|stop| *stop) => {
                info!("Shutting down during the snapshot; its progress is saved.");
                return Ok(SnapshotOutcome::Stopped);
            }
            event = events.recv() => {
                let Some(event) = event else { break };
                let event = event?;
                let table = &shared.tables[event.table];
                let Some(p) = progress_by_table[event.table].as_mut() else {
                    return Err(Error::definite(format!("internal: no progress for {}", table.schema.id)));
                };
                record_chunk(&context, table, p, event)?;
                if let Some(bars) = bars.as_mut() {
                    let id = &table.schema.id;
                    if p.is_done() {
                        bars.finish(id, p.rows_copied);
                    } else {
                        bars.update(id, p.rows_copied, p.rows_estimated);
                    }
                }
            }
            _ = ticker.tick() => {
                report_progress(&context, &shared.tables, &progress_by_table, retention);
            }
        }
    }
    let unfinished: Vec<String> = progress_by_table
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = p.as_ref()?;
            (!p.is_done()).then(|| shared.tables[i].schema.id.to_string())
        })
        .collect();
    if !unfinished.is_empty() {
        return Err(Error::transient(format!(
            "the snapshot readers stopped before copying {}",
            unfinished.join(", ")
        )));
    }
    Ok(SnapshotOutcome::Finished)
}

/// Saves one loaded chunk's progress and updates status and metrics.
fn record_chunk(
    context: &SnapshotContext<'_>,
    table: &SnapshotTable,
    progress: &mut TableProgress,
    event: ChunkLoaded,
) -> Result<()> {
    let id = &table.schema.id;
    let Some(split) = progress.splits.get_mut(event.split) else {
        return Err(Error::definite(format!(
            "internal: split {} of {id} unknown",
            event.split
        )));
    };
    if let Some(after) = &event.after {
        split.after_key = Some(after.iter().map(|v| hex(v)).collect());
    }
    split.rows_copied += event.rows;
    split.done = event.split_done;
    progress.rows_copied += event.rows;
    progress.copied_this_run += event.rows;
    context
        .metrics
        .source_events(id, SourceOp::Snapshot, event.rows);
    context.status.record_progress();
    if progress.is_done() {
        return finish_table(context, table, progress);
    }
    context.store.set_snapshot_state(
        id,
        &SnapshotState::Copying {
            splits: progress.splits.clone(),
            rows_copied: progress.rows_copied,
        },
    )?;
    let rate = rate(progress);
    context.status.update_table(id, |t| {
        t.rows_copied = progress.rows_copied;
        t.rows_per_second = rate;
    });
    Ok(())
}

fn finish_table(
    context: &SnapshotContext<'_>,
    table: &SnapshotTable,
    progress: &TableProgress,
) -> Result<()> {
    let id = &table.schema.id;
    context.store.set_snapshot_state(
        id,
        &SnapshotState::Done {
            rows_copied: progress.rows_copied,
        },
    )?;
    let rate = rate(progress);
    context.status.update_table(id, |t| {
        t.phase = TablePhase::Pending;
        t.rows_copied = progress.rows_copied;
        t.rows_per_second = rate;
    });
    info!(table = %id, rows_copied = progress.rows_copied, rows_per_second = rate, "Table copied.");
    Ok(())
}

/// Rows per second copied by this run.
fn rate(progress: &TableProgress) -> u64 {
    let seconds = progress.started.elapsed().as_secs_f64();
    if seconds <= 0.0 {
        return 0;
    }
    (progress.copied_this_run as f64 / seconds) as u64
}

/// Logs each table's progress, and warns when the binlog the pipeline needs may be purged
/// before the copy ends.
fn report_progress(
    context: &SnapshotContext<'_>,
    tables: &[SnapshotTable],
    progress: &[Option<TableProgress>],
    retention: Option<Duration>,
) {
    let mut remaining_rows = 0u64;
    let mut rate_total = 0u64;
    for (table, p) in tables.iter().zip(progress) {
        let Some(p) = p else { continue };
        if p.is_done() {
            continue;
        }
        let rate = rate(p);
        rate_total += rate;
        remaining_rows += p.rows_estimated.unwrap_or(0).saturating_sub(p.rows_copied);
        info!(table = %table.schema.id, rows_copied = p.rows_copied, rows_estimated = p.rows_estimated, rows_per_second = rate, "Snapshot progress.");
    }
    let Some(retention) = retention else { return };
    let eta = Duration::from_secs(remaining_rows.checked_div(rate_total).unwrap_or(0));
    let age = context.started_at.elapsed().unwrap_or_default();
    let left = retention.saturating_sub(age);
    let headroom = left.as_secs_f64() - eta.as_secs_f64();
    context.metrics.retention_headroom(headroom);
    if headroom < retention.as_secs_f64() * 0.2 {
        warn!(
            retention_secs = retention.as_secs(),
            estimated_remaining_secs = eta.as_secs(),
            time_left_secs = left.as_secs(),
            "The binlog this pipeline resumes from may be purged before the snapshot ends; raise binlog_expire_logs_seconds on the source."
        );
    }
}

/// The source's binlog retention (`binlog_expire_logs_seconds`, else `expire_logs_days`), if
/// binlogs expire at all.
async fn binlog_retention(settings: &SourceSettings) -> Option<Duration> {
    let mut conn = connect::open(settings).await.ok()?;
    let seconds: Option<u64> = conn
        .query_first("SELECT @@GLOBAL.binlog_expire_logs_seconds")
        .await
        .ok()
        .flatten();
    let seconds = match seconds {
        Some(s) if s > 0 => s,
        _ => {
            let days: Option<f64> = conn
                .query_first("SELECT @@GLOBAL.expire_logs_days")
                .await
                .ok()
                .flatten();
            (days.unwrap_or(0.0) * 86_400.0) as u64
        }
    };
    let _ = conn.disconnect().await;
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// A chunk reader: takes splits from the queue until it is empty.
async fn run_reader(
    shared: &ReaderShared,
    events: &mpsc::UnboundedSender<Result<ChunkLoaded>>,
) -> Result<()> {
    let mut conn = connect::open(&shared.settings).await?;
    loop {
        let item = match shared.queue.lock() {
            Ok(mut queue) => queue.pop_front(),
            Err(_) => return Err(Error::definite("internal: snapshot queue poisoned")),
        };
        let Some(item) = item else { break };
        copy_split(&mut conn, shared, item, events).await?;
    }
    let _ = conn.disconnect().await;
    Ok(())
}

/// Copies one split chunk by chunk, reading the next chunk while the current one loads.
async fn copy_split(
    conn: &mut Conn,
    shared: &ReaderShared,
    item: WorkItem,
    events: &mpsc::UnboundedSender<Result<ChunkLoaded>>,
) -> Result<()> {
    let table = &shared.tables[item.table];
    let mut mapping = TableMapping::new(table.target.id.clone(), table.target_columns.clone());
    let (projection, _) = mapping.projection(&table.schema)?;
    let send = |after: Option<Vec<Vec<u8>>>, rows: u64, split_done: bool| {
        events
            .send(Ok(ChunkLoaded {
                table: item.table,
                split: item.split,
                after,
                rows,
                split_done,
            }))
            .map_err(|_| Error::transient("the snapshot coordinator stopped"))
    };
    let mut chunk = read_chunk(conn, shared, &item, item.after.as_deref()).await?;
    loop {
        let Some(last_key) = chunk.last_key.clone() else {
            return send(None, 0, true);
        };
        let rows = chunk.rows.len() as u64;
        let is_last = chunk.rows.len() < shared.chunk_rows;
        let load = load_rows(shared, table, &mapping, &projection, chunk.rows);
        if is_last {
            load.await?;
            return send(Some(last_key), rows, true);
        }
        let (loaded, next) = tokio::join!(load, read_chunk(conn, shared, &item, Some(&last_key)));
        loaded?;
        send(Some(last_key), rows, false)?;
        chunk = next?;
    }
}

/// Rows of one chunk and the raw key of its last row.
struct Chunk {
    rows: Vec<crate::change::Row>,
    last_key: Option<Vec<Vec<u8>>>,
}

async fn read_chunk(
    conn: &mut Conn,
    shared: &ReaderShared,
    item: &WorkItem,
    after: Option<&[Vec<u8>]>,
) -> Result<Chunk> {
    let table = &shared.tables[item.table];
    let schema = &table.schema;
    let range = shared.split_columns[item.table]
        .as_ref()
        .filter(|_| item.from.is_some() || item.to.is_some())
        .map(|column| SplitRange {
            column,
            from: item.from.as_deref(),
            to: item.to.as_deref(),
        });
    let query = ChunkQuery {
        table: &schema.id,
        columns: &schema.columns,
        key: &schema.key,
        filter: table.options.where_clause.as_deref(),
        range,
        after,
        limit: shared.chunk_rows,
    };
    let sql = query
        .sql()
        .map_err(|reason| Error::definite(format!("snapshot of {}: {reason}", schema.id)))?;
    // The binary protocol (a prepared statement): numbers, dates and times arrive as values,
    // not as text to allocate and parse per cell.
    let rows: Vec<mysql_async::Row> = conn
        .exec(&sql, ())
        .await
        .map_err(|e| classify(e).context(format!("reading a snapshot chunk of {}", schema.id)))?;
    let last_key = match rows.last() {
        None => None,
        Some(last) => Some(
            schema
                .key
                .iter()
                .map(|&i| {
                    last.as_ref(i).and_then(key_text).ok_or_else(|| {
                        Error::definite(format!(
                            "snapshot of {}: key column {} is NULL or of an unexpected type",
                            schema.id, schema.columns[i].name
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    let rows = rows
        .into_iter()
        .map(|row| decode_result_row(row, schema))
        .collect::<Result<Vec<_>>>()?;
    Ok(Chunk { rows, last_key })
}

/// A key value as the text the server prints for it (what [`chunk_query::key_literal`] takes
/// back); `None` for NULL.
fn key_text(value: &MyValue) -> Option<Vec<u8>> {
    let text = match value {
        MyValue::NULL => return None,
        MyValue::Bytes(bytes) => return Some(bytes.clone()),
        MyValue::Int(v) => v.to_string(),
        MyValue::UInt(v) => v.to_string(),
        MyValue::Float(v) => v.to_string(),
        MyValue::Double(v) => v.to_string(),
        MyValue::Date(year, month, day, hour, minute, second, micro) => {
            format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micro:06}")
        }
        MyValue::Time(negative, days, hours, minutes, seconds, micro) => format!(
            "{}{}:{minutes:02}:{seconds:02}.{micro:06}",
            if *negative { "-" } else { "" },
            days * 24 + u32::from(*hours)
        ),
    };
    Some(text.into_bytes())
}

/// Maps a chunk's rows to upserts and loads them, cut by the batch limits.
async fn load_rows(
    shared: &ReaderShared,
    table: &SnapshotTable,
    mapping: &TableMapping,
    projection: &Projection,
    rows: Vec<crate::change::Row>,
) -> Result<()> {
    let mut ops = Vec::with_capacity(rows.len());
    for row in rows {
        mapping.map_change(
            &table.schema,
            projection,
            RowChange::Insert { after: row },
            &mut ops,
        )?;
    }
    let mut batch = Vec::new();
    let mut bytes = 0usize;
    let mut ops = ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        bytes += crate::sink::batcher::approx_row_bytes(&op.values);
        batch.push((op.op, op.values));
        let full = batch.len() >= shared.max_batch_rows || bytes >= shared.max_batch_bytes;
        if full || ops.peek().is_none() {
            let job = LoadJob {
                id: shared.next_job.fetch_add(1, Ordering::Relaxed),
                target: table.target.id.clone(),
                columns: Arc::clone(&projection.columns),
                rows: std::mem::take(&mut batch),
                approx_bytes: std::mem::take(&mut bytes),
            };
            loader::load(job, Some(&table.target), &shared.load).await?;
        }
    }
    Ok(())
}

/// The schema a snapshot reads: `schema` restricted to `columns` (in table order), which must
/// hold the key.
pub fn read_schema(schema: &TableSchema, columns: Option<&[String]>) -> Result<TableSchema> {
    let Some(wanted) = columns else {
        return Ok(schema.clone());
    };
    for name in wanted {
        if !schema
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(name))
        {
            return Err(Error::definite(format!(
                "snapshot.tables.\"{}\".columns: {name} is not a column of the table",
                schema.id
            )));
        }
    }
    let mut kept = Vec::new();
    let mut key = Vec::new();
    for &k in &schema.key {
        let name = &schema.columns[k].name;
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case(name)) {
            return Err(Error::definite(format!(
                "snapshot.tables.\"{}\".columns must include the key column {name}",
                schema.id
            )));
        }
    }
    for column in &schema.columns {
        if wanted.iter().any(|w| w.eq_ignore_ascii_case(&column.name)) {
            kept.push(column.clone());
        }
    }
    for &k in &schema.key {
        let name = &schema.columns[k].name;
        if let Some(position) = kept.iter().position(|c| &c.name == name) {
            key.push(position);
        }
    }
    Ok(TableSchema {
        id: schema.id.clone(),
        columns: kept,
        key,
    })
}

/// Aborts the reader tasks when the snapshot ends, whatever way.
struct AbortAll(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnSchema, MySqlType};

    fn column(ty: MySqlType) -> ColumnSchema {
        ColumnSchema {
            name: "k".into(),
            ty,
            unsigned: false,
            nullable: false,
            charset: None,
        }
    }

    /// Binary-protocol key values print as the text the server would, and make valid literals.
    #[test]
    fn key_values_print_as_server_text() {
        let cases = [
            (MyValue::Int(-5), MySqlType::BigInt, "-5", "-5"),
            (MyValue::UInt(7), MySqlType::Int, "7", "7"),
            (
                MyValue::Date(2024, 2, 29, 23, 5, 9, 120),
                MySqlType::DateTime { fsp: 6 },
                "2024-02-29 23:05:09.000120",
                "'2024-02-29 23:05:09.000120'",
            ),
            (
                MyValue::Date(2024, 2, 29, 0, 0, 0, 0),
                MySqlType::Date,
                "2024-02-29 00:00:00.000000",
                "'2024-02-29 00:00:00.000000'",
            ),
            (
                MyValue::Time(true, 1, 2, 3, 4, 5),
                MySqlType::Time { fsp: 6 },
                "-26:03:04.000005",
                "'-26:03:04.000005'",
            ),
            (
                MyValue::Bytes(b"abc".to_vec()),
                MySqlType::VarChar { length: 10 },
                "abc",
                "_utf8mb4 X'616263'",
            ),
        ];
        for (value, ty, text, literal) in cases {
            let raw = key_text(&value).expect("not NULL");
            assert_eq!(String::from_utf8_lossy(&raw), text);
            assert_eq!(
                chunk_query::key_literal(&column(ty), &raw).as_deref(),
                Ok(literal)
            );
        }
        assert_eq!(key_text(&MyValue::NULL), None);
    }
}
