//! Stage 1 of a run, [`prepare`]: who takes part, how the hard rules see
//! them, how many places each mentor has, and the encoded features —
//! everything the later stages only read.

use std::collections::{HashMap, HashSet};

use super::index::PeopleIndex;
use super::{MatchError, RunInput};
use crate::domain::profile::ConsentProblem;
use crate::domain::{
    Consent, Form, Id, MenteeProfile, MentorProfile, Organization, Programme, Weights,
};
use crate::matching::explain::Lang;
use crate::matching::features::WishCell;
use crate::matching::features::{Features, TagBank, encode_from};
use crate::matching::groups::group_capacity;
use crate::matching::rules::{
    Interner, Rule, RuleContext, RuleMentee, RuleMentor, Scope, mentor_rule_scoped,
};
use crate::matching::score::{CRITERIA, weight_array};
use crate::matching::unmatched::{Ineligible, IneligibleReason};

/// What every stage after [`prepare`] reads: the input and what was
/// derived from it once. People are named by their index in the input
/// banks throughout.
pub(super) struct Prepared<'a> {
    /// The run's input.
    pub input: &'a RunInput<'a>,
    /// The banks, indexed.
    pub bank: &'a Bank<'a>,
    /// The programme as the rules see it.
    pub ctx: RuleContext,
    /// The weights in force (the input's, else the programme's).
    pub weights: Weights,
    /// The same weights as the scoring kernel takes them.
    pub wa: [f64; CRITERIA],
    /// Pins, members, eligible and ineligible mentees.
    pub people: People,
    /// Interned people and rejected pairs.
    pub rules: RulePeople<'a>,
    /// Mentor-side rules and places.
    pub places: Places,
    /// Features of the people a run scores or explains.
    pub encoded: Encoded,
    /// Wishes by input index.
    pub wishes: WishIndex,
}

/// What a run derives from the banks alone, whatever the programme: the
/// people by id, their rule records (people and organisations interned to
/// numbers, mentors first) and where their organisations are. Built once
/// per request and shared by every programme run on the same banks, so a
/// run reads people by index instead of hashing every id again.
/// `O(people + organisations)` expected to build.
pub struct Bank<'a> {
    organizations: &'a [Organization],
    mentors: &'a [MentorProfile],
    mentees: &'a [MenteeProfile],
    /// First position of each mentor id.
    mentor_at: HashMap<&'a str, usize>,
    /// First position of each mentee id.
    mentee_at: HashMap<&'a str, usize>,
    /// Person numbers (a mentor and a mentee with one id share one).
    persons: Interner,
    /// Rule records of the mentors, by input index.
    rule_mentors: Vec<RuleMentor>,
    /// Rule records of the mentees, by input index.
    rule_mentees: Vec<RuleMentee>,
    /// Position of each mentor's organisation in `organizations`, as
    /// [`Scope::contains_at`] takes it.
    mentor_org: Vec<u32>,
    /// The same for the mentees.
    mentee_org: Vec<u32>,
    /// Everyone's tags, interned once.
    tags: TagBank,
    /// Each mentor's capacity, by input index.
    capacity: Vec<u32>,
    /// The people by organisation, the mentors by form.
    index: PeopleIndex,
}

