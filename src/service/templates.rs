//! Blank workbooks for a school to fill: the Russian headings of a bank
//! or of participants' wishes, drop-down lists of the valid values, and a
//! sheet «Поля» naming each heading's API field and what it accepts. A
//! filled template imports as it is: its headings and words are the ones
//! the import reads ([`crate::domain::columns`], the vocabularies' Russian
//! words).

use super::import::CsvKind;
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, Formula, Workbook, Worksheet, XlsxError,
};

/// Rows of the data sheet that offer the drop-down lists and date format.
pub const TEMPLATE_ROWS: u32 = 5_000;

/// The data sheet's name for `kind`.
pub fn sheet_name(kind: CsvKind) -> &'static str {
    match kind {
        CsvKind::Organizations => "Организации",
        CsvKind::Mentors => "Наставники",
        CsvKind::Mentees => "Наставляемые",
        CsvKind::Preferences => "Пожелания",
    }
}

/// The name of the hidden sheet that holds the drop-down lists.
const LISTS: &str = "Списки";

/// The format of date cells in templates and exports: `дд.мм.гггг`.
pub fn date_format() -> Format {
    Format::new().set_num_format("dd.mm.yyyy")
}

/// The template of `kind` as XLSX bytes.
pub fn template(kind: CsvKind) -> Result<Vec<u8>, XlsxError> {
    let columns = kind.columns();
    let mut book = Workbook::new();
    let heading = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_text_wrap();
    let dates = date_format();
    let text = Format::new().set_num_format("@");

    let mut data = Worksheet::new();
    data.set_name(sheet_name(kind))?;
    let mut lists = Worksheet::new();
    lists.set_name(LISTS)?.set_hidden(true);
    let mut list_column: u16 = 0;
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        data.write_string_with_format(0, c, column.heading, &heading)?;
        let width = column.heading.chars().count().clamp(12, 40) as f64 + 2.0;
        data.set_column_width(c, width)?;
        if column.date {
            data.set_column_format(c, &dates)?;
        } else if !column.field.ends_with("_count")
            && !column.field.starts_with("pupils_by_grade")
            && !matches!(
                column.field,
                "birth_year" | "grade" | "capacity" | "experience_years"
            )
        {
            // Ids such as 001 or 8-1 stay text instead of becoming numbers.
            data.set_column_format(c, &text)?;
        }
        if let Some(values) = column.values {
            let values = values();
            lists.write_string(0, list_column, column.heading)?;
            for (i, value) in values.iter().enumerate() {
                lists.write_string(i as u32 + 1, list_column, *value)?;
            }
            let letters = super::spreadsheet::column_letters(list_column as usize);
            let range = format!("='{LISTS}'!${letters}$2:${letters}${}", values.len() + 1);
            // A list cell holds several values separated by `;`, and a
            // code is as good as a word: neither may be refused outright.
            let style = if column.list {
                DataValidationErrorStyle::Information
            } else {
                DataValidationErrorStyle::Warning
            };
            let validation = DataValidation::new()
                .allow_list_formula(Formula::new(range))
                .set_error_style(style)
                .set_input_title(column.heading)?
                .set_input_message(truncate(column.accepts, 250))?;
            data.add_data_validation(1, c, TEMPLATE_ROWS, c, &validation)?;
            list_column += 1;
        }
    }
    data.set_freeze_panes(1, 0)?;

    let mut fields = Worksheet::new();
    fields.set_name("Поля")?;
    for (c, title) in [
        "Заголовок",
        "Поле API",
        "Что принимает",
        "Допустимые значения",
    ]
    .iter()
    .enumerate()
    {
        fields.write_string_with_format(0, c as u16, *title, &heading)?;
    }
    for (r, column) in columns.iter().enumerate() {
        let r = r as u32 + 1;
        fields.write_string(r, 0, column.heading)?;
        fields.write_string(r, 1, column.field)?;
        fields.write_string(r, 2, column.accepts)?;
        if let Some(values) = column.values {
            fields.write_string(r, 3, values().join("; "))?;
        }
    }
    fields.set_column_width(0, 38)?;
    fields.set_column_width(1, 26)?;
    fields.set_column_width(2, 70)?;
    fields.set_column_width(3, 70)?;
    fields.set_freeze_panes(1, 0)?;

    book.push_worksheet(data);
    book.push_worksheet(fields);
    book.push_worksheet(lists);
    book.save_to_buffer()
}

/// At most `max` characters of `text` (Excel's input messages are short).
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
