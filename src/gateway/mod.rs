//! The whole API over HTTP and JSON, generated from the `google.api.http` annotations in the proto
//! files: each HTTP request is turned into the gRPC request its binding names (canonical proto3 JSON
//! in), sent in-process to the same tonic services the gRPC port serves (the same token check,
//! limits, handlers and use cases), and its answer turned back into JSON. Server-streaming methods
//! answer with newline-delimited JSON, one message per line. Errors are `google.rpc.Status` JSON
//! ([`status`]). Nothing here knows a method by name: [`rules`] reads the bindings from the
//! descriptors, and [`openapi`] describes them.

pub mod openapi;
pub mod rules;
pub mod status;
pub mod template;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use prost::Message;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, Kind, MessageDescriptor};
use serde_json::{Map, Value};
use tonic::Code;
use tower::ServiceExt;

use crate::http::request::{RequestError, content_type, media_type, read_body};
use rules::{Binding, BodyRule};
use status::{error_response, refusal};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The gateway: the bindings and the gRPC services to call.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    bindings: Vec<Binding>,
    grpc: axum::Router,
    max_body_bytes: usize,
    openapi: String,
}

impl Gateway {
    /// Reads the bindings from the API's descriptors; `grpc` serves the methods they call.
    pub fn new(grpc: axum::Router, max_body_bytes: usize) -> anyhow::Result<Self> {
        let pool = DescriptorPool::decode(provenance_api::FILE_DESCRIPTOR_SET)?;
        let bindings = rules::bindings(&pool)?;
        let openapi = openapi::document(&bindings).to_string();
        Ok(Self {
            inner: Arc::new(Inner {
                bindings,
                grpc,
                max_body_bytes,
                openapi,
            }),
        })
    }

    /// The routes: every binding (under `/v1/`) and the OpenAPI document.
    pub fn router(self) -> axum::Router {
        use axum::routing::{any, get};
        let document = self.inner.openapi.clone();
        axum::Router::new()
            .route("/v1/{*rest}", any(serve))
            .with_state(self)
            .route(
                OPENAPI_PATH,
                get(move || async move {
                    crate::http::respond(StatusCode::OK, "application/json", document)
                }),
            )
    }
}

/// Answers one HTTP request by its binding.
async fn serve(State(gateway): State<Gateway>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let mut allowed = Vec::new();
    let mut found = None;
    for binding in &gateway.inner.bindings {
        if let Some(bound) = binding.template.matches(&path) {
            if binding.http_method == request.method() {
                found = Some((binding, bound));
                break;
            }
            allowed.push(binding.http_method.as_str());
        }
    }
    let Some((binding, bound)) = found else {
        if allowed.is_empty() {
            return refusal(
                StatusCode::NOT_FOUND,
                Code::NotFound,
                format!("nothing is served at {path}"),
                None,
            );
        }
        allowed.sort_unstable();
        allowed.dedup();
        let mut response = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unimplemented,
            format!(
                "{path} does not take {}; it takes {}",
                request.method(),
                allowed.join(", ")
            ),
            None,
        );
        if let Ok(allow) = HeaderValue::from_str(&allowed.join(", ")) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        return response;
    };
    let (parts, body) = request.into_parts();
    let message = match request_message(
        binding,
        bound,
        &parts.headers,
        &parts.uri,
        body,
        gateway.inner.max_body_bytes,
    )
    .await
    {
        Ok(message) => message,
        Err(response) => return *response,
    };
    let mut response = call(&gateway, binding, parts, message).await;
    // For the call's metrics and span (crate::call_log): the method, not only the route.
    response
        .extensions_mut()
        .insert(crate::call_log::GatewayMethod(binding.grpc_path()));
    response
}

