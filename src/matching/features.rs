//! Encoding profiles once into compact features for the scoring hot loop.
//!
//! Tags are interned per vocabulary (mentee subjects ↔ mentor subjects,
//! mentee requests ↔ mentor competencies, interests, availability slots),
//! once per bank of profiles ([`TagBank`]), so that the programmes of one
//! request share the interning. Of the profiles encoded together, only
//! tags that occur on *both* sides get a bit, since no other tag can
//! ever be shared; set sizes are kept separately as exact counts. Each
//! profile's four sets are stored as one record of `4 × words` `u64`s.
//! Everything numeric (experience, load, reciprocals of set sizes, the
//! age-gap curve) is pre-computed here, so scoring a pair is a handful of
//! AND + popcount operations, table look-ups and multiply-adds.
//!
//! Complexity: `O(total tags)` hashing plus `O((mentors + mentees) · words)`.

use crate::domain::{Form, MenteeCategory, MenteeProfile, MentorProfile, Qualification};
use std::collections::HashMap;

/// Largest bit-set width, in 64-bit words, per vocabulary (4,096 tags).
/// Tags shared by both sides beyond that (least frequent first) are ignored.
pub const MAX_WORDS: usize = 64;
/// Marker for an unknown age or grade position.
pub const UNKNOWN_POS: i32 = i32::MIN;
/// Marker for "no class teacher among the encoded mentors".
pub const NO_MENTOR: u32 = u32::MAX;
/// Availability overlap counts as full from this many shared slots.
pub const AVAILABILITY_TARGET: u32 = 3;
/// Half-width of the age-gap table (gaps beyond are clamped).
pub const GAP_CLAMP: i32 = 128;

/// Per-mentor numbers of the hot loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MentorScalars {
    /// Number of interests (exact, not only the shared vocabulary).
    pub n_interests: u32,
    /// Grade (negated) in `pupil_pupil`, birth year otherwise; [`UNKNOWN_POS`].
    pub pos: i32,
    /// Experience value 0..1 (see [`experience_value`]).
    pub experience: f64,
    /// Load value 0..1: spare capacity share.
    pub load: f64,
    /// Index of the mentor in the encoded list (for the class-teacher test).
    pub index: u32,
}

/// Per-mentee numbers of the hot loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MenteeScalars {
    /// `1 / subjects`, 0 when the mentee names none.
    pub inv_subjects: f64,
    /// `1 / requests`, 0 when the mentee names none.
    pub inv_requests: f64,
    /// Number of interests.
    pub n_interests: u32,
    /// `min(AVAILABILITY_TARGET, slots)`.
    pub availability_target: u32,
    /// `1 / availability_target`, 0 when the mentee gives no slots.
    pub inv_availability: f64,
    /// Encoded index of the class teacher, [`NO_MENTOR`] if none.
    pub class_teacher: u32,
    /// Same convention as [`MentorScalars::pos`].
    pub pos: i32,
    /// This mentee's cells in [`Features::wish_cells`]: `start..start + len`.
    pub wish_start: u32,
    /// See `wish_start`.
    pub wish_len: u32,
}

/// A pair named in the wishes of either side: the mentor (encoded index)
/// and each side's 1-based rank of the other, 0 when not named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WishCell {
    /// Encoded index of the mentor.
    pub mentor: u32,
    /// The mentee's rank of the mentor (1 = first choice), 0 if not named.
    pub mentee_rank: u8,
    /// The mentor's rank of the mentee, 0 if not named.
    pub mentor_rank: u8,
}

/// Most ranks a wish can have (the API takes at most 10 a person).
pub const WISH_RANKS: u8 = 10;

/// The `wishes` criterion: each side gives `1 − (rank − 1) / 10` for a
/// named partner (1 for a first choice, 0.1 for a tenth) and 0 otherwise;
/// the value is the mean of the two sides. A mutual first choice scores 1,
/// a one-sided first choice 0.5, a mutual second choice 0.9.
pub fn wish_value(mentee_rank: u8, mentor_rank: u8) -> f64 {
    let side = |rank: u8| {
        if rank == 0 || rank > WISH_RANKS {
            0.0
        } else {
            1.0 - f64::from(rank - 1) / f64::from(WISH_RANKS)
        }
    };
    (side(mentee_rank) + side(mentor_rank)) / 2.0
}

