//! Rendering a lineage walk as a Graphviz digraph or a Mermaid flowchart, with the datasets that a
//! policy evaluation found contaminated or unattested marked. Pure: nodes and marks in, text out.
//!
//! Edges point the way data flows: from the dataset something was made from to what was made, in
//! both walk directions. Datasets the caller may not see appear as `hidden` nodes, one per dataset
//! that has hidden neighbours (their ids are unknown, so two hidden neighbours of different
//! datasets may be the same dataset).
//!
//! Names are hostile input. Every text from the registry first becomes [`visible`] (control, line
//! and direction-changing characters written out as escapes, so that a name can neither break a
//! line nor reorder what follows it), then is quoted for the target language: [`dot_label`] and
//! [`mermaid_quote`]. Node ids are generated (`n0`, `h0`), never taken from the registry.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

use provenance_api::v1 as pb;

use crate::output::verdict_text;

/// What the evaluation says of each dataset of the graph.
#[derive(Debug, Default, Clone)]
pub struct Marks {
    /// The verdict, as `policy evaluate` prints it, and the policy: for the graph's title.
    pub summary: String,
    /// Offending datasets (the last step of an offender's path) and why each offends.
    offenders: HashMap<String, Vec<String>>,
    /// Datasets made from an offending one: the other steps of offenders' paths, or, in a
    /// downstream walk from a contaminated dataset, everything made from it.
    tainted: HashSet<String>,
    /// Edges on offenders' paths, as data flows: (from, to).
    tainted_edges: HashSet<(String, String)>,
    /// Datasets without a valid attestation.
    unattested: HashSet<String>,
    /// Offenders and unattested datasets the caller may not see.
    hidden_offenders: usize,
    hidden_unattested: usize,
    /// A note on what the marks cover, for downstream walks.
    note: Option<String>,
}

impl Marks {
    /// The marks of an evaluation of the walk's starting dataset. Upstream, the evaluation covers
    /// the whole graph; downstream, it judges the starting dataset only, and everything made from
    /// a contaminated dataset is contaminated too.
    pub fn from_evaluation(
        e: &pb::Evaluation,
        nodes: &[pb::LineageNode],
        downstream: bool,
    ) -> Self {
        let mut marks = Self {
            summary: format!(
                "{} under {} version {}",
                verdict_text(e.verdict),
                e.policy_id,
                e.policy_version
            ),
            ..Self::default()
        };
        for offender in &e.offenders {
            let Some((last, before)) = offender.path.split_last() else {
                continue;
            };
            if last.hidden {
                marks.hidden_offenders += 1;
            } else {
                marks
                    .offenders
                    .entry(last.dataset_id.clone())
                    .or_default()
                    .push(offence(offender));
            }
            for step in before.iter().filter(|s| !s.hidden) {
                marks.tainted.insert(step.dataset_id.clone());
            }
            // A path runs from the evaluated dataset to the offender: each step was made from
            // the next one, except across the gap of a path the registry shortened to its ends
            // (`path_length` longer than the steps given), whose middle is left out.
            let shortened = usize::try_from(offender.path_length)
                .is_ok_and(|length| length > offender.path.len());
            let gap = offender.path.len() / 2;
            for (i, pair) in offender.path.windows(2).enumerate() {
                if shortened && i + 1 == gap {
                    continue;
                }
                if let [made, from] = pair
                    && !made.hidden
                    && !from.hidden
                {
                    marks
                        .tainted_edges
                        .insert((from.dataset_id.clone(), made.dataset_id.clone()));
                }
            }
        }
        for step in &e.missing_attestations {
            if step.hidden {
                marks.hidden_unattested += 1;
            } else {
                marks.unattested.insert(step.dataset_id.clone());
            }
        }
        if downstream {
            if e.verdict == pb::Verdict::Contaminated as i32 {
                for node in nodes.iter().filter(|n| n.depth > 0) {
                    if let Some(d) = &node.dataset {
                        marks.tainted.insert(d.id.clone());
                    }
                }
                for node in nodes {
                    if let Some(d) = &node.dataset {
                        for next in &node.next_ids {
                            marks.tainted_edges.insert((d.id.clone(), next.clone()));
                        }
                    }
                }
            }
            marks.note = Some(
                "marks judge the starting dataset's lineage; datasets made from it are judged by their own `provctl lineage show`"
                    .into(),
            );
        }
        marks
    }

