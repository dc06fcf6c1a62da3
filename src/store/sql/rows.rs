//! Rows as the tables hold them, decoded by column name, and their
//! conversion into the store's records. Both backends bind and return
//! text and 64-bit integers only, so flags are integers here and lists
//! are `|`-joined text.

use crate::store::{
    EventRecord, FeedbackRecord, KeyRecord, OrganizationNode, PairRecord, ProposalRecord,
    RunRecord, Stored, WeightVersion,
};
use sqlx::FromRow;

/// A row of `api_keys`.
#[derive(FromRow)]
pub(super) struct KeyRow {
    id: String,
    role: String,
    organization_id: Option<String>,
    label: Option<String>,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

impl From<KeyRow> for KeyRecord {
    fn from(r: KeyRow) -> Self {
        Self {
            id: r.id,
            role: r.role,
            organization_id: r.organization_id,
            label: r.label,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A key with the path of its organisation (`None` for unscoped keys).
#[derive(FromRow)]
pub(super) struct KeyWithPathRow {
    #[sqlx(flatten)]
    pub(super) key: KeyRow,
    pub(super) path: Option<String>,
}

/// A stored JSON document: `id, doc, etag`.
#[derive(FromRow)]
pub(super) struct StoredRow {
    id: String,
    doc: String,
    etag: String,
}

impl From<StoredRow> for Stored {
    fn from(r: StoredRow) -> Self {
        Self {
            id: r.id,
            doc: r.doc,
            etag: r.etag,
        }
    }
}

/// An organisation's place in the tree.
#[derive(FromRow)]
pub(super) struct NodeRow {
    id: String,
    parent_id: Option<String>,
    path: String,
    kind: String,
    etag: String,
}

impl From<NodeRow> for OrganizationNode {
    fn from(r: NodeRow) -> Self {
        Self {
            id: r.id,
            parent_id: r.parent_id,
            path: r.path,
            kind: r.kind,
            etag: r.etag,
        }
    }
}

/// A row of `runs` (without the score matrix, read on its own).
#[derive(FromRow)]
pub(super) struct RunRow {
    id: String,
    programme_id: String,
    organization_id: String,
    status: String,
    progress: i64,
    options: String,
    dry_run: i64,
    created_by: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    error: Option<String>,
    result: Option<String>,
    inputs_of: Option<String>,
    pub(super) result_packed: Option<Vec<u8>>,
}

impl From<RunRow> for RunRecord {
    fn from(r: RunRow) -> Self {
        Self {
            id: r.id,
            programme_id: r.programme_id,
            organization_id: r.organization_id,
            status: r.status,
            progress: r.progress,
            options: r.options,
            dry_run: r.dry_run != 0,
            created_by: r.created_by,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            error: r.error,
            result: r.result,
            inputs_of: r.inputs_of,
        }
    }
}

/// A row of `proposals`; `mentee_ids` is `|a|b|`.
#[derive(FromRow)]
pub(super) struct ProposalRow {
    id: String,
    run_id: String,
    programme_id: String,
    mentor_id: String,
    mentee_ids: String,
    status: String,
    doc: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    reason: Option<String>,
    pub(super) packed: Option<Vec<u8>>,
}

impl From<ProposalRow> for ProposalRecord {
    fn from(r: ProposalRow) -> Self {
        Self {
            id: r.id,
            run_id: r.run_id,
            programme_id: r.programme_id,
            mentor_id: r.mentor_id,
            mentee_ids: r
                .mentee_ids
                .split('|')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            status: r.status,
            doc: r.doc,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            reason: r.reason,
        }
    }
}

/// A row of `pairs`.
#[derive(FromRow)]
pub(super) struct PairRow {
    id: String,
    programme_id: String,
    group_id: String,
    proposal_id: Option<String>,
    mentor_id: String,
    mentee_id: String,
    organization_id: String,
    status: String,
    started_on: String,
    ended_on: Option<String>,
    end_reason: Option<String>,
    end_note: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
    order_number: Option<String>,
    order_date: Option<String>,
}

impl From<PairRow> for PairRecord {
    fn from(r: PairRow) -> Self {
        Self {
            id: r.id,
            programme_id: r.programme_id,
            group_id: r.group_id,
            proposal_id: r.proposal_id,
            mentor_id: r.mentor_id,
            mentee_id: r.mentee_id,
            organization_id: r.organization_id,
            status: r.status,
            started_on: r.started_on,
            ended_on: r.ended_on,
            end_reason: r.end_reason,
            end_note: r.end_note,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            order_number: r.order_number,
            order_date: r.order_date,
        }
    }
}

/// A pair with its programme's form (`kind` of the programme).
#[derive(FromRow)]
pub(super) struct PairWithFormRow {
    #[sqlx(flatten)]
    pub(super) pair: PairRow,
    pub(super) kind: String,
}

/// A row of `feedback`.
#[derive(FromRow)]
pub(super) struct FeedbackRow {
    id: String,
    pair_id: String,
    programme_id: String,
    stage: String,
    respondent: String,
    answers: String,
    comment: Option<String>,
    created_by: String,
    created_at: String,
}

impl From<FeedbackRow> for FeedbackRecord {
    fn from(r: FeedbackRow) -> Self {
        Self {
            id: r.id,
            pair_id: r.pair_id,
            programme_id: r.programme_id,
            stage: r.stage,
            respondent: r.respondent,
            answers: r.answers,
            comment: r.comment,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A row of `weight_versions`.
#[derive(FromRow)]
pub(super) struct WeightRow {
    version: i64,
    weights: String,
    changed_by: String,
    changed_at: String,
    reason: Option<String>,
}

impl From<WeightRow> for WeightVersion {
    fn from(r: WeightRow) -> Self {
        Self {
            version: r.version,
            weights: r.weights,
            changed_by: r.changed_by,
            changed_at: r.changed_at,
            reason: r.reason,
        }
    }
}

/// A row of `events`, with its id (the cursor of the next page).
#[derive(FromRow)]
pub(super) struct EventRow {
    pub(super) id: String,
    at: String,
    key_id: String,
    role: String,
    action: String,
    subject: String,
    detail: String,
    origin: Option<String>,
}

impl From<EventRow> for EventRecord {
    fn from(r: EventRow) -> Self {
        Self {
            at: r.at,
            key_id: r.key_id,
            role: r.role,
            action: r.action,
            subject: r.subject,
            detail: r.detail,
            origin: r.origin,
        }
    }
}

/// An organisation's node with its document.
#[derive(FromRow)]
pub(super) struct NodeWithDocRow {
    #[sqlx(flatten)]
    pub(super) node: NodeRow,
    pub(super) doc: String,
}

/// A stored document with the path of its organisation.
#[derive(FromRow)]
pub(super) struct StoredWithPathRow {
    #[sqlx(flatten)]
    pub(super) stored: StoredRow,
    pub(super) path: String,
}

/// A page session as stored.
#[derive(FromRow)]
pub(super) struct SessionRow {
    session_hash: String,
    session_key_id: String,
    csrf: String,
    session_created_at: String,
    last_seen_at: String,
    session_expires_at: String,
}

impl From<SessionRow> for crate::store::SessionRecord {
    fn from(r: SessionRow) -> Self {
        Self {
            hash: r.session_hash,
            key_id: r.session_key_id,
            csrf: r.csrf,
            created_at: r.session_created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.session_expires_at,
        }
    }
}

/// A session with its key and the path of the key's organisation.
#[derive(FromRow)]
pub(super) struct SessionWithKeyRow {
    #[sqlx(flatten)]
    pub(super) session: SessionRow,
    #[sqlx(flatten)]
    pub(super) key: KeyRow,
    pub(super) path: Option<String>,
}
