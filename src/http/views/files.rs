//! Bodies that are files, not JSON: how the document describes them.

use utoipa::ToSchema;

/// CSV text: UTF-8, a header row, then one record a line.
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String)]
pub struct CsvText(pub String);

/// An Excel workbook (Office Open XML).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Xlsx(pub Vec<u8>);

/// An SVG image.
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String)]
pub struct SvgImage(pub String);