/// The encoded problem: bit-set records and scalars for both sides.
#[derive(Debug, Clone)]
pub struct Features {
    /// Words per tag set; a power of two up to [`MAX_WORDS`].
    pub words: usize,
    /// Mentor records: subjects, competencies, interests, availability.
    pub mentor_bits: Vec<u64>,
    /// Mentee records: subjects, requests, interests, availability.
    pub mentee_bits: Vec<u64>,
    /// Mentor scalars, one per mentor.
    pub mentors: Vec<MentorScalars>,
    /// Mentee scalars, one per mentee.
    pub mentees: Vec<MenteeScalars>,
    /// `1 / n` for n in 0..256 (`0` for n = 0): the interests union.
    pub recip: Vec<f64>,
    /// Age-gap value for `gap + GAP_CLAMP`, gap = mentee pos − mentor pos.
    pub age_curve: Vec<f64>,
    /// Pairs named in wishes, each mentee's together (see
    /// [`MenteeScalars::wish_start`]); empty when nobody has wishes.
    pub wish_cells: Vec<WishCell>,
}

impl Features {
    /// Sets the wishes: for each encoded mentee, the pairs either side
    /// named. `O(cells)`.
    pub fn set_wishes(&mut self, per_mentee: Vec<Vec<WishCell>>) {
        self.wish_cells.clear();
        for (es, cells) in self.mentees.iter_mut().zip(per_mentee) {
            es.wish_start = self.wish_cells.len() as u32;
            es.wish_len = cells.len() as u32;
            self.wish_cells.extend(cells);
        }
    }

    /// The wish cell of a pair (encoded indices), if either named the other.
    pub fn wish(&self, mentee: usize, mentor: usize) -> Option<WishCell> {
        let es = &self.mentees[mentee];
        let start = es.wish_start as usize;
        self.wish_cells[start..start + es.wish_len as usize]
            .iter()
            .find(|c| c.mentor as usize == mentor)
            .copied()
    }

    /// Record length in words (`4 × words`).
    pub fn stride(&self) -> usize {
        4 * self.words
    }
}

/// The ideal gap `[low, high]` and fall-off `scale` of a form, in grades
/// (`pupil_pupil`) or years. The value is 1 inside the interval and falls
/// linearly to 0 at `scale` outside it.
pub fn ideal_gap(form: Form) -> (i32, i32, i32) {
    match form {
        Form::PupilPupil => (2, 3, 3),
        Form::TeacherTeacher => (8, 20, 15),
        Form::TeacherPupil => (20, 40, 20),
        Form::StudentPupil => (3, 7, 5),
        Form::EmployerPupil => (10, 30, 15),
    }
}

/// Age-gap value of `gap` for `form`; 0.5 when a position is unknown.
pub fn gap_value(form: Form, gap: i32) -> f64 {
    let (lo, hi, scale) = ideal_gap(form);
    let distance = if gap < lo {
        lo - gap
    } else if gap > hi {
        gap - hi
    } else {
        0
    };
    (1.0 - f64::from(distance) / f64::from(scale)).max(0.0)
}

/// Experience value: `0.7 · min(years, 20) / 20` plus 0.3 for the highest
/// qualification category, 0.15 for the first.
pub fn experience_value(years: Option<u32>, qualification: Qualification) -> f64 {
    let y = f64::from(years.unwrap_or(0).min(20)) / 20.0;
    let q = match qualification {
        Qualification::Highest => 0.3,
        Qualification::First => 0.15,
        Qualification::None => 0.0,
    };
    0.7 * y + q
}

/// Load value: `spare / capacity` (0 for a mentor with no capacity).
pub fn load_value(spare: u32, capacity: u32) -> f64 {
    if capacity == 0 {
        0.0
    } else {
        f64::from(spare.min(capacity)) / f64::from(capacity)
    }
}

