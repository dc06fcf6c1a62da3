//! Persistence behind small traits by aggregate ([`KeyStore`],
//! [`BankStore`], [`RunStore`], [`PairStore`], [`PrivacyStore`],
//! [`AnalysisStore`], [`AuditStore`], [`SessionStore`], [`OrderStore`], [`TargetStore`], [`WishStore`], and [`SchemaStore`] for the database
//! itself), gathered in [`Store`], with a SQLite and a PostgreSQL backend.
//!
//! Every call that reads or writes people takes the caller's [`Scope`]:
//! rows of organisations outside it are invisible, so a handler cannot
//! forget the check. Both backends share the SQL in [`sql`], a file per
//! aggregate; what differs (connection set-up, migrations, how a write
//! transaction starts, row locks) lives in [`sqlite`] and [`postgres`].

pub mod postgres;
mod sql;
pub mod sqlite;

use crate::domain::FieldError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;

pub use sql::{SqlStore, now_rfc3339 as sql_now, unpack as read_packed};

/// Which organisations a caller may see: all, or one and everything under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every organisation (admin keys without an organisation).
    All,
    /// The organisation with this materialised path and its descendants.
    Under {
        /// The organisation's id.
        organization_id: String,
        /// Its path, `/region/municipality/school/`.
        path: String,
    },
}

impl Scope {
    /// The path prefix rows must start with; empty for [`Scope::All`].
    pub fn prefix(&self) -> &str {
        match self {
            Scope::All => "",
            Scope::Under { path, .. } => path,
        }
    }

    /// Whether an organisation with `path` is visible.
    pub fn covers(&self, path: &str) -> bool {
        path.starts_with(self.prefix())
    }
}

/// A table of JSON documents: the two banks and the programmes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// The bank of mentors.
    Mentors,
    /// The bank of mentees.
    Mentees,
    /// Mentoring programmes.
    Programmes,
}

impl Table {
    /// The SQL table name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Mentors => "mentors",
            Table::Mentees => "mentees",
            Table::Programmes => "programmes",
        }
    }
}

/// One document to write: its id, the organisation that scopes it, the
/// filter columns and the JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Which table.
    pub table: Table,
    /// External id.
    pub id: String,
    /// The organisation the row belongs to (for scope checks).
    pub organization_id: String,
    /// Person kind, or a programme's form.
    pub kind: String,
    /// Searchable labels, `|a|b|`.
    pub labels: String,
    /// The validated document as JSON.
    pub doc: String,
}

impl Document {
    /// The entity tag of this document's content.
    pub fn etag(&self) -> String {
        content_etag(&self.doc)
    }
}

/// A strong entity tag for a stored JSON text: the first 128 bits of its
/// SHA-256, so that writing identical content keeps the tag.
pub fn content_etag(doc: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(doc.as_bytes());
    hex::encode(&digest[..16])
}

/// A stored row: the JSON document and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// External id.
    pub id: String,
    /// JSON text of the validated document.
    pub doc: String,
    /// Entity tag of `doc`.
    pub etag: String,
}

/// What a create-or-replace did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// A new row.
    Created,
    /// An existing row with new content.
    Updated,
    /// An existing row with the same content; nothing written.
    Unchanged,
}

/// A page request: `limit` rows after the id `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Most rows to return.
    pub limit: u32,
    /// Last id of the previous page.
    pub after: Option<String>,
}

/// A page of rows and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The rows, ordered by id.
    pub items: Vec<Stored>,
    /// Pass as `after` to get the next page; `None` on the last one.
    pub next: Option<String>,
}

/// Filters of a document list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only rows of this organisation and everything under it.
    pub organization_id: Option<String>,
    /// Only rows of this kind (person kind, programme form).
    pub kind: Option<String>,
    /// Only rows carrying this label.
    pub label: Option<String>,
}

/// Filters of the organisation list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationFilter {
    /// Only direct children of this organisation.
    pub parent_id: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// An organisation row to write, with its resolved place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    /// External id.
    pub id: String,
    /// Parent id.
    pub parent_id: Option<String>,
    /// Organisation kind.
    pub kind: String,
    /// JSON text of the validated organisation.
    pub doc: String,
}

/// An organisation's place in the tree, as needed for scope checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationNode {
    /// External id.
    pub id: String,
    /// Parent id.
    pub parent_id: Option<String>,
    /// Materialised path.
    pub path: String,
    /// Organisation kind.
    pub kind: String,
    /// Entity tag of the stored organisation.
    pub etag: String,
}

