//! Fresh PostgreSQL databases for tests, one per test, on the server that `TEST_POSTGRES_URL`
//! names (e.g. `postgres://postgres@127.0.0.1:5432/postgres`; its user must be allowed to create
//! databases). Without that variable the PostgreSQL tests are skipped with a message on stderr,
//! except under CI (`CI` set), where a PostgreSQL run that cannot happen is a failure.

use std::io::Write;

use sqlx::{Connection, PgConnection};

/// The variable naming the PostgreSQL server the tests create their databases on.
pub const SERVER_URL_VARIABLE: &str = "TEST_POSTGRES_URL";

/// The server to create test databases on; `None` (after saying so) when the run is skipped.
pub fn server_url() -> Option<String> {
    match std::env::var(SERVER_URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must run the PostgreSQL tests: set {SERVER_URL_VARIABLE}")
        }
        _ => {
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL run skipped: set {SERVER_URL_VARIABLE}=postgres://USER@HOST:PORT/DATABASE to run it"
            );
            None
        }
    }
}

/// A database made for one test, dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    server: String,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh empty database on `server`. Panics when the server is unreachable: a
    /// PostgreSQL run that was asked for must not pass without PostgreSQL.
    pub async fn create(server: &str) -> Self {
        let mut connection = PgConnection::connect(server)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {SERVER_URL_VARIABLE} is unreachable: {e}"));
        let name = format!("provenance_test_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut connection)
            .await
            .expect("create a test database");
        let _ = connection.close().await;
        Self {
            url: with_database(server, &name),
            server: server.to_owned(),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut connection = PgConnection::connect(&server).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut connection)
                .await
                .ok()
            })
        });
        let _ = dropped.join();
    }
}

/// `server` with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let authority_end = base
        .find("://")
        .map(|scheme| scheme + 3)
        .and_then(|start| base[start..].find('/').map(|slash| start + slash))
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}
