//! Per-target-table buffers, compacted by key, cut into load jobs; checkpoint candidates.
//!
//! A pure state machine (no I/O, time passed in) driven by the pipeline:
//! - [`Batcher::add`] puts a target operation into its table's buffer. Within a buffer rows are
//!   **compacted by key** (last operation wins), so a key appears at most once per load.
//! - [`Batcher::commit`] marks a transaction boundary with the position just after it.
//! - [`Batcher::tick`] lets time-based flushes happen while the source is quiet.
//! - **End of a backlog:** when rows were cut by size recently (the pipeline is catching up, so
//!   loads are size-bound anyway) and the source then stays quiet for [`QUIET_AFTER_BACKLOG`]
//!   with nothing waiting to be read, the remainder is cut at once instead of after
//!   `flush_interval`. A trickle of small transactions never triggers it, so it never raises the
//!   load rate of a quiet table (StarRocks' version count; reference "Too many versions").
//! - [`Batcher::truncate`] orders a TRUNCATE after the table's earlier rows.
//!
//! Output is a sequence of [`Emitted`] items: load jobs (numbered in emission order) and
//! checkpoint candidates. A candidate `(position, jobs_before)` may be persisted once every job
//! with an id below `jobs_before` has succeeded (see [`CommitTracker`]).
//!
//! Invariants:
//! - A flush of *all* buffers ("full seal") happens only at a transaction boundary and is the only
//!   thing that produces a checkpoint candidate, so a checkpoint never lands inside a transaction.
//! - A single table's buffer that reaches `max_rows`/`max_bytes` inside a transaction is sealed
//!   alone ("partial seal") to bound memory; it produces no candidate.
//! - Jobs of one table are emitted in source order; the loader runs them in id order per table.
//! - An idle source (commits of unwatched tables, heartbeats) still yields candidates, so the
//!   checkpoint keeps up with the source.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use crate::change::Row;
use crate::mapper::{KeyBytes, Op, SinkOp};
use crate::position::Position;
use crate::schema::TableId;
use crate::value::Value;

/// When a buffer is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Rows in one table's buffer (after compaction) that force a cut.
    pub max_rows: usize,
    /// Approximate bytes in one table's buffer that force a cut.
    pub max_bytes: usize,
    /// Time since the oldest unflushed row after which all buffers are cut at the next boundary.
    pub flush_interval: Duration,
}

/// A unit of work for one target table's loader.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Load these rows (each key at most once).
    Load(LoadJob),
    /// Empty the target table (after every earlier job of that table).
    Truncate { id: u64, target: TableId },
}

impl Job {
    /// The job's id (unique, increasing in emission order).
    pub fn id(&self) -> u64 {
        match self {
            Job::Load(job) => job.id,
            Job::Truncate { id, .. } => *id,
        }
    }

    /// The target table.
    pub fn target(&self) -> &TableId {
        match self {
            Job::Load(job) => &job.target,
            Job::Truncate { target, .. } => target,
        }
    }
}

/// Rows for one Stream Load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadJob {
    pub id: u64,
    pub target: TableId,
    /// Target column names, in the order of each row's values.
    pub columns: Arc<Vec<String>>,
    pub rows: Vec<(Op, Row)>,
    /// Approximate size of the rows in bytes.
    pub approx_bytes: usize,
}

/// What the batcher hands to the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Emitted {
    Job(Job),
    /// `position` may be checkpointed once all jobs with id < `jobs_before` succeeded.
    Checkpoint {
        position: Position,
        jobs_before: u64,
    },
}

#[derive(Debug)]
struct TableBuffer {
    columns: Arc<Vec<String>>,
    /// Positions in `rows`, hashed by their row's key. The table holds only positions (8 bytes
    /// each) and the keys sit in `keys`, written in order: a new key costs a probe of this small
    /// table, not of a table of keys (cache misses were most of the batcher's time).
    index: HashTable<usize>,
    /// The key of each row, parallel to `rows`.
    keys: Vec<KeyBytes>,
    rows: Vec<(Op, Row)>,
    approx_bytes: usize,
}

