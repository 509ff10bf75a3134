//! `starrocks-emulator` binary.

fn main() {}
