//! Bulk import: a JSON batch `{organizations, mentors, mentees,
//! programmes}` or one spreadsheet of a kind, validated row by row — a
//! bank, or participants' wishes in programmes, a row per person.
//!
//! By default all or nothing: every bad row is reported and nothing is
//! applied. With `partial`, the good rows are applied in one transaction
//! and the bad ones reported. Re-importing the same data writes nothing.

use crate::domain::columns::{self, Chooser, Column};
use crate::domain::parse::NOT_A_KNOWN_FIELD;
use crate::domain::{
    FieldError, FieldReader, Id, MenteeProfile, MentorProfile, Organization, Programme, Spelling,
};
use crate::service::banks::{
    Tree, mentee_document, mentor_document, organization_row, programme_document,
};
use crate::service::pairs::PairError;
use crate::service::spreadsheet::{self, Delimiter, Encoding, Grid, ReadOptions, SheetFormat};
use crate::service::wishes::{self, MAX_WISHES, Wishes};
use crate::store::{
    Actor, Document, ImportWrite, Scope, Store, StoreError, Table, WishSide, content_etag,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// Most columns a CSV file or sheet may have: far more than any kind has
/// fields, and checked before the header is read column by column.
pub const MAX_CSV_COLUMNS: usize = spreadsheet::MAX_COLUMNS;

/// What a spreadsheet holds: a bank, or participants' wishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsvKind {
    /// Organisations.
    Organizations,
    /// Mentor profiles.
    Mentors,
    /// Mentee profiles.
    Mentees,
    /// Participants' wishes in programmes: a row per person, the people
    /// they would prefer in order.
    Preferences,
}

impl CsvKind {
    /// The kind's columns: API field, Russian heading, what each accepts.
    pub fn columns(self) -> &'static [Column] {
        match self {
            CsvKind::Organizations => columns::ORGANIZATION_COLUMNS,
            CsvKind::Mentors => columns::MENTOR_COLUMNS,
            CsvKind::Mentees => columns::MENTEE_COLUMNS,
            CsvKind::Preferences => columns::PREFERENCE_COLUMNS,
        }
    }

    /// The kind as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CsvKind::Organizations => "organizations",
            CsvKind::Mentors => "mentors",
            CsvKind::Mentees => "mentees",
            CsvKind::Preferences => "preferences",
        }
    }

    /// The field a heading of this kind names, by API name or Russian
    /// heading; `None` when it names none.
    fn field_of(self, heading: &str) -> Option<String> {
        match self {
            CsvKind::Preferences => columns::preference_field(heading),
            _ => columns::field_of(self.columns(), heading).map(str::to_owned),
        }
    }
}

/// A section of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// `organizations`.
    Organizations,
    /// `mentors`.
    Mentors,
    /// `mentees`.
    Mentees,
    /// `programmes`.
    Programmes,
    /// The rows of a wishes sheet (`kind=preferences`).
    Preferences,
}

/// A row that was not applied, with every reason.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RejectedRow {
    /// Which section of the batch.
    pub section: Section,
    /// Row number: 1-based position in a JSON section, the line number in
    /// a CSV file (the header is line 1), or the row number a sheet shows.
    pub row: usize,
    /// The row's id, when it had a readable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Every bad field.
    pub errors: Vec<FieldError>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Rows that created a new record.
    pub created: usize,
    /// Rows that changed an existing record.
    pub updated: usize,
    /// Rows identical to what was stored.
    pub unchanged: usize,
    /// Rows not applied.
    pub rejected: Vec<RejectedRow>,
    /// Whether the good rows were applied.
    pub applied: bool,
    /// The encoding a CSV file was read in (detected or as asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// The separator a CSV file was read with (detected or as asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<Delimiter>,
    /// The sheet of a workbook that was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// People of a wishes sheet whose wishes are now its choices (rows
    /// unchanged included); only for `kind=preferences`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wishes_set: Option<usize>,
    /// People of a wishes sheet whose wishes it cleared (rows without a
    /// choice); only for `kind=preferences`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wishes_cleared: Option<usize>,
}

/// Why an import failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The body is not a batch at all (not JSON, …).
    #[error("{0}")]
    Malformed(String),
    /// The file cannot be a batch of its kind (a CSV header naming no
    /// known column, or not CSV at all); each problem is named.
    #[error("{}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// Some rows are bad and the import was all-or-nothing: nothing applied.
    #[error("{} rows rejected", .0.rejected.len())]
    Rejected(ImportReport),
    /// Stored data that does not read back: a fault inside.
    #[error("{0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Records of a batch, each with its row number.
