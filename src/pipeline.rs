//! Wires the replication tasks together and owns shutdown and checkpoint advancement.
//!
//! ```text
//! BinlogReader ──(bounded channel)──> main loop: mapper → Batcher ──jobs──> one loader task per
//!                                        ^                                   target table
//!                                        └──────── job results ─────────────┘
//!                                     CommitTracker → CheckpointStore (RocksDB, synced)
//! ```
//!
//! Invariants (ARCHITECTURE §3):
//! - Per target table at most one load is in flight and jobs run in id order, so a table's loads
//!   commit in binlog order. Different tables load in parallel.
//! - The checkpoint moves to a candidate position only when every job emitted before it
//!   succeeded ([`CommitTracker`]). Delivery is at-least-once; full row images into primary-key
//!   tables make replays converge.
//! - Memory is bounded: the source channel and each loader queue are bounded, so a slow target
//!   stops the binlog read (backpressure), and buffers are cut by row and byte limits.
//! - Labels are `m2s_<db>_<table>_<run>_<job>`: unique per run (a random run id, so a reset
//!   state directory never reuses an old label), and the same for every retry of a job.
//!
//! The main loop's `select!` is `biased`, in this priority: (1) shutdown, (2) job results,
//! (3) the flush timer, (4) source events.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::change::{DdlKind, SourceEvent};
use crate::checkpoint::{CheckpointStore, CheckpointUpdate, SnapshotState};
use crate::config::{Config, SnapshotMode};
use crate::error::{Error, Result};
use crate::mapper::TableMapping;
use crate::metrics::{Metrics, SourceOp};
use crate::schema::{TableId, TableSchema};
use crate::sink::batcher::{BatchLimits, Batcher, CommitTracker, Emitted};
use crate::sink::loader::{
    encoder_for, new_run_id, settle_earlier_loads, stream_load_settings, JobResult, LoadContext,
    LoaderContext, Loaders,
};
use crate::sink::stream_load::StreamLoadClient;
use crate::snapshot::SnapshotOutcome;
use crate::source::binlog::BinlogReader;
use crate::status::{Phase, PipelineStatus, TablePhase};
use crate::target::TargetTable;

/// Events buffered between the binlog reader and the main loop.
const SOURCE_CHANNEL_CAPACITY: usize = 256;
/// Longest pause between restarts of the pipeline after transient failures.
const MAX_RESTART_BACKOFF: Duration = Duration::from_secs(60);
/// `/healthz` fails when the pipeline made no progress (not even a heartbeat) for this long.
const STALL_AFTER: Duration = Duration::from_secs(300);

/// What `check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Human-readable lines, one per finding.
    pub lines: Vec<String>,
}

impl std::fmt::Display for CheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Validates the source and target without replicating: preflight, table discovery, target
/// verification.
pub async fn check(config: &Config) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let settings = source_settings(&config.source);
    let info = crate::source::preflight::check(&settings, None).await?;
    report.lines.push(format!(
        "source {}:{}: {:?} {} (server_uuid {}, gtid {}, row metadata {})",
        config.source.host,
        config.source.port,
        info.flavor,
        info.version,
        info.server_uuid.as_deref().unwrap_or("-"),
        if info.gtid_enabled { "on" } else { "off" },
        if info.row_metadata_full {
            "FULL"
        } else {
            "MINIMAL"
        },
    ));
    let tables = discover_tables(config, &settings).await?;
    for warning in cascade_warnings(info.flavor, &settings, &tables).await? {
        report.lines.push(format!("warning: {warning}"));
    }
    if tables.is_empty() {
        report
            .lines
            .push("warning: no source table matches source.tables".to_string());
    }
    // With a checkpoint, columns added to the source by ignored DDL are not required.
    let resuming = match CheckpointStore::open_read_only(&config.state_dir)? {
        Some(store) => store.load_position()?.is_some(),
        None => false,
    };
    let mut target = crate::target::connect(&config.target).await?;
    for schema in tables.values() {
        let target_id = config.routes.target_for(&schema.id);
        let verified = verify_target(&mut target, &target_id, schema, resuming).await?;
        report.lines.push(format!(
            "table {} -> {}: ok ({} columns, key {})",
            schema.id,
            verified.id,
            verified.columns.len(),
            schema.key_names().join(", ")
        ));
    }
    Ok(report)
}