/// The gRPC request message of a call: the JSON body (for `body: "*"`), the path's variables and
/// the query string, read together as one canonical JSON object, unknown fields refused.
async fn request_message(
    binding: &Binding,
    bound: Vec<(String, String)>,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    body: Body,
    limit: usize,
) -> Result<DynamicMessage, Box<Response>> {
    let input = binding.method.input();
    let invalid = |message: String, field: Option<&str>| {
        Box::new(refusal(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            message,
            field,
        ))
    };
    let mut object = Map::new();
    if binding.body == BodyRule::Whole {
        let media = media_type(&content_type(headers));
        let bytes = read_body(headers, body, limit)
            .await
            .map_err(|e| Box::new(e.response()))?;
        if !bytes.is_empty() || !media.is_empty() {
            if media != "application/json" {
                return Err(Box::new(
                    RequestError::UnsupportedMediaType(format!(
                        "send the request as application/json, not {media:?}"
                    ))
                    .response(),
                ));
            }
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(fields)) => object = fields,
                Ok(_) => {
                    return Err(invalid(
                        format!("the body must be a JSON object ({})", input.name()),
                        None,
                    ));
                }
                Err(e) => return Err(invalid(format!("the body is not valid JSON: {e}"), None)),
            }
        }
    } else if let Some(query) = uri.query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let Some(field) = input
                .get_field_by_name(&name)
                .or_else(|| input.get_field_by_json_name(&name))
            else {
                return Err(invalid(
                    format!(
                        "unknown query parameter {name:?}: {} has no such field",
                        input.name()
                    ),
                    Some(&name),
                ));
            };
            let value = query_value(&field.kind(), &value);
            let key = field.json_name().to_owned();
            if field.is_list() {
                match object
                    .entry(key)
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(items) => items.push(value),
                    _ => return Err(invalid(format!("{name} is given twice"), Some(&name))),
                }
            } else if object.insert(key, value).is_some() {
                return Err(invalid(format!("{name} is given twice"), Some(&name)));
            }
        }
    }
    for (field, value) in bound {
        let Some(descriptor) = input.get_field_by_name(&field) else {
            continue;
        };
        // The path's value wins over a body field of the same name, as HTTP transcoding has it.
        object.remove(descriptor.name());
        object.insert(
            descriptor.json_name().to_owned(),
            query_value(&descriptor.kind(), &value),
        );
    }
    parse_message(input, Value::Object(object))
        .map_err(|(message, field)| invalid(message, field.as_deref()))
}

/// The field a JSON mapping error names as unknown, if it does.
fn unknown_field(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("unrecognized field name '")?;
    Some(rest.split_once('\'')?.0.to_owned())
}

/// A query-string or path value as the JSON value of a field of `kind`: booleans and numbers as
/// JSON literals when they read as such, everything else as a string (which proto3 JSON accepts
/// for 64-bit integers, enums by name, timestamps and durations).
fn query_value(kind: &Kind, value: &str) -> Value {
    match kind {
        Kind::Bool => match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(value.to_owned()),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(value.to_owned())),
        _ => Value::String(value.to_owned()),
    }
}

/// Canonical proto3 JSON into a message, unknown fields refused. An error names the field at fault
/// (`sources[1].kind`) when it can be found.
pub fn parse_message(
    descriptor: MessageDescriptor,
    value: Value,
) -> Result<DynamicMessage, (String, Option<String>)> {
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    DynamicMessage::deserialize_with_options(descriptor.clone(), value.clone(), &options).map_err(
        |e| {
            let message = format!(
                "the request is not a valid {} in JSON: {e}",
                descriptor.name()
            );
            let field = culprit(&descriptor, &value).or_else(|| unknown_field(&message));
            match field {
                Some(field) => (format!("{field}: {message}"), Some(field)),
                None => (message, None),
            }
        },
    )
}

/// The path of the first field of `value` that does not read as a field of `descriptor`, found by
/// reading the fields one at a time (only after the whole failed, so the cost is the error's).
fn culprit(descriptor: &MessageDescriptor, value: &Value) -> Option<String> {
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let fields = value.as_object()?;
    for (key, item) in fields {
        let alone = Value::Object(Map::from_iter([(key.clone(), item.clone())]));
        if DynamicMessage::deserialize_with_options(descriptor.clone(), alone, &options).is_ok() {
            continue;
        }
        let field = descriptor
            .get_field_by_json_name(key)
            .or_else(|| descriptor.get_field_by_name(key));
        let inner = match (field.as_ref().map(|f| f.kind()), item) {
            (Some(Kind::Message(message)), Value::Object(_)) => {
                culprit(&message, item).map(|path| format!("{key}.{path}"))
            }
            (Some(Kind::Message(message)), Value::Array(items)) => {
                items.iter().enumerate().find_map(|(index, element)| {
                    culprit(&message, element).map(|path| format!("{key}[{index}].{path}"))
                })
            }
            _ => None,
        };
        return Some(inner.unwrap_or_else(|| key.clone()));
    }
    None
}