    fn tainted_edge(&self, from: &str, to: &str) -> bool {
        self.tainted_edges
            .contains(&(from.to_owned(), to.to_owned()))
    }

    /// Lines of the title: the verdict, what is hidden, what the marks cover.
    fn title(&self, root: &str, start: Option<&pb::Dataset>) -> Vec<String> {
        let name = start.map_or_else(|| root.to_owned(), |d| format!("{}@{}", d.name, d.version));
        let mut lines = vec![format!("lineage of {name}: {}", self.summary)];
        if self.hidden_offenders > 0 {
            lines.push(format!(
                "{} offending dataset(s) hidden from you",
                self.hidden_offenders
            ));
        }
        if self.hidden_unattested > 0 {
            lines.push(format!(
                "{} unattested dataset(s) hidden from you",
                self.hidden_unattested
            ));
        }
        if let Some(note) = &self.note {
            lines.push(note.clone());
        }
        lines
    }
}

/// Why an offender offends, in a few words for a node's label.
fn offence(o: &pb::Offender) -> String {
    match pb::OffenceKind::try_from(o.kind) {
        Ok(pb::OffenceKind::RestrictedModelOutput) => {
            format!("CONTAMINATED: output of {}", o.model_id)
        }
        Ok(pb::OffenceKind::ReportedContaminated) => "CONTAMINATED: reported by its owner".into(),
        _ => "CONTAMINATED".into(),
    }
}

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An offender.
    Contaminated,
    /// Made from an offender.
    Tainted,
    /// Nothing found.
    Plain,
}

/// One node of the graph, ready to draw.
struct Node {
    /// Generated id.
    key: String,
    /// Label lines, [`visible`] already.
    lines: Vec<String>,
    kind: Kind,
    unattested: bool,
    start: bool,
    hidden: bool,
}

/// One edge, as data flows.
struct Edge {
    from: String,
    to: String,
    tainted: bool,
    hidden: bool,
}