/// Position used by the age-gap criterion.
fn position(form: Form, grade: Option<u8>, birth_year: Option<i32>) -> i32 {
    if form == Form::PupilPupil {
        grade.map_or(UNKNOWN_POS, |g| -i32::from(g))
    } else {
        birth_year.unwrap_or(UNKNOWN_POS)
    }
}

/// The four tag vocabularies, in record order: subjects (both sides),
/// requests ↔ competencies, interests, availability slots.
const VOCABULARIES: usize = 4;

/// The tags of a bank of profiles, interned once: every distinct tag of a
/// vocabulary gets a number and every profile its four lists of numbers.
/// Encoding any subset of the bank ([`encode_from`]) then counts and
/// writes numbers, never hashing a tag again. `O(total tags)` to build.
#[derive(Debug, Clone, Default)]
pub struct TagBank {
    /// Each vocabulary's tags by number.
    names: [Vec<String>; VOCABULARIES],
    /// The mentors' tag numbers; list `k` of mentor `i` is
    /// `mentor_tags[mentor_at[4i + k]..mentor_at[4i + k + 1]]`.
    mentor_tags: Vec<u32>,
    /// See `mentor_tags`.
    mentor_at: Vec<u32>,
    /// The mentees' tag numbers, laid out the same way.
    mentee_tags: Vec<u32>,
    /// See `mentee_tags`.
    mentee_at: Vec<u32>,
}

impl TagBank {
    /// Interns the tags of `mentors` and `mentees` (numbered as given).
    pub fn new<'p>(
        mentors: impl IntoIterator<Item = &'p MentorProfile>,
        mentees: impl IntoIterator<Item = &'p MenteeProfile>,
    ) -> Self {
        let mut seen: [HashMap<&str, u32>; VOCABULARIES] = Default::default();
        let mut bank = Self::default();
        let mut intern = |k: usize, tags: &'p [String], out: &mut Vec<u32>, at: &mut Vec<u32>| {
            for t in tags {
                let next = seen[k].len() as u32;
                let n = *seen[k].entry(t.as_str()).or_insert(next);
                out.push(n);
            }
            at.push(out.len() as u32);
        };
        let (mut mentor_tags, mut mentor_at) = (Vec::new(), vec![0]);
        for m in mentors {
            intern(0, &m.person.subjects, &mut mentor_tags, &mut mentor_at);
            intern(1, &m.competencies, &mut mentor_tags, &mut mentor_at);
            intern(2, &m.person.interests, &mut mentor_tags, &mut mentor_at);
            intern(3, &m.person.availability, &mut mentor_tags, &mut mentor_at);
        }
        let (mut mentee_tags, mut mentee_at) = (Vec::new(), vec![0]);
        for e in mentees {
            intern(0, &e.person.subjects, &mut mentee_tags, &mut mentee_at);
            intern(1, &e.requests, &mut mentee_tags, &mut mentee_at);
            intern(2, &e.person.interests, &mut mentee_tags, &mut mentee_at);
            intern(3, &e.person.availability, &mut mentee_tags, &mut mentee_at);
        }
        for (names, seen) in bank.names.iter_mut().zip(&seen) {
            let mut by_number = vec![String::new(); seen.len()];
            for (&t, &n) in seen {
                by_number[n as usize] = t.to_owned();
            }
            *names = by_number;
        }
        bank.mentor_tags = mentor_tags;
        bank.mentor_at = mentor_at;
        bank.mentee_tags = mentee_tags;
        bank.mentee_at = mentee_at;
        bank
    }

    /// List `k` of mentor `i`.
    fn mentor(&self, i: usize, k: usize) -> &[u32] {
        let at = 4 * i + k;
        &self.mentor_tags[self.mentor_at[at] as usize..self.mentor_at[at + 1] as usize]
    }

    /// List `k` of mentee `i`.
    fn mentee(&self, i: usize, k: usize) -> &[u32] {
        let at = 4 * i + k;
        &self.mentee_tags[self.mentee_at[at] as usize..self.mentee_at[at + 1] as usize]
    }
}

