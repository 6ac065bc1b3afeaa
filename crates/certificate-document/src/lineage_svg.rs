//! The lineage of a certified dataset drawn as inline SVG: a layered picture of its upstream
//! closure, data flowing down from the oldest sources to the certified dataset at the bottom, and
//! the table under it that names every box in full.
//!
//! The layout is a small Sugiyama-style layered layout, deterministic, written so that no edge can
//! ever cross a box:
//!
//! 1. a dataset's layer is its longest distance from the certified dataset, so every edge points
//!    downwards and all direct parents of the certified dataset share one rank (never wrapped
//!    onto a second row, which drew the upper row's edges through the lower row's boxes);
//! 2. an edge that spans several layers is split at each layer it passes by a point that takes a
//!    slot of its own in that layer, as a box does;
//! 3. the order within each layer follows the mean position of each item's neighbours (a few
//!    barycentre sweeps up and down), ties broken by name;
//! 4. each edge is drawn as straight segments from one layer's row to the next, through its
//!    points' slots: a segment lies between two rows, where there are no boxes, or runs vertically
//!    through its own slot, so it crosses no box by construction.
//!
//! Labels are shortened to the measured room of their box after direction controls are made
//! visible ([`crate::html::fit`]); every box carries a number, and the table under the picture
//! gives each number's full name, version and id. Marks are written in words as well as drawn,
//! so the picture reads in black and white and to a screen reader.

use std::collections::{BTreeSet, HashMap};

use crate::html::{self, escape, fit, text_width, visible};

/// Datasets drawn at most; the rest are counted in the picture's caption (the table lists them).
pub const MAX_DRAWN: usize = 300;

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
    /// The dataset's name, or what a group of hidden datasets is (`2 hidden dataset(s)`).
    pub name: String,
    /// The dataset's version; empty for a group.
    pub version: String,
    /// The dataset's id; empty for a group.
    pub id: String,
    /// What else to say of it, e.g. of a group `one of them is CONTAMINATED`; may be empty.
    pub note: String,
    /// Its mark.
    pub state: NodeState,
}

impl LineageNode {
    /// `name@version`, or the name alone for a group.
    pub fn label(&self) -> String {
        if self.version.is_empty() {
            self.name.clone()
        } else {
            format!("{}@{}", self.name, self.version)
        }
    }
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

/// How a dataset of a lineage anyone may see (or a group of hidden ones) stands now, as the
/// registry says it (its public lineage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicStanding {
    /// Its owner's attestation counts.
    Attested,
    /// No attestation by its owner counts any more.
    Unattested,
    /// Made from a contaminated dataset.
    MadeFromContaminated,
    /// Offends the policy; why, when the dataset is shown.
    Contaminated(Option<String>),
}

/// A shown dataset of a public lineage: its id, name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownDataset {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A box of a lineage anyone may see, the same on the verification page and in a rendered
/// document: a shown dataset, or (`dataset` `None`) a group of `hidden` datasets private to
/// their owners, which says only how many it holds and, in words, how the worst of them stands.
pub fn public_node(
    key: String,
    dataset: Option<ShownDataset>,
    hidden: usize,
    standing: PublicStanding,
) -> LineageNode {
    match dataset {
        Some(d) => LineageNode {
            key,
            name: d.name,
            version: d.version,
            id: d.id,
            note: String::new(),
            state: match standing {
                PublicStanding::Attested => NodeState::Attested,
                PublicStanding::Unattested => NodeState::Unattested,
                PublicStanding::MadeFromContaminated => NodeState::MadeFromContaminated,
                PublicStanding::Contaminated(reason) => {
                    NodeState::Contaminated(reason.unwrap_or_default())
                }
            },
        },
        None => LineageNode {
            key,
            name: format!("{hidden} hidden dataset(s)"),
            version: String::new(),
            id: String::new(),
            note: match standing {
                PublicStanding::Contaminated(_) => "one of them is CONTAMINATED",
                PublicStanding::MadeFromContaminated => "made from contaminated data",
                PublicStanding::Unattested => "not all attested now",
                PublicStanding::Attested => "all attested",
            }
            .into(),
            state: NodeState::Hidden(hidden),
        },
    }
}

