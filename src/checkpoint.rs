//! The checkpoint store: durable replication progress in a RocksDB directory (`state_dir`).
//!
//! What it holds (keys are versioned; values are JSON objects with `"v": 1`):
//! - `v1/position`: the source position just after the last transaction whose rows are all
//!   loaded (file:pos and the GTID state), with the time it was saved;
//! - `v1/source_identity`: the source's `server_uuid` and flavor, to refuse a different server;
//! - `v1/label_seq`: the high-water mark of handed-out epoch numbers (see [`CheckpointStore::next_epoch`]);
//! - `v1/snapshot/<db>.<table>`: per-table snapshot progress ([`SnapshotState`]);
//! - `v1/snapshot_start`: the source position recorded before the first snapshot read anything
//!   (streaming starts there once every table is copied, when there is no position yet);
//! - `v1/meta/first_start_done`: set once `target.pre_sql` has run;
//! - `v1/in_flight/<label>`: a Stream Load that was (or was about to be) sent and is not known
//!   to have ended ([`InFlightLoad`]). A new run settles each before it loads anything, so an old
//!   load can never commit after a newer load of the same keys.
//!
//! Invariants:
//! - Durable on return: every write is a `WriteBatch` with `sync = true`, so a kill -9 (or a power
//!   loss) right after [`CheckpointStore::save`] returns keeps it, and related keys change together.
//!   The one exception is forgetting an in-flight load ([`CheckpointStore::clear_in_flight`]): a
//!   lost delete only makes the next start look the label up once more.
//! - One writer per directory: RocksDB's `LOCK` file. A second [`CheckpointStore::open`] fails
//!   with a definite error. [`CheckpointStore::open_read_only`] takes no lock (for `status`
//!   while the daemon runs) and sees everything saved before it opened.
//! - Epoch numbers never repeat, even across crashes and `reset` (labels derived from them must
//!   not collide with labels StarRocks still remembers); they may skip.
//! - A value written by a newer format version is refused, never misread.
//!
//! The caller guarantees the position never moves backward (the commit tracker only saves the
//! end of an epoch once it and all earlier epochs are loaded).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocksdb::{Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::position::{GtidSet, GtidState, MariaGtidList, Position};
use crate::schema::TableId;

const KEY_POSITION: &[u8] = b"v1/position";
const KEY_SOURCE_IDENTITY: &[u8] = b"v1/source_identity";
const KEY_LABEL_SEQ: &[u8] = b"v1/label_seq";
const KEY_FIRST_START_DONE: &[u8] = b"v1/meta/first_start_done";
const KEY_SNAPSHOT_START: &[u8] = b"v1/snapshot_start";
const PREFIX_SNAPSHOT: &str = "v1/snapshot/";
const PREFIX_IN_FLIGHT: &str = "v1/in_flight/";
/// The only value format this version reads and writes.
const FORMAT_VERSION: u32 = 1;
/// Epoch numbers reserved per durable write of `v1/label_seq`.
const EPOCH_BLOCK: u64 = 1024;

/// Which server family the source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFlavor {
    /// Oracle MySQL.
    MySql,
    /// MariaDB.
    MariaDb,
}

/// The source server the checkpoint belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceIdentity {
    /// `@@server_uuid` (MySQL) or `@@server_id`-based identity text (MariaDB).
    pub server_uuid: String,
    /// Server family.
    pub flavor: SourceFlavor,
}

/// Snapshot progress of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SnapshotState {
    /// Not started (or reset): the whole table must be copied.
    Pending,
    /// Being copied: the table is cut into splits (ranges of one integer column, or a single
    /// split for the whole table), each copied in key order and resumed after its last loaded
    /// row. The splits are fixed when the copy starts, so a restart resumes the same ranges.
    Copying {
        /// The splits, in order.
        splits: Vec<SplitProgress>,
        /// Rows copied so far (all splits).
        rows_copied: u64,
    },
    /// Fully copied.
    Done {
        /// Rows copied in total.
        rows_copied: u64,
    },
}

