//! One proposal: both profiles side by side (sensitive fields only where
//! the role may read them), the explanation criterion by criterion, the
//! hard rules it passed, the best alternatives for the mentee; approve,
//! reject with a reason, or replace.

use super::runs::LOW_SCORE;
use super::{Chrome, Ctx, FormData, PageError, ROOT, id, page, see_other};
use crate::domain::{Form, MenteeCategory, MenteeProfile, MentorProfile};
use crate::http::privacy;
use crate::http::views::runs::ProposalView;
use crate::matching::rules::Rule;
use crate::service::auth::Permission;
use crate::service::runs::{self, PersonNames, StoredProposal};
use crate::service::{pairs, wishes};
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use std::collections::HashMap;

/// A profile as two columns of label and value.
pub struct Profile {
    pub title: String,
    pub fields: Vec<(&'static str, String)>,
}

/// A criterion's line of the explanation.
pub struct Line {
    pub criterion: &'static str,
    pub weight: String,
    pub value: String,
    pub contribution: String,
    pub detail: String,
}

/// A mentor the run scored well for the mentee.
pub struct Alternative {
    pub mentor_id: String,
    pub name: String,
    pub score: String,
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    c: Chrome,
    id: String,
    run_id: String,
    programme_name: String,
    score: String,
    low: bool,
    status: &'static str,
    status_code: String,
    decided: Option<String>,
    reason: Option<String>,
    mentor: Profile,
    mentees: Vec<Profile>,
    lines: Vec<Line>,
    summary: String,
    group_members: Vec<(String, String)>,
    rules: Vec<&'static str>,
    alternatives: Vec<Alternative>,
    single: bool,
    decidable: bool,
    named: bool,
    /// The proposal's mentor, as stored.
    mentor_code: String,
    /// The mentor the proposal's mentee is pinned to now, if any.
    pinned_to: Option<String>,
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

/// An organisation's name, else its id.
fn org_name(names: &HashMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_owned())
}

fn mentor_profile(ctx: &Ctx, m: &MentorProfile, names: &HashMap<String, String>) -> Profile {
    let t = ctx.t;
    Profile {
        title: m.person.full_name.clone(),
        fields: vec![
            (
                t.organization,
                org_name(names, m.person.organization_id.as_str()),
            ),
            (t.subjects, list(&m.person.subjects)),
            (t.competencies, list(&m.competencies)),
            (t.interests, list(&m.person.interests)),
            (
                t.experience,
                m.experience_years.map_or("—".into(), |y| y.to_string()),
            ),
            (t.qualification, t.qualification(&m.qualification).into()),
            (
                t.roles,
                list(
                    &m.roles
                        .iter()
                        .map(|r| t.staff_role(r).to_owned())
                        .collect::<Vec<_>>(),
                ),
            ),
            (t.capacity, m.capacity.to_string()),
            (t.trained, if m.trained { t.yes } else { t.no }.into()),
        ],
    }
}

fn mentee_profile(ctx: &Ctx, m: &MenteeProfile, names: &HashMap<String, String>) -> Profile {
    let t = ctx.t;
    let readable = !m.category.is_sensitive()
        || privacy::reads_sensitive_of(ctx.principal(), m.person.organization_id.as_str());
    Profile {
        title: m.person.full_name.clone(),
        fields: vec![
            (
                t.organization,
                org_name(names, m.person.organization_id.as_str()),
            ),
            (
                t.grade,
                m.person.grade.map_or("—".into(), |g| g.to_string()),
            ),
            (
                t.category,
                if readable {
                    t.category(&m.category).into()
                } else {
                    t.restricted.into()
                },
            ),
            (t.subjects, list(&m.person.subjects)),
            (t.requests, list(&m.requests)),
            (t.interests, list(&m.person.interests)),
        ],
    }
}

/// The hard rules a proposal of `form` passed, in words; the tutor rule
/// only where the caller may know the pupil's category.
fn rules_passed(ctx: &Ctx, form: Form, mentees: &[MenteeProfile]) -> Vec<&'static str> {
    let t = ctx.t;
    let partner = matches!(form, Form::StudentPupil | Form::EmployerPupil);
    let mut rules = vec![
        Rule::FormNotAccepted,
        Rule::WrongMentorKind,
        Rule::MentorNoConsent,
        Rule::MentorNotTrained,
        if partner {
            Rule::MentorOutOfScope
        } else {
            Rule::DifferentOrganization
        },
        Rule::SelfMentoring,
        Rule::RejectedPair,
    ];
    let readable_special = mentees.iter().any(|m| {
        m.category == MenteeCategory::SpecialNeeds
            && privacy::reads_sensitive_of(ctx.principal(), m.person.organization_id.as_str())
    });
    if readable_special {
        rules.push(Rule::NeedsTutor);
    }
    if form == Form::PupilPupil {
        rules.push(Rule::GradeGap);
    }
    if mentees
        .iter()
        .any(|m| m.category == MenteeCategory::YoungSpecialist)
    {
        rules.push(Rule::MentorExperience);
    }
    rules.iter().map(|r| t.rule_passed(r)).collect()
}

