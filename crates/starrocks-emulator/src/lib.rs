//! An in-memory StarRocks-compatible server for tests and the quick start.
//!
//! It follows the project's StarRocks reference (Stream Load on an FE port that redirects to a BE
//! port, the MySQL protocol on the query port, primary-key tables, labels, fault injection) and
//! rejects what StarRocks rejects.

pub mod catalog;
pub mod credentials;
pub mod query_server;
pub mod sql;