/// A sealed buffer's emptied index and key list, kept for the next buffer.
#[derive(Debug)]
struct SpareIndex {
    /// The table whose buffer it was.
    table: TableId,
    index: HashTable<usize>,
    keys: Vec<KeyBytes>,
    /// Rows the sealed buffer held: the next buffer's rows are reserved to this.
    rows_hint: usize,
}

/// Emptied indexes kept at most (one per table being written is the usual need).
const MAX_SPARE_INDEXES: usize = 4;

/// How long the source must stay quiet after a backlog before the remainder is cut (module docs).
/// Within a backlog events arrive microseconds apart.
pub const QUIET_AFTER_BACKLOG: Duration = Duration::from_millis(20);

impl TableBuffer {
    /// A buffer reusing `spare`'s index (emptied) and sized like its batch, so that neither the
    /// index nor the rows grow step by step again (rehashing and copying) in every batch.
    fn new(columns: Arc<Vec<String>>, spare: Option<SpareIndex>) -> Self {
        let (index, keys, rows_hint) = match spare {
            Some(spare) => (spare.index, spare.keys, spare.rows_hint),
            None => Default::default(),
        };
        TableBuffer {
            columns,
            index,
            keys,
            rows: Vec::with_capacity(rows_hint),
            approx_bytes: 0,
        }
    }

    /// Moves operations from `ops` into the buffer, compacting by key, until `ops` is empty
    /// or the buffer reaches a limit. Returns whether it did (the caller seals it).
    fn push_until_full(
        &mut self,
        hasher: &RandomState,
        limits: &BatchLimits,
        ops: &mut impl Iterator<Item = SinkOp>,
    ) -> bool {
        for op in ops {
            let size = approx_row_bytes(&op.values);
            let hash = hasher.hash_one(&op.key);
            let keys = &self.keys;
            match self.index.find(hash, |&i| keys[i] == op.key) {
                Some(&i) => {
                    let old = std::mem::replace(&mut self.rows[i], (op.op, op.values));
                    self.approx_bytes = self.approx_bytes + size - approx_row_bytes(&old.1);
                }
                None => {
                    self.index
                        .insert_unique(hash, self.rows.len(), |&i| hasher.hash_one(&keys[i]));
                    self.keys.push(op.key);
                    self.rows.push((op.op, op.values));
                    self.approx_bytes += size;
                }
            }
            if self.rows.len() >= limits.max_rows || self.approx_bytes >= limits.max_bytes {
                return true;
            }
        }
        false
    }
}

/// The batching state machine (see the module docs).
#[derive(Debug)]
pub struct Batcher {
    limits: BatchLimits,
    buffers: BTreeMap<TableId, TableBuffer>,
    /// When the oldest row still buffered was added.
    oldest_row_at: Option<Instant>,
    next_job_id: u64,
    /// The last transaction boundary seen, not yet turned into a candidate.
    pending_boundary: Option<Position>,
    /// Rows were added since the last boundary.
    in_transaction: bool,
    /// Indexes of sealed buffers, emptied, for the next buffers.
    spare_indexes: Vec<SpareIndex>,
    /// Hashes row keys for the indexes. foldhash: SipHash cost ~3% of the daemon's CPU here,
    /// and the per-process random seed keeps crafted keys from colliding on purpose.
    key_hasher: RandomState,
    /// A buffer was cut by size in this epoch (since the last full seal) or the one before:
    /// the source is delivering a backlog.
    size_cut_this_epoch: bool,
    size_cut_last_epoch: bool,
    /// When the source last delivered something (a row, a boundary) or was last seen busy.
    last_input_at: Option<Instant>,
}

impl Batcher {
    /// A batcher whose first job gets id `first_job_id`.
    pub fn new(limits: BatchLimits, first_job_id: u64) -> Self {
        Batcher {
            limits,
            buffers: BTreeMap::new(),
            oldest_row_at: None,
            next_job_id: first_job_id,
            pending_boundary: None,
            in_transaction: false,
            spare_indexes: Vec::new(),
            key_hasher: RandomState::default(),
            size_cut_this_epoch: false,
            size_cut_last_epoch: false,
            last_input_at: None,
        }
    }

    /// Id the next job will get.
    pub fn next_job_id(&self) -> u64 {
        self.next_job_id
    }

