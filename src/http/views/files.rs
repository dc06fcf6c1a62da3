//! Bodies that are files, not JSON: how the document describes them.

use serde::Deserialize;
use utoipa::ToSchema;

/// How a CSV export is spelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum CsvDialect {
    /// UTF-8 without a byte-order mark, `,`, dates `YYYY-MM-DD`, decimal
    /// points (the default).
    #[default]
    #[serde(rename = "plain")]
    Plain,
    /// What Russian Excel opens as it is: a UTF-8 byte-order mark, `;`,
    /// dates `ДД.ММ.ГГГГ`, decimal commas.
    #[serde(rename = "excel-ru")]
    ExcelRu,
}

impl CsvDialect {
    /// A CSV writer of this dialect (the byte-order mark already written).
    pub fn writer(self) -> csv::Writer<Vec<u8>> {
        let (delimiter, start) = match self {
            CsvDialect::Plain => (b',', Vec::new()),
            CsvDialect::ExcelRu => (b';', b"\xEF\xBB\xBF".to_vec()),
        };
        csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(start)
    }

    /// A `YYYY-MM-DD` date as this dialect writes it (other text as is).
    pub fn date(self, iso: &str) -> String {
        match (self, crate::domain::parse::parse_date(iso)) {
            (CsvDialect::ExcelRu, Some(date)) => crate::domain::parse::format_russian_date(date),
            _ => iso.to_owned(),
        }
    }

    /// A decimal number written with a point as this dialect writes it.
    pub fn decimal(self, number: &str) -> String {
        match self {
            CsvDialect::Plain => number.to_owned(),
            CsvDialect::ExcelRu => number.replace('.', ","),
        }
    }
}

/// CSV text: UTF-8, a header row, then one record a line.
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String)]
pub struct CsvText(pub String);

/// An Excel workbook (Office Open XML).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Xlsx(pub Vec<u8>);

/// An OpenDocument spreadsheet (LibreOffice's `.ods`).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Ods(pub Vec<u8>);

/// A Word document (Office Open XML).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Docx(pub Vec<u8>);

/// An SVG image.
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String)]
pub struct SvgImage(pub String);
