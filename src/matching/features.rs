//! Encoding profiles once into compact features for the scoring hot loop.
//!
//! Tags are interned per vocabulary (mentee subjects ↔ mentor subjects,
//! mentee requests ↔ mentor competencies, interests, availability slots).
//! Only tags that occur on *both* sides get a bit, since no other tag can
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

/// Interns tags used on both sides; bit order by frequency, then the tag.
struct Vocab {
    bits: HashMap<String, usize>,
}

impl Vocab {
    fn build<'a>(
        left: impl Iterator<Item = &'a String>,
        right: impl Iterator<Item = &'a String>,
    ) -> Self {
        let mut counts: HashMap<&str, (u32, u32)> = HashMap::new();
        for t in left {
            counts.entry(t).or_default().0 += 1;
        }
        for t in right {
            counts.entry(t).or_default().1 += 1;
        }
        let mut shared: Vec<(&str, u32)> = counts
            .into_iter()
            .filter(|(_, (a, b))| *a > 0 && *b > 0)
            .map(|(t, (a, b))| (t, a + b))
            .collect();
        shared.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
        shared.truncate(MAX_WORDS * 64);
        let bits = shared
            .into_iter()
            .enumerate()
            .map(|(i, (t, _))| (t.to_owned(), i))
            .collect();
        Self { bits }
    }

    fn len(&self) -> usize {
        self.bits.len()
    }

    fn write(&self, tags: &[String], out: &mut [u64]) {
        for t in tags {
            if let Some(&b) = self.bits.get(t) {
                out[b / 64] |= 1 << (b % 64);
            }
        }
    }
}

/// Encodes `mentors` (with their spare capacity) and `mentees` for `form`.
///
/// `spare[i]` is mentor `i`'s capacity left after approved and pinned pairs.
pub fn encode(
    form: Form,
    mentors: &[&MentorProfile],
    spare: &[u32],
    mentees: &[&MenteeProfile],
) -> Features {
    let subjects = Vocab::build(
        mentees.iter().flat_map(|e| &e.person.subjects),
        mentors.iter().flat_map(|m| &m.person.subjects),
    );
    let requests = Vocab::build(
        mentees.iter().flat_map(|e| &e.requests),
        mentors.iter().flat_map(|m| &m.competencies),
    );
    let interests = Vocab::build(
        mentees.iter().flat_map(|e| &e.person.interests),
        mentors.iter().flat_map(|m| &m.person.interests),
    );
    let slots = Vocab::build(
        mentees.iter().flat_map(|e| &e.person.availability),
        mentors.iter().flat_map(|m| &m.person.availability),
    );
    let widest = [&subjects, &requests, &interests, &slots]
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
        let (s, rest) = rec.split_at_mut(words);
        let (c, rest) = rest.split_at_mut(words);
        let (t, a) = rest.split_at_mut(words);
        subjects.write(&m.person.subjects, s);
        requests.write(&m.competencies, c);
        interests.write(&m.person.interests, t);
        slots.write(&m.person.availability, a);
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
        let (s, rest) = rec.split_at_mut(words);
        let (c, rest) = rest.split_at_mut(words);
        let (t, a) = rest.split_at_mut(words);
        subjects.write(&e.person.subjects, s);
        requests.write(&e.requests, c);
        interests.write(&e.person.interests, t);
        slots.write(&e.person.availability, a);
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
