//! The StarRocks side: batching, encoding and Stream Load.

pub mod batcher;
