//! mysql2starrocks: replicates MySQL and MariaDB tables into StarRocks primary-key tables.
//!
//! Data flow: `source` (binlog reader, decode) → `mapper` (route, project by column name, `__op`)
//! → `sink::batcher` (per-table buffers compacted by key, epochs) → `sink::encode` +
//! `sink::stream_load` (Stream Load with labels and retries); `pipeline` wires the tasks and
//! advances the `checkpoint` (RocksDB) only past loads that succeeded. `config`, `admin`,
//! `metrics`, `status` and `logging` serve the operator.

pub mod admin;
pub mod change;
pub mod checkpoint;
pub mod config;
pub mod error;
pub mod logging;
pub mod mapper;
pub mod metrics;
pub mod pipeline;
pub mod position;
pub mod progress;
pub mod schema;
pub mod sink;
pub mod snapshot;
pub mod source;
pub mod status;
pub mod target;
pub mod value;