    /// Rows currently buffered (all tables).
    pub fn buffered_rows(&self) -> usize {
        self.buffers.values().map(|b| b.rows.len()).sum()
    }

    /// Adds one target operation for `target`, whose values follow `columns`.
    pub fn add(
        &mut self,
        target: &TableId,
        columns: &Arc<Vec<String>>,
        op: SinkOp,
        now: Instant,
        out: &mut Vec<Emitted>,
    ) {
        self.add_all(target, columns, std::iter::once(op), now, out);
    }

    /// Adds target operations for `target` in order, all with values following `columns` (one
    /// rows event's worth): the table's buffer is looked up once, not once per row.
    pub fn add_all(
        &mut self,
        target: &TableId,
        columns: &Arc<Vec<String>>,
        ops: impl IntoIterator<Item = SinkOp>,
        now: Instant,
        out: &mut Vec<Emitted>,
    ) {
        let mut ops = ops.into_iter().peekable();
        if ops.peek().is_none() {
            return;
        }
        self.in_transaction = true;
        self.oldest_row_at.get_or_insert(now);
        self.last_input_at = Some(now);
        let (hasher, limits) = (self.key_hasher.clone(), self.limits);
        while ops.peek().is_some() {
            let Some(buffer) = self.buffer_for(target, columns, out) else {
                return;
            };
            let full = buffer.push_until_full(&hasher, &limits, &mut ops);
            if full {
                self.size_cut_this_epoch = true;
                self.seal_table(target, out);
            }
        }
    }

    /// `target`'s buffer for rows with `columns`, made (reusing a spare index) if there is none.
    fn buffer_for(
        &mut self,
        target: &TableId,
        columns: &Arc<Vec<String>>,
        out: &mut Vec<Emitted>,
    ) -> Option<&mut TableBuffer> {
        let needs_new_buffer = match self.buffers.get(target) {
            Some(buffer) => !Arc::ptr_eq(&buffer.columns, columns) && buffer.columns != *columns,
            None => true,
        };
        if needs_new_buffer {
            // The column list changed (schema change): rows with different columns cannot share
            // a load, so what is buffered goes first.
            self.seal_table(target, out);
            let spare = self.take_spare(target);
            self.buffers
                .insert(target.clone(), TableBuffer::new(Arc::clone(columns), spare));
        }
        self.buffers.get_mut(target)
    }

    /// The spare index last used by `target`, else the largest one: a table's batches are
    /// alike in size, so its own index is already grown to fit (no rehashing as it fills).
    fn take_spare(&mut self, target: &TableId) -> Option<SpareIndex> {
        let at = self
            .spare_indexes
            .iter()
            .position(|spare| spare.table == *target)
            .or_else(|| {
                (0..self.spare_indexes.len()).max_by_key(|&i| self.spare_indexes[i].rows_hint)
            })?;
        Some(self.spare_indexes.swap_remove(at))
    }

    /// A transaction ended; `position` is just after it.
    pub fn commit(&mut self, position: Position, now: Instant, out: &mut Vec<Emitted>) {
        self.in_transaction = false;
        self.pending_boundary = Some(position);
        self.last_input_at = Some(now);
        if self.buffers.is_empty() || self.flush_due(now) {
            self.seal_all(out);
        }
    }

    /// The source is alive at `position` with nothing newer: a boundary unless a transaction is
    /// open (a heartbeat never splits a transaction's rows from its commit).
    pub fn heartbeat(&mut self, position: Position, now: Instant, out: &mut Vec<Emitted>) {
        if !self.in_transaction {
            self.commit(position, now, out);
        }
    }

    /// Time passed with no event: cut at the last boundary if the flush interval elapsed, or if
    /// a backlog ended (module docs). `source_quiet`: nothing is waiting to be read; when it is
    /// false the source is still busy and the quiet period starts again from `now`.
    pub fn tick(&mut self, now: Instant, source_quiet: bool, out: &mut Vec<Emitted>) {
        if self.in_transaction {
            return;
        }
        if self.flush_due(now) {
            self.seal_all(out);
        } else if self.backlog_quiet_due(now) {
            if source_quiet {
                self.seal_all(out);
                // The backlog is delivered: what follows is treated as live traffic again.
                self.size_cut_last_epoch = false;
            } else {
                self.last_input_at = Some(now);
            }
        }
    }

