//! Documents deflated for storage: a run's result and inputs and every
//! proposal's document.
//!
//! A region run stores thousands of proposal documents of about 1.4 KB of
//! JSON each, every one with the same keys, criteria and fact kinds. Each is
//! deflated on its own (a proposal is read and rewritten alone), so plain
//! deflate cannot reuse what the documents share; a preset dictionary of
//! those shared fragments does, and cuts a proposal to about 40% of its
//! plainly deflated size.
//!
//! Two forms are read: a plain raw deflate stream (what was stored before
//! the dictionary) and [`WITH_DICTIONARY`] followed by a raw deflate stream
//! made against [`DICTIONARY`]. A raw deflate stream never starts with that
//! byte (its low bits name block type 3, which is reserved), so the marker
//! cannot be mistaken for old data.

use std::io::{Read, Write};

use flate2::{Compress, Compression, Decompress};

use crate::store::{StoreError, StoreResult};

/// First byte of a document deflated against [`DICTIONARY`].
const WITH_DICTIONARY: u8 = 0xFF;

/// Fragments that stored documents share, the most frequent last (deflate
/// reaches them with the shortest distances). Stored documents depend on
/// these exact bytes: this text must never change. A better dictionary
/// needs a new marker byte, with this one kept for reading.
const DICTIONARY: &[u8] = r#"{"proposal":{"mentor_id":"","mentee_ids":[""],"score":0.5,"breakdown":[],"members":[{"mentee_id":"","score":0.5,"breakdown":[]}],"cohesion":0.5,"group_reason":"","pinned":true,"summary":"","preferred_partners":[{"mentee_id":"","mentor_id":""}]},"snapshot":[["",""]]}
{"objective":"total","weights":{"subjects":0.25,"requests":0.25,"interests":0.1,"availability":0.1,"class_teacher":0.1,"experience":0.1,"age_gap":0.05,"load":0.05,"wishes":0.0},"stats":{"mentees_eligible":1,"mentees_matched":1,"unmatched":[{"mentee_id":1,"reason":{"code":"no_mentor_passes_rules"},"text":""},{"mentee_id":1,"reason":{"code":"mentors_full"},"text":""},{"mentee_id":1,"reason":{"code":"assigned_to_others","eligible_mentors":1,"best_score":0.5},"text":""}],"ineligible":[{"mentee_id":1,"reason":"category_not_in_form","text":""}]}
{"criterion":"wishes","weight":0.0,"value":0.0,"contribution":0.0,"fact":{"kind":"wishes","mentee_rank":null,"mentor_rank":null},"detail":""}
"математика","русский язык","литература","физика","химия","биология","история","обществознание","география","информатика","английский язык"
"qualification":"highest"},"qualification":"none"},"years":null,"unit":"grades","ideal":[1,3]},"detail":""},{"criterion":"age_gap","weight":0.05,"value":1.0,"contribution":0.05,"fact":{"kind":"age_gap","gap":2,"unit":"years","ideal":[20,40]},"detail":""},{"criterion":"load","weight":0.05,"value":1.0,"contribution":0.05,"fact":{"kind":"load","spare":1,"capacity":2},"detail":""}],"pinned":false,"summary":""},"snapshot":[["",""],["",""]]}
{"proposal":{"mentor_id":"","mentee_ids":[""],"score":0.5,"breakdown":[{"criterion":"subjects","weight":0.25,"value":0.3333333333333333,"contribution":0.08333333333333333,"fact":{"kind":"subjects","matched":[""],"of":3},"detail":""},{"criterion":"requests","weight":0.25,"value":0.5,"contribution":0.125,"fact":{"kind":"requests","covered":[""],"of":2},"detail":""},{"criterion":"interests","weight":0.1,"value":0.0,"contribution":0.0,"fact":{"kind":"interests","shared":[]},"detail":""},{"criterion":"availability","weight":0.1,"value":0.0,"contribution":0.0,"fact":{"kind":"availability","shared":["mon","tue","wed","thu","fri"]},"detail":""},{"criterion":"class_teacher","weight":0.1,"value":0.0,"contribution":0.0,"fact":{"kind":"class_teacher","is_class_teacher":false},"detail":""},{"criterion":"experience","weight":0.1,"value":0.6749999999999999,"contribution":0.06749999999999999,"fact":{"kind":"experience","years":15,"qualification":"first"},"detail":""},"#.as_bytes();

/// `text` deflated against [`DICTIONARY`], behind its marker byte.
pub(super) fn pack(text: &str) -> Vec<u8> {
    let mut stream = Compress::new(Compression::new(6), false);
    // A fresh stream always takes a dictionary.
    let _ = stream.set_dictionary(DICTIONARY);
    let mut out = Vec::with_capacity(text.len() / 4 + 16);
    out.push(WITH_DICTIONARY);
    // flate2's zlib writer is the one that takes a configured stream; the
    // stream itself is raw deflate (no zlib header), as `false` above says.
    let mut encoder = flate2::write::ZlibEncoder::new_with_compress(out, stream);
    // Writing into a vector cannot fail.
    let _ = encoder.write_all(text.as_bytes());
    encoder.finish().unwrap_or_default()
}

/// A document [`pack`] stored, or one stored plainly deflated before it
/// (public as `store::read_packed`, for whoever reads the database
/// directly).
pub fn unpack(bytes: &[u8]) -> StoreResult<String> {
    let mut text = String::with_capacity(bytes.len() * 4);
    let read = match bytes.split_first() {
        Some((&WITH_DICTIONARY, rest)) => {
            let mut stream = Decompress::new(false);
            stream.set_dictionary(DICTIONARY).map_err(decode_error)?;
            flate2::read::ZlibDecoder::new_with_decompress(rest, stream).read_to_string(&mut text)
        }
        _ => flate2::read::DeflateDecoder::new(bytes).read_to_string(&mut text),
    };
    read.map_err(decode_error)?;
    Ok(text)
}

fn decode_error(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPOSAL: &str = r#"{"proposal":{"mentor_id":"t-12-3","mentee_ids":["p-12-40"],"score":0.41,"breakdown":[{"criterion":"subjects","weight":0.25,"value":0.5,"contribution":0.125,"fact":{"kind":"subjects","matched":["химия"],"of":2},"detail":""},{"criterion":"requests","weight":0.25,"value":0.0,"contribution":0.0,"fact":{"kind":"requests","covered":[],"of":1},"detail":""},{"criterion":"age_gap","weight":0.05,"value":1.0,"contribution":0.05,"fact":{"kind":"age_gap","gap":31,"unit":"years","ideal":[20,40]},"detail":""}],"pinned":false,"summary":""},"snapshot":[["t-12-3","5f1d2c0e9a8b7c6d5e4f3a2b1c0d9e8f"],["p-12-40","0a1b2c3d4e5f60718293a4b5c6d7e8f9"]]}"#;

    fn plainly_deflated(text: &str) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn packed_documents_read_back_unchanged() {
        for text in [PROPOSAL, "", "ё", &"Иванова Мария; ".repeat(5000)] {
            assert_eq!(unpack(&pack(text)).unwrap(), text);
        }
    }

    #[test]
    fn documents_stored_before_the_dictionary_still_read() {
        for text in [PROPOSAL, "", "{}"] {
            let old = plainly_deflated(text);
            assert_ne!(old.first(), Some(&WITH_DICTIONARY));
            assert_eq!(unpack(&old).unwrap(), text);
        }
    }

    #[test]
    fn the_dictionary_makes_a_proposal_much_smaller() {
        let (with, without) = (pack(PROPOSAL).len(), plainly_deflated(PROPOSAL).len());
        assert!(
            with * 2 < without,
            "{with} bytes with the dictionary, {without} without"
        );
    }

    #[test]
    fn damaged_documents_are_errors_not_panics() {
        let mut bytes = pack(PROPOSAL);
        bytes.truncate(bytes.len() / 2);
        assert!(unpack(&bytes).is_err());
        assert!(unpack(&[WITH_DICTIONARY, 0xFF, 0x00]).is_err());
    }
}
