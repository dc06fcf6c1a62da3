//! Why a mentee got no mentor, or was not considered at all.
//!
//! Reasons are structured (a stable `code` plus facts) and rendered into
//! English or Russian by [`UnmatchedReason::render`] and
//! [`IneligibleReason::render`], so a stored run can be shown in either
//! language later.

use super::explain::Lang;
use super::rules::{Rule, RuleContext, RuleMentee, RuleMentor, pair_rule};
use crate::domain::Id;
use serde::{Deserialize, Serialize};

/// Why an eligible mentee was left without a mentor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UnmatchedReason {
    /// No mentor passes the hard rules for this mentee.
    NoMentorPassesRules {
        /// Mentors looked at: those accepting the form (in the same
        /// organisation for same-organisation forms, when there are any).
        mentors_considered: usize,
        /// The rule that excluded the most of them (first rule broken).
        top_rule: Rule,
        /// How many mentors each rule excluded, largest first.
        excluded_by: Vec<(Rule, usize)>,
    },
    /// Mentors pass the rules but none has capacity left.
    MentorsFull {
        /// How many mentors pass the rules.
        eligible_mentors: usize,
    },
    /// Mentors with capacity were available, but the optimum gave their
    /// places to other mentees.
    AssignedToOthers {
        /// Mentors this mentee could have had.
        eligible_mentors: usize,
        /// The best score any of them offered.
        best_score: f64,
    },
}

pub fn rule_words(rule: Rule, lang: Lang) -> &'static str {
    match (rule, lang) {
        (Rule::FormNotAccepted, Lang::En) => "does not accept this form",
        (Rule::FormNotAccepted, Lang::Ru) => "не работает в этой форме",
        (Rule::WrongMentorKind, Lang::En) => "is not the kind of mentor this form needs",
        (Rule::WrongMentorKind, Lang::Ru) => "не подходит для этой формы",
        (Rule::MentorNoConsent, Lang::En) => "has no valid consent",
        (Rule::MentorNoConsent, Lang::Ru) => "нет действующего согласия",
        (Rule::MentorNotTrained, Lang::En) => "has not finished mentor training",
        (Rule::MentorNotTrained, Lang::Ru) => "не прошёл обучение наставников",
        (Rule::MentorOutOfScope, Lang::En) => "is outside the programme's scope",
        (Rule::MentorOutOfScope, Lang::Ru) => "вне охвата программы",
        (Rule::DifferentOrganization, Lang::En) => "is in another organisation",
        (Rule::DifferentOrganization, Lang::Ru) => "из другой организации",
        (Rule::SelfMentoring, Lang::En) => "is the mentee themself",
        (Rule::SelfMentoring, Lang::Ru) => "это сам наставляемый",
        (Rule::RejectedPair, Lang::En) => "was rejected for this mentee by the curator",
        (Rule::RejectedPair, Lang::Ru) => "пара отклонена куратором",
        (Rule::NeedsTutor, Lang::En) => "is not a tutor (the pupil has special needs)",
        (Rule::NeedsTutor, Lang::Ru) => "не тьютор (у ученика ОВЗ)",
        (Rule::GradeGap, Lang::En) => "is not enough grades above the pupil",
        (Rule::GradeGap, Lang::Ru) => "учится недостаточно старше",
        (Rule::MentorExperience, Lang::En) => "has too little experience for a young specialist",
        (Rule::MentorExperience, Lang::Ru) => "недостаточный стаж для молодого специалиста",
    }
}

impl UnmatchedReason {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoMentorPassesRules { .. } => "no_mentor_passes_rules",
            Self::MentorsFull { .. } => "mentors_full",
            Self::AssignedToOthers { .. } => "assigned_to_others",
        }
    }

    /// The reason in words.
    pub fn render(&self, lang: Lang) -> String {
        match (self, lang) {
            (
                Self::NoMentorPassesRules {
                    mentors_considered,
                    top_rule,
                    excluded_by,
                },
                Lang::En,
            ) => {
                let n = excluded_by
                    .iter()
                    .find(|(r, _)| r == top_rule)
                    .map_or(0, |(_, n)| *n);
                format!(
                    "no mentor passes the rules: of {mentors_considered} mentors considered, most ({n}) {}",
                    rule_words(*top_rule, lang)
                )
            }
            (
                Self::NoMentorPassesRules {
                    mentors_considered,
                    top_rule,
                    excluded_by,
                },
                Lang::Ru,
            ) => {
                let n = excluded_by
                    .iter()
                    .find(|(r, _)| r == top_rule)
                    .map_or(0, |(_, n)| *n);
                format!(
                    "ни один наставник не проходит правила: из {mentors_considered} рассмотренных чаще всего ({n}) — {}",
                    rule_words(*top_rule, lang)
                )
            }
            (Self::MentorsFull { eligible_mentors }, Lang::En) => {
                format!("{eligible_mentors} mentor(s) pass the rules but have no places left")
            }
            (Self::MentorsFull { eligible_mentors }, Lang::Ru) => {
                format!("подходящих наставников: {eligible_mentors}, но свободных мест у них нет")
            }
            (
                Self::AssignedToOthers {
                    eligible_mentors,
                    best_score,
                },
                Lang::En,
            ) => format!(
                "{eligible_mentors} suitable mentor(s), but the best overall matching gave their places to others (best score available {best_score:.3})"
            ),
            (
                Self::AssignedToOthers {
                    eligible_mentors,
                    best_score,
                },
                Lang::Ru,
            ) => format!(
                "подходящих наставников: {eligible_mentors}, но в лучшем общем распределении их места заняли другие (лучшая доступная оценка {best_score:.3})"
            ),
        }
    }
}