/// An existing row's entity tag and the path of its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRow {
    /// Entity tag of the stored document.
    pub etag: String,
    /// Path of the organisation the row belongs to.
    pub path: String,
}

/// An API key as stored (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Public key id (the part after the prefix).
    pub id: String,
    /// `admin`, `system`, `curator` or `analyst`.
    pub role: String,
    /// The organisation the key is scoped to; `None` = everything.
    pub organization_id: Option<String>,
    /// Free label.
    pub label: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if the key expires.
    pub expires_at: Option<String>,
    /// RFC 3339, if revoked.
    pub revoked_at: Option<String>,
}

/// A new key: its record and the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// What to store.
    pub record: KeyRecord,
    /// Hex SHA-256 of the whole secret key.
    pub hash: String,
}

/// A session of the pages as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Hex SHA-256 of the session token.
    pub hash: String,
    /// The key the session was opened with.
    pub key_id: String,
    /// The token every form of the session carries.
    pub csrf: String,
    /// RFC 3339 UTC, whole seconds.
    pub created_at: String,
    /// RFC 3339 UTC, whole seconds: the last request seen.
    pub last_seen_at: String,
    /// RFC 3339 UTC, whole seconds: the end, however active.
    pub expires_at: String,
}

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in the caller's scope.
    #[error("not found")]
    NotFound,
    /// `If-Match` no longer matches the stored entity tag.
    #[error("precondition failed: the stored entity tag is {current}")]
    PreconditionFailed {
        /// The tag now stored.
        current: String,
    },
    /// The write would break an invariant (e.g. deleting an organisation
    /// that still has people).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that refers to something that is not there.
    #[error("invalid reference")]
    Invalid(Vec<FieldError>),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database URL is not one we know.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// One write of a bulk import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportWrite {
    /// Create or replace an organisation.
    Organization(OrganizationRow),
    /// Create or replace a document.
    Document(Document),
}

/// The database itself: liveness and schema.
#[async_trait]
pub trait SchemaStore: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
}

/// API keys, stored as the SHA-256 of their secret.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new API key.
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()>;
    /// Finds a key by the hash of its secret, with the path of its
    /// organisation (`None` for unscoped keys).
    async fn find_key(&self, hash: &str) -> StoreResult<Option<(KeyRecord, Option<String>)>>;
    /// Every key, newest first.
    async fn list_keys(&self) -> StoreResult<Vec<KeyRecord>>;
    /// Revokes a key; false when there is no such key.
    async fn revoke_key(&self, id: &str, at: &str) -> StoreResult<bool>;
}

