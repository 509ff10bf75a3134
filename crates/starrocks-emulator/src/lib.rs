//! An in-memory StarRocks-compatible server for tests and the quick start.
//!
//! It follows the project's StarRocks reference (Stream Load on an FE port that redirects to a BE
//! port, the MySQL protocol on the query port, primary-key tables, labels, fault injection) and
//! rejects what StarRocks rejects.
//!
//! Entry point: [`start`] with an [`EmulatorConfig`] binds the FE HTTP port (Stream Load redirect,
//! `get_load_state`, `/_emulator/*` admin), the BE HTTP port (Stream Load execution, error logs)
//! and the query port, and returns a [`RunningEmulator`] (addresses, catalog, [`faults::Faults`],
//! load attempt log). The `starrocks-emulator` binary wraps the same call.

mod be_http;
pub mod catalog;
pub mod columns;
pub mod compression;
pub mod convert;
pub mod credentials;
pub mod csv;
pub mod error_log;
pub mod faults;
mod fe_http;
pub mod json_rows;
pub mod load_log;
pub mod query_server;
pub mod server;
pub mod sql;
mod state;
pub mod stream_load;

pub use server::{start, EmulatorConfig, RunningEmulator};
