//! The OpenAPI 3.1 document of the HTTP/JSON API, generated from the same bindings the gateway
//! serves and from the proto files' comments: every operation with its path and query parameters,
//! body and answers, every message as a JSON Schema of its canonical proto3 JSON form, the error
//! schema (`google.rpc.Status`) and the bearer scheme. `docs/openapi.json` is this document,
//! committed; a test fails when they differ.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

use super::rules::{Binding, BodyRule};

/// The document.
pub fn document(bindings: &[Binding]) -> Value {
    let mut schemas = Schemas::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for binding in bindings {
        let operation = operation(binding, &mut schemas);
        paths
            .entry(binding.template.text.clone())
            .or_default()
            .insert(binding.http_method.as_str().to_ascii_lowercase(), operation);
    }
    let mut components = schemas.done();
    components.insert("google.rpc.Status".into(), status_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "provenance-registry",
            "version": "v1",
            "description": "The provenance registry's API over HTTP and JSON: every gRPC method of \
                package provenance.v1 at the path its google.api.http annotation declares, with \
                canonical proto3 JSON in and out (lowerCamelCase names, enums by name, 64-bit \
                integers as strings, timestamps in RFC 3339; in answers every field without presence \
                is written, defaults included, and unset messages and optional fields are left \
                out). Errors are google.rpc.Status objects \
                under the HTTP status of the standard mapping from their gRPC code. \
                Server-streaming methods answer application/x-ndjson: one message a line, and a \
                last line {\"error\": google.rpc.Status} if the stream fails.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token of the registry (provenance-registry admin \
                        create-org, or CreateAccessToken). Methods that need none ignore it.",
                },
            },
            "schemas": components,
        },
    })
}

fn operation(binding: &Binding, schemas: &mut Schemas) -> Value {
    let method = &binding.method;
    let input = method.input();
    let output = method.output();
    let path_fields: BTreeSet<&str> = binding.template.fields().collect();
    let mut parameters = Vec::new();
    for name in &path_fields {
        if let Some(field) = input.get_field_by_name(name) {
            parameters.push(json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": comments(&field.parent_file(), field.path()),
                "schema": parameter_schema(schemas, &field),
            }));
        }
    }
    if binding.body == BodyRule::None {
        for field in input.fields() {
            if path_fields.contains(field.name()) || field.is_map() {
                continue;
            }
            if let Kind::Message(message) = field.kind()
                && !is_scalar_like(&message)
            {
                continue;
            }
            let schema = parameter_schema(schemas, &field);
            let mut parameter = json!({
                "name": field.json_name(),
                "in": "query",
                "required": false,
                "description": comments(&field.parent_file(), field.path()),
                "schema": schema,
            });
            if field.is_list() {
                parameter["explode"] = json!(true);
            }
            parameters.push(parameter);
        }
    }
    let service = method.parent_service();
    let mut operation = json!({
        "operationId": format!("{}_{}", service.name(), method.name()),
        "tags": [service.name()],
        "summary": first_sentence(&comments(&method.parent_file(), method.path())),
        "description": comments(&method.parent_file(), method.path()),
        "parameters": parameters,
        "responses": {
            "200": if method.is_server_streaming() {
                json!({
                    "description": format!("A stream of {}, one JSON object a line.", output.name()),
                    "content": {"application/x-ndjson": {"schema": schemas.message(&output)}},
                })
            } else {
                json!({
                    "description": format!("The {}.", output.name()),
                    "content": {"application/json": {"schema": schemas.message(&output)}},
                })
            },
            "default": {
                "description": "An error: its gRPC code as the HTTP status of the standard mapping.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}},
            },
        },
    });
    if binding.body == BodyRule::Whole {
        operation["requestBody"] = json!({
            "required": false,
            "content": {"application/json": {"schema": schemas.message(&input)}},
        });
    }
    operation
}

