//! Reading a school's spreadsheet as it is: CSV in UTF-8 (with or without
//! a byte-order mark) or Windows-1251, separated by `,`, `;` or tab; XLSX;
//! ODS. Every format becomes the same [`Grid`] of text cells — headings
//! and rows numbered as the spreadsheet shows them — which the import then
//! reads like any CSV file: one path into the domain parsers.
//!
//! The reader is guarded before it works: a workbook's zip entries are
//! unpacked once into nothing, counting bytes, so a zip bomb is refused
//! before calamine sees it; an ODS sheet's repeated rows and columns are
//! counted before they are expanded; an XLSX sheet is streamed cell by
//! cell and refused at the first cell outside the limits.

use super::import::ImportError;
use crate::domain::FieldError;
use calamine::{Data, Ods, Reader, Xlsx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use utoipa::ToSchema;

/// Most data rows a sheet or file may hold.
pub const MAX_ROWS: usize = 100_000;
/// Most columns a sheet or file may hold.
pub const MAX_COLUMNS: usize = 200;
/// Most sheets a workbook may hold.
pub const MAX_SHEETS: usize = 64;
/// Most bytes a workbook may unpack to, all entries together.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Most entries a workbook's zip may hold.
const MAX_ZIP_ENTRIES: usize = 10_000;

/// A text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark ("CSV UTF-8" of Excel).
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1251, what Russian Excel saves as plain "CSV".
    #[serde(rename = "windows-1251")]
    Windows1251,
}

/// What separates the cells of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `;`, what Russian Excel writes.
    Semicolon,
    /// A tab.
    Tab,
}

impl Delimiter {
    fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }
}

/// The format of an imported file, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// `text/csv`.
    Csv,
    /// `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`.
    Xlsx,
    /// `application/vnd.oasis.opendocument.spreadsheet`.
    Ods,
}

/// What the caller settles instead of the detection.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The CSV encoding.
    pub encoding: Option<Encoding>,
    /// The CSV separator.
    pub delimiter: Option<Delimiter>,
    /// The workbook's sheet: its name, or its number from 1.
    pub sheet: Option<String>,
}

/// A sheet as text: the headings and every non-empty row, each with its
/// number as the spreadsheet shows it (the heading row of a CSV file is
/// line 1).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// The headings, one per column, trimmed.
    pub headings: Vec<String>,
    /// `(row number, cells)`, as many cells as headings.
    pub rows: Vec<(usize, Vec<String>)>,
    /// The encoding read (CSV).
    pub encoding: Option<Encoding>,
    /// The separator read (CSV).
    pub delimiter: Option<Delimiter>,
    /// The sheet read (XLSX, ODS).
    pub sheet: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> ImportError {
    ImportError::Invalid(vec![FieldError::new(field, message)])
}

/// Reads `body` of `format` into a grid. Linear in the size of the body
/// (a workbook is unpacked twice: once counted, once read).
pub fn read(format: SheetFormat, body: &[u8], options: &ReadOptions) -> Result<Grid, ImportError> {
    match format {
        SheetFormat::Csv => read_csv(body, options),
        SheetFormat::Xlsx => read_xlsx(body, options),
        SheetFormat::Ods => read_ods(body, options),
    }
}

// --- CSV -----------------------------------------------------------------

/// The text of a CSV body and its encoding: UTF-8 when it has the
/// byte-order mark or is valid UTF-8, Windows-1251 otherwise.
fn decode(body: &[u8], forced: Option<Encoding>) -> Result<(String, Encoding), ImportError> {
    let (bom, rest) = match body.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let encoding = forced.unwrap_or(if bom || std::str::from_utf8(rest).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Windows1251
    });
    let text = match encoding {
        Encoding::Utf8 => std::str::from_utf8(rest)
            .map_err(|_| invalid("encoding", "the file is not valid utf-8; try windows-1251"))?
            .to_owned(),
        Encoding::Windows1251 => encoding_rs::WINDOWS_1251
            .decode_without_bom_handling(rest)
            .0
            .into_owned(),
    };
    Ok((text, encoding))
}

/// The separator of the first line: the most frequent of `;`, tab and `,`
/// outside quotes (in that order on a tie); `,` when none occurs.
fn detect_delimiter(text: &str) -> Delimiter {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ';' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ',' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [Delimiter::Semicolon, Delimiter::Tab, Delimiter::Comma];
    let best = (0..3).fold(2, |best, i| if counts[i] > counts[best] { i } else { best });
    if counts[best] == 0 {
        Delimiter::Comma
    } else {
        candidates[best]
    }
}

