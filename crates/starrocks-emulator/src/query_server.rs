//! The FE query port (StarRocks' `query_port`, 9030): a MySQL-protocol server over the catalog.
//!
//! One Tokio task per connection. Each connection authenticates the configured user with
//! `mysql_native_password` (as the StarRocks FE does; an empty password is an empty auth
//! response), keeps a session (the current database set by `USE` or the handshake), and answers
//! text-protocol queries through [`crate::sql`]. Prepared statements are answered with an error.
//!
//! Invariants:
//! - The catalog's std `Mutex` is only locked inside synchronous statement execution, never
//!   across an `.await`.
//! - Client input never panics the server: a statement that cannot be parsed or executed becomes
//!   a MySQL error packet and the connection stays usable.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use opensrv_mysql::{
    AsyncMysqlIntermediary, AsyncMysqlShim, Column as WireColumn, ColumnFlags,
    ColumnType as WireType, ErrorKind, InitWriter, OkResponse, ParamParser, QueryResultWriter,
    StatementMetaWriter,
};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWrite;
use tokio::net::TcpListener;

use crate::catalog::{Catalog, ColumnType};
use crate::credentials::Credentials;
use crate::sql::{self, QueryOutput, ResultSet, Session, SqlError};

/// Source of connection ids (and salt for the per-connection scramble).
static NEXT_CONNECTION_ID: AtomicU32 = AtomicU32::new(1);

/// Accepts MySQL-protocol connections on `listener` forever, serving each on its own task.
///
/// Returns only if accepting fails with an error that is not per-connection.
pub async fn run_query_server(
    listener: TcpListener,
    catalog: Arc<Mutex<Catalog>>,
    credentials: Credentials,
) -> io::Result<()> {
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Why: a connection that fails between SYN and accept must not stop the server.
            Err(e) if is_per_connection_error(&e) => continue,
            Err(e) => return Err(e),
        };
        // Why: the protocol writes a result set in several small writes; with Nagle's algorithm
        // each reply then waits for the client's delayed ACK (about 40 ms per query).
        let _ = stream.set_nodelay(true);
        let connection = QueryConnection::new(Arc::clone(&catalog), credentials.clone());
        tokio::spawn(async move {
            let (reader, writer) = stream.into_split();
            // A failed connection (client gone, bad handshake, wrong password) only ends itself.
            let _ = AsyncMysqlIntermediary::run_on(connection, reader, writer).await;
        });
    }
}

fn is_per_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The state of one client connection.
struct QueryConnection {
    catalog: Arc<Mutex<Catalog>>,
    credentials: Credentials,
    /// The scramble sent in the handshake; `salt()` must return the same bytes every time.
    scramble: [u8; 20],
    /// Current database, user and connection id.
    session: Session,
}

impl QueryConnection {
    fn new(catalog: Arc<Mutex<Catalog>>, credentials: Credentials) -> Self {
        let connection_id = NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed);
        let session = Session {
            current_database: None,
            connection_id,
            user: credentials.user.clone(),
        };
        QueryConnection {
            catalog,
            credentials,
            scramble: make_scramble(connection_id),
            session,
        }
    }
}

/// A per-connection scramble of printable bytes other than `$` (as MySQL servers make them).
fn make_scramble(connection_id: u32) -> [u8; 20] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = Sha1::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(connection_id.to_le_bytes());
    let digest = hasher.finalize();
    let mut scramble = [0u8; 20];
    for (out, b) in scramble.iter_mut().zip(digest.iter()) {
        let c = b % 94 + 33;
        *out = if c == b'$' { b'%' } else { c };
    }
    scramble
}

