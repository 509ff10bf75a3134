//! The emulator's in-memory catalog: databases, tables (schema + rows) and load labels.
//!
//! Invariants:
//! - Database and table names are case-sensitive, as in StarRocks with default settings.
//! - A primary-key table holds at most one row per key; its key columns come first and are
//!   NOT NULL.
//! - Every stored value has already been converted to its column's type (see `Value`).
//! - Labels are unique per database; only an `Aborted` label may be reused.

use std::collections::{BTreeMap, HashMap};

use smallvec::SmallVec;

/// A StarRocks column type, as far as the daemon maps MySQL types to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    LargeInt,
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// Length in bytes.
    Char(u32),
    /// Length in bytes.
    Varchar(u32),
    /// `STRING` = VARCHAR(65533) by default in StarRocks (1048576 max with config).
    String,
    /// `VARBINARY[(n)]`, n in bytes.
    Varbinary(Option<u32>),
    Date,
    Datetime,
    Json,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    pub default: Option<String>,
    pub comment: Option<String>,
}

/// The table model (`KEYS` type) of a StarRocks table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysModel {
    PrimaryKeys,
    DuplicateKeys,
    UniqueKeys,
    AggregateKeys,
}

/// A typed value stored in a table. Ordering is total so key tuples can be `BTreeMap` keys.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum Value {
    Null,
    Bool(bool),
    /// TINYINT..LARGEINT.
    Int(i128),
    Float(f64),
    /// Canonical decimal text with exactly the column's scale, e.g. `-1.50`.
    Decimal(String),
    Text(String),
    Bytes(Vec<u8>),
    /// DATE as `YYYY-MM-DD`.
    Date(String),
    /// DATETIME as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    Datetime(String),
    /// JSON in its canonical text form.
    Json(String),
}

/// Table schema and contents.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub model: KeysModel,
    /// Key columns (PRIMARY KEY / DUPLICATE KEY / ...), in declared order.
    pub key_columns: Vec<String>,
    pub distributed_by: Vec<String>,
    pub buckets: Option<u32>,
    pub properties: BTreeMap<String, String>,
    pub rows: Rows,
}

/// Row storage. Primary-key tables are keyed by their key tuple (a hash map: loads of hundreds
/// of thousands of rows spent most of their apply time walking a B-tree; readers sort by key,
/// see [`Table::row_list`]); other models keep insertion order.
#[derive(Debug, Clone)]
pub enum Rows {
    Keyed(HashMap<RowKey, Vec<Value>, foldhash::fast::RandomState>),
    Appended(Vec<Vec<Value>>),
}

/// A key tuple with a total order (floats are never key columns in StarRocks). A one-column key
/// is held inline (no allocation per loaded row).
#[derive(Debug, Clone, PartialEq)]
pub struct RowKey(pub SmallVec<[Value; 1]>);

impl Eq for RowKey {}

impl std::hash::Hash for RowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for value in &self.0 {
            std::mem::discriminant(value).hash(state);
            match value {
                Value::Null => {}
                Value::Bool(b) => b.hash(state),
                Value::Int(i) => i.hash(state),
                // Invariant: equal keys hash alike; -0.0 == 0.0 so both hash as 0.0.
                Value::Float(f) => (if *f == 0.0 { 0.0f64 } else { *f }).to_bits().hash(state),
                Value::Decimal(t)
                | Value::Text(t)
                | Value::Date(t)
                | Value::Datetime(t)
                | Value::Json(t) => t.hash(state),
                Value::Bytes(b) => b.hash(state),
            }
        }
    }
}

impl PartialOrd for RowKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RowKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .partial_cmp(&other.0)
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

/// State of a load transaction as `get_load_state` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelState {
    Prepare,
    Prepared,
    Committed,
    Visible,
    Aborted,
}

/// A recorded load label.
#[derive(Debug, Clone)]
pub struct LabelRecord {
    pub txn_id: i64,
    pub state: LabelState,
    pub reason: Option<String>,
}

