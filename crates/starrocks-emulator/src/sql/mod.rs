//! The SQL side of the FE query port: a hand-written tokenizer and parser for the StarRocks
//! statement subset the daemon and its tests send, statement execution against the in-memory
//! [`Catalog`](crate::catalog::Catalog), and the rendering of types and values the way StarRocks
//! shows them over the MySQL protocol.
//!
//! Invariants:
//! - Nothing in this module panics on client input: every malformed statement becomes a
//!   [`SqlError`] with a MySQL error code and a StarRocks-like message.
//! - Execution takes the catalog lock only for the duration of one statement and never across an
//!   `.await` (execution is synchronous).
//!
//! What it does not do: expressions beyond simple comparisons, joins, aggregation other than
//! `COUNT(*)`, DML (`INSERT`/`UPDATE`/`DELETE`; data arrives through Stream Load).

mod types;

pub use types::{parse_column_type, render_value, render_value_bytes};