/// What the caption says of a public lineage that hides datasets; `None` when it hides none.
pub fn public_note(graph: &LineageGraph) -> Option<String> {
    let (_, _, hidden) = graph.counts();
    (hidden > 0).then(|| {
        format!(
            "{hidden} dataset(s) private to their owners are not named here; they are counted in the lineage size and covered by the signed lineage digest. Marks show how things stand now."
        )
    })
}

const BOX_HEIGHT: f64 = 62.0;
const MIN_BOX_WIDTH: f64 = 150.0;
const MAX_BOX_WIDTH: f64 = 240.0;
const PADDING: f64 = 8.0;
const GAP_X: f64 = 22.0;
const GAP_Y: f64 = 56.0;
/// The slot an edge's point takes in a layer it passes.
const POINT_WIDTH: f64 = 8.0;
const MARGIN: f64 = 12.0;
const LABEL_SIZE: f64 = 12.5;
const MARK_SIZE: f64 = 11.0;
const DETAIL_SIZE: f64 = 9.5;
const SWEEPS: usize = 4;

/// An edge by the indices of its boxes: `(made from, made)`.
type Edge = (usize, usize);

/// An edge drawn: its boxes and the polyline from the parent's bottom to the child's top.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgePath {
    /// The box it leaves (made from).
    pub parent: usize,
    /// The box it enters (made).
    pub child: usize,
    /// Its corners, in order.
    pub points: Vec<(f64, f64)>,
}

/// One slot of a layer: a box, or a point of an edge passing the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Item {
    Node(usize),
    Point(usize),
}

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Each drawn box's number (1: the certified dataset, then layer by layer upwards, left to
    /// right), the same as in [`table`].
    pub number: Vec<usize>,
    /// Each drawn box's top-left corner.
    pub corner: Vec<(f64, f64)>,
    /// Each drawn edge as a polyline, from the parent's bottom to the child's top.
    pub paths: Vec<EdgePath>,
    /// Edges not drawn: they would point upwards (only a cycle, which a lineage never has, or an
    /// edge to a dataset not connected to the certified one, gives one).
    pub skipped: usize,
    /// The width of every box.
    pub box_width: f64,
    /// The picture's size.
    pub size: (f64, f64),
}

