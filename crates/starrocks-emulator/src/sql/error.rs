//! The error a statement answers with: a MySQL error code and a StarRocks-like message.

use std::fmt;

/// MySQL error codes the query port uses (the subset StarRocks answers with).
pub mod code {
    /// `ER_DB_CREATE_EXISTS`: `Can't create database 'x'; database exists`.
    pub const DB_CREATE_EXISTS: u16 = 1007;
    /// `ER_DB_DROP_EXISTS`: `Can't drop database 'x'; database doesn't exist`.
    pub const DB_DROP_EXISTS: u16 = 1008;
    /// `ER_NO_DB_ERROR`: `No database selected`.
    pub const NO_DB: u16 = 1046;
    /// `ER_BAD_DB_ERROR`: `Unknown database 'x'`.
    pub const BAD_DB: u16 = 1049;
    /// `ER_TABLE_EXISTS_ERROR`: `Table 'x' already exists`.
    pub const TABLE_EXISTS: u16 = 1050;
    /// `ER_BAD_TABLE_ERROR`: `Unknown table 'x'`.
    pub const BAD_TABLE: u16 = 1051;
    /// `ER_BAD_FIELD_ERROR`: `Unknown column 'x'`.
    pub const BAD_FIELD: u16 = 1054;
    /// `ER_DUP_FIELDNAME`: `Duplicate column name 'x'`.
    pub const DUP_FIELD: u16 = 1060;
    /// `ER_PARSE_ERROR`: syntax and analysis errors (StarRocks answers most errors with 1064).
    pub const PARSE: u16 = 1064;
    /// `ER_EMPTY_QUERY`: `Query was empty`.
    pub const EMPTY_QUERY: u16 = 1065;
    /// `ER_NO_SUCH_TABLE`: `Table 'x' doesn't exist` / unknown table in a query.
    pub const NO_SUCH_TABLE: u16 = 1146;
    /// `ER_UNKNOWN_SYSTEM_VARIABLE`: `Unknown system variable 'x'`.
    pub const UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;
    /// `ER_NOT_SUPPORTED_YET`.
    pub const NOT_SUPPORTED: u16 = 1235;
}

/// A statement failure as sent to the client in an error packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// MySQL error code.
    pub code: u16,
    /// Message text, e.g. `Getting analyzing error. Detail message: Unknown database 'x'.`.
    pub message: String,
}

impl SqlError {
    /// An error with an exact message.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        SqlError {
            code,
            message: message.into(),
        }
    }

    /// A StarRocks semantic (analyzer) error: `Getting analyzing error. Detail message: <detail>.`
    /// with error code 1064.
    pub fn analysis(detail: impl AsRef<str>) -> Self {
        Self::analysis_with_code(code::PARSE, detail)
    }

    /// A StarRocks semantic error carrying a specific MySQL error code.
    pub fn analysis_with_code(code: u16, detail: impl AsRef<str>) -> Self {
        SqlError {
            code,
            message: format!(
                "Getting analyzing error. Detail message: {}.",
                detail.as_ref()
            ),
        }
    }

    /// A StarRocks syntax error at a (1-based) line and (0-based) column.
    pub fn syntax(line: usize, column: usize, detail: impl AsRef<str>) -> Self {
        SqlError {
            code: code::PARSE,
            message: format!(
                "Getting syntax error at line {line}, column {column}. Detail message: {}.",
                detail.as_ref()
            ),
        }
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}) {}", self.code, self.message)
    }
}

impl std::error::Error for SqlError {}
