//! How to reach the source server: address, credentials, replica identity, TLS and timeouts.
//!
//! `SourceSettings` is built by the configuration layer and turned into `mysql_async::Opts` here.
//! Invariant: the password never appears in `Debug` output, logs or errors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use mysql_async::{Opts, OptsBuilder, SslOpts};

/// TLS policy for connections to the source (the `source.tls` configuration key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain TCP. With MySQL 9.x `caching_sha2_password`, the password travels RSA-encrypted.
    Disable,
    /// TLS when the server offers it (certificate not verified), else plain TCP.
    #[default]
    Prefer,
    /// TLS required, certificate not verified.
    Require,
    /// TLS required, certificate chain verified against `tls_ca_file` (or the built-in roots),
    /// host name not checked.
    VerifyCa,
    /// TLS required, certificate chain and host name verified.
    VerifyIdentity,
}

impl TlsMode {
    /// The configuration spelling (`disable`, `prefer`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify_ca",
            TlsMode::VerifyIdentity => "verify_identity",
        }
    }
}

impl std::str::FromStr for TlsMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "disable" => Ok(TlsMode::Disable),
            "prefer" => Ok(TlsMode::Prefer),
            "require" => Ok(TlsMode::Require),
            "verify_ca" => Ok(TlsMode::VerifyCa),
            "verify_identity" => Ok(TlsMode::VerifyIdentity),
            other => Err(format!(
                "unknown TLS mode {other:?}: expected disable, prefer, require, verify_ca or \
                 verify_identity"
            )),
        }
    }
}

/// Default interval of the source's heartbeat events when the binlog is idle.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);
/// Default read timeout of the binlog connection (several heartbeats).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default timeout to open a connection (TCP, TLS and authentication).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything needed to open connections to the source server.
#[derive(Clone)]
pub struct SourceSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Never printed (see the `Debug` impl).
    pub password: String,
    /// This replica's server id, unique among the source's replicas.
    pub server_id: u32,
    pub tls: TlsMode,
    /// CA certificate (PEM) for `verify_ca` / `verify_identity`; the built-in roots otherwise.
    pub tls_ca_file: Option<PathBuf>,
    /// How often the source sends a heartbeat event while the binlog is idle.
    pub heartbeat: Duration,
    /// A binlog read that waits longer than this is a dead connection (transient error).
    /// Must be longer than `heartbeat`.
    pub read_timeout: Duration,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
}

impl SourceSettings {
    /// Settings with the default TLS mode and timeouts.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        password: impl Into<String>,
        server_id: u32,
    ) -> Self {
        SourceSettings {
            host: host.into(),
            port,
            user: user.into(),
            password: password.into(),
            server_id,
            tls: TlsMode::default(),
            tls_ca_file: None,
            heartbeat: DEFAULT_HEARTBEAT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Connection options for `mysql_async`, with TLS per `self.tls` (`prefer` means TLS here;
    /// `connect::open` falls back to plain TCP when the server has no TLS).
    ///
    /// Every session uses `time_zone = '+00:00'` (TIMESTAMP values are read as UTC instants) and
    /// `utf8mb4`.
    pub fn opts(&self) -> Opts {
        self.opts_with_tls(self.ssl_opts())
    }

    /// Options for plain TCP (the `prefer` fallback).
    pub(crate) fn opts_without_tls(&self) -> Opts {
        self.opts_with_tls(None)
    }

    fn opts_with_tls(&self, ssl: Option<SslOpts>) -> Opts {
        OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .prefer_socket(false)
            .tcp_nodelay(true)
            .tcp_keepalive(Some(Duration::from_secs(30)))
            .stmt_cache_size(0)
            .init(vec!["SET time_zone = '+00:00'", "SET NAMES utf8mb4"])
            .ssl_opts(ssl)
            .into()
    }

    fn ssl_opts(&self) -> Option<SslOpts> {
        match self.tls {
            TlsMode::Disable => None,
            TlsMode::Prefer | TlsMode::Require => Some(
                SslOpts::default()
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
            ),
            TlsMode::VerifyCa => Some(
                SslOpts::default()
                    .with_root_certs(self.tls_ca_file.iter().map(|p| p.clone().into()).collect())
                    .with_danger_skip_domain_validation(true),
            ),
            TlsMode::VerifyIdentity => Some(
                SslOpts::default()
                    .with_root_certs(self.tls_ca_file.iter().map(|p| p.clone().into()).collect()),
            ),
        }
    }
}

impl fmt::Debug for SourceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("server_id", &self.server_id)
            .field("tls", &self.tls)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("heartbeat", &self.heartbeat)
            .field("read_timeout", &self.read_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_password() {
        let settings = SourceSettings::new("127.0.0.1", 3306, "repl", "s3cr3t-pw", 5401);
        let text = format!("{settings:?}");
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn tls_modes_parse_and_print() {
        for mode in [
            TlsMode::Disable,
            TlsMode::Prefer,
            TlsMode::Require,
            TlsMode::VerifyCa,
            TlsMode::VerifyIdentity,
        ] {
            assert_eq!(mode.as_str().parse::<TlsMode>().unwrap(), mode);
        }
        assert!("yes".parse::<TlsMode>().is_err());
    }
}