/// One split of a table being copied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitProgress {
    /// Inclusive lower bound of the split column, as decimal text (`None`: unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Exclusive upper bound of the split column, as decimal text (`None`: unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The key of the last loaded row: each key column's value as the server printed it,
    /// hex-encoded. `None` before the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_key: Option<Vec<String>>,
    /// Whether every row of the split is loaded.
    #[serde(default)]
    pub done: bool,
    /// Rows copied in this split.
    #[serde(default)]
    pub rows_copied: u64,
}

impl SnapshotState {
    /// A short name: `pending`, `copying`, `done`.
    pub fn name(&self) -> &'static str {
        match self {
            SnapshotState::Pending => "pending",
            SnapshotState::Copying { .. } => "copying",
            SnapshotState::Done { .. } => "done",
        }
    }
}

/// Keys to change together in one synced write. Unset fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointUpdate {
    /// New replication position.
    pub position: Option<Position>,
    /// The source server the position belongs to.
    pub source_identity: Option<SourceIdentity>,
    /// Snapshot progress of some tables.
    pub snapshot_states: Vec<(TableId, SnapshotState)>,
    /// Record that `pre_sql` has run.
    pub first_start_done: bool,
    /// The position recorded before the snapshot started reading.
    pub snapshot_start: Option<Position>,
}

/// A saved position with the time it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPosition {
    /// The position.
    pub position: Position,
    /// When it was saved (wall clock of the writer).
    pub saved_at: SystemTime,
}

/// Everything in the store, for `status` and `reset`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointSummary {
    /// Last saved position.
    pub position: Option<SavedPosition>,
    /// Source server identity.
    pub source_identity: Option<SourceIdentity>,
    /// Snapshot progress per table.
    pub snapshot_states: BTreeMap<TableId, SnapshotState>,
    /// Whether `pre_sql` has run.
    pub first_start_done: bool,
    /// The next epoch number a writer would hand out.
    pub next_epoch: u64,
}

/// A load that may still be running in StarRocks: its database and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightLoad {
    pub db: String,
    pub label: String,
}

/// The RocksDB checkpoint store of one state directory.
pub struct CheckpointStore {
    db: DB,
    dir: PathBuf,
    read_only: bool,
    /// `(next epoch to hand out, first epoch not yet durably reserved)`.
    epochs: Mutex<(u64, u64)>,
}

