//! Hard rules (DOMAIN.md): a pair that breaks one is never proposed.
//!
//! Rules are split in two so that the cheap structure they impose can be
//! used before any pair is looked at: mentor-side rules ([`mentor_rule`])
//! depend on the mentor and the programme only; pair rules ([`pair_rule`])
//! need both people and run on compact pre-computed records
//! ([`RuleMentor`], [`RuleMentee`]), `O(1)` per pair apart from the
//! rejected-pair look-up (`O(log k)` in the mentee's `k` rejected mentors).
//! Both return the *first* rule broken, in the order of [`Rule::ALL`], so
//! that for an unmatched mentee the rule that excluded the most mentors can
//! be counted.

use super::features::is_pupil_category;
use crate::domain::profile::mentor_kind_for;
use crate::domain::{
    Consent, Form, Id, MenteeCategory, MenteeProfile, MentorProfile, Organization, Rules, StaffRole,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::Date;

/// A hard rule, with a stable machine-readable code.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The mentor does not accept the programme's form.
    FormNotAccepted,
    /// The mentor is not the kind of person the form needs.
    WrongMentorKind,
    /// The mentor has no valid consent for matching.
    MentorNoConsent,
    /// The mentor has not finished mentor training.
    MentorNotTrained,
    /// The mentor's organisation is outside the programme's scope.
    MentorOutOfScope,
    /// Same-organisation form, different organisations.
    DifferentOrganization,
    /// Mentor and mentee are the same person.
    SelfMentoring,
    /// The curator rejected this pair before.
    RejectedPair,
    /// A pupil with special needs needs a mentor with the tutor role.
    NeedsTutor,
    /// `pupil_pupil`: the mentor is not enough grades above the mentee.
    GradeGap,
    /// A young specialist's mentor lacks the minimum experience.
    MentorExperience,
}

impl Rule {
    /// Every rule in evaluation order.
    pub const ALL: [Rule; 11] = [
        Rule::FormNotAccepted,
        Rule::WrongMentorKind,
        Rule::MentorNoConsent,
        Rule::MentorNotTrained,
        Rule::MentorOutOfScope,
        Rule::DifferentOrganization,
        Rule::SelfMentoring,
        Rule::RejectedPair,
        Rule::NeedsTutor,
        Rule::GradeGap,
        Rule::MentorExperience,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::FormNotAccepted => "form_not_accepted",
            Rule::WrongMentorKind => "wrong_mentor_kind",
            Rule::MentorNoConsent => "mentor_no_consent",
            Rule::MentorNotTrained => "mentor_not_trained",
            Rule::MentorOutOfScope => "mentor_out_of_scope",
            Rule::DifferentOrganization => "different_organization",
            Rule::SelfMentoring => "self_mentoring",
            Rule::RejectedPair => "rejected_pair",
            Rule::NeedsTutor => "needs_tutor",
            Rule::GradeGap => "grade_gap",
            Rule::MentorExperience => "mentor_experience",
        }
    }
}

/// The programme's scope: every organisation listed, with everything under
/// it in the organisation tree. Built in `O(orgs · depth)`.
#[derive(Debug, Clone)]
pub struct Scope {
    index: HashMap<Id, u32>,
    inside: Vec<bool>,
}

impl Scope {
    /// Resolves `scope_ids` over the tree given by `Organization::parent_id`.
    /// Parent cycles (invalid data) are cut after the tree's size in steps.
    pub fn new(organizations: &[Organization], scope_ids: &[Id]) -> Self {
        let index: HashMap<Id, u32> = organizations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i as u32))
            .collect();
        let parent: Vec<Option<u32>> = organizations
            .iter()
            .map(|o| o.parent_id.as_ref().and_then(|p| index.get(p).copied()))
            .collect();
        let roots: Vec<bool> = organizations
            .iter()
            .map(|o| scope_ids.contains(&o.id))
            .collect();
        let inside = (0..organizations.len())
            .map(|start| {
                let mut at = Some(start as u32);
                for _ in 0..=organizations.len() {
                    match at {
                        Some(i) if roots[i as usize] => return true,
                        Some(i) => at = parent[i as usize],
                        None => return false,
                    }
                }
                false
            })
            .collect();
        Self { index, inside }
    }

    /// Whether `org` is in scope (unknown organisations are not).
    pub fn contains(&self, org: &Id) -> bool {
        self.index
            .get(org)
            .is_some_and(|&i| self.inside[i as usize])
    }

    /// Whether the organisation at `at` in the slice the scope was built
    /// from is in scope; `at` is that of the last organisation with the id,
    /// as [`Scope::contains`] finds it (`u32::MAX`, unknown, is not). `O(1)`.
    pub fn contains_at(&self, at: u32) -> bool {
        self.inside.get(at as usize).copied().unwrap_or(false)
    }
}

