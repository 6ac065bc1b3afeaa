//! The lineage of a certified dataset drawn as inline SVG: a layered picture of its upstream
//! closure, data flowing down from the oldest sources to the certified dataset at the bottom.
//!
//! The layout is deliberately simple and deterministic: a dataset's layer is its longest distance
//! from the certified dataset, so every edge points downwards; within a layer, datasets are
//! ordered by the mean position of what was made from them (one barycentre sweep), then by name.
//! Every string is escaped; marks are written in words as well as drawn, so the picture reads in
//! black and white and to a screen reader (the SVG's description states the counts).

use std::collections::HashMap;

use crate::html::{escape, shorten};

/// Datasets drawn at most; the rest are counted in the picture's caption.
pub const MAX_DRAWN: usize = 300;

/// Boxes side by side at most: four fit an A4 page with names still readable.
pub const MAX_PER_ROW: usize = 4;

/// What is known of one dataset of the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeState {
    /// Carries a valid attestation by its owner under the certificate's policy.
    Attested,
    /// Lacks one now (e.g. it expired or was revoked since the certificate was issued).
    Unattested,
    /// Offends the policy itself; the reason says how.
    Contaminated(String),
    /// Made from a contaminated dataset.
    MadeFromContaminated,
    /// Datasets the viewer may not see, drawn as one box without names.
    Hidden(usize),
}

/// One box of the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageNode {
    /// Identifies the box for edges (a dataset id, or a name for a group of hidden datasets).
    pub key: String,
    /// What the box says first: `name@version`, or how many datasets are hidden.
    pub label: String,
    /// A second line, e.g. the dataset's id.
    pub detail: String,
    /// Its mark.
    pub state: NodeState,
}

/// A lineage picture's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineageGraph {
    /// Key of the certified dataset.
    pub root: String,
    /// The boxes.
    pub nodes: Vec<LineageNode>,
    /// `(made from, made)` pairs of keys: data flows from the first to the second.
    pub edges: Vec<(String, String)>,
}

impl LineageGraph {
    /// How many boxes carry each mark: (contaminated or made from it, unattested, hidden datasets).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.nodes
            .iter()
            .fold((0, 0, 0), |(bad, missing, hidden), n| match n.state {
                NodeState::Contaminated(_) | NodeState::MadeFromContaminated => {
                    (bad + 1, missing, hidden)
                }
                NodeState::Unattested => (bad, missing + 1, hidden),
                NodeState::Hidden(count) => (bad, missing, hidden + count),
                NodeState::Attested => (bad, missing, hidden),
            })
    }
}

const BOX_WIDTH: i64 = 230;
const BOX_HEIGHT: i64 = 58;
const GAP_X: i64 = 24;
const GAP_Y: i64 = 50;
const MARGIN: i64 = 12;
const LABEL_CHARS: usize = 28;

/// Each drawn box's layer (0: the certified dataset) and the boxes of each layer, ordered.
fn layout(graph: &LineageGraph, drawn: usize) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = graph.nodes[..drawn]
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.as_str(), i))
        .collect();
    let edges: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .filter_map(|(from, to)| Some((*index.get(from.as_str())?, *index.get(to.as_str())?)))
        .filter(|(from, to)| from != to)
        .collect();
    // Longest distance from the root, by relaxation: at most one pass per box, so a cycle (which
    // a lineage never has) ends the loop instead of looping forever.
    let mut layer: Vec<Option<usize>> = vec![None; drawn];
    if let Some(&root) = index.get(graph.root.as_str()) {
        layer[root] = Some(0);
    }
    for _ in 0..drawn {
        let mut changed = false;
        for &(parent, child) in &edges {
            if let Some(below) = layer[child] {
                let wanted = (below + 1).min(drawn);
                if layer[parent].is_none_or(|l| l < wanted) {
                    layer[parent] = Some(wanted);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    // Boxes not connected to the root (none in a real closure) go on a layer of their own.
    let deepest = layer.iter().flatten().copied().max().unwrap_or(0);
    let layer: Vec<usize> = layer
        .into_iter()
        .map(|l| l.unwrap_or(deepest + 1))
        .collect();
    let count = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (node, &l) in layer.iter().enumerate() {
        layers[l].push(node);
    }
    let mut position: Vec<f64> = vec![0.0; drawn];
    for (l, nodes) in layers.iter_mut().enumerate() {
        let mut keyed: Vec<(f64, usize)> = nodes
            .iter()
            .map(|&node| {
                let below: Vec<f64> = edges
                    .iter()
                    .filter(|(parent, child)| *parent == node && layer[*child] < l)
                    .map(|(_, child)| position[*child])
                    .collect();
                let centre = if below.is_empty() {
                    f64::MAX
                } else {
                    below.iter().sum::<f64>() / below.len() as f64
                };
                (centre, node)
            })
            .collect();
        keyed.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| graph.nodes[a.1].label.cmp(&graph.nodes[b.1].label))
                .then_with(|| graph.nodes[a.1].key.cmp(&graph.nodes[b.1].key))
        });
        *nodes = keyed.into_iter().map(|(_, node)| node).collect();
        for (i, &node) in nodes.iter().enumerate() {
            position[node] = i as f64;
        }
    }
    layers
}

