//! Source table schemas: the column list (names, MySQL types, signedness, charset, ENUM/SET labels)
//! and the primary key of each replicated table.
//!
//! Schemas come from the binlog's TABLE_MAP optional metadata when `binlog_row_metadata=FULL`, or
//! from `information_schema`, and are refreshed on DDL. Invariant: rows are always decoded against
//! a schema whose column count and types match the TABLE_MAP that announced them; a mismatch is
//! refreshed, and if still inconsistent it is a definite error — never a shift of values into the
//! wrong columns.

use std::fmt;

/// A source or target table name: `db.table`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    pub db: String,
    pub table: String,
}

impl TableId {
    /// `TableId` from its two parts.
    pub fn new(db: impl Into<String>, table: impl Into<String>) -> Self {
        TableId {
            db: db.into(),
            table: table.into(),
        }
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.db, self.table)
    }
}

/// A MySQL column type, with what decoding and the StarRocks type mapping need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MySqlType {
    TinyInt,
    SmallInt,
    MediumInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// CHAR(n), n in characters.
    Char {
        length: u32,
    },
    /// VARCHAR(n), n in characters.
    VarChar {
        length: u32,
    },
    /// TINYTEXT/TEXT/MEDIUMTEXT/LONGTEXT.
    Text,
    /// BINARY(n), n in bytes (the binlog drops trailing 0x00 bytes: re-pad to n).
    Binary {
        length: u32,
    },
    /// VARBINARY(n).
    VarBinary {
        length: u32,
    },
    /// TINYBLOB..LONGBLOB.
    Blob,
    Date,
    DateTime {
        fsp: u8,
    },
    Timestamp {
        fsp: u8,
    },
    Time {
        fsp: u8,
    },
    Year,
    /// BIT(n), 1..=64.
    Bit {
        width: u8,
    },
    Enum {
        labels: Vec<String>,
    },
    Set {
        labels: Vec<String>,
    },
    Json,
    /// GEOMETRY and its subtypes.
    Geometry,
    /// MySQL 9 VECTOR(n).
    Vector {
        dimensions: u32,
    },
}

impl MySqlType {
    /// TINYINT … BIGINT (not YEAR, BIT or DECIMAL).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            MySqlType::TinyInt
                | MySqlType::SmallInt
                | MySqlType::MediumInt
                | MySqlType::Int
                | MySqlType::BigInt
        )
    }
}

/// One source column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSchema {
    pub name: String,
    pub ty: MySqlType,
    /// Integer signedness (only meaningful for integer types).
    pub unsigned: bool,
    pub nullable: bool,
    /// Character set of text columns (`utf8mb4`, `latin1`, ...); `None` for non-text columns.
    pub charset: Option<String>,
}

/// The schema of one source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub id: TableId,
    pub columns: Vec<ColumnSchema>,
    /// Indexes into `columns` of the primary key (or the NOT NULL unique key used instead), in key
    /// order. Never empty for a replicated table.
    pub key: Vec<usize>,
}

impl TableSchema {
    /// The index of the column named `name` (exact match).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Names of the key columns, in key order.
    pub fn key_names(&self) -> Vec<&str> {
        self.key
            .iter()
            .filter_map(|&i| self.columns.get(i))
            .map(|c| c.name.as_str())
            .collect()
    }
}
