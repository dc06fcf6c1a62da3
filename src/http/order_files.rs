//! An order's attachment as files a head signs: an Excel workbook with
//! real date cells and a Word document, both in Russian.

use crate::domain::columns::{
    ATTACHMENT_HEADINGS_RU, ATTACHMENT_SIGNATURE_RU, attachment_title_ru,
};
use crate::domain::parse::{format_russian_date, parse_date};
use crate::service::orders::{Attachment, AttachmentLine};
use std::io::Write;

/// A `YYYY-MM-DD` date as `ДД.ММ.ГГГГ` (other text as is).
fn russian(iso: &str) -> String {
    parse_date(iso).map_or_else(|| iso.to_owned(), format_russian_date)
}

fn title(a: &Attachment) -> String {
    attachment_title_ru(&a.order.number, &russian(&a.order.date))
}

/// The text cells of a line after its number: mentor, position, mentees,
/// their classes, form.
fn texts(line: &AttachmentLine) -> [String; 5] {
    [
        line.mentor.clone(),
        line.position.clone(),
        line.mentees.join("; "),
        line.classes.join("; "),
        line.form.ru().to_owned(),
    ]
}

/// The attachment as a workbook: the title, the programme, the table
/// (dates as date cells) and the signature line.
pub fn xlsx(a: &Attachment) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Приложение")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let dates = crate::service::templates::date_format();
    sheet.write_string_with_format(0, 0, title(a), &bold)?;
    sheet.write_string(1, 0, format!("Программа наставничества: {}", a.programme))?;
    let head = 3u32;
    for (c, h) in ATTACHMENT_HEADINGS_RU.iter().enumerate() {
        sheet.write_string_with_format(head, c as u16, *h, &bold)?;
    }
    for (i, line) in a.lines.iter().enumerate() {
        let row = head + 1 + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64)?;
        for (c, text) in texts(line).iter().enumerate() {
            sheet.write_string(row, (c + 1) as u16, text)?;
        }
        for (c, value) in [(6u16, &line.start), (7, &line.end)] {
            match parse_date(value).and_then(super::pairs::excel_date) {
                Some(date) => sheet.write_date_with_format(row, c, &date, &dates)?,
                None => sheet.write_string(row, c, value.as_str())?,
            };
        }
    }
    let signature = head + 2 + a.lines.len() as u32;
    sheet.write_string(signature, 0, signature_line(a))?;
    sheet.autofit();
    sheet.set_column_width(6, 14)?;
    sheet.set_column_width(7, 14)?;
    book.save_to_buffer()
}

fn signature_line(a: &Attachment) -> String {
    match &a.order.signed_by {
        Some(name) => format!("{ATTACHMENT_SIGNATURE_RU} {name}"),
        None => ATTACHMENT_SIGNATURE_RU.to_owned(),
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>"#;

/// A paragraph of `text`, bold and centred when `heading`.
fn paragraph(text: &str, heading: bool) -> String {
    let (ppr, rpr) = if heading {
        (
            r#"<w:pPr><w:jc w:val="center"/></w:pPr>"#,
            "<w:rPr><w:b/></w:rPr>",
        )
    } else {
        ("", "")
    };
    format!(
        r#"<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        quick_xml::escape::escape(text)
    )
}

fn cell(text: &str, bold: bool) -> String {
    let rpr = if bold { "<w:rPr><w:b/></w:rPr>" } else { "" };
    format!(
        r#"<w:tc><w:p><w:r>{rpr}<w:t xml:space="preserve">{}</w:t></w:r></w:p></w:tc>"#,
        quick_xml::escape::escape(text)
    )
}

fn table_row(cells: &[String], bold: bool) -> String {
    let inner: String = cells.iter().map(|c| cell(c, bold)).collect();
    format!("<w:tr>{inner}</w:tr>")
}

/// The body of `word/document.xml`.
fn document_xml(a: &Attachment) -> String {
    let border =
        |side: &str| format!(r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#);
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
        .iter()
        .map(|s| border(s))
        .collect();
    let mut rows = table_row(&ATTACHMENT_HEADINGS_RU.map(str::to_owned), true);
    for (i, line) in a.lines.iter().enumerate() {
        let mut cells = vec![(i + 1).to_string()];
        cells.extend(texts(line));
        cells.push(russian(&line.start));
        cells.push(russian(&line.end));
        rows.push_str(&table_row(&cells, false));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}{}<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders>{borders}</w:tblBorders></w:tblPr>{rows}</w:tbl>{}{}<w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/><w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1134" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        paragraph(&title(a), true),
        paragraph(&format!("Программа наставничества: {}", a.programme), false),
        paragraph("", false),
        paragraph(&signature_line(a), false),
    )
}

/// The attachment as a Word document: the heading, the programme, the
/// table and the signature line. Written as the few parts of Office Open
/// XML it needs, with the zip writer the service already has.
pub fn docx(a: &Attachment) -> Result<Vec<u8>, String> {
    let io = |e: std::io::Error| e.to_string();
    let zip_err = |e: zip::result::ZipError| e.to_string();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/document.xml", document_xml(a)),
    ] {
        zip.start_file(name, options).map_err(zip_err)?;
        zip.write_all(body.as_bytes()).map_err(io)?;
    }
    Ok(zip.finish().map_err(zip_err)?.into_inner())
}
