//! `provctl events list|watch`.

use provenance_api::v1 as pb;

use crate::cli::EventsCommand;
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, event_json, event_line, events_json};

/// Runs one `events` subcommand.
pub async fn run(
    conn: &Connection,
    command: EventsCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    match command {
        EventsCommand::List {
            after,
            page_size,
            page_token,
        } => list(conn, after, page_size, page_token, out).await,
        EventsCommand::Watch { after } => {
            tokio::select! {
                result = watch(conn, after, out) => result,
                // Ctrl-C is how a watch is meant to end, not a failure. Should the handler fail
                // to install, the pattern disables this branch and the watch goes on.
                Ok(()) = tokio::signal::ctrl_c() => Ok(()),
            }
        }
    }
}

async fn list(
    conn: &Connection,
    after: u64,
    page_size: Option<i32>,
    page_token: Option<String>,
    out: &mut Printer,
) -> Result<(), CliError> {
    let page = conn
        .events()
        .list_events(pb::ListEventsRequest {
            after_sequence: after,
            page_size: page_size.unwrap_or(0),
            page_token: page_token.unwrap_or_default(),
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    if out.is_json() {
        out.json(&events_json(&page)?)?;
        return Ok(());
    }
    for event in &page.events {
        out.line(event_line(event))?;
    }
    if let (false, Some(last)) = (page.next_page_token.is_empty(), page.events.last()) {
        // `--after` is the simplest way on: the log is numbered without gaps.
        eprintln!("more events: pass --after {}", last.sequence);
    }
    Ok(())
}

async fn watch(conn: &Connection, after: u64, out: &mut Printer) -> Result<(), CliError> {
    let mut stream = conn
        .events()
        .watch_events(pb::WatchEventsRequest {
            after_sequence: after,
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let mut last = after;
    while let Some(event) = stream.message().await.map_err(|s| conn.fail(s))? {
        last = event.sequence;
        if out.is_json() {
            out.json_line(&event_json(&event)?)?;
        } else {
            out.line(event_line(&event))?;
            out.flush()?;
        }
    }
    // The server ends the stream only when it shuts down; say how to resume.
    eprintln!("the server ended the stream; resume with --after {last}");
    Ok(())
}