    /// A TRUNCATE of `target` (its own transaction) ending at `position`.
    pub fn truncate(&mut self, target: &TableId, position: Position, out: &mut Vec<Emitted>) {
        self.seal_table(target, out);
        let id = self.take_job_id();
        out.push(Emitted::Job(Job::Truncate {
            id,
            target: target.clone(),
        }));
        self.commit_boundary_now(position, out);
    }

    /// A boundary that must become a candidate now (DDL), sealing every buffer.
    pub fn commit_boundary_now(&mut self, position: Position, out: &mut Vec<Emitted>) {
        self.in_transaction = false;
        self.pending_boundary = Some(position);
        self.seal_all(out);
    }

    /// Seals every buffer (shutdown): rows after the last boundary are loaded too (replaying them
    /// later is harmless), and the candidate is the last boundary.
    pub fn finish(&mut self, out: &mut Vec<Emitted>) {
        self.seal_all(out);
    }

    /// When the next time-based flush can happen: only between transactions and only if rows are
    /// buffered. Inside a transaction there is none — a timer that fired there could not cut
    /// anything and would only spin the caller's loop.
    pub fn flush_deadline(&self) -> Option<Instant> {
        if self.in_transaction {
            return None;
        }
        let by_interval = self.oldest_row_at? + self.limits.flush_interval;
        Some(
            self.backlog_quiet_at()
                .map_or(by_interval, |quiet| quiet.min(by_interval)),
        )
    }

    fn flush_due(&self, now: Instant) -> bool {
        self.oldest_row_at
            .is_some_and(|t| now >= t + self.limits.flush_interval)
    }

    /// When the end of a backlog would be recognised, if rows are buffered after one.
    fn backlog_quiet_at(&self) -> Option<Instant> {
        let backlog = self.size_cut_this_epoch || self.size_cut_last_epoch;
        if !backlog || self.buffers.is_empty() {
            return None;
        }
        self.last_input_at.map(|t| t + QUIET_AFTER_BACKLOG)
    }

    fn backlog_quiet_due(&self, now: Instant) -> bool {
        self.backlog_quiet_at().is_some_and(|at| now >= at)
    }

    fn take_job_id(&mut self) -> u64 {
        let id = self.next_job_id;
        self.next_job_id += 1;
        id
    }

    fn seal_table(&mut self, target: &TableId, out: &mut Vec<Emitted>) {
        let Some(buffer) = self.buffers.remove(target) else {
            return;
        };
        let (mut index, mut keys) = (buffer.index, buffer.keys);
        index.clear();
        keys.clear();
        let spare = SpareIndex {
            table: target.clone(),
            index,
            keys,
            rows_hint: buffer.rows.len(),
        };
        // A table keeps one spare, its latest; beyond the bound the smallest goes.
        if let Some(at) = self.spare_indexes.iter().position(|s| s.table == *target) {
            self.spare_indexes[at] = spare;
        } else if self.spare_indexes.len() < MAX_SPARE_INDEXES {
            self.spare_indexes.push(spare);
        } else if let Some(smallest) = self
            .spare_indexes
            .iter_mut()
            .min_by_key(|kept| kept.rows_hint)
            .filter(|kept| kept.rows_hint < spare.rows_hint)
        {
            *smallest = spare;
        }
        if buffer.rows.is_empty() {
            return;
        }
        let id = self.take_job_id();
        out.push(Emitted::Job(Job::Load(LoadJob {
            id,
            target: target.clone(),
            columns: buffer.columns,
            rows: buffer.rows,
            approx_bytes: buffer.approx_bytes,
        })));
        if self.buffers.is_empty() {
            self.oldest_row_at = None;
        }
    }

    fn seal_all(&mut self, out: &mut Vec<Emitted>) {
        let targets: Vec<TableId> = self.buffers.keys().cloned().collect();
        for target in targets {
            self.seal_table(&target, out);
        }
        self.oldest_row_at = None;
        self.size_cut_last_epoch = std::mem::take(&mut self.size_cut_this_epoch);
        if let Some(position) = self.pending_boundary.take() {
            out.push(Emitted::Checkpoint {
                position,
                jobs_before: self.next_job_id,
            });
        }
    }
}

