//! Lineage walks: which nodes of a closure the caller sees, in what order, and page by page.
//!
//! The store computes the closure (every dataset reachable within the depth limit, with its
//! shortest depth) in one query; this module applies visibility and paging, with no I/O.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::access::Caller;
use super::dataset::Visibility;
use crate::error::{Error, Result};

/// Deepest walk a request may ask for; also the depth of a walk that asks for "no limit".
pub const MAX_DEPTH: u32 = 10_000;

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards parents.
    Upstream,
    /// Towards children.
    Downstream,
}

impl Direction {
    /// Name used in page-token fingerprints.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upstream => "upstream",
            Direction::Downstream => "downstream",
        }
    }
}

/// Checks `max_depth`: 0 means [`MAX_DEPTH`]; negative or above it is refused.
pub fn max_depth(value: i32) -> Result<u32> {
    match value {
        0 => Ok(MAX_DEPTH),
        1.. if value as u32 <= MAX_DEPTH => Ok(value as u32),
        _ => Err(Error::invalid(
            "max_depth",
            format!("must be between 0 (no limit other than {MAX_DEPTH}) and {MAX_DEPTH}"),
        )),
    }
}

/// One dataset of a closure, as the store returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosureEntry {
    /// The dataset.
    pub id: Uuid,
    /// Shortest number of edges from the start.
    pub depth: u32,
    /// Its owner.
    pub organization_id: Uuid,
    /// Its visibility.
    pub visibility: Visibility,
}

/// A visible node of a walk: `(depth, id)`, ordered by depth and then id.
pub type WalkEntry = (u32, Uuid);

/// Each node's shortest depth from `root`, walking `edges` (node to next step) breadth-first;
/// `nodes` are the datasets the walk reached, with their owner and visibility. Nodes deeper than
/// `max_depth` are left out. The store finds the nodes and edges with a walk that visits each dataset
/// once, so that depths cost no more than the closure's edges however many paths lead to a node.
pub fn closure_with_depths(
    root: Uuid,
    nodes: &[(Uuid, Uuid, Visibility)],
    edges: &[(Uuid, Uuid)],
    max_depth: u32,
) -> Vec<ClosureEntry> {
    let mut next: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for &(from, to) in edges {
        next.entry(from).or_default().push(to);
    }
    let mut depth_of: HashMap<Uuid, u32> = HashMap::from([(root, 0)]);
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(node) = queue.pop_front() {
        let depth = depth_of[&node];
        if depth == max_depth {
            continue;
        }
        for &neighbour in next.get(&node).map(Vec::as_slice).unwrap_or_default() {
            if let std::collections::hash_map::Entry::Vacant(slot) = depth_of.entry(neighbour) {
                slot.insert(depth + 1);
                queue.push_back(neighbour);
            }
        }
    }
    nodes
        .iter()
        .filter_map(|&(id, organization_id, visibility)| {
            depth_of.get(&id).map(|&depth| ClosureEntry {
                id,
                depth,
                organization_id,
                visibility,
            })
        })
        .collect()
}

/// A closure split into what the caller sees (in walk order) and what it does not.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Visible nodes ordered by depth, then id.
    visible: Vec<WalkEntry>,
    /// Every node of the closure, with whether the caller sees it.
    members: HashMap<Uuid, bool>,
}

impl Walk {
    /// Splits `closure` for `caller`.
    pub fn new(closure: &[ClosureEntry], caller: &Caller) -> Self {
        let mut visible = Vec::new();
        let mut members = HashMap::with_capacity(closure.len());
        for entry in closure {
            let sees = caller.can_see(entry.organization_id, entry.visibility.is_public());
            if members.insert(entry.id, sees).is_none() && sees {
                visible.push((entry.depth, entry.id));
            }
        }
        visible.sort_unstable();
        Self { visible, members }
    }

    /// Number of visible nodes.
    pub fn visible_count(&self) -> usize {
        self.visible.len()
    }

    /// Number of nodes the caller may not see.
    pub fn hidden_count(&self) -> usize {
        self.members.len() - self.visible.len()
    }

    /// Up to `size` visible nodes after `cursor` (see [`Walk::cursor`]), and the cursor of the
    /// following page if there is one.
    pub fn page(
        &self,
        cursor: Option<&str>,
        size: usize,
    ) -> Result<(&[WalkEntry], Option<String>)> {
        let start = match cursor {
            None => 0,
            Some(text) => {
                let after = parse_cursor(text)?;
                self.visible.partition_point(|node| *node <= after)
            }
        };
        let end = (start + size).min(self.visible.len());
        let page = &self.visible[start..end];
        let next = (end < self.visible.len())
            .then(|| page.last().map(|&(depth, id)| Self::cursor(depth, id)))
            .flatten();
        Ok((page, next))
    }

    /// The cursor that resumes after node `(depth, id)`.
    pub fn cursor(depth: u32, id: Uuid) -> String {
        format!("{depth}/{id}")
    }