/// The graph, laid out once for both languages.
struct Graph {
    title: Vec<String>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

fn build(root: &str, nodes: &[pb::LineageNode], marks: &Marks, downstream: bool) -> Graph {
    let mut keys: BTreeMap<&str, String> = BTreeMap::new();
    let mut out = Vec::new();
    for node in nodes {
        let Some(d) = &node.dataset else {
            continue;
        };
        let key = format!("n{}", keys.len());
        keys.insert(d.id.as_str(), key.clone());
        let mut lines = vec![
            visible(&format!("{}@{}", d.name, d.version)),
            visible(&d.id),
        ];
        let kind = if let Some(reasons) = marks.offenders.get(&d.id) {
            lines.extend(reasons.iter().map(|r| visible(r)));
            Kind::Contaminated
        } else if marks.tainted.contains(&d.id) {
            lines.push("made from contaminated data".into());
            Kind::Tainted
        } else {
            Kind::Plain
        };
        let unattested = marks.unattested.contains(&d.id);
        if unattested {
            lines.push("unattested".into());
        }
        out.push(Node {
            key,
            lines,
            kind,
            unattested,
            start: d.id == root,
            hidden: false,
        });
    }

    let mut edges = Vec::new();
    let mut hidden_nodes = 0;
    for node in nodes {
        let Some(d) = &node.dataset else {
            continue;
        };
        let here = keys.get(d.id.as_str()).cloned().unwrap_or_default();
        for next in &node.next_ids {
            let Some(there) = keys.get(next.as_str()).cloned() else {
                continue;
            };
            let (from, to, from_id, to_id) = if downstream {
                (here.clone(), there, d.id.as_str(), next.as_str())
            } else {
                (there, here.clone(), next.as_str(), d.id.as_str())
            };
            edges.push(Edge {
                from,
                to,
                tainted: marks.tainted_edge(from_id, to_id),
                hidden: false,
            });
        }
        if node.hidden_next_count > 0 {
            let key = format!("h{hidden_nodes}");
            hidden_nodes += 1;
            out.push(Node {
                key: key.clone(),
                lines: vec![if node.hidden_next_count == 1 {
                    "hidden".to_owned()
                } else {
                    format!("hidden ({} datasets)", node.hidden_next_count)
                }],
                kind: Kind::Plain,
                unattested: false,
                start: false,
                hidden: true,
            });
            let (from, to) = if downstream {
                (here.clone(), key)
            } else {
                (key, here.clone())
            };
            edges.push(Edge {
                from,
                to,
                tainted: false,
                hidden: true,
            });
        }
    }
    let start = nodes
        .iter()
        .filter_map(|n| n.dataset.as_ref())
        .find(|d| d.id == root);
    Graph {
        title: marks
            .title(root, start)
            .iter()
            .map(|l| visible(l))
            .collect(),
        nodes: out,
        edges,
    }
}

/// Renders the walk as a Graphviz digraph (`dot -Tsvg`).
pub fn render_dot(
    root: &str,
    nodes: &[pb::LineageNode],
    marks: &Marks,
    downstream: bool,
) -> String {
    let graph = build(root, nodes, marks, downstream);
    let mut dot = String::new();
    let _ = writeln!(dot, "digraph lineage {{");
    let _ = writeln!(
        dot,
        "  graph [label={}, labelloc=t, fontname=Helvetica];",
        dot_label(&graph.title)
    );
    let _ = writeln!(
        dot,
        "  node [shape=box, style=rounded, fontname=Helvetica];"
    );
    for node in &graph.nodes {
        let mut attributes = vec![format!("label={}", dot_label(&node.lines))];
        let mut style = vec!["rounded"];
        if node.hidden {
            style.push("dashed");
            attributes.push("color=gray50, fontcolor=gray40".into());
        }
        match node.kind {
            Kind::Contaminated => {
                style.push("filled");
                attributes.push("fillcolor=\"#f8d7da\", color=\"#c00000\"".into());
            }
            Kind::Tainted => attributes.push("color=\"#c00000\"".into()),
            Kind::Plain => {}
        }
        if node.unattested {
            style.push("dashed");
        }
        if node.start || node.kind != Kind::Plain {
            attributes.push("penwidth=2".into());
        }
        style.dedup();
        attributes.push(format!("style=\"{}\"", style.join(",")));
        let _ = writeln!(dot, "  {} [{}];", node.key, attributes.join(", "));
    }
    for edge in &graph.edges {
        let attributes = if edge.hidden {
            " [style=dashed, color=gray50]"
        } else if edge.tainted {
            " [color=\"#c00000\", penwidth=2]"
        } else {
            ""
        };
        let _ = writeln!(dot, "  {} -> {}{attributes};", edge.from, edge.to);
    }
    dot.push_str("}\n");
    dot
}

/// Renders the walk as a Mermaid flowchart.
pub fn render_mermaid(
    root: &str,
    nodes: &[pb::LineageNode],
    marks: &Marks,
    downstream: bool,
) -> String {
    let graph = build(root, nodes, marks, downstream);
    let mut text = String::new();
    // Comments hold only [`visible`] text, which has no line breaks; `%%` starts each line.
    for line in &graph.title {
        let _ = writeln!(text, "%% {line}");
    }
    text.push_str("flowchart TB\n");
    for node in &graph.nodes {
        let label = node
            .lines
            .iter()
            .map(|l| mermaid_quote(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        let _ = writeln!(text, "  {}[\"{label}\"]", node.key);
    }
    let mut tainted_links = Vec::new();
    for (index, edge) in graph.edges.iter().enumerate() {
        let arrow = if edge.hidden { "-.->" } else { "-->" };
        let _ = writeln!(text, "  {} {arrow} {}", edge.from, edge.to);
        if edge.tainted {
            tainted_links.push(index.to_string());
        }
    }
    text.push_str("  classDef contaminated fill:#f8d7da,stroke:#c00000,stroke-width:2px\n");
    text.push_str(
        "  classDef contaminatedUnattested fill:#f8d7da,stroke:#c00000,stroke-width:2px,stroke-dasharray:5 5\n",
    );
    text.push_str("  classDef tainted stroke:#c00000,stroke-width:2px\n");
    text.push_str(
        "  classDef taintedUnattested stroke:#c00000,stroke-width:2px,stroke-dasharray:5 5\n",
    );
    text.push_str("  classDef unattested stroke-dasharray:5 5\n");
    text.push_str(
        "  classDef hidden fill:#eeeeee,stroke:#999999,color:#666666,stroke-dasharray:3 3\n",
    );
    text.push_str("  classDef start stroke-width:3px\n");
    let mut classes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in &graph.nodes {
        let class = match (node.hidden, node.kind, node.unattested) {
            (true, _, _) => Some("hidden"),
            (false, Kind::Contaminated, false) => Some("contaminated"),
            (false, Kind::Contaminated, true) => Some("contaminatedUnattested"),
            (false, Kind::Tainted, false) => Some("tainted"),
            (false, Kind::Tainted, true) => Some("taintedUnattested"),
            (false, Kind::Plain, true) => Some("unattested"),
            (false, Kind::Plain, false) if node.start => Some("start"),
            (false, Kind::Plain, false) => None,
        };
        if let Some(class) = class {
            classes.entry(class).or_default().push(&node.key);
        }
    }
    for (class, keys) in classes {
        let _ = writeln!(text, "  class {} {class}", keys.join(","));
    }
    if !tainted_links.is_empty() {
        let _ = writeln!(
            text,
            "  linkStyle {} stroke:#c00000,stroke-width:2px",
            tainted_links.join(",")
        );
    }
    text
}

/// `text` with every character that could break a line, hide itself or reorder the text around
/// it written out as a Rust-style escape (`\n`, `\u{202e}`), and backslashes doubled so that an
/// escape cannot be forged.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() || is_invisible(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that are not control characters but break lines, take no width or change the
/// direction of the text: line and paragraph separators, zero-width characters, bidirectional
/// marks, embeddings, overrides and isolates, soft hyphens, byte-order marks.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// The inside of a DOT quoted string of `text` ([`visible`] already): quotes and backslashes
/// escaped, so the string cannot end early or start a label escape (`\N`, `\l`).
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

/// A DOT label of several lines ([`visible`] already), centred: one quoted string, the lines
/// joined with DOT's own `\n`.
fn dot_label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| dot_escape(l)).collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// `text` ([`visible`] already) for the inside of a Mermaid `["..."]` label: every character but
/// ASCII letters, digits, spaces and `-_.@:/+,=()` as a Mermaid entity code (`#34;`), so that no
/// quote, bracket, markup or entity of the input reaches Mermaid.
pub fn mermaid_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " -_.@:/+,=()".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str, depth: i32, next: &[&str], hidden: i32) -> pb::LineageNode {
        pb::LineageNode {
            dataset: Some(pb::Dataset {
                id: id.to_owned(),
                name: name.to_owned(),
                version: "1".to_owned(),
                ..Default::default()
            }),
            depth,
            next_ids: next.iter().map(|s| (*s).to_owned()).collect(),
            hidden_next_count: hidden,
        }
    }

