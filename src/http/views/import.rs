//! The JSON body of a bulk load.

use crate::domain::{MenteeProfile, MentorProfile, Organization, Programme};
use serde::Deserialize;
use utoipa::ToSchema;

/// A batch: each section optional, each row as the single-resource `PUT`
/// takes it (the row's `id` inside).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ImportRequest {
    /// Organisations, parents before or after their children.
    pub organizations: Option<Vec<Organization>>,
    /// Mentor profiles.
    pub mentors: Option<Vec<MentorProfile>>,
    /// Mentee profiles.
    pub mentees: Option<Vec<MenteeProfile>>,
    /// Programmes.
    pub programmes: Option<Vec<Programme>>,
}