impl<'a> Bank<'a> {
    /// Indexes the banks. `O(people + organisations)` expected.
    pub fn new(
        organizations: &'a [Organization],
        mentors: &'a [MentorProfile],
        mentees: &'a [MenteeProfile],
    ) -> Self {
        fn first_at<'p>(ids: impl Iterator<Item = &'p Id>) -> HashMap<&'p str, usize> {
            let mut at = HashMap::new();
            for (i, id) in ids.enumerate() {
                at.entry(id.as_str()).or_insert(i);
            }
            at
        }
        let mut persons = Interner::default();
        let mut orgs = Interner::default();
        let rule_mentors = mentors
            .iter()
            .map(|m| persons.mentor(&mut orgs, m))
            .collect();
        let rule_mentees = mentees
            .iter()
            .map(|e| persons.mentee(&mut orgs, e))
            .collect();
        // The last organisation with an id wins, as in `Scope`.
        let org_at: HashMap<&str, u32> = organizations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), i as u32))
            .collect();
        let at = |id: &Id| org_at.get(id.as_str()).copied().unwrap_or(u32::MAX);
        let mentor_org: Vec<u32> = mentors
            .iter()
            .map(|m| at(&m.person.organization_id))
            .collect();
        let mentee_org: Vec<u32> = mentees
            .iter()
            .map(|e| at(&e.person.organization_id))
            .collect();
        let index = PeopleIndex::new(organizations.len(), mentors, &mentor_org, &mentee_org);
        Self {
            organizations,
            mentors,
            mentees,
            mentor_at: first_at(mentors.iter().map(|m| &m.person.id)),
            mentee_at: first_at(mentees.iter().map(|e| &e.person.id)),
            persons,
            rule_mentors,
            rule_mentees,
            mentor_org,
            mentee_org,
            tags: TagBank::new(mentors, mentees),
            capacity: mentors.iter().map(|m| m.capacity).collect(),
            index,
        }
    }

    /// The bank of a run's own banks.
    pub fn of(input: &RunInput<'a>) -> Self {
        Self::new(input.organizations, input.mentors, input.mentees)
    }

    /// Whether the bank was built over exactly the banks of `input`.
    pub fn serves(&self, input: &RunInput<'_>) -> bool {
        std::ptr::eq(self.organizations, input.organizations)
            && std::ptr::eq(self.mentors, input.mentors)
            && std::ptr::eq(self.mentees, input.mentees)
    }

    /// The first mentor-side rule mentor `m` breaks in the programme of
    /// `ctx`, as [`crate::matching::rules::mentor_rule`] finds it. `O(1)`.
    pub(super) fn mentor_side(&self, ctx: &RuleContext, m: usize) -> Option<Rule> {
        mentor_rule_scoped(ctx, &self.mentors[m], || {
            ctx.scope.contains_at(self.mentor_org[m])
        })
    }

    /// The people by organisation and the mentors by form.
    pub(super) fn index(&self) -> &PeopleIndex {
        &self.index
    }

    /// The position of mentee `e`'s organisation, as [`Scope::contains_at`]
    /// takes it.
    pub(super) fn mentee_org(&self, e: usize) -> u32 {
        self.mentee_org[e]
    }
}

/// Who a programme can reach at all, from the bank's index: the mentees
/// of the form's categories and the mentors serving the form, both in the
/// scope's organisations, ascending. Everybody else is out of the run for
/// the category, the form, the kind or the scope. `O(organisations +
/// reached · log)`.
pub(super) struct Reach {
    /// Mentees of the form's categories in scope.
    pub mentees: Vec<u32>,
    /// Mentors serving the form in scope.
    pub mentors: Vec<u32>,
}

impl Reach {
    /// Looks the programme's people up in the bank's index.
    pub fn new(bank: &Bank<'_>, ctx: &RuleContext) -> Self {
        let index = &bank.index;
        let in_scope: Vec<usize> = (0..bank.organizations.len())
            .filter(|&at| ctx.scope.contains_at(at as u32))
            .collect();
        let categories = ctx.form.categories();
        let mut mentees = index.mentees_by_org.union(in_scope.iter().copied());
        mentees.retain(|&e| categories.contains(&bank.rule_mentees[e as usize].category));
        let mut mentors = index.mentors_by_org.union(in_scope.iter().copied());
        mentors.retain(|&m| index.serves(m as usize, ctx.form));
        Self { mentees, mentors }
    }
}

/// The wishes of a run by input index, unknown people left out.
#[derive(Default)]
pub(super) struct WishIndex {
    /// Mentee → mentors, most wanted first.
    pub mentees: HashMap<usize, Vec<usize>>,
    /// Mentor → mentees, most wanted first.
    pub mentors: HashMap<usize, Vec<usize>>,
}

