//! What a programme knows before a run besides the banks: the pairs a
//! curator pinned, and the wishes participants said at the joint meeting
//! (whom they would prefer, most wanted first).
//!
//! Both are checked against the programme exactly as a run would check a
//! pair: only people of the programme's pool, and never a pair a hard rule
//! forbids. Wishes are personal data of the person who said them: read and
//! written within the caller's scope, audited, erased with the person.

use crate::domain::{FieldError, FieldReader, Id, MenteeProfile, MentorProfile};
use crate::matching::engine::{PairProblem, check_pair};
use crate::matching::explain::Lang;
use crate::matching::unmatched::rule_words;
use crate::service::pairs::PairError;
use crate::service::runs::{self, Inputs};
use crate::store::{Actor, PinRecord, Scope, Store, Table, WishList, WishSide, sql_now};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Most wishes one person may say in a programme.
pub const MAX_WISHES: usize = 10;
/// Most people one request may set the wishes of.
pub const MAX_WISH_LISTS: usize = 5000;

/// The programme's pool as a run sees it, with people found by id.
struct Pool {
    inputs: Inputs,
    mentor_at: HashMap<String, usize>,
    mentee_at: HashMap<String, usize>,
}

impl Pool {
    async fn load(store: &dyn Store, programme_id: &str) -> Result<Self, PairError> {
        let inputs = Inputs::load(&store.matching_data(programme_id).await?, programme_id)
            .map_err(PairError::Internal)?;
        let mentor_at = index(inputs.mentors.iter().map(|m| m.person.id.as_str()));
        let mentee_at = index(inputs.mentees.iter().map(|e| e.person.id.as_str()));
        Ok(Self {
            inputs,
            mentor_at,
            mentee_at,
        })
    }

    fn mentor(&self, id: &str) -> Option<&MentorProfile> {
        self.mentor_at.get(id).map(|&i| &self.inputs.mentors[i])
    }

    fn mentee(&self, id: &str) -> Option<&MenteeProfile> {
        self.mentee_at.get(id).map(|&i| &self.inputs.mentees[i])
    }

    /// Why the programme would never pair them, in words naming the pair
    /// and the rule; `None` if a run may.
    fn forbids(&self, mentor: &MentorProfile, mentee: &MenteeProfile) -> Option<String> {
        let pair = format!("the pair {} – {}", mentor.person.id, mentee.person.id);
        match check_pair(
            &self.inputs.programme,
            &self.inputs.organizations,
            mentor,
            mentee,
            false,
        ) {
            Ok(()) => None,
            Err(PairProblem::Mentee(reason)) => Some(format!(
                "{pair} is not possible: {}: {}",
                serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                reason.render(Lang::En)
            )),
            Err(PairProblem::Rule(rule)) => Some(format!(
                "{pair} breaks the rule {}: the mentor {}",
                rule.code(),
                rule_words(rule, Lang::En)
            )),
        }
    }
}

fn index<'a>(ids: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut at = HashMap::new();
    for (i, id) in ids.enumerate() {
        at.entry(id.to_owned()).or_insert(i);
    }
    at
}

/// Which of `ids` (people of one bank) are inside `scope`.
async fn in_scope(
    store: &dyn Store,
    scope: &Scope,
    table: Table,
    ids: &[String],
) -> Result<HashSet<String>, PairError> {
    if *scope == Scope::All {
        return Ok(ids.iter().cloned().collect());
    }
    Ok(store
        .existing_rows(table, ids)
        .await?
        .into_iter()
        .filter(|(_, row)| scope.covers(&row.path))
        .map(|(id, _)| id)
        .collect())
}

