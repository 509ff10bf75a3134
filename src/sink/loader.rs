//! Loading jobs into StarRocks: one loader task per target table, and the two steps that turn a
//! [`LoadJob`] into a Stream Load, used by the binlog path and the snapshot alike:
//! [`encode_job`] (the body) and [`load_encoded`] (label, load with retries, dirty-data handling,
//! metrics).
//!
//! Invariants:
//! - Per target table the binlog path has one loader task, which runs its jobs in id order: a
//!   table's loads commit in binlog order. Its queue is bounded ([`LOADER_QUEUE_CAPACITY`]).
//! - Each loader encodes on a task of its own, one job ahead of the load in flight
//!   ([`ENCODED_AHEAD`]): the next body is ready when the target answers, and a job's rows are
//!   freed once encoded. Encoding never touches the target, so it may run ahead of a TRUNCATE.
//! - Labels are `m2s_<db>_<table>_<run>_<job>`: unique per run (a random run id, so a reset state
//!   directory never reuses an old label), and the same for every retry of a job.
//! - Under `strategy_on_error: batch_dirty_data` only a rejection of the batch's data is written
//!   aside; every other failure is returned.
//! - Every load is recorded in the checkpoint store before it is sent and forgotten once it
//!   committed (or its data was rejected); a new run first settles every load still recorded
//!   ([`settle_earlier_loads`]), so a load abandoned by a restart or a kill -9 cannot commit
//!   after the new run's newer loads of the same keys.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::checkpoint::{CheckpointStore, InFlightLoad};
use crate::config::ErrorStrategy;
use crate::error::{Error, Result};
use crate::metrics::{LoadOp, LoadOutcomeLabel, Metrics};
use crate::schema::TableId;
use crate::sink::batcher::{Job, LoadJob};
use crate::sink::encode::{
    BodyFormat, Compression, Encoder, LoadFormat, RenderOptions, ZeroDatePolicy,
};
use crate::sink::stream_load::{SettledLabel, StreamLoadClient, StreamLoadSettings};
use crate::sink::Op;
use crate::target::TargetTable;

/// Sealed jobs waiting per table while one loads (bounds memory: 1 loading, 1 encoded, 1 being
/// encoded and this many queued).
const LOADER_QUEUE_CAPACITY: usize = 1;
/// Encoded bodies waiting per table for the load in flight to finish.
const ENCODED_AHEAD: usize = 1;

/// A job's outcome, sent by a loader task.
#[derive(Debug)]
pub(crate) struct JobResult {
    pub(crate) id: u64,
    /// The target table the job wrote to.
    pub(crate) target: TableId,
    /// Rows loaded (0 for a truncate, or a batch written to the dirty-data directory).
    pub(crate) outcome: Result<u64>,
}

/// What loading a job needs: the HTTP client, the encoder, the run's label prefix, the target
/// settings and the metrics. Shared by the loader tasks and the snapshot's chunk copiers.
#[derive(Clone)]
pub(crate) struct LoadContext {
    pub(crate) client: Arc<StreamLoadClient>,
    /// Where loads in flight are recorded.
    pub(crate) store: Arc<CheckpointStore>,
    pub(crate) encoder: Arc<Encoder>,
    pub(crate) run_id: String,
    pub(crate) target_config: crate::config::TargetConfig,
    pub(crate) metrics: Metrics,
}

/// What every loader task shares: how to load, and where to report each job's outcome.
#[derive(Clone)]
pub(crate) struct LoaderContext {
    pub(crate) load: LoadContext,
    pub(crate) results: mpsc::UnboundedSender<JobResult>,
}

/// A job and the verified target table it loads into.
pub(crate) type LoaderItem = (Job, Option<Arc<TargetTable>>);

/// One loader task per target table, each with a bounded queue.
pub(crate) struct Loaders {
    queues: BTreeMap<TableId, mpsc::Sender<LoaderItem>>,
    handles: Vec<JoinHandle<()>>,
    context: LoaderContext,
}

impl Loaders {
    /// No loader task yet: one is started per target table on its first job.
    pub(crate) fn new(context: LoaderContext) -> Self {
        Loaders {
            queues: BTreeMap::new(),
            handles: Vec::new(),
            context,
        }
    }

    pub(crate) async fn send(&mut self, job: Job, table: Option<Arc<TargetTable>>) -> Result<()> {
        let target = job.target().clone();
        let queue = match self.queues.get(&target) {
            Some(queue) => queue.clone(),
            None => {
                let (tx, rx) = mpsc::channel(LOADER_QUEUE_CAPACITY);
                let context = self.context.clone();
                self.handles
                    .push(tokio::spawn(run_loader(target.clone(), rx, context)));
                self.queues.insert(target.clone(), tx.clone());
                tx
            }
        };
        queue
            .send((job, table))
            .await
            .map_err(|_| Error::transient(format!("the loader of {target} stopped")))
    }