/// Runs replication until `shutdown` turns true: starts the admin endpoint, then the pipeline.
/// Transient failures restart the pipeline from the checkpoint with back-off; definite errors
/// are returned.
pub async fn run(config: Config, shutdown: watch::Receiver<bool>) -> Result<()> {
    let status = Arc::new(PipelineStatus::new(Some(STALL_AFTER)));
    let metrics = Metrics::new();
    let admin_state = crate::admin::AdminState {
        status: Arc::clone(&status),
        metrics: metrics.clone(),
    };
    let (admin_addr, admin_task) = crate::admin::serve(config.admin.listen, admin_state).await?;
    let _admin_guard = AbortOnDrop(admin_task);
    info!(address = %admin_addr, "Admin endpoint listening.");
    let _watchdog_guard = sd_notify::watchdog_enabled().map(|interval| {
        AbortOnDrop(tokio::spawn(systemd_watchdog(
            Arc::clone(&status),
            interval / 2,
        )))
    });
    let store = Arc::new(CheckpointStore::open(&config.state_dir)?);
    let mut backoff = Duration::from_secs(1);
    let result = loop {
        let started = Instant::now();
        let result = run_once(&config, &store, shutdown.clone(), &status, &metrics).await;
        match result {
            Ok(()) => break Ok(()),
            Err(error) if error.is_transient() && !*shutdown.borrow() => {
                status.set_phase(Phase::Starting);
                warn!(%error, retry_in_secs = backoff.as_secs(), "Pipeline failed; restarting from the checkpoint.");
                let mut shutdown = shutdown.clone();
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.wait_for(|stop| *stop) => break Ok(()),
                }
                backoff = if started.elapsed() > MAX_RESTART_BACKOFF {
                    Duration::from_secs(1)
                } else {
                    (backoff * 2).min(MAX_RESTART_BACKOFF)
                };
            }
            Err(error) => break Err(error),
        }
    };
    status.set_phase(if result.is_ok() {
        Phase::Stopped
    } else {
        Phase::Failed
    });
    result
}

/// Under systemd with `WatchdogSec=`: sends `WATCHDOG=1` every `every` while the pipeline is
/// healthy (it progressed — rows, heartbeats, checkpoints — within the stall limit), so systemd
/// restarts a stalled daemon. A failed pipeline that is restarting with back-off still pings.
async fn systemd_watchdog(status: Arc<PipelineStatus>, every: Duration) {
    let mut ticker = tokio::time::interval(every.max(Duration::from_millis(100)));
    loop {
        ticker.tick().await;
        match status.health() {
            Ok(()) => {
                if let Err(error) = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]) {
                    warn!(%error, "Cannot notify the systemd watchdog.");
                }
            }
            Err(reason) => {
                warn!(%reason, "Pipeline stalled: not feeding the systemd watchdog.");
            }
        }
    }
}