impl WishIndex {
    /// `O(wishes)` expected.
    fn new(input: &RunInput<'_>, bank: &Bank<'_>) -> Self {
        let (mentor_at, mentee_at) = (&bank.mentor_at, &bank.mentee_at);
        let lists =
            |wishes: &[(Id, Vec<Id>)], own: &HashMap<&str, usize>, other: &HashMap<&str, usize>| {
                wishes
                    .iter()
                    .filter_map(|(who, targets)| {
                        let at = *own.get(who.as_str())?;
                        let ranked = targets
                            .iter()
                            .filter_map(|t| other.get(t.as_str()).copied())
                            .collect();
                        Some((at, ranked))
                    })
                    .collect()
            };
        Self {
            mentees: lists(input.mentee_wishes, mentee_at, mentor_at),
            mentors: lists(input.mentor_wishes, mentor_at, mentee_at),
        }
    }

    /// The wishes of a component's people in its local indices (rows are
    /// `mentees`, columns `mentors`, both input indices); a wish for
    /// someone outside the component is left out.
    pub fn local(
        &self,
        mentees: &[usize],
        mentors: &[usize],
    ) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        if self.mentees.is_empty() && self.mentors.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let row_of: HashMap<usize, usize> =
            mentees.iter().enumerate().map(|(r, &e)| (e, r)).collect();
        let col_of: HashMap<usize, usize> =
            mentors.iter().enumerate().map(|(c, &m)| (m, c)).collect();
        let side = |people: &[usize],
                    wishes: &HashMap<usize, Vec<usize>>,
                    other: &HashMap<usize, usize>| {
            people
                .iter()
                .map(|p| {
                    wishes
                        .get(p)
                        .map(|list| list.iter().filter_map(|t| other.get(t).copied()).collect())
                        .unwrap_or_default()
                })
                .collect()
        };
        (
            side(mentees, &self.mentees, &col_of),
            side(mentors, &self.mentors, &row_of),
        )
    }
}

/// Gives everything the later stages read from `bank`, which must serve
/// `input` ([`Bank::serves`]); fails only on a pinned pair naming someone
/// not in the banks. `O(mentors + mentees + pairs)` plain steps (no id is
/// hashed but those of pairs and wishes) plus [`encode_from`]'s cost.
pub(super) fn prepare<'a>(
    bank: &'a Bank<'_>,
    input: &'a RunInput<'a>,
) -> Result<Prepared<'a>, MatchError> {
    let ctx = rule_context(input.programme, input.organizations);
    let reach = Reach::new(bank, &ctx);
    let people = eligible_people(input, bank, &ctx, &reach)?;
    let rules = rule_people(input, bank);
    let places = mentor_places(input, bank, &ctx, &people.members, &reach);
    let wishes = WishIndex::new(input, bank);
    let mut encoded = encode_features(input, bank, &people, &places);
    if weight_array(&input.weights.unwrap_or(input.programme.weights))[CRITERIA - 1] > 0.0 {
        encoded.set_wishes(&wishes);
    }
    let weights = input.weights.unwrap_or(input.programme.weights);
    Ok(Prepared {
        input,
        bank,
        ctx,
        weights,
        wa: weight_array(&weights),
        people,
        rules,
        places,
        encoded,
        wishes,
    })
}

/// The programme as the rules see it: form, rule settings, the day
/// consents are checked at, and the scope. `O(organisations)`.
pub(super) fn rule_context(programme: &Programme, organizations: &[Organization]) -> RuleContext {
    RuleContext {
        form: programme.form,
        rules: programme.rules,
        on: programme.period.start,
        scope: Scope::new(organizations, &programme.organization_ids),
    }
}