    /// No more jobs: loaders finish their queues and stop.
    pub(crate) fn close(&mut self) {
        self.queues.clear();
    }

    pub(crate) fn abort(&mut self) {
        self.queues.clear();
        for handle in self.handles.drain(..) {
            handle.abort();
        }
    }
}

/// A job as its loader task runs it: encoded (or failed to encode), or a truncate.
enum ReadyJob {
    Load(Result<EncodedJob>),
    Truncate,
}

/// Runs one target table's jobs in order: a task encodes them, this one loads them.
async fn run_loader(target: TableId, mut jobs: mpsc::Receiver<LoaderItem>, context: LoaderContext) {
    let (ready_tx, mut ready_rx) = mpsc::channel::<(u64, ReadyJob)>(ENCODED_AHEAD);
    let encode_context = context.load.clone();
    // Stops by itself when its queue closes or this task stops listening (a failure or abort).
    tokio::spawn(async move {
        while let Some((job, table)) = jobs.recv().await {
            let id = job.id();
            let ready = match job {
                Job::Load(job) => {
                    ReadyJob::Load(encode_job(job, table.as_deref(), &encode_context))
                }
                Job::Truncate { .. } => ReadyJob::Truncate,
            };
            if ready_tx.send((id, ready)).await.is_err() {
                return;
            }
        }
    });
    while let Some((id, ready)) = ready_rx.recv().await {
        let outcome = match ready {
            ReadyJob::Load(Ok(encoded)) => load_encoded(encoded, &context.load).await,
            ReadyJob::Load(Err(error)) => Err(error),
            ReadyJob::Truncate => truncate(&target, &context.load).await.map(|()| 0),
        };
        let failed = outcome.is_err();
        let result = JobResult {
            id,
            target: target.clone(),
            outcome,
        };
        if context.results.send(result).is_err() || failed {
            return;
        }
    }
}

/// A job's body, with what its load reports (the rows themselves are freed).
pub(crate) struct EncodedJob {
    id: u64,
    target: TableId,
    body: crate::sink::encode::EncodedBody,
    deletes: u64,
    upserts: u64,
}

/// Encodes `job` for `table` (in the target's column order).
pub(crate) fn encode_job(
    job: LoadJob,
    table: Option<&TargetTable>,
    context: &LoadContext,
) -> Result<EncodedJob> {
    let Some(table) = table else {
        return Err(Error::definite(format!(
            "no verified target table for {}",
            job.target
        )));
    };
    let columns = table.columns_for(&job.columns)?;
    let rows = job.rows.iter().map(|(op, row)| (*op, row.as_slice()));
    let body = context.encoder.encode(&job.target, &columns, rows)?;
    let deletes = job.rows.iter().filter(|(op, _)| *op == Op::Delete).count() as u64;
    Ok(EncodedJob {
        id: job.id,
        target: job.target,
        body,
        deletes,
        upserts: job.rows.len() as u64 - deletes,
    })
}

/// Encodes and loads `job` (the snapshot's copiers, which load one chunk at a time).
pub(crate) async fn load(
    job: LoadJob,
    table: Option<&TargetTable>,
    context: &LoadContext,
) -> Result<()> {
    load_encoded(encode_job(job, table, context)?, context)
        .await
        .map(|_| ())
}

/// Loads an encoded job: label, retries, dirty-data handling, metrics. Returns the rows loaded.
pub(crate) async fn load_encoded(job: EncodedJob, context: &LoadContext) -> Result<u64> {
    let label = label_for(&job.target, &context.run_id, job.id);
    let body = job.body;
    let row_count = job.deletes + job.upserts;
    let started = Instant::now();
    context.store.record_in_flight(&InFlightLoad {
        db: job.target.db.clone(),
        label: label.clone(),
    })?;
    match context
        .client
        .load(&job.target.db, &job.target.table, &label, &body)
        .await
    {
        Ok(report) => {
            context.store.clear_in_flight(&label)?;
            let (deletes, upserts) = (job.deletes, job.upserts);
            let metrics = &context.metrics;
            metrics.rows_loaded(&job.target, LoadOp::Upsert, upserts);
            metrics.rows_loaded(&job.target, LoadOp::Delete, deletes);
            metrics.load_finished(&job.target, LoadOutcomeLabel::Success, started.elapsed());
            metrics.batch(row_count, body.uncompressed_len as u64);
            debug!(table = %job.target, %label, rows = row_count, attempts = report.attempts, "Loaded.");
            Ok(row_count)
        }
        Err(error)
            if !error.is_transient()
                && context.target_config.strategy_on_error == ErrorStrategy::BatchDirtyData
                && crate::sink::dirty::is_data_rejection(&error) =>
        {
            let path = crate::sink::dirty::write_dirty_batch(
                &context.target_config.dirty_data_dir,
                &job.target,
                &label,
                &body,
                &error,
            )?;
            // The data was rejected: the label's load ended without a change.
            context.store.clear_in_flight(&label)?;
            warn!(table = %job.target, %label, path = %path.display(), %error, "Rejected batch written to the dirty-data directory.");
            context.metrics.dirty_batch(&job.target);
            context
                .metrics
                .load_finished(&job.target, LoadOutcomeLabel::Dirty, started.elapsed());
            Ok(0)
        }
        Err(error) => {
            context
                .metrics
                .load_finished(&job.target, LoadOutcomeLabel::Failed, started.elapsed());
            Err(error.context(format!(
                "loading {row_count} rows into {} (label {label})",
                job.target
            )))
        }
    }
}