/// Rough in-memory size of a row, for the byte limit.
pub(crate) fn approx_row_bytes(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| match v {
            Value::Decimal(s) | Value::Text(s) | Value::Json(s) => s.len() + 4,
            Value::Bytes(b) => b.len() * 2 + 4,
            _ => 12,
        })
        .sum::<usize>()
        + 4
}

/// Decides which checkpoint candidates may be persisted as jobs finish.
///
/// Invariant: the position returned by [`CommitTracker::advance`] never passes a job that has not
/// succeeded, and positions come out in the order their candidates went in.
#[derive(Debug, Default)]
pub struct CommitTracker {
    outstanding: BTreeSet<u64>,
    candidates: VecDeque<(Position, u64, Option<u32>)>,
}

impl CommitTracker {
    /// A job was handed to a loader.
    pub fn job_started(&mut self, id: u64) {
        self.outstanding.insert(id);
    }

    /// A job succeeded.
    pub fn job_done(&mut self, id: u64) {
        self.outstanding.remove(&id);
    }

    /// A candidate from the batcher; `event_time` is the source timestamp of the transaction
    /// that ends there (None for heartbeats), used for the replication lag.
    pub fn candidate(&mut self, position: Position, jobs_before: u64, event_time: Option<u32>) {
        self.candidates
            .push_back((position, jobs_before, event_time));
    }

    /// Whether a candidate waits for its jobs or for [`Self::advance`].
    pub fn has_candidates(&self) -> bool {
        !self.candidates.is_empty()
    }

    /// Jobs not yet succeeded.
    pub fn outstanding_jobs(&self) -> usize {
        self.outstanding.len()
    }

    /// The newest candidate whose jobs all succeeded, if any became eligible since the last call,
    /// with its event time.
    pub fn advance(&mut self) -> Option<(Position, Option<u32>)> {
        let lowest_outstanding = self.outstanding.first().copied();
        let mut newest = None;
        while let Some((_, jobs_before, _)) = self.candidates.front() {
            let eligible = lowest_outstanding.is_none_or(|lowest| lowest >= *jobs_before);
            if !eligible {
                break;
            }
            newest = self
                .candidates
                .pop_front()
                .map(|(position, _, time)| (position, time));
        }
        newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_rows: usize) -> BatchLimits {
        BatchLimits {
            max_rows,
            max_bytes: 1 << 30,
            flush_interval: Duration::from_secs(1),
        }
    }

    fn pos(n: u64) -> Position {
        Position {
            file: "binlog.000001".into(),
            pos: n,
            gtid: None,
        }
    }

    fn op(key: i64, value: &str, kind: Op) -> SinkOp {
        SinkOp {
            op: kind,
            key: crate::mapper::key_bytes([&Value::Int(key)]),
            values: vec![Value::Int(key), Value::Text(value.into())],
        }
    }

    fn cols() -> Arc<Vec<String>> {
        Arc::new(vec!["id".into(), "v".into()])
    }