/// Organisations, the banks of people, programmes and bulk import.
#[async_trait]
pub trait BankStore: Send + Sync {
    /// Every organisation visible in `scope`, as tree nodes.
    async fn organization_nodes(&self, scope: &Scope) -> StoreResult<Vec<OrganizationNode>>;
    /// Creates or replaces an organisation. The parent must exist and be
    /// visible (or the organisation is a root and the scope is all).
    async fn put_organization(
        &self,
        scope: &Scope,
        row: &OrganizationRow,
        preconditions: &Preconditions,
    ) -> StoreResult<(WriteOutcome, String)>;
    /// One organisation.
    async fn get_organization(&self, scope: &Scope, id: &str) -> StoreResult<Option<Stored>>;
    /// A page of organisations.
    async fn list_organizations(
        &self,
        scope: &Scope,
        filter: &OrganizationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page>;
    /// Deletes an organisation that has no children, people or programmes.
    async fn delete_organization(
        &self,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> StoreResult<()>;
    /// Creates or replaces a document; its organisation must be visible.
    async fn put_document(
        &self,
        scope: &Scope,
        doc: &Document,
        preconditions: &Preconditions,
    ) -> StoreResult<(WriteOutcome, String)>;
    /// One document.
    async fn get_document(
        &self,
        scope: &Scope,
        table: Table,
        id: &str,
    ) -> StoreResult<Option<Stored>>;
    /// A page of documents.
    async fn list_documents(
        &self,
        scope: &Scope,
        table: Table,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> StoreResult<Page>;
    /// Deletes a document.
    async fn delete_document(
        &self,
        scope: &Scope,
        table: Table,
        id: &str,
        if_match: Option<&str>,
    ) -> StoreResult<()>;
    /// Entity tags and organisation paths of the rows of `table` with these
    /// ids, whatever the scope (the caller decides what to reveal).
    async fn existing_rows(
        &self,
        table: Table,
        ids: &[String],
    ) -> StoreResult<Vec<(String, ExistingRow)>>;
    /// The stored documents of `table` with these ids, whatever the scope
    /// (the caller decides what to reveal), in no particular order.
    async fn documents_by_ids(&self, table: Table, ids: &[String]) -> StoreResult<Vec<Stored>>;
    /// Programmes anchored strictly above the organisation at `path` (a
    /// municipal or regional programme seen from a school), ordered by id:
    /// the candidates for a scoped caller's share of wider programmes.
    async fn programmes_above(&self, path: &str) -> StoreResult<Vec<Stored>>;
    /// Applies validated writes in one transaction: all or nothing.
    async fn apply_import(&self, writes: &[ImportWrite]) -> StoreResult<()>;
}

/// Matching runs, their proposals and what a run reads.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Queues a run.
    async fn create_run(&self, run: &RunRecord, actor: &Actor) -> StoreResult<()>;
    /// Claims the oldest queued run, or a running one whose claimant has
    /// not sent a heartbeat since `stale_before`; no run is claimed twice.
    async fn claim_run(&self, instance: &str, stale_before: &str)
    -> StoreResult<Option<RunRecord>>;
    /// Records progress (thousandths) and a heartbeat; false when the run
    /// is no longer this instance's.
    async fn run_progress(&self, id: &str, instance: &str, progress: i64) -> StoreResult<bool>;
    /// Stores a finished run's results, its inputs (`None` when it was
    /// queued with the inputs of another run) and proposals.
    async fn finish_run(
        &self,
        id: &str,
        instance: &str,
        result: &str,
        inputs: Option<&str>,
        proposals: &[ProposalRecord],
    ) -> StoreResult<bool>;
    /// Marks a run failed.
    async fn fail_run(&self, id: &str, instance: &str, error: &str) -> StoreResult<()>;
    /// One run in the caller's scope.
    async fn get_run(&self, scope: &Scope, id: &str) -> StoreResult<Option<RunRecord>>;
    /// A page of the runs of a programme in the caller's scope, newest
    /// first, starting after the run `page.after`; with the id to pass as
    /// `after` for the next page, `None` on the last one.
    async fn list_runs(
        &self,
        scope: &Scope,
        programme_id: &str,
        page: &PageRequest,
    ) -> StoreResult<(Vec<RunRecord>, Option<String>)>;
    /// A run's score matrix CSV as stored by runs made before runs kept
    /// their inputs; `None` for the others.
    async fn run_scores(&self, scope: &Scope, id: &str) -> StoreResult<Option<String>>;
    /// The inputs a run read (JSON), once it has them: a run keeps them
    /// from its start when it solves another run's inputs, from its end
    /// otherwise.
    async fn run_inputs(&self, id: &str) -> StoreResult<Option<String>>;
    /// The profile documents with these entity tags, current or kept
    /// versions: tag → document. Tags of erased people are not found.
    async fn profile_docs(&self, etags: &[&str]) -> StoreResult<HashMap<String, String>>;
    /// Deletes a dry run and its proposals; `Conflict` for other runs and
    /// for a run not finished yet.
    async fn delete_run(&self, scope: &Scope, id: &str, actor: &Actor) -> StoreResult<()>;
    /// Retention: deletes the runs finished before `before` that are dry
    /// runs or superseded by a later finished run of their programme and
    /// that no pair, decided proposal or what-if run refers to; the latest
    /// finished run of each programme stays. Gives the ids deleted.
    async fn prune_runs(&self, before: &str) -> StoreResult<Vec<String>>;
    /// The ids of the stored runs that keep inputs, and whether any run is
    /// queued or running (its inputs are not stored yet).
    async fn runs_with_inputs(&self) -> StoreResult<(Vec<String>, bool)>;
    /// Drops the kept profile versions whose tags are not in `named`.
    /// Gives how many were dropped.
    async fn drop_profile_versions_except(
        &self,
        named: &std::collections::HashSet<String>,
    ) -> StoreResult<usize>;
    /// A run's proposals.
    async fn run_proposals(&self, run_id: &str) -> StoreResult<Vec<ProposalRecord>>;
    /// Everything a run of `programme_id` reads.
    async fn matching_data(&self, programme_id: &str) -> StoreResult<MatchingData>;
    /// One proposal in the caller's scope, with its run.
    async fn get_proposal(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<(ProposalRecord, RunRecord)>>;
}

/// Mentoring pairs: making them (from a proposal or by hand), rejecting proposals, listing and closing pairs.
#[async_trait]
pub trait PairStore: Send + Sync {
    /// Makes active pairs, re-checking inside one transaction that the
    /// mentor has places, the mentees are unpaired in the programme and
    /// have consent, and (for a proposal) that nobody's data changed since
    /// the run. `Conflict` says which check failed; nothing changes then.
    async fn make_pairs(
        &self,
        request: &PairRequest,
        actor: &Actor,
    ) -> StoreResult<Vec<PairRecord>>;
    /// Rejects a proposal: its pairs are never proposed again in the programme.
    async fn reject_proposal(
        &self,
        scope: &Scope,
        id: &str,
        reason: &str,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// A page of pairs in the caller's scope.
    async fn list_pairs(
        &self,
        scope: &Scope,
        filter: &PairFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<PairRecord>, Option<String>)>;
    /// One pair in the caller's scope.
    async fn get_pair(&self, scope: &Scope, id: &str) -> StoreResult<Option<PairRecord>>;
    /// Completes (`completed`) or ends early (`ended`, with a reason) an
    /// active pair. An early end excludes the pair from later runs.
    async fn close_pair(
        &self,
        scope: &Scope,
        id: &str,
        closing: &PairClosing,
        actor: &Actor,
    ) -> StoreResult<PairRecord>;
}

/// Erasure of people and the per-install secrets pseudonyms are made with.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Erases a person who withdrew consent (or whose profile is deleted),
    /// in one transaction: their pending proposals are withdrawn, their
    /// active pairs end with `consent_withdrawn`, both their profiles are
    /// deleted, and every stored mention of their id — the number stored
    /// runs name them by, score matrices, proposals, pairs, exclusions,
    /// the audit log — is replaced by `pseudonym`, so what the indicators
    /// count stays countable but points at no one. Stored runs name people
    /// by number, so the work does not grow with the number of runs.
    /// Then the backend scrubs freed space.
    async fn erase_person(
        &self,
        id: &str,
        pseudonym: &str,
        today: &str,
        why: &str,
        actor: &Actor,
    ) -> StoreResult<Erasure>;
    /// A per-install secret named `name`, made (from `fresh`) on first use;
    /// every instance sharing the database gets the same one.
    async fn secret(&self, name: &str, fresh: &str) -> StoreResult<String>;
}

/// Feedback questionnaires, weight versions and what the indicators count.
#[async_trait]
pub trait AnalysisStore: Send + Sync {
    /// Stores a feedback questionnaire.
    async fn add_feedback(&self, feedback: &FeedbackRecord, actor: &Actor) -> StoreResult<()>;
    /// Feedback of one pair, or of a whole programme, oldest first.
    async fn list_feedback(
        &self,
        pair_id: Option<&str>,
        programme_id: Option<&str>,
    ) -> StoreResult<Vec<FeedbackRecord>>;
    /// Records `weights` (JSON) as the programme's newest version when they
    /// differ from the last one; returns the current version number.
    async fn record_weights(
        &self,
        programme_id: &str,
        weights: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<i64>;
    /// Every version of a programme's weights, oldest first.
    async fn weight_history(&self, programme_id: &str) -> StoreResult<Vec<WeightVersion>>;
    /// Everything the indicators of an organisation's subtree count.
    async fn report_data(&self, organization_path: &str) -> StoreResult<ReportData>;
}

/// The audit log of accesses and changes.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an access or a change in the audit log.
    async fn record(
        &self,
        actor: &Actor,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()>;
    /// A page of the audit log, newest first, starting after the event
    /// `page.after`; with the id to pass as `after` for the next page,
    /// `None` on the last one.
    async fn list_events(
        &self,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<EventRecord>, Option<String>)>;
}

/// Sessions of the pages: a signed-in browser's token, stored as its
/// SHA-256, tied to the key it was opened with.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// The session whose token hashes to `hash`, with its key (revoked or
    /// not: the caller decides) and the path of the key's organisation
    /// (`None` for unscoped keys, or when the organisation is gone).
    async fn find_session(
        &self,
        hash: &str,
    ) -> StoreResult<Option<(SessionRecord, KeyRecord, Option<String>)>>;
    /// Records that the session was used at `at`.
    async fn touch_session(&self, hash: &str, at: &str) -> StoreResult<()>;
    /// Ends a session; false when there was none.
    async fn delete_session(&self, hash: &str) -> StoreResult<bool>;
    /// Deletes sessions idle since before `idle_before` or past their end
    /// at `now`; returns how many.
    async fn delete_expired_sessions(&self, idle_before: &str, now: &str) -> StoreResult<u64>;
}

/// An order that put approved pairs and groups of a programme into effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Service-given id.
    pub id: String,
    /// The programme.
    pub programme_id: String,
    /// The programme's organisation (for scope checks).
    pub organization_id: String,
    /// The order's number as the organisation writes it.
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Who signs it, when said.
    pub signed_by: Option<String>,
    /// Key id of who recorded it.
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    /// How many pairs it holds.
    pub pairs: i64,
}

/// A new order: what it says and which pairs it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The programme.
    pub programme_id: String,
    /// The programme's organisation.
    pub organization_id: String,
    /// The order's number.
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Who signs it.
    pub signed_by: Option<String>,
}

/// Orders and which pairs each holds.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Records an order holding every active pair of the programme whose
    /// mentee is in `scope` and that no order holds yet, in one write
    /// transaction, so that two orders never take the same pair. A number
    /// already used in the programme, or no pair to take, is a `Conflict`.
    async fn create_order(
        &self,
        scope: &Scope,
        order: &NewOrder,
        actor: &Actor,
    ) -> StoreResult<OrderRecord>;
    /// One order whose organisation is in `scope`.
    async fn get_order(&self, scope: &Scope, id: &str) -> StoreResult<Option<OrderRecord>>;
    /// The pairs an order holds, in id order.
    async fn order_pairs(&self, order_id: &str) -> StoreResult<Vec<PairRecord>>;
}