/// One life of the pipeline: from the checkpoint until shutdown or the first error.
async fn run_once(
    config: &Config,
    store: &Arc<CheckpointStore>,
    mut shutdown: watch::Receiver<bool>,
    status: &Arc<PipelineStatus>,
    metrics: &Metrics,
) -> Result<()> {
    status.set_phase(Phase::Starting);
    let settings = source_settings(&config.source);
    let saved = store.load_position()?;
    let info = crate::source::preflight::check(&settings, saved.as_ref()).await?;
    check_source_identity(store, &info)?;

    let tables = discover_tables(config, &settings).await?;
    for warning in cascade_warnings(info.flavor, &settings, &tables).await? {
        warn!("{warning}");
    }
    let mut target = crate::target::connect(&config.target).await?;
    if !store.first_start_done()? {
        for sql in &config.target.pre_sql {
            info!(statement = %sql, "Running target.pre_sql.");
            target
                .query_drop(sql)
                .await
                .map_err(|e| Error::definite(format!("target.pre_sql `{sql}` failed: {e}")))?;
        }
        store.save(&CheckpointUpdate {
            first_start_done: true,
            ..CheckpointUpdate::default()
        })?;
    }
    // A table copied earlier but no longer replicated (taken out of source.tables, or gone
    // from the source) misses its changes from now on: its copy is forgotten, so that if it
    // comes back it is copied again instead of resuming with a gap.
    for (id, _) in store.snapshot_states()? {
        if !tables.contains_key(&id) {
            info!(table = %id, "No longer replicated: its copy is forgotten (it is copied again if it comes back).");
            store.clear_table(&id)?;
        }
    }
    // Tables to copy first: every routed table whose snapshot is not finished (none with
    // `snapshot.mode: never`).
    let mut to_copy = Vec::new();
    if config.snapshot.mode != SnapshotMode::Never {
        for id in tables.keys() {
            if !matches!(store.snapshot_state(id)?, SnapshotState::Done { .. }) {
                to_copy.push(id.clone());
            }
        }
    }
    let mut mappings = BTreeMap::new();
    let mut target_tables = BTreeMap::new();
    let mut snapshot_tables = Vec::new();
    for schema in tables.values() {
        let target_id = config.routes.target_for(&schema.id);
        let options = config
            .snapshot
            .tables
            .get(&schema.id)
            .cloned()
            .unwrap_or_default();
        let read_schema = Arc::new(crate::snapshot::read_schema(
            schema,
            options.columns.as_deref(),
        )?);
        if config.target.auto_create {
            crate::target::create_table(&mut target, &target_id, &read_schema).await?;
        }
        let copying = to_copy.contains(&schema.id);
        let verified = Arc::new(
            verify_target(
                &mut target,
                &target_id,
                &read_schema,
                saved.is_some() && !copying,
            )
            .await?,
        );
        // `snapshot.tables."db.t".columns` limits both the copy and the binlog path.
        let target_columns: Vec<String> = column_names(&verified)
            .into_iter()
            .filter(|name| {
                options
                    .columns
                    .as_ref()
                    .is_none_or(|wanted| wanted.iter().any(|w| w.eq_ignore_ascii_case(name)))
            })
            .collect();
        mappings.insert(
            schema.id.clone(),
            TableMapping::new(target_id.clone(), target_columns.clone()),
        );
        if copying {
            snapshot_tables.push(crate::snapshot::SnapshotTable {
                schema: read_schema,
                target: Arc::clone(&verified),
                target_columns,
                options,
            });
        }
        target_tables.insert(target_id, verified);
    }

    let retry_metrics = metrics.clone();
    let retry_status = Arc::clone(status);
    let client = Arc::new(
        StreamLoadClient::new(stream_load_settings(&config.target))?.with_retry_observer(Arc::new(
            move |db: &str, table: &str| {
                let target = TableId::new(db, table);
                retry_metrics.load_retry(&target);
                retry_status.load_failed_into(&target);
            },
        )),
    );
    let encoder = Arc::new(encoder_for(&config.target));
    settle_earlier_loads(&client, store).await?;
    let start = match saved.clone() {
        Some(position) => {
            info!(%position, "Resuming from the checkpoint.");
            position
        }
        None if config.snapshot.mode == SnapshotMode::Never => {
            let position = crate::source::current_position_at(&settings).await?;
            // Why: saved before anything runs, so a stop before the first checkpoint (no
            // heartbeat or commit yet) resumes here instead of at a later "current" position,
            // which would skip every change written while the daemon was down.
            store.save(&CheckpointUpdate {
                position: Some(position.clone()),
                ..CheckpointUpdate::default()
            })?;
            info!(%position, "No checkpoint: starting at the source's current position (saved).");
            position
        }
        None => match store.snapshot_start()? {
            Some(position) => {
                info!(%position, "Resuming the initial snapshot; the binlog follows from its start position.");
                position
            }
            None => {
                // Recorded before anything is read: every later change is replayed afterwards.
                let position = crate::source::current_position_at(&settings).await?;
                store.save(&CheckpointUpdate {
                    snapshot_start: Some(position.clone()),
                    ..CheckpointUpdate::default()
                })?;
                info!(%position, "Initial snapshot: the binlog will follow from the current position.");
                position
            }
        },
    };
    // Ready once both sides are verified (systemd READY=1): copying or streaming.
    status.set_ready(true);
    if !snapshot_tables.is_empty() {
        status.set_phase(Phase::Snapshot);
        let started_at = store
            .snapshot_start_saved_at()?
            .unwrap_or_else(std::time::SystemTime::now);
        let context = crate::snapshot::SnapshotContext {
            settings: &settings,
            chunk_rows: config.snapshot.chunk_rows,
            parallelism: config.snapshot.parallelism,
            max_batch_rows: config.target.max_batch_rows,
            max_batch_bytes: config.target.max_batch_size,
            store,
            status,
            metrics,
            load: LoadContext {
                client: Arc::clone(&client),
                store: Arc::clone(store),
                encoder: Arc::clone(&encoder),
                run_id: new_run_id(),
                target_config: config.target.clone(),
                metrics: metrics.clone(),
            },
            started_at,
        };
        let outcome =
            crate::snapshot::copy_tables(context, snapshot_tables, shutdown.clone()).await?;
        if outcome == SnapshotOutcome::Stopped {
            return Ok(());
        }
        if saved.is_none() {
            store.save(&CheckpointUpdate {
                position: Some(start.clone()),
                ..CheckpointUpdate::default()
            })?;
        }
        info!("Snapshot finished.");
    }
    if config.snapshot.mode == SnapshotMode::Only {
        for sql in &config.target.post_sql {
            info!(statement = %sql, "Running target.post_sql.");
            target
                .query_drop(sql)
                .await
                .map_err(|e| Error::definite(format!("target.post_sql `{sql}` failed: {e}")))?;
        }
        info!("snapshot.mode is only: the copy is done, exiting.");
        return Ok(());
    }
    let _ = target.disconnect().await;
    let mut target = crate::target::connect(&config.target).await?;
    for (id, mapping) in &mappings {
        status.update_table(id, |t| {
            t.phase = TablePhase::Streaming;
            t.target = mapping.target.to_string();
        });
    }

    let filter = config.source.tables.clone();
    let watched: Arc<dyn Fn(&TableId) -> bool + Send + Sync> =
        Arc::new(move |table: &TableId| filter.matches(table));
    let mut reader = BinlogReader::start(settings.clone(), start.clone(), watched).await?;
    let (event_tx, mut event_rx) = mpsc::channel::<Result<SourceEvent>>(SOURCE_CHANNEL_CAPACITY);
    let reader_metrics = metrics.clone();
    let reader_task: JoinHandle<()> = tokio::spawn(async move {
        let mut reconnects = reader.reconnect_count();
        loop {
            let event = reader.next().await;
            for _ in reconnects..reader.reconnect_count() {
                reader_metrics.source_reconnect();
            }
            reconnects = reader.reconnect_count();
            let failed = event.is_err();
            if event_tx.send(event).await.is_err() || failed {
                return;
            }
        }
    });
    let _reader_guard = AbortOnDrop(reader_task);

    let run_id = new_run_id();
    let (result_tx, mut result_rx) = mpsc::unbounded_channel::<JobResult>();
    let mut loaders = Loaders::new(LoaderContext {
        load: LoadContext {
            client,
            store: Arc::clone(store),
            encoder,
            run_id,
            target_config: config.target.clone(),
            metrics: metrics.clone(),
        },
        results: result_tx,
    });
    let mut batcher = Batcher::new(
        BatchLimits {
            max_rows: config.target.max_batch_rows,
            max_bytes: config.target.max_batch_size,
            flush_interval: config.target.flush_interval,
        },
        0,
    );
    let mut tracker = CommitTracker::default();
    let mut emitted = Vec::new();
    let mut ops = Vec::new();
    // Source timestamp of the last commit, attached to the next checkpoint candidate (lag).
    let mut last_event_time: Option<u32> = None;
    // When a checkpoint was last saved without a load finishing (heartbeats and transactions on
    // unwatched tables): such saves are throttled to one per flush interval.
    let mut last_idle_checkpoint = Instant::now();
    status.set_phase(Phase::Streaming);
    info!(tables = mappings.len(), %start, "Replication running.");

    let outcome: Result<()> = loop {
        let deadline = batcher.flush_deadline();
        tokio::select! {
            biased;
            // 1. Shutdown: stop reading, flush what is buffered, wait for the loaders.
            _ = shutdown.wait_for(|stop| *stop) => {
                info!("Shutting down: flushing buffered rows.");
                batcher.finish(&mut emitted);
                if let Err(error) = dispatch(&mut emitted, &mut loaders, &mut tracker, &target_tables, &mut last_event_time).await {
                    break Err(error);
                }
                break drain(&mut loaders, &mut tracker, &mut result_rx, store, status, metrics, config.shutdown_timeout).await;
            }
            // 2. Job results: advance the checkpoint, or fail.
            Some(result) = result_rx.recv() => {
                if let Err(error) = handle_result(result, &mut tracker, store, status, metrics) {
                    break Err(error);
                }
            }
            // 3. Flush timer.
            _ = sleep_until(deadline), if deadline.is_some() => {
                batcher.tick(Instant::now(), event_rx.is_empty(), &mut emitted);
            }
            // 4. Source events.
            event = event_rx.recv() => {
                let Some(event) = event else {
                    break Err(Error::transient("the binlog reader stopped"));
                };
                let handled = match event {
                    Ok(event) => handle_event(event, config, &mut mappings, &mut target, &mut target_tables, &mut batcher, &mut ops, &mut emitted, metrics, status, &mut last_event_time).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = handled {
                    break Err(error);
                }
            }
        }
        if let Err(error) = dispatch(
            &mut emitted,
            &mut loaders,
            &mut tracker,
            &target_tables,
            &mut last_event_time,
        )
        .await
        {
            break Err(error);
        }
        if tracker.has_candidates()
            && last_idle_checkpoint.elapsed() >= config.target.flush_interval
        {
            last_idle_checkpoint = Instant::now();
            if let Err(error) = advance_checkpoint(&mut tracker, store, status, metrics) {
                break Err(error);
            }
        }
    };
    status.set_ready(false);
    loaders.abort();
    prefer_definite_load_failure(outcome, &mut result_rx)
}

/// A transient error (a loader found stopped, say) may only be the echo of a loader's definite
/// failure whose result is still queued: that failure is the real outcome, so the daemon stops
/// with it instead of restarting into the same failure forever.
fn prefer_definite_load_failure(
    outcome: Result<()>,
    results: &mut mpsc::UnboundedReceiver<JobResult>,
) -> Result<()> {
    match outcome {
        Err(error) if error.is_transient() => {
            while let Ok(result) = results.try_recv() {
                if let Err(failure) = result.outcome {
                    if !failure.is_transient() {
                        return Err(failure);
                    }
                }
            }
            Err(error)
        }
        other => other,
    }
}

/// Lists the source tables matching the filter and loads their schemas.
async fn discover_tables(
    config: &Config,
    settings: &crate::source::SourceSettings,
) -> Result<BTreeMap<TableId, Arc<TableSchema>>> {
    let mut conn = crate::source::connect::open(settings).await?;
    let mut out = BTreeMap::new();
    for table in crate::source::schema_loader::list_tables(&mut conn).await? {
        if config.source.tables.matches(&table) {
            let schema = crate::source::schema_loader::load_table_schema(&mut conn, &table).await?;
            out.insert(table, Arc::new(schema));
        }
    }
    if let Some((first, second, target)) = config.routes.find_collision(out.keys()) {
        return Err(collision_error(&first, &second, &target));
    }
    Ok(out)
}

/// MariaDB writes no row events for the rows a foreign key's `CASCADE`/`SET NULL`/`SET DEFAULT`
/// changes (MySQL does): those changes can never reach the target. One warning per such foreign
/// key into a replicated table, so the gap is never silent.
async fn cascade_warnings(
    flavor: crate::source::Flavor,
    settings: &crate::source::SourceSettings,
    tables: &BTreeMap<TableId, Arc<TableSchema>>,
) -> Result<Vec<String>> {
    if flavor != crate::source::Flavor::MariaDb {
        return Ok(Vec::new());
    }
    let mut conn = crate::source::connect::open(settings).await?;
    let mut keys = Vec::new();
    for table in tables.keys() {
        keys.extend(crate::source::schema_loader::cascading_foreign_keys(&mut conn, table).await?);
    }
    Ok(keys
        .into_iter()
        .map(|key| {
            format!(
                "{}: foreign key {} ({}): MariaDB does not write the rows it changes to the binlog, \
                 so they will not reach the target; change them with explicit statements, or \
                 re-snapshot the table after such changes",
                key.child, key.constraint, key.actions
            )
        })
        .collect())
}

/// Two source tables routed to one target: their rows would mix, and a TRUNCATE of either would
/// empty both.
fn collision_error(first: &TableId, second: &TableId, target: &TableId) -> Error {
    Error::definite(format!(
        "source tables {first} and {second} are both routed to target table {target}"
    ))
    .with_hint(
        "give each source table its own target (routes), or exclude one of them from source.tables",
    )
}

#[allow(clippy::too_many_arguments)]
async fn handle_event(
    event: SourceEvent,
    config: &Config,
    mappings: &mut BTreeMap<TableId, TableMapping>,
    target: &mut mysql_async::Conn,
    target_tables: &mut BTreeMap<TableId, Arc<TargetTable>>,
    batcher: &mut Batcher,
    ops: &mut Vec<crate::mapper::SinkOp>,
    emitted: &mut Vec<Emitted>,
    metrics: &Metrics,
    status: &PipelineStatus,
    last_event_time: &mut Option<u32>,
) -> Result<()> {
    let now = Instant::now();
    match event {
        SourceEvent::Rows { table, changes } => {
            if !mappings.contains_key(&table.id) {
                // A table created (or first written) after start-up that matches the filter.
                let target_id = config.routes.target_for(&table.id);
                if let Some((other, _)) = mappings.iter().find(|(_, m)| m.target == target_id) {
                    return Err(collision_error(other, &table.id, &target_id));
                }
                if config.target.auto_create {
                    info!(table = %table.id, target = %target_id, "A new source table: creating its target.");
                    crate::target::create_table(target, &target_id, &table).await?;
                }
                let verified = verify_target(target, &target_id, &table, false).await?;
                mappings.insert(
                    table.id.clone(),
                    TableMapping::new(target_id.clone(), column_names(&verified)),
                );
                target_tables.insert(target_id, Arc::new(verified));
            }
            let Some(mapping) = mappings.get_mut(&table.id) else {
                return Ok(());
            };
            let (projection, new_projection) = mapping.projection(&table)?;
            if new_projection && !projection.ignored_source_columns.is_empty() {
                warn!(table = %table.id, columns = ?projection.ignored_source_columns, "Source columns missing in the target are not replicated.");
                metrics.ignored_columns(&table.id, projection.ignored_source_columns.len() as u64);
            }
            status.update_table(&table.id, |t| {
                t.phase = TablePhase::Streaming;
                t.rows_read += changes.len() as u64;
                if t.target.is_empty() {
                    t.target = mapping.target.to_string();
                }
            });
            // Counted per event, not per row: a metric update costs more than mapping a row.
            let mut counts = [0u64; 3];
            for change in changes {
                counts[match &change {
                    crate::change::RowChange::Insert { .. } => 0,
                    crate::change::RowChange::Update { .. } => 1,
                    crate::change::RowChange::Delete { .. } => 2,
                }] += 1;
                mapping.map_change(&table, &projection, change, ops)?;
            }
            for (op, count) in [SourceOp::Insert, SourceOp::Update, SourceOp::Delete]
                .into_iter()
                .zip(counts)
            {
                if count > 0 {
                    metrics.source_events(&table.id, op, count);
                }
            }
            let target_id = mapping.target.clone();
            batcher.add_all(&target_id, &projection.columns, ops.drain(..), now, emitted);
        }
        SourceEvent::Commit {
            position,
            event_time,
        } => {
            *last_event_time = Some(event_time);
            batcher.commit(position, now, emitted);
            status.record_progress();
        }
        SourceEvent::Heartbeat { position } => {
            batcher.heartbeat(position, now, emitted);
            status.record_progress();
        }
        SourceEvent::Ddl {
            kind,
            tables,
            statement,
            position,
            ..
        } => {
            // DROP DATABASE names its database only: it stands for every replicated table of it.
            let tables: Vec<TableId> = if kind == DdlKind::DropDatabase {
                mappings
                    .keys()
                    .filter(|t| tables.iter().any(|d| d.db == t.db))
                    .cloned()
                    .collect()
            } else {
                tables
            };
            let routed: Vec<&TableId> = tables
                .iter()
                .filter(|t| mappings.contains_key(*t) || config.source.tables.matches(t))
                .collect();
            if routed.is_empty() {
                debug!(statement = %statement, "DDL on unreplicated tables ignored.");
                batcher.commit_boundary_now(position, emitted);
                return Ok(());
            }
            match kind {
                DdlKind::Truncate
                    if config.ddl.on_truncate == crate::config::TruncatePolicy::Apply =>
                {
                    for table in routed {
                        let target_id = config.routes.target_for(table);
                        info!(table = %table, target = %target_id, "TRUNCATE: flushing, then truncating the target.");
                        batcher.truncate(&target_id, position.clone(), emitted);
                    }
                }
                DdlKind::Truncate => {
                    warn!(statement = %statement, %position, "TRUNCATE ignored (ddl.on_truncate: ignore).");
                    batcher.commit_boundary_now(position, emitted);
                }
                _ if config.ddl.on_other == crate::config::OtherDdlPolicy::Fail => {
                    return Err(Error::definite(format!(
                        "DDL on a replicated table at {position}: {statement}"
                    ))
                    .with_hint("apply the change to the target by hand, then restart with ddl.on_other: ignore, or re-snapshot"));
                }
                _ => {
                    warn!(statement = %statement, %position, "DDL on a replicated table ignored; the target is not altered.");
                    for table in routed {
                        if matches!(
                            kind,
                            DdlKind::DropTable | DdlKind::RenameTable | DdlKind::DropDatabase
                        ) {
                            mappings.remove(table);
                        }
                    }
                    batcher.commit_boundary_now(position, emitted);
                }
            }
        }
    }
    Ok(())
}

/// Hands emitted jobs to their loaders and candidates to the tracker.
async fn dispatch(
    emitted: &mut Vec<Emitted>,
    loaders: &mut Loaders,
    tracker: &mut CommitTracker,
    target_tables: &BTreeMap<TableId, Arc<TargetTable>>,
    last_event_time: &mut Option<u32>,
) -> Result<()> {
    for item in emitted.drain(..) {
        match item {
            Emitted::Job(job) => {
                tracker.job_started(job.id());
                let table = target_tables.get(job.target()).cloned();
                loaders.send(job, table).await?;
            }
            Emitted::Checkpoint {
                position,
                jobs_before,
            } => {
                tracker.candidate(position, jobs_before, last_event_time.take());
            }
        }
    }
    Ok(())
}

fn handle_result(
    result: JobResult,
    tracker: &mut CommitTracker,
    store: &CheckpointStore,
    status: &PipelineStatus,
    metrics: &Metrics,
) -> Result<()> {
    let rows = match result.outcome {
        Ok(rows) => rows,
        Err(error) => {
            status.load_failed_into(&result.target);
            return Err(error);
        }
    };
    tracker.job_done(result.id);
    status.rows_loaded_into(&result.target, rows);
    status.record_progress();
    advance_checkpoint(tracker, store, status, metrics)
}

/// Persists the newest candidate whose loads all succeeded, and updates the lag.
fn advance_checkpoint(
    tracker: &mut CommitTracker,
    store: &CheckpointStore,
    status: &PipelineStatus,
    metrics: &Metrics,
) -> Result<()> {
    let Some((position, event_time)) = tracker.advance() else {
        return Ok(());
    };
    store.save(&CheckpointUpdate {
        position: Some(position.clone()),
        ..CheckpointUpdate::default()
    })?;
    debug!(%position, "Checkpoint advanced.");
    status.set_lag(lag_since(event_time));
    status.set_checkpoint(position);
    metrics.checkpoint_committed();
    Ok(())
}

/// Time from a source commit timestamp to now (zero for heartbeats and clock skew).
fn lag_since(event_time: Option<u32>) -> Duration {
    let Some(event_time) = event_time else {
        return Duration::ZERO;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    Duration::from_secs(now.saturating_sub(u64::from(event_time)))
}

/// After shutdown was asked: wait for every job, then persist the last eligible position.
async fn drain(
    loaders: &mut Loaders,
    tracker: &mut CommitTracker,
    results: &mut mpsc::UnboundedReceiver<JobResult>,
    store: &CheckpointStore,
    status: &PipelineStatus,
    metrics: &Metrics,
    timeout: Duration,
) -> Result<()> {
    status.set_phase(Phase::Draining);
    loaders.close();
    let wait = async {
        while tracker.outstanding_jobs() > 0 {
            let Some(result) = results.recv().await else {
                break;
            };
            handle_result(result, tracker, store, status, metrics)?;
        }
        advance_checkpoint(tracker, store, status, metrics)
    };
    match tokio::time::timeout(timeout, wait).await {
        Ok(result) => result,
        Err(_) => {
            warn!(
                timeout_ms = timeout.as_millis() as u64,
                "Shutdown timeout: exiting without the last loads; they are replayed on restart."
            );
            Ok(())
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// Connection settings for the source from `source:`.
fn source_settings(source: &crate::config::SourceConfig) -> crate::source::SourceSettings {
    use crate::config::TlsMode as Config;
    use crate::source::settings::TlsMode;
    let mut settings = crate::source::SourceSettings::new(
        source.host.clone(),
        source.port,
        source.user.clone(),
        source.password.expose().to_string(),
        source.server_id,
    );
    settings.tls = match source.tls {
        Config::Disable => TlsMode::Disable,
        Config::Prefer => TlsMode::Prefer,
        Config::Require => TlsMode::Require,
        Config::VerifyCa => TlsMode::VerifyCa,
        Config::VerifyIdentity => TlsMode::VerifyIdentity,
    };
    settings.tls_ca_file = source.tls_ca_file.clone();
    settings.heartbeat = source.heartbeat;
    settings.read_timeout = source.read_timeout;
    settings
}

/// The checkpoint must belong to this source. A checkpoint from another server is refused
/// unless both use GTIDs of the same flavour (a GTID-compatible replica resumes by GTID).
fn check_source_identity(store: &CheckpointStore, info: &crate::source::ServerInfo) -> Result<()> {
    use crate::checkpoint::{SourceFlavor, SourceIdentity};
    let identity = SourceIdentity {
        server_uuid: info
            .server_uuid
            .clone()
            .unwrap_or_else(|| format!("server_id:{}", info.server_id)),
        flavor: match info.flavor {
            crate::source::Flavor::MySql => SourceFlavor::MySql,
            crate::source::Flavor::MariaDb => SourceFlavor::MariaDb,
        },
    };
    // Why: only a GTID position means the same thing on another server of the replication
    // topology; a file:pos position (or none yet, mid-snapshot) belongs to one server's binlog.
    let saved_position = match store.load_position()? {
        Some(position) => Some(position),
        None => store.snapshot_start()?,
    };
    let resumable_by_gtid = saved_position
        .as_ref()
        .is_none_or(|position| position.gtid.is_some());
    match store.source_identity()? {
        Some(saved) if saved == identity => return Ok(()),
        Some(saved)
            if saved.flavor == identity.flavor && info.gtid_enabled && resumable_by_gtid =>
        {
            warn!(saved = %saved.server_uuid, now = %identity.server_uuid, "The source server changed; resuming by GTID.");
        }
        Some(saved) => {
            return Err(Error::definite(format!(
                "the checkpoint in the state directory belongs to source {} ({:?}), but {} is {} ({:?})",
                saved.server_uuid, saved.flavor, "this source", identity.server_uuid, identity.flavor
            ))
            .with_hint("point source.host at the original server, or run `mysql2starrocks reset` and re-snapshot"));
        }
        None => {}
    }
    store.save(&CheckpointUpdate {
        source_identity: Some(identity),
        ..CheckpointUpdate::default()
    })
}

/// Verifies that `target` is a primary-key table that can receive `source`.
///
/// On a first start every source column must exist in the target. When resuming (`resuming`),
/// source columns the target lacks were added by DDL that the policy ignored: they are left out
/// with a warning, exactly as while running, and only the key columns are required.
async fn verify_target(
    conn: &mut mysql_async::Conn,
    target: &TableId,
    source: &TableSchema,
    resuming: bool,
) -> Result<TargetTable> {
    let required: Vec<String> = if resuming {
        source.key_names().into_iter().map(str::to_string).collect()
    } else {
        source.columns.iter().map(|c| c.name.clone()).collect()
    };
    let verified = crate::target::verify_table(conn, target, source, &required).await?;
    let missing: Vec<&str> = source
        .columns
        .iter()
        .filter(|c| verified.column(&c.name).is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        warn!(table = %source.id, target = %target, columns = ?missing, "Source columns missing in the target are not replicated (DDL ignored earlier).");
    }
    Ok(verified)
}

fn column_names(table: &TargetTable) -> Vec<String> {
    table.columns.iter().map(|c| c.name.clone()).collect()
}

/// Aborts a task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