#[derive(Debug)]
pub struct Batch {
    /// JSON records are read strictly, CSV rows leniently.
    spelling: Spelling,
    organizations: Vec<(usize, Value)>,
    mentors: Vec<(usize, Value)>,
    mentees: Vec<(usize, Value)>,
    programmes: Vec<(usize, Value)>,
    /// The rows of a wishes sheet; `None` for any other batch, so that an
    /// empty wishes sheet still reports as one.
    preferences: Option<Vec<(usize, Value)>>,
    /// Mentee rows refused before parsing (what the caller may not write).
    guarded: Vec<(usize, Option<String>, Vec<FieldError>)>,
    /// A spreadsheet's heading of each field, to name bad cells by it.
    headings: HashMap<String, String>,
}

impl Batch {
    /// The ids the mentee rows name, as written.
    pub fn mentee_ids(&self) -> Vec<String> {
        self.mentees
            .iter()
            .filter_map(|(_, v)| readable_id(v))
            .collect()
    }

    /// Passes every mentee row through `guard`, which may change it (keep
    /// stored values the caller may not read) and names what the caller
    /// may not write; a row with errors is rejected without being parsed.
    pub fn guard_mentees(&mut self, mut guard: impl FnMut(&mut Value) -> Vec<FieldError>) {
        let rows = std::mem::take(&mut self.mentees);
        for (row, mut value) in rows {
            let errors = guard(&mut value);
            if errors.is_empty() {
                self.mentees.push((row, value));
            } else {
                self.guarded.push((row, readable_id(&value), errors));
            }
        }
    }