/// The pins of a programme the caller sees, of the mentees in its scope.
pub async fn pins(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Vec<PinRecord>, PairError> {
    runs::programme_in_scope(store, scope, programme_id).await?;
    let all = store.pins(programme_id).await?;
    let ids: Vec<String> = all.iter().map(|p| p.mentee_id.clone()).collect();
    let own = in_scope(store, scope, Table::Mentees, &ids).await?;
    Ok(all
        .into_iter()
        .filter(|p| own.contains(&p.mentee_id))
        .collect())
}

/// A pin request: `{mentor_id, mentee_id}`.
fn parse_pair(body: &Value) -> Result<(Id, Id), Vec<FieldError>> {
    let mut r = FieldReader::object(body, "")?;
    let mentor = r.id("mentor_id");
    let mentee = r.id("mentee_id");
    let errors = r.finish();
    match (mentor, mentee) {
        (Some(mentor), Some(mentee)) if errors.is_empty() => Ok((mentor, mentee)),
        _ => Err(errors),
    }
}

/// Pins a pair in a programme the caller sees: both people in the
/// caller's scope and the programme's pool, no hard rule against them, a
/// place left with the mentor. The pin and whether it is new.
pub async fn pin(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    body: &Value,
    actor: &Actor,
) -> Result<(PinRecord, bool), PairError> {
    let programme = runs::programme_in_scope(store, scope, programme_id).await?;
    let (mentor_id, mentee_id) = parse_pair(body).map_err(PairError::Invalid)?;
    let pool = Pool::load(store, programme_id).await?;
    let mut errors = Vec::new();
    let mentor = match pool.mentor(mentor_id.as_str()) {
        Some(m)
            if !in_scope(store, scope, Table::Mentors, &[mentor_id.to_string()])
                .await?
                .is_empty() =>
        {
            Some(m)
        }
        _ => {
            errors.push(FieldError::new(
                "mentor_id",
                "is not a mentor of this programme in your scope",
            ));
            None
        }
    };
    let mentee = match pool.mentee(mentee_id.as_str()) {
        Some(e)
            if !in_scope(store, scope, Table::Mentees, &[mentee_id.to_string()])
                .await?
                .is_empty() =>
        {
            Some(e)
        }
        _ => {
            errors.push(FieldError::new(
                "mentee_id",
                "is not a mentee of this programme in your scope",
            ));
            None
        }
    };
    let (Some(mentor), Some(mentee)) = (mentor, mentee) else {
        return Err(PairError::Invalid(errors));
    };
    if let Some(why) = pool.forbids(mentor, mentee) {
        return Err(PairError::Invalid(vec![FieldError::new("mentee_id", why)]));
    }
    let record = PinRecord {
        programme_id: programme.id.to_string(),
        mentor_id: mentor_id.to_string(),
        mentee_id: mentee_id.to_string(),
        created_by: actor.key_id.clone(),
        created_at: sql_now(),
    };
    // The pool's capacity already has the places of other programmes
    // taken off; the store counts this programme's pairs and pins.
    let created = store.add_pin(&record, mentor.capacity, actor).await?;
    if created {
        return Ok((record, true));
    }
    let existing = store
        .pins(programme_id)
        .await?
        .into_iter()
        .find(|p| p.mentee_id == record.mentee_id)
        .unwrap_or(record);
    Ok((existing, false))
}

/// Unpins a mentee of a programme the caller sees (only from `mentor_id`
/// when given). Not found if there was no such pin in the caller's scope.
pub async fn unpin(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    mentee_id: &Id,
    mentor_id: Option<&Id>,
    actor: &Actor,
) -> Result<PinRecord, PairError> {
    runs::programme_in_scope(store, scope, programme_id).await?;
    if in_scope(store, scope, Table::Mentees, &[mentee_id.to_string()])
        .await?
        .is_empty()
    {
        return Err(PairError::NotFound);
    }
    store
        .remove_pin(
            programme_id,
            mentee_id.as_str(),
            mentor_id.map(Id::as_str),
            actor,
        )
        .await?
        .ok_or(PairError::NotFound)
}

/// Reads the body of `DELETE …/pins`: `{mentor_id, mentee_id}`.
pub fn parse_unpin(body: &Value) -> Result<(Id, Id), Vec<FieldError>> {
    parse_pair(body)
}

/// Wishes of both sides, by person id, most wanted first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wishes {
    /// Mentee id → mentor ids.
    pub mentees: BTreeMap<String, Vec<String>>,
    /// Mentor id → mentee ids.
    pub mentors: BTreeMap<String, Vec<String>>,
}

