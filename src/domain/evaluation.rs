//! Judging a dataset's whole upstream lineage under a policy. Pure: the store loads the closure as
//! a [`ClosureGraph`] (a few set-based queries, however large), and this module decides.
//!
//! The rules, in order:
//! 1. a dataset its owner (or the operator) reported contaminated makes the verdict `Contaminated`,
//!    whatever the target model: a report does not say which model's outputs it found;
//! 2. otherwise a `MODEL_GENERATED` source naming a restricted model makes it `Contaminated`, or
//!    `Exempt` when the target model belongs to the policy's exempt family;
//! 3. otherwise a dataset without a valid attestation by its owner under this policy version makes it
//!    `Incomplete`;
//! 4. otherwise `Clean`.
//!
//! Each offender comes with one shortest path from the evaluated dataset, found breadth-first with
//! parents taken in id order, so the same state always gives the same paths in the same order.

use std::collections::{HashMap, HashSet, VecDeque};

use uuid::Uuid;

use super::access::Caller;
use super::dataset::Visibility;
use super::model_name::FamilyMatch;
use super::policy::{Policy, Purpose, RuleKind};

/// Offenders and datasets without attestation listed in an answer at most; the rest are counted.
pub const MAX_LISTED: usize = 100;

/// Offenders, obligation sources and datasets without attestation listed at most in each policy's
/// evaluation when `policies` policies judge at once: together they list no more than one
/// evaluation does ([`MAX_LISTED`]), so the answer keeps one evaluation's bound however many
/// policies it covers (at most [`super::policy::MAX_POLICIES_PER_EVALUATION`]: 6 each for 16).
pub fn listed_each(policies: usize) -> usize {
    MAX_LISTED / policies.max(1)
}

/// Attestation ids listed at most in each policy's evaluation when `policies` policies judge at
/// once: together no more than one evaluation lists ([`MAX_LISTED_ATTESTATION_IDS`]).
pub fn listed_attestation_ids_each(policies: usize) -> usize {
    MAX_LISTED_ATTESTATION_IDS / policies.max(1)
}

/// Attestation ids listed in an answer at most; the rest are counted. (A certificate's claims
/// carry them all: it is the evidence; an evaluation is a report.)
pub const MAX_LISTED_ATTESTATION_IDS: usize = 1000;

/// Steps shown at each end of an offender's path: a longer path keeps its first and its last
/// this many steps, and [`Offender::path_length`] says how long it is. A path through a
/// 10,000-deep chain would otherwise make a hundred offenders a 100 MB answer.
pub const PATH_ENDS_SHOWN: usize = 3;

/// A dataset of a closure, with what evaluation needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// Its id.
    pub id: Uuid,
    /// Its owner.
    pub organization_id: Uuid,
    /// Who may see it.
    pub visibility: Visibility,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A `MODEL_GENERATED` source of a dataset in the closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSource {
    /// The dataset declaring it.
    pub dataset_id: Uuid,
    /// Its position among the dataset's sources.
    pub position: u32,
    /// The model as the registrant named it.
    pub model_id: String,
}

/// Everything evaluation reads about a dataset's upstream closure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosureGraph {
    /// The evaluated dataset.
    pub root: Uuid,
    /// Every dataset of the closure, the root included.
    pub nodes: Vec<GraphNode>,
    /// `(child, parent)` lineage edges among them.
    pub edges: Vec<(Uuid, Uuid)>,
    /// Their model-generated sources.
    pub model_sources: Vec<ModelSource>,
    /// `(dataset, report)` for every effective contamination report (by owner or operator).
    pub contaminations: Vec<(Uuid, Uuid)>,
    /// `(dataset, attestation)` for every attestation that counts: by the dataset's owner, under the
    /// policy version evaluated, neither expired nor revoked.
    pub attestations: Vec<(Uuid, Uuid)>,
    /// `(attestation, purpose)` for each attestation read with the graph (under any policy asked)
    /// that declares a purpose; see [`judged_purpose`].
    pub declared_purposes: Vec<(Uuid, Purpose)>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing restricted, nothing contaminated, everything attested.
    Clean,
    /// Restricted outputs (not exempt) or a reported contamination in the lineage.
    Contaminated,
    /// Nothing found, but not everything attested.
    Incomplete,
    /// Restricted outputs in the lineage, allowed for the target model.
    Exempt,
}

/// A dataset on a path, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A dataset the caller may see.
    Shown {
        /// Its id.
        id: Uuid,
        /// Its name.
        name: String,
        /// Its version.
        version: String,
    },
    /// Another organisation's private dataset.
    Hidden,
}

/// What makes a dataset offend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offence {
    /// A source names a restricted model.
    RestrictedModelOutput {
        /// The model as the source names it.
        model_id: String,
        /// The source's position.
        source_index: u32,
        /// How it matched the policy's family.
        found: FamilyMatch,
    },
    /// Its owner or the operator reported it contaminated.
    ReportedContaminated {
        /// The report, unless the dataset is hidden from the caller.
        report_id: Option<Uuid>,
    },
}

/// One offending dataset and a shortest path to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offender {
    /// From the evaluated dataset (first) to the offending one (last); of a path longer than
    /// twice [`PATH_ENDS_SHOWN`] steps, only its first and last [`PATH_ENDS_SHOWN`] steps.
    pub path: Vec<PathStep>,
    /// Steps on the whole path, the evaluated and the offending dataset included.
    pub path_length: usize,
    /// Why it offends.
    pub offence: Offence,
}