/// Bits of the tags used on both sides, by tag number; bit order by
/// frequency, then the tag.
struct Vocab {
    bits: Vec<u32>,
    len: usize,
}

impl Vocab {
    const NONE: u32 = u32::MAX;

    /// `O(tags given + vocabulary)`.
    fn build(
        names: &[String],
        left: impl Iterator<Item = u32>,
        right: impl Iterator<Item = u32>,
    ) -> Self {
        let mut counts = vec![(0u32, 0u32); names.len()];
        for t in left {
            counts[t as usize].0 += 1;
        }
        for t in right {
            counts[t as usize].1 += 1;
        }
        let mut shared: Vec<(u32, u32)> = counts
            .iter()
            .enumerate()
            .filter(|(_, (a, b))| *a > 0 && *b > 0)
            .map(|(t, (a, b))| (t as u32, a + b))
            .collect();
        shared.sort_unstable_by(|x, y| {
            y.1.cmp(&x.1)
                .then_with(|| names[x.0 as usize].cmp(&names[y.0 as usize]))
        });
        shared.truncate(MAX_WORDS * 64);
        let mut bits = vec![Self::NONE; names.len()];
        for (i, (t, _)) in shared.iter().enumerate() {
            bits[*t as usize] = i as u32;
        }
        Self {
            bits,
            len: shared.len(),
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn write(&self, tags: &[u32], out: &mut [u64]) {
        for &t in tags {
            let b = self.bits[t as usize];
            if b != Self::NONE {
                out[b as usize / 64] |= 1 << (b % 64);
            }
        }
    }
}

/// Encodes `mentors` (with their spare capacity) and `mentees` for `form`.
///
/// `spare[i]` is mentor `i`'s capacity left after approved and pinned pairs.
/// Interns their tags ([`TagBank`]) and calls [`encode_from`].
pub fn encode(
    form: Form,
    mentors: &[&MentorProfile],
    spare: &[u32],
    mentees: &[&MenteeProfile],
) -> Features {
    let tags = TagBank::new(mentors.iter().copied(), mentees.iter().copied());
    let mentor_at: Vec<usize> = (0..mentors.len()).collect();
    let mentee_at: Vec<usize> = (0..mentees.len()).collect();
    encode_from(
        &tags,
        form,
        (&mentor_at, mentors),
        spare,
        (&mentee_at, mentees),
    )
}

/// Encodes profiles of a bank whose tags were interned once: mentor `j` is
/// `mentors.1[j]`, number `mentors.0[j]` in `tags`, and the same for the
/// mentees. The features are exactly [`encode`]'s for the same profiles.
/// `O(encoded tags + vocabulary + (mentors + mentees) · words)`, plus the
/// class teachers' ids hashed.
pub fn encode_from(
    tags: &TagBank,
    form: Form,
    mentors: (&[usize], &[&MentorProfile]),
    spare: &[u32],
    mentees: (&[usize], &[&MenteeProfile]),
) -> Features {
    let ((mentor_at, mentors), (mentee_at, mentees)) = (mentors, mentees);
    let vocab = |k: usize| {
        Vocab::build(
            &tags.names[k],
            mentee_at
                .iter()
                .flat_map(|&e| tags.mentee(e, k).iter().copied()),
            mentor_at
                .iter()
                .flat_map(|&m| tags.mentor(m, k).iter().copied()),
        )
    };
    let vocabs = [vocab(0), vocab(1), vocab(2), vocab(3)];
    let widest = vocabs
        .iter()
        .map(|v| v.len().div_ceil(64))
        .max()
        .unwrap_or(1);
    let words = widest.max(1).next_power_of_two().min(MAX_WORDS);
    let stride = 4 * words;

    let mut mentor_bits = vec![0u64; mentors.len() * stride];
    let mut mentor_scalars = Vec::with_capacity(mentors.len());
    let mut index_of: HashMap<&str, u32> = HashMap::with_capacity(mentors.len());
    for (i, m) in mentors.iter().enumerate() {
        let rec = &mut mentor_bits[i * stride..(i + 1) * stride];
        for (k, (v, out)) in vocabs.iter().zip(rec.chunks_mut(words)).enumerate() {
            v.write(tags.mentor(mentor_at[i], k), out);
        }
        index_of.entry(m.person.id.as_str()).or_insert(i as u32);
        mentor_scalars.push(MentorScalars {
            n_interests: m.person.interests.len() as u32,
            pos: position(form, m.person.grade, m.person.birth_year),
            experience: experience_value(m.experience_years, m.qualification),
            load: load_value(spare.get(i).copied().unwrap_or(0), m.capacity),
            index: i as u32,
        });
    }

    let inv = |n: usize| if n == 0 { 0.0 } else { 1.0 / n as f64 };
    let mut mentee_bits = vec![0u64; mentees.len() * stride];
    let mut mentee_scalars = Vec::with_capacity(mentees.len());
    for (i, e) in mentees.iter().enumerate() {
        let rec = &mut mentee_bits[i * stride..(i + 1) * stride];
        for (k, (v, out)) in vocabs.iter().zip(rec.chunks_mut(words)).enumerate() {
            v.write(tags.mentee(mentee_at[i], k), out);
        }
        let target = AVAILABILITY_TARGET.min(e.person.availability.len() as u32);
        mentee_scalars.push(MenteeScalars {
            inv_subjects: inv(e.person.subjects.len()),
            inv_requests: inv(e.requests.len()),
            n_interests: e.person.interests.len() as u32,
            availability_target: target,
            inv_availability: inv(target as usize),
            class_teacher: e
                .class_teacher_id
                .as_ref()
                .and_then(|id| index_of.get(id.as_str()).copied())
                .unwrap_or(NO_MENTOR),
            pos: position(form, e.person.grade, e.person.birth_year),
            wish_start: 0,
            wish_len: 0,
        });
    }

    let recip = (0..256).map(inv).collect();
    let age_curve = (-GAP_CLAMP..=GAP_CLAMP)
        .map(|g| gap_value(form, g))
        .collect();
    Features {
        words,
        mentor_bits,
        mentee_bits,
        mentors: mentor_scalars,
        mentees: mentee_scalars,
        recip,
        age_curve,
        wish_cells: Vec::new(),
    }
}

/// Whether a category is one of the pupil categories (grades matter).
pub fn is_pupil_category(category: MenteeCategory) -> bool {
    !Form::TeacherTeacher.categories().contains(&category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::synth::generate;

    #[test]
    fn a_subset_encoded_from_the_bank_is_encoded_as_on_its_own() {
        let data = generate(6, 11);
        let tags = TagBank::new(&data.mentors, &data.mentees);
        let mentor_at: Vec<usize> = (0..data.mentors.len()).step_by(3).collect();
        let mentee_at: Vec<usize> = (1..data.mentees.len()).step_by(2).collect();
        let mentors: Vec<&MentorProfile> = mentor_at.iter().map(|&m| &data.mentors[m]).collect();
        let mentees: Vec<&MenteeProfile> = mentee_at.iter().map(|&e| &data.mentees[e]).collect();
        let spare: Vec<u32> = mentors.iter().map(|m| m.capacity / 2).collect();
        for form in [Form::TeacherPupil, Form::PupilPupil] {
            let alone = encode(form, &mentors, &spare, &mentees);
            let shared = encode_from(
                &tags,
                form,
                (&mentor_at, &mentors),
                &spare,
                (&mentee_at, &mentees),
            );
            assert!(alone.mentee_bits.iter().any(|&w| w != 0), "tags are shared");
            assert_eq!(shared.words, alone.words);
            assert_eq!(shared.mentor_bits, alone.mentor_bits);
            assert_eq!(shared.mentee_bits, alone.mentee_bits);
            assert_eq!(shared.mentors, alone.mentors);
            assert_eq!(shared.mentees, alone.mentees);
            assert_eq!(shared.age_curve, alone.age_curve);
        }
    }
}