/// Checks a `mysql_native_password` response: `SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))`;
/// an empty password is an empty response.
fn native_password_matches(password: &str, scramble: &[u8], auth_response: &[u8]) -> bool {
    if password.is_empty() {
        return auth_response.is_empty();
    }
    if auth_response.len() != 20 {
        return false;
    }
    let stage1 = Sha1::digest(password.as_bytes());
    let stage2 = Sha1::digest(stage1);
    let mut hasher = Sha1::new();
    hasher.update(scramble);
    hasher.update(stage2);
    let mask = hasher.finalize();
    stage1
        .iter()
        .zip(mask.iter())
        .zip(auth_response.iter())
        .all(|((s, m), r)| s ^ m == *r)
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for QueryConnection {
    type Error = io::Error;

    fn version(&self) -> String {
        sql::MYSQL_SERVER_VERSION.to_string()
    }

    fn connect_id(&self) -> u32 {
        self.session.connection_id
    }

    fn salt(&self) -> [u8; 20] {
        self.scramble
    }

    async fn authenticate(
        &self,
        _auth_plugin: &str,
        username: &[u8],
        salt: &[u8],
        auth_data: &[u8],
    ) -> bool {
        username == self.credentials.user.as_bytes()
            && native_password_matches(&self.credentials.password, salt, auth_data)
    }

    async fn on_prepare<'a>(
        &'a mut self,
        _query: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> io::Result<()> {
        info.error(
            ErrorKind::ER_NOT_SUPPORTED_YET,
            b"Prepared statements are not supported by the emulator",
        )
        .await
    }

    async fn on_execute<'a>(
        &'a mut self,
        _id: u32,
        _params: ParamParser<'a>,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        results
            .error(
                ErrorKind::ER_UNKNOWN_STMT_HANDLER,
                b"Prepared statements are not supported by the emulator",
            )
            .await
    }

    async fn on_close<'a>(&'a mut self, _stmt: u32)
    where
        W: 'async_trait,
    {
    }

    async fn on_query<'a>(
        &'a mut self,
        query: &'a str,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        // Synchronous: the catalog lock is taken and released inside `execute`.
        let outcome = sql::execute(&mut self.session, &self.catalog, query);
        match outcome {
            Ok(QueryOutput::Ok { affected_rows }) => {
                results
                    .completed(OkResponse {
                        affected_rows,
                        ..OkResponse::default()
                    })
                    .await
            }
            Ok(QueryOutput::Rows(result_set)) => write_result_set(results, &result_set).await,
            Err(error) => write_error(results, &error).await,
        }
    }

    async fn on_init<'a>(
        &'a mut self,
        database: &'a str,
        writer: InitWriter<'a, W>,
    ) -> io::Result<()> {
        let outcome = {
            let catalog = self
                .catalog
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            sql::use_database(&mut self.session, &catalog, database)
        };
        match outcome {
            Ok(()) => writer.ok().await,
            Err(error) => {
                writer
                    .error(ErrorKind::from(error.code), error.message.as_bytes())
                    .await
            }
        }
    }
}

async fn write_error<W: AsyncWrite + Send + Unpin>(
    results: QueryResultWriter<'_, W>,
    error: &SqlError,
) -> io::Result<()> {
    results
        .error(ErrorKind::from(error.code), error.message.as_bytes())
        .await
}

/// The MySQL column type a StarRocks type is announced as.
fn wire_type(ty: &ColumnType) -> WireType {
    match ty {
        ColumnType::Boolean | ColumnType::TinyInt => WireType::MYSQL_TYPE_TINY,
        ColumnType::SmallInt => WireType::MYSQL_TYPE_SHORT,
        ColumnType::Int => WireType::MYSQL_TYPE_LONG,
        ColumnType::BigInt => WireType::MYSQL_TYPE_LONGLONG,
        ColumnType::Float => WireType::MYSQL_TYPE_FLOAT,
        ColumnType::Double => WireType::MYSQL_TYPE_DOUBLE,
        ColumnType::Decimal { .. } => WireType::MYSQL_TYPE_NEWDECIMAL,
        ColumnType::Date => WireType::MYSQL_TYPE_DATE,
        ColumnType::Datetime => WireType::MYSQL_TYPE_DATETIME,
        ColumnType::Varbinary(_) => WireType::MYSQL_TYPE_BLOB,
        ColumnType::LargeInt
        | ColumnType::Char(_)
        | ColumnType::Varchar(_)
        | ColumnType::String
        | ColumnType::Json => WireType::MYSQL_TYPE_VAR_STRING,
    }
}

async fn write_result_set<W: AsyncWrite + Send + Unpin>(
    results: QueryResultWriter<'_, W>,
    result_set: &ResultSet,
) -> io::Result<()> {
    let columns: Vec<WireColumn> = result_set
        .columns
        .iter()
        .map(|c| WireColumn {
            table: String::new(),
            column: c.name.clone(),
            coltype: wire_type(&c.ty),
            colflags: if matches!(c.ty, ColumnType::Varbinary(_)) {
                ColumnFlags::BINARY_FLAG | ColumnFlags::BLOB_FLAG
            } else {
                ColumnFlags::empty()
            },
        })
        .collect();
    let mut writer = results.start(&columns).await?;
    for row in &result_set.rows {
        for cell in row {
            writer.write_col(cell.as_deref())?;
        }
        writer.end_row().await?;
    }
    writer.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_password_round_trip() {
        let scramble = make_scramble(7);
        // Client side of mysql_native_password.
        let stage1 = Sha1::digest(b"secret");
        let stage2 = Sha1::digest(stage1);
        let mut hasher = Sha1::new();
        hasher.update(scramble);
        hasher.update(stage2);
        let mask = hasher.finalize();
        let response: Vec<u8> = stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect();
        assert!(native_password_matches("secret", &scramble, &response));
        assert!(!native_password_matches("other", &scramble, &response));
        assert!(!native_password_matches("secret", &scramble, &[]));
        assert!(native_password_matches("", &scramble, &[]));
        assert!(!native_password_matches("", &scramble, &response));
        assert!(scramble.iter().all(|b| *b != 0 && *b != b'$'));
    }
}
