//! `provctl lineage show --format dot|mermaid` against the real server: the contaminated
//! grandparent of the README's policy walkthrough is marked, hidden datasets are shown as hidden,
//! and a hostile name stays inside its label.
//!
//! Graphviz is not installed where the suite runs, so the DOT output is parsed here by a small
//! parser of the subset provctl writes; it refuses anything else.

mod common;

use common::{Registry, TestResult, digest_of, register};

/// One statement of a DOT graph.
#[derive(Debug)]
enum Statement {
    /// `graph`, `node` or `edge` defaults.
    Defaults(String, Vec<(String, String)>),
    /// A node and its attributes.
    Node(String, Vec<(String, String)>),
    /// An edge and its attributes.
    Edge(String, String, Vec<(String, String)>),
}

#[derive(Debug, PartialEq)]
enum Token {
    Id(String),
    Quoted(String),
    Arrow,
    Punct(char),
}

/// Splits DOT text into tokens; a quoted string may hold escaped quotes and backslashes, and no
/// raw line break.
fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\n') => return Err(format!("raw line break in string {value:?}")),
                        Some('\\') => match chars.next() {
                            Some('"') => value.push('"'),
                            Some('\\') => value.push('\\'),
                            // DOT's own line break in labels.
                            Some('n') => value.push('\n'),
                            other => return Err(format!("unexpected escape \\{other:?}")),
                        },
                        Some(c) => value.push(c),
                    }
                }
                out.push(Token::Quoted(value));
            }
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                out.push(Token::Arrow);
            }
            '{' | '}' | '[' | ']' | '=' | ',' | ';' => out.push(Token::Punct(c)),
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut id = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' || next == '.' {
                        id.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Id(id));
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

/// Parses `digraph ID { statement* }`, each statement ending in `;`.
fn parse_dot(text: &str) -> Result<Vec<Statement>, String> {
    let tokens = tokens(text)?;
    let mut at = 0;
    let next = |at: &mut usize| -> Result<&Token, String> {
        let token = tokens.get(*at).ok_or("unexpected end")?;
        *at += 1;
        Ok(token)
    };
    let id = |token: &Token| -> Result<String, String> {
        match token {
            Token::Id(id) => Ok(id.clone()),
            other => Err(format!("expected an id, got {other:?}")),
        }
    };
    if next(&mut at)? != &Token::Id("digraph".into()) {
        return Err("not a digraph".into());
    }
    id(next(&mut at)?)?;
    if next(&mut at)? != &Token::Punct('{') {
        return Err("expected {".into());
    }
    let attributes = |at: &mut usize| -> Result<Vec<(String, String)>, String> {
        let mut list = Vec::new();
        if tokens.get(*at) != Some(&Token::Punct('[')) {
            return Ok(list);
        }
        *at += 1;
        loop {
            match next(at)? {
                Token::Punct(']') => return Ok(list),
                Token::Punct(',') => {}
                Token::Id(key) => {
                    if next(at)? != &Token::Punct('=') {
                        return Err(format!("expected = after {key}"));
                    }
                    let value = match next(at)? {
                        Token::Id(v) | Token::Quoted(v) => v.clone(),
                        other => return Err(format!("bad value {other:?}")),
                    };
                    list.push((key.clone(), value));
                }
                other => return Err(format!("unexpected {other:?} in attributes")),
            }
        }
    };
    let mut statements = Vec::new();
    loop {
        let first = match next(&mut at)? {
            Token::Punct('}') => break,
            token => id(token)?,
        };
        let statement = if matches!(first.as_str(), "graph" | "node" | "edge") {
            Statement::Defaults(first, attributes(&mut at)?)
        } else if tokens.get(at) == Some(&Token::Arrow) {
            at += 1;
            let to = id(next(&mut at)?)?;
            Statement::Edge(first, to, attributes(&mut at)?)
        } else {
            Statement::Node(first, attributes(&mut at)?)
        };
        if next(&mut at)? != &Token::Punct(';') {
            return Err(format!("expected ; after {statement:?}"));
        }
        statements.push(statement);
    }
    if at != tokens.len() {
        return Err("text after the graph".into());
    }
    Ok(statements)
}