/// Lays out the first `drawn` boxes of `graph`.
pub fn layout(graph: &LineageGraph, drawn: usize) -> Layout {
    let index: HashMap<&str, usize> = graph.nodes[..drawn]
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.as_str(), i))
        .collect();
    let edges: Vec<Edge> = graph
        .edges
        .iter()
        .filter_map(|(from, to)| Some((*index.get(from.as_str())?, *index.get(to.as_str())?)))
        .filter(|(from, to)| from != to)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let layer = layers(graph, &index, &edges, drawn);
    let (upward, edges): (Vec<Edge>, Vec<Edge>) = edges
        .into_iter()
        .partition(|&(parent, child)| layer[parent] <= layer[child]);
    let count = layer.iter().copied().max().map_or(1, |m| m + 1);

    // Every layer's items, and each edge's chain of items from parent to child.
    let mut items: Vec<Vec<Item>> = vec![Vec::new(); count];
    for (node, &l) in layer.iter().enumerate() {
        items[l].push(Item::Node(node));
    }
    let mut chains: Vec<Vec<(usize, Item)>> = Vec::with_capacity(edges.len());
    for (e, &(parent, child)) in edges.iter().enumerate() {
        let mut chain = vec![(layer[parent], Item::Node(parent))];
        for l in (layer[child] + 1..layer[parent]).rev() {
            items[l].push(Item::Point(e));
            chain.push((l, Item::Point(e)));
        }
        chain.push((layer[child], Item::Node(child)));
        chains.push(chain);
    }
    order(graph, &mut items, &chains);

    let box_width = graph.nodes[..drawn]
        .iter()
        .map(|n| {
            text_width(
                &visible(&format!("#{} {}", drawn, n.label())),
                LABEL_SIZE,
                true,
            )
        })
        .fold(MIN_BOX_WIDTH - 2.0 * PADDING, f64::max)
        .min(MAX_BOX_WIDTH - 2.0 * PADDING)
        + 2.0 * PADDING;
    let width_of = |item: &Item| match item {
        Item::Node(_) => box_width,
        Item::Point(_) => POINT_WIDTH,
    };
    let row_width = |row: &[Item]| {
        row.iter().map(width_of).sum::<f64>() + GAP_X * row.len().saturating_sub(1) as f64
    };
    let widest = items.iter().map(|row| row_width(row)).fold(0.0, f64::max);
    let width = 2.0 * MARGIN + widest.max(box_width);
    let height = 2.0 * MARGIN + count as f64 * BOX_HEIGHT + (count - 1) as f64 * GAP_Y;

    // Deepest layer at the top; each row centred.
    let mut corner = vec![(0.0, 0.0); drawn];
    let mut point_x: HashMap<(usize, usize), f64> = HashMap::new();
    for (l, row) in items.iter().enumerate() {
        let top = MARGIN + (count - 1 - l) as f64 * (BOX_HEIGHT + GAP_Y);
        let mut x = (width - row_width(row)) / 2.0;
        for item in row {
            match *item {
                Item::Node(node) => corner[node] = (x, top),
                Item::Point(edge) => {
                    point_x.insert((edge, l), x + POINT_WIDTH / 2.0);
                }
            }
            x += width_of(item) + GAP_X;
        }
    }

    // Ports: a box's outgoing edges leave its bottom side, incoming ones enter its top, spread
    // along it in the order of where they go, so that arrows stay apart.
    let first_step_x = |chain: &[(usize, Item)], i: usize| match chain[i].1 {
        Item::Node(node) => corner[node].0 + box_width / 2.0,
        Item::Point(edge) => point_x[&(edge, chain[i].0)],
    };
    let mut out_ports: HashMap<usize, Vec<(f64, usize)>> = HashMap::new();
    let mut in_ports: HashMap<usize, Vec<(f64, usize)>> = HashMap::new();
    for (e, chain) in chains.iter().enumerate() {
        let (parent, child) = edges[e];
        out_ports
            .entry(parent)
            .or_default()
            .push((first_step_x(chain, 1), e));
        in_ports
            .entry(child)
            .or_default()
            .push((first_step_x(chain, chain.len() - 2), e));
    }
    let spread = |ports: HashMap<usize, Vec<(f64, usize)>>| {
        let mut at: HashMap<usize, f64> = HashMap::new();
        for (node, mut list) in ports {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let step = (box_width - 2.0 * PADDING) / (list.len() + 1) as f64;
            for (i, (_, e)) in list.iter().enumerate() {
                at.insert(*e, corner[node].0 + PADDING + step * (i + 1) as f64);
            }
        }
        at
    };
    let out_x = spread(out_ports);
    let in_x = spread(in_ports);

    let mut paths = Vec::with_capacity(edges.len());
    for (e, chain) in chains.iter().enumerate() {
        let (parent, child) = edges[e];
        let mut points = vec![(out_x[&e], corner[parent].1 + BOX_HEIGHT)];
        for &(l, item) in &chain[1..chain.len() - 1] {
            let top = MARGIN + (count - 1 - l) as f64 * (BOX_HEIGHT + GAP_Y);
            let x = match item {
                Item::Point(edge) => point_x[&(edge, l)],
                Item::Node(_) => continue,
            };
            points.push((x, top));
            points.push((x, top + BOX_HEIGHT));
        }
        points.push((in_x[&e], corner[child].1));
        paths.push(EdgePath {
            parent,
            child,
            points,
        });
    }

    let mut number = vec![0; drawn];
    let mut next = 1;
    for row in &items {
        for item in row {
            if let Item::Node(node) = *item {
                number[node] = next;
                next += 1;
            }
        }
    }
    Layout {
        number,
        corner,
        paths,
        skipped: upward.len(),
        box_width,
        size: (width, height),
    }
}

