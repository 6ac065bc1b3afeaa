//! The HTTP bindings of the API, read from the `google.api.http` annotation of every method in the
//! descriptors: the one place the mapping is declared is the proto files.

use anyhow::{Context, bail};
use axum::http::Method;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, Value};

use super::template::PathTemplate;

/// The package whose services the gateway serves.
pub const PACKAGE: &str = "provenance.v1";

/// What the HTTP body of a call holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRule {
    /// No body: every field the path does not bind comes from the query string.
    None,
    /// The whole request message, less the fields the path binds (`body: "*"`).
    Whole,
}

/// One HTTP binding of a gRPC method.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The method called.
    pub method: MethodDescriptor,
    /// The HTTP method.
    pub http_method: Method,
    /// The path.
    pub template: PathTemplate,
    /// What the body holds.
    pub body: BodyRule,
}

impl Binding {
    /// The gRPC path of the method: `/provenance.v1.DatasetService/GetDataset`.
    pub fn grpc_path(&self) -> String {
        format!(
            "/{}/{}",
            self.method.parent_service().full_name(),
            self.method.name()
        )
    }
}

/// Every binding of every method of [`PACKAGE`]'s services. A method without an annotation, or
/// with one the gateway cannot serve, is an error: the API must be reachable whole.
pub fn bindings(pool: &DescriptorPool) -> anyhow::Result<Vec<Binding>> {
    let http = pool
        .get_extension_by_name("google.api.http")
        .context("the descriptors lack the google.api.http extension")?;
    let mut bindings = Vec::new();
    for service in pool.services().filter(|s| s.package_name() == PACKAGE) {
        for method in service.methods() {
            let options = method.options();
            if !options.has_extension(&http) {
                bail!("{} has no google.api.http annotation", method.full_name());
            }
            if method.is_client_streaming() {
                bail!(
                    "{}: client streaming has no HTTP mapping",
                    method.full_name()
                );
            }
            let Value::Message(rule) = options.get_extension(&http).into_owned() else {
                bail!(
                    "{}: the google.api.http option is not a message",
                    method.full_name()
                );
            };
            add_rule(&method, &rule, &mut bindings)
                .with_context(|| format!("the HTTP rule of {}", method.full_name()))?;
        }
    }
    Ok(bindings)
}

fn add_rule(
    method: &MethodDescriptor,
    rule: &DynamicMessage,
    bindings: &mut Vec<Binding>,
) -> anyhow::Result<()> {
    let text = |name: &str| -> Option<String> {
        rule.has_field_by_name(name)
            .then(|| rule.get_field_by_name(name))
            .flatten()
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    let (http_method, path) = [
        ("get", Method::GET),
        ("put", Method::PUT),
        ("post", Method::POST),
        ("delete", Method::DELETE),
        ("patch", Method::PATCH),
    ]
    .into_iter()
    .find_map(|(name, verb)| text(name).map(|path| (verb, path)))
    .context("no get, put, post, delete or patch pattern (custom patterns are not served)")?;
    let template = PathTemplate::parse(&path).map_err(anyhow::Error::msg)?;
    let input = method.input();
    for field in template.fields() {
        if input.get_field_by_name(field).is_none() {
            bail!("the path binds {field}, which {} lacks", input.full_name());
        }
    }
    let body = match text("body").as_deref() {
        None | Some("") => BodyRule::None,
        Some("*") => BodyRule::Whole,
        Some(other) => bail!("body {other:?}: only \"*\" or none are served"),
    };
    if text("response_body").is_some_and(|r| !r.is_empty()) {
        bail!("response_body is not served");
    }
    bindings.push(Binding {
        method: method.clone(),
        http_method,
        template,
        body,
    });
    if let Some(extra) = rule.get_field_by_name("additional_bindings")
        && let Some(list) = extra.as_list()
    {
        for value in list {
            if let Value::Message(more) = value {
                add_rule(method, more, bindings)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_the_api_has_exactly_one_binding_and_no_two_collide() {
        let pool = DescriptorPool::decode(provenance_api::FILE_DESCRIPTOR_SET).unwrap();
        let bindings = bindings(&pool).unwrap();
        let methods: usize = pool
            .services()
            .filter(|s| s.package_name() == PACKAGE)
            .map(|s| s.methods().len())
            .sum();
        assert_eq!(bindings.len(), methods);
        for (i, a) in bindings.iter().enumerate() {
            for b in &bindings[i + 1..] {
                assert!(
                    !(a.http_method == b.http_method && a.template.text == b.template.text),
                    "{} and {} share {} {}",
                    a.method.full_name(),
                    b.method.full_name(),
                    a.http_method,
                    a.template.text
                );
            }
        }
        let evaluate = bindings
            .iter()
            .find(|b| b.method.name() == "EvaluateDataset")
            .unwrap();
        assert_eq!(evaluate.http_method, Method::POST);
        assert_eq!(evaluate.template.text, "/v1/datasets/{dataset_id}:evaluate");
        assert_eq!(evaluate.body, BodyRule::Whole);
    }
}