fn read_csv(body: &[u8], options: &ReadOptions) -> Result<Grid, ImportError> {
    if options.sheet.is_some() {
        return Err(invalid("sheet", "applies to XLSX and ODS only"));
    }
    let (text, encoding) = decode(body, options.encoding)?;
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(&text));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter.byte())
        .from_reader(text.as_bytes());
    let headings: Vec<String> = reader
        .headers()
        .map_err(|_| invalid("header", "is not a readable CSV header"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headings.len() > MAX_COLUMNS {
        return Err(invalid(
            "header",
            format!("must have at most {MAX_COLUMNS} columns"),
        ));
    }
    // Rows are numbered as a spreadsheet shows the file: the heading row
    // is 1 and each record one more, a cell's line breaks included (the
    // csv crate's own line count lags on CRLF files). A row whose cells
    // are all blank (Excel writes `;;;`) is counted and skipped.
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        let record =
            record.map_err(|e| ImportError::Malformed(format!("CSV line {number}: {e}")))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(invalid(
                "body",
                format!("must hold at most {MAX_ROWS} rows"),
            ));
        }
        rows.push((number, record.iter().map(str::to_owned).collect()));
    }
    Ok(Grid {
        headings,
        rows,
        encoding: Some(encoding),
        delimiter: Some(delimiter),
        sheet: None,
    })
}

// --- Workbooks -----------------------------------------------------------

/// Unpacks every entry of the zip `body` into nothing, counting bytes:
/// refuses an archive that is not one, holds too many entries, or unpacks
/// to more than [`MAX_UNPACKED_BYTES`] (the sizes an archive declares can
/// lie, so the bytes are counted as they come).
fn guard_zip(body: &[u8], what: &str) -> Result<(), ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(body)).map_err(|e| {
        ImportError::Malformed(format!("the body is not a readable {what} file: {e}"))
    })?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(invalid(
            "body",
            format!("the workbook holds more than {MAX_ZIP_ENTRIES} parts"),
        ));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| {
            ImportError::Malformed(format!("the body is not a readable {what} file: {e}"))
        })?;
        let left = MAX_UNPACKED_BYTES - total;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|e| {
            ImportError::Malformed(format!("the body is not a readable {what} file: {e}"))
        })?;
        total += read;
        if total > MAX_UNPACKED_BYTES {
            return Err(invalid(
                "body",
                format!(
                    "the workbook unpacks to more than {} MiB",
                    MAX_UNPACKED_BYTES / 1024 / 1024
                ),
            ));
        }
    }
    Ok(())
}

/// The sheet to read among `names`: the one named (or numbered from 1)
/// by the caller, else the first.
fn choose_sheet(names: &[String], wanted: Option<&str>) -> Result<String, ImportError> {
    if names.len() > MAX_SHEETS {
        return Err(invalid(
            "sheet",
            format!("the workbook must hold at most {MAX_SHEETS} sheets"),
        ));
    }
    let Some(wanted) = wanted else {
        return names
            .first()
            .cloned()
            .ok_or_else(|| invalid("sheet", "the workbook has no sheet"));
    };
    if let Some(name) = names.iter().find(|n| n.as_str() == wanted) {
        return Ok(name.clone());
    }
    if let Some(name) = wanted
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| names.get(i))
    {
        return Ok(name.clone());
    }
    Err(invalid(
        "sheet",
        format!(
            "no sheet {wanted:?}; the workbook has: {}",
            names.join(", ")
        ),
    ))
}

