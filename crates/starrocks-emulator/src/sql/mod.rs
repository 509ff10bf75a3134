//! The SQL side of the FE query port: a hand-written tokenizer and parser for the StarRocks
//! statement subset the daemon and its tests send, statement execution against the in-memory
//! [`Catalog`](crate::catalog::Catalog), and the rendering of types and values the way StarRocks
//! shows them over the MySQL protocol.
//!
//! Layout: `lexer` (tokens) → `parser` (→ `ast`) → `exec` (statement dispatch and `SELECT`),
//! with `ddl` (CREATE/DROP/ALTER/TRUNCATE rules, `SHOW CREATE TABLE`), `information_schema`
//! (virtual views) and `types` (type names, limits, value rendering).
//!
//! Supported statements: `CREATE/DROP DATABASE`, `CREATE/DROP/TRUNCATE TABLE`,
//! `ALTER TABLE ADD/DROP COLUMN`, `SHOW DATABASES`, `SHOW TABLES`, `SHOW CREATE TABLE`,
//! `SHOW ALTER TABLE COLUMN`, `USE`, `SET ...` (ignored), `BEGIN/COMMIT/ROLLBACK` (no-ops) and
//! single-table `SELECT` (user tables and `information_schema.{SCHEMATA, TABLES, COLUMNS,
//! tables_config}`, session functions and `@@variables`).
//!
//! Invariants:
//! - Nothing in this module panics on client input: every malformed or unsupported statement
//!   becomes a [`SqlError`] with a MySQL error code and a StarRocks-like message.
//! - Execution takes the catalog lock only for the duration of one statement and never across an
//!   `.await` (execution is synchronous).
//!
//! What it does not do: joins, GROUP BY, aggregates other than `COUNT`, DML (`INSERT`/`UPDATE`/
//! `DELETE`: data arrives through Stream Load), partitions, asynchronous schema-change jobs.

mod ast;
mod ddl;
mod error;
mod exec;
mod information_schema;
mod lexer;
mod parser;
mod types;

pub use error::{code, SqlError};
pub use exec::{execute, execute_on, use_database, QueryOutput, ResultColumn, ResultSet, Session};
pub use types::{parse_column_type, render_value, render_value_bytes};

/// The StarRocks version the emulator reports from `current_version()` and `@@version_comment`.
pub const STARROCKS_VERSION: &str = "3.3.5-emulator";

/// The MySQL server version the FE announces (StarRocks' `mysql_server_version` default), also
/// returned by `version()` and `@@version`.
pub const MYSQL_SERVER_VERSION: &str = "8.0.33";
