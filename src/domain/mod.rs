//! The validated domain: organisations, people, programmes.
//!
//! Raw input (JSON bodies, CSV rows, import files) is parsed once at the
//! boundary by [`parse::FieldReader`], which collects *every* bad field
//! instead of stopping at the first. Everything inward trusts these types.

pub mod columns;
pub mod enums;
pub mod organization;
pub mod parse;
pub mod profile;
pub mod programme;

pub use enums::*;
pub use organization::Organization;
pub use parse::{FieldError, FieldReader, Spelling};
pub use profile::{Consent, MenteeProfile, MentorProfile};
pub use programme::{GroupSize, Period, Programme, Rules, Weights};

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// Longest external id accepted.
pub const MAX_ID_LEN: usize = 128;
/// Longest tag accepted (subjects, competencies, interests, availability slots).
pub const MAX_TAG_LEN: usize = 80;
/// Most tags accepted in one list (counted as sent, before duplicates
/// are dropped, so the count bounds the work of normalising).
pub const MAX_TAGS: usize = 64;
/// Most ids accepted in one list (a programme's organisations).
pub const MAX_IDS: usize = 1000;

/// An external id chosen by the caller's own system (a school's pupil
/// number, a municipality code, ...).
///
/// Ids are kept opaque but restricted to letters, digits and `-_.:@` so that
/// they are safe in URLs, CSV cells and the organisation paths the store
/// builds with `/` as the separator. `.` and `..` alone are refused: in a
/// URL path they name the current and parent segment, so such a resource
/// could never be addressed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    /// Parses an id, explaining what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.chars().count() > MAX_ID_LEN {
            return Err(format!("must be at most {MAX_ID_LEN} characters"));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@')))
        {
            return Err(format!(
                "may hold only letters, digits and - _ . : @ (found {bad:?})"
            ));
        }
        if value == "." || value == ".." {
            return Err("must not be . or ..".into());
        }
        Ok(Self(value.to_owned()))
    }

    /// The id as the caller sent it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises an open-vocabulary tag list: trimmed, lower-cased, inner
/// white space folded, empty entries and duplicates dropped (first
/// occurrence kept, so the caller's order survives).
///
/// Linear in the total length of the input (duplicates are found with a
/// hash set); callers still bound the list with [`MAX_TAGS`] first.
pub fn normalize_tags<I, S>(raw: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    // A profile holds a few tags, for which a linear check for repeats is
    // cheaper than hashing; longer lists switch to a set.
    const LINEAR_UP_TO: usize = 16;
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for tag in raw {
        let mut folded = String::with_capacity(tag.as_ref().len());
        for word in tag.as_ref().split_whitespace() {
            if !folded.is_empty() {
                folded.push(' ');
            }
            if word.contains('Σ') {
                // Only `str::to_lowercase` knows a word-final sigma; words
                // are lowercased apart, as whitespace ends a word anyway.
                folded.push_str(&word.to_lowercase());
            } else {
                push_lowercase(&mut folded, word);
            }
        }
        if folded.is_empty() {
            continue;
        }
        let repeated = if out.len() < LINEAR_UP_TO {
            out.contains(&folded)
        } else {
            if seen.is_empty() {
                seen.extend(out.iter().cloned());
            }
            !seen.insert(folded.clone())
        };
        if !repeated {
            out.push(folded);
        }
    }
    out
}

/// Appends `word` lower-cased letter by letter exactly as [`char::to_lowercase`] does it, with a
/// quick path for ASCII and the basic Cyrillic block (nearly every letter of a tag), whose
/// capitals map to small letters by a fixed offset; other letters go through Unicode's tables.
fn push_lowercase(out: &mut String, word: &str) {
    for c in word.chars() {
        let small = match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            '\0'..='\x7f' | 'а'..='џ' => c,
            'А'..='Я' => char::from_u32(c as u32 + 0x20).unwrap_or(c),
            'Ѐ'..='Џ' => char::from_u32(c as u32 + 0x50).unwrap_or(c),
            _ => {
                out.extend(c.to_lowercase());
                continue;
            }
        };
        out.push(small);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_lowercase_agrees_with_unicode_on_every_character() {
        let mut quick = String::new();
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            quick.clear();
            push_lowercase(&mut quick, c.encode_utf8(&mut [0; 4]));
            assert!(
                quick.chars().eq(c.to_lowercase()),
                "{c:?} (U+{:04X})",
                c as u32
            );
        }
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_deduplicated() {
        let tags = normalize_tags([
            "  Математика ",
            "математика",
            "Lesson   Planning",
            "",
            "MON:5",
        ]);
        assert_eq!(tags, ["математика", "lesson planning", "mon:5"]);
    }

    #[test]
    fn tags_fold_like_the_whole_string_lowercased() {
        let samples = [
            "ΟΔΟΣ  ΣΟΦΙΑΣ",
            "Σ",
            "İstanbul Ёлка",
            "\u{a0}Химия\tи  БИОЛОГИЯ ",
            "ΑΣ.Σ",
        ];
        for sample in samples {
            let whole = sample
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            assert_eq!(normalize_tags([sample]), [whole], "{sample:?}");
        }
    }

    #[test]
    fn ids_reject_separators_and_accept_cyrillic() {
        assert!(Id::parse("школа-7").is_ok());
        assert!(Id::parse("a/b").is_err());
        assert!(Id::parse("   ").is_err());
        assert!(Id::parse("x%y").is_err());
    }

    #[test]
    fn dot_segments_are_not_ids() {
        assert!(Id::parse(".").is_err());
        assert!(Id::parse("..").is_err());
        assert!(Id::parse(" .. ").is_err());
        assert!(Id::parse("...").is_ok());
        assert!(Id::parse("v1.2").is_ok());
    }

    #[test]
    fn normalising_a_long_list_takes_linear_time() {
        let raw: Vec<String> = (0..100_000).map(|i| format!("tag {i}")).collect();
        let started = std::time::Instant::now();
        let tags = normalize_tags(&raw);
        assert_eq!(tags.len(), 100_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
