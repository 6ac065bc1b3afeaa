//! What a viewer without an account may see of a certificate's lineage, for the public
//! verification page. Pure.
//!
//! The rule is the one every other read follows ("what the caller may not see is never shown, only
//! counted"), applied to a caller of no organisation: public datasets appear by name, version and
//! id; the certified dataset appears too, because the token the viewer holds names it; every other
//! private dataset is hidden. Hidden datasets that are linked to each other are drawn as one group
//! that says how many it holds, so neither their names, ids and digests nor the shape of the
//! private part of the lineage are shown, only where it joins what may be seen. The marks of a
//! hidden group (contaminated, not attested) are shown without their details, as evaluation shows
//! a hidden step of a path.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::access::{Caller, Role};
use super::evaluation::{ClosureGraph, GraphNode};
use super::policy::{Policy, RuleKind};

/// A caller of no organisation, with no rights: it sees public datasets only.
pub fn anonymous_viewer() -> Caller {
    Caller {
        token_id: Uuid::nil(),
        subject: "anonymous".into(),
        organization_id: None,
        role: Role::Auditor,
    }
}

/// How a dataset (or a group of hidden ones) stands under the certificate's policy now.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Its owner's attestation counts.
    Attested,
    /// No attestation by its owner counts any more.
    Unattested,
    /// Made from a contaminated dataset.
    MadeFromContaminated,
    /// Offends the policy; the reason, or `None` when it is hidden.
    Contaminated(Option<String>),
}

/// One box of the public lineage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicNode {
    /// `datasets/<id>` for a shown dataset, `hidden/<n>` for a group.
    pub key: String,
    /// The dataset, when shown.
    pub dataset: Option<GraphNode>,
    /// How many hidden datasets the group holds (0 for a shown dataset).
    pub hidden: usize,
    /// Its standing; for a group, the worst of its members'.
    pub standing: Standing,
}

/// The lineage as an anonymous viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicLineage {
    /// Key of the certified dataset.
    pub root: String,
    /// Shown datasets first (the certified one first of all), then hidden groups.
    pub nodes: Vec<PublicNode>,
    /// `(made from, made)` pairs of keys, without repeats.
    pub edges: Vec<(String, String)>,
}

/// The lineage of `graph` as `viewer` may see it, marked under `policy` (an `EXEMPT` certificate's
/// `target` makes restricted outputs exempt, as evaluation does).
pub fn public_lineage(
    graph: &ClosureGraph,
    policy: &Policy,
    target: Option<&str>,
    viewer: &Caller,
) -> PublicLineage {
    let shown: HashSet<Uuid> = graph
        .nodes
        .iter()
        .filter(|n| {
            n.id == graph.root || viewer.can_see(n.organization_id, n.visibility.is_public())
        })
        .map(|n| n.id)
        .collect();
    let standing = standings(graph, policy, target);

    // Hidden datasets linked to each other form one group: union-find over hidden-hidden edges.
    let hidden: Vec<Uuid> = graph
        .nodes
        .iter()
        .map(|n| n.id)
        .filter(|id| !shown.contains(id))
        .collect();
    let mut parent: HashMap<Uuid, Uuid> = hidden.iter().map(|&id| (id, id)).collect();
    fn find(parent: &mut HashMap<Uuid, Uuid>, id: Uuid) -> Uuid {
        let mut at = id;
        while let Some(&up) = parent.get(&at) {
            if up == at {
                break;
            }
            at = up;
        }
        parent.insert(id, at);
        at
    }
    for &(child, made_from) in &graph.edges {
        if parent.contains_key(&child) && parent.contains_key(&made_from) {
            let (a, b) = (find(&mut parent, child), find(&mut parent, made_from));
            if a != b {
                parent.insert(a.max(b), a.min(b));
            }
        }
    }
    // Groups are numbered in the order of their smallest member's id, so the same state always
    // gives the same picture.
    let mut groups: Vec<Uuid> = hidden.iter().map(|&id| find(&mut parent, id)).collect();
    groups.sort();
    groups.dedup();
    let group_key: HashMap<Uuid, String> = groups
        .iter()
        .enumerate()
        .map(|(i, &g)| (g, format!("hidden/{}", i + 1)))
        .collect();
    let key_of = |id: Uuid, parent: &mut HashMap<Uuid, Uuid>| -> String {
        if shown.contains(&id) {
            format!("datasets/{id}")
        } else {
            let group = find(parent, id);
            group_key.get(&group).cloned().unwrap_or_default()
        }
    };

    let mut shown_nodes: Vec<&GraphNode> = graph
        .nodes
        .iter()
        .filter(|n| shown.contains(&n.id))
        .collect();
    shown_nodes.sort_by_key(|n| (n.id != graph.root, n.name.clone(), n.version.clone(), n.id));
    let mut nodes: Vec<PublicNode> = shown_nodes
        .into_iter()
        .map(|n| PublicNode {
            key: format!("datasets/{}", n.id),
            dataset: Some(n.clone()),
            hidden: 0,
            standing: standing.get(&n.id).cloned().unwrap_or(Standing::Unattested),
        })
        .collect();
    for (i, &group) in groups.iter().enumerate() {
        let members: Vec<Uuid> = hidden
            .iter()
            .copied()
            .filter(|&id| find(&mut parent, id) == group)
            .collect();
        let worst = members
            .iter()
            .filter_map(|id| standing.get(id))
            .max()
            .cloned()
            .map(|s| match s {
                Standing::Contaminated(_) => Standing::Contaminated(None),
                other => other,
            })
            .unwrap_or(Standing::Unattested);
        nodes.push(PublicNode {
            key: format!("hidden/{}", i + 1),
            dataset: None,
            hidden: members.len(),
            standing: worst,
        });
    }
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for &(child, made_from) in &graph.edges {
        let from = key_of(made_from, &mut parent);
        let to = key_of(child, &mut parent);
        if from != to && seen.insert((from.clone(), to.clone())) {
            edges.push((from, to));
        }
    }
    PublicLineage {
        root: format!("datasets/{}", graph.root),
        nodes,
        edges,
    }
}

