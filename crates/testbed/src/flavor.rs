//! Which MySQL-family server a [`crate::SourceServer`] runs.
//!
//! The flavor decides the binaries, the data-directory template and the client options (MySQL 9.7
//! is reached over TLS with `caching_sha2_password`; MariaDB 10.11 over plain TCP with
//! `mysql_native_password`).

use std::fmt;

/// A MySQL-family server flavor the test bed can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// MariaDB 10.11 from the host's Debian packages.
    MariaDb,
    /// Oracle MySQL 9.7 from the Debian sid packages, unpacked into the cache.
    MySql,
}

impl Flavor {
    /// The `--flavor` argument of `scripts/source-server.sh` and the template name.
    pub fn script_name(self) -> &'static str {
        match self {
            Self::MariaDb => "mariadb",
            Self::MySql => "mysql",
        }
    }

    /// Both flavors, for tests that run against each.
    pub const ALL: [Flavor; 2] = [Flavor::MariaDb, Flavor::MySql];
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MariaDb => "MariaDB 10.11",
            Self::MySql => "MySQL 9.7",
        })
    }
}
