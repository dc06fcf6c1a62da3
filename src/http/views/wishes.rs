//! Pins and wishes of a programme.

use crate::service::wishes::{MAX_WISHES, Wishes};
use crate::store::PinRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Pin a pair: every later run of the programme keeps it as given and
/// reports it as pinned. `DELETE` with the same body unpins it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PinRequest {
    /// The mentor.
    #[schema(min_length = 1, max_length = 200)]
    pub mentor_id: String,
    /// The mentee (pinned to one mentor per programme).
    #[schema(min_length = 1, max_length = 200)]
    pub mentee_id: String,
}

/// A pinned pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PinView {
    /// The programme.
    pub programme_id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentee.
    pub mentee_id: String,
    /// Key id of who pinned it.
    pub created_by: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&PinRecord> for PinView {
    fn from(pin: &PinRecord) -> Self {
        Self {
            programme_id: pin.programme_id.clone(),
            mentor_id: pin.mentor_id.clone(),
            mentee_id: pin.mentee_id.clone(),
            created_by: pin.created_by.clone(),
            created_at: pin.created_at.clone(),
        }
    }
}

/// The pins of a programme, of the mentees in your scope, by mentee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PinList {
    /// The pins.
    pub items: Vec<PinView>,
}

/// One person's wishes: ids of the other side, most wanted first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(max_items = 10)]
pub struct RankedIds(pub Vec<String>);

/// Wishes said at the joint meeting: for each person, whom they would
/// prefer, most wanted first (at most 10). `PUT` replaces the wishes of
/// the people it names (an empty list clears them) and leaves the others;
/// `GET` gives those of the people in your scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Preferences {
    /// Mentee id → mentor ids.
    #[serde(default)]
    pub mentees: BTreeMap<String, RankedIds>,
    /// Mentor id → mentee ids.
    #[serde(default)]
    pub mentors: BTreeMap<String, RankedIds>,
}

impl From<Wishes> for Preferences {
    fn from(wishes: Wishes) -> Self {
        let side = |map: BTreeMap<String, Vec<String>>| {
            map.into_iter()
                .map(|(id, list)| (id, RankedIds(list)))
                .collect()
        };
        debug_assert!(wishes.mentees.values().all(|l| l.len() <= MAX_WISHES));
        Self {
            mentees: side(wishes.mentees),
            mentors: side(wishes.mentors),
        }
    }
}