/// A planned value of an indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    /// The indicator's stable id.
    pub indicator: String,
    /// `YYYY-MM`, or `YYYY` for every month of the year.
    pub period: String,
    /// The planned per cent in tenths (355 = 35.5 %).
    pub tenths: i64,
}

/// Planned values of the indicators, per organisation.
#[async_trait]
pub trait TargetStore: Send + Sync {
    /// Replaces every target of an organisation in one transaction, audited.
    async fn replace_targets(
        &self,
        organization_id: &str,
        targets: &[TargetRecord],
        actor: &Actor,
    ) -> StoreResult<()>;
    /// The targets of an organisation, by indicator and period.
    async fn targets_of(&self, organization_id: &str) -> StoreResult<Vec<TargetRecord>>;
    /// The targets of every organisation under `path`: (organisation, target).
    async fn targets_under(&self, path: &str) -> StoreResult<Vec<(String, TargetRecord)>>;
}

/// A pair a curator pinned in a programme: every later run keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRecord {
    /// The programme.
    pub programme_id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentee (one pin per mentee and programme).
    pub mentee_id: String,
    /// The key that pinned it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// Which side of a programme said a wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WishSide {
    /// A mentee, naming mentors.
    Mentee,
    /// A mentor, naming mentees.
    Mentor,
}