/// Calls the method in-process over gRPC and turns its answer into JSON.
async fn call(
    gateway: &Gateway,
    binding: &Binding,
    parts: axum::http::request::Parts,
    message: DynamicMessage,
) -> Response {
    let encoded = message.encode_to_vec();
    let mut frame = Vec::with_capacity(5 + encoded.len());
    frame.push(0);
    frame.extend_from_slice(
        &u32::try_from(encoded.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    frame.extend_from_slice(&encoded);
    let mut inner = Request::new(Body::from(frame));
    *inner.method_mut() = Method::POST;
    *inner.version_mut() = axum::http::Version::HTTP_2;
    match binding.grpc_path().parse() {
        Ok(uri) => *inner.uri_mut() = uri,
        Err(_) => return internal("the method's gRPC path does not parse"),
    }
    // The caller's credentials, and the connection's facts (the client certificate of mutual TLS,
    // the call's log slot) in the extensions.
    *inner.extensions_mut() = parts.extensions;
    let headers = inner.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    for name in [header::AUTHORIZATION.as_str(), "traceparent", "tracestate"] {
        if let Some(value) = parts.headers.get(name) {
            headers.insert(name, value.clone());
        }
    }
    let answer = match gateway.inner.grpc.clone().oneshot(inner).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    // A refusal before any message comes as headers alone ("trailers-only").
    if let Some(status) = status_in(answer.headers()) {
        return error_response(&status);
    }
    let output = binding.method.output();
    let mut body = answer.into_body();
    if binding.method.is_server_streaming() {
        return stream_messages(output, body);
    }
    let mut buffer = Vec::new();
    let mut status = None;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => buffer.extend_from_slice(&data),
                Err(frame) => {
                    if let Some(trailers) = frame.trailers_ref() {
                        status = status_in(trailers);
                    }
                }
            },
            Err(_) => return internal("the call's answer broke off"),
        }
    }
    match status {
        Some(status) if status.code() != Code::Ok => error_response(&status),
        _ => match next_message(&mut buffer).map(|m| to_json(output.clone(), &m)) {
            Some(Ok(json)) => crate::http::respond(StatusCode::OK, "application/json", json),
            _ => internal("the call answered no message"),
        },
    }
}

/// A server stream as newline-delimited JSON: one message a line, and a last line
/// `{"error": <google.rpc.Status>}` if the stream ends in an error.
fn stream_messages(output: MessageDescriptor, mut body: Body) -> Response {
    let (lines, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        let mut buffer = Vec::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            match frame.into_data() {
                Ok(data) => {
                    buffer.extend_from_slice(&data);
                    while let Some(message) = next_message(&mut buffer) {
                        let Ok(mut line) = to_json(output.clone(), &message) else {
                            return;
                        };
                        line.push('\n');
                        if lines.send(Ok(Bytes::from(line))).await.is_err() {
                            // The client went away: dropping the body ends the call.
                            return;
                        }
                    }
                }
                Err(frame) => {
                    if let Some(status) = frame.trailers_ref().and_then(status_in)
                        && status.code() != Code::Ok
                    {
                        let line = format!(
                            "{}\n",
                            serde_json::json!({"error": status::status_json(&status)})
                        );
                        let _ = lines.send(Ok(Bytes::from(line))).await;
                    }
                }
            }
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Takes the next whole gRPC message out of `buffer`, if there is one.
fn next_message(buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let header: [u8; 5] = buffer.get(..5)?.try_into().ok()?;
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if buffer.len() < 5 + length {
        return None;
    }
    let message = buffer[5..5 + length].to_vec();
    buffer.drain(..5 + length);
    Some(message)
}

/// A message as canonical proto3 JSON, fields without presence written even when they hold their
/// default (`"valid": false`, `"checks": []`): a reader of a verification must not have to know
/// that a missing field means false. Unset messages and unset `optional` fields stay out.
fn to_json(descriptor: MessageDescriptor, bytes: &[u8]) -> Result<String, ()> {
    let message = DynamicMessage::decode(descriptor, bytes).map_err(|_| ())?;
    let options = prost_reflect::SerializeOptions::new().skip_default_fields(false);
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    message
        .serialize_with_options(&mut serializer, &options)
        .map_err(|_| ())?;
    String::from_utf8(out).map_err(|_| ())
}

/// The gRPC status in headers or trailers, if they carry one.
fn status_in(headers: &HeaderMap) -> Option<tonic::Status> {
    headers.get("grpc-status")?;
    tonic::Status::from_header_map(headers)
}

fn internal(what: &str) -> Response {
    tracing::error!("HTTP gateway: {what}");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        Code::Internal,
        "internal error; the server log has the details".into(),
        None,
    )
}
