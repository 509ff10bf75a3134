//! The StarRocks side of the pipeline: batches of rows become labelled Stream Loads.
//!
//! `encode` renders rows as a CSV or JSON body, `stream_load` sends it (307, retries with the
//! same label, FE failover), `outcome` decides what each StarRocks answer means, and `label`
//! checks labels.

pub mod encode;
pub mod label;
pub mod outcome;
pub mod stream_load;

pub use encode::Op;