impl WishSide {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            WishSide::Mentee => "mentee",
            WishSide::Mentor => "mentor",
        }
    }

    /// The bank the person who said it is in.
    pub fn table(self) -> Table {
        match self {
            WishSide::Mentee => Table::Mentees,
            WishSide::Mentor => Table::Mentors,
        }
    }
}

/// One person's wishes in a programme: whom they would prefer, most
/// wanted first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WishList {
    /// Who said them.
    pub side: WishSide,
    /// Their id.
    pub person_id: String,
    /// The people of the other side they named, most wanted first (empty
    /// clears their wishes).
    pub targets: Vec<String>,
}

/// Pins and wishes of programmes.
#[async_trait]
pub trait WishStore: Send + Sync {
    /// Pins a pair in one transaction, audited. A conflict if the mentee
    /// is pinned to another mentor or already in an active pair of the
    /// programme, or if the mentor's active pairs and pins already fill
    /// `capacity`. `false` when this very pin was there already.
    async fn add_pin(&self, pin: &PinRecord, capacity: u32, actor: &Actor) -> StoreResult<bool>;
    /// Removes the pin of a mentee (of this mentor, when given), audited;
    /// the removed pin, if there was one.
    async fn remove_pin(
        &self,
        programme_id: &str,
        mentee_id: &str,
        mentor_id: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<Option<PinRecord>>;
    /// The pins of a programme, by mentee.
    async fn pins(&self, programme_id: &str) -> StoreResult<Vec<PinRecord>>;
    /// Replaces the wishes of every person named, in one transaction,
    /// audited (who, not what: the wishes stay in their table).
    async fn replace_wishes(
        &self,
        programme_id: &str,
        lists: &[WishList],
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Every wish list of a programme, by side and person.
    async fn wishes(&self, programme_id: &str) -> StoreResult<Vec<WishList>>;
}

/// The persistence interface of the service: every aggregate's store.
/// Implemented for anything that implements them all, so an
/// `Arc<dyn Store>` reaches every method (a trait object's supertrait
/// methods need no import).
pub trait Store:
    SchemaStore
    + KeyStore
    + BankStore
    + RunStore
    + PairStore
    + PrivacyStore
    + AnalysisStore
    + AuditStore
    + SessionStore
    + OrderStore
    + TargetStore
    + WishStore
{
}

impl<T> Store for T where
    T: SchemaStore
        + KeyStore
        + BankStore
        + RunStore
        + PairStore
        + PrivacyStore
        + AnalysisStore
        + AuditStore
        + SessionStore
        + OrderStore
        + TargetStore
        + WishStore
        + ?Sized
{
}

/// Opens the store named by `url` (`sqlite:…` or `postgres://…`),
/// creating a SQLite file and its folder when missing, and migrates it.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(sqlite::open(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(postgres::open(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    };
    store.migrate().await?;
    Ok(store)
}

/// Checks an `If-Match` value against the stored tag: `*` matches any
/// existing row; otherwise one of the comma-separated strong tags must.
pub fn if_match_holds(if_match: &str, current: &str) -> bool {
    if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_matches('"') == current)
}