    fn jobs(out: &[Emitted]) -> Vec<&LoadJob> {
        out.iter()
            .filter_map(|e| match e {
                Emitted::Job(Job::Load(j)) => Some(j),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn compacts_by_key_last_op_wins() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(100), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        b.add(&t, &cols(), op(1, "a", Op::Upsert), now, &mut out);
        b.add(&t, &cols(), op(2, "b", Op::Upsert), now, &mut out);
        b.add(&t, &cols(), op(1, "c", Op::Upsert), now, &mut out);
        b.add(&t, &cols(), op(2, "b", Op::Delete), now, &mut out);
        b.commit(pos(10), now, &mut out);
        assert!(out.is_empty(), "not due yet");
        b.tick(now + Duration::from_secs(2), true, &mut out);
        let j = jobs(&out);
        assert_eq!(j.len(), 1);
        assert_eq!(
            j[0].rows,
            vec![
                (Op::Upsert, vec![Value::Int(1), Value::Text("c".into())]),
                (Op::Delete, vec![Value::Int(2), Value::Text("b".into())]),
            ]
        );
        assert_eq!(
            out.last(),
            Some(&Emitted::Checkpoint {
                position: pos(10),
                jobs_before: 1
            })
        );
    }

    #[test]
    fn big_transaction_is_cut_without_candidates_until_commit() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(3), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        for k in 0..10 {
            b.add(&t, &cols(), op(k, "x", Op::Upsert), now, &mut out);
        }
        assert_eq!(jobs(&out).len(), 3);
        assert!(out.iter().all(|e| matches!(e, Emitted::Job(_))));
        b.commit(pos(99), now + Duration::from_secs(5), &mut out);
        assert_eq!(jobs(&out).len(), 4);
        assert_eq!(
            out.last(),
            Some(&Emitted::Checkpoint {
                position: pos(99),
                jobs_before: 4
            })
        );
    }

    #[test]
    fn one_events_rows_are_cut_wherever_a_limit_is_reached() {
        let (t, u) = (TableId::new("d", "t"), TableId::new("d", "u"));
        let mut b = Batcher::new(limits(3), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        // Seven rows in one call: cuts after rows 3 and 6; key 1 comes back after the first cut
        // and is a new row of the second load, not a replacement in the sealed one.
        let keys = [1, 2, 3, 1, 5, 6, 7];
        b.add_all(
            &t,
            &cols(),
            keys.map(|k| op(k, "x", Op::Upsert)),
            now,
            &mut out,
        );
        let loads = jobs(&out);
        let loaded: Vec<Vec<Value>> = loads
            .iter()
            .map(|j| j.rows.iter().map(|(_, row)| row[0].clone()).collect())
            .collect();
        assert_eq!(
            loaded,
            vec![
                vec![Value::Int(1), Value::Int(2), Value::Int(3)],
                vec![Value::Int(1), Value::Int(5), Value::Int(6)],
            ]
        );
        assert_eq!(b.buffered_rows(), 1);
        b.add_all(
            &t,
            &cols(),
            [8, 9].map(|k| op(k, "x", Op::Upsert)),
            now,
            &mut out,
        );
        b.add_all(&t, &cols(), std::iter::empty(), now, &mut out);
        assert_eq!(b.buffered_rows(), 0, "rows 7, 8, 9 made the third load");
        assert_eq!(jobs(&out).len(), 3);
        // Spare indexes: a table without one of its own takes the largest; a table that has
        // one gets its own back.
        let spare_tables = |b: &Batcher| -> Vec<TableId> {
            b.spare_indexes.iter().map(|s| s.table.clone()).collect()
        };
        assert_eq!(spare_tables(&b), vec![t.clone()]);
        b.add_all(
            &u,
            &cols(),
            [1].map(|k| op(k, "y", Op::Upsert)),
            now,
            &mut out,
        );
        assert!(spare_tables(&b).is_empty(), "u took t's spare");
        b.add_all(
            &t,
            &cols(),
            [1, 2, 3].map(|k| op(k, "y", Op::Upsert)),
            now,
            &mut out,
        );
        b.add_all(
            &u,
            &cols(),
            [2, 3].map(|k| op(k, "y", Op::Upsert)),
            now,
            &mut out,
        );
        assert_eq!(spare_tables(&b), vec![t.clone(), u.clone()]);
        b.add_all(
            &u,
            &cols(),
            [4].map(|k| op(k, "y", Op::Upsert)),
            now,
            &mut out,
        );
        assert_eq!(spare_tables(&b), vec![t.clone()], "u got its own back");
        assert_eq!(jobs(&out).len(), 5);
    }

    #[test]
    fn idle_commits_advance_without_jobs() {
        let mut b = Batcher::new(limits(3), 7);
        let mut out = Vec::new();
        b.commit(pos(5), Instant::now(), &mut out);
        assert_eq!(
            out,
            vec![Emitted::Checkpoint {
                position: pos(5),
                jobs_before: 7
            }]
        );
    }

    #[test]
    fn tick_waits_for_the_transaction_boundary() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(100), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        b.commit(pos(1), now, &mut out);
        out.clear();
        b.add(&t, &cols(), op(1, "a", Op::Upsert), now, &mut out);
        assert_eq!(b.flush_deadline(), None, "no timer inside a transaction");
        b.tick(now + Duration::from_secs(5), true, &mut out);
        assert!(
            out.is_empty(),
            "inside a transaction nothing is cut by time"
        );
        b.commit(pos(2), now + Duration::from_secs(5), &mut out);
        assert_eq!(jobs(&out).len(), 1);
    }

    #[test]
    fn a_backlog_remainder_is_cut_once_the_source_is_quiet() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(3), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        for k in 0..4 {
            b.add(&t, &cols(), op(k, "x", Op::Upsert), now, &mut out);
        }
        b.commit(pos(10), now, &mut out);
        assert_eq!(jobs(&out).len(), 1, "cut by size; one row left");
        out.clear();
        let quiet = now + QUIET_AFTER_BACKLOG;
        assert_eq!(b.flush_deadline(), Some(quiet));
        // Events are still waiting: no cut, and the quiet period starts again.
        b.tick(quiet, false, &mut out);
        assert!(out.is_empty());
        assert_eq!(b.flush_deadline(), Some(quiet + QUIET_AFTER_BACKLOG));
        b.tick(quiet + QUIET_AFTER_BACKLOG, true, &mut out);
        assert_eq!(jobs(&out).len(), 1);
        assert_eq!(
            out.last(),
            Some(&Emitted::Checkpoint {
                position: pos(10),
                jobs_before: 2
            })
        );
        // After the backlog, a trickle waits for the flush interval again.
        out.clear();
        let later = quiet + Duration::from_secs(1);
        b.add(&t, &cols(), op(9, "y", Op::Upsert), later, &mut out);
        b.commit(pos(11), later, &mut out);
        assert_eq!(
            b.flush_deadline(),
            Some(later + Duration::from_secs(1)),
            "no size cut since: the flush interval applies"
        );
        b.tick(later + QUIET_AFTER_BACKLOG, true, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_trickle_is_never_cut_before_the_flush_interval() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(100), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        b.add(&t, &cols(), op(1, "a", Op::Upsert), now, &mut out);
        b.commit(pos(1), now, &mut out);
        assert_eq!(b.flush_deadline(), Some(now + Duration::from_secs(1)));
        b.tick(now + Duration::from_millis(500), true, &mut out);
        assert!(
            out.is_empty(),
            "quiet, but no backlog: wait for the interval"
        );
    }

    #[test]
    fn column_change_seals_the_old_buffer_first() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(100), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        b.add(&t, &cols(), op(1, "a", Op::Upsert), now, &mut out);
        let other = Arc::new(vec!["id".to_string()]);
        b.add(
            &t,
            &other,
            SinkOp {
                op: Op::Upsert,
                key: smallvec::smallvec![1],
                values: vec![Value::Int(1)],
            },
            now,
            &mut out,
        );
        assert_eq!(jobs(&out).len(), 1);
        assert_eq!(*jobs(&out)[0].columns, *cols());
    }