/// Who takes part, from [`eligible_people`].
pub(super) struct People {
    /// Members each mentor already has (approved + pinned).
    pub members: Vec<u32>,
    /// Pinned pairs as `(mentor, mentee)`, in input order.
    pub pins: Vec<(usize, usize)>,
    /// Mentees to match (not pinned, eligible), ascending.
    pub eligible: Vec<usize>,
    /// Mentees the run reached ([`Reach`]) and found ineligible, with the
    /// reason, ascending; every other mentee neither eligible nor pinned
    /// is out for the category or the scope ([`LeftOut`]).
    pub ineligible: Vec<(usize, IneligibleReason)>,
}

/// Takes the banks and the curator's pairs; gives the members each mentor
/// already has, the pins, the eligible mentees and those reached but
/// ineligible (pinned mentees are neither). Fails on a pinned pair naming
/// someone not in the banks.
///
/// Only the mentees the programme can reach — of the form's categories,
/// in the scope's organisations ([`Reach`]) — have their pool and
/// consent checked; everybody else is out for the category or the scope
/// alone, and [`LeftOut`] lists them when asked. `O(reached + pairs)`
/// expected, plus `O(mentors)` plain steps for the members.
fn eligible_people(
    input: &RunInput<'_>,
    bank: &Bank<'_>,
    ctx: &RuleContext,
    reach: &Reach,
) -> Result<People, MatchError> {
    let (mentors, mentees) = (input.mentors, input.mentees);
    let (mentor_at, mentee_at) = (&bank.mentor_at, &bank.mentee_at);

    let mut members = vec![0u32; mentors.len()];
    let mut approved_mentees: HashSet<&str> = HashSet::new();
    for pair in input.approved {
        if let Some(&m) = mentor_at.get(pair.mentor_id.as_str()) {
            members[m] += 1;
        }
        approved_mentees.insert(pair.mentee_id.as_str());
    }
    let mut pins: Vec<(usize, usize)> = Vec::new();
    for pair in input.pinned {
        let found = (
            mentor_at.get(pair.mentor_id.as_str()),
            mentee_at.get(pair.mentee_id.as_str()),
        );
        let (Some(&m), Some(&e)) = found else {
            return Err(MatchError::UnknownPinned(pair.clone()));
        };
        members[m] += 1;
        pins.push((m, e));
    }
    let pinned: HashSet<usize> = pins.iter().map(|&(_, e)| e).collect();
    let pool = Pool {
        approved: approved_mentees,
        completed: input.completed.iter().map(Id::as_str).collect(),
        moved_away: input.moved_away.iter().map(Id::as_str).collect(),
    };

    let mut eligible: Vec<usize> = Vec::new();
    let mut ineligible: Vec<(usize, IneligibleReason)> = Vec::new();
    for e in reach.mentees.iter().map(|&e| e as usize) {
        if !pinned.is_empty() && pinned.contains(&e) {
            continue;
        }
        let in_scope = || ctx.scope.contains_at(bank.mentee_org[e]);
        match ineligibility_scoped(ctx, &mentees[e], &pool, in_scope) {
            None => eligible.push(e),
            Some(reason) => ineligible.push((e, reason)),
        }
    }
    Ok(People {
        members,
        pins,
        eligible,
        ineligible,
    })
}

/// The mentees a run leaves out — neither eligible nor pinned — kept as
/// what the run found about those it reached, the rest told by the bank:
/// a mentee out of reach is out for its category, else for the scope.
/// Its size is the run's, not the bank's; [`LeftOut::list`] gives the
/// outcome's `ineligible` list, the one part of an outcome proportional
/// to the whole bank, for callers that read it.
pub struct LeftOut<'b>(Kept<'b>);

/// How a [`LeftOut`] keeps the mentees.
enum Kept<'b> {
    /// Found from the bank when listed.
    Summary {
        bank: &'b Bank<'b>,
        form: Form,
        lang: Lang,
        /// Reached mentees found ineligible, ascending, with the reason.
        reached: Vec<(usize, IneligibleReason)>,
        /// Eligible and pinned mentees, ascending, each once.
        taken: Vec<usize>,
    },
    /// Listed already.
    Listed(Vec<Ineligible>),
}

