//! Test support: real MySQL-family source servers for tests.
