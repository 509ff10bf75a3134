//! Opening connections to the source and classifying `mysql_async` errors.
//!
//! Every source connection (preflight, metadata, snapshot, binlog) is opened by [`open`], which
//! applies the connect timeout and the `prefer` TLS fallback. [`classify`] turns a driver error
//! into the daemon's [`Error`]: server errors that retrying cannot fix (access denied, purged
//! binlog, unknown table) are definite; network and server-availability errors are transient.
//! Invariant: the password never appears in an error message (the driver never prints it, and
//! messages here only name the address and the user).

use mysql_async::{Conn, DriverError};

use crate::error::Error;
use crate::source::settings::{SourceSettings, TlsMode};

/// MySQL server error codes the daemon reacts to.
pub(crate) mod code {
    /// `ER_DBACCESS_DENIED_ERROR`.
    pub const DB_ACCESS_DENIED: u16 = 1044;
    /// `ER_ACCESS_DENIED_ERROR`: wrong user or password.
    pub const ACCESS_DENIED: u16 = 1045;
    /// `ER_TABLEACCESS_DENIED_ERROR`.
    pub const TABLE_ACCESS_DENIED: u16 = 1142;
    /// `ER_NO_SUCH_TABLE`.
    pub const NO_SUCH_TABLE: u16 = 1146;
    /// `ER_SPECIFIC_ACCESS_DENIED_ERROR`: a missing global privilege.
    pub const SPECIFIC_ACCESS_DENIED: u16 = 1227;
    /// `ER_MASTER_FATAL_ERROR_READING_BINLOG` (purged binlog, unknown GTID, bad position).
    pub const FATAL_ERROR_READING_BINLOG: u16 = 1236;
    /// `ER_UNKNOWN_SYSTEM_VARIABLE`.
    pub const UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;
    /// `ER_PARSE_ERROR`.
    pub const PARSE_ERROR: u16 = 1064;
    /// `ER_ACCESS_DENIED_NO_PASSWORD_ERROR`.
    pub const ACCESS_DENIED_NO_PASSWORD: u16 = 1698;
    /// `ER_NO_DB_ERROR`-family and `ER_BAD_DB_ERROR`: unknown database.
    pub const BAD_DB: u16 = 1049;
}

/// Opens a connection to the source within `settings.connect_timeout`.
///
/// With `tls: prefer`, a server without TLS support is retried over plain TCP.
pub async fn open(settings: &SourceSettings) -> Result<Conn, Error> {
    match open_with(settings, settings.opts()).await {
        Err(OpenError::NoTlsOnServer) if settings.tls == TlsMode::Prefer => {
            match open_with(settings, settings.opts_without_tls()).await {
                Ok(conn) => Ok(conn),
                Err(OpenError::NoTlsOnServer) => Err(no_tls_error(settings)),
                Err(OpenError::Other(error)) => Err(error),
            }
        }
        Err(OpenError::NoTlsOnServer) => Err(no_tls_error(settings)),
        Err(OpenError::Other(error)) => Err(error),
        Ok(conn) => Ok(conn),
    }
}

enum OpenError {
    NoTlsOnServer,
    Other(Error),
}

async fn open_with(settings: &SourceSettings, opts: mysql_async::Opts) -> Result<Conn, OpenError> {
    let address = settings.address();
    match tokio::time::timeout(settings.connect_timeout, Conn::new(opts)).await {
        Err(_elapsed) => Err(OpenError::Other(Error::transient(format!(
            "connecting to the source {address} as {:?} timed out after {:?}",
            settings.user, settings.connect_timeout
        )))),
        Ok(Err(mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer))) => {
            Err(OpenError::NoTlsOnServer)
        }
        Ok(Err(error)) => Err(OpenError::Other(classify(error).context(format!(
            "connecting to the source {address} as {:?}",
            settings.user
        )))),
        Ok(Ok(conn)) => Ok(conn),
    }
}

fn no_tls_error(settings: &SourceSettings) -> Error {
    Error::definite(format!(
        "the source {} does not offer TLS but source.tls is {}",
        settings.address(),
        settings.tls.as_str()
    ))
    .with_hint("enable TLS on the server, or set source.tls to prefer or disable")
}

/// Classifies a `mysql_async` error as transient or definite, with a hint where one helps.
pub fn classify(error: mysql_async::Error) -> Error {
    match error {
        mysql_async::Error::Server(server) => {
            let message = format!(
                "server error {} ({}): {}",
                server.code, server.state, server.message
            );
            match server.code {
                code::ACCESS_DENIED | code::ACCESS_DENIED_NO_PASSWORD => {
                    Error::definite(message).with_hint("check source.user and source.password")
                }
                code::DB_ACCESS_DENIED
                | code::TABLE_ACCESS_DENIED
                | code::SPECIFIC_ACCESS_DENIED => Error::definite(message).with_hint(
                    "grant the replication user REPLICATION SLAVE, REPLICATION CLIENT and \
                         SELECT on the replicated tables",
                ),
                code::FATAL_ERROR_READING_BINLOG => Error::definite(message).with_hint(
                    "the binlog position is no longer on the source (purged, or never existed): \
                     re-snapshot (reset the state directory) or restore the binlogs",
                ),
                code::NO_SUCH_TABLE
                | code::BAD_DB
                | code::PARSE_ERROR
                | code::UNKNOWN_SYSTEM_VARIABLE => Error::definite(message),
                _ => Error::transient(message),
            }
        }
        mysql_async::Error::Io(io) => Error::transient(format!("network error: {io}")),
        mysql_async::Error::Driver(driver) => match driver {
            DriverError::UnknownAuthPlugin { .. }
            | DriverError::MysqlOldPasswordDisabled
            | DriverError::CleartextPluginDisabled
            | DriverError::NoKeyFound => Error::definite(format!(
                "authentication failed: {driver}"
            ))
            .with_hint("the server asks for an authentication method this client cannot use"),
            other => Error::transient(format!("driver error: {other}")),
        },
        mysql_async::Error::Url(url) => Error::definite(format!("bad connection options: {url}")),
        mysql_async::Error::Other(other) => Error::transient(format!("error: {other}")),
    }
}