    fn step(id: &str) -> pb::PathStep {
        pb::PathStep {
            dataset_id: id.to_owned(),
            name: id.to_owned(),
            version: "1".to_owned(),
            hidden: false,
        }
    }

    /// sft <- filtered <- traces (DeepSeek-R1 outputs); sft also made from a hidden dataset.
    fn contaminated_chain() -> (Vec<pb::LineageNode>, pb::Evaluation) {
        let nodes = vec![
            node("sft", "sft-v2", 0, &["filtered"], 1),
            node("filtered", "traces-filtered", 1, &["traces"], 0),
            node("traces", "reasoning-traces", 2, &[], 0),
        ];
        let evaluation = pb::Evaluation {
            verdict: pb::Verdict::Contaminated as i32,
            policy_id: "p".into(),
            policy_version: "1".into(),
            offenders: vec![pb::Offender {
                kind: pb::OffenceKind::RestrictedModelOutput as i32,
                path: vec![step("sft"), step("filtered"), step("traces")],
                model_id: "deepseek-ai/DeepSeek-R1".into(),
                ..Default::default()
            }],
            offender_count: 1,
            missing_attestations: vec![
                step("filtered"),
                pb::PathStep {
                    hidden: true,
                    ..Default::default()
                },
            ],
            missing_attestation_count: 2,
            ..Default::default()
        };
        (nodes, evaluation)
    }

