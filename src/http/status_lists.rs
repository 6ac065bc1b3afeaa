//! `GET /statuslists/<n>`: a token status list as a signed `statuslist+jwt`, no token.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use provenance_api::status_list::STATUS_LIST_MEDIA_TYPE;

use crate::registry::Registry;
use crate::registry::status_lists::STATUS_LIST_PATH;

/// Caches may answer for as long as the registry itself serves one build.
const CACHE: &str = "public, max-age=5";

/// The route, to merge into the server's router.
pub fn router(registry: Registry) -> axum::Router {
    axum::Router::new()
        .route(
            &format!("{STATUS_LIST_PATH}/{{list}}"),
            axum::routing::get(status_list),
        )
        .with_state(registry)
}

async fn status_list(State(registry): State<Registry>, Path(list): Path<String>) -> Response {
    // Canonical decimal only, so that one list has one URL.
    let number = list
        .parse::<u64>()
        .ok()
        .filter(|n| n.to_string() == list && *n > 0);
    let Some(number) = number else {
        return crate::gateway::status::refusal(
            StatusCode::BAD_REQUEST,
            tonic::Code::InvalidArgument,
            format!("status list number {list:?} is not a positive decimal number"),
            Some("list"),
        );
    };
    match registry.status_list_token(number).await {
        Ok(token) => {
            let mut response = token.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(STATUS_LIST_MEDIA_TYPE),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
            response
        }
        Err(error) => crate::gateway::status::error_response(&tonic::Status::from(error)),
    }
}
