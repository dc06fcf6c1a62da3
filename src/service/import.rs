//! Bulk import: a JSON batch `{organizations, mentors, mentees,
//! programmes}` or one CSV file of a kind, validated row by row.
//!
//! By default all or nothing: every bad row is reported and nothing is
//! applied. With `partial`, the good rows are applied in one transaction
//! and the bad ones reported. Re-importing the same data writes nothing.

use crate::domain::columns::{self, Column};
use crate::domain::parse::NOT_A_KNOWN_FIELD;
use crate::domain::{
    FieldError, Id, MenteeProfile, MentorProfile, Organization, Programme, Spelling,
};
use crate::service::banks::{
    Tree, mentee_document, mentor_document, organization_row, programme_document,
};
use crate::service::spreadsheet::{self, Delimiter, Encoding, Grid, ReadOptions, SheetFormat};
use crate::store::{Actor, Document, ImportWrite, Scope, Store, StoreError, Table, content_etag};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// Most columns a CSV file or sheet may have: far more than any kind has
/// fields, and checked before the header is read column by column.
pub const MAX_CSV_COLUMNS: usize = spreadsheet::MAX_COLUMNS;

/// Which bank a CSV file fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsvKind {
    /// Organisations.
    Organizations,
    /// Mentor profiles.
    Mentors,
    /// Mentee profiles.
    Mentees,
}

impl CsvKind {
    /// The kind's columns: API field, Russian heading, what each accepts.
    pub fn columns(self) -> &'static [Column] {
        match self {
            CsvKind::Organizations => columns::ORGANIZATION_COLUMNS,
            CsvKind::Mentors => columns::MENTOR_COLUMNS,
            CsvKind::Mentees => columns::MENTEE_COLUMNS,
        }
    }

    /// The kind as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CsvKind::Organizations => "organizations",
            CsvKind::Mentors => "mentors",
            CsvKind::Mentees => "mentees",
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
            let field = columns::field_of(kind.columns(), heading)
                .map_or_else(|| heading.clone(), str::to_owned);
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
        }
        Ok((batch, grid))
    }

    /// Number of records in the batch.
    pub fn len(&self) -> usize {
        self.organizations.len()
            + self.mentors.len()
            + self.mentees.len()
            + self.programmes.len()
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
    batch: Batch,
    partial: bool,
    actor: &Actor,
) -> Result<ImportReport, ImportError> {
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
    }
}
