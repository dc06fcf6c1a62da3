//! Stages 6 and 7 of a run: [`unmatched_reasons`] says why each eligible
//! mentee left over got no mentor, and [`collect_outcome`] assembles the
//! statistics, the score tables and the [`Outcome`].

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rayon::prelude::*;

use super::decompose::Component;
use super::index::form_key;
use super::prepare::Prepared;
use super::proposals::Explained;
use super::scoring::Scored;
use super::solve::Solved;
use crate::matching::outcome::{
    GroupComponentStats, GroupStats, Outcome, ScoreTable, Stats, Timings,
};
use crate::matching::rules::{Rule, RuleMentor};
use crate::matching::score::from_scaled;
use crate::matching::unmatched::{Unmatched, UnmatchedReason, no_allowed_mentor};

/// Takes which mentees were matched; gives a reason for every eligible
/// mentee who was not, in input order: in a component, the mentors it
/// could have had and its best score there (others took them); in none,
/// the rule that ruled out the most mentors, counted over the mentors
/// serving the form (of the mentee's organisation in same-organisation
/// forms, found in the bank's index). Mentees in parallel; `O(cols)` per
/// mentee in a component, `O(mentors of its organisation)` per other one
/// in a same-organisation form, else `O(mentors serving the form)` (the
/// list built once, and only when such a mentee exists).
pub(super) fn unmatched_reasons(
    run: &Prepared<'_>,
    components: &[Component],
    scored: &[Scored],
    matched: &[bool],
) -> Vec<Unmatched> {
    let mentees = run.input.mentees;
    let mut place: HashMap<usize, (usize, usize)> = HashMap::new();
    for (k, c) in components.iter().enumerate() {
        for (r, &e) in c.mentees.iter().enumerate() {
            place.insert(e, (k, r));
        }
    }
    let left: Vec<usize> = run
        .people
        .eligible
        .iter()
        .copied()
        .filter(|&e| !matched[e])
        .collect();
    let serving = FormMentors::new(run);
    left.par_iter()
        .map(|&e| {
            let reason = match place.get(&e) {
                Some(&(k, r)) => {
                    let cols = components[k].mentors.len();
                    let (count, best) = scored[k]
                        .cells
                        .row(r, cols)
                        .fold((0usize, None::<i64>), |(n, b), (_, s)| {
                            (n + 1, Some(b.map_or(s, |b| b.max(s))))
                        });
                    UnmatchedReason::AssignedToOthers {
                        eligible_mentors: count,
                        best_score: from_scaled(best.unwrap_or(0)),
                    }
                }
                None => serving.no_allowed_mentor(e),
            };
            Unmatched {
                mentee_id: mentees[e].person.id.clone(),
                text: reason.render(run.input.lang),
                reason,
            }
        })
        .collect()
}

/// A mentor as [`no_allowed_mentor`] weighs it: its rule record, its
/// first mentor-side rule, its places.
type Weighed = (RuleMentor, Option<Rule>, u32);

/// The mentors serving a run's form (accepting it, of the right kind), as
/// [`no_allowed_mentor`] counts them for a mentee no mentor is allowed to.
pub(super) struct FormMentors<'r> {
    run: &'r Prepared<'r>,
    /// Every mentor serving the form, ascending.
    all: &'r [u32],
    /// The same, weighed; built on first use.
    weighed: OnceLock<Vec<Weighed>>,
}

impl<'r> FormMentors<'r> {
    pub(super) fn new(run: &'r Prepared<'r>) -> Self {
        Self {
            run,
            all: run.bank.index().mentors_by_form.get(form_key(run.ctx.form)),
            weighed: OnceLock::new(),
        }
    }

    fn weigh(&self, m: u32) -> Weighed {
        let (run, m) = (self.run, m as usize);
        let side = run.bank.mentor_side(&run.ctx, m);
        (run.rules.mentors[m], side, run.places.run_cap[m])
    }

    /// Why eligible mentee `e` has no mentor: [`no_allowed_mentor`] over
    /// the mentors serving the form, or in a same-organisation form over
    /// those of `e`'s organisation (`e` is in scope, so its organisation
    /// is known and the index finds exactly the mentors sharing it).
    pub(super) fn no_allowed_mentor(&self, e: usize) -> UnmatchedReason {
        let (run, ctx) = (self.run, &self.run.ctx);
        let (mentee, rejected) = (&run.rules.mentees[e], run.rules.rejected_for(e));
        if !ctx.same_organization() {
            let weighed = self
                .weighed
                .get_or_init(|| self.all.iter().map(|&m| self.weigh(m)).collect());
            return no_allowed_mentor(ctx, mentee, rejected, weighed);
        }
        let index = run.bank.index();
        let here: Vec<Weighed> = index
            .mentors_by_org
            .get(index.org_key(run.bank.mentee_org(e)))
            .iter()
            .filter(|&&m| index.serves(m as usize, ctx.form))
            .map(|&m| self.weigh(m))
            .collect();
        if here.is_empty() {
            // What `no_allowed_mentor` says when no mentor serving the
            // form shares the organisation, without passing them all.
            let top_rule = if self.all.is_empty() {
                Rule::FormNotAccepted
            } else {
                Rule::DifferentOrganization
            };
            return UnmatchedReason::NoMentorPassesRules {
                mentors_considered: self.all.len(),
                top_rule,
                excluded_by: vec![(top_rule, self.all.len())],
            };
        }
        no_allowed_mentor(ctx, mentee, rejected, &here)
    }
}

