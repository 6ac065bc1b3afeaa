//! The `--source KIND[=VALUE]` argument of `dataset register`, and its conversion to the wire.

use std::str::FromStr;

use provenance_api::v1 as pb;
use uuid::Uuid;

/// One `--source` (or `--parent`) as the user wrote it, already checked for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceArg {
    /// `dataset=ID` or `--parent ID`: a registered dataset.
    Dataset(Uuid),
    /// `external=URI`: a dataset not registered here.
    External(String),
    /// `web-crawl=URI`: pages collected from the web.
    WebCrawl(String),
    /// `licensed=REF`: a corpus used under a licence agreement.
    Licensed(String),
    /// `human`: written by people.
    Human,
    /// `model=MODEL_ID[@VERSION]`: produced by a model.
    Model {
        /// The model's name or hub id.
        model_id: String,
        /// Revision, tag or date; empty when not given.
        version: String,
    },
}

/// The kinds `--source` accepts, for error messages.
const KINDS: &str =
    "external=URI, web-crawl=URI, licensed=REF, human, model=MODEL_ID[@VERSION], dataset=ID";

impl FromStr for SourceArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, value) = match text.split_once('=') {
            Some((kind, value)) => (kind, Some(value)),
            None => (text, None),
        };
        // Only `human` stands alone; every other kind is meaningless without its value.
        let needs = |what: &str| -> Result<String, String> {
            match value {
                Some(v) if !v.trim().is_empty() => Ok(v.to_owned()),
                _ => Err(format!("`{kind}` needs a value: --source {kind}={what}")),
            }
        };
        match kind {
            "external" => Ok(Self::External(needs("URI")?)),
            "web-crawl" => Ok(Self::WebCrawl(needs("URI")?)),
            "licensed" => Ok(Self::Licensed(needs("REF")?)),
            "dataset" => {
                let id = needs("DATASET_ID")?;
                Uuid::parse_str(&id)
                    .map(Self::Dataset)
                    .map_err(|_| format!("`{id}` is not a dataset id (a UUID)"))
            }
            "model" => {
                let spec = needs("MODEL_ID[@VERSION]")?;
                // The last `@` splits, so a model id may itself contain `@`.
                let (model_id, version) = match spec.rsplit_once('@') {
                    Some((id, version)) => (id, version),
                    None => (spec.as_str(), ""),
                };
                if model_id.is_empty() || (spec.contains('@') && version.is_empty()) {
                    return Err(format!(
                        "`{spec}` is not MODEL_ID[@VERSION], e.g. model=deepseek-ai/DeepSeek-R1@0528"
                    ));
                }
                Ok(Self::Model {
                    model_id: model_id.to_owned(),
                    version: version.to_owned(),
                })
            }
            "human" => match value {
                None => Ok(Self::Human),
                Some(_) => Err("`human` takes no value: --source human".into()),
            },
            _ => Err(format!(
                "unknown source kind `{kind}`; expected one of: {KINDS}"
            )),
        }
    }
}

impl SourceArg {
    /// The source as the API takes it.
    pub fn to_proto(&self) -> pb::Source {
        let (kind, uri) = match self {
            Self::Dataset(_) => (pb::SourceKind::Dataset, String::new()),
            Self::External(uri) => (pb::SourceKind::ExternalDataset, uri.clone()),
            Self::WebCrawl(uri) => (pb::SourceKind::WebCrawl, uri.clone()),
            Self::Licensed(reference) => (pb::SourceKind::LicensedCorpus, reference.clone()),
            Self::Human => (pb::SourceKind::HumanAuthored, String::new()),
            Self::Model { .. } => (pb::SourceKind::ModelGenerated, String::new()),
        };
        pb::Source {
            kind: kind as i32,
            dataset_id: match self {
                Self::Dataset(id) => id.to_string(),
                _ => String::new(),
            },
            model: match self {
                Self::Model { model_id, version } => Some(pb::ModelRef {
                    model_id: model_id.clone(),
                    version: version.clone(),
                    provider: String::new(),
                }),
                _ => None,
            },
            uri,
            ..pb::Source::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SourceArg, String> {
        text.parse()
    }

    #[test]
    fn kinds_with_values() {
        assert_eq!(
            parse("external=hf://datasets/x"),
            Ok(SourceArg::External("hf://datasets/x".into()))
        );
        // Only the first `=` splits: URIs keep their query strings.
        assert_eq!(
            parse("web-crawl=https://example.org/?a=b"),
            Ok(SourceArg::WebCrawl("https://example.org/?a=b".into()))
        );
        assert_eq!(
            parse("licensed=contract-42"),
            Ok(SourceArg::Licensed("contract-42".into()))
        );
        assert_eq!(parse("human"), Ok(SourceArg::Human));
        let id = Uuid::now_v7();
        assert_eq!(parse(&format!("dataset={id}")), Ok(SourceArg::Dataset(id)));
    }

    #[test]
    fn models_with_and_without_version() {
        assert_eq!(
            parse("model=deepseek-ai/DeepSeek-R1@0528"),
            Ok(SourceArg::Model {
                model_id: "deepseek-ai/DeepSeek-R1".into(),
                version: "0528".into()
            })
        );
        assert_eq!(
            parse("model=gpt-x"),
            Ok(SourceArg::Model {
                model_id: "gpt-x".into(),
                version: String::new()
            })
        );
        assert!(parse("model=@1").is_err());
        assert!(parse("model=gpt-x@").is_err());
    }

    #[test]
    fn refusals_say_what_is_expected() {
        assert!(parse("external").unwrap_err().contains("external=URI"));
        assert!(parse("web-crawl=  ").is_err());
        assert!(parse("human=someone").unwrap_err().contains("no value"));
        assert!(parse("dataset=42").unwrap_err().contains("UUID"));
        let unknown = parse("telepathy=x").unwrap_err();
        assert!(unknown.contains("telepathy") && unknown.contains("web-crawl=URI"));
    }

    #[test]
    fn wire_form() {
        let model = parse("model=m@v").map(|s| s.to_proto());
        let model = model.as_ref().map_err(String::as_str);
        assert_eq!(
            model.map(|s| (s.kind, s.model.as_ref().map(|m| m.version.as_str()))),
            Ok((pb::SourceKind::ModelGenerated as i32, Some("v")))
        );
        let id = Uuid::now_v7();
        let parent = SourceArg::Dataset(id).to_proto();
        assert_eq!(parent.kind, pb::SourceKind::Dataset as i32);
        assert_eq!(parent.dataset_id, id.to_string());
        assert!(parent.uri.is_empty() && parent.model.is_none());
        let crawl = SourceArg::WebCrawl("https://x".into()).to_proto();
        assert_eq!(crawl.kind, pb::SourceKind::WebCrawl as i32);
        assert_eq!(crawl.uri, "https://x");
    }
}
