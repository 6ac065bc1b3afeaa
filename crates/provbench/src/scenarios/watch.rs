//! `watch` (not in the default list): the cost of `EventService.WatchEvents` streams that are open
//! while nothing happens. It opens `--concurrency` streams, lets them catch up with the log, then
//! measures the CPU time of this whole process (the in-process server and its idle client) for
//! `--duration` seconds, so it needs the in-process server and runs with `--rounds 1` only.

use std::time::Duration;

use anyhow::Context;
use provenance_api::v1 as pb;
use provenance_api::v1::event_service_client::EventServiceClient;
use serde_json::{Value, json};

use crate::bench::{Bench, authorized};
use crate::report::round3;

/// How long `watch` lets its streams catch up with the log before it measures.
const WATCH_SETTLE: Duration = Duration::from_secs(2);

/// Measures `streams` idle event streams for the bench's duration.
pub async fn run(bench: &Bench, streams: usize) -> anyhow::Result<IdleWatchReport> {
    eprintln!(
        "provbench: watch: {streams} idle event streams for {} s",
        bench.duration.as_secs()
    );
    measure_idle_watchers(bench, streams).await
}

/// What `watch` measured: the cost of WatchEvents streams that are open while nothing happens.
pub struct IdleWatchReport {
    streams: usize,
    window: Duration,
    cpu: Duration,
}

impl IdleWatchReport {
    fn core_share(&self) -> f64 {
        self.cpu.as_secs_f64() / self.window.as_secs_f64().max(1e-9)
    }

    pub fn describe(&self) -> String {
        format!(
            "watch: {} open, idle WatchEvents streams for {} s used {:.2} s of CPU, {:.1} % of one \
             core (the whole process: the in-process server and its idle client)",
            self.streams,
            self.window.as_secs(),
            self.cpu.as_secs_f64(),
            100.0 * self.core_share()
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "streams": self.streams,
            "window_s": self.window.as_secs(),
            "cpu_s": round3(self.cpu.as_secs_f64()),
            "share_of_one_core": round3(self.core_share()),
        })
    }
}

/// Opens `streams` WatchEvents streams, one after the other (opening them all at once would meet
/// the server's concurrency bound), drains what each replays of the log, lets them settle, then
/// measures this process's CPU time while they stay open and nothing is written.
async fn measure_idle_watchers(bench: &Bench, streams: usize) -> anyhow::Result<IdleWatchReport> {
    let mut drains = tokio::task::JoinSet::new();
    for caller in 0..streams {
        let request = authorized(pb::WatchEventsRequest { after_sequence: 0 }, &bench.auth);
        let mut stream = EventServiceClient::new(bench.channel(caller))
            .watch_events(request)
            .await
            .with_context(|| format!("cannot open event stream {} of {streams}", caller + 1))?
            .into_inner();
        drains.spawn(async move { while let Ok(Some(_)) = stream.message().await {} });
    }
    tokio::time::sleep(WATCH_SETTLE).await;
    let before = process_cpu_time()?;
    tokio::time::sleep(bench.duration).await;
    let cpu = process_cpu_time()?.saturating_sub(before);
    drains.abort_all();
    Ok(IdleWatchReport {
        streams,
        window: bench.duration,
        cpu,
    })
}

/// The CPU time (user and system, all threads) this process has used, from `/proc/self/stat`.
fn process_cpu_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .context("cannot read /proc/self/stat: `watch` measures CPU time on Linux only")?;
    // The fields after the command name, which is in parentheses and may hold anything.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime, fields 14 and 15 of proc(5), in USER_HZ ticks: 100 a second on Linux.
    let ticks = |field: usize| -> anyhow::Result<u64> {
        fields
            .get(field - 3)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("field {field} of /proc/self/stat is not a number"))
    };
    Ok(Duration::from_millis((ticks(14)? + ticks(15)?) * 10))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn the_process_cpu_time_grows_with_work() {
        let before = process_cpu_time().expect("CPU time");
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let spent = process_cpu_time().expect("CPU time").saturating_sub(before);
        assert!(spent >= Duration::from_millis(100), "{spent:?}");
    }
}
