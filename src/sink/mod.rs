//! The StarRocks side of the pipeline: batches of rows become labelled Stream Loads.
//!
//! `batcher` cuts per-table buffers (compacted by key) into load jobs and checkpoint candidates,
//! `encode` renders rows as a CSV or JSON body, `stream_load` sends it (307, retries with the
//! same label, FE failover), `outcome` decides what each StarRocks answer means, `label` checks
//! labels, and `dirty` keeps rejected batches under `strategy_on_error: batch_dirty_data`.

pub mod batcher;
mod clock_text;
pub mod dirty;
pub mod encode;
pub mod label;
pub mod loader;
pub mod outcome;
pub mod stream_load;

pub use encode::Op;