/// `GET /ui/proposals/{id}`.
pub async fn show(
    ctx: Ctx,
    path: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let proposal_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let t = ctx.t;
    let (record, run) = runs::proposal_access(store, ctx.scope(), proposal_id.as_str()).await?;
    let (programme, _) = runs::programme_access(store, ctx.scope(), &record.programme_id).await?;
    let stored = StoredProposal::parse(&record)?;
    let named = !ctx.is_analyst();
    let names = if named {
        runs::person_names(store, std::slice::from_ref(&stored)).await?
    } else {
        PersonNames::default()
    };
    let mut view = ProposalView::new(&stored, &names, t.lang)?;
    if !named {
        let pseudonyms = privacy::Pseudonyms::load(&ctx.state).await?;
        view.mentor_id = pseudonyms.of(&view.mentor_id);
        for m in &mut view.mentee_ids {
            *m = pseudonyms.of(m);
        }
        for m in &mut view.members {
            m.mentee_id = pseudonyms.of(&m.mentee_id);
        }
    }
    let (mentor, mentees) = if named {
        let mentors = runs::mentor_profiles(store, std::slice::from_ref(&record.mentor_id)).await?;
        let mentees = runs::mentee_profiles(store, &record.mentee_ids).await?;
        let ordered: Vec<MenteeProfile> = record
            .mentee_ids
            .iter()
            .filter_map(|m| mentees.get(m).cloned())
            .collect();
        (mentors.get(&record.mentor_id).cloned(), ordered)
    } else {
        (None, Vec::new())
    };
    let names = ctx
        .organization_names(
            mentor
                .iter()
                .map(|m| m.person.organization_id.as_str())
                .chain(mentees.iter().map(|m| m.person.organization_id.as_str())),
        )
        .await?;
    let mentor_view = match &mentor {
        Some(m) => mentor_profile(&ctx, m, &names),
        None => Profile {
            title: view
                .mentor_name
                .clone()
                .unwrap_or_else(|| view.mentor_id.clone()),
            fields: Vec::new(),
        },
    };
    let mentee_views: Vec<Profile> = if mentees.is_empty() {
        view.mentee_ids
            .iter()
            .map(|m| Profile {
                title: m.clone(),
                fields: Vec::new(),
            })
            .collect()
    } else {
        mentees
            .iter()
            .map(|m| mentee_profile(&ctx, m, &names))
            .collect()
    };
    let lines = view
        .breakdown
        .iter()
        .map(|b| Line {
            criterion: t.criterion(&b.criterion),
            weight: format!("{:.2}", b.weight),
            value: format!("{:.2}", b.value),
            contribution: format!("{:.3}", b.contribution),
            detail: b.detail.clone(),
        })
        .collect();
    let single = record.mentee_ids.len() == 1;
    let decidable = ctx.may(Permission::DecidePairs) && !run.dry_run && record.status == "proposed";
    let mut alternatives = Vec::new();
    if named && single && decidable {
        let found = runs::alternatives(
            store,
            ctx.scope(),
            &run.id,
            &record.mentee_ids[0],
            &record.mentor_id,
            3,
        )
        .await?;
        let ids: Vec<String> = found.iter().map(|(m, _)| m.clone()).collect();
        let profiles = runs::mentor_profiles(store, &ids).await?;
        alternatives = found
            .into_iter()
            .map(|(mentor_id, score)| Alternative {
                name: profiles
                    .get(&mentor_id)
                    .map_or_else(|| mentor_id.clone(), |m| m.person.full_name.clone()),
                mentor_id,
                score: format!("{score:.3}"),
            })
            .collect();
    }
    let pinned_to = if single && decidable {
        wishes::pins(store, ctx.scope(), &record.programme_id)
            .await?
            .into_iter()
            .find(|p| p.mentee_id == record.mentee_ids[0])
            .map(|p| p.mentor_id)
    } else {
        None
    };
    let status_code = record.status.clone();
    let group_members = view
        .members
        .iter()
        .map(|m| (m.mentee_id.clone(), format!("{:.3}", m.score)))
        .collect();
    let mut c = ctx.chrome(format!("{} · {}", t.proposal_title, mentor_view.title));
    c.notice = super::runs::notice(&ctx, &req);
    page(&ProposalPage {
        c,
        id: record.id.clone(),
        run_id: run.id.clone(),
        programme_name: programme.name.clone(),
        score: format!("{:.3}", view.score),
        low: view.score < LOW_SCORE,
        status: t.proposal_status(&status_code),
        status_code,
        decided: record.decided_at.as_deref().map(|d| super::when(t, d)),
        reason: record.reason.clone(),
        mentor: mentor_view,
        mentees: mentee_views,
        lines,
        summary: view.summary.clone(),
        group_members,
        rules: rules_passed(&ctx, programme.form, &mentees),
        alternatives,
        single,
        decidable,
        named,
        mentor_code: record.mentor_id.clone(),
        pinned_to,
    })
}

