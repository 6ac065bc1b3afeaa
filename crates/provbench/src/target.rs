//! The server under load: by default the real one, started in this process on a free loopback port
//! with a fresh data directory and a bootstrapped organisation; with `--target`, a running one,
//! refused unless it is on this machine or `--allow-remote` says so.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Uri;

/// How long the in-process server gets to finish its calls and stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The server the scenarios load, with a token of an organisation on it.
pub struct Target {
    pub url: String,
    pub token: String,
    pub in_process: Option<InProcess>,
}

impl Target {
    pub fn describe(&self) -> String {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match &self.in_process {
            Some(server) => format!(
                "in-process server at {} (data in {}); it shares this process and its {cores} \
                 core(s) with the load generator, so the figures are lower bounds",
                self.url,
                server.dir.display()
            ),
            None => format!(
                "server at {} (the load generator uses {cores} core(s) here)",
                self.url
            ),
        }
    }
}

/// The server started in this process, with its data directory.
pub struct InProcess {
    dir: PathBuf,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    /// Stops the server; removes its data directory unless `keep`.
    pub async fn stop(self, keep: bool) {
        let _ = self.stop.send(());
        let mut server = self.server;
        match tokio::time::timeout(STOP_TIMEOUT, &mut server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => eprintln!("provbench: the server stopped with: {error:#}"),
            Ok(Err(error)) => eprintln!("provbench: the server task failed: {error}"),
            Err(_) => {
                eprintln!(
                    "provbench: the server did not stop within {STOP_TIMEOUT:?}; aborting it"
                );
                server.abort();
            }
        }
        if keep {
            // With --database-url the data is in that database; the directory holds the keys.
            let database = self.dir.join("registry.db");
            eprintln!(
                "provbench: data kept in {}{}",
                self.dir.display(),
                if database.exists() {
                    format!(" (database {})", database.display())
                } else {
                    String::new()
                }
            );
        } else {
            remove_dir(&self.dir);
        }
    }
}

fn remove_dir(dir: &Path) {
    if let Err(error) = std::fs::remove_dir_all(dir) {
        eprintln!(
            "provbench: cannot remove the data directory {}: {error}",
            dir.display()
        );
    }
}

pub async fn start_in_process(database_url: Option<String>) -> anyhow::Result<Target> {
    let dir = std::env::temp_dir().join(format!(
        "provbench-{}-{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    // `create_dir`, not `create_dir_all`: a directory that already exists is not ours to delete.
    std::fs::create_dir(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    match start_in(&dir, database_url).await {
        Ok((url, token, stop, server)) => Ok(Target {
            url,
            token,
            in_process: Some(InProcess { dir, stop, server }),
        }),
        Err(error) => {
            remove_dir(&dir);
            Err(error)
        }
    }
}

async fn start_in(
    dir: &Path,
    database_url: Option<String>,
) -> anyhow::Result<(
    String,
    String,
    oneshot::Sender<()>,
    JoinHandle<anyhow::Result<()>>,
)> {
    let common = provenance_registry::config::CommonSettings {
        database_url,
        ..provenance_registry::config::CommonSettings::for_data_dir(dir.to_path_buf())
    };
    let serve = provenance_registry::config::ServeSettings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        // The `webhook` scenario's receiver listens on 127.0.0.1.
        webhook_allow_loopback: true,
        ..Default::default()
    };
    let app = provenance_registry::server::Application::build(&common, &serve).await?;
    let addr = app.local_addr()?;
    let (_organization, token, _record) = app
        .registry()
        .bootstrap_organization("bench".into(), None)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bootstrap the bench organisation: {e}"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Ok((format!("http://{addr}"), token, stop, server))
}

/// Refuses targets off this machine unless allowed: a load generator aimed at the wrong host is
/// a denial of service.
pub async fn check_target(url: &str, allow_remote: bool) -> anyhow::Result<()> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("--target {url:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("--target must be an http:// URL (this client speaks plaintext HTTP/2 only)");
    }
    if allow_remote {
        return Ok(());
    }
    let host = uri
        .host()
        .with_context(|| format!("--target {url:?} names no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("cannot resolve {host:?}"))?
        .collect();
    if addresses.is_empty() || addresses.iter().any(|a| !a.ip().is_loopback()) {
        bail!(
            "--target {url:?} resolves to {addresses:?}, not only loopback addresses; \
             pass --allow-remote to load a remote server"
        );
    }
    Ok(())
}
