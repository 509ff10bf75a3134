//! One benchmark's servers: a real source (test bed), an in-process StarRocks emulator, a
//! scratch directory, and the daemon configuration pointing at them.

use std::path::PathBuf;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use starrocks_emulator::{EmulatorConfig, RunningEmulator};
use testbed::{Flavor, SourceServer};

/// The servers of one scenario; dropping it stops them.
pub struct BenchBed {
    pub source: SourceServer,
    pub emulator: RunningEmulator,
    pub dir: tempfile::TempDir,
}

impl BenchBed {
    pub async fn start(flavor: Flavor) -> Result<BenchBed, String> {
        let source = SourceServer::start(flavor)
            .await
            .map_err(|e| format!("cannot start {flavor}: {e}"))?;
        let emulator = starrocks_emulator::start(EmulatorConfig::default())
            .await
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        Ok(BenchBed {
            source,
            emulator,
            dir,
        })
    }

    pub async fn source_conn(&self) -> Result<Conn, String> {
        self.source
            .admin_conn()
            .await
            .map_err(|e| format!("source connection: {e}"))
    }

    /// Runs statements on one source session; returns the rows they affected.
    pub async fn source_exec(&self, statements: &[String]) -> Result<u64, String> {
        let mut conn = self.source_conn().await?;
        let mut affected = 0;
        for sql in statements {
            conn.query_drop(sql)
                .await
                .map_err(|e| format!("source `{}`: {e}", abbreviate(sql)))?;
            affected += conn.affected_rows();
        }
        Ok(affected)
    }

    pub async fn target_exec(&self, statements: &[&str]) -> Result<(), String> {
        let addr = self.emulator.query_addr();
        let opts: Opts = OptsBuilder::default()
            .ip_or_hostname(addr.ip().to_string())
            .tcp_port(addr.port())
            .user(Some("root"))
            .pass(Some(""))
            .prefer_socket(false)
            .into();
        let mut conn = Conn::new(opts)
            .await
            .map_err(|e| format!("target connection: {e}"))?;
        for sql in statements {
            conn.query_drop(*sql)
                .await
                .map_err(|e| format!("target `{sql}`: {e}"))?;
        }
        Ok(())
    }

    /// Rows in a target table (read from the emulator's catalog directly).
    pub fn target_rows(&self, db: &str, table: &str) -> usize {
        let catalog = self.emulator.catalog();
        let catalog = match catalog.lock() {
            Ok(catalog) => catalog,
            Err(poisoned) => poisoned.into_inner(),
        };
        catalog.table(db, table).map_or(0, |t| t.row_count())
    }

    /// The source's current binlog file and offset.
    pub async fn binlog_position(&self) -> Result<(String, u64), String> {
        let sql = match self.source.flavor() {
            Flavor::MySql => "SHOW BINARY LOG STATUS",
            Flavor::MariaDb => "SHOW MASTER STATUS",
        };
        let mut conn = self.source_conn().await?;
        let row: Option<mysql_async::Row> = conn
            .query_first(sql)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
        let row = row.ok_or(format!("{sql}: no row"))?;
        let file: String = row.get(0).ok_or("no binlog file")?;
        let pos: u64 = row.get(1).ok_or("no binlog position")?;
        Ok((file, pos))
    }

    /// Writes the daemon's configuration for `bench.*`; returns its path and admin address.
    pub fn write_config(
        &self,
        snapshot: &str,
        target_extra: &str,
    ) -> Result<(PathBuf, String), String> {
        let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("free port: {e}"))?;
        let admin = format!("127.0.0.1:{admin_port}");
        let tls = match self.source.flavor() {
            Flavor::MySql => "require",
            Flavor::MariaDb => "disable",
        };
        let yaml = format!(
            r#"source:
  host: 127.0.0.1
  port: {port}
  user: {user}
  password: "{password}"
  server_id: 5999
  tls: {tls}
  tables: ["bench.*"]
target:
  load_url: ["{fe}"]
  query_address: "{query}"
  user: root
  password: ""
{target_extra}
snapshot:
{snapshot}
state_dir: "{state}"
admin:
  listen: "{admin}"
log:
  level: warn
"#,
            port = self.source.port(),
            user = testbed::REPL_USER,
            password = testbed::REPL_PASSWORD,
            fe = self.emulator.fe_http_addr(),
            query = self.emulator.query_addr(),
            state = self.dir.path().join("state").display(),
        );
        let path = self.dir.path().join("config.yaml");
        std::fs::write(&path, yaml).map_err(|e| format!("writing the config: {e}"))?;
        Ok((path, admin))
    }
}

fn abbreviate(sql: &str) -> String {
    if sql.len() > 120 {
        format!(
            "{}…",
            &sql[..sql.char_indices().nth(120).map_or(sql.len(), |(i, _)| i)]
        )
    } else {
        sql.to_string()
    }
}