/// What the rules need to know about the programme.
#[derive(Debug, Clone)]
pub struct RuleContext {
    /// The form.
    pub form: Form,
    /// Rule settings.
    pub rules: Rules,
    /// The day consents are checked at (the period start).
    pub on: Date,
    /// The scope.
    pub scope: Scope,
}

impl RuleContext {
    /// Whether same-organisation applies (same-organisation form, no network).
    pub fn same_organization(&self) -> bool {
        self.form.same_organization_by_default() && !self.rules.network
    }
}

/// The first mentor-side rule `mentor` breaks, if any.
pub fn mentor_rule(ctx: &RuleContext, mentor: &MentorProfile) -> Option<Rule> {
    mentor_rule_scoped(ctx, mentor, || {
        ctx.scope.contains(&mentor.person.organization_id)
    })
}

/// [`mentor_rule`] with the scope test given (asked only when the other
/// rules pass), for callers that know where the organisation is.
pub fn mentor_rule_scoped(
    ctx: &RuleContext,
    mentor: &MentorProfile,
    in_scope: impl FnOnce() -> bool,
) -> Option<Rule> {
    let p = &mentor.person;
    if !mentor.forms.contains(&ctx.form) {
        return Some(Rule::FormNotAccepted);
    }
    if p.kind != mentor_kind_for(ctx.form) {
        return Some(Rule::WrongMentorKind);
    }
    if Consent::check_for_matching(p.consent.as_ref(), p.kind, p.birth_year, ctx.on).is_err() {
        return Some(Rule::MentorNoConsent);
    }
    if ctx.rules.require_trained && !mentor.trained {
        return Some(Rule::MentorNotTrained);
    }
    if !in_scope() {
        return Some(Rule::MentorOutOfScope);
    }
    None
}

/// A mentor as the pair rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMentor {
    /// Interned organisation.
    pub org: u32,
    /// Interned person id (shared with mentees: same id, same person).
    pub person: u32,
    /// Holds the tutor role.
    pub tutor: bool,
    /// Grade, pupils only.
    pub grade: Option<u8>,
    /// Years of experience (0 when unknown).
    pub experience: u32,
}

/// A mentee as the pair rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMentee {
    /// Interned organisation.
    pub org: u32,
    /// Interned person id.
    pub person: u32,
    /// The category.
    pub category: MenteeCategory,
    /// Grade, pupils only.
    pub grade: Option<u8>,
}

/// Interns organisation and person ids into the compact rule records.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    /// The number of `id`, allocating a new one on first sight.
    pub fn get(&mut self, id: &Id) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(id.as_str().to_owned()).or_insert(next)
    }

    /// The number of `id` if it was seen, without allocating one.
    pub fn find(&self, id: &Id) -> Option<u32> {
        self.ids.get(id.as_str()).copied()
    }

    /// The rule record of a mentor.
    pub fn mentor(&mut self, orgs: &mut Interner, m: &MentorProfile) -> RuleMentor {
        RuleMentor {
            org: orgs.get(&m.person.organization_id),
            person: self.get(&m.person.id),
            tutor: m.roles.contains(&StaffRole::Tutor),
            grade: m.person.grade,
            experience: m.experience_years.unwrap_or(0),
        }
    }

    /// The rule record of a mentee.
    pub fn mentee(&mut self, orgs: &mut Interner, e: &MenteeProfile) -> RuleMentee {
        RuleMentee {
            org: orgs.get(&e.person.organization_id),
            person: self.get(&e.person.id),
            category: e.category,
            grade: e.person.grade,
        }
    }
}

/// The first pair rule broken by mentor `m` and mentee `e` (mentor-side
/// rules assumed passed). `rejected` is the sorted list of mentor person
/// numbers the curator rejected for this mentee.
#[inline]
pub fn pair_rule(
    ctx: &RuleContext,
    m: &RuleMentor,
    e: &RuleMentee,
    rejected: &[u32],
) -> Option<Rule> {
    if ctx.same_organization() && m.org != e.org {
        return Some(Rule::DifferentOrganization);
    }
    if m.person == e.person {
        return Some(Rule::SelfMentoring);
    }
    if !rejected.is_empty() && rejected.binary_search(&m.person).is_ok() {
        return Some(Rule::RejectedPair);
    }
    if ctx.rules.tutor_for_special_needs && e.category == MenteeCategory::SpecialNeeds && !m.tutor {
        return Some(Rule::NeedsTutor);
    }
    if ctx.form == Form::PupilPupil && is_pupil_category(e.category) {
        let ok = match (m.grade, e.grade) {
            (Some(mg), Some(eg)) => u32::from(mg) >= u32::from(eg) + ctx.rules.min_grade_gap,
            _ => false,
        };
        if !ok {
            return Some(Rule::GradeGap);
        }
    }
    if e.category == MenteeCategory::YoungSpecialist
        && m.experience < ctx.rules.min_mentor_experience_years
    {
        return Some(Rule::MentorExperience);
    }
    None
}