/// Checks an `If-None-Match` value against the stored tag, if any: `*`
/// fails for an existing row; otherwise it fails when one of the listed
/// tags equals the stored one (weak comparison, so `W/"x"` equals `"x"`).
pub fn if_none_match_holds(if_none_match: &str, current: Option<&str>) -> bool {
    let Some(current) = current else {
        return true;
    };
    !if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current)
}

/// The conditions of a write (`If-Match`, `If-None-Match`), checked
/// against the stored row inside the write's transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// Tags one of which the stored row must carry (`*`: any row).
    pub if_match: Option<String>,
    /// Tags the stored row must not carry (`*`: the row must not exist).
    pub if_none_match: Option<String>,
}

impl Preconditions {
    /// No condition: the write goes ahead whatever is stored.
    pub fn none() -> Self {
        Self::default()
    }

    /// The row must still be the one read: its tag `etag`, or absent when
    /// `None` was read.
    pub fn pinned(etag: Option<&str>) -> Self {
        match etag {
            Some(tag) => Self {
                if_match: Some(tag.to_owned()),
                if_none_match: None,
            },
            None => Self {
                if_match: None,
                if_none_match: Some("*".to_owned()),
            },
        }
    }

    /// Whether the conditions hold for a row whose tag is `current` (`None`:
    /// no row), `If-Match` first as RFC 9110 orders them.
    pub fn hold(&self, current: Option<&str>) -> bool {
        let matched = match (&self.if_match, current) {
            (None, _) => true,
            (Some(tag), Some(current)) => if_match_holds(tag, current),
            (Some(_), None) => false,
        };
        matched
            && self
                .if_none_match
                .as_deref()
                .is_none_or(|tags| if_none_match_holds(tags, current))
    }

    /// [`Preconditions::hold`] as a store result.
    pub fn check(&self, current: Option<&str>) -> StoreResult<()> {
        if self.hold(current) {
            Ok(())
        } else {
            Err(StoreError::PreconditionFailed {
                current: current.unwrap_or_default().to_owned(),
            })
        }
    }
}