impl<'b> LeftOut<'b> {
    /// What `run`, on `bank`, found: the people it reached, the pins.
    /// `O(eligible · log)`.
    pub(super) fn new(bank: &'b Bank<'b>, run: &Prepared<'_>) -> Self {
        let people = &run.people;
        let mut taken = people.eligible.clone();
        taken.extend(people.pins.iter().map(|&(_, e)| e));
        taken.sort_unstable();
        taken.dedup();
        Self(Kept::Summary {
            bank,
            form: run.ctx.form,
            lang: run.input.lang,
            reached: people.ineligible.clone(),
            taken,
        })
    }

    /// A list made already.
    pub(super) fn listed(list: Vec<Ineligible>) -> Self {
        Self(Kept::Listed(list))
    }

    /// How many mentees the run leaves out. `O(1)`.
    pub fn len(&self) -> usize {
        match &self.0 {
            Kept::Summary { bank, taken, .. } => bank.mentees.len() - taken.len(),
            Kept::Listed(list) => list.len(),
        }
    }

    /// Whether the run leaves nobody out. `O(1)`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every mentee left out, in input order, with the reason and its
    /// text: the outcome's `ineligible` list. `O(mentees)`.
    pub fn list(&self) -> Vec<Ineligible> {
        match &self.0 {
            Kept::Listed(list) => list.clone(),
            Kept::Summary {
                bank,
                form,
                lang,
                reached,
                taken,
            } => {
                let categories = form.categories();
                let (mut reached, mut taken) = (reached.iter().peekable(), taken.iter().peekable());
                let mut out = Vec::with_capacity(self.len());
                for (e, mentee) in bank.mentees.iter().enumerate() {
                    let reason = if let Some(&(_, r)) = reached.next_if(|&&(r, _)| r == e) {
                        r
                    } else if taken.next_if(|&&t| t == e).is_some() {
                        continue;
                    } else if categories.contains(&bank.rule_mentees[e].category) {
                        IneligibleReason::OutOfScope
                    } else {
                        IneligibleReason::CategoryNotInForm
                    };
                    out.push(Ineligible {
                        mentee_id: mentee.person.id.clone(),
                        reason,
                        text: reason.render(*lang).to_owned(),
                    });
                }
                out
            }
        }
    }
}

/// Who is out of the pool of a run besides what the profiles say.
pub(super) struct Pool<'a> {
    /// Mentees with an approved pair in the programme.
    pub approved: HashSet<&'a str>,
    /// Mentees whose pair in the programme was completed.
    pub completed: HashSet<&'a str>,
    /// Mentees who moved away.
    pub moved_away: HashSet<&'a str>,
}

/// Checks a mentee's eligibility for the run. `O(1)` expected.
pub(super) fn ineligibility(
    ctx: &RuleContext,
    mentee: &MenteeProfile,
    pool: &Pool<'_>,
) -> Option<IneligibleReason> {
    let in_scope = || ctx.scope.contains(&mentee.person.organization_id);
    ineligibility_scoped(ctx, mentee, pool, in_scope)
}

/// [`ineligibility`] with the scope test given (asked only for a mentee
/// of the form's categories).
fn ineligibility_scoped(
    ctx: &RuleContext,
    mentee: &MenteeProfile,
    pool: &Pool<'_>,
    in_scope: impl FnOnce() -> bool,
) -> Option<IneligibleReason> {
    let p = &mentee.person;
    if !ctx.form.categories().contains(&mentee.category) {
        return Some(IneligibleReason::CategoryNotInForm);
    }
    if !in_scope() {
        return Some(IneligibleReason::OutOfScope);
    }
    if pool.approved.contains(p.id.as_str()) {
        return Some(IneligibleReason::AlreadyPaired);
    }
    if pool.completed.contains(p.id.as_str()) {
        return Some(IneligibleReason::Completed);
    }
    if pool.moved_away.contains(p.id.as_str()) {
        return Some(IneligibleReason::MovedAway);
    }
    match Consent::check_for_matching(p.consent.as_ref(), p.kind, p.birth_year, ctx.on) {
        Ok(()) => None,
        Err(ConsentProblem::Missing) => Some(IneligibleReason::NoConsent),
        Err(ConsentProblem::NotForMatching) => Some(IneligibleReason::ConsentNotForMatching),
        Err(ConsentProblem::NeedsGuardian) => Some(IneligibleReason::ConsentNeedsGuardian),
        Err(ConsentProblem::NeedsPupilAgreement) => {
            Some(IneligibleReason::ConsentNeedsPupilAgreement)
        }
        Err(ConsentProblem::NeedsOwnConsent) => Some(IneligibleReason::ConsentNeedsOwn),
    }
}