/// A whole number as digits; another number as Rust prints it.
fn number_text(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// A cell as the text a CSV file would hold: dates as `YYYY-MM-DD`,
/// whole numbers without `.0`, flags as `true`/`false`.
fn cell_text(value: &Data) -> String {
    match value {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// The column letters of a 0-based index (`0` → `A`, `27` → `AB`).
pub fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Cells of a sheet by 0-based row, each row's `(column, text)` pairs.
type Cells = BTreeMap<u32, Vec<(u32, String)>>;

/// Records a non-empty cell, refusing one outside the limits.
fn keep(cells: &mut Cells, row: u32, column: u32, text: String) -> Result<(), ImportError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    if column as usize >= MAX_COLUMNS {
        return Err(invalid(
            "sheet",
            format!(
                "must have at most {MAX_COLUMNS} columns (a value in column {})",
                column_letters(column as usize)
            ),
        ));
    }
    if !cells.contains_key(&row) && cells.len() > MAX_ROWS {
        return Err(invalid(
            "sheet",
            format!("must hold at most {MAX_ROWS} rows"),
        ));
    }
    cells.entry(row).or_default().push((column, text));
    Ok(())
}

/// The grid of a sheet's cells: its first non-empty row holds the
/// headings (a column with values but no heading is named by its
/// letter), the rest are numbered from 1 as the spreadsheet shows them.
fn grid(cells: Cells, sheet: String) -> Grid {
    let mut rows = cells.into_iter();
    let Some((_, header)) = rows.next() else {
        return Grid {
            sheet: Some(sheet),
            ..Grid::default()
        };
    };
    let rest: Vec<(u32, Vec<(u32, String)>)> = rows.collect();
    let width = header
        .iter()
        .chain(rest.iter().flat_map(|(_, r)| r.iter()))
        .map(|(c, _)| *c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut headings: Vec<String> = (0..width).map(column_letters).collect();
    let mut named = vec![false; width];
    for (c, text) in header {
        headings[c as usize] = text.trim().to_owned();
        named[c as usize] = true;
    }
    // Columns with neither a heading nor a value are dropped.
    let used: Vec<bool> = (0..width)
        .map(|c| {
            named[c]
                || rest
                    .iter()
                    .any(|(_, r)| r.iter().any(|(rc, _)| *rc as usize == c))
        })
        .collect();
    let keep_columns: Vec<usize> = (0..width).filter(|c| used[*c]).collect();
    let rows = rest
        .into_iter()
        .map(|(r, cells)| {
            let mut line = vec![String::new(); width];
            for (c, text) in cells {
                line[c as usize] = text;
            }
            let line = keep_columns
                .iter()
                .map(|c| std::mem::take(&mut line[*c]))
                .collect();
            (r as usize + 1, line)
        })
        .collect();
    Grid {
        headings: keep_columns.iter().map(|c| headings[*c].clone()).collect(),
        rows,
        encoding: None,
        delimiter: None,
        sheet: Some(sheet),
    }
}

fn read_xlsx(body: &[u8], options: &ReadOptions) -> Result<Grid, ImportError> {
    csv_options_refused(options)?;
    guard_zip(body, "XLSX")?;
    let unreadable = |e: calamine::XlsxError| {
        ImportError::Malformed(format!("the body is not a readable XLSX file: {e}"))
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(body)).map_err(unreadable)?;
    let name = choose_sheet(&book.sheet_names(), options.sheet.as_deref())?;
    let mut reader = book.worksheet_cells_reader(&name).map_err(unreadable)?;
    let declared = reader.dimensions();
    let (rows, columns) = (
        declared.end.0.saturating_sub(declared.start.0) as usize + 1,
        declared.end.1.saturating_sub(declared.start.1) as usize + 1,
    );
    if rows > MAX_ROWS + 1 || columns > MAX_COLUMNS {
        return Err(invalid(
            "sheet",
            format!(
                "is {rows} rows × {columns} columns; at most {} rows × {MAX_COLUMNS} columns are read",
                MAX_ROWS + 1
            ),
        ));
    }
    let mut cells = Cells::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        let value: Data = cell.get_value().clone().into();
        keep(&mut cells, row, column, cell_text(&value))?;
    }
    Ok(grid(cells, name))
}

fn csv_options_refused(options: &ReadOptions) -> Result<(), ImportError> {
    if options.encoding.is_some() {
        return Err(invalid("encoding", "applies to CSV only"));
    }
    if options.delimiter.is_some() {
        return Err(invalid("delimiter", "applies to CSV only"));
    }
    Ok(())
}

/// The largest sheet of an ODS `content.xml` once its repeated rows and
/// columns are expanded, as `(sheets, rows, columns)` of the worst sheet;
/// counted from the XML, before calamine expands anything.
fn ods_extent(body: &[u8]) -> Result<(usize, usize, usize), ImportError> {
    use quick_xml::events::{BytesStart, Event};
    let unreadable =
        |e: String| ImportError::Malformed(format!("the body is not a readable ODS file: {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(body)).map_err(|e| unreadable(e.to_string()))?;
    let content = zip
        .by_name("content.xml")
        .map_err(|e| unreadable(e.to_string()))?;
    let mut xml =
        quick_xml::Reader::from_reader(std::io::BufReader::new(content.take(MAX_UNPACKED_BYTES)));
    let repeats = |e: &BytesStart<'_>, name: &str| -> Result<usize, ImportError> {
        match e.try_get_attribute(name) {
            Ok(Some(a)) => a
                .value
                .trim()
                .parse::<usize>()
                .ok()
                .ok_or_else(|| unreadable("a repeat count is not a number".into())),
            Ok(None) => Ok(1),
            Err(e) => Err(unreadable(e.to_string())),
        }
    };
    let (mut sheets, mut worst_rows, mut worst_columns) = (0usize, 0usize, 0usize);
    // Per sheet: rows up to the last row with a value (repeats expanded),
    // rows seen since, and the widest row with a value.
    let (mut rows, mut pending, mut columns) = (0usize, 0usize, 0usize);
    // Per row: its repeat count, its width up to the last value, the
    // width so far, whether it holds a value.
    let (mut row_repeats, mut row_width, mut row_at, mut row_valued) =
        (1usize, 0usize, 0usize, false);
    let mut buf = Vec::new();
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| unreadable(e.to_string()))?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                sheets += 1;
                (rows, pending, columns) = (0, 0, 0);
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row_repeats = repeats(&e, "table:number-rows-repeated")?;
                (row_width, row_at, row_valued) = (0, 0, false);
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                pending = pending.saturating_add(repeats(&e, "table:number-rows-repeated")?);
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let span = repeats(&e, "table:number-columns-repeated")?;
                row_at = row_at.saturating_add(span);
                let valued = e
                    .try_get_attribute("office:value-type")
                    .ok()
                    .flatten()
                    .is_some();
                if valued {
                    row_width = row_at;
                    row_valued = true;
                }
            }
            Event::Start(e) if e.name().as_ref() == "text:p" && row_at > 0 => {
                row_width = row_at;
                row_valued = true;
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if row_valued {
                    rows = rows.saturating_add(pending).saturating_add(row_repeats);
                    pending = 0;
                    columns = columns.max(row_width);
                } else {
                    pending = pending.saturating_add(row_repeats);
                }
                worst_rows = worst_rows.max(rows);
                worst_columns = worst_columns.max(columns);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok((sheets, worst_rows, worst_columns))
}

fn read_ods(body: &[u8], options: &ReadOptions) -> Result<Grid, ImportError> {
    csv_options_refused(options)?;
    guard_zip(body, "ODS")?;
    // calamine expands every sheet of an ODS file when it opens it, so
    // every sheet is measured first.
    let (sheets, rows, columns) = ods_extent(body)?;
    if sheets > MAX_SHEETS {
        return Err(invalid(
            "sheet",
            format!("the workbook must hold at most {MAX_SHEETS} sheets"),
        ));
    }
    if rows > MAX_ROWS + 1 || columns > MAX_COLUMNS {
        return Err(invalid(
            "sheet",
            format!(
                "is {rows} rows × {columns} columns; at most {} rows × {MAX_COLUMNS} columns are read",
                MAX_ROWS + 1
            ),
        ));
    }
    let mut book: Ods<_> = Ods::new(Cursor::new(body))
        .map_err(|e| ImportError::Malformed(format!("the body is not a readable ODS file: {e}")))?;
    let name = choose_sheet(&book.sheet_names(), options.sheet.as_deref())?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| ImportError::Malformed(format!("the body is not a readable ODS file: {e}")))?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut cells = Cells::new();
    for (r, row) in range.rows().enumerate() {
        for (c, value) in row.iter().enumerate() {
            keep(
                &mut cells,
                top + r as u32,
                left + c as u32,
                cell_text(value),
            )?;
        }
    }
    Ok(grid(cells, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_of_the_first_line_is_detected() {
        assert_eq!(detect_delimiter("a;b;c\n1,5;2;3"), Delimiter::Semicolon);
        assert_eq!(detect_delimiter("a\tb\n"), Delimiter::Tab);
        assert_eq!(detect_delimiter("\"a;b\",c\n"), Delimiter::Comma);
        assert_eq!(detect_delimiter("one\n"), Delimiter::Comma);
    }

    #[test]
    fn windows_1251_is_told_from_utf8() {
        let (text, encoding) = decode(b"\xc8\xe4;\xd4\xc8\xce", None).expect("decodes");
        assert_eq!((text.as_str(), encoding), ("Ид;ФИО", Encoding::Windows1251));
        let (text, encoding) = decode("\u{feff}ФИО".as_bytes(), None).expect("decodes");
        assert_eq!((text.as_str(), encoding), ("ФИО", Encoding::Utf8));
        assert!(decode(b"\xc8\xe4", Some(Encoding::Utf8)).is_err());
    }

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        for format in [SheetFormat::Xlsx, SheetFormat::Ods] {
            let err =
                read(format, b"not a zip at all", &ReadOptions::default()).expect_err("refused");
            assert!(matches!(err, ImportError::Malformed(_)), "{err:?}");
        }
    }
}