/// What a policy that allows training on its family's outputs asks in return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObligationKind {
    /// The trained model's name must begin with the policy's prefix.
    NamePrefix,
    /// The trained model is bound by the source's terms.
    InheritedTerms,
    /// The trained model must not compete with the provider.
    NoCompetingUse,
}

/// Whether an obligation is met, as far as the evaluation can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObligationStatus {
    /// Met: the target model's name begins with the prefix, or the declared purpose is not a
    /// competing model.
    Met,
    /// Not met: the target model's name does not begin with the prefix.
    Unmet,
    /// Cannot be judged: no target model, or no declared purpose.
    Undetermined,
    /// Binds the trained model whatever it is: inherited terms.
    Applies,
}

/// An obligation that restricted outputs in the lineage bring with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    /// What is owed.
    pub kind: ObligationKind,
    /// Whether it is met.
    pub status: ObligationStatus,
    /// The outputs that bring it, as offenders are listed; at most [`MAX_LISTED`].
    pub sources: Vec<Offender>,
    /// How many there are in all.
    pub source_count: usize,
}

/// The judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The verdict.
    pub verdict: Verdict,
    /// Whether the target model is exempt, and the family entry it matched.
    pub target_exemption: Option<FamilyMatch>,
    /// Offenders, by path length, then the ids on the path; at most [`MAX_LISTED`].
    pub offenders: Vec<Offender>,
    /// Offenders in all.
    pub offender_count: usize,
    /// Datasets without a valid attestation, in walk order; at most [`MAX_LISTED`].
    pub missing_attestations: Vec<PathStep>,
    /// Datasets without one in all.
    pub missing_attestation_count: usize,
    /// The attestations that count, sorted; those of hidden datasets left out.
    pub attestation_ids: Vec<Uuid>,
    /// Datasets in the closure.
    pub closure_size: usize,
    /// What the restricted outputs in the lineage oblige the trained model to, under a policy
    /// that allows them at a price (empty under a prohibition, and when there are none).
    pub obligations: Vec<Obligation>,
    /// The purpose judged by: the request's, or else the one the evaluated dataset's own valid
    /// attestations under the policy declare (see [`judged_purpose`]).
    pub purpose: Purpose,
}

/// The purpose an evaluation judges by: `requested` when the request declares one; otherwise the
/// one the root dataset's own attestations among `attested` (`(dataset, attestation)` pairs that
/// count under the policy) declare in `declared` (`(attestation, purpose)`): `CompetingModel` if
/// any of them declares it, else `NonCompeting` if any does, else `Undeclared`. Upstream datasets'
/// declarations never count: the purpose is that of the model the evaluated dataset trains.
pub fn judged_purpose(
    requested: Purpose,
    root: Uuid,
    attested: &[(Uuid, Uuid)],
    declared: &[(Uuid, Purpose)],
) -> Purpose {
    if requested != Purpose::Undeclared {
        return requested;
    }
    let own: HashSet<Uuid> = attested
        .iter()
        .filter(|&&(dataset, _)| dataset == root)
        .map(|&(_, attestation)| attestation)
        .collect();
    let declared_by_root = |purpose: &Purpose| {
        declared
            .iter()
            .any(|(attestation, p)| p == purpose && own.contains(attestation))
    };
    [Purpose::CompetingModel, Purpose::NonCompeting]
        .into_iter()
        .find(declared_by_root)
        .unwrap_or(Purpose::Undeclared)
}

/// The steps of `path` an answer shows: all of a short path, the ends of a long one.
fn path_ends(path: &[Uuid]) -> impl Iterator<Item = &Uuid> {
    let (head, tail) = if path.len() > 2 * PATH_ENDS_SHOWN {
        (
            &path[..PATH_ENDS_SHOWN],
            &path[path.len() - PATH_ENDS_SHOWN..],
        )
    } else {
        (path, &path[..0])
    };
    head.iter().chain(tail)
}

/// Judges `graph` under `policy` for `target` (if any) and the declared `purpose` (or, when
/// undeclared, the root's attestations' purpose: [`judged_purpose`]), as `caller` may see it,
/// counting the attestations of `graph.attestations`.
pub fn evaluate(
    graph: &ClosureGraph,
    policy: &Policy,
    target: Option<&str>,
    purpose: Purpose,
    caller: &Caller,
) -> Evaluation {
    Walk::new(graph, caller).evaluate(policy, &graph.attestations, target, purpose)
}

/// A closure graph read once for several policies: the graph (whose `attestations` are left
/// empty) and, for each policy in the order asked, the attestations that count under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedClosure {
    /// Datasets, edges, model-generated sources and contamination reports: the same under every
    /// policy.
    pub graph: ClosureGraph,
    /// `(dataset, attestation)` pairs that count, one list per policy asked, in that order.
    pub attestations: Vec<Vec<(Uuid, Uuid)>>,
}

impl SharedClosure {
    /// The graph read for a single policy, its attestations in [`ClosureGraph::attestations`].
    pub fn into_single(mut self) -> ClosureGraph {
        self.graph.attestations = self.attestations.into_iter().next().unwrap_or_default();
        self.graph
    }

