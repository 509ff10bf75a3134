//! mysql2starrocks: replicates MySQL and MariaDB tables into StarRocks primary-key tables.
//!
//! The replication core arrives with issue #3; this crate currently holds the command-line entry
//! point only.

pub mod change;
pub mod error;
pub mod position;
pub mod schema;
pub mod source;
pub mod value;
