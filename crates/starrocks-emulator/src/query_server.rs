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
    AsyncMysqlIntermediary, AsyncMysqlShim, ErrorKind, InitWriter, ParamParser, QueryResultWriter,
    StatementMetaWriter,
};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWrite;
use tokio::net::TcpListener;

use crate::catalog::Catalog;
use crate::credentials::Credentials;

/// Server version announced in the handshake (StarRocks' FE default `mysql_server_version`).
const HANDSHAKE_SERVER_VERSION: &str = "8.0.33";

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
    connection_id: u32,
    /// The scramble sent in the handshake; `salt()` must return the same bytes every time.
    scramble: [u8; 20],
    /// Current database (`USE db` or the handshake's database).
    current_database: Option<String>,
}

impl QueryConnection {
    fn new(catalog: Arc<Mutex<Catalog>>, credentials: Credentials) -> Self {
        let connection_id = NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed);
        QueryConnection {
            catalog,
            credentials,
            connection_id,
            scramble: make_scramble(connection_id),
            current_database: None,
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
        HANDSHAKE_SERVER_VERSION.to_string()
    }

    fn connect_id(&self) -> u32 {
        self.connection_id
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
        let _ = (&self.catalog, query);
        results
            .error(ErrorKind::ER_NOT_SUPPORTED_YET, b"Not supported yet")
            .await
    }

    async fn on_init<'a>(
        &'a mut self,
        database: &'a str,
        writer: InitWriter<'a, W>,
    ) -> io::Result<()> {
        let exists = match self.catalog.lock() {
            Ok(catalog) => catalog.databases.contains_key(database),
            Err(poisoned) => poisoned.get_ref().databases.contains_key(database),
        };
        if exists {
            self.current_database = Some(database.to_string());
            writer.ok().await
        } else {
            let msg = format!("Unknown database '{database}'");
            writer
                .error(ErrorKind::ER_BAD_DB_ERROR, msg.as_bytes())
                .await
        }
    }
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