/// `POST /ui/proposals/{id}/approve` with `csrf`.
pub async fn approve(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let proposal_id = id(&path)?;
    let made = runs::approve_proposal(
        ctx.state.store.as_ref(),
        ctx.scope(),
        &ctx.actor(),
        proposal_id.as_str(),
    )
    .await?;
    tracing::info!(proposal_id = %proposal_id, pairs = made.len(), key_id = %ctx.principal().key_id, "proposal approved from the pages");
    Ok(see_other(&format!(
        "{ROOT}/proposals/{proposal_id}?done=approved"
    )))
}

/// `POST /ui/proposals/{id}/reject` with `csrf` and `reason`.
pub async fn reject(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let proposal_id = id(&path)?;
    let reason = form
        .text("reason")
        .filter(|r| r.chars().count() <= 1000)
        .ok_or_else(|| PageError::Invalid("reason: is required".into()))?;
    runs::reject_proposal(
        ctx.state.store.as_ref(),
        ctx.scope(),
        &ctx.actor(),
        proposal_id.as_str(),
        reason,
    )
    .await?;
    tracing::info!(proposal_id = %proposal_id, key_id = %ctx.principal().key_id, "proposal rejected from the pages");
    Ok(see_other(&format!(
        "{ROOT}/proposals/{proposal_id}?done=rejected"
    )))
}

/// `POST /ui/proposals/{id}/replace` with `csrf` and `mentor_id`: pairs
/// the mentee with that mentor by hand and rejects the proposal.
pub async fn replace(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let proposal_id = id(&path)?;
    let mentor_id = id(form.text("mentor_id").unwrap_or_default())?;
    let reason = format!("replaced with {mentor_id} by the curator");
    pairs::replace_proposal(
        ctx.state.store.as_ref(),
        ctx.scope(),
        &ctx.actor(),
        proposal_id.as_str(),
        mentor_id.as_str(),
        &reason,
    )
    .await?;
    Ok(see_other(&format!(
        "{ROOT}/proposals/{proposal_id}?done=paired"
    )))
}

/// `POST /ui/proposals/{id}/pin` with `csrf`: pins the proposal's mentor
/// and mentee (the same service call as the API's), so that every later
/// run keeps them.
pub async fn pin(ctx: Ctx, path: Path<String>, form: FormData) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let proposal_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (record, _) = runs::proposal_access(store, ctx.scope(), proposal_id.as_str()).await?;
    let [mentee_id] = record.mentee_ids.as_slice() else {
        return Err(PageError::Invalid(
            "a group is pinned mentee by mentee".into(),
        ));
    };
    let body = serde_json::json!({"mentor_id": record.mentor_id, "mentee_id": mentee_id});
    wishes::pin(
        store,
        ctx.scope(),
        &record.programme_id,
        &body,
        &ctx.actor(),
    )
    .await?;
    Ok(see_other(&format!(
        "{ROOT}/proposals/{proposal_id}?done=pinned"
    )))
}

/// `POST /ui/proposals/{id}/unpin` with `csrf`: removes the pin of the
/// proposal's mentee.
pub async fn unpin(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let proposal_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (record, _) = runs::proposal_access(store, ctx.scope(), proposal_id.as_str()).await?;
    let [mentee_id] = record.mentee_ids.as_slice() else {
        return Err(PageError::Invalid(
            "a group is pinned mentee by mentee".into(),
        ));
    };
    let mentee_id = id(mentee_id)?;
    wishes::unpin(
        store,
        ctx.scope(),
        &record.programme_id,
        &mentee_id,
        None,
        &ctx.actor(),
    )
    .await?;
    Ok(see_other(&format!(
        "{ROOT}/proposals/{proposal_id}?done=unpinned"
    )))
}