/// An eligible mentee left without a mentor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmatched {
    /// The mentee.
    pub mentee_id: Id,
    /// Why, as data.
    pub reason: UnmatchedReason,
    /// Why, in words.
    pub text: String,
}

/// Why a mentee was not considered by the run at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IneligibleReason {
    /// The mentee's category is not served by the programme's form.
    CategoryNotInForm,
    /// The mentee's organisation is outside the programme's scope.
    OutOfScope,
    /// The mentee already has an approved pair.
    AlreadyPaired,
    /// The mentee's pair in this programme was completed: done here.
    Completed,
    /// The mentee moved away (a pair ended so); back in matching once
    /// their profile is updated.
    MovedAway,
    /// No consent recorded.
    NoConsent,
    /// The consent does not cover matching.
    ConsentNotForMatching,
    /// A minor's consent must come from a parent or guardian.
    ConsentNeedsGuardian,
    /// A pupil of 14 to 17 has not recorded their own agreement.
    ConsentNeedsPupilAgreement,
    /// An adult's consent must be their own.
    ConsentNeedsOwn,
}

impl IneligibleReason {
    /// The reason in words.
    pub fn render(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::CategoryNotInForm, Lang::En) => {
                "the mentee's category is not served by this form"
            }
            (Self::CategoryNotInForm, Lang::Ru) => {
                "категория наставляемого не относится к этой форме"
            }
            (Self::OutOfScope, Lang::En) => "the mentee's organisation is outside the programme",
            (Self::OutOfScope, Lang::Ru) => "организация наставляемого не входит в программу",
            (Self::AlreadyPaired, Lang::En) => "already has an approved pair",
            (Self::AlreadyPaired, Lang::Ru) => "уже есть утверждённая пара",
            (Self::Completed, Lang::En) => "already completed mentoring in this programme",
            (Self::Completed, Lang::Ru) => "уже завершил(а) наставничество в этой программе",
            (Self::MovedAway, Lang::En) => {
                "moved away; back in matching once the profile is updated"
            }
            (Self::MovedAway, Lang::Ru) => {
                "выбыл(а) из организации; вернётся в подбор после обновления профиля"
            }
            (Self::NoConsent, Lang::En) => "no consent to processing of personal data",
            (Self::NoConsent, Lang::Ru) => "нет согласия на обработку персональных данных",
            (Self::ConsentNotForMatching, Lang::En) => "the consent does not cover matching",
            (Self::ConsentNotForMatching, Lang::Ru) => {
                "согласие не распространяется на подбор пары"
            }
            (Self::ConsentNeedsGuardian, Lang::En) => {
                "a minor needs the consent of a parent or guardian"
            }
            (Self::ConsentNeedsGuardian, Lang::Ru) => {
                "для несовершеннолетнего нужно согласие законного представителя"
            }
            (Self::ConsentNeedsPupilAgreement, Lang::En) => {
                "a pupil of 14 to 17 needs their own recorded agreement besides the guardian's consent"
            }
            (Self::ConsentNeedsPupilAgreement, Lang::Ru) => {
                "в 14–17 лет кроме согласия законного представителя нужно согласие самого ученика"
            }
            (Self::ConsentNeedsOwn, Lang::En) => "an adult's consent must be their own",
            (Self::ConsentNeedsOwn, Lang::Ru) => "совершеннолетний даёт согласие сам",
        }
    }
}

/// A mentee the run did not consider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ineligible {
    /// The mentee.
    pub mentee_id: Id,
    /// Why, as a code.
    pub reason: IneligibleReason,
    /// Why, in words.
    pub text: String,
}

/// Explains a mentee with no allowed mentor with capacity.
///
/// `bank` are the mentors accepting the form (with their mentor-side rule
/// result and run capacity). Counts, per rule, the mentors it excluded
/// first; if some mentor passes every rule, they are all full.
/// `O(|bank|)` per mentee.
pub fn no_allowed_mentor(
    ctx: &RuleContext,
    mentee: &RuleMentee,
    rejected: &[u32],
    bank: &[(RuleMentor, Option<Rule>, u32)],
) -> UnmatchedReason {
    let same_org: Vec<&(RuleMentor, Option<Rule>, u32)> = if ctx.same_organization() {
        bank.iter()
            .filter(|(m, _, _)| m.org == mentee.org)
            .collect()
    } else {
        bank.iter().collect()
    };
    if same_org.is_empty() {
        let top_rule = if ctx.same_organization() && !bank.is_empty() {
            Rule::DifferentOrganization
        } else {
            Rule::FormNotAccepted
        };
        return UnmatchedReason::NoMentorPassesRules {
            mentors_considered: bank.len(),
            top_rule,
            excluded_by: vec![(top_rule, bank.len())],
        };
    }
    let mut counts = [0usize; Rule::ALL.len()];
    let mut passing = 0;
    for (m, side, _) in &same_org {
        match side.or_else(|| pair_rule(ctx, m, mentee, rejected)) {
            Some(rule) => counts[rule as usize] += 1,
            None => passing += 1,
        }
    }
    if passing > 0 {
        return UnmatchedReason::MentorsFull {
            eligible_mentors: passing,
        };
    }
    let mut excluded_by: Vec<(Rule, usize)> = Rule::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (*r, n))
        .collect();
    excluded_by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    UnmatchedReason::NoMentorPassesRules {
        mentors_considered: same_org.len(),
        top_rule: excluded_by
            .first()
            .map_or(Rule::FormNotAccepted, |(r, _)| *r),
        excluded_by,
    }
}
