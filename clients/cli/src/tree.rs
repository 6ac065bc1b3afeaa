//! Rendering a lineage walk as an indented tree. Pure: nodes in, lines out.
//!
//! The lineage graph is a DAG, not a tree: a dataset made from two datasets that share a parent
//! reaches that parent twice. Each dataset is printed in full once; later meetings print a
//! reference line marked `(see above)` and do not descend, which keeps the output finite and
//! proportional to the number of edges.

use std::collections::{HashMap, HashSet};

use provenance_api::v1 as pb;

/// Indentation added per level.
const INDENT: &str = "  ";

/// What is left to print, innermost last.
enum Item<'a> {
    /// A dataset (by id) at a level.
    Node(&'a str, usize),
    /// The count of hidden neighbours, printed after a node's visible ones.
    Hidden(i32, usize),
}

/// Renders `nodes` (as `StreamLineage` sends them) as a tree rooted at `root_id`: one line per
/// dataset, `name@version  id`, each node's `next_ids` indented one level below it.
///
/// Visible datasets that are reachable only through hidden ones have no path from the root; they
/// follow the tree under a heading of their own rather than being dropped.
pub fn render(root_id: &str, nodes: &[pb::LineageNode]) -> Vec<String> {
    let by_id: HashMap<&str, &pb::LineageNode> = nodes
        .iter()
        .filter_map(|n| n.dataset.as_ref().map(|d| (d.id.as_str(), n)))
        .collect();
    let mut printed = HashSet::new();
    let mut lines = Vec::new();
    walk(root_id, 0, &by_id, &mut printed, &mut lines);

    let mut heading_done = false;
    for node in nodes {
        let Some(dataset) = &node.dataset else {
            continue;
        };
        if printed.contains(dataset.id.as_str()) {
            continue;
        }
        if !heading_done {
            lines.push("reachable only through hidden datasets:".to_owned());
            heading_done = true;
        }
        walk(&dataset.id, 1, &by_id, &mut printed, &mut lines);
    }
    lines
}

/// Prints the subtree under `start`, depth first, without recursion: a walk may be up to 10 000
/// edges deep, too deep for the stack.
fn walk<'a>(
    start: &'a str,
    level: usize,
    by_id: &HashMap<&'a str, &'a pb::LineageNode>,
    printed: &mut HashSet<&'a str>,
    lines: &mut Vec<String>,
) {
    let mut stack = vec![Item::Node(start, level)];
    while let Some(item) = stack.pop() {
        match item {
            Item::Hidden(count, level) => {
                lines.push(format!(
                    "{}… {count} hidden dataset(s)",
                    INDENT.repeat(level)
                ));
            }
            Item::Node(id, level) => {
                let indent = INDENT.repeat(level);
                let Some(node) = by_id.get(id) else {
                    lines.push(format!("{indent}{id}  (not in the answer)"));
                    continue;
                };
                let label = label(node, id);
                if !printed.insert(id) {
                    lines.push(format!("{indent}{label}  (see above)"));
                    continue;
                }
                lines.push(format!("{indent}{label}"));
                // Pushed first so that it pops after all the visible children.
                if node.hidden_next_count > 0 {
                    stack.push(Item::Hidden(node.hidden_next_count, level + 1));
                }
                for child in node.next_ids.iter().rev() {
                    stack.push(Item::Node(child, level + 1));
                }
            }
        }
    }
}

fn label(node: &pb::LineageNode, id: &str) -> String {
    match &node.dataset {
        Some(d) => format!("{}@{}  {id}", d.name, d.version),
        None => id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, depth: i32, next: &[&str], hidden: i32) -> pb::LineageNode {
        pb::LineageNode {
            dataset: Some(pb::Dataset {
                id: id.to_owned(),
                name: id.to_uppercase(),
                version: "1".to_owned(),
                ..Default::default()
            }),
            depth,
            next_ids: next.iter().map(|s| (*s).to_owned()).collect(),
            hidden_next_count: hidden,
        }
    }

    #[test]
    fn chain_indents_one_level_per_edge() {
        let nodes = [
            node("c", 0, &["b"], 0),
            node("b", 1, &["a"], 0),
            node("a", 2, &[], 0),
        ];
        assert_eq!(render("c", &nodes), ["C@1  c", "  B@1  b", "    A@1  a"]);
    }

    #[test]
    fn diamond_prints_shared_parent_once_then_refers_to_it() {
        // d was made from b and c, both made from a; a also has a parent the caller cannot see.
        let nodes = [
            node("d", 0, &["b", "c"], 0),
            node("b", 1, &["a"], 0),
            node("c", 1, &["a"], 0),
            node("a", 2, &[], 2),
        ];
        assert_eq!(
            render("d", &nodes),
            [
                "D@1  d",
                "  B@1  b",
                "    A@1  a",
                "      … 2 hidden dataset(s)",
                "  C@1  c",
                "    A@1  a  (see above)",
            ]
        );
    }

    #[test]
    fn hidden_count_follows_the_visible_children() {
        let nodes = [node("r", 0, &["x"], 1), node("x", 1, &[], 0)];
        assert_eq!(
            render("r", &nodes),
            ["R@1  r", "  X@1  x", "  … 1 hidden dataset(s)"]
        );
    }

    #[test]
    fn cycles_terminate() {
        let nodes = [node("a", 0, &["b"], 0), node("b", 1, &["a"], 0)];
        assert_eq!(
            render("a", &nodes),
            ["A@1  a", "  B@1  b", "    A@1  a  (see above)"]
        );
    }

    #[test]
    fn datasets_beyond_hidden_ones_are_still_shown() {
        // r -> (hidden) -> z: z is visible but no visible edge leads to it.
        let nodes = [node("r", 0, &[], 1), node("z", 2, &[], 0)];
        assert_eq!(
            render("r", &nodes),
            [
                "R@1  r",
                "  … 1 hidden dataset(s)",
                "reachable only through hidden datasets:",
                "  Z@1  z",
            ]
        );
    }

    #[test]
    fn missing_nodes_are_named_not_dropped() {
        let nodes = [node("r", 0, &["gone"], 0)];
        assert_eq!(
            render("r", &nodes),
            ["R@1  r", "  gone  (not in the answer)"]
        );
    }

    #[test]
    fn very_deep_chains_do_not_overflow_the_stack() {
        let ids: Vec<String> = (0..5_000).map(|i| format!("n{i}")).collect();
        let nodes: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let next: Vec<&str> = ids.get(i + 1).map(String::as_str).into_iter().collect();
                node(id, i as i32, &next, 0)
            })
            .collect();
        let lines = render("n0", &nodes);
        assert_eq!(lines.len(), 5_000);
        assert!(lines[4_999].starts_with(&"  ".repeat(4_999)));
    }
}