/// Waits until every load an earlier run recorded as in flight has ended (committed, aborted or
/// never begun), then forgets it. Run before a run loads anything: a load abandoned by a restart
/// or a kill -9 that StarRocks still holds would otherwise commit after this run's newer loads
/// of the same keys, leaving old values. A load still running past the client timeout is a
/// transient error (the pipeline retries later).
pub(crate) async fn settle_earlier_loads(
    client: &StreamLoadClient,
    store: &CheckpointStore,
) -> Result<()> {
    for load in store.in_flight_loads()? {
        let started = Instant::now();
        let settled = client.settle_label(&load.db, &load.label).await?;
        let outcome = match settled {
            SettledLabel::Committed => "committed",
            SettledLabel::Aborted => "aborted",
            SettledLabel::Unknown => "never began",
        };
        info!(db = %load.db, label = %load.label, outcome, waited_ms = started.elapsed().as_millis() as u64, "A load of an earlier run has ended.");
        store.clear_in_flight(&load.label)?;
    }
    Ok(())
}

async fn truncate(target: &TableId, context: &LoadContext) -> Result<()> {
    let mut conn = crate::target::connect(&context.target_config).await?;
    crate::target::truncate(&mut conn, target).await
}

/// The encoder for `target.load_props` and the typed format settings.
pub(crate) fn encoder_for(target: &crate::config::TargetConfig) -> Encoder {
    let format = LoadFormat {
        format: match target.format {
            crate::config::LoadFormat::Csv => BodyFormat::Csv,
            crate::config::LoadFormat::Json => BodyFormat::Json,
        },
        column_separator: target.column_separator.bytes().to_vec(),
        row_delimiter: target.row_delimiter.bytes().to_vec(),
        compression: match target.compression {
            None => Compression::None,
            Some(crate::config::Compression::Gzip) => Compression::Gzip,
            Some(crate::config::Compression::Zstd) => Compression::Zstd,
            Some(crate::config::Compression::Lz4Frame) => Compression::Lz4Frame,
        },
        extra_headers: extra_headers(&target.load_props),
    };
    let render = RenderOptions {
        timestamp_tz: target.timestamp_time_zone.clone(),
        zero_date: ZeroDatePolicy::Null,
    };
    Encoder::new(format, render)
}

/// The pass-through Stream Load headers: `target.load_props` (validated), with `strict_mode:
/// true` unless the user set it (outside strict mode StarRocks stores NULL for a value it cannot
/// hold, silently).
fn extra_headers(props: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> =
        props.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if !props.contains_key("strict_mode") {
        headers.insert(0, ("strict_mode".to_string(), "true".to_string()));
    }
    headers
}

pub(crate) fn stream_load_settings(target: &crate::config::TargetConfig) -> StreamLoadSettings {
    StreamLoadSettings {
        load_urls: target.load_urls.iter().map(|u| u.to_string()).collect(),
        user: target.user.clone(),
        password: target.password.expose().to_string(),
        timeout: target.load_timeout,
        max_retries: target.max_retries,
        retry_backoff: Duration::from_millis(500),
    }
}

/// `m2s_<db>_<table>_<run>_<job>`, within StarRocks' `^[-\w]{1,128}$`.
pub(crate) fn label_for(target: &TableId, run_id: &str, job_id: u64) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect()
    };
    format!(
        "m2s_{}_{}_{}_{}",
        clean(&target.db),
        clean(&target.table),
        run_id,
        job_id
    )
}

/// A random id for this run of the pipeline (labels of different runs never collide).
pub(crate) fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40) ^ (nanos >> 64) as u64;
    format!("{:012x}", mixed & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_valid_and_stable() {
        let t = TableId::new("shop-1", "orders.v2 ü");
        let label = label_for(&t, "abc123", 42);
        assert_eq!(label, label_for(&t, "abc123", 42));
        assert!(label.len() <= 128);
        assert!(
            label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "{label}"
        );
        assert_ne!(new_run_id(), "");
    }

    #[test]
    fn loads_are_strict_unless_the_user_says_otherwise() {
        let props = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            extra_headers(&props(&[("timeout", "60")])),
            vec![
                ("strict_mode".to_string(), "true".to_string()),
                ("timeout".to_string(), "60".to_string())
            ]
        );
        assert_eq!(
            extra_headers(&props(&[("strict_mode", "false")])),
            vec![("strict_mode".to_string(), "false".to_string())]
        );
    }
}
