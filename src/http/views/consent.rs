//! What a withdrawal of consent did.

use crate::store::Erasure;
use serde::Serialize;
use utoipa::ToSchema;

/// The person is erased: what went with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErasureView {
    /// Always `true`: nothing of the person is kept.
    pub erased: bool,
    /// Pending proposals the person was in, withdrawn.
    pub proposals_withdrawn: usize,
    /// Active pairs ended with `consent_withdrawn`.
    pub pairs_ended: usize,
    /// Stored runs rewritten to drop the person's id.
    pub runs_rewritten: usize,
}

impl From<Erasure> for ErasureView {
    fn from(e: Erasure) -> Self {
        Self {
            erased: true,
            proposals_withdrawn: e.proposals_withdrawn,
            pairs_ended: e.pairs_ended,
            runs_rewritten: e.runs_rewritten,
        }
    }
}