/// A database: tables and the labels of loads into it.
#[derive(Debug, Clone, Default)]
pub struct Database {
    pub tables: BTreeMap<String, Table>,
    pub labels: BTreeMap<String, LabelRecord>,
}

/// The whole catalog. Shared as `Arc<std::sync::Mutex<Catalog>>`; never hold the lock across an
/// `.await`.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub databases: BTreeMap<String, Database>,
    pub next_txn_id: i64,
}

impl Column {
    /// A column without default or comment.
    pub fn new(name: impl Into<String>, ty: ColumnType, nullable: bool) -> Self {
        Self {
            name: name.into(),
            ty,
            nullable,
            default: None,
            comment: None,
        }
    }
}

impl Table {
    /// A new, empty table. Primary-key tables store rows keyed by `key_columns`; the other models
    /// append. `distributed_by` defaults to the key columns.
    pub fn new(
        name: impl Into<String>,
        columns: Vec<Column>,
        model: KeysModel,
        key_columns: Vec<String>,
    ) -> Self {
        let rows = match model {
            KeysModel::PrimaryKeys => Rows::Keyed(HashMap::default()),
            KeysModel::DuplicateKeys | KeysModel::UniqueKeys | KeysModel::AggregateKeys => {
                Rows::Appended(Vec::new())
            }
        };
        Self {
            name: name.into(),
            distributed_by: key_columns.clone(),
            columns,
            model,
            key_columns,
            buckets: None,
            properties: BTreeMap::new(),
            rows,
        }
    }

    /// Position of the column named `name` (case-insensitive, as StarRocks column names are).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The stored rows in a stable order: key order for keyed tables, insertion order otherwise.
    pub fn row_list(&self) -> Vec<Vec<Value>> {
        match &self.rows {
            Rows::Keyed(map) => {
                let mut entries: Vec<(&RowKey, &Vec<Value>)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                entries.into_iter().map(|(_, row)| row.clone()).collect()
            }
            Rows::Appended(rows) => rows.clone(),
        }
    }

    /// Number of stored rows.
    pub fn row_count(&self) -> usize {
        match &self.rows {
            Rows::Keyed(map) => map.len(),
            Rows::Appended(rows) => rows.len(),
        }
    }
}

impl LabelState {
    /// The name `get_load_state` reports (`PREPARE`, `VISIBLE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            LabelState::Prepare => "PREPARE",
            LabelState::Prepared => "PREPARED",
            LabelState::Committed => "COMMITTED",
            LabelState::Visible => "VISIBLE",
            LabelState::Aborted => "ABORTED",
        }
    }

    /// `ExistingJobStatus` of a `Label Already Exists` answer for a label in this state.
    pub fn existing_job_status(self) -> &'static str {
        match self {
            LabelState::Prepare => "RUNNING",
            LabelState::Prepared => "PREPARED",
            LabelState::Committed | LabelState::Visible => "FINISHED",
            LabelState::Aborted => "ABORTED",
        }
    }
}

impl Catalog {
    /// Creates database `name` if it does not exist.
    pub fn create_database(&mut self, name: &str) {
        self.databases.entry(name.to_string()).or_default();
    }

    /// Creates (or replaces) `table` in database `db`, creating the database if needed.
    pub fn put_table(&mut self, db: &str, table: Table) {
        self.databases
            .entry(db.to_string())
            .or_default()
            .tables
            .insert(table.name.clone(), table);
    }

    /// The table `db`.`table`, if both exist.
    pub fn table(&self, db: &str, table: &str) -> Option<&Table> {
        self.databases.get(db)?.tables.get(table)
    }

    /// Allocates the next transaction id (ids start at 1 and only grow).
    pub fn allocate_txn_id(&mut self) -> i64 {
        self.next_txn_id += 1;
        self.next_txn_id
    }
}
