//! The transparency log as static files (c2sp.org/tlog-tiles): `/checkpoint` and `/tile/...`, no
//! token, with cache lifetimes that let any HTTP cache or CDN mirror them.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use transparency_log::Tile;

use crate::registry::Registry;

/// Where the newest signed checkpoint is served.
pub const CHECKPOINT_PATH: &str = "/checkpoint";

/// A full tile never changes: caches may keep it for a year without asking again.
pub const FULL_TILE_CACHE: &str = "public, max-age=31536000, immutable";

/// A partial tile is replaced by a wider one as the log grows; a mirror may drop it then.
pub const PARTIAL_TILE_CACHE: &str = "public, max-age=60";

/// The checkpoint changes with every new event: a cache may answer it for a few seconds only, so
/// that a monitor reading through one lags the log by at most that.
pub const CHECKPOINT_CACHE: &str = "public, max-age=5";

/// The routes, to merge into the server's router.
pub fn router(registry: Registry) -> axum::Router {
    use axum::routing::get;
    axum::Router::new()
        .route(CHECKPOINT_PATH, get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .with_state(registry)
}

fn cached(content_type: &'static str, cache: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn refused(error: crate::error::Error) -> Response {
    crate::gateway::status::error_response(&tonic::Status::from(error))
}

/// `GET /checkpoint`: the newest checkpoint's signed note, as the log signed it.
async fn checkpoint(State(registry): State<Registry>) -> Response {
    match registry.checkpoint().await {
        Ok(checkpoint) => cached(
            "text/plain; charset=utf-8",
            CHECKPOINT_CACHE,
            checkpoint.note,
        ),
        Err(error) => refused(error),
    }
}

/// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`.
async fn tile(State(registry): State<Registry>, Path(path): Path<String>) -> Response {
    let tile = match Tile::parse(&path) {
        Ok(tile) => tile,
        Err(error) => {
            return crate::gateway::status::refusal(
                StatusCode::BAD_REQUEST,
                tonic::Code::InvalidArgument,
                format!("{error} (c2sp.org/tlog-tiles)"),
                Some("path"),
            );
        }
    };
    match registry.tile(tile).await {
        Ok(bytes) => cached(
            "application/octet-stream",
            if tile.is_full() {
                FULL_TILE_CACHE
            } else {
                PARTIAL_TILE_CACHE
            },
            bytes,
        ),
        Err(error) => refused(error),
    }
}