impl Wishes {
    fn side(&self, side: WishSide) -> &BTreeMap<String, Vec<String>> {
        match side {
            WishSide::Mentee => &self.mentees,
            WishSide::Mentor => &self.mentors,
        }
    }

    fn side_mut(&mut self, side: WishSide) -> &mut BTreeMap<String, Vec<String>> {
        match side {
            WishSide::Mentee => &mut self.mentees,
            WishSide::Mentor => &mut self.mentors,
        }
    }

    fn from_lists(lists: Vec<WishList>) -> Self {
        let mut wishes = Self::default();
        for list in lists {
            wishes
                .side_mut(list.side)
                .insert(list.person_id, list.targets);
        }
        wishes
    }

    fn into_lists(self) -> Vec<WishList> {
        let mut lists = Vec::new();
        for (side, map) in [
            (WishSide::Mentee, self.mentees),
            (WishSide::Mentor, self.mentors),
        ] {
            for (person_id, targets) in map {
                lists.push(WishList {
                    side,
                    person_id,
                    targets,
                });
            }
        }
        lists
    }

    /// Reads `{mentees?: {id: [ids]}, mentors?: {id: [ids]}}`: every bad
    /// field named (`mentees.<id>[k]`), at most [`MAX_WISHES`] a person,
    /// each named once, nobody naming themself.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let Some(object) = body.as_object() else {
            return Err(vec![FieldError::new("$", "must be a JSON object")]);
        };
        let mut errors = Vec::new();
        for key in object.keys() {
            if key != "mentees" && key != "mentors" {
                errors.push(FieldError::new(key.clone(), "is not a known field"));
            }
        }
        let mut wishes = Self::default();
        let mut people = 0usize;
        for (field, side) in [("mentees", WishSide::Mentee), ("mentors", WishSide::Mentor)] {
            let map = match object.get(field) {
                None | Some(Value::Null) => continue,
                Some(Value::Object(map)) => map,
                Some(_) => {
                    errors.push(FieldError::new(
                        field,
                        "must be an object of person ids to lists of ids",
                    ));
                    continue;
                }
            };
            people += map.len();
            if people > MAX_WISH_LISTS {
                errors.push(FieldError::new(
                    field,
                    format!("may set the wishes of at most {MAX_WISH_LISTS} people at once"),
                ));
                break;
            }
            for (person, list) in map {
                let at = format!("{field}.{person}");
                if let Err(message) = Id::parse(person) {
                    errors.push(FieldError::new(at.clone(), message));
                    continue;
                }
                let Some(items) = list.as_array() else {
                    errors.push(FieldError::new(at, "must be a list of ids"));
                    continue;
                };
                if items.len() > MAX_WISHES {
                    errors.push(FieldError::new(
                        at,
                        format!("may name at most {MAX_WISHES} people"),
                    ));
                    continue;
                }
                let mut seen = BTreeSet::new();
                let mut targets = Vec::new();
                for (k, item) in items.iter().enumerate() {
                    let here = format!("{at}[{k}]");
                    let Some(text) = item.as_str() else {
                        errors.push(FieldError::new(here, "must be a string"));
                        continue;
                    };
                    match Id::parse(text) {
                        Err(message) => errors.push(FieldError::new(here, message)),
                        Ok(id) if !seen.insert(id.to_string()) => {
                            errors.push(FieldError::new(here, "names someone already named"));
                        }
                        Ok(id) => targets.push(id.to_string()),
                    }
                }
                wishes.side_mut(side).insert(person.clone(), targets);
            }
        }
        if errors.is_empty() {
            Ok(wishes)
        } else {
            Err(errors)
        }
    }
}