    /// For each node, its neighbours one step further that belong to the walk: visible ones by id
    /// (each once, in edge order) and hidden ones counted. `edges` go from a node to a neighbour.
    pub fn next_steps(&self, edges: &[(Uuid, Uuid)]) -> HashMap<Uuid, NextSteps> {
        let mut steps: HashMap<Uuid, NextSteps> = HashMap::new();
        let mut seen = HashSet::new();
        for &(from, to) in edges {
            let Some(&visible) = self.members.get(&to) else {
                continue; // beyond the depth limit
            };
            if !seen.insert((from, to)) {
                continue;
            }
            let entry = steps.entry(from).or_default();
            if visible {
                entry.visible.push(to);
            } else {
                entry.hidden += 1;
            }
        }
        steps
    }
}

/// A node's neighbours one step further in the walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextSteps {
    /// Visible neighbours.
    pub visible: Vec<Uuid>,
    /// How many are hidden.
    pub hidden: u32,
}

fn parse_cursor(text: &str) -> Result<(u32, Uuid)> {
    let bad = || Error::invalid("page_token", "is not a page token of this list");
    let (depth, id) = text.split_once('/').ok_or_else(bad)?;
    Ok((
        depth.parse().map_err(|_| bad())?,
        Uuid::try_parse(id).map_err(|_| bad())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Role;

    fn caller(org: Uuid) -> Caller {
        Caller {
            token_id: Uuid::now_v7(),
            subject: "t".into(),
            organization_id: Some(org),
            role: Role::Auditor,
        }
    }

    fn entry(id: Uuid, depth: u32, org: Uuid, visibility: Visibility) -> ClosureEntry {
        ClosureEntry {
            id,
            depth,
            organization_id: org,
            visibility,
        }
    }

    #[test]
    fn hidden_nodes_are_counted_never_listed_and_nodes_beyond_them_still_show() {
        let (me, them) = (Uuid::now_v7(), Uuid::now_v7());
        let (root, hidden, beyond) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let closure = [
            entry(root, 0, me, Visibility::Private),
            entry(hidden, 1, them, Visibility::Private),
            entry(beyond, 2, them, Visibility::Public),
        ];
        let walk = Walk::new(&closure, &caller(me));
        assert_eq!(walk.visible_count(), 2);
        assert_eq!(walk.hidden_count(), 1);
        let (page, next) = walk.page(None, 10).unwrap();
        assert_eq!(page, &[(0, root), (2, beyond)]);
        assert_eq!(next, None);
        let steps = walk.next_steps(&[(root, hidden), (hidden, beyond)]);
        assert_eq!(
            steps[&root],
            NextSteps {
                visible: vec![],
                hidden: 1
            }
        );
        assert_eq!(steps[&hidden].visible, vec![beyond]);
    }

    #[test]
    fn pages_follow_depth_then_id_and_resume_after_the_cursor() {
        let org = Uuid::now_v7();
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let closure: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| entry(id, (i as u32) / 2, org, Visibility::Private))
            .collect();
        let walk = Walk::new(&closure, &caller(org));
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = walk.page(cursor.as_deref(), 2).unwrap();
            seen.extend(page.iter().map(|&(_, id)| id));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ids);
        assert!(walk.page(Some("x"), 2).is_err());
    }

    #[test]
    fn edges_out_of_the_walk_are_dropped_and_repeats_counted_once() {
        let org = Uuid::now_v7();
        let (a, b, outside) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let closure = [
            entry(a, 0, org, Visibility::Private),
            entry(b, 1, org, Visibility::Private),
        ];
        let walk = Walk::new(&closure, &caller(org));
        let steps = walk.next_steps(&[(a, b), (a, b), (b, outside)]);
        assert_eq!(steps[&a].visible, vec![b]);
        assert!(!steps.contains_key(&b));
    }

    #[test]
    fn depths_are_shortest_and_bounded() {
        let org = Uuid::now_v7();
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let nodes: Vec<_> = ids
            .iter()
            .map(|&id| (id, org, Visibility::Private))
            .collect();
        // 0 -> 1 -> 2 -> 3 and a shortcut 0 -> 3.
        let edges = [
            (ids[0], ids[1]),
            (ids[1], ids[2]),
            (ids[2], ids[3]),
            (ids[0], ids[3]),
        ];
        let depths = |max| {
            let mut found: Vec<(Uuid, u32)> = closure_with_depths(ids[0], &nodes, &edges, max)
                .iter()
                .map(|e| (e.id, e.depth))
                .collect();
            found.sort();
            found
        };
        let mut all = vec![(ids[0], 0), (ids[1], 1), (ids[2], 2), (ids[3], 1)];
        all.sort();
        assert_eq!(depths(MAX_DEPTH), all);
        let mut one = vec![(ids[0], 0), (ids[1], 1), (ids[3], 1)];
        one.sort();
        assert_eq!(depths(1), one);
    }

    #[test]
    fn max_depth_zero_means_the_maximum() {
        assert_eq!(max_depth(0).unwrap(), MAX_DEPTH);
        assert_eq!(max_depth(3).unwrap(), 3);
        assert!(max_depth(-1).is_err());
        assert!(max_depth(MAX_DEPTH as i32 + 1).is_err());
    }
}