/// The people as the pair rules see them, from [`rule_people`].
pub(super) struct RulePeople<'a> {
    /// Rule records of the mentors, by input index.
    pub mentors: &'a [RuleMentor],
    /// Rule records of the mentees, by input index.
    pub mentees: &'a [RuleMentee],
    /// Rejected mentor numbers by mentee number, sorted, no repeats.
    pub rejected: HashMap<u32, Vec<u32>>,
}

impl RulePeople<'_> {
    /// The mentors (as person numbers, sorted) rejected for mentee `mentee`.
    pub fn rejected_for(&self, mentee: usize) -> &[u32] {
        self.rejected
            .get(&self.mentees[mentee].person)
            .map_or(&[][..], Vec::as_slice)
    }
}

/// Takes the bank's rule records and the rejected pairs; gives the
/// records and the rejected pairs by mentee. A pair naming someone not in
/// the banks can rule out nobody and is left out. `O(rejected · log)`.
fn rule_people<'a>(input: &RunInput<'_>, bank: &'a Bank<'_>) -> RulePeople<'a> {
    let persons = &bank.persons;
    let mut rejected: HashMap<u32, Vec<u32>> = HashMap::new();
    for pair in input.excluded {
        let (Some(m), Some(e)) = (persons.find(&pair.mentor_id), persons.find(&pair.mentee_id))
        else {
            continue;
        };
        rejected.entry(e).or_default().push(m);
    }
    for list in rejected.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    RulePeople {
        mentors: &bank.rule_mentors,
        mentees: &bank.rule_mentees,
        rejected,
    }
}

/// Places, from [`mentor_places`]; by input index.
pub(super) struct Places {
    /// Capacity left after approved and pinned members.
    pub spare: Vec<u32>,
    /// Places the run may fill (for groups, see [`group_capacity`]).
    pub run_cap: Vec<u32>,
    /// Mentors passing the mentor-side rules with places, ascending.
    pub candidates: Vec<usize>,
}

/// Takes the mentors and their current members; gives the spare
/// capacity, the places this run may fill and the candidates. Only the
/// mentors of the scope's organisations serving the form ([`Reach`]) are
/// checked: any other breaks a mentor-side rule whatever else holds.
/// `O(mentors)` plain array steps plus `O(reached)` rule checks.
fn mentor_places(
    input: &RunInput<'_>,
    bank: &Bank<'_>,
    ctx: &RuleContext,
    members: &[u32],
    reach: &Reach,
) -> Places {
    let spare: Vec<u32> = bank
        .capacity
        .iter()
        .zip(members)
        .map(|(c, k)| c.saturating_sub(*k))
        .collect();
    let run_cap: Vec<u32> = match input.programme.group {
        Some(size) => spare
            .iter()
            .zip(members)
            .map(|(s, k)| group_capacity(*s, *k, size))
            .collect(),
        None => spare.clone(),
    };
    let candidates: Vec<usize> = reach
        .mentors
        .iter()
        .map(|&m| m as usize)
        .filter(|&m| run_cap[m] > 0 && bank.mentor_side(ctx, m).is_none())
        .collect();
    Places {
        spare,
        run_cap,
        candidates,
    }
}

