//! `POST /api/v1/lineage`: OpenLineage run events, as the OpenLineage HTTP transport sends them
//! (its default path), with the bearer token of a registrar. And the JSON Schemas of the registry's
//! custom facets, under `/openlineage/facets/`. Thin: authenticate, bound and parse the body, hand
//! the event to [`Registry::ingest_openlineage`], answer in JSON.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::json;
use super::request::{RequestError, content_type, media_type, read_body};
use crate::domain::openlineage::{facets, read_event};
use crate::domain::registration::Registration;
use crate::error::Error;
use crate::registry::Registry;
use crate::registry::openlineage::Ingestion;

/// Where events are posted.
pub const LINEAGE_PATH: &str = "/api/v1/lineage";

/// What the route needs: the registry and the largest body it reads.
#[derive(Clone)]
pub struct LineageState {
    /// The registry.
    pub registry: Registry,
    /// The server's message limit, which bounds an event as it bounds a gRPC message.
    pub max_body_bytes: usize,
}

/// `POST /api/v1/lineage`.
pub async fn ingest(State(state): State<LineageState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // The token first: a caller without rights learns nothing from the validation of its events.
    let call = tonic::Request::from_parts(
        tonic::metadata::MetadataMap::from_headers(parts.headers.clone()),
        parts.extensions.clone(),
        (),
    );
    let caller = match state.registry.caller(&call).await {
        Ok(caller) => caller,
        Err(error) => return refused(error),
    };
    if let Err(error) = caller.member_with(crate::domain::access::Role::Registrar) {
        return refused(error);
    }
    let event = match read_json(&parts.headers, body, state.max_body_bytes).await {
        Ok(value) => value,
        Err(error) => return error.response(),
    };
    let outcome = match read_event(&event) {
        Ok(event) => state.registry.ingest_openlineage(&caller, event).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(Ingestion::Ignored(what)) => json(StatusCode::OK, &json!({"ignored": what})),
        Ok(Ingestion::Registered { outputs, linked }) => json(
            StatusCode::OK,
            &json!({
                "registered": outputs.iter().map(registered_json).collect::<Vec<_>>(),
                "linked": linked.iter().map(registered_json).collect::<Vec<_>>(),
            }),
        ),
        Err(error) => refused(error),
    }
}

/// `GET /openlineage/facets/1-0-0/<schema>`: the custom facets' JSON Schemas.
pub fn facet_schemas() -> axum::Router {
    use axum::routing::get;
    let schema = |text: &'static str| {
        get(move || async move {
            let mut response =
                super::respond(StatusCode::OK, "application/schema+json", text.into());
            // Versioned and immutable: a new version gets a new path.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("public, max-age=86400"),
            );
            response
        })
    };
    let at = |file: &str| format!("{}{}/{file}", facets::SCHEMA_PATH, facets::VERSION);
    axum::Router::new()
        .route(
            &at(facets::DIGEST_SCHEMA),
            schema(facets::DIGEST_SCHEMA_JSON),
        )
        .route(
            &at(facets::MODEL_GENERATED_SCHEMA),
            schema(facets::MODEL_GENERATED_SCHEMA_JSON),
        )
}

async fn read_json(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<Value, RequestError> {
    let media = media_type(&content_type(headers));
    if media != "application/json" {
        return Err(RequestError::UnsupportedMediaType(format!(
            "an OpenLineage event is sent as application/json, not {:?}",
            media
        )));
    }
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING) {
        let encoding = encoding.to_str().unwrap_or("").trim().to_ascii_lowercase();
        if encoding != "identity" {
            return Err(RequestError::UnsupportedMediaType(format!(
                "Content-Encoding {encoding:?} is not accepted: send events uncompressed (leave \
                 the OpenLineage transport's `compression` unset)"
            )));
        }
    }
    let bytes = read_body(headers, body, limit).await?;
    serde_json::from_slice(&bytes).map_err(|e| RequestError::InvalidJson(e.to_string()))
}

fn registered_json(registration: &Registration) -> Value {
    let dataset = registration.dataset();
    json!({
        "datasetId": dataset.id.to_string(),
        "name": dataset.name,
        "version": dataset.version,
        "contentDigest": dataset.content_digest.as_str(),
        "alreadyExisted": matches!(registration, Registration::Existing(_)),
    })
}

/// A refusal as `google.rpc.Status` JSON under the HTTP status of its gRPC code (the standard
/// mapping), field violations in a `BadRequest` detail, as the rest of the HTTP API answers.
fn refused(error: Error) -> Response {
    crate::gateway::status::error_response(&tonic::Status::from(error))
}