/// The schema of a path or query parameter: its field's, with `format: uuid` when the field is
/// documented as a UUID.
fn parameter_schema(schemas: &mut Schemas, field: &FieldDescriptor) -> Value {
    let mut schema = schemas.field(field);
    if field.kind() == Kind::String
        && !field.is_list()
        && comments(&field.parent_file(), field.path()).contains("UUID")
    {
        schema["format"] = json!("uuid");
    }
    schema
}

/// Well-known types that JSON writes as one string.
fn is_scalar_like(message: &MessageDescriptor) -> bool {
    matches!(
        message.full_name(),
        "google.protobuf.Timestamp" | "google.protobuf.Duration" | "google.protobuf.FieldMask"
    )
}

/// The schemas of the messages and enums referred to, by full name.
#[derive(Default)]
struct Schemas {
    done: BTreeMap<String, Value>,
}

impl Schemas {
    fn done(self) -> Map<String, Value> {
        self.done.into_iter().collect()
    }

    /// A reference to a message's schema, which is added on first use.
    fn message(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(inline) = well_known(message) {
            return inline;
        }
        let name = message.full_name().to_owned();
        if !self.done.contains_key(&name) {
            // Placeholder first: messages may refer to themselves.
            self.done.insert(name.clone(), Value::Null);
            let mut properties = Map::new();
            let mut required = Vec::new();
            for field in message.fields() {
                let mut schema = self.field(&field);
                let description = comments(&field.parent_file(), field.path());
                // A string the proto documents as a UUID is one (or empty: unset, as answers
                // write it), so generators produce ids.
                if field.kind() == Kind::String
                    && !field.is_list()
                    && description.contains("UUID")
                    && let Some(object) = schema.as_object_mut()
                {
                    object.insert(
                        "anyOf".into(),
                        json!([{"format": "uuid"}, {"maxLength": 0}]),
                    );
                }
                if !description.is_empty()
                    && let Some(object) = schema.as_object_mut()
                {
                    if object.contains_key("$ref") {
                        // Siblings of $ref are allowed in OpenAPI 3.1 (JSON Schema 2020-12).
                        object.insert("description".into(), json!(description));
                    } else {
                        object.entry("description").or_insert(json!(description));
                    }
                }
                // What the proto documents as required, if answers always write it too (a field
                // without presence is written even at its default).
                if !field.supports_presence() && documents_required(&description) {
                    required.push(field.json_name().to_owned());
                }
                properties.insert(field.json_name().to_owned(), schema);
            }
            let mut schema = json!({
                "type": "object",
                "description": comments(&message.parent_file(), message.path()),
                "properties": properties,
                "additionalProperties": false,
            });
            if !required.is_empty() {
                schema["required"] = json!(required);
            }
            self.done.insert(name.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn enumeration(&mut self, enumeration: &EnumDescriptor) -> Value {
        let name = enumeration.full_name().to_owned();
        if !self.done.contains_key(&name) {
            let values: Vec<String> = enumeration.values().map(|v| v.name().to_owned()).collect();
            let schema = json!({
                "type": "string",
                "description": comments(&enumeration.parent_file(), enumeration.path()),
                "enum": values,
            });
            self.done.insert(name.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn field(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map()
            && let Kind::Message(entry) = field.kind()
        {
            let value = entry.map_entry_value_field();
            return json!({"type": "object", "additionalProperties": self.single(&value.kind())});
        }
        let single = self.single(&field.kind());
        if field.is_list() {
            json!({"type": "array", "items": single})
        } else {
            single
        }
    }

    fn single(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => json!({"type": "number"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32"})
            }
            Kind::Uint32 | Kind::Fixed32 => {
                json!({"type": "integer", "minimum": 0, "maximum": u32::MAX})
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({"type": "string", "format": "int64", "pattern": "^-?[0-9]{1,19}$"})
            }
            Kind::Uint64 | Kind::Fixed64 => {
                json!({"type": "string", "format": "uint64", "pattern": "^[0-9]{1,20}$"})
            }
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
            Kind::Message(message) => self.message(message),
            Kind::Enum(enumeration) => self.enumeration(enumeration),
        }
    }
}

fn well_known(message: &MessageDescriptor) -> Option<Value> {
    match message.full_name() {
        "google.protobuf.Timestamp" => Some(json!({
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339, in UTC with `Z`, e.g. 2026-12-05T10:00:00Z.",
        })),
        "google.protobuf.Duration" => Some(json!({
            "type": "string",
            "pattern": "^-?[0-9]{1,12}(\\.[0-9]{1,9})?s$",
            "description": "Seconds with up to nine fractional digits and the suffix s, e.g. 86400s.",
        })),
        "google.protobuf.FieldMask" => Some(json!({
            "type": "string",
            "description": "Field paths in lowerCamelCase separated by commas, e.g. state,eventTypes.",
        })),
        _ => None,
    }
}

fn status_schema() -> Value {
    json!({
        "type": "object",
        "description": "google.rpc.Status: why a call failed.",
        "properties": {
            "code": {"type": "integer", "format": "int32", "description": "The gRPC code (google.rpc.Code), e.g. 3 for INVALID_ARGUMENT."},
            "message": {"type": "string", "description": "What went wrong, naming the field or the subject."},
            "details": {
                "type": "array",
                "description": "Machine-readable details: google.rpc.BadRequest (fieldViolations: field, description) and google.rpc.PreconditionFailure (violations: type, subject, description), each with its @type.",
                "items": {
                    "type": "object",
                    "properties": {"@type": {"type": "string"}},
                    "required": ["@type"],
                    "additionalProperties": true,
                },
            },
        },
        "required": ["code", "message"],
    })
}

/// The comments attached to the element at `path` in `file`, without the leading spaces.
fn comments(file: &FileDescriptor, path: &[i32]) -> String {
    let Some(info) = &file.file_descriptor_proto().source_code_info else {
        return String::new();
    };
    info.location
        .iter()
        .find(|location| location.path == path)
        .and_then(|location| location.leading_comments.as_deref())
        .map(|text| {
            text.lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

/// Whether a field's comment says it is required outright ("Required." or "Required, at most
/// ..."), not under a condition ("Required for ...").
fn documents_required(comment: &str) -> bool {
    comment.contains("Required.") || comment.contains("Required,")
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(end) => text[..=end].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::DescriptorPool;

    fn current() -> Value {
        let pool = DescriptorPool::decode(provenance_api::FILE_DESCRIPTOR_SET).unwrap();
        document(&super::super::rules::bindings(&pool).unwrap())
    }

    #[test]
    fn the_committed_document_is_the_generated_one() {
        let generated = serde_json::to_string_pretty(&current()).unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json differs from what the proto files generate: run \
             `UPDATE_OPENAPI=1 cargo test -p provenance-registry --lib openapi` and commit it"
        );
    }

    #[test]
    fn operations_carry_the_proto_comments_and_path_parameters() {
        let document = current();
        let get = &document["paths"]["/v1/datasets/{id}"]["get"];
        assert_eq!(get["operationId"], "DatasetService_GetDataset");
        assert!(
            get["description"]
                .as_str()
                .unwrap()
                .contains("Reads one dataset")
        );
        assert_eq!(get["parameters"][0]["in"], "path");
        assert_eq!(get["parameters"][0]["required"], true);
        let dataset = &document["components"]["schemas"]["provenance.v1.Dataset"];
        assert_eq!(dataset["properties"]["contentDigest"]["type"], "string");
        assert_eq!(dataset["properties"]["sizeBytes"]["format"], "uint64");
        assert_eq!(dataset["properties"]["createTime"]["format"], "date-time");
        let request = &document["components"]["schemas"]["provenance.v1.RegisterDatasetRequest"];
        assert_eq!(request["required"], json!(["contentDigest"]));
        let source = &document["components"]["schemas"]["provenance.v1.Source"];
        assert_eq!(
            source["required"],
            json!(["kind"]),
            "not uri: required for some kinds only"
        );
    }
}