/// Each dataset's standing: contaminated (reported by its owner, or a source naming a restricted
/// model that the target does not make exempt), made from a contaminated one, attested, or not.
fn standings(
    graph: &ClosureGraph,
    policy: &Policy,
    target: Option<&str>,
) -> HashMap<Uuid, Standing> {
    // Only a prohibition makes its family's outputs offend here: the other kinds allow them at a
    // price (an obligation the certificate shows met), and a certificate under a competing-use
    // prohibition was judged for a purpose that does not compete.
    let outputs_offend = policy.kind == RuleKind::Prohibition
        && target.is_none_or(|t| policy.exempt_target(t).is_none());
    let mut offending: HashMap<Uuid, String> = HashMap::new();
    for &(dataset, report) in &graph.contaminations {
        offending
            .entry(dataset)
            .or_insert_with(|| format!("reported contaminated by its owner (report {report})"));
    }
    if outputs_offend {
        for source in &graph.model_sources {
            if policy.restricted_output(&source.model_id).is_some() {
                offending
                    .entry(source.dataset_id)
                    .or_insert_with(|| format!("output of {}", source.model_id));
            }
        }
    }
    // Everything made from an offender, found by walking the edges from made-from to made.
    let mut made_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for &(child, made_from) in &graph.edges {
        made_of.entry(made_from).or_default().push(child);
    }
    let mut tainted: HashSet<Uuid> = HashSet::new();
    let mut stack: Vec<Uuid> = offending.keys().copied().collect();
    while let Some(id) = stack.pop() {
        for &child in made_of.get(&id).into_iter().flatten() {
            if tainted.insert(child) {
                stack.push(child);
            }
        }
    }
    let attested: HashSet<Uuid> = graph.attestations.iter().map(|&(d, _)| d).collect();
    graph
        .nodes
        .iter()
        .map(|n| {
            let standing = if let Some(reason) = offending.get(&n.id) {
                Standing::Contaminated(Some(reason.clone()))
            } else if tainted.contains(&n.id) {
                Standing::MadeFromContaminated
            } else if attested.contains(&n.id) {
                Standing::Attested
            } else {
                Standing::Unattested
            };
            (n.id, standing)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::Visibility;
    use crate::domain::evaluation::ModelSource;
    use crate::domain::policy::PolicySet;

    fn policy() -> std::sync::Arc<Policy> {
        let set = PolicySet::builtin().expect("built-in policy");
        set.list().next().expect("a policy").clone()
    }

    fn node(id: Uuid, owner: Uuid, visibility: Visibility, name: &str) -> GraphNode {
        GraphNode {
            id,
            organization_id: owner,
            visibility,
            name: name.into(),
            version: "1".into(),
        }
    }

    /// vendor's private `mix` (certified) <- private `clean` <- private `raw`, and
    /// `mix` <- public `wiki` <- private `traces` of another organisation, made by DeepSeek-R1.
    fn graph() -> (ClosureGraph, [Uuid; 5]) {
        let (vendor, other) = (Uuid::now_v7(), Uuid::now_v7());
        let ids = [(); 5].map(|_| Uuid::now_v7());
        let [mix, clean, raw, wiki, traces] = ids;
        let graph = ClosureGraph {
            root: mix,
            nodes: vec![
                node(mix, vendor, Visibility::Private, "mix"),
                node(clean, vendor, Visibility::Private, "secret-clean"),
                node(raw, vendor, Visibility::Private, "secret-raw"),
                node(wiki, other, Visibility::Public, "wiki"),
                node(traces, other, Visibility::Private, "secret-traces"),
            ],
            edges: vec![(mix, clean), (clean, raw), (mix, wiki), (wiki, traces)],
            model_sources: vec![ModelSource {
                dataset_id: traces,
                position: 0,
                model_id: "deepseek-ai/DeepSeek-R1".into(),
            }],
            contaminations: vec![],
            attestations: vec![(mix, Uuid::now_v7()), (clean, Uuid::now_v7())],
            declared_purposes: vec![],
        };
        (graph, ids)
    }

    #[test]
    fn an_anonymous_viewer_sees_the_certified_and_public_datasets_and_only_counts_the_rest() {
        let (graph, [mix, _, _, wiki, _]) = graph();
        let view = public_lineage(&graph, &policy(), None, &anonymous_viewer());
        let shown: Vec<&str> = view
            .nodes
            .iter()
            .filter_map(|n| n.dataset.as_ref().map(|d| d.name.as_str()))
            .collect();
        assert_eq!(shown, ["mix", "wiki"]);
        assert_eq!(view.root, format!("datasets/{mix}"));
        let groups: Vec<usize> = view
            .nodes
            .iter()
            .map(|n| n.hidden)
            .filter(|&h| h > 0)
            .collect();
        // clean and raw are linked: one group of two; traces alone.
        assert_eq!(groups, [2, 1]);
        let text = format!("{view:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(
            view.edges
                .contains(&("hidden/2".into(), format!("datasets/{wiki}")))
        );
        assert!(
            view.edges
                .contains(&(format!("datasets/{wiki}"), format!("datasets/{mix}")))
        );
    }

    #[test]
    fn marks_follow_the_policy_and_hidden_offences_carry_no_details() {
        let (graph, [mix, _, _, wiki, _]) = graph();
        let view = public_lineage(&graph, &policy(), None, &anonymous_viewer());
        let standing = |key: &str| {
            view.nodes
                .iter()
                .find(|n| n.key == key)
                .map(|n| n.standing.clone())
                .expect("node")
        };
        assert_eq!(
            standing(&format!("datasets/{wiki}")),
            Standing::MadeFromContaminated
        );
        assert_eq!(
            standing(&format!("datasets/{mix}")),
            Standing::MadeFromContaminated
        );
        assert_eq!(standing("hidden/2"), Standing::Contaminated(None));
        // raw is unattested, clean attested: the group shows the worse.
        assert_eq!(standing("hidden/1"), Standing::Unattested);
        let exempt = public_lineage(
            &graph,
            &policy(),
            Some("DeepSeek-R1-Distill-Qwen-7B"),
            &anonymous_viewer(),
        );
        assert!(exempt.nodes.iter().all(|n| !matches!(
            n.standing,
            Standing::Contaminated(_) | Standing::MadeFromContaminated
        )));
    }

    #[test]
    fn outputs_a_policy_allows_at_a_price_do_not_mark_the_lineage_contaminated() {
        let (mut graph, _) = graph();
        graph.model_sources[0].model_id = "meta-llama/Llama-3.1-8B-Instruct".into();
        let set = PolicySet::builtin().expect("built-in policies");
        for (id, kind) in [
            ("llama-3.1-community-license", RuleKind::NamingObligation),
            ("gemma-terms-of-use", RuleKind::InheritedTerms),
        ] {
            let policy = set.get("id", id, "version", "").expect("shipped");
            assert_eq!(policy.kind, kind);
            let view = public_lineage(&graph, &policy, None, &anonymous_viewer());
            assert!(
                view.nodes.iter().all(|n| !matches!(
                    n.standing,
                    Standing::Contaminated(_) | Standing::MadeFromContaminated
                )),
                "{id}: {view:?}"
            );
        }
        // Under a prohibition of the same family, the same outputs offend.
        let llama_2 = set
            .get("id", "llama-2-community-license", "version", "")
            .expect("shipped");
        graph.model_sources[0].model_id = "meta-llama/Llama-2-70b-chat-hf".into();
        let view = public_lineage(&graph, &llama_2, None, &anonymous_viewer());
        assert!(
            view.nodes
                .iter()
                .any(|n| matches!(n.standing, Standing::Contaminated(_)))
        );
    }

    #[test]
    fn the_owner_sees_its_own_private_datasets() {
        let (graph, _) = graph();
        let owner = Caller {
            organization_id: Some(graph.nodes[0].organization_id),
            ..anonymous_viewer()
        };
        let view = public_lineage(&graph, &policy(), None, &owner);
        assert_eq!(view.nodes.iter().filter(|n| n.dataset.is_some()).count(), 4);
        assert_eq!(view.nodes.iter().filter(|n| n.hidden > 0).count(), 1);
    }
}