impl std::fmt::Debug for CheckpointStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointStore")
            .field("dir", &self.dir)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl CheckpointStore {
    /// Opens (creating if needed) the store in `dir` for reading and writing. Fails with a
    /// definite error if another process (or another handle in this one) has it open.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|error| {
            Error::definite(format!(
                "cannot create state dir {}: {error}",
                dir.display()
            ))
            .with_hint("check state_dir and the permissions of its parent directory")
        })?;
        let mut options = Options::default();
        options.create_if_missing(true);
        // Why: the store holds a few small keys; keep RocksDB's own files small too.
        options.set_keep_log_file_num(3);
        options.set_max_log_file_size(1 << 20);
        options.set_max_total_wal_size(16 << 20);
        let db = DB::open(&options, dir).map_err(|error| open_error(dir, error))?;
        let store = CheckpointStore {
            db,
            dir: dir.to_owned(),
            read_only: false,
            epochs: Mutex::new((1, 1)),
        };
        let next = store.read_label_seq()?;
        *store.lock_epochs() = (next, next);
        Ok(store)
    }

    /// Opens the store in `dir` read-only, without taking its lock: works while a daemon owns
    /// it, and sees what was saved before this call. `Ok(None)` when `dir` holds no store.
    pub fn open_read_only(dir: &Path) -> Result<Option<Self>> {
        if !dir.join("CURRENT").exists() {
            return Ok(None);
        }
        let db = DB::open_for_read_only(&Options::default(), dir, false)
            .map_err(|error| open_error(dir, error))?;
        let store = CheckpointStore {
            db,
            dir: dir.to_owned(),
            read_only: true,
            epochs: Mutex::new((1, 1)),
        };
        let next = store.read_label_seq()?;
        *store.lock_epochs() = (next, next);
        Ok(Some(store))
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last saved position, if any.
    pub fn load_position(&self) -> Result<Option<Position>> {
        Ok(self.load_saved_position()?.map(|saved| saved.position))
    }

    /// The last saved position and when it was saved.
    pub fn load_saved_position(&self) -> Result<Option<SavedPosition>> {
        let Some(record) = self.get::<PositionRecord>(KEY_POSITION)? else {
            return Ok(None);
        };
        let saved_at = UNIX_EPOCH + Duration::from_millis(record.saved_at_ms);
        Ok(Some(SavedPosition {
            position: record.position.into_position(),
            saved_at,
        }))
    }

    /// The position recorded before the snapshot started reading, if any.
    pub fn snapshot_start(&self) -> Result<Option<Position>> {
        Ok(self
            .get::<PositionRecord>(KEY_SNAPSHOT_START)?
            .map(|record| record.position.into_position()))
    }

    /// When the snapshot's start position was recorded, if it was.
    pub fn snapshot_start_saved_at(&self) -> Result<Option<SystemTime>> {
        Ok(self
            .get::<PositionRecord>(KEY_SNAPSHOT_START)?
            .map(|record| UNIX_EPOCH + Duration::from_millis(record.saved_at_ms)))
    }

    /// The source server the checkpoint belongs to, if recorded.
    pub fn source_identity(&self) -> Result<Option<SourceIdentity>> {
        Ok(self
            .get::<IdentityRecord>(KEY_SOURCE_IDENTITY)?
            .map(|r| r.identity))
    }

    /// Whether `pre_sql` has already run.
    pub fn first_start_done(&self) -> Result<bool> {
        Ok(self.get::<FlagRecord>(KEY_FIRST_START_DONE)?.is_some())
    }

    /// Snapshot progress of `table` (`Pending` when never recorded).
    pub fn snapshot_state(&self, table: &TableId) -> Result<SnapshotState> {
        Ok(self
            .get::<SnapshotRecord>(snapshot_key(table).as_bytes())?
            .map_or(SnapshotState::Pending, |record| record.snapshot))
    }

    /// Snapshot progress of every table that has some.
    pub fn snapshot_states(&self) -> Result<BTreeMap<TableId, SnapshotState>> {
        let mut states = BTreeMap::new();
        let prefix = PREFIX_SNAPSHOT.as_bytes();
        for item in self
            .db
            .iterator(IteratorMode::From(prefix, Direction::Forward))
        {
            let (key, value) = item.map_err(|error| self.read_error("snapshot states", error))?;
            if !key.starts_with(prefix) {
                break;
            }
            let record: SnapshotRecord = decode(&key, &value, &self.dir)?;
            states.insert(TableId::new(record.db, record.table), record.snapshot);
        }
        Ok(states)
    }

    /// Everything in the store.
    pub fn summary(&self) -> Result<CheckpointSummary> {
        Ok(CheckpointSummary {
            position: self.load_saved_position()?,
            source_identity: self.source_identity()?,
            snapshot_states: self.snapshot_states()?,
            first_start_done: self.first_start_done()?,
            next_epoch: self.lock_epochs().0,
        })
    }

    /// Writes the fields of `update` that are set, together, durably.
    pub fn save(&self, update: &CheckpointUpdate) -> Result<()> {
        let mut batch = WriteBatch::default();
        if let Some(position) = &update.position {
            let record = PositionRecord {
                v: FORMAT_VERSION,
                position: PositionJson::from_position(position),
                saved_at_ms: unix_millis(SystemTime::now()),
            };
            batch.put(KEY_POSITION, encode(&record)?);
        }
        if let Some(identity) = &update.source_identity {
            let record = IdentityRecord {
                v: FORMAT_VERSION,
                identity: identity.clone(),
            };
            batch.put(KEY_SOURCE_IDENTITY, encode(&record)?);
        }
        for (table, state) in &update.snapshot_states {
            batch.put(snapshot_key(table), encode(&snapshot_record(table, state))?);
        }
        if let Some(position) = &update.snapshot_start {
            let record = PositionRecord {
                v: FORMAT_VERSION,
                position: PositionJson::from_position(position),
                saved_at_ms: unix_millis(SystemTime::now()),
            };
            batch.put(KEY_SNAPSHOT_START, encode(&record)?);
        }
        if update.first_start_done {
            let record = FlagRecord {
                v: FORMAT_VERSION,
                at_ms: unix_millis(SystemTime::now()),
            };
            batch.put(KEY_FIRST_START_DONE, encode(&record)?);
        }
        self.write(batch, "checkpoint")
    }

    /// Records the snapshot progress of one table, durably.
    pub fn set_snapshot_state(&self, table: &TableId, state: &SnapshotState) -> Result<()> {
        self.save(&CheckpointUpdate {
            snapshot_states: vec![(table.clone(), state.clone())],
            ..CheckpointUpdate::default()
        })
    }

    /// Records that `pre_sql` has run, durably.
    pub fn mark_first_start_done(&self) -> Result<()> {
        self.save(&CheckpointUpdate {
            first_start_done: true,
            ..CheckpointUpdate::default()
        })
    }

    /// A new epoch number, never handed out before by any process using this directory.
    /// Numbers are reserved durably in blocks, so this writes to disk once per block.
    pub fn next_epoch(&self) -> Result<u64> {
        let mut epochs = self.lock_epochs();
        let (next, reserved_end) = *epochs;
        if next >= reserved_end {
            let new_end = next + EPOCH_BLOCK;
            let mut batch = WriteBatch::default();
            batch.put(
                KEY_LABEL_SEQ,
                encode(&LabelSeqRecord {
                    v: FORMAT_VERSION,
                    next: new_end,
                })?,
            );
            self.write(batch, "epoch reservation")?;
            epochs.1 = new_end;
        }
        epochs.0 = next + 1;
        Ok(next)
    }

    /// Records, durably, that a load under `load.label` is about to be sent.
    pub fn record_in_flight(&self, load: &InFlightLoad) -> Result<()> {
        let mut batch = WriteBatch::default();
        let record = InFlightRecord {
            v: FORMAT_VERSION,
            load: load.clone(),
        };
        batch.put(in_flight_key(&load.label), encode(&record)?);
        self.write(batch, "in-flight load")
    }

    /// Forgets an in-flight load whose outcome is known. Not synced (see the module doc).
    pub fn clear_in_flight(&self, label: &str) -> Result<()> {
        let mut batch = WriteBatch::default();
        batch.delete(in_flight_key(label));
        self.write_with(batch, "in-flight load", false)
    }

    /// Every recorded in-flight load.
    pub fn in_flight_loads(&self) -> Result<Vec<InFlightLoad>> {
        let prefix = PREFIX_IN_FLIGHT.as_bytes();
        let mut loads = Vec::new();
        for item in self
            .db
            .iterator(IteratorMode::From(prefix, Direction::Forward))
        {
            let (key, value) = item.map_err(|error| self.read_error("in-flight loads", error))?;
            if !key.starts_with(prefix) {
                break;
            }
            let record: InFlightRecord = decode(&key, &value, &self.dir)?;
            loads.push(record.load);
        }
        Ok(loads)
    }

    /// Forgets the position, the source identity, every table's snapshot state and the
    /// first-start flag (`reset`). Epoch numbering continues.
    pub fn clear_all(&self) -> Result<()> {
        let mut batch = WriteBatch::default();
        batch.delete(KEY_POSITION);
        batch.delete(KEY_SOURCE_IDENTITY);
        batch.delete(KEY_FIRST_START_DONE);
        batch.delete(KEY_SNAPSHOT_START);
        for table in self.snapshot_states()?.keys() {
            batch.delete(snapshot_key(table));
        }
        self.write(batch, "reset")
    }

    /// Forgets the snapshot state of one table, so it is copied again on the next start.
    pub fn clear_table(&self, table: &TableId) -> Result<()> {
        let mut batch = WriteBatch::default();
        batch.delete(snapshot_key(table));
        self.write(batch, "reset of one table")
    }

    fn write(&self, batch: WriteBatch, what: &str) -> Result<()> {
        self.write_with(batch, what, true)
    }

    fn write_with(&self, batch: WriteBatch, what: &str, sync: bool) -> Result<()> {
        if self.read_only {
            return Err(Error::definite(format!(
                "internal: {what} write on the read-only state dir {}",
                self.dir.display()
            )));
        }
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        self.db.write_opt(batch, &options).map_err(|error| {
            Error::transient(format!(
                "cannot write the {what} to state dir {}: {error}",
                self.dir.display()
            ))
            .with_hint("check free space and permissions of state_dir")
        })
    }

    fn get<T: for<'de> Deserialize<'de> + Versioned>(&self, key: &[u8]) -> Result<Option<T>> {
        let value = self
            .db
            .get_pinned(key)
            .map_err(|error| self.read_error(&String::from_utf8_lossy(key), error))?;
        value
            .map(|value| decode(key, &value, &self.dir))
            .transpose()
    }

    fn read_label_seq(&self) -> Result<u64> {
        Ok(self
            .get::<LabelSeqRecord>(KEY_LABEL_SEQ)?
            .map_or(1, |record| record.next.max(1)))
    }

    fn lock_epochs(&self) -> std::sync::MutexGuard<'_, (u64, u64)> {
        // Why: the guarded pair is always consistent (updated in one assignment each), so a
        // panic elsewhere while holding the lock cannot leave it half-written.
        self.epochs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read_error(&self, what: &str, error: rocksdb::Error) -> Error {
        Error::transient(format!(
            "cannot read {what} from state dir {}: {error}",
            self.dir.display()
        ))
    }
}