    /// Judges the closure under each policy, walking the graph once: `policies[i]` with the
    /// attestations of `self.attestations[i]` (none when there are fewer lists than policies),
    /// each evaluation listing at most `listed` offenders, obligation sources and datasets
    /// lacking an attestation.
    pub fn evaluate_each(
        &self,
        policies: &[&Policy],
        target: Option<&str>,
        purpose: Purpose,
        caller: &Caller,
        listed: usize,
    ) -> Vec<Evaluation> {
        let mut walk = Walk::new(&self.graph, caller);
        walk.listed = listed;
        policies
            .iter()
            .enumerate()
            .map(|(i, policy)| {
                let attested = self
                    .attestations
                    .get(i)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                walk.evaluate(policy, attested, target, purpose)
            })
            .collect()
    }
}

/// The part of an evaluation that no policy changes: the breadth-first walk of the closure and who
/// may see what, computed once however many policies judge it.
pub struct Walk<'g> {
    graph: &'g ClosureGraph,
    nodes: HashMap<Uuid, &'g GraphNode>,
    walk: BreadthFirst,
    caller: &'g Caller,
    /// The effective contamination reports reached, each with a shortest path to its dataset:
    /// offenders under every policy.
    reported: Vec<(Vec<Uuid>, u32, Offence)>,
    /// Paths to each model source's dataset, by the source's place in `graph.model_sources`.
    source_paths: Vec<Option<Vec<Uuid>>>,
    /// Offenders, obligation sources and datasets lacking an attestation listed at most.
    listed: usize,
}

impl<'g> Walk<'g> {
    /// Walks `graph` as `caller` may see it.
    pub fn new(graph: &'g ClosureGraph, caller: &'g Caller) -> Self {
        let nodes: HashMap<Uuid, &GraphNode> = graph.nodes.iter().map(|n| (n.id, n)).collect();
        let walk = BreadthFirst::new(graph);
        let mut this = Self {
            graph,
            nodes,
            walk,
            caller,
            reported: Vec::new(),
            source_paths: Vec::new(),
            listed: MAX_LISTED,
        };
        let mut reported = Vec::new();
        for &(dataset, report) in &graph.contaminations {
            if let Some(path) = this.walk.path_to(dataset) {
                let report_id = this.visible(&dataset).then_some(report);
                reported.push((path, u32::MAX, Offence::ReportedContaminated { report_id }));
            }
        }
        this.source_paths = graph
            .model_sources
            .iter()
            .map(|source| this.walk.path_to(source.dataset_id))
            .collect();
        this.reported = reported;
        this
    }

    fn visible(&self, id: &Uuid) -> bool {
        self.nodes.get(id).is_some_and(|n| {
            self.caller
                .can_see(n.organization_id, n.visibility.is_public())
        })
    }

    fn step(&self, id: &Uuid) -> PathStep {
        match self.nodes.get(id) {
            Some(n) if self.visible(id) => PathStep::Shown {
                id: n.id,
                name: n.name.clone(),
                version: n.version.clone(),
            },
            _ => PathStep::Hidden,
        }
    }

    /// Offenders in a stable order: (path length, path ids, source index); at most `self.listed`
    /// shown, all counted.
    fn listed(&self, mut found: Vec<(Vec<Uuid>, u32, Offence)>) -> (Vec<Offender>, usize) {
        found.sort_by(|a, b| (a.0.len(), &a.0, a.1).cmp(&(b.0.len(), &b.0, b.1)));
        let count = found.len();
        let shown = found
            .into_iter()
            .take(self.listed)
            .map(|(path, _, offence)| Offender {
                path: path_ends(&path).map(|id| self.step(id)).collect(),
                path_length: path.len(),
                offence,
            })
            .collect();
        (shown, count)
    }

