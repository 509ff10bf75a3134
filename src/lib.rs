//! mysql2starrocks: replicates MySQL and MariaDB tables into StarRocks primary-key tables.
//!
//! The replication core arrives with issue #3; this crate currently holds the command-line entry
//! point only.

pub mod admin;
pub mod change;
pub mod checkpoint;
pub mod config;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod position;
pub mod schema;
pub mod status;
pub mod value;
pub mod mapper;
pub mod sink;