/// Each drawn box's layer (0: the certified dataset): its longest distance from it.
fn layers(
    graph: &LineageGraph,
    index: &HashMap<&str, usize>,
    edges: &[Edge],
    drawn: usize,
) -> Vec<usize> {
    // By relaxation: at most one pass per box, so a cycle (which a lineage never has) ends the
    // loop instead of looping forever.
    let mut layer: Vec<Option<usize>> = vec![None; drawn];
    if let Some(&root) = index.get(graph.root.as_str()) {
        layer[root] = Some(0);
    }
    for _ in 0..drawn {
        let mut changed = false;
        for &(parent, child) in edges {
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
    layer
        .into_iter()
        .map(|l| l.unwrap_or(deepest + 1))
        .collect()
}

/// Orders each layer's items: by name first, then by a few barycentre sweeps, up and down.
fn order(graph: &LineageGraph, items: &mut [Vec<Item>], chains: &[Vec<(usize, Item)>]) {
    let name = |item: &Item| match *item {
        Item::Node(node) => (0, graph.nodes[node].label(), graph.nodes[node].key.clone()),
        Item::Point(edge) => (1, String::new(), format!("{edge:09}")),
    };
    for row in items.iter_mut() {
        row.sort_by_key(|item| name(item));
    }
    // Neighbours of each item in the layer above and below.
    let mut above: HashMap<(usize, Item), Vec<Item>> = HashMap::new();
    let mut below: HashMap<(usize, Item), Vec<Item>> = HashMap::new();
    for chain in chains {
        for pair in chain.windows(2) {
            let (upper, lower) = (pair[0], pair[1]);
            below.entry(upper).or_default().push(lower.1);
            above.entry(lower).or_default().push(upper.1);
        }
    }
    for sweep in 0..SWEEPS {
        let upwards = sweep % 2 == 0;
        let layers: Vec<usize> = if upwards {
            (1..items.len()).collect()
        } else {
            (0..items.len().saturating_sub(1)).rev().collect()
        };
        for l in layers {
            let reference = if upwards { l - 1 } else { l + 1 };
            let position: HashMap<Item, usize> = items[reference]
                .iter()
                .enumerate()
                .map(|(i, item)| (*item, i))
                .collect();
            let neighbours = if upwards { &below } else { &above };
            let mut keyed: Vec<(f64, usize, Item)> = items[l]
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let found: Vec<f64> = neighbours
                        .get(&(l, *item))
                        .into_iter()
                        .flatten()
                        .filter_map(|n| position.get(n).map(|&p| p as f64))
                        .collect();
                    let centre = if found.is_empty() {
                        // No neighbour there: keep its place, scaled to the other layer.
                        i as f64 * items[reference].len().max(1) as f64
                            / items[l].len().max(1) as f64
                    } else {
                        found.iter().sum::<f64>() / found.len() as f64
                    };
                    (centre, i, *item)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            items[l] = keyed.into_iter().map(|(_, _, item)| item).collect();
        }
    }
}

/// The words and style of a box's mark; `greyed` when the certificate is not valid, so that no
/// green mark can be read as vouching for it.
fn mark(state: &NodeState, greyed: bool) -> (&'static str, &'static str) {
    match state {
        NodeState::Attested if greyed => ("attested", "fill:#f0f0f0;stroke:#777;stroke-width:1.5"),
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

/// The picture as an `<svg>` element to put inline in HTML, at its natural size (the page puts it
/// in a box that scrolls, so that its text stays legible at any width). `title` names it for
/// screen readers; `greyed` draws the marks of a certificate that is not valid in grey.
pub fn render(graph: &LineageGraph, title: &str, greyed: bool) -> String {
    let drawn = graph.nodes.len().min(MAX_DRAWN);
    let layout = layout(graph, drawn);
    let (width, height) = layout.size;
    let (bad, missing, hidden) = graph.counts();
    let description = format!(
        "{} dataset box(es), numbered as in the table below the picture; {bad} contaminated or made from contaminated data; {missing} not attested; {hidden} hidden dataset(s){}. Arrows point from what a dataset was made from to what was made.",
        graph.nodes.len(),
        if drawn < graph.nodes.len() {
            format!("; {} not drawn", graph.nodes.len() - drawn)
        } else {
            String::new()
        }
    );
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\" role=\"img\" \
         aria-labelledby=\"lineage-title lineage-desc\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         width=\"{width:.0}\" height=\"{height:.0}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n\
         <title id=\"lineage-title\">{}</title>\n<desc id=\"lineage-desc\">{}</desc>\n\
         <defs><marker id=\"lineage-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>\n",
        escape(title),
        escape(&description),
    );
    for EdgePath { parent, points, .. } in &layout.paths {
        let bad_edge = matches!(
            graph.nodes[*parent].state,
            NodeState::Contaminated(_) | NodeState::MadeFromContaminated
        );
        let points: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        svg.push_str(&format!(
            "<polyline class=\"edge\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" marker-end=\"url(#lineage-arrow)\"/>\n",
            points.join(" "),
            if bad_edge { "#8b0000" } else { "#333" },
            if bad_edge { 2.5 } else { 1.2 },
        ));
    }
    let room = layout.box_width - 2.0 * PADDING;
    for (i, node) in graph.nodes[..drawn].iter().enumerate() {
        let (x, y) = layout.corner[i];
        let (words, style) = mark(&node.state, greyed);
        let certified = node.key == graph.root;
        let second = if certified {
            format!("certified dataset · {words}")
        } else {
            words.to_owned()
        };
        let full = match &node.state {
            NodeState::Contaminated(reason) => format!("{}: {words}: {reason}", node.label()),
            _ => format!("{}: {second}", node.label()),
        };
        let third = if node.id.is_empty() {
            &node.note
        } else {
            &node.id
        };
        let centre = x + layout.box_width / 2.0;
        svg.push_str(&format!(
            "<g class=\"node\" data-number=\"{number}\"><title>{number}: {}</title>\
             <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BOX_HEIGHT}\" rx=\"6\" style=\"{style}{}\"/>\
             <text x=\"{centre:.1}\" y=\"{:.1}\" font-size=\"{LABEL_SIZE}\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>\
             <text x=\"{centre:.1}\" y=\"{:.1}\" font-size=\"{MARK_SIZE}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{centre:.1}\" y=\"{:.1}\" font-size=\"{DETAIL_SIZE}\" fill=\"#444\" text-anchor=\"middle\">{}</text></g>\n",
            escape(&full),
            if certified { ";stroke-width:4" } else { "" },
            y + 19.0,
            html::escape(&fit(
                &format!("#{} {}", layout.number[i], node.label()),
                room,
                LABEL_SIZE,
                true
            )),
            y + 37.0,
            html::escape(&fit(&second, room, MARK_SIZE, false)),
            y + 53.0,
            html::escape(&fit(third, room, DETAIL_SIZE, false)),
            number = layout.number[i],
            w = layout.box_width,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Every box's number, full name, version, id and mark, as an HTML table for under the picture:
/// the picture shortens labels to fit its boxes; this says them in full. Boxes not drawn are
/// listed too, after the others.
pub fn table(graph: &LineageGraph) -> String {
    let drawn = graph.nodes.len().min(MAX_DRAWN);
    let layout = layout(graph, drawn);
    let mut rows: Vec<(usize, &LineageNode)> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (layout.number.get(i).copied().unwrap_or(i + 1), node))
        .collect();
    rows.sort_by_key(|(number, _)| *number);
    let mut out = String::from(
        "<table class=\"lineage-table\">\n<caption class=\"note\">Every dataset of the picture by its number: its full name, version and id, and its mark.</caption>\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Name</th><th scope=\"col\">Version</th><th scope=\"col\">Dataset id</th><th scope=\"col\">Mark</th></tr></thead>\n<tbody>\n",
    );
    for (number, node) in rows {
        let (words, _) = mark(&node.state, false);
        let mut mark_text = escape(words);
        if node.key == graph.root {
            mark_text = format!("certified dataset · {mark_text}");
        }
        if let NodeState::Contaminated(reason) = &node.state {
            mark_text.push_str(&format!(": {}", escape(reason)));
        }
        if !node.note.is_empty() {
            mark_text.push_str(&format!(" ({})", escape(&node.note)));
        }
        out.push_str(&format!(
            "<tr data-number=\"{number}\"><td data-label=\"#\">{number}</td><td data-label=\"Name\">{}</td><td data-label=\"Version\">{}</td><td data-label=\"Dataset id\">{}</td><td data-label=\"Mark\">{mark_text}</td></tr>\n",
            html::name(&node.name),
            if node.version.is_empty() { "—".to_owned() } else { html::name(&node.version) },
            if node.id.is_empty() { "—".to_owned() } else { html::id(&node.id) },
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: &str, state: NodeState) -> LineageNode {
        LineageNode {
            key: key.into(),
            name: key.into(),
            version: "1".into(),
            id: format!("id-{key}"),
            note: String::new(),
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

    /// A star: `parents` direct parents of the root, some with a parent of their own, and one
    /// grandparent shared by all, whose edges span two layers.
    fn star(parents: usize) -> LineageGraph {
        let mut graph = LineageGraph {
            root: "root".into(),
            nodes: vec![node("root", NodeState::Attested)],
            edges: vec![],
        };
        for i in 0..parents {
            let key = format!("parent-{i}");
            graph.nodes.push(node(&key, NodeState::Attested));
            graph.edges.push((key.clone(), "root".into()));
            if i % 3 == 0 {
                let up = format!("grand-{i}");
                graph.nodes.push(node(&up, NodeState::Attested));
                graph.edges.push((up, key));
            }
        }
        graph.nodes.push(node("shared", NodeState::Attested));
        graph.edges.push(("shared".into(), "root".into()));
        graph.edges.push(("shared".into(), "grand-0".into()));
        graph
    }

    /// Whether segment `a`-`b` passes through the rectangle (shrunk by a hair, so that touching
    /// the edge where an arrow ends does not count).
    fn crosses(a: (f64, f64), b: (f64, f64), rect: (f64, f64, f64, f64)) -> bool {
        let (x0, y0, x1, y1) = (rect.0 + 0.5, rect.1 + 0.5, rect.2 - 0.5, rect.3 - 0.5);
        // Liang-Barsky clipping.
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let mut t0: f64 = 0.0;
        let mut t1: f64 = 1.0;
        for (p, q) in [
            (-dx, a.0 - x0),
            (dx, x1 - a.0),
            (-dy, a.1 - y0),
            (dy, y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        t0 < t1
    }

    fn assert_no_edge_crosses_a_box(graph: &LineageGraph) {
        let l = layout(graph, graph.nodes.len());
        for EdgePath {
            parent,
            child,
            points,
        } in &l.paths
        {
            for pair in points.windows(2) {
                for (i, &(x, y)) in l.corner.iter().enumerate() {
                    let rect = (x, y, x + l.box_width, y + BOX_HEIGHT);
                    assert!(
                        !crosses(pair[0], pair[1], rect),
                        "edge {parent}->{child} crosses box {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_dataset_lies_above_what_was_made_from_it() {
        let graph = chain();
        let l = layout(&graph, 3);
        let y = |i: usize| l.corner[i].1;
        assert!(y(2) < y(1) && y(1) < y(0));
        // The long edge raw -> mix passes clean's layer through a slot of its own.
        let long = l
            .paths
            .iter()
            .find(|p| (p.parent, p.child) == (2, 0))
            .expect("drawn");
        assert_eq!(long.points.len(), 4, "{:?}", long.points);
        assert_no_edge_crosses_a_box(&graph);
        assert_eq!(l.number[0], 1, "the certified dataset is number 1");
    }

    #[test]
    fn direct_parents_share_one_rank_and_no_edge_crosses_a_box() {
        for parents in [6, 30] {
            let graph = star(parents);
            let l = layout(&graph, graph.nodes.len());
            let parent_rows: BTreeSet<i64> = graph
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.key.starts_with("parent-"))
                .map(|(i, _)| l.corner[i].1 as i64)
                .collect();
            assert_eq!(parent_rows.len(), 1, "{parents} parents on one rank");
            assert_no_edge_crosses_a_box(&graph);
            // Boxes do not overlap.
            for (i, a) in l.corner.iter().enumerate() {
                for b in &l.corner[i + 1..] {
                    assert!(
                        (a.1 - b.1).abs() >= BOX_HEIGHT || (a.0 - b.0).abs() >= l.box_width,
                        "boxes overlap"
                    );
                }
            }
            let numbers: BTreeSet<usize> = l.number.iter().copied().collect();
            assert_eq!(numbers.len(), graph.nodes.len(), "numbers are unique");
        }
    }

    #[test]
    fn labels_fit_their_boxes_by_measured_width_and_the_table_names_them_in_full() {
        let mut graph = chain();
        graph.nodes[1].name = format!("{}\u{202e}gnp.exe", "W".repeat(40));
        let svg = render(&graph, "lineage", false);
        let l = layout(&graph, 3);
        for text in svg
            .split("font-weight=\"bold\" text-anchor=\"middle\">")
            .skip(1)
        {
            let label = text.split("</text>").next().expect("a label");
            let label = label.replace("&amp;", "&");
            assert!(
                text_width(&label, LABEL_SIZE, true) <= l.box_width - 2.0 * PADDING,
                "{label}"
            );
        }
        assert!(svg.contains("WWW…"));
        assert!(!svg.contains('\u{202e}'));
        let table = table(&graph);
        assert!(table.contains(&format!("{}\\u{{202e}}gnp.exe", "W".repeat(40))));
        assert!(table.contains("<td data-label=\"Dataset id\">"));
        assert!(table.contains("output of DeepSeek-R1"));
    }

    #[test]
    fn marks_are_written_in_words_not_only_in_colour_and_grey_when_not_valid() {
        let svg = render(&chain(), "lineage", false);
        assert!(svg.contains("CONTAMINATED"));
        assert!(svg.contains("NOT ATTESTED"));
        assert!(svg.contains("certified dataset · attested"));
        assert!(svg.contains("1 contaminated or made from contaminated data; 1 not attested"));
        assert!(svg.contains("#1b6e2a"));
        let greyed = render(&chain(), "lineage", true);
        assert!(!greyed.contains("#1b6e2a"), "no green when not valid");
    }

    #[test]
    fn hostile_names_cannot_break_out_of_the_picture() {
        let mut graph = chain();
        graph.nodes[1].name = "<script>alert('x')</script>\"><svg onload=x>".into();
        let svg = render(&graph, "\"</title><script>", false);
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<svg onload"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!table(&graph).contains("<script>"));
    }

    #[test]
    fn a_cycle_or_a_dangling_edge_does_not_hang_or_panic() {
        let mut graph = chain();
        graph.edges.push(("mix".into(), "raw".into()));
        graph.edges.push(("nowhere".into(), "mix".into()));
        graph.nodes.push(node("orphan", NodeState::Hidden(3)));
        let svg = render(&graph, "lineage", false);
        assert!(svg.contains("orphan@1") && svg.ends_with("</svg>"));
        assert_no_edge_crosses_a_box(&graph);
        assert!(render(&LineageGraph::default(), "empty", false).ends_with("</svg>"));
        assert!(table(&LineageGraph::default()).contains("</table>"));
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
        let svg = render(&graph, "lineage", false);
        assert_eq!(svg.matches("<rect").count(), MAX_DRAWN);
        assert!(svg.contains("; 5 not drawn"));
        assert_eq!(
            table(&graph).matches("<tr data-number").count(),
            MAX_DRAWN + 5
        );
    }
}