    /// Reads a JSON batch.
    pub fn from_json(body: &[u8]) -> Result<Self, ImportError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ImportError::Malformed(format!("the body is not valid JSON: {e}")))?;
        let Value::Object(mut object) = value else {
            return Err(ImportError::Malformed(
                "the body must be an object {organizations, mentors, mentees, programmes}".into(),
            ));
        };
        let mut section = |name: &str| -> Result<Vec<(usize, Value)>, ImportError> {
            match object.remove(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => Ok(items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i + 1, v))
                    .collect()),
                Some(_) => Err(ImportError::Malformed(format!("{name} must be an array"))),
            }
        };
        let batch = Self {
            spelling: Spelling::Json,
            organizations: section("organizations")?,
            mentors: section("mentors")?,
            mentees: section("mentees")?,
            programmes: section("programmes")?,
            preferences: None,
            guarded: Vec::new(),
            headings: HashMap::new(),
        };
        if let Some(unknown) = object.keys().next() {
            return Err(ImportError::Malformed(format!(
                "unknown section {unknown:?}; expected organizations, mentors, mentees, programmes"
            )));
        }
        Ok(batch)
    }

    /// Reads a CSV file of one kind, its encoding and separator detected
    /// (see [`Self::from_spreadsheet`]).
    pub fn from_csv(kind: CsvKind, body: &[u8]) -> Result<Self, ImportError> {
        Self::from_spreadsheet(kind, SheetFormat::Csv, body, &ReadOptions::default())
            .map(|(batch, _)| batch)
    }

    /// Reads a spreadsheet of one kind — CSV (UTF-8 with or without a
    /// byte-order mark, or Windows-1251; `,`, `;` or tab), XLSX or ODS —
    /// into rows, with what was detected. A heading row names the fields,
    /// by their API names or their Russian headings; list cells are
    /// separated by `;`; `consent.date`-style fields fill nested objects;
    /// empty cells are absent; values may be codes or Russian words.
    ///
    /// A file whose header cannot be read, is empty, or names no column
    /// the kind knows (a JSON document sent as CSV, say) is refused before
    /// any row is read.
    pub fn from_spreadsheet(
        kind: CsvKind,
        format: SheetFormat,
        body: &[u8],
        options: &ReadOptions,
    ) -> Result<(Self, Grid), ImportError> {
        let mut grid = spreadsheet::read(format, body, options)?;
        let header_error =
            |message: String| ImportError::Invalid(vec![FieldError::new("header", message)]);
        if grid.headings.iter().all(|h| h.is_empty()) {
            return Err(header_error(
                "is missing: the first line must name the columns".into(),
            ));
        }
        if grid.headings.len() > MAX_CSV_COLUMNS {
            return Err(header_error(format!(
                "must have at most {MAX_CSV_COLUMNS} columns"
            )));
        }
        // Each heading becomes its field; one the kind does not know stays
        // as it is, so that the parser names it as unknown.
        let mut fields: Vec<String> = Vec::with_capacity(grid.headings.len());
        let mut headings = HashMap::new();
        for heading in &grid.headings {
            let field = kind.field_of(heading).unwrap_or_else(|| heading.clone());
            if !field.is_empty() && headings.insert(field.clone(), heading.clone()).is_some() {
                return Err(header_error(format!(
                    "names the column {field} twice (\"{heading}\")"
                )));
            }
            fields.push(field);
        }
        check_csv_header(kind, &fields)?;
        // A row whose cells do not line up with the header (a separator
        // inside an unquoted cell, most often) makes the whole file
        // unreadable; it is named by its row number.
        if let Some((number, cells)) = grid.rows.iter().find(|(_, c)| c.len() != fields.len()) {
            return Err(ImportError::Malformed(format!(
                "row {number} has {} cells where the header has {}",
                cells.len(),
                fields.len()
            )));
        }
        let rows: Vec<(usize, Value)> = std::mem::take(&mut grid.rows)
            .into_iter()
            .map(|(number, cells)| (number, row_to_object(&fields, &cells)))
            .collect();
        let mut batch = Self {
            spelling: Spelling::Csv,
            headings,
            ..Self::default()
        };
        match kind {
            CsvKind::Organizations => batch.organizations = rows,
            CsvKind::Mentors => batch.mentors = rows,
            CsvKind::Mentees => batch.mentees = rows,
            CsvKind::Preferences => {
                // A missing column (`choice_2` of a gap, a required one) is
                // named by the template's heading.
                for column in columns::PREFERENCE_COLUMNS {
                    batch
                        .headings
                        .entry(column.field.to_owned())
                        .or_insert_with(|| column.heading.to_owned());
                }
                batch.preferences = Some(rows);
            }
        }
        Ok((batch, grid))
    }

    /// Number of records in the batch.
    pub fn len(&self) -> usize {
        self.organizations.len()
            + self.mentors.len()
            + self.mentees.len()
            + self.programmes.len()
            + self.preferences.as_ref().map_or(0, Vec::len)
            + self.guarded.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Batch {
    fn default() -> Self {
        Self {
            spelling: Spelling::Json,
            organizations: Vec::new(),
            mentors: Vec::new(),
            mentees: Vec::new(),
            programmes: Vec::new(),
            preferences: None,
            guarded: Vec::new(),
            headings: HashMap::new(),
        }
    }
}

/// Parses one record of `kind` spelled as `spelling`; the errors, if any.
fn record_errors(kind: CsvKind, value: &Value, spelling: Spelling) -> Vec<FieldError> {
    match kind {
        CsvKind::Organizations => Organization::parse_as(value, None, spelling).err(),
        CsvKind::Mentors => MentorProfile::parse_as(value, None, spelling).err(),
        CsvKind::Mentees => MenteeProfile::parse_as(value, None, spelling).err(),
        CsvKind::Preferences => WishRow::parse(value).err(),
    }
    .unwrap_or_default()
}

/// Refuses a header with no column the kind knows: such a file would
/// import nothing and look applied. A column is known when the kind's own
/// parser does not call it unknown, so the list cannot drift from the
/// parser.
fn check_csv_header(kind: CsvKind, fields: &[String]) -> Result<(), ImportError> {
    let known = fields
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .any(|field| {
            let probe = row_to_object(&[field.to_owned()], &["x".to_owned()]);
            // A heading the parser does not know is named as unknown
            // under whatever path it turned into.
            !record_errors(kind, &probe, Spelling::Csv)
                .iter()
                .any(|e| e.message == NOT_A_KNOWN_FIELD)
        });
    if known {
        Ok(())
    } else {
        Err(ImportError::Invalid(vec![FieldError::new(
            "header",
            "names no known column of this kind (is it CSV?)",
        )]))
    }
}

/// One CSV row as a JSON object of strings; `a.b` headers nest.
pub fn csv_row_to_object(headers: &csv::StringRecord, record: &csv::StringRecord) -> Value {
    let fields: Vec<String> = headers.iter().map(str::to_owned).collect();
    let cells: Vec<String> = record.iter().map(str::to_owned).collect();
    row_to_object(&fields, &cells)
}

/// One row of cells under `fields` as a JSON object of strings; `a.b`
/// fields nest; empty cells are absent.
fn row_to_object(fields: &[String], cells: &[String]) -> Value {
    let mut object = Map::new();
    for (header, cell) in fields.iter().zip(cells.iter()) {
        let header = header.trim();
        if cell.trim().is_empty() || header.is_empty() {
            continue;
        }
        let value = Value::String(cell.to_owned());
        match header.split_once('.') {
            Some((outer, inner)) => {
                let entry = object
                    .entry(outer.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(nested) = entry {
                    nested.insert(inner.to_owned(), value);
                }
            }
            None => {
                object.insert(header.to_owned(), value);
            }
        }
    }
    Value::Object(object)
}

/// Names each bad field of `rows` by the spreadsheet's heading of its
/// column (`forms[1]` by the heading of `forms`).
fn name_headings(rows: &mut [RejectedRow], headings: &HashMap<String, String>) {
    if headings.is_empty() {
        return;
    }
    for error in rows.iter_mut().flat_map(|r| r.errors.iter_mut()) {
        let field = error.field.split('[').next().unwrap_or(&error.field);
        error.heading = headings.get(field).cloned();
    }
}

fn readable_id(value: &Value) -> Option<String> {
    match value.get("id")? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Collects rejected rows and detects ids repeated within a section.
struct Rejections {
    rows: Vec<RejectedRow>,
}

impl Rejections {
    fn reject(
        &mut self,
        section: Section,
        row: usize,
        id: Option<String>,
        errors: Vec<FieldError>,
    ) {
        self.rows.push(RejectedRow {
            section,
            row,
            id,
            errors,
        });
    }
}

fn parse_section<T>(
    section: Section,
    records: &[(usize, Value)],
    parse: impl Fn(&Value) -> Result<T, Vec<FieldError>>,
    id_of: impl Fn(&T) -> &Id,
    rejections: &mut Rejections,
) -> Vec<(usize, T)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for (row, value) in records {
        match parse(value) {
            Ok(item) => {
                let id = id_of(&item).to_string();
                if let Some(first) = seen.get(&id) {
                    rejections.reject(
                        section,
                        *row,
                        Some(id),
                        vec![FieldError::new(
                            "id",
                            format!("repeats the id of row {first}"),
                        )],
                    );
                } else {
                    seen.insert(id, *row);
                    out.push((*row, item));
                }
            }
            Err(errors) => rejections.reject(section, *row, readable_id(value), errors),
        }
    }
    out
}

/// Validates and applies a batch for a caller with `scope`.
pub async fn import(
    store: &dyn Store,
    scope: &Scope,
    mut batch: Batch,
    partial: bool,
    actor: &Actor,
) -> Result<ImportReport, ImportError> {
    if let Some(rows) = batch.preferences.take() {
        return import_preferences(store, scope, &rows, &batch.headings, partial, actor).await;
    }
    let mut rejections = Rejections { rows: Vec::new() };
    for (row, id, errors) in batch.guarded {
        rejections.reject(Section::Mentees, row, id, errors);
    }
    let organizations = parse_section(
        Section::Organizations,
        &batch.organizations,
        |v| Organization::parse_as(v, None, batch.spelling),
        |o| &o.id,
        &mut rejections,
    );
    let mentors = parse_section(
        Section::Mentors,
        &batch.mentors,
        |v| MentorProfile::parse_as(v, None, batch.spelling),
        |m| &m.person.id,
        &mut rejections,
    );
    let mentees = parse_section(
        Section::Mentees,
        &batch.mentees,
        |v| MenteeProfile::parse_as(v, None, batch.spelling),
        |m| &m.person.id,
        &mut rejections,
    );
    let programmes = parse_section(
        Section::Programmes,
        &batch.programmes,
        |v| Programme::parse(v, None),
        |p| &p.id,
        &mut rejections,
    );

    // The whole stored tree (so chains reach their roots), with the
    // batch's organisations added as they come, parents first; what the
    // caller may touch is judged by `scope_allows`.
    let all_nodes = store.organization_nodes(&Scope::All).await?;
    let hidden: HashSet<&str> = all_nodes
        .iter()
        .filter(|n| !scope.covers(&n.path))
        .map(|n| n.id.as_str())
        .collect();
    let stored_etags: HashMap<&str, &str> = all_nodes
        .iter()
        .map(|n| (n.id.as_str(), n.etag.as_str()))
        .collect();
    let mut tree = Tree::from_nodes(&all_nodes);
    let mut writes = Vec::new();
    let mut report = ImportReport::default();
    for (row, org) in &organizations {
        let mut errors = Vec::new();
        if hidden.contains(org.id.as_str()) {
            errors.push(FieldError::new("id", "cannot be written with this key"));
        }
        errors.extend(tree.check_organization(scope, org));
        if !errors.is_empty() {
            rejections.reject(
                Section::Organizations,
                *row,
                Some(org.id.to_string()),
                errors,
            );
            continue;
        }
        tree.insert(org);
        let write = organization_row(org);
        let etag = content_etag(&write.doc);
        match stored_etags.get(org.id.as_str()) {
            Some(stored) if *stored == etag => report.unchanged += 1,
            Some(_) => {
                report.updated += 1;
                writes.push(ImportWrite::Organization(write));
            }
            None => {
                report.created += 1;
                writes.push(ImportWrite::Organization(write));
            }
        }
    }

    let mut documents: Vec<(Section, usize, Document)> = Vec::new();
    let mut check_organization =
        |section: Section, row: usize, id: &Id, org: &Id, doc: Document| {
            if tree.allows(scope, org.as_str()) {
                documents.push((section, row, doc));
            } else {
                rejections.reject(
                    section,
                    row,
                    Some(id.to_string()),
                    vec![FieldError::new(
                        "organization_id",
                        "unknown organisation (it does not exist or is outside your scope)",
                    )],
                );
            }
        };
    for (row, m) in &mentors {
        check_organization(
            Section::Mentors,
            *row,
            &m.person.id,
            &m.person.organization_id,
            mentor_document(m),
        );
    }
    for (row, m) in &mentees {
        check_organization(
            Section::Mentees,
            *row,
            &m.person.id,
            &m.person.organization_id,
            mentee_document(m),
        );
    }
    for (row, p) in &programmes {
        match tree.programme_anchor(scope, p) {
            Ok(anchor) => {
                documents.push((Section::Programmes, *row, programme_document(p, &anchor)))
            }
            Err(errors) => {
                rejections.reject(Section::Programmes, *row, Some(p.id.to_string()), errors)
            }
        }
    }

    for table in [Table::Mentors, Table::Mentees, Table::Programmes] {
        let ids: Vec<String> = documents
            .iter()
            .filter(|(_, _, d)| d.table == table)
            .map(|(_, _, d)| d.id.clone())
            .collect();
        let existing: HashMap<String, _> = store
            .existing_rows(table, &ids)
            .await?
            .into_iter()
            .collect();
        for (section, row, doc) in documents.iter().filter(|(_, _, d)| d.table == table) {
            match existing.get(&doc.id) {
                Some(e) if !scope.covers(&e.path) => rejections.reject(
                    *section,
                    *row,
                    Some(doc.id.clone()),
                    vec![FieldError::new("id", "cannot be written with this key")],
                ),
                Some(e) if e.etag == doc.etag() => report.unchanged += 1,
                Some(_) => {
                    report.updated += 1;
                    writes.push(ImportWrite::Document(doc.clone()));
                }
                None => {
                    report.created += 1;
                    writes.push(ImportWrite::Document(doc.clone()));
                }
            }
        }
    }

    rejections
        .rows
        .sort_by_key(|r| (section_order(r.section), r.row));
    name_headings(&mut rejections.rows, &batch.headings);
    report.rejected = rejections.rows;
    if !report.rejected.is_empty() && !partial {
        report.created = 0;
        report.updated = 0;
        report.unchanged = 0;
        return Err(ImportError::Rejected(report));
    }
    if !writes.is_empty() {
        store.apply_import(&writes).await?;
    }
    // Imported programmes start (or extend) their weight history too.
    let programmes_by_id: HashMap<&str, &Programme> =
        programmes.iter().map(|(_, p)| (p.id.as_str(), p)).collect();
    for write in &writes {
        if let ImportWrite::Document(doc) = write
            && doc.table == Table::Programmes
            && let Some(p) = programmes_by_id.get(doc.id.as_str())
        {
            let weights = serde_json::to_string(&p.weights).unwrap_or_default();
            store
                .record_weights(&doc.id, &weights, Some("import"), actor)
                .await?;
        }
    }
    report.applied = true;
    Ok(report)
}

fn section_order(section: Section) -> u8 {
    match section {
        Section::Organizations => 0,
        Section::Mentors => 1,
        Section::Mentees => 2,
        Section::Programmes => 3,
        Section::Preferences => 4,
    }
}

/// The message of a row naming a programme the caller does not see.
const NO_PROGRAMME: &str = "is not a programme in your scope";

/// One row of a wishes sheet, read.
#[derive(Debug)]
struct WishRow {
    programme_id: Id,
    side: WishSide,
    person_id: Id,
    /// Most wanted first; empty clears the person's wishes.
    choices: Vec<String>,
}

impl WishRow {
    /// Reads a row: the programme, who wishes, and their choices in order
    /// — filled from the first with no gap, at most [`MAX_WISHES`], each
    /// person named once. Every bad cell is named.
    fn parse(value: &Value) -> Result<Self, Vec<FieldError>> {
        let Value::Object(cells) = value else {
            return Err(vec![FieldError::new("$", "must be a JSON object")]);
        };
        // The choices are numbered columns, read here; the other cells go
        // to a reader that names what it does not know.
        let mut filled: BTreeMap<usize, &Value> = BTreeMap::new();
        let mut rest = Map::new();
        for (field, cell) in cells {
            match choice_of(field) {
                Some(n) => {
                    filled.insert(n, cell);
                }
                None => {
                    rest.insert(field.clone(), cell.clone());
                }
            }
        }
        let mut r = FieldReader::with_spelling(&rest, "", Spelling::Csv);
        let programme_id = r.id("programme_id");
        let side = r.vocabulary::<Chooser>("side").map(|c| match c {
            Chooser::Mentee => WishSide::Mentee,
            Chooser::Mentor => WishSide::Mentor,
        });
        let person_id = r.id("person_id");
        let mut errors = r.finish();

        let last = filled.keys().next_back().copied().unwrap_or(0);
        if let Some(gap) = (1..last).find(|n| !filled.contains_key(n)) {
            errors.push(FieldError::new(
                columns::choice_field(gap),
                "is empty while a later choice is filled: choices go in order, without gaps",
            ));
        }
        let mut named = HashSet::new();
        let mut choices = Vec::with_capacity(filled.len());
        for (&n, cell) in &filled {
            let field = columns::choice_field(n);
            if n > MAX_WISHES {
                errors.push(FieldError::new(
                    field,
                    format!("may name at most {MAX_WISHES} people"),
                ));
                continue;
            }
            let text = match cell {
                Value::String(s) => s.clone(),
                Value::Number(number) => number.to_string(),
                _ => {
                    errors.push(FieldError::new(field, "must be a string"));
                    continue;
                }
            };
            match Id::parse(&text) {
                Err(message) => errors.push(FieldError::new(field, message)),
                Ok(id) if !named.insert(id.to_string()) => {
                    errors.push(FieldError::new(field, "names someone already named"));
                }
                Ok(id) => choices.push(id.to_string()),
            }
        }
        match (programme_id, side, person_id) {
            (Some(programme_id), Some(side), Some(person_id)) if errors.is_empty() => Ok(Self {
                programme_id,
                side,
                person_id,
                choices,
            }),
            _ => Err(errors),
        }
    }
}

/// The number of the choice a field of a wishes row is (`choice_3` → 3).
fn choice_of(field: &str) -> Option<usize> {
    field
        .strip_prefix("choice_")?
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
}

/// Where a field stands in a wishes row, to list a row's errors in the
/// order of its columns.
fn column_order(field: &str) -> (usize, usize) {
    match field {
        "programme_id" => (0, 0),
        "side" => (1, 0),
        "person_id" => (2, 0),
        other => choice_of(other).map_or((4, 0), |n| (3, n)),
    }
}

fn side_of(wishes: &Wishes, side: WishSide) -> &BTreeMap<String, Vec<String>> {
    match side {
        WishSide::Mentee => &wishes.mentees,
        WishSide::Mentor => &wishes.mentors,
    }
}

fn side_mut(wishes: &mut Wishes, side: WishSide) -> &mut BTreeMap<String, Vec<String>> {
    match side {
        WishSide::Mentee => &mut wishes.mentees,
        WishSide::Mentor => &mut wishes.mentors,
    }
}

/// The bad rows of a wishes sheet, each with all its errors (a row may
/// fail several checks of its programme at once).
#[derive(Default)]
struct BadRows(BTreeMap<usize, (Option<String>, Vec<FieldError>)>);

impl BadRows {
    fn add(
        &mut self,
        row: usize,
        person: Option<String>,
        errors: impl IntoIterator<Item = FieldError>,
    ) {
        self.0
            .entry(row)
            .or_insert_with(|| (person, Vec::new()))
            .1
            .extend(errors);
    }

    fn into_rows(self, headings: &HashMap<String, String>) -> Vec<RejectedRow> {
        let mut rows: Vec<RejectedRow> = self
            .0
            .into_iter()
            .map(|(row, (id, mut errors))| {
                errors.sort_by_key(|e| column_order(&e.field));
                RejectedRow {
                    section: Section::Preferences,
                    row,
                    id,
                    errors,
                }
            })
            .collect();
        name_headings(&mut rows, headings);
        rows
    }
}

/// The rows of one programme in a wishes sheet, in row order.
type WishGroup = Vec<(usize, WishRow)>;

/// Reads the rows of a wishes sheet, grouped by programme; a bad row, or
/// a person's second row in a programme, goes to `bad` instead.
fn read_wish_rows(rows: &[(usize, Value)], bad: &mut BadRows) -> BTreeMap<String, WishGroup> {
    let mut first_row: HashMap<(String, WishSide, String), usize> = HashMap::new();
    let mut groups: BTreeMap<String, WishGroup> = BTreeMap::new();
    for (row, value) in rows {
        let wish = match WishRow::parse(value) {
            Ok(wish) => wish,
            Err(errors) => {
                let person = match value.get("person_id") {
                    Some(Value::String(s)) => Some(s.trim().to_owned()),
                    _ => None,
                };
                bad.add(*row, person, errors);
                continue;
            }
        };
        let person = wish.person_id.to_string();
        let key = (wish.programme_id.to_string(), wish.side, person.clone());
        if let Some(first) = first_row.get(&key) {
            bad.add(
                *row,
                Some(person),
                [FieldError::new(
                    "person_id",
                    format!("repeats the person of row {first}: one row per person in a programme"),
                )],
            );
            continue;
        }
        first_row.insert(key, *row);
        groups
            .entry(wish.programme_id.to_string())
            .or_default()
            .push((*row, wish));
    }
    groups
}

/// The wishes a group of rows says, as the wishes service takes them.
fn wishes_of<'a>(rows: impl Iterator<Item = &'a WishRow>) -> Wishes {
    let mut wishes = Wishes::default();
    for wish in rows {
        side_mut(&mut wishes, wish.side).insert(wish.person_id.to_string(), wish.choices.clone());
    }
    wishes
}

/// The row and field of an error the wishes service named
/// `mentees.<id>` (the person: their `person_id`) or `mentees.<id>[k]`
/// (their k-th wish from 0: the column `choice_<k+1>`), within `group`.
fn place_of(group: &[(usize, WishRow)], field: &str) -> Option<(usize, String)> {
    let (side, rest) = match (
        field.strip_prefix("mentees."),
        field.strip_prefix("mentors."),
    ) {
        (Some(rest), _) => (WishSide::Mentee, rest),
        (_, Some(rest)) => (WishSide::Mentor, rest),
        _ => return None,
    };
    // Ids hold no brackets, so a trailing `[k]` is always the index.
    let (person, choice) = match rest.strip_suffix(']').and_then(|r| r.rsplit_once('[')) {
        Some((person, k)) => (person, Some(k.parse::<usize>().ok()?)),
        None => (rest, None),
    };
    let (row, _) = group
        .iter()
        .find(|(_, w)| w.side == side && w.person_id.as_str() == person)?;
    let column = choice.map_or_else(|| "person_id".to_owned(), |k| columns::choice_field(k + 1));
    Some((*row, column))
}

/// A failure of the wishes service once every check passed (something
/// changed in between, or a fault inside), as the import's.
fn failure(err: PairError) -> ImportError {
    match err {
        PairError::Invalid(errors) => ImportError::Invalid(errors),
        PairError::NotFound => {
            ImportError::Invalid(vec![FieldError::new("programme_id", NO_PROGRAMME)])
        }
        PairError::Internal(message) => ImportError::Internal(message),
        PairError::Store(store) => ImportError::Store(store),
    }
}

/// Validates and applies a wishes sheet: its rows grouped by programme,
/// each group checked as a `PUT …/preferences` would be
/// ([`wishes::check_preferences`]) and every programme checked before any
/// is written; each bad cell named by its row and column. A person's
/// wishes identical to the stored ones are not written again.
async fn import_preferences(
    store: &dyn Store,
    scope: &Scope,
    rows: &[(usize, Value)],
    headings: &HashMap<String, String>,
    partial: bool,
    actor: &Actor,
) -> Result<ImportReport, ImportError> {
    let mut bad = BadRows::default();
    let groups = read_wish_rows(rows, &mut bad);
    for (programme_id, group) in &groups {
        let wishes = wishes_of(group.iter().map(|(_, w)| w));
        let person_at = |row: usize| {
            group
                .iter()
                .find(|(r, _)| *r == row)
                .map(|(_, w)| w.person_id.to_string())
        };
        match wishes::check_preferences(store, scope, programme_id, &wishes).await {
            Ok(()) => {}
            Err(PairError::NotFound) => {
                for (row, wish) in group {
                    bad.add(
                        *row,
                        Some(wish.person_id.to_string()),
                        [FieldError::new("programme_id", NO_PROGRAMME)],
                    );
                }
            }
            Err(PairError::Invalid(errors)) => {
                for error in errors {
                    let (row, field) = place_of(group, &error.field)
                        .unwrap_or_else(|| (group[0].0, error.field.clone()));
                    bad.add(row, person_at(row), [FieldError::new(field, error.message)]);
                }
            }
            Err(other) => return Err(failure(other)),
        }
    }

    let mut report = ImportReport {
        rejected: bad.into_rows(headings),
        ..ImportReport::default()
    };
    if !report.rejected.is_empty() && !partial {
        return Err(ImportError::Rejected(report));
    }
    let rejected: HashSet<usize> = report.rejected.iter().map(|r| r.row).collect();
    let (mut set, mut cleared) = (0, 0);
    for (programme_id, group) in &groups {
        let good: Vec<&WishRow> = group
            .iter()
            .filter(|(row, _)| !rejected.contains(row))
            .map(|(_, w)| w)
            .collect();
        if good.is_empty() {
            continue;
        }
        let stored = wishes::preferences(store, scope, programme_id)
            .await
            .map_err(failure)?;
        let mut changed = Wishes::default();
        for wish in good {
            if wish.choices.is_empty() {
                cleared += 1;
            } else {
                set += 1;
            }
            let before = side_of(&stored, wish.side)
                .get(wish.person_id.as_str())
                .map_or(&[][..], Vec::as_slice);
            if before == wish.choices.as_slice() {
                report.unchanged += 1;
                continue;
            }
            if before.is_empty() {
                report.created += 1;
            } else {
                report.updated += 1;
            }
            side_mut(&mut changed, wish.side)
                .insert(wish.person_id.to_string(), wish.choices.clone());
        }
        if changed != Wishes::default() {
            // Checked again as it is written, so that a change since the
            // checks above cannot slip through.
            wishes::replace_preferences(store, scope, programme_id, changed, actor)
                .await
                .map_err(failure)?;
        }
    }
    report.wishes_set = Some(set);
    report.wishes_cleared = Some(cleared);
    report.applied = true;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Vec<String> {
        WishRow::parse(&value)
            .expect_err("a bad row")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn the_template_has_as_many_choices_as_a_person_may_say() {
        let choices = columns::PREFERENCE_COLUMNS
            .iter()
            .filter(|c| choice_of(c.field).is_some())
            .count();
        assert_eq!(choices, MAX_WISHES);
    }

    #[test]
    fn a_wishes_row_reads_codes_or_russian_words_and_its_choices_in_order() {
        let row = WishRow::parse(&json!({
            "programme_id": "tt-2026", "side": "Наставляемый", "person_id": " t-egorov ",
            "choice_1": "t-petrov", "choice_2": "t-ivanova",
        }))
        .expect("a good row");
        assert_eq!(row.side, WishSide::Mentee);
        assert_eq!(row.person_id.as_str(), "t-egorov");
        assert_eq!(row.choices, ["t-petrov", "t-ivanova"]);
        let clears = WishRow::parse(&json!({
            "programme_id": "tt-2026", "side": "mentor", "person_id": "t-petrov",
        }))
        .expect("a row without choices");
        assert!(clears.choices.is_empty());
    }

    #[test]
    fn gaps_repeats_and_choices_past_the_last_are_named_by_cell() {
        let base = |extra: Value| {
            let mut row =
                json!({"programme_id": "tt-2026", "side": "mentee", "person_id": "t-egorov"});
            for (k, v) in extra.as_object().expect("object") {
                row[k] = v.clone();
            }
            row
        };
        assert_eq!(
            fields(base(json!({"choice_1": "a", "choice_4": "b"}))),
            ["choice_2"]
        );
        assert_eq!(
            fields(base(json!({"choice_1": "a", "choice_2": "a"}))),
            ["choice_2"]
        );
        let eleven: Map<String, Value> = (1..=11)
            .map(|n| (columns::choice_field(n), json!(format!("m-{n}"))))
            .collect();
        assert_eq!(fields(base(Value::Object(eleven))), ["choice_11"]);
        assert_eq!(
            fields(json!({"side": "учитель", "person_id": "x/y", "colour": "red"})),
            ["programme_id", "side", "person_id", "colour"]
        );
    }

    #[test]
    fn wish_errors_point_at_the_persons_row_and_choice() {
        let group = vec![
            (
                2,
                WishRow::parse(&json!({"programme_id": "p", "side": "mentee", "person_id": "a.b", "choice_1": "m"}))
                    .expect("row"),
            ),
            (
                3,
                WishRow::parse(&json!({"programme_id": "p", "side": "mentor", "person_id": "a.b"}))
                    .expect("row"),
            ),
        ];
        assert_eq!(
            place_of(&group, "mentees.a.b[0]"),
            Some((2, "choice_1".to_owned()))
        );
        assert_eq!(
            place_of(&group, "mentors.a.b"),
            Some((3, "person_id".to_owned()))
        );
        assert_eq!(place_of(&group, "mentors.zz[1]"), None);
    }
}