    #[test]
    fn dot_marks_the_offender_its_path_and_the_unattested() {
        let (nodes, evaluation) = contaminated_chain();
        let marks = Marks::from_evaluation(&evaluation, &nodes, false);
        let dot = render_dot("sft", &nodes, &marks, false);
        assert!(dot.starts_with("digraph lineage {\n"), "{dot}");
        assert!(dot.ends_with("}\n"));
        let line = |key: &str| {
            dot.lines()
                .find(|l| l.trim_start().starts_with(&format!("{key} [")))
                .unwrap_or_else(|| panic!("no node {key} in\n{dot}"))
                .to_owned()
        };
        let traces = line("n2");
        assert!(traces.contains("reasoning-traces@1"), "{traces}");
        assert!(traces.contains("CONTAMINATED: output of deepseek-ai/DeepSeek-R1"));
        assert!(traces.contains("filled"));
        let filtered = line("n1");
        assert!(
            filtered.contains("made from contaminated data\\nunattested"),
            "{filtered}"
        );
        assert!(filtered.contains("dashed"));
        assert!(line("h0").contains("label=\"hidden\""));
        // Data flows from what a dataset was made from to what was made.
        assert!(
            dot.contains("  n2 -> n1 [color=\"#c00000\", penwidth=2];"),
            "{dot}"
        );
        assert!(dot.contains("  n1 -> n0 [color=\"#c00000\", penwidth=2];"));
        assert!(dot.contains("  h0 -> n0 [style=dashed, color=gray50];"));
        assert!(dot.contains("1 unattested dataset(s) hidden from you"));
    }

    #[test]
    fn a_shortened_path_marks_its_real_edges_and_none_across_its_gap() {
        let ids = ["a", "b", "c", "x", "y", "z"];
        let nodes: Vec<pb::LineageNode> = ids
            .iter()
            .enumerate()
            .map(|(depth, id)| node(id, id, depth as i32, &[], 0))
            .collect();
        let evaluation = pb::Evaluation {
            verdict: pb::Verdict::Contaminated as i32,
            offenders: vec![pb::Offender {
                kind: pb::OffenceKind::RestrictedModelOutput as i32,
                path: ids.iter().map(|id| step(id)).collect(),
                path_length: 9,
                ..Default::default()
            }],
            offender_count: 1,
            ..Default::default()
        };
        let marks = Marks::from_evaluation(&evaluation, &nodes, false);
        let edge = |from: &str, to: &str| (from.to_owned(), to.to_owned());
        assert!(marks.tainted_edges.contains(&edge("b", "a")));
        assert!(marks.tainted_edges.contains(&edge("z", "y")));
        // c was not made from x: three datasets lie between them.
        assert!(!marks.tainted_edges.contains(&edge("x", "c")));
        assert_eq!(marks.tainted_edges.len(), 4);
    }

    #[test]
    fn mermaid_marks_with_classes_and_link_styles() {
        let (nodes, evaluation) = contaminated_chain();
        let marks = Marks::from_evaluation(&evaluation, &nodes, false);
        let text = render_mermaid("sft", &nodes, &marks, false);
        assert!(text.lines().any(|l| l == "flowchart TB"), "{text}");
        assert!(text.contains("  class n2 contaminated\n"), "{text}");
        assert!(text.contains("  class n1 taintedUnattested\n"));
        assert!(text.contains("  class n0 tainted\n"));
        assert!(text.contains("  class h0 hidden\n"));
        assert!(text.contains("  h0 -.-> n0\n"));
        assert!(text.contains("  linkStyle 0,2 stroke:#c00000"), "{text}");
        assert!(text.contains("CONTAMINATED: output of deepseek-ai/DeepSeek-R1"));
    }