/// Who makes a change: the key's id and role, recorded with every event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Key id.
    pub key_id: String,
    /// Key role.
    pub role: String,
    /// Where the request came from (the peer address), when known.
    pub origin: Option<String>,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Service-given id.
    pub id: String,
    /// The programme.
    pub programme_id: String,
    /// The programme's anchor organisation (for scope checks).
    pub organization_id: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Progress in thousandths.
    pub progress: i64,
    /// The options the run was started with (JSON). Kept as text: its
    /// typed form (`RunOptions`) belongs to the run service, and the store
    /// does not depend on services; parse it there, once per read.
    pub options: String,
    /// Whether its proposals can be approved.
    pub dry_run: bool,
    /// Key id of who started it.
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub started_at: Option<String>,
    /// RFC 3339.
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// The finished run's snapshot (JSON), text for the reason given at
    /// [`RunRecord::options`]. People are named by id here; the stored
    /// text names them by number (see the store's `person_refs`).
    pub result: Option<String>,
    /// For a what-if run: the run whose stored inputs it solves again.
    pub inputs_of: Option<String>,
}

/// A proposal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRecord {
    /// Service-given id.
    pub id: String,
    /// The run.
    pub run_id: String,
    /// The programme.
    pub programme_id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentee(s).
    pub mentee_ids: Vec<String>,
    /// `proposed`, `approved` or `rejected`.
    pub status: String,
    /// Score, breakdown and the snapshot of the people's entity tags (JSON),
    /// text for the reason given at [`RunRecord::options`].
    pub doc: String,
    /// Key id of who decided.
    pub decided_by: Option<String>,
    /// RFC 3339.
    pub decided_at: Option<String>,
    /// The rejection reason.
    pub reason: Option<String>,
}

/// A mentoring pair as stored (a group is several pairs with one group id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRecord {
    /// Service-given id.
    pub id: String,
    /// The programme.
    pub programme_id: String,
    /// Shared by the pairs of one group.
    pub group_id: String,
    /// The proposal it came from; `None` for a pair made by hand.
    pub proposal_id: Option<String>,
    /// The mentor.
    pub mentor_id: String,
    /// The mentee.
    pub mentee_id: String,
    /// The mentee's organisation.
    pub organization_id: String,
    /// `active`, `completed` or `ended`.
    pub status: String,
    /// `YYYY-MM-DD`.
    pub started_on: String,
    /// `YYYY-MM-DD`.
    pub ended_on: Option<String>,
    /// Why it ended early.
    pub end_reason: Option<String>,
    /// Free text for `other`.
    pub end_note: Option<String>,
    /// Key id of who made it.
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The number of the order that put the pair into effect, once there is one.
    pub order_number: Option<String>,
    /// That order's date, `YYYY-MM-DD`.
    pub order_date: Option<String>,
}

/// Everything a run reads, as stored documents.
#[derive(Debug, Clone, Default)]
pub struct MatchingData {
    /// The programme document.
    pub programme: Option<Stored>,
    /// Every organisation document.
    pub organizations: Vec<String>,
    /// Mentors under the programme's anchor organisation.
    pub mentors: Vec<Stored>,
    /// Mentees under the programme's anchor organisation.
    pub mentees: Vec<Stored>,
    /// Active pairs of every programme: (programme, mentor, mentee).
    pub active_pairs: Vec<(String, String, String)>,
    /// Pairs never to propose again in this programme: (mentor, mentee).
    pub exclusions: Vec<(String, String)>,
    /// Mentees whose pair in this programme was completed: done here.
    pub completed_mentees: Vec<String>,
    /// Mentees whose pair (in any programme) ended with `mentee_moved` and
    /// whose profile has not been updated since: out of matching.
    pub moved_mentees: Vec<String>,
    /// Mentors whose pair (in any programme) ended with `mentor_left` and
    /// whose profile has not been updated since: out of matching.
    pub departed_mentors: Vec<String>,
    /// Pairs pinned in this programme: (mentor, mentee).
    pub pins: Vec<(String, String)>,
    /// Wishes said in this programme.
    pub wishes: Vec<WishList>,
}

/// What approving or making pairs must re-check inside the transaction.
#[derive(Debug, Clone)]
pub struct PairRequest {
    /// The programme.
    pub programme_id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentees.
    pub mentee_ids: Vec<String>,
    /// The day the pairs start (`YYYY-MM-DD`).
    pub started_on: String,
    /// The entity tags the run saw, when approving a proposal: the people's
    /// data must not have changed since.
    pub snapshot: Option<SeenProfiles>,
    /// The proposal being approved, if any.
    pub proposal_id: Option<String>,
    /// For a pair made by hand that a curator rejected (or that ended
    /// early): the reason to make it all the same. Without it such a pair
    /// is a `Conflict` naming the rejection.
    pub override_rejection: Option<String>,
}