fn open_error(dir: &Path, error: rocksdb::Error) -> Error {
    let message = error.into_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("lock") && (lower.contains("/lock") || lower.contains("lock hold")) {
        return Error::definite(format!(
            "state dir {} is in use by another mysql2starrocks process",
            dir.display()
        ))
        .with_hint(
            "stop the other process, or give this one its own state_dir (one process per \
             source and state directory)",
        );
    }
    Error::definite(format!(
        "cannot open the checkpoint store in {}: {message}",
        dir.display()
    ))
    .with_hint("check that state_dir is a mysql2starrocks state directory and is writable")
}

/// Key of a table's snapshot state: `v1/snapshot/<db>.<table>`, with `%`, `.` and `/` in the
/// names percent-encoded so the key maps back to exactly one table.
fn snapshot_key(table: &TableId) -> String {
    format!(
        "{PREFIX_SNAPSHOT}{}.{}",
        escape_name(&table.db),
        escape_name(&table.table)
    )
}

/// Key of an in-flight load: labels are `[-\w]` only, so the label is the key's tail.
fn in_flight_key(label: &str) -> String {
    format!("{PREFIX_IN_FLIGHT}{label}")
}

fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            '.' => out.push_str("%2E"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Records carry their format version.
trait Versioned {
    fn version(&self) -> u32;
}

fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|error| {
        Error::definite(format!(
            "internal: cannot encode a checkpoint record: {error}"
        ))
    })
}