/// The wishes of a programme the caller sees, of the people in its scope.
pub async fn preferences(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Wishes, PairError> {
    runs::programme_in_scope(store, scope, programme_id).await?;
    let mut wishes = Wishes::from_lists(store.wishes(programme_id).await?);
    for side in [WishSide::Mentee, WishSide::Mentor] {
        let ids: Vec<String> = wishes.side(side).keys().cloned().collect();
        let own = in_scope(store, scope, side.table(), &ids).await?;
        wishes.side_mut(side).retain(|id, _| own.contains(id));
    }
    Ok(wishes)
}

/// Replaces the wishes of everyone the body names (an empty list clears
/// them) in a programme the caller sees, and gives the programme's wishes
/// in the caller's scope. Everyone named must be of the programme's pool,
/// the people who wish inside the caller's scope, and no wish may name a
/// pair a hard rule forbids: all problems at once, named by field.
pub async fn put_preferences(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    body: &Value,
    actor: &Actor,
) -> Result<Wishes, PairError> {
    runs::programme_in_scope(store, scope, programme_id).await?;
    let wishes = Wishes::parse(body).map_err(PairError::Invalid)?;
    replace_preferences(store, scope, programme_id, wishes, actor).await
}

/// [`put_preferences`] for wishes already read (from a spreadsheet, say):
/// the checks of [`check_preferences`], all or nothing. Fields are named
/// `mentees.<id>[k]` / `mentors.<id>[k]`.
pub async fn replace_preferences(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    wishes: Wishes,
    actor: &Actor,
) -> Result<Wishes, PairError> {
    check_preferences(store, scope, programme_id, &wishes).await?;
    store
        .replace_wishes(programme_id, &wishes.into_lists(), actor)
        .await?;
    preferences(store, scope, programme_id).await
}

/// Whether [`replace_preferences`] would accept `wishes`, writing
/// nothing: the programme in the caller's scope, everyone who wishes in
/// its pool and the caller's scope, everyone named in its pool, and no
/// wish for a pair a hard rule forbids. Every problem at once, named
/// `mentees.<id>` (the person) or `mentees.<id>[k]` (their k-th wish, from
/// 0); likewise `mentors.…`. An import checks every programme of a file
/// with it before writing any.
pub async fn check_preferences(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    wishes: &Wishes,
) -> Result<(), PairError> {
    runs::programme_in_scope(store, scope, programme_id).await?;
    let pool = Pool::load(store, programme_id).await?;
    let mut errors = Vec::new();
    for (field, side) in [("mentees", WishSide::Mentee), ("mentors", WishSide::Mentor)] {
        let ids: Vec<String> = wishes.side(side).keys().cloned().collect();
        let own = in_scope(store, scope, side.table(), &ids).await?;
        for (person, targets) in wishes.side(side) {
            let at = format!("{field}.{person}");
            let known = match side {
                WishSide::Mentee => pool.mentee(person).is_some(),
                WishSide::Mentor => pool.mentor(person).is_some(),
            };
            if !known || !own.contains(person) {
                errors.push(FieldError::new(
                    at,
                    match side {
                        WishSide::Mentee => "is not a mentee of this programme in your scope",
                        WishSide::Mentor => "is not a mentor of this programme in your scope",
                    },
                ));
                continue;
            }
            for (k, target) in targets.iter().enumerate() {
                let here = format!("{at}[{k}]");
                let pair = match side {
                    WishSide::Mentee => pool.mentor(target).zip(pool.mentee(person)),
                    WishSide::Mentor => pool.mentor(person).zip(pool.mentee(target)),
                };
                let Some((mentor, mentee)) = pair else {
                    errors.push(FieldError::new(
                        here,
                        match side {
                            WishSide::Mentee => "is not a mentor of this programme",
                            WishSide::Mentor => "is not a mentee of this programme",
                        },
                    ));
                    continue;
                };
                if let Some(why) = pool.forbids(mentor, mentee) {
                    errors.push(FieldError::new(here, why));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PairError::Invalid(errors))
    }
}
