//! Command-line entry point of the `mysql2starrocks` daemon.

fn main() {
    println!("mysql2starrocks {}", env!("CARGO_PKG_VERSION"));
}
