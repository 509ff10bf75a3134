//! Test support for mysql2starrocks: real MySQL-family source servers for integration tests.
//!
//! The crate starts real MariaDB 10.11 and Oracle MySQL 9.7 servers (see
//! `scripts/provision-sources.sh` and `scripts/source-server.sh`), each on a free loopback port
//! with its own temporary data directory and row-based binary log, and gives tests ready-made
//! `mysql_async` connection options for the `admin` and `repl` users. Servers are stopped and
//! their directories removed when the [`SourceServer`] is dropped, also when a test panics.
//!
//! Invariants:
//! * Nothing here skips a test: a server that cannot be provisioned or started is a
//!   [`TestbedError`] carrying the reason (the script output and the server's error-log tail).
//! * Every server listens on 127.0.0.1 only and is owned by exactly one [`SourceServer`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), testbed::TestbedError> {
//! use testbed::{Flavor, SourceServer};
//! let server = SourceServer::start(Flavor::MySql).await?;
//! let opts = server.create_database("t1").await?; // admin options with `t1` selected
//! let mut conn = mysql_async::Conn::new(opts).await?;
//! # drop(conn); Ok(()) }
//! ```
#![warn(missing_docs)]

mod error;
mod flavor;
mod provision;
mod source;
mod wait;

pub use error::TestbedError;
pub use flavor::Flavor;
pub use provision::{cache_dir, ensure_provisioned, scripts_dir};
pub use source::{SourceServer, ADMIN_PASSWORD, ADMIN_USER, REPL_PASSWORD, REPL_USER};
pub use wait::{wait_for, wait_until};