fn decode<T: for<'de> Deserialize<'de> + Versioned>(
    key: &[u8],
    value: &[u8],
    dir: &Path,
) -> Result<T> {
    let key = String::from_utf8_lossy(key);
    // Check the version first, so a newer format is reported as such and not as garbage.
    let version = serde_json::from_slice::<VersionOnly>(value)
        .map(|v| v.v)
        .map_err(|error| {
            Error::definite(format!(
                "state dir {}: key {key} holds an unreadable value: {error}",
                dir.display()
            ))
            .with_hint("the store is damaged; `mysql2starrocks reset` starts over")
        })?;
    if version != FORMAT_VERSION {
        return Err(Error::definite(format!(
            "state dir {}: key {key} has format version {version}, this program reads {FORMAT_VERSION}",
            dir.display()
        ))
        .with_hint("run the mysql2starrocks version that wrote it, or reset the state dir"));
    }
    let record: T = serde_json::from_slice(value).map_err(|error| {
        Error::definite(format!(
            "state dir {}: key {key} holds an unreadable value: {error}",
            dir.display()
        ))
        .with_hint("the store is damaged; `mysql2starrocks reset` starts over")
    })?;
    debug_assert_eq!(record.version(), FORMAT_VERSION);
    Ok(record)
}

#[derive(Debug, Deserialize)]
struct VersionOnly {
    v: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct PositionRecord {
    v: u32,
    #[serde(flatten)]
    position: PositionJson,
    saved_at_ms: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct IdentityRecord {
    v: u32,
    #[serde(flatten)]
    identity: SourceIdentity,
}

#[derive(Debug, Serialize, Deserialize)]
struct LabelSeqRecord {
    v: u32,
    /// Every epoch number below this may have been handed out.
    next: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct FlagRecord {
    v: u32,
    at_ms: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct SnapshotRecord {
    v: u32,
    db: String,
    table: String,
    #[serde(flatten)]
    snapshot: SnapshotState,
}

fn snapshot_record(table: &TableId, state: &SnapshotState) -> SnapshotRecord {
    SnapshotRecord {
        v: FORMAT_VERSION,
        db: table.db.clone(),
        table: table.table.clone(),
        snapshot: state.clone(),
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct InFlightRecord {
    v: u32,
    #[serde(flatten)]
    load: InFlightLoad,
}

macro_rules! versioned {
    ($($record:ty),*) => {
        $(impl Versioned for $record {
            fn version(&self) -> u32 {
                self.v
            }
        })*
    };
}
versioned!(
    PositionRecord,
    IdentityRecord,
    LabelSeqRecord,
    FlagRecord,
    SnapshotRecord,
    InFlightRecord
);

/// The stored (and `status --json`) form of a [`Position`]: explicit JSON, independent of the
/// in-memory types' layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionJson {
    /// Binlog file.
    pub file: String,
    /// Offset in `file`.
    pub pos: u64,
    /// GTID state, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtid: Option<GtidJson>,
}

/// Stored form of a [`GtidState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GtidJson {
    /// MySQL GTID set: per (uuid, tag), half-open intervals `[start, end)`.
    MySql(Vec<SidJson>),
    /// MariaDB GTID list: per domain, the last GTID.
    MariaDb(Vec<DomainJson>),
}

/// One source id of a MySQL GTID set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidJson {
    /// Lower-case UUID.
    pub uuid: String,
    /// Tag (MySQL 8.3+), empty when none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// Half-open `[start, end)` transaction-number intervals.
    pub intervals: Vec<(u64, u64)>,
}

/// One domain of a MariaDB GTID list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainJson {
    /// Replication domain.
    pub domain: u32,
    /// Server id of the last GTID.
    pub server: u32,
    /// Sequence number of the last GTID.
    pub seq: u64,
}

impl PositionJson {
    /// From the in-memory position.
    pub fn from_position(position: &Position) -> Self {
        let gtid = position.gtid.as_ref().map(|gtid| match gtid {
            GtidState::MySql(set) => GtidJson::MySql(
                set.sids
                    .iter()
                    .map(|((uuid, tag), intervals)| SidJson {
                        uuid: uuid.clone(),
                        tag: tag.clone(),
                        intervals: intervals.clone(),
                    })
                    .collect(),
            ),
            GtidState::MariaDb(list) => GtidJson::MariaDb(
                list.domains
                    .iter()
                    .map(|(&domain, &(server, seq))| DomainJson {
                        domain,
                        server,
                        seq,
                    })
                    .collect(),
            ),
        });
        PositionJson {
            file: position.file.clone(),
            pos: position.pos,
            gtid,
        }
    }

    /// Back to the in-memory position.
    pub fn into_position(self) -> Position {
        let gtid = self.gtid.map(|gtid| match gtid {
            GtidJson::MySql(sids) => GtidState::MySql(GtidSet {
                sids: sids
                    .into_iter()
                    .map(|sid| ((sid.uuid, sid.tag), sid.intervals))
                    .collect(),
            }),
            GtidJson::MariaDb(domains) => GtidState::MariaDb(MariaGtidList {
                domains: domains
                    .into_iter()
                    .map(|d| (d.domain, (d.server, d.seq)))
                    .collect(),
            }),
        });
        Position {
            file: self.file,
            pos: self.pos,
            gtid,
        }
    }

    /// The GTID state as text in the server's own notation (`uuid:1-5:7`, `0-1-100,1-2-7`), or
    /// `None` without GTIDs.
    pub fn gtid_text(&self) -> Option<String> {
        Some(match self.gtid.as_ref()? {
            GtidJson::MySql(sids) => sids
                .iter()
                .map(|sid| {
                    let mut text = sid.uuid.clone();
                    if !sid.tag.is_empty() {
                        text.push(':');
                        text.push_str(&sid.tag);
                    }
                    for &(start, end) in &sid.intervals {
                        if end == start + 1 {
                            text.push_str(&format!(":{start}"));
                        } else {
                            text.push_str(&format!(":{start}-{}", end.saturating_sub(1)));
                        }
                    }
                    text
                })
                .collect::<Vec<_>>()
                .join(","),
            GtidJson::MariaDb(domains) => domains
                .iter()
                .map(|d| format!("{}-{}-{}", d.domain, d.server, d.seq))
                .collect::<Vec<_>>()
                .join(","),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_keys_are_unambiguous() {
        let a = snapshot_key(&TableId::new("a.b", "c"));
        let b = snapshot_key(&TableId::new("a", "b.c"));
        assert_ne!(a, b);
        assert_eq!(a, "v1/snapshot/a%2Eb.c");
        assert_eq!(
            snapshot_key(&TableId::new("shop", "orders")),
            "v1/snapshot/shop.orders"
        );
    }

    #[test]
    fn position_json_round_trips_and_prints_gtids() {
        let mut set = GtidSet::default();
        set.sids.insert(
            ("3e11fa47-71ca-11e1-9e33-c80aa9429562".into(), String::new()),
            vec![(1, 6), (7, 8)],
        );
        set.sids.insert(
            ("3e11fa47-71ca-11e1-9e33-c80aa9429562".into(), "tag".into()),
            vec![(1, 3)],
        );
        let position = Position {
            file: "binlog.000003".into(),
            pos: 4711,
            gtid: Some(GtidState::MySql(set)),
        };
        let json = PositionJson::from_position(&position);
        assert_eq!(
            json.gtid_text().unwrap(),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,3e11fa47-71ca-11e1-9e33-c80aa9429562:tag:1-2"
        );
        let text = serde_json::to_string(&json).unwrap();
        let back: PositionJson = serde_json::from_str(&text).unwrap();
        assert_eq!(back.into_position(), position);

        let mut list = MariaGtidList::default();
        list.domains.insert(0, (1, 100));
        list.domains.insert(1, (2, 7));
        let position = Position {
            file: "mariadb-bin.000001".into(),
            pos: 4,
            gtid: Some(GtidState::MariaDb(list)),
        };
        let json = PositionJson::from_position(&position);
        assert_eq!(json.gtid_text().unwrap(), "0-1-100,1-2-7");
        let back: PositionJson =
            serde_json::from_str(&serde_json::to_string(&json).unwrap()).unwrap();
        assert_eq!(back.into_position(), position);
    }

    #[test]
    fn snapshot_state_json_shape() {
        let state = SnapshotState::Copying {
            splits: vec![SplitProgress {
                from: None,
                to: Some("100".into()),
                after_key: Some(vec!["3432".into(), "61".into()]),
                done: false,
                rows_copied: 9,
            }],
            rows_copied: 9,
        };
        let record = snapshot_record(&TableId::new("shop", "orders"), &state);
        let text = String::from_utf8(encode(&record).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"v":1,"db":"shop","table":"orders","state":"copying","splits":[{"to":"100","after_key":["3432","61"],"done":false,"rows_copied":9}],"rows_copied":9}"#
        );
    }

    #[test]
    fn newer_versions_are_refused() {
        let error = decode::<FlagRecord>(
            b"v1/meta/first_start_done",
            br#"{"v":2,"at_ms":1}"#,
            Path::new("/s"),
        )
        .unwrap_err();
        assert!(error.message.contains("format version 2"), "{error}");
        let error = decode::<FlagRecord>(b"k", b"garbage", Path::new("/s")).unwrap_err();
        assert!(error.message.contains("unreadable"), "{error}");
    }
}