fn attribute<'a>(attributes: &'a [(String, String)], key: &str) -> &'a str {
    attributes
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Decodes Mermaid's entity codes (`#34;`) in a label.
fn mermaid_text(label: &str) -> String {
    let mut out = String::new();
    let mut rest = label;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after
            .split_once(';')
            .and_then(|(code, tail)| Some((char::from_u32(code.parse().ok()?)?, tail)))
        {
            Some((c, tail)) => {
                out.push(c);
                rest = tail;
            }
            None => {
                out.push('#');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphs_mark_contamination_and_escape_names() -> TestResult {
    let registry = Registry::start().await?;

    // The README's walkthrough: DeepSeek-R1 outputs, filtered, then an SFT mix made from them and
    // from a dataset whose name is hostile. The registry refuses control characters in names,
    // but a Unicode line separator is not one.
    let traces = register(
        &registry,
        "reasoning-traces",
        &["model=deepseek-ai/DeepSeek-R1"],
    )
    .await?;
    let filtered = register(
        &registry,
        "traces-filtered",
        &[&format!("dataset={traces}")],
    )
    .await?;
    let hostile_name = "say \"hi\"]; x -> y [label=\"\u{2028}CLEAN\" #35; <b>\\N";
    let hostile = register(&registry, hostile_name, &["human"]).await?;
    let sft = register(
        &registry,
        "sft-v2",
        &[
            &format!("dataset={filtered}"),
            &format!("dataset={hostile}"),
        ],
    )
    .await?;

    // A public dataset of another organisation, made from its private one, under ours.
    let (_, vendor_token) = registry.another_organization("Vendor").await?;
    let private = registry
        .run_with(
            Some(&vendor_token),
            &[
                "dataset",
                "register",
                "-q",
                "--name",
                "vendor-private",
                "--version",
                "1",
                "--digest",
                &digest_of("vendor-private"),
                "--source",
                "human",
            ],
        )
        .await?
        .ok()
        .stdout
        .trim()
        .to_owned();
    let vendor_public = registry
        .run_with(
            Some(&vendor_token),
            &[
                "dataset",
                "register",
                "-q",
                "--name",
                "vendor-public",
                "--version",
                "1",
                "--digest",
                &digest_of("vendor-public"),
                "--parent",
                &private,
                "--public",
            ],
        )
        .await?
        .ok()
        .stdout
        .trim()
        .to_owned();
    let top = register(
        &registry,
        "top",
        &[
            &format!("dataset={sft}"),
            &format!("dataset={vendor_public}"),
        ],
    )
    .await?;

    // ----- DOT ---------------------------------------------------------------------------------
    let dot = registry
        .run(&["lineage", "show", &top, "--format", "dot"])
        .await?
        .ok()
        .stdout;
    let statements = parse_dot(&dot).map_err(|e| format!("{e}\n{dot}"))?;
    let nodes: Vec<(&String, &Vec<(String, String)>)> = statements
        .iter()
        .filter_map(|s| match s {
            Statement::Node(id, attributes) => Some((id, attributes)),
            _ => None,
        })
        .collect();
    let edges = statements
        .iter()
        .filter(|s| matches!(s, Statement::Edge(..)))
        .count();
    // top, sft-v2, traces-filtered, reasoning-traces, the hostile one, vendor-public and one
    // hidden node; six edges.
    assert_eq!(nodes.len(), 7, "{dot}");
    assert_eq!(edges, 6, "{dot}");
    let label_of = |name: &str| -> TestResult<String> {
        nodes
            .iter()
            .map(|(_, attributes)| attribute(attributes, "label"))
            .find(|label| label.starts_with(name))
            .map(str::to_owned)
            .ok_or_else(|| format!("no node {name} in\n{dot}").into())
    };
    let grandparent = label_of("reasoning-traces@1")?;
    assert!(
        grandparent.contains("CONTAMINATED: output of deepseek-ai/DeepSeek-R1"),
        "{grandparent}"
    );
    // The edge out of the grandparent is on the offending path, drawn red.
    let grandparent_id = nodes
        .iter()
        .find(|(_, attributes)| attribute(attributes, "label") == grandparent)
        .map(|(id, _)| id.as_str())
        .ok_or("no grandparent id")?;
    assert!(
        statements.iter().any(|s| matches!(
            s,
            Statement::Edge(from, to, attributes)
                if from == grandparent_id && to != grandparent_id
                    && attribute(attributes, "color") == "#c00000"
        )),
        "{dot}"
    );
    assert!(label_of("traces-filtered@1")?.contains("made from contaminated data"));
    assert!(label_of("sft-v2@1")?.contains("made from contaminated data"));
    assert!(label_of("top@1")?.contains("made from contaminated data"));
    assert!(label_of("vendor-public@1")?.contains("unattested"));
    assert!(!label_of("vendor-public@1")?.contains("contaminated"));
    assert_eq!(label_of("hidden")?, "hidden");
    // The hostile name, whole, on one line of its label: the line separator written out.
    let hostile_label = label_of("say \"hi\"]")?;
    assert_eq!(
        hostile_label.lines().next(),
        Some("say \"hi\"]; x -> y [label=\"\\u{2028}CLEAN\" #35; <b>\\\\N@1"),
        "{hostile_label:?}"
    );
    let graph = statements
        .iter()
        .find_map(|s| match s {
            Statement::Defaults(kind, attributes) if kind == "graph" => {
                Some(attribute(attributes, "label"))
            }
            _ => None,
        })
        .ok_or("no graph label")?;
    assert!(
        graph.contains("CONTAMINATED under deepseek-r1-anti-distillation"),
        "{graph}"
    );

    // ----- Mermaid -----------------------------------------------------------------------------
    let mermaid = registry
        .run(&["lineage", "show", &top, "--format", "mermaid"])
        .await?
        .ok()
        .stdout;
    let mut labels = std::collections::HashMap::new();
    let mut contaminated_class = None;
    for line in mermaid.lines() {
        let body = line.trim_start();
        if line.starts_with("%% ") || line == "flowchart TB" {
            continue;
        }
        if let Some((key, rest)) = body.split_once("[\"") {
            let label = rest
                .strip_suffix("\"]")
                .ok_or_else(|| format!("label not closed: {line}"))?;
            assert!(
                !label.contains(['"', '[', ']', '\n']),
                "unescaped text in {line}"
            );
            assert!(key.chars().all(|c| c.is_ascii_alphanumeric()), "{line}");
            labels.insert(key.to_owned(), mermaid_text(&label.replace("<br/>", "\n")));
        } else if let Some((keys, class)) = body
            .strip_prefix("class ")
            .and_then(|rest| rest.split_once(' '))
            .filter(|(_, class)| class.starts_with("contaminated"))
        {
            // Every dataset here is unattested too.
            assert_eq!(class, "contaminatedUnattested", "{line}");
            contaminated_class = Some(keys.to_owned());
        } else {
            let known = body.starts_with("classDef ")
                || body.starts_with("class ")
                || body.starts_with("linkStyle ")
                || body.split(' ').count() == 3
                    && matches!(body.split(' ').nth(1), Some("-->" | "-.->"));
            assert!(known, "unexpected line {line:?} in\n{mermaid}");
        }
    }
    assert_eq!(labels.len(), 7, "{mermaid}");
    let (traces_key, traces_label) = labels
        .iter()
        .find(|(_, label)| label.starts_with("reasoning-traces@1"))
        .ok_or_else(|| format!("no grandparent in\n{mermaid}"))?;
    assert!(traces_label.contains("CONTAMINATED: output of deepseek-ai/DeepSeek-R1"));
    assert_eq!(contaminated_class.as_deref(), Some(traces_key.as_str()));
    assert!(
        labels
            .values()
            .any(|l| l
                .starts_with("say \"hi\"]; x -> y [label=\"\\u{2028}CLEAN\" #35; <b>\\\\N@1\n")),
        "{labels:#?}"
    );
    assert!(labels.values().any(|l| l == "hidden"));

    // The tree stays the default, and as it was.
    let tree = registry.run(&["lineage", "show", &top]).await?.ok().stdout;
    assert!(tree.starts_with(&format!("top@1  {top}\n")), "{tree}");
    assert!(!tree.contains("CONTAMINATED"));

    registry.stop().await?;
    Ok(())
}
