//! Reading untrusted records field by field, collecting every error.
//!
//! JSON bodies, import rows and CSV rows (converted to JSON objects whose
//! cells are strings) all go through [`FieldReader`], so one bad record
//! reports each bad field by name. A reader has a [`Spelling`]: JSON is
//! read strictly (a number must be a JSON number, a flag a JSON boolean, a
//! list a JSON array), while CSV rows accept the spellings a spreadsheet
//! can hold (`"5"`, `"true"`, `"a;b"`) wherever a number, a flag or a list
//! is expected.
//!
//! Every list is counted as sent before any of its entries is converted,
//! so the size of a request bounds the work done to refuse it.

use super::enums::Vocabulary;
use super::{Id, MAX_IDS, MAX_TAG_LEN, MAX_TAGS, normalize_tags};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use time::Date;
use utoipa::ToSchema;

/// One bad field: its path (`consent.date`, `forms[1]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, dotted for nested objects.
    pub field: String,
    /// What is wrong with it, in words.
    pub message: String,
    /// The column's heading as the spreadsheet shows it, for a row of an
    /// imported file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            heading: None,
        }
    }
}

/// The message of a field the reader does not know; the import compares
/// against it to tell whether a CSV header names any known column.
pub const NOT_A_KNOWN_FIELD: &str = "is not a known field";

/// How the values of a record are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// A JSON document: every value must have its JSON type.
    Json,
    /// A CSV row turned into an object of strings: numbers, flags and
    /// `;`-separated lists are read from text.
    Csv,
}

/// Reads fields of one JSON object, recording errors instead of failing.
pub struct FieldReader<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
    spelling: Spelling,
    known: BTreeSet<&'static str>,
    errors: Vec<FieldError>,
}

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(raw: &str) -> Option<Date> {
    Date::parse(raw.trim(), DATE_FORMAT).ok()
}

const RUSSIAN_DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[day].[month].[year]");

/// Parses a date a spreadsheet holds: `YYYY-MM-DD` or `DD.MM.YYYY`.
pub fn parse_sheet_date(raw: &str) -> Option<Date> {
    parse_date(raw).or_else(|| Date::parse(raw.trim(), RUSSIAN_DATE_FORMAT).ok())
}

/// Formats a date as `DD.MM.YYYY`, as Russian spreadsheets show it.
pub fn format_russian_date(date: Date) -> String {
    date.format(RUSSIAN_DATE_FORMAT).unwrap_or_default()
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    date.format(DATE_FORMAT).unwrap_or_default()
}

impl<'a> FieldReader<'a> {
    /// A strict (JSON) reader over `object`; error paths start with
    /// `prefix` (may be empty).
    pub fn new(object: &'a Map<String, Value>, prefix: &str) -> Self {
        Self::with_spelling(object, prefix, Spelling::Json)
    }