    #[test]
    fn downstream_walks_inherit_the_starting_datasets_contamination() {
        let nodes = vec![
            node("traces", "reasoning-traces", 0, &["filtered"], 0),
            node("filtered", "traces-filtered", 1, &[], 0),
        ];
        let evaluation = pb::Evaluation {
            verdict: pb::Verdict::Contaminated as i32,
            offenders: vec![pb::Offender {
                kind: pb::OffenceKind::ReportedContaminated as i32,
                path: vec![step("traces")],
                ..Default::default()
            }],
            ..Default::default()
        };
        let marks = Marks::from_evaluation(&evaluation, &nodes, true);
        let dot = render_dot("traces", &nodes, &marks, true);
        assert!(dot.contains("CONTAMINATED: reported by its owner"), "{dot}");
        assert!(dot.contains("n0 -> n1 [color="), "{dot}");
        assert!(dot.contains("made from contaminated data"));
        assert!(dot.contains("judged by their own"));
    }

    #[test]
    fn hostile_names_stay_inside_their_strings() {
        let name = "evil\"]; n9 -> n0 [label=\"x\nCLEAN\\N\u{202e}<b>#quot;";
        let nodes = vec![node("a", name, 0, &[], 0)];
        let marks = Marks::default();
        let dot = render_dot("a", &nodes, &marks, false);
        let label = dot
            .lines()
            .find(|l| l.starts_with("  n0 ["))
            .unwrap_or_else(|| panic!("no node line in\n{dot}"));
        assert!(
            label.contains(r#"evil\"]; n9 -> n0 [label=\"x\\nCLEAN\\\\N\\u{202e}<b>#quot;@1"#),
            "{label}"
        );
        // The newline did not start a statement of its own.
        assert!(
            !dot.lines().any(|l| l.trim_start().starts_with("n9")),
            "{dot}"
        );
        assert_eq!(dot.lines().count(), 5, "{dot}");

        let mermaid = render_mermaid("a", &nodes, &marks, false);
        let label = mermaid
            .lines()
            .find(|l| l.starts_with("  n0[\""))
            .unwrap_or_else(|| panic!("no node line in\n{mermaid}"));
        let inner = &label["  n0[\"".len()..label.len() - "\"]".len()];
        // Without the line breaks provctl added and the entity codes, nothing but plain text.
        let bare: String = inner
            .replace("<br/>", "")
            .split('#')
            .enumerate()
            .map(|(i, part)| match (i, part.split_once(';')) {
                (0, _) | (_, None) => part,
                (_, Some((_, rest))) => rest,
            })
            .collect();
        for forbidden in ['"', '[', ']', '<', '>', '\\', '\n', '\u{202e}', ';', '{'] {
            assert!(!bare.contains(forbidden), "{forbidden:?} in {label}");
        }
        assert!(
            inner.starts_with("evil#34;#93;#59; n9 -#62; n0 #91;label=#34;x#92;nCLEAN#92;#92;N#92;u#123;202e#125;#60;b#62;#35;quot#59;@1<br/>a"),
            "{inner}"
        );
        assert!(!mermaid.lines().any(|l| l.contains("n9 -->")));
    }

    #[test]
    fn visible_writes_out_breaks_and_direction_marks() {
        assert_eq!(visible("a\nb"), "a\\nb");
        assert_eq!(visible("a\u{2028}b"), "a\\u{2028}b");
        assert_eq!(visible("\u{202e}cba"), "\\u{202e}cba");
        assert_eq!(visible("a\\nb"), "a\\\\nb");
        assert_eq!(visible("naïve «ok»"), "naïve «ok»");
        assert_eq!(
            dot_label(&["say \"hi\"".into(), "2".into()]),
            "\"say \\\"hi\\\"\\n2\""
        );
        assert_eq!(mermaid_quote("a\"b"), "a#34;b");
    }
}