/// The words and style of a box's mark.
fn mark(state: &NodeState) -> (&'static str, &'static str) {
    match state {
        NodeState::Attested => ("attested", "fill:#eef7ef;stroke:#1b6e2a;stroke-width:1.5"),
        NodeState::Unattested => (
            "NOT ATTESTED",
            "fill:#fff8e1;stroke:#8a6d00;stroke-width:2;stroke-dasharray:6 4",
        ),
        NodeState::Contaminated(_) => {
            ("CONTAMINATED", "fill:#fbdada;stroke:#8b0000;stroke-width:3")
        }
        NodeState::MadeFromContaminated => (
            "made from contaminated data",
            "fill:#fff;stroke:#8b0000;stroke-width:2.5",
        ),
        NodeState::Hidden(_) => (
            "hidden: private to its owner",
            "fill:#eeeeee;stroke:#777;stroke-width:1.5;stroke-dasharray:2 3",
        ),
    }
}

/// The picture as an `<svg>` element to put inline in HTML. `title` names it for screen readers.
pub fn render(graph: &LineageGraph, title: &str) -> String {
    let drawn = graph.nodes.len().min(MAX_DRAWN);
    // A layer wider than a row is wrapped onto several rows, so that a printed page keeps the
    // names readable; there are no edges within a layer, so every edge still points down.
    let rows: Vec<Vec<usize>> = layout(graph, drawn)
        .iter()
        .flat_map(|layer| {
            layer
                .chunks(MAX_PER_ROW)
                .map(<[usize]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1) as i64;
    let width = 2 * MARGIN + widest * BOX_WIDTH + (widest - 1) * GAP_X;
    let count = rows.len().max(1) as i64;
    let height = 2 * MARGIN + count * BOX_HEIGHT + (count - 1) * GAP_Y;
    // Deepest layer at the top: data flows down to the certified dataset.
    let mut corner: Vec<(i64, i64)> = vec![(0, 0); drawn];
    for (r, nodes) in rows.iter().enumerate() {
        let row = count - 1 - r as i64;
        let used = nodes.len() as i64 * BOX_WIDTH + (nodes.len() as i64 - 1).max(0) * GAP_X;
        let left = (width - used) / 2;
        for (i, &node) in nodes.iter().enumerate() {
            corner[node] = (
                left + i as i64 * (BOX_WIDTH + GAP_X),
                MARGIN + row * (BOX_HEIGHT + GAP_Y),
            );
        }
    }
    let (bad, missing, hidden) = graph.counts();
    let description = format!(
        "{} dataset box(es); {bad} contaminated or made from contaminated data; {missing} not attested; {hidden} hidden dataset(s){}. Arrows point from what a dataset was made from to what was made.",
        graph.nodes.len(),
        if drawn < graph.nodes.len() {
            format!("; {} not drawn", graph.nodes.len() - drawn)
        } else {
            String::new()
        }
    );
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\" role=\"img\" \
         aria-labelledby=\"lineage-title lineage-desc\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n\
         <title id=\"lineage-title\">{}</title>\n<desc id=\"lineage-desc\">{}</desc>\n\
         <defs><marker id=\"lineage-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>\n",
        escape(title),
        escape(&description),
    );
    let index: HashMap<&str, usize> = graph.nodes[..drawn]
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.as_str(), i))
        .collect();
    for (from, to) in &graph.edges {
        let (Some(&parent), Some(&child)) = (index.get(from.as_str()), index.get(to.as_str()))
        else {
            continue;
        };
        if parent == child {
            continue;
        }
        let bad_edge = matches!(
            graph.nodes[parent].state,
            NodeState::Contaminated(_) | NodeState::MadeFromContaminated
        );
        let (px, py) = corner[parent];
        let (cx, cy) = corner[child];
        svg.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\" marker-end=\"url(#lineage-arrow)\"/>\n",
            px + BOX_WIDTH / 2,
            py + BOX_HEIGHT,
            cx + BOX_WIDTH / 2,
            cy,
            if bad_edge { "#8b0000" } else { "#333" },
            if bad_edge { 2.5 } else { 1.2 },
        ));
    }
    for (i, node) in graph.nodes[..drawn].iter().enumerate() {
        let (x, y) = corner[i];
        let (words, style) = mark(&node.state);
        let certified = node.key == graph.root;
        let second = if certified {
            format!("certified dataset · {words}")
        } else {
            words.to_owned()
        };
        let full = match &node.state {
            NodeState::Contaminated(reason) => format!("{}: {words}: {reason}", node.label),
            _ => format!("{}: {second}", node.label),
        };
        svg.push_str(&format!(
            "<g class=\"node\"><title>{}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{BOX_WIDTH}\" height=\"{BOX_HEIGHT}\" rx=\"6\" style=\"{style}{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12.5\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"9.5\" fill=\"#444\" text-anchor=\"middle\">{}</text></g>\n",
            escape(&full),
            if certified { ";stroke-width:4" } else { "" },
            x + BOX_WIDTH / 2,
            y + 18,
            escape(&shorten(&node.label, LABEL_CHARS)),
            x + BOX_WIDTH / 2,
            y + 35,
            escape(&shorten(&second, 40)),
            x + BOX_WIDTH / 2,
            y + 50,
            escape(&shorten(&node.detail, 40)),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: &str, state: NodeState) -> LineageNode {
        LineageNode {
            key: key.into(),
            label: format!("{key}@1"),
            detail: key.into(),
            state,
        }
    }

    fn chain() -> LineageGraph {
        // raw -> clean -> mix, and raw -> mix directly: raw must sit above clean.
        LineageGraph {
            root: "mix".into(),
            nodes: vec![
                node("mix", NodeState::Attested),
                node("clean", NodeState::Unattested),
                node(
                    "raw",
                    NodeState::Contaminated("output of DeepSeek-R1".into()),
                ),
            ],
            edges: vec![
                ("clean".into(), "mix".into()),
                ("raw".into(), "clean".into()),
                ("raw".into(), "mix".into()),
            ],
        }
    }

    #[test]
    fn every_dataset_lies_above_what_was_made_from_it() {
        let graph = chain();
        let layers = layout(&graph, 3);
        assert_eq!(layers, vec![vec![0], vec![1], vec![2]]);
        let svg = render(&graph, "lineage");
        // The root's box is the lowest one.
        let y_of = |label: &str| {
            let at = svg.find(&format!(">{label}</text>")).expect("label drawn");
            let before = &svg[..at];
            let rect = before.rfind("<rect").expect("a box");
            let y = &before[rect..];
            let y = y
                .split("y=\"")
                .nth(1)
                .expect("y")
                .split('"')
                .next()
                .expect("y");
            y.parse::<i64>().expect("a number")
        };
        assert!(y_of("raw@1") < y_of("clean@1") && y_of("clean@1") < y_of("mix@1"));
    }

    #[test]
    fn marks_are_written_in_words_not_only_in_colour() {
        let svg = render(&chain(), "lineage");
        assert!(svg.contains("CONTAMINATED"));
        assert!(svg.contains("NOT ATTESTED"));
        assert!(svg.contains("certified dataset · attested"));
        assert!(svg.contains("1 contaminated or made from contaminated data; 1 not attested"));
    }

    #[test]
    fn hostile_names_cannot_break_out_of_the_picture() {
        let mut graph = chain();
        graph.nodes[1].label = "<script>alert('x')</script>\"><svg onload=x>".into();
        let svg = render(&graph, "\"</title><script>");
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<svg onload"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn a_cycle_or_a_dangling_edge_does_not_hang_or_panic() {
        let mut graph = chain();
        graph.edges.push(("mix".into(), "raw".into()));
        graph.edges.push(("nowhere".into(), "mix".into()));
        graph.nodes.push(node("orphan", NodeState::Hidden(3)));
        let svg = render(&graph, "lineage");
        assert!(svg.contains("orphan@1") && svg.ends_with("</svg>"));
        assert!(render(&LineageGraph::default(), "empty").ends_with("</svg>"));
    }

    #[test]
    fn a_huge_closure_is_drawn_up_to_the_bound_and_the_rest_counted() {
        let mut graph = LineageGraph {
            root: "0".into(),
            ..Default::default()
        };
        for i in 0..MAX_DRAWN + 5 {
            graph.nodes.push(node(&i.to_string(), NodeState::Attested));
            if i > 0 {
                graph.edges.push((i.to_string(), "0".into()));
            }
        }
        let svg = render(&graph, "lineage");
        assert_eq!(svg.matches("<rect").count(), MAX_DRAWN);
        assert!(svg.contains("; 5 not drawn"));
        // 299 parents on one layer wrap onto rows of four: the picture is four boxes wide.
        let width = 2 * MARGIN + 4 * BOX_WIDTH + 3 * GAP_X;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {width} ")),
            "{}",
            &svg[..300]
        );
    }
}