    /// Judges the walked closure under `policy` for `target` (if any) and the declared `purpose`
    /// (or, when undeclared, the root's attestations' purpose: [`judged_purpose`]), counting the
    /// attestations of `attested` (`(dataset, attestation)` pairs under `policy`).
    pub fn evaluate(
        &self,
        policy: &Policy,
        attested: &[(Uuid, Uuid)],
        target: Option<&str>,
        purpose: Purpose,
    ) -> Evaluation {
        let graph = self.graph;
        let purpose = judged_purpose(purpose, graph.root, attested, &graph.declared_purposes);
        let mut restricted = Vec::new();
        for (source, path) in graph.model_sources.iter().zip(&self.source_paths) {
            if let (Some(found), Some(path)) = (policy.restricted_output(&source.model_id), path) {
                restricted.push((
                    path.clone(),
                    source.position,
                    Offence::RestrictedModelOutput {
                        model_id: source.model_id.clone(),
                        source_index: source.position,
                        found,
                    },
                ));
            }
        }

        let target_exemption = target.and_then(|t| policy.exempt_target(t));
        // Under a prohibition restricted outputs offend; under the other kinds they bring an
        // obligation, unless a competing purpose is declared, which a competing-use prohibition
        // forbids.
        let obligation = match policy.kind {
            RuleKind::Prohibition => None,
            RuleKind::CompetingUseProhibition => match purpose {
                Purpose::CompetingModel => None,
                Purpose::NonCompeting => {
                    Some((ObligationKind::NoCompetingUse, ObligationStatus::Met))
                }
                Purpose::Undeclared => Some((
                    ObligationKind::NoCompetingUse,
                    ObligationStatus::Undetermined,
                )),
            },
            RuleKind::NamingObligation => Some((
                ObligationKind::NamePrefix,
                match target {
                    None => ObligationStatus::Undetermined,
                    Some(t) if policy.name_meets_prefix(t) => ObligationStatus::Met,
                    Some(_) => ObligationStatus::Unmet,
                },
            )),
            RuleKind::InheritedTerms => {
                Some((ObligationKind::InheritedTerms, ObligationStatus::Applies))
            }
        };
        let (offending, obligations) = match obligation {
            Some((kind, status)) if !restricted.is_empty() => {
                let (sources, source_count) = self.listed(restricted);
                let obligation = Obligation {
                    kind,
                    status,
                    sources,
                    source_count,
                };
                (Vec::new(), vec![obligation])
            }
            _ => (restricted, Vec::new()),
        };
        let verdict_before_attestations = if !self.reported.is_empty() {
            Some(Verdict::Contaminated)
        } else if !offending.is_empty() {
            Some(if target_exemption.is_some() {
                Verdict::Exempt
            } else {
                Verdict::Contaminated
            })
        } else {
            None
        };
        // Without a declared purpose, a competing-use prohibition cannot say the outputs are
        // allowed.
        let purpose_undetermined = obligations.iter().any(|o| {
            o.kind == ObligationKind::NoCompetingUse && o.status == ObligationStatus::Undetermined
        });
        let (offenders, offender_count) =
            self.listed(self.reported.iter().cloned().chain(offending).collect());

        let attested_ids: HashSet<Uuid> = attested.iter().map(|&(dataset, _)| dataset).collect();
        let missing: Vec<Uuid> = self
            .walk
            .order
            .iter()
            .copied()
            .filter(|id| !attested_ids.contains(id))
            .collect();
        let mut attestation_ids: Vec<Uuid> = attested
            .iter()
            .filter(|(dataset, _)| self.visible(dataset))
            .map(|&(_, attestation)| attestation)
            .collect();
        attestation_ids.sort_unstable();
        attestation_ids.dedup();

        let verdict =
            verdict_before_attestations.unwrap_or(if missing.is_empty() && !purpose_undetermined {
                Verdict::Clean
            } else {
                Verdict::Incomplete
            });
        Evaluation {
            verdict,
            target_exemption,
            offenders,
            offender_count,
            missing_attestations: missing
                .iter()
                .take(self.listed)
                .map(|id| self.step(id))
                .collect(),
            missing_attestation_count: missing.len(),
            attestation_ids,
            closure_size: self.walk.order.len(),
            obligations,
            purpose,
        }
    }
}

/// Shortest paths from the root over parent edges, found breadth-first with parents in id order.
struct BreadthFirst {
    /// Each reached dataset's predecessor towards the root.
    previous: HashMap<Uuid, Uuid>,
    /// Datasets in the order reached: by depth, then as discovered.
    order: Vec<Uuid>,
    root: Uuid,
}