/// Features of the people a run scores or explains, from [`encode_features`].
pub(super) struct Encoded {
    /// The encoded profiles.
    pub features: Features,
    /// Feature index of each mentor (`u32::MAX` when not encoded).
    pub mentor_fi: Vec<u32>,
    /// Feature index of each mentee (`u32::MAX` when not encoded).
    pub mentee_fi: Vec<u32>,
}

impl Encoded {
    /// Puts the run's wishes into the features, for the `wishes`
    /// criterion: per encoded mentee, every encoded mentor either side
    /// named, with both ranks. `O(wishes)` expected.
    fn set_wishes(&mut self, wishes: &WishIndex) {
        let mut per_mentee: Vec<HashMap<u32, WishCell>> =
            vec![HashMap::new(); self.features.mentees.len()];
        let rank = |k: usize| u8::try_from(k + 1).unwrap_or(u8::MAX);
        let mut note = |e: usize, m: usize, mentee_rank: Option<u8>, mentor_rank: Option<u8>| {
            let (fe, fm) = (self.mentee_fi[e], self.mentor_fi[m]);
            if fe == u32::MAX || fm == u32::MAX {
                return;
            }
            let cell = per_mentee[fe as usize].entry(fm).or_insert(WishCell {
                mentor: fm,
                mentee_rank: 0,
                mentor_rank: 0,
            });
            if let Some(r) = mentee_rank {
                cell.mentee_rank = r;
            }
            if let Some(r) = mentor_rank {
                cell.mentor_rank = r;
            }
        };
        for (&e, list) in &wishes.mentees {
            for (k, &m) in list.iter().enumerate() {
                note(e, m, Some(rank(k)), None);
            }
        }
        for (&m, list) in &wishes.mentors {
            for (k, &e) in list.iter().enumerate() {
                note(e, m, None, Some(rank(k)));
            }
        }
        let cells = per_mentee
            .into_iter()
            .map(|cells| {
                let mut cells: Vec<WishCell> = cells.into_values().collect();
                cells.sort_unstable_by_key(|c| c.mentor);
                cells
            })
            .collect();
        self.features.set_wishes(cells);
    }
}

/// Encodes the candidates and eligible mentees plus the people of pinned
/// pairs (each once, in that order), from the bank's interned tags.
/// `O(encoded people · tags)`, see [`encode_from`] (the same features as
/// `features::encode` gives for these people).
fn encode_features(
    input: &RunInput<'_>,
    bank: &Bank<'_>,
    people: &People,
    places: &Places,
) -> Encoded {
    let (mentors, mentees) = (input.mentors, input.mentees);
    let pins = &people.pins;
    let mut mentor_fi = vec![u32::MAX; mentors.len()];
    let mut f_mentors: Vec<usize> = Vec::new();
    for &m in places.candidates.iter().chain(pins.iter().map(|(m, _)| m)) {
        if mentor_fi[m] == u32::MAX {
            mentor_fi[m] = f_mentors.len() as u32;
            f_mentors.push(m);
        }
    }
    let mut mentee_fi = vec![u32::MAX; mentees.len()];
    let mut f_mentees: Vec<usize> = Vec::new();
    for &e in people.eligible.iter().chain(pins.iter().map(|(_, e)| e)) {
        if mentee_fi[e] == u32::MAX {
            mentee_fi[e] = f_mentees.len() as u32;
            f_mentees.push(e);
        }
    }
    let mentor_refs: Vec<&MentorProfile> = f_mentors.iter().map(|&m| &mentors[m]).collect();
    let mentee_refs: Vec<&MenteeProfile> = f_mentees.iter().map(|&e| &mentees[e]).collect();
    let f_spare: Vec<u32> = f_mentors.iter().map(|&m| places.spare[m]).collect();
    let features = encode_from(
        &bank.tags,
        input.programme.form,
        (&f_mentors, &mentor_refs),
        &f_spare,
        (&f_mentees, &mentee_refs),
    );
    Encoded {
        features,
        mentor_fi,
        mentee_fi,
    }
}
