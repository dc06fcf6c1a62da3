//! The matching engine: proposes mentor–mentee pairs and groups for a
//! programme (pure: no HTTP, no SQL; only [`cli`] reads files).
//!
//! One concern per file: [`features`] encodes profiles, [`rules`] holds the
//! hard rules, [`score`] the soft criteria and the parallel scoring kernel,
//! [`engine`] the run (decomposition, scoring, solving), [`groups`] group
//! limits and cohesion, [`explain`] breakdowns and texts, [`unmatched`] the
//! reasons, [`outcome`] the result and its CSV export, [`synth`] a seeded
//! generator of realistic data, [`cli`] the command-line functions, and
//! [`assignment`] the optimal assignment solver, [`stable`] stable
//! assignments and blocking pairs; `union_find` is the one
//! disjoint-set forest both the engine and the solver use.

pub mod assignment;
pub mod engine;
pub mod explain;
pub mod features;
pub mod groups;
pub mod outcome;
pub mod rules;
pub mod score;
pub mod stable;
pub mod synth;
pub(crate) mod union_find;
pub mod unmatched;

pub use assignment::Objective;
pub use engine::{MatchError, PairRef, RunInput, run};
pub use explain::Lang;
pub use outcome::{Outcome, Proposal, Stats, write_scores_csv};
pub use score::SCORE_SCALE;