impl BreadthFirst {
    fn new(graph: &ClosureGraph) -> Self {
        let mut parents: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for &(child, parent) in &graph.edges {
            parents.entry(child).or_default().push(parent);
        }
        for list in parents.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let mut previous = HashMap::new();
        let mut order = vec![graph.root];
        let mut seen = HashSet::from([graph.root]);
        let mut queue = VecDeque::from([graph.root]);
        while let Some(node) = queue.pop_front() {
            for &parent in parents.get(&node).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(parent) {
                    previous.insert(parent, node);
                    order.push(parent);
                    queue.push_back(parent);
                }
            }
        }
        Self {
            previous,
            order,
            root: graph.root,
        }
    }

    /// The path from the root to `target`, both included; `None` if it was not reached.
    fn path_to(&self, target: Uuid) -> Option<Vec<Uuid>> {
        let mut path = vec![target];
        let mut at = target;
        while at != self.root {
            at = *self.previous.get(&at)?;
            path.push(at);
        }
        path.reverse();
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Role;
    use crate::domain::policy::PolicySet;

    fn policy() -> std::sync::Arc<Policy> {
        PolicySet::builtin()
            .unwrap()
            .get(
                "policy_id",
                "deepseek-r1-anti-distillation",
                "policy_version",
                "",
            )
            .unwrap()
    }

    fn owner(org: Uuid) -> Caller {
        Caller {
            token_id: Uuid::now_v7(),
            subject: "t".into(),
            organization_id: Some(org),
            role: Role::Auditor,
        }
    }

    /// Builds a graph from `(name, parents)` in registration order; returns it with the ids by name.
    fn graph(org: Uuid, shape: &[(&str, &[&str])]) -> (ClosureGraph, HashMap<String, Uuid>) {
        let mut ids = HashMap::new();
        let mut g = ClosureGraph::default();
        for (name, parents) in shape {
            let id = Uuid::now_v7();
            ids.insert(name.to_string(), id);
            g.nodes.push(GraphNode {
                id,
                organization_id: org,
                visibility: Visibility::Private,
                name: name.to_string(),
                version: "1".into(),
            });
            for parent in *parents {
                g.edges.push((id, ids[*parent]));
            }
            g.root = id;
        }
        (g, ids)
    }

    fn attest_all(g: &mut ClosureGraph) {
        g.attestations = g.nodes.iter().map(|n| (n.id, Uuid::now_v7())).collect();
    }

    fn r1_source(dataset: Uuid) -> ModelSource {
        ModelSource {
            dataset_id: dataset,
            position: 0,
            model_id: "deepseek-ai/DeepSeek-R1".into(),
        }
    }

    fn names(path: &[PathStep]) -> Vec<String> {
        path.iter()
            .map(|s| match s {
                PathStep::Shown { name, .. } => name.clone(),
                PathStep::Hidden => "?".into(),
            })
            .collect()
    }

    #[test]
    fn an_attested_lineage_without_restricted_sources_is_clean() {
        let org = Uuid::now_v7();
        let (mut g, _) = graph(org, &[("a", &[]), ("b", &["a"])]);
        attest_all(&mut g);
        g.model_sources.push(ModelSource {
            dataset_id: g.root,
            position: 0,
            model_id: "Qwen/Qwen2.5-72B-Instruct".into(),
        });
        let e = evaluate(&g, &policy(), None, Purpose::Undeclared, &owner(org));
        assert_eq!(e.verdict, Verdict::Clean);
        assert_eq!(e.attestation_ids.len(), 2);
        assert_eq!(e.closure_size, 2);
    }

    #[test]
    fn a_restricted_grandparent_contaminates_with_a_shortest_path() {
        let org = Uuid::now_v7();
        let (mut g, ids) = graph(
            org,
            &[
                ("r1-out", &[]),
                ("long", &["r1-out"]),
                ("longer", &["long"]),
                ("top", &["longer", "r1-out"]),
            ],
        );
        attest_all(&mut g);
        g.model_sources.push(r1_source(ids["r1-out"]));
        let e = evaluate(&g, &policy(), None, Purpose::Undeclared, &owner(org));
        assert_eq!(e.verdict, Verdict::Contaminated);
        assert_eq!(e.offender_count, 1);
        assert_eq!(names(&e.offenders[0].path), ["top", "r1-out"]);
        let Offence::RestrictedModelOutput { found, .. } = &e.offenders[0].offence else {
            panic!()
        };
        assert_eq!(found.matched, "deepseek-r1");
    }

    #[test]
    fn an_exempt_target_turns_restricted_outputs_into_exempt_but_not_a_reported_contamination() {
        let org = Uuid::now_v7();
        let (mut g, ids) = graph(org, &[("a", &[]), ("b", &["a"])]);
        g.model_sources.push(r1_source(ids["a"]));
        let exempt = evaluate(
            &g,
            &policy(),
            Some("DeepSeek-R1-Distill-Qwen-7B"),
            Purpose::Undeclared,
            &owner(org),
        );
        assert_eq!(exempt.verdict, Verdict::Exempt);
        assert!(exempt.target_exemption.is_some());
        let other = evaluate(
            &g,
            &policy(),
            Some("Llama-3.1-8B"),
            Purpose::Undeclared,
            &owner(org),
        );
        assert_eq!(other.verdict, Verdict::Contaminated);

        g.contaminations.push((ids["b"], Uuid::now_v7()));
        let reported = evaluate(
            &g,
            &policy(),
            Some("DeepSeek-R1"),
            Purpose::Undeclared,
            &owner(org),
        );
        assert_eq!(reported.verdict, Verdict::Contaminated);
        assert_eq!(reported.offender_count, 2);
        assert!(matches!(
            reported.offenders[0].offence,
            Offence::ReportedContaminated { .. }
        ));
    }

    #[test]
    fn missing_attestations_make_it_incomplete_and_are_listed_in_walk_order() {
        let org = Uuid::now_v7();
        let (mut g, ids) = graph(org, &[("a", &[]), ("b", &["a"]), ("c", &["b"])]);
        g.attestations.push((ids["b"], Uuid::now_v7()));
        let e = evaluate(&g, &policy(), None, Purpose::Undeclared, &owner(org));
        assert_eq!(e.verdict, Verdict::Incomplete);
        assert_eq!(names(&e.missing_attestations), ["c", "a"]);
        assert_eq!(e.missing_attestation_count, 2);
    }

    #[test]
    fn paths_through_another_organisations_private_dataset_hide_it() {
        let org = Uuid::now_v7();
        let (mut g, ids) = graph(
            org,
            &[
                ("theirs", &[]),
                ("public", &["theirs"]),
                ("mine", &["public"]),
            ],
        );
        let them = Uuid::now_v7();
        for n in &mut g.nodes {
            if n.name != "mine" {
                n.organization_id = them;
            }
            if n.name == "public" {
                n.visibility = Visibility::Public;
            }
        }
        g.model_sources.push(r1_source(ids["theirs"]));
        g.contaminations.push((ids["theirs"], Uuid::now_v7()));
        let e = evaluate(&g, &policy(), None, Purpose::Undeclared, &owner(org));
        assert_eq!(names(&e.offenders[0].path), ["mine", "public", "?"]);
        // On the same path, a source's offence comes before the dataset's report.
        assert_eq!(
            e.offenders[1].offence,
            Offence::ReportedContaminated { report_id: None }
        );
    }

    #[test]
    fn offenders_beyond_the_bound_are_counted_and_the_order_is_stable() {
        let org = Uuid::now_v7();
        let mut shape: Vec<(String, Vec<String>)> =
            (0..150).map(|i| (format!("leaf{i:03}"), vec![])).collect();
        shape.push((
            "top".into(),
            (0..150).map(|i| format!("leaf{i:03}")).collect(),
        ));
        let borrowed: Vec<(&str, Vec<&str>)> = shape
            .iter()
            .map(|(n, p)| (n.as_str(), p.iter().map(String::as_str).collect()))
            .collect();
        let shape: Vec<(&str, &[&str])> =
            borrowed.iter().map(|(n, p)| (*n, p.as_slice())).collect();
        let (mut g, ids) = graph(org, &shape);
        for i in 0..150 {
            g.model_sources.push(r1_source(ids[&format!("leaf{i:03}")]));
        }
        let first = evaluate(&g, &policy(), None, Purpose::Undeclared, &owner(org));
        assert_eq!(first.offender_count, 150);
        assert_eq!(first.offenders.len(), MAX_LISTED);
        g.model_sources.reverse();
        g.edges.reverse();
        assert_eq!(
            evaluate(&g, &policy(), None, Purpose::Undeclared, &owner(org)),
            first
        );
    }

    fn builtin(id: &str) -> std::sync::Arc<Policy> {
        PolicySet::builtin()
            .unwrap()
            .get("policy_id", id, "policy_version", "")
            .unwrap()
    }

    /// A chain `a` < `b`, both attested, whose root `a` holds outputs of `model`.
    fn attested_chain_with_outputs_of(
        org: Uuid,
        model: &str,
    ) -> (ClosureGraph, HashMap<String, Uuid>) {
        let (mut g, ids) = graph(org, &[("a", &[]), ("b", &["a"])]);
        g.model_sources.push(ModelSource {
            dataset_id: ids["a"],
            position: 0,
            model_id: model.into(),
        });
        attest_all(&mut g);
        (g, ids)
    }

    fn only_obligation(e: &Evaluation) -> (ObligationKind, ObligationStatus) {
        assert_eq!(e.obligations.len(), 1, "{e:?}");
        let o = &e.obligations[0];
        assert_eq!(o.source_count, 1);
        assert_eq!(names(&o.sources[0].path), ["b", "a"]);
        (o.kind, o.status)
    }

    #[test]
    fn a_naming_obligation_leaves_the_verdict_clean_and_is_judged_against_the_target() {
        let org = Uuid::now_v7();
        let (g, _) = attested_chain_with_outputs_of(org, "meta-llama/Llama-3.1-8B-Instruct");
        let policy = builtin("llama-3.1-community-license");
        for (target, status) in [
            (Some("Llama-3.1-Acme-8B"), ObligationStatus::Met),
            (Some("acme/llama-acme-8b"), ObligationStatus::Met),
            (Some("Acme-8B"), ObligationStatus::Unmet),
            (Some("Acme-Llama-8B"), ObligationStatus::Unmet),
            // A Cyrillic `а` makes a name that only looks like it begins with Llama.
            (Some("Llаma-Acme-8B"), ObligationStatus::Unmet),
            (None, ObligationStatus::Undetermined),
        ] {
            let e = evaluate(&g, &policy, target, Purpose::Undeclared, &owner(org));
            assert_eq!(e.verdict, Verdict::Clean, "{target:?}");
            assert_eq!(e.offender_count, 0);
            assert_eq!(
                only_obligation(&e),
                (ObligationKind::NamePrefix, status),
                "{target:?}"
            );
        }
    }

    #[test]
    fn a_competing_use_prohibition_judges_by_the_declared_purpose() {
        let org = Uuid::now_v7();
        let (g, _) = attested_chain_with_outputs_of(org, "gpt-4o-2024-08-06");
        let policy = builtin("openai-terms-of-use");
        let competing = evaluate(&g, &policy, None, Purpose::CompetingModel, &owner(org));
        assert_eq!(competing.verdict, Verdict::Contaminated);
        assert_eq!(competing.offender_count, 1);
        assert!(competing.obligations.is_empty());

        let allowed = evaluate(&g, &policy, None, Purpose::NonCompeting, &owner(org));
        assert_eq!(allowed.verdict, Verdict::Clean);
        assert_eq!(
            only_obligation(&allowed),
            (ObligationKind::NoCompetingUse, ObligationStatus::Met)
        );

        let undeclared = evaluate(&g, &policy, None, Purpose::Undeclared, &owner(org));
        assert_eq!(undeclared.verdict, Verdict::Incomplete);
        assert_eq!(undeclared.missing_attestation_count, 0);
        assert_eq!(
            only_obligation(&undeclared),
            (
                ObligationKind::NoCompetingUse,
                ObligationStatus::Undetermined
            )
        );
    }

    /// The attestation of dataset `name` in `g` (under the one policy judged).
    fn attestation_of(g: &ClosureGraph, ids: &HashMap<String, Uuid>, name: &str) -> Uuid {
        g.attestations
            .iter()
            .find(|(dataset, _)| *dataset == ids[name])
            .map(|&(_, attestation)| attestation)
            .unwrap()
    }

    #[test]
    fn without_a_requested_purpose_the_roots_own_attestations_declare_it() {
        let org = Uuid::now_v7();
        let (mut g, ids) = attested_chain_with_outputs_of(org, "gpt-4o-2024-08-06");
        let policy = builtin("openai-terms-of-use");
        let root = attestation_of(&g, &ids, "b");
        let judge =
            |g: &ClosureGraph, requested| evaluate(g, &policy, None, requested, &owner(org));

        g.declared_purposes = vec![(root, Purpose::NonCompeting)];
        let allowed = judge(&g, Purpose::Undeclared);
        assert_eq!(allowed.verdict, Verdict::Clean);
        assert_eq!(allowed.purpose, Purpose::NonCompeting);
        assert_eq!(
            only_obligation(&allowed),
            (ObligationKind::NoCompetingUse, ObligationStatus::Met)
        );

        // Competing wins over non-competing among the root's attestations.
        let second = Uuid::now_v7();
        g.attestations.push((ids["b"], second));
        g.declared_purposes.push((second, Purpose::CompetingModel));
        let competing = judge(&g, Purpose::Undeclared);
        assert_eq!(competing.verdict, Verdict::Contaminated);
        assert_eq!(competing.purpose, Purpose::CompetingModel);

        // The request's own purpose overrides the attestations'.
        let overridden = judge(&g, Purpose::NonCompeting);
        assert_eq!(overridden.verdict, Verdict::Clean);
        assert_eq!(overridden.purpose, Purpose::NonCompeting);
    }

    #[test]
    fn upstream_declarations_and_attestations_that_do_not_count_leave_the_purpose_undeclared() {
        let org = Uuid::now_v7();
        let (mut g, ids) = attested_chain_with_outputs_of(org, "gpt-4o-2024-08-06");
        let policy = builtin("openai-terms-of-use");
        let upstream = attestation_of(&g, &ids, "a");
        // An upstream dataset's declaration, and a declaration by an attestation that does not
        // count under this policy (revoked, expired or under another policy: not in the list).
        g.declared_purposes = vec![
            (upstream, Purpose::CompetingModel),
            (Uuid::now_v7(), Purpose::CompetingModel),
        ];
        let e = evaluate(&g, &policy, None, Purpose::Undeclared, &owner(org));
        assert_eq!(e.purpose, Purpose::Undeclared);
        assert_eq!(e.verdict, Verdict::Incomplete);
        assert_eq!(
            judged_purpose(Purpose::Undeclared, ids["b"], &g.attestations, &[]),
            Purpose::Undeclared
        );
    }

    #[test]
    fn a_shared_walk_resolves_the_purpose_per_policy() {
        let org = Uuid::now_v7();
        let (mut g, ids) = attested_chain_with_outputs_of(org, "gpt-4o-2024-08-06");
        let openai = builtin("openai-terms-of-use");
        let root = attestation_of(&g, &ids, "b");
        g.declared_purposes = vec![(root, Purpose::NonCompeting)];
        let under_openai = g.attestations.clone();
        // Under the second policy the root's declaring attestation does not count.
        let under_other: Vec<_> = g
            .attestations
            .iter()
            .map(|&(dataset, _)| (dataset, Uuid::now_v7()))
            .collect();
        let shared = SharedClosure {
            graph: ClosureGraph {
                attestations: Vec::new(),
                ..g
            },
            attestations: vec![under_openai, under_other],
        };
        let each = shared.evaluate_each(
            &[openai.as_ref(), openai.as_ref()],
            None,
            Purpose::Undeclared,
            &owner(org),
            MAX_LISTED,
        );
        assert_eq!(each[0].purpose, Purpose::NonCompeting);
        assert_eq!(each[0].verdict, Verdict::Clean);
        assert_eq!(each[1].purpose, Purpose::Undeclared);
        assert_eq!(each[1].verdict, Verdict::Incomplete);
    }

    #[test]
    fn inherited_terms_apply_to_any_target_and_do_not_contaminate() {
        let org = Uuid::now_v7();
        let (g, _) = attested_chain_with_outputs_of(org, "Llama-3.3-70B-Instruct");
        let text =
            crate::domain::policy::tests_support::builtin_text("llama-3.3-community-license")
                .replace("kind = \"naming_obligation\"", "kind = \"inherited_terms\"")
                .replace("name_prefix = \"Llama\"\n", "");
        let policy = Policy::from_toml(&text).unwrap();
        for target in [None, Some("Acme-8B"), Some("Llama-3.3-Acme")] {
            let e = evaluate(&g, &policy, target, Purpose::CompetingModel, &owner(org));
            assert_eq!(e.verdict, Verdict::Clean);
            assert_eq!(
                only_obligation(&e),
                (ObligationKind::InheritedTerms, ObligationStatus::Applies)
            );
        }
    }

    #[test]
    fn outputs_of_other_families_bring_no_obligation_and_reports_still_contaminate() {
        let org = Uuid::now_v7();
        let (mut g, ids) = attested_chain_with_outputs_of(org, "deepseek-ai/DeepSeek-R1");
        let policy = builtin("llama-3.1-community-license");
        let e = evaluate(
            &g,
            &policy,
            Some("Acme-8B"),
            Purpose::Undeclared,
            &owner(org),
        );
        assert_eq!(e.verdict, Verdict::Clean);
        assert!(e.obligations.is_empty());

        g.contaminations.push((ids["a"], Uuid::now_v7()));
        let reported = evaluate(
            &g,
            &policy,
            Some("Llama-3.1-Acme"),
            Purpose::Undeclared,
            &owner(org),
        );
        assert_eq!(reported.verdict, Verdict::Contaminated);
    }

    #[test]
    fn llama_2_outputs_contaminate_under_llama_2_only_and_llama_2_targets_are_exempt() {
        let org = Uuid::now_v7();
        let (g, _) = attested_chain_with_outputs_of(org, "meta-llama/Llama-2-7b-chat-hf");
        let qwen_target = Some("Qwen2.5-7B-Instruct");
        let under =
            |id: &str, target| evaluate(&g, &builtin(id), target, Purpose::Undeclared, &owner(org));
        assert_eq!(
            under("llama-2-community-license", qwen_target).verdict,
            Verdict::Contaminated
        );
        assert_eq!(
            under(
                "llama-2-community-license",
                Some("CodeLlama-7b-Instruct-hf")
            )
            .verdict,
            Verdict::Exempt
        );
        for other in [
            "deepseek-r1-anti-distillation",
            "llama-3-community-license",
            "llama-3.1-community-license",
            "tongyi-qianwen-license",
            "openai-terms-of-use",
            "gemma-terms-of-use",
            "gemini-api-additional-terms",
        ] {
            let e = under(other, qwen_target);
            assert_eq!(e.verdict, Verdict::Clean, "{other}");
            assert!(e.obligations.is_empty(), "{other}");
        }
    }
    #[test]
    fn one_shared_walk_judges_each_policy_as_its_own_evaluation_does() {
        let org = Uuid::now_v7();
        let (mut g, ids) = graph(
            org,
            &[
                ("l2", &[]),
                ("r1", &[]),
                ("mid", &["r1"]),
                ("top", &["mid", "l2"]),
            ],
        );
        g.model_sources.push(r1_source(ids["r1"]));
        g.model_sources.push(ModelSource {
            dataset_id: ids["l2"],
            position: 0,
            model_id: "meta-llama/Llama-2-7b-chat-hf".into(),
        });
        let policies = [
            builtin("llama-2-community-license"),
            policy(),
            builtin("llama-3.1-community-license"),
        ];
        // Attested under the first two policies only, each list its own.
        let attested = |p: usize| -> Vec<(Uuid, Uuid)> {
            g.nodes
                .iter()
                .filter(|_| p < 2)
                .map(|n| (n.id, Uuid::now_v7()))
                .collect()
        };
        let shared = SharedClosure {
            graph: g.clone(),
            attestations: (0..policies.len()).map(attested).collect(),
        };
        let judged: Vec<&Policy> = policies.iter().map(|p| p.as_ref()).collect();
        let each = shared.evaluate_each(
            &judged,
            Some("Acme-8B"),
            Purpose::Undeclared,
            &owner(org),
            MAX_LISTED,
        );
        for (i, policy) in policies.iter().enumerate() {
            let mut alone = g.clone();
            alone.attestations = shared.attestations[i].clone();
            assert_eq!(
                each[i],
                evaluate(
                    &alone,
                    policy,
                    Some("Acme-8B"),
                    Purpose::Undeclared,
                    &owner(org)
                ),
                "{}",
                policy.id
            );
        }
        assert_eq!(each[0].verdict, Verdict::Contaminated);
        assert_eq!(names(&each[0].offenders[0].path), ["top", "l2"]);
        assert_eq!(each[1].verdict, Verdict::Contaminated);
        assert_eq!(names(&each[1].offenders[0].path), ["top", "mid", "r1"]);
        assert_eq!(each[2].verdict, Verdict::Incomplete);
        assert_eq!(each[2].missing_attestation_count, 4);
    }

    #[test]
    fn a_shared_walk_lists_at_most_the_bound_it_is_given_and_counts_everything() {
        let org = Uuid::now_v7();
        let shape: Vec<(String, Vec<String>)> = (0..30)
            .map(|i| (format!("leaf{i:02}"), vec![]))
            .chain(std::iter::once((
                "top".to_owned(),
                (0..30).map(|i| format!("leaf{i:02}")).collect(),
            )))
            .collect();
        let borrowed: Vec<(&str, Vec<&str>)> = shape
            .iter()
            .map(|(n, p)| (n.as_str(), p.iter().map(String::as_str).collect()))
            .collect();
        let shape: Vec<(&str, &[&str])> =
            borrowed.iter().map(|(n, p)| (*n, p.as_slice())).collect();
        let (mut g, ids) = graph(org, &shape);
        for i in 0..30 {
            g.model_sources.push(r1_source(ids[&format!("leaf{i:02}")]));
        }
        let shared = SharedClosure {
            graph: g,
            attestations: Vec::new(),
        };
        let p = policy();
        let each = shared.evaluate_each(
            &[p.as_ref()],
            None,
            Purpose::Undeclared,
            &owner(org),
            listed_each(4),
        );
        assert_eq!(each[0].offender_count, 30);
        assert_eq!(each[0].offenders.len(), listed_each(4));
        assert_eq!(each[0].missing_attestation_count, 31);
        assert_eq!(each[0].missing_attestations.len(), listed_each(4));
    }

    #[test]
    fn a_shared_closure_read_for_one_policy_carries_its_attestations() {
        let attestation = (Uuid::now_v7(), Uuid::now_v7());
        let shared = SharedClosure {
            graph: ClosureGraph::default(),
            attestations: vec![vec![attestation]],
        };
        assert_eq!(shared.into_single().attestations, [attestation]);
    }
}
