//! Shared helpers of the query-port tests: start `run_query_server` on a free loopback port and
//! connect to it with `mysql_async` over the real MySQL protocol.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row};
use starrocks_emulator::catalog::Catalog;
use starrocks_emulator::credentials::Credentials;
use starrocks_emulator::query_server::run_query_server;

/// A running query port and the catalog behind it.
pub struct Server {
    pub addr: SocketAddr,
    pub catalog: Arc<Mutex<Catalog>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a query port accepting `user`/`password`.
pub async fn start(user: &str, password: &str) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("listener address");
    let catalog = Arc::new(Mutex::new(Catalog::default()));
    let credentials = Credentials {
        user: user.to_string(),
        password: password.to_string(),
    };
    let task = tokio::spawn(run_query_server(
        listener,
        Arc::clone(&catalog),
        credentials,
    ));
    Server {
        addr,
        catalog,
        task,
    }
}

/// Connects as `user`/`password`, optionally selecting `db`.
pub async fn try_connect(
    server: &Server,
    user: &str,
    password: &str,
    db: Option<&str>,
) -> Result<Conn, mysql_async::Error> {
    let opts = OptsBuilder::default()
        .ip_or_hostname(server.addr.ip().to_string())
        .tcp_port(server.addr.port())
        .user(Some(user))
        .pass(Some(password))
        .db_name(db)
        .prefer_socket(false);
    Conn::new(opts).await
}

/// Connects as root with an empty password (the default server of most tests).
pub async fn connect(server: &Server) -> Conn {
    try_connect(server, "root", "", None)
        .await
        .expect("connect as root")
}

/// The server error code and message of a failed query.
pub fn server_error(result: Result<impl std::fmt::Debug, mysql_async::Error>) -> (u16, String) {
    match result {
        Err(mysql_async::Error::Server(e)) => (e.code, e.message),
        other => panic!("expected a server error, got {other:?}"),
    }
}

/// Runs `sql` and returns every cell as text (`None` for NULL).
pub async fn rows(conn: &mut Conn, sql: &str) -> Vec<Vec<Option<String>>> {
    let rows: Vec<Row> = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.get::<Option<Vec<u8>>, _>(i)
                        .flatten()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                })
                .collect()
        })
        .collect()
}

/// Runs `sql` and returns the column names of its result.
pub async fn column_names(conn: &mut Conn, sql: &str) -> Vec<String> {
    let mut result = conn
        .query_iter(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let names = result
        .columns_ref()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    drop(result.collect::<Row>().await);
    names
}

/// Runs a statement that returns no rows.
pub async fn exec(conn: &mut Conn, sql: &str) {
    conn.query_drop(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Shorthand: `Some(s.to_string())`.
pub fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}