/// The entity tags of a proposal's people as its run read them. The
/// mentor's and the mentees' profiles are kept apart: one person can be in
/// both banks under one id, with two different profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenProfiles {
    /// The mentor profile's tag.
    pub mentor: String,
    /// Each mentee's id and mentee profile's tag.
    pub mentees: Vec<(String, String)>,
}

/// Filters of the pair list.
#[derive(Debug, Clone, Default)]
pub struct PairFilter {
    /// One programme.
    pub programme_id: Option<String>,
    /// Mentees of this organisation and everything under it.
    pub organization_id: Option<String>,
    /// One mentor.
    pub mentor_id: Option<String>,
    /// One mentee.
    pub mentee_id: Option<String>,
    /// One status.
    pub status: Option<String>,
}

/// A recorded state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// RFC 3339.
    pub at: String,
    /// Key id.
    pub key_id: String,
    /// Key role.
    pub role: String,
    /// What happened (`run.started`, `proposal.approved`, …).
    pub action: String,
    /// What it happened to (`run:ID`, `proposal:ID`, `pair:ID`).
    pub subject: String,
    /// Details (JSON).
    pub detail: String,
    /// Where the request came from.
    pub origin: Option<String>,
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// One subject (`mentee:ID`, `proposal:ID`, …).
    pub subject: Option<String>,
    /// One key.
    pub key_id: Option<String>,
    /// Actions starting with this (`mentee.`, `proposal.approved`).
    pub action: Option<String>,
    /// At or after this time (RFC 3339).
    pub since: Option<String>,
}

/// How an active pair closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairClosing {
    /// `completed` or `ended`.
    pub status: String,
    /// Why it ended early.
    pub reason: Option<String>,
    /// Free text for `other`.
    pub note: Option<String>,
    /// `YYYY-MM-DD`.
    pub ended_on: String,
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Pending proposals withdrawn.
    pub proposals_withdrawn: usize,
    /// Active pairs ended.
    pub pairs_ended: usize,
    /// Stored runs rewritten: only runs that still named people by id
    /// (stored before runs named them by number).
    pub runs_rewritten: usize,
}

/// Replaces every string equal to `from` in a JSON tree by `to`; true
/// when anything changed. Exact matches only, so `p1` never touches `p10`.
pub fn replace_in_json(value: &mut serde_json::Value, from: &str, to: &str) -> bool {
    match value {
        serde_json::Value::String(s) if s == from => {
            *s = to.to_owned();
            true
        }
        // Every element is visited (no short-circuit): all matches change.
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for v in items {
                changed |= replace_in_json(v, from, to);
            }
            changed
        }
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for v in map.values_mut() {
                changed |= replace_in_json(v, from, to);
            }
            changed
        }
        _ => false,
    }
}

/// Replaces every CSV cell equal to `from` by `to` (ids are never quoted).
pub fn replace_in_csv(csv: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(csv.len());
    for line in csv.lines() {
        let cells: Vec<&str> = line
            .split(',')
            .map(|cell| if cell == from { to } else { cell })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// A feedback questionnaire of a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRecord {
    /// Service-given id.
    pub id: String,
    /// The pair.
    pub pair_id: String,
    /// The pair's programme.
    pub programme_id: String,
    /// `entry` or `exit`.
    pub stage: String,
    /// `mentor`, `mentee` or `curator`.
    pub respondent: String,
    /// `{question: 1..5}` (JSON).
    pub answers: String,
    /// Free comment.
    pub comment: Option<String>,
    /// Key id of who recorded it.
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
}

/// One version of a programme's weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightVersion {
    /// 1, 2, …
    pub version: i64,
    /// The weights (JSON).
    pub weights: String,
    /// Key id of who changed them.
    pub changed_by: String,
    /// RFC 3339.
    pub changed_at: String,
    /// Why, when said.
    pub reason: Option<String>,
}

/// What the indicators of a subtree count, as stored documents.
#[derive(Debug, Clone, Default)]
pub struct ReportData {
    /// Organisations of the subtree: (node, document).
    pub organizations: Vec<(OrganizationNode, String)>,
    /// Mentor documents of the subtree.
    pub mentors: Vec<String>,
    /// Mentee documents of the subtree.
    pub mentees: Vec<String>,
    /// Pairs whose mentee belongs to the subtree, with their programme's form.
    pub pairs: Vec<(PairRecord, String)>,
    /// Feedback of those pairs.
    pub feedback: Vec<FeedbackRecord>,
}