/// Assembles the outcome: proposals, unmatched mentees, statistics
/// (timings left at zero for [`super::run`] to fill; the ineligible
/// mentees left for [`super::prepare::LeftOut`] to list), the
/// score table of every component and the matrix export's ids and
/// places. `O(P + A)` for `P` proposals and `A` scored cells.
pub(super) fn collect_outcome(
    run: Prepared<'_>,
    components: Vec<Component>,
    scored: Vec<Scored>,
    solved: Solved,
    explained: Explained,
    unmatched: Vec<Unmatched>,
) -> Outcome {
    let (mentors, mentees, programme) = (run.input.mentors, run.input.mentees, run.input.programme);
    let (eligible, candidates) = (&run.people.eligible, &run.places.candidates);
    let Explained {
        proposals,
        matched,
        pair_scores,
        cohesions,
    } = explained;
    let mentors_used = proposals
        .iter()
        .map(|p| &p.mentor_id)
        .collect::<HashSet<_>>()
        .len();
    let total: i64 = pair_scores.iter().sum();
    let stats = Stats {
        mentees_eligible: eligible.len(),
        mentees_matched: eligible.iter().filter(|&&e| matched[e]).count(),
        mentees_pinned: run.people.pins.len(),
        mentors_used,
        mentors_available: candidates.len(),
        total_score: from_scaled(total),
        mean_score: if pair_scores.is_empty() {
            0.0
        } else {
            from_scaled(total) / pair_scores.len() as f64
        },
        min_score: from_scaled(pair_scores.iter().copied().min().unwrap_or(0)),
        blocking_pairs: solved.blocking.iter().map(Vec::len).sum(),
        mean_cohesion: (!cohesions.is_empty())
            .then(|| cohesions.iter().sum::<f64>() / cohesions.len() as f64),
        pairs_scored: scored.iter().map(|s| s.pairs_scored).sum(),
        components: components.len(),
        largest_component: components
            .iter()
            .map(|c| (c.mentees.len(), c.mentors.len()))
            .max_by_key(|(r, c)| r * c)
            .unwrap_or((0, 0)),
        timings: Timings::default(),
        groups: programme
            .group
            .map(|size| group_stats(solved.reports, size.time_budget_ms)),
    };
    let score_tables: Vec<ScoreTable> = components
        .iter()
        .zip(scored)
        .map(|(c, s)| ScoreTable {
            mentor_ids: c
                .mentors
                .iter()
                .map(|&m| mentors[m].person.id.clone())
                .collect(),
            mentee_ids: c
                .mentees
                .iter()
                .map(|&e| mentees[e].person.id.clone())
                .collect(),
            cells: s.cells,
        })
        .collect();
    Outcome {
        programme_id: programme.id.clone(),
        form: programme.form,
        objective: run.input.objective,
        weights: run.weights,
        lang: run.input.lang,
        proposals,
        unmatched,
        ineligible: Vec::new(),
        stats,
        matrix_mentor_ids: candidates
            .iter()
            .map(|&m| mentors[m].person.id.clone())
            .collect(),
        matrix_mentor_places: candidates.iter().map(|&m| solved.final_cap[m]).collect(),
        matrix_mentee_ids: eligible
            .iter()
            .map(|&e| mentees[e].person.id.clone())
            .collect(),
        score_tables,
    }
}

/// Sums what the group search proved over the components.
fn group_stats(per_component: Vec<Option<GroupComponentStats>>, budget_ms: u32) -> GroupStats {
    let per_component: Vec<GroupComponentStats> = per_component.into_iter().flatten().collect();
    GroupStats {
        components: per_component.len(),
        optimal_components: per_component.iter().filter(|c| c.optimal).count(),
        budget_hit: per_component.iter().filter(|c| c.budget_hit).count(),
        coverage_gap: per_component
            .iter()
            .map(|c| c.matched_bound.saturating_sub(c.matched))
            .sum(),
        score_gap: per_component
            .iter()
            .map(|c| (c.score_bound - c.total_score).max(0.0))
            .sum(),
        time_budget_ms: budget_ms,
        per_component,
    }
}