    /// A reader over `object` reading values spelled as `spelling`.
    pub fn with_spelling(object: &'a Map<String, Value>, prefix: &str, spelling: Spelling) -> Self {
        Self {
            object,
            prefix: prefix.to_owned(),
            spelling,
            known: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    /// Reads a JSON value that must be an object, strictly.
    pub fn object(value: &'a Value, prefix: &str) -> Result<Self, Vec<FieldError>> {
        Self::object_as(value, prefix, Spelling::Json)
    }

    /// Reads a value that must be an object, spelled as `spelling`.
    pub fn object_as(
        value: &'a Value,
        prefix: &str,
        spelling: Spelling,
    ) -> Result<Self, Vec<FieldError>> {
        match value {
            Value::Object(object) => Ok(Self::with_spelling(object, prefix, spelling)),
            _ => Err(vec![FieldError::new(
                if prefix.is_empty() { "$" } else { prefix },
                "must be a JSON object",
            )]),
        }
    }

    /// How this reader's values are spelled.
    pub fn spelling(&self) -> Spelling {
        self.spelling
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// Records an error on `name`.
    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        let field = self.path(name);
        self.errors.push(FieldError::new(field, message));
    }

    /// The raw value of `name`, `None` when absent or null; marks it known.
    pub fn raw(&mut self, name: &'static str) -> Option<&'a Value> {
        self.known.insert(name);
        match self.object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// The value of a number, flag or list field: as [`Self::raw`], but in
    /// JSON a blank string is kept, so that it is refused as the wrong type
    /// rather than read as absent.
    fn typed(&mut self, name: &'static str) -> Option<&'a Value> {
        match self.spelling {
            Spelling::Csv => self.raw(name),
            Spelling::Json => {
                self.known.insert(name);
                self.object.get(name).filter(|v| !v.is_null())
            }
        }
    }

    /// A required field: records "is required" when missing.
    fn required(&mut self, name: &'static str) -> Option<&'a Value> {
        let value = self.raw(name);
        if value.is_none() {
            self.error(name, "is required");
        }
        value
    }

    fn as_text(&mut self, name: &str, value: &Value) -> Option<String> {
        match (value, self.spelling) {
            (Value::String(s), _) => Some(s.clone()),
            (Value::Number(n), Spelling::Csv) => Some(n.to_string()),
            _ => {
                self.error(name, "must be a string");
                None
            }
        }
    }

    /// A required id.
    pub fn id(&mut self, name: &'static str) -> Option<Id> {
        let value = self.required(name)?;
        self.parse_id(name, value)
    }

    /// An optional id.
    pub fn opt_id(&mut self, name: &'static str) -> Option<Id> {
        let value = self.raw(name)?;
        self.parse_id(name, value)
    }

    fn parse_id(&mut self, name: &str, value: &Value) -> Option<Id> {
        let text = self.as_text(name, value)?;
        match Id::parse(&text) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(name, message);
                None
            }
        }
    }

    /// A list of at most [`MAX_IDS`] ids (an array; in CSV one string
    /// separated by `;`), duplicates dropped.
    pub fn id_list(&mut self, name: &'static str) -> Vec<Id> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, item) in self.list_items(name, MAX_IDS).into_iter().enumerate() {
            match Id::parse(&item) {
                Ok(id) => {
                    if seen.insert(id.clone()) {
                        out.push(id);
                    }
                }
                Err(message) => self.error(&format!("{name}[{i}]"), message),
            }
        }
        out
    }

    /// A required text of 1..=`max_chars` characters, trimmed.
    pub fn text(&mut self, name: &'static str, max_chars: usize) -> Option<String> {
        let value = self.required(name)?;
        self.parse_text(name, value, max_chars)
    }

    /// An optional text, trimmed; `None` when absent or blank.
    pub fn opt_text(&mut self, name: &'static str, max_chars: usize) -> Option<String> {
        let value = self.raw(name)?;
        self.parse_text(name, value, max_chars)
    }

    fn parse_text(&mut self, name: &str, value: &Value, max_chars: usize) -> Option<String> {
        let text = self.as_text(name, value)?;
        // The limit is on the text as sent (as the schema states it), so
        // that a long run of trimmed spaces is refused before any work.
        if text.chars().count() > max_chars {
            self.error(name, format!("must be at most {max_chars} characters"));
            return None;
        }
        let text = text.trim();
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            self.error(name, "must not contain control characters");
            return None;
        }
        Some(text.to_owned())
    }

    /// An optional whole number within `min..=max` (in CSV also a string
    /// of digits).
    pub fn opt_int(&mut self, name: &'static str, min: i64, max: i64) -> Option<i64> {
        let value = self.typed(name)?;
        let number = match (value, self.spelling) {
            (Value::Number(n), _) => n.as_i64(),
            (Value::String(s), Spelling::Csv) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.error(name, format!("must be between {min} and {max}"));
                None
            }
            None => {
                self.error(name, "must be a whole number");
                None
            }
        }
    }

    /// An optional number (finite) within `min..=max` (in CSV also a
    /// string, with `.` or `,` as the decimal mark).
    pub fn opt_number(
        &mut self,
        name: &str,
        value: Option<&Value>,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let value = value?;
        let number = match (value, self.spelling) {
            (Value::Number(n), _) => n.as_f64(),
            (Value::String(s), Spelling::Csv) => s.trim().replace(',', ".").parse::<f64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if n.is_finite() && n >= min && n <= max => Some(n),
            Some(_) => {
                self.error(name, format!("must be a number between {min} and {max}"));
                None
            }
            None => {
                self.error(name, "must be a number");
                None
            }
        }
    }

    /// A flag with a default: a JSON boolean; in CSV also true/false,
    /// yes/no, да/нет, 1/0.
    pub fn flag(&mut self, name: &'static str, default: bool) -> bool {
        let Some(value) = self.typed(name) else {
            return default;
        };
        let parsed = match (value, self.spelling) {
            (Value::Bool(b), _) => Some(*b),
            (_, Spelling::Json) => None,
            (Value::Number(n), Spelling::Csv) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            (Value::String(s), Spelling::Csv) => match s.trim().to_lowercase().as_str() {
                "true" | "yes" | "1" | "да" => Some(true),
                "false" | "no" | "0" | "нет" => Some(false),
                _ => None,
            },
            _ => None,
        };
        parsed.unwrap_or_else(|| {
            self.error(name, "must be true or false");
            default
        })
    }

    /// A required value of a closed vocabulary.
    pub fn vocabulary<E: Vocabulary>(&mut self, name: &'static str) -> Option<E> {
        let value = self.required(name)?;
        self.parse_vocabulary(name, value)
    }

    /// An optional value of a closed vocabulary.
    pub fn opt_vocabulary<E: Vocabulary>(&mut self, name: &'static str) -> Option<E> {
        let value = self.raw(name)?;
        self.parse_vocabulary(name, value)
    }

    /// A vocabulary value: its code; in a spreadsheet row also its
    /// Russian word.
    fn vocabulary_value<E: Vocabulary>(&self, text: &str) -> Option<E> {
        match self.spelling {
            Spelling::Json => E::parse(text),
            Spelling::Csv => E::parse(text).or_else(|| E::parse_word(text)),
        }
    }

    fn unknown_value<E: Vocabulary>(&self, text: &str) -> String {
        let expected = match self.spelling {
            Spelling::Json => E::expected(),
            Spelling::Csv => super::enums::expected_with_words::<E>(),
        };
        format!(
            "unknown value {:?}; expected one of: {expected}",
            text.trim()
        )
    }

    fn parse_vocabulary<E: Vocabulary>(&mut self, name: &str, value: &Value) -> Option<E> {
        let text = self.as_text(name, value)?;
        let parsed = self.vocabulary_value(&text);
        if parsed.is_none() {
            let message = self.unknown_value::<E>(&text);
            self.error(name, message);
        }
        parsed
    }

    /// A list of at most [`MAX_TAGS`] vocabulary values, duplicates dropped.
    pub fn vocabulary_list<E: Vocabulary + PartialEq>(&mut self, name: &'static str) -> Vec<E> {
        let mut out = Vec::new();
        // `out` holds distinct values of a closed vocabulary, so it stays
        // small and `contains` is cheap.
        for (i, item) in self.list_items(name, MAX_TAGS).into_iter().enumerate() {
            match self.vocabulary_value(&item) {
                Some(v) if !out.contains(&v) => out.push(v),
                Some(_) => {}
                None => {
                    let message = self.unknown_value::<E>(&item);
                    self.error(&format!("{name}[{i}]"), message);
                }
            }
        }
        out
    }

    /// An open-vocabulary tag list of at most [`MAX_TAGS`] entries as sent,
    /// normalised (see [`normalize_tags`]).
    pub fn tags(&mut self, name: &'static str) -> Vec<String> {
        let items = self.list_items(name, MAX_TAGS);
        let tags = normalize_tags(&items);
        if let Some(long) = tags.iter().find(|t| t.chars().count() > MAX_TAG_LEN) {
            self.error(
                name,
                format!(
                    "entries must be at most {MAX_TAG_LEN} characters (\"{}…\")",
                    long.chars().take(20).collect::<String>()
                ),
            );
            return Vec::new();
        }
        tags
    }

    /// The items of a list field of at most `max` items: a JSON array of
    /// strings, or in CSV one string with items separated by `;`. The
    /// items are counted before any is converted, so an oversized list
    /// costs no more than counting it. Items are borrowed from the value
    /// where they can be (every caller normalises or parses them anyway).
    fn list_items(&mut self, name: &'static str, max: usize) -> Vec<Cow<'a, str>> {
        let Some(value) = self.typed(name) else {
            return Vec::new();
        };
        let too_many = |this: &mut Self| {
            this.error(name, format!("must hold at most {max} entries"));
            Vec::new()
        };
        match (value, self.spelling) {
            (Value::Array(items), spelling) => {
                if items.len() > max {
                    return too_many(self);
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match (item, spelling) {
                        (Value::String(s), _) => out.push(Cow::Borrowed(s.as_str())),
                        (Value::Number(n), Spelling::Csv) => out.push(Cow::Owned(n.to_string())),
                        _ => self.error(&format!("{name}[{i}]"), "must be a string"),
                    }
                }
                out
            }
            (Value::String(s), Spelling::Csv) => {
                let items = s.split(';').map(str::trim).filter(|s| !s.is_empty());
                if items.clone().nth(max).is_some() {
                    return too_many(self);
                }
                items.map(Cow::Borrowed).collect()
            }
            _ => {
                self.error(name, "must be a list of strings");
                Vec::new()
            }
        }
    }

    /// A required `YYYY-MM-DD` date (in a spreadsheet row also
    /// `DD.MM.YYYY`).
    pub fn date(&mut self, name: &'static str) -> Option<Date> {
        let value = self.required(name)?;
        self.parse_date_value(name, value)
    }

    /// An optional `YYYY-MM-DD` date (in a spreadsheet row also
    /// `DD.MM.YYYY`).
    pub fn opt_date(&mut self, name: &'static str) -> Option<Date> {
        let value = self.raw(name)?;
        self.parse_date_value(name, value)
    }

    fn parse_date_value(&mut self, name: &str, value: &Value) -> Option<Date> {
        let text = self.as_text(name, value)?;
        let (parsed, message) = match self.spelling {
            Spelling::Json => (parse_date(&text), "must be a date YYYY-MM-DD"),
            Spelling::Csv => (
                parse_sheet_date(&text),
                "must be a date YYYY-MM-DD or DD.MM.YYYY",
            ),
        };
        if parsed.is_none() {
            self.error(name, message);
        }
        parsed
    }

    /// A nested object, read by `read` with its own reader; errors are
    /// merged with this reader's, under `name.`.
    pub fn nested<T>(
        &mut self,
        name: &'static str,
        read: impl FnOnce(&mut FieldReader<'a>) -> Option<T>,
    ) -> Option<T> {
        let value = self.raw(name)?;
        let path = self.path(name);
        match FieldReader::object_as(value, &path, self.spelling) {
            Ok(mut inner) => {
                let result = read(&mut inner);
                let errors = inner.finish();
                let ok = errors.is_empty();
                self.errors.extend(errors);
                if ok { result } else { None }
            }
            Err(errors) => {
                self.errors.extend(errors);
                None
            }
        }
    }

    /// Whether any error has been recorded so far.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Ends reading: unknown fields become errors; returns every error.
    pub fn finish(mut self) -> Vec<FieldError> {
        let unknown: Vec<String> = self
            .object
            .keys()
            .filter(|k| !self.known.contains(k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            let field = self.path(&key);
            self.errors.push(FieldError::new(field, NOT_A_KNOWN_FIELD));
        }
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Form;
    use serde_json::json;

    #[test]
    fn a_text_over_its_limit_is_refused_even_when_trimming_would_shorten_it() {
        let padded = format!("отзыв{}", "\u{85}".repeat(2000));
        let value = json!({"comment": padded});
        let mut r = FieldReader::object(&value, "").expect("object");
        assert_eq!(r.opt_text("comment", 2000), None);
        let errors = r.finish();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "comment");
        let value = json!({"comment": "  отзыв  "});
        let mut r = FieldReader::object(&value, "").expect("object");
        assert_eq!(r.opt_text("comment", 9).as_deref(), Some("отзыв"));
        let value = json!({"comment": "  отзыв  "});
        let mut r = FieldReader::object(&value, "").expect("object");
        assert_eq!(
            r.opt_text("comment", 8),
            None,
            "the limit is on the text as sent"
        );
    }

    #[test]
    fn every_bad_field_is_reported_not_just_the_first() {
        let value =
            json!({"id": "a/b", "forms": ["teacher_pupil", "nope"], "capacity": "x", "extra": 1});
        let mut r = FieldReader::object(&value, "").expect("object");
        let _ = r.id("id");
        let _ = r.vocabulary_list::<Form>("forms");
        let _ = r.opt_int("capacity", 0, 10);
        let _ = r.text("full_name", 10);
        let fields: Vec<String> = r.finish().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["id", "forms[1]", "capacity", "full_name", "extra"]);
    }

    #[test]
    fn csv_spellings_are_accepted_in_csv_rows() {
        let value =
            json!({"capacity": "3", "trained": "да", "forms": "teacher_pupil; pupil_pupil"});
        let mut r = FieldReader::object_as(&value, "", Spelling::Csv).expect("object");
        assert_eq!(r.opt_int("capacity", 0, 10), Some(3));
        assert!(r.flag("trained", false));
        assert_eq!(
            r.vocabulary_list::<Form>("forms"),
            [Form::TeacherPupil, Form::PupilPupil]
        );
        assert!(r.finish().is_empty());
    }

    #[test]
    fn csv_spellings_are_refused_in_json() {
        let value = json!({"capacity": "3", "trained": "true", "forms": "teacher_pupil",
            "subjects": [1], "id": 7, "experience_years": ""});
        let mut r = FieldReader::object(&value, "").expect("object");
        assert_eq!(r.opt_int("capacity", 0, 10), None);
        assert!(!r.flag("trained", false));
        assert!(r.vocabulary_list::<Form>("forms").is_empty());
        assert!(r.tags("subjects").is_empty());
        assert_eq!(r.id("id"), None);
        assert_eq!(r.opt_int("experience_years", 0, 10), None);
        let fields: Vec<String> = r.finish().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "capacity",
                "trained",
                "forms",
                "subjects[0]",
                "id",
                "experience_years"
            ]
        );
    }

    #[test]
    fn an_oversized_list_is_refused_before_it_is_read() {
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        let value = json!({"subjects": many, "interests": many.join(";")});
        let mut r = FieldReader::object_as(&value, "", Spelling::Csv).expect("object");
        assert!(r.tags("subjects").is_empty());
        assert!(r.tags("interests").is_empty());
        let errors = r.finish();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].message,
            format!("must hold at most {MAX_TAGS} entries")
        );
        let exactly: Vec<String> = (0..MAX_TAGS).map(|i| format!("t{i}")).collect();
        let value = json!({"subjects": exactly});
        let mut r = FieldReader::object(&value, "").expect("object");
        assert_eq!(r.tags("subjects").len(), MAX_TAGS);
        assert!(r.finish().is_empty());
    }
}

/// Serde for `time::Date` as `YYYY-MM-DD`.
pub mod serde_date {
    use super::{format_date, parse_date};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use time::Date;

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_date(*date))
    }

    /// Reads `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let raw = String::deserialize(d)?;
        parse_date(&raw).ok_or_else(|| D::Error::custom("expected a date YYYY-MM-DD"))
    }
}

/// Serde for `Option<time::Date>` as `YYYY-MM-DD` or absent.
pub mod serde_opt_date {
    use super::{format_date, parse_date};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use time::Date;

    /// Writes `YYYY-MM-DD` (callers skip `None`).
    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_str(&format_date(*d)),
            None => s.serialize_none(),
        }
    }

    /// Reads `YYYY-MM-DD` or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(raw) => parse_date(&raw)
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected a date YYYY-MM-DD")),
        }
    }
}