    #[test]
    fn truncate_follows_the_tables_rows() {
        let t = TableId::new("d", "t");
        let mut b = Batcher::new(limits(100), 0);
        let now = Instant::now();
        let mut out = Vec::new();
        b.add(&t, &cols(), op(1, "a", Op::Upsert), now, &mut out);
        b.commit(pos(1), now, &mut out);
        b.truncate(&t, pos(2), &mut out);
        assert!(matches!(out[0], Emitted::Job(Job::Load(ref j)) if j.id == 0));
        assert!(matches!(out[1], Emitted::Job(Job::Truncate { id: 1, .. })));
        assert_eq!(
            out[2],
            Emitted::Checkpoint {
                position: pos(2),
                jobs_before: 2
            }
        );
    }

    #[test]
    fn tracker_never_passes_an_unfinished_job() {
        let mut tracker = CommitTracker::default();
        tracker.job_started(0);
        tracker.job_started(1);
        tracker.candidate(pos(10), 1, Some(100));
        tracker.candidate(pos(20), 2, Some(200));
        assert_eq!(tracker.advance(), None);
        tracker.job_done(1);
        assert_eq!(tracker.advance(), None, "job 0 still runs");
        tracker.job_done(0);
        assert_eq!(tracker.advance(), Some((pos(20), Some(200))));
        assert_eq!(tracker.advance(), None);
        tracker.candidate(pos(30), 2, None);
        assert_eq!(tracker.advance(), Some((pos(30), None)));
    }
}
