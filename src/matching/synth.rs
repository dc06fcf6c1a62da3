//! A seeded generator of realistic synthetic banks, for benches, tests and
//! demos.
//!
//! Shape: a region → municipalities of up to 15 schools → schools, plus a
//! college, an employer and an additional-education centre per
//! municipality. Per school about 107 mentees (12 teachers: young
//! specialists, teachers with low results, new teachers; 95 pupils:
//! struggling — mostly grades 8–9 —, prevention register, special needs,
//! gifted, adaptation, career guidance) and 60 mentors (25 teachers, some
//! tutors and class teachers; 20 pupil leaders; 8 college students and 7
//! employer representatives at the municipality's partners). Tags come from
//! shared Russian vocabularies, so overlaps are realistic; capacities 1–4;
//! a few consents are missing or given by a minor alone.
//!
//! Programmes: one per form. With one municipality every programme covers
//! it; with several, the same-organisation forms cover the region and the
//! partner forms (`student_pupil`, `employer_pupil`) get one programme per
//! municipality, as colleges and employers partner with local schools.
//!
//! Deterministic for a seed (`StdRng`, ChaCha): `O(schools)` time.

use crate::domain::profile::Person;
use crate::domain::{
    Consent, ConsentGiver, ConsentPurpose, Form, Id, MenteeCategory, MenteeProfile, MentorProfile,
    Organization, OrganizationKind, Period, PersonKind, Programme, Qualification, Rules, StaffRole,
    Weights,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::macros::date;

/// Schools per municipality.
pub const SCHOOLS_PER_MUNICIPALITY: usize = 15;

const SUBJECTS: &[&str] = &[
    "математика",
    "русский язык",
    "литература",
    "физика",
    "химия",
    "биология",
    "история",
    "обществознание",
    "география",
    "информатика",
    "английский язык",
    "физическая культура",
    "технология",
    "музыка",
    "изобразительное искусство",
    "обж",
];
const TEACHER_NEEDS: &[&str] = &[
    "планирование урока",
    "оценивание",
    "работа с родителями",
    "классное руководство",
    "дисциплина на уроке",
    "цифровые инструменты",
    "подготовка к огэ",
    "подготовка к егэ",
    "проектная деятельность",
    "инклюзивное образование",
    "работа с одарёнными",
    "документация",
    "аттестация",
];
const PUPIL_NEEDS: &[&str] = &[
    "подготовка к огэ",
    "подготовка к егэ",
    "мотивация к учёбе",
    "тайм-менеджмент",
    "адаптация в коллективе",
    "олимпиадная подготовка",
    "проектная деятельность",
    "общение со сверстниками",
    "домашние задания",
    "исследовательская работа",
];
const CAREER: &[&str] = &[
    "выбор профессии",
    "профориентация",
    "стажировка",
    "рабочие профессии",
    "it-профессии",
    "медицина",
    "инженерное дело",
    "предпринимательство",
    "поступление в колледж",
];
const INTERESTS: &[&str] = &[
    "спорт",
    "шахматы",
    "робототехника",
    "музыка",
    "театр",
    "волонтёрство",
    "туризм",
    "программирование",
    "рисование",
    "чтение",
    "кино",
    "фотография",
    "танцы",
    "краеведение",
    "экология",
];
const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri"];
const SURNAMES: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
];
const MALE: &[&str] = &[
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Иван",
    "Михаил",
];
const FEMALE: &[&str] = &[
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Екатерина",
    "Дарья",
];
const PATRONYMIC_ROOTS: &[&str] = &["Александров", "Дмитриев", "Сергеев", "Андреев", "Иванов"];
const TOWNS: &[&str] = &[
    "Заречный",
    "Озёрск",
    "Светлогорск",
    "Лесной",
    "Приволжск",
    "Северск",
    "Каменск",
    "Солнечногорск",
    "Березники",
    "Краснослободск",
    "Новоград",
    "Яблоновка",
    "Тихорецк",
];

/// A generated data set, in domain types.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Region, municipalities, schools and partners.
    pub organizations: Vec<Organization>,
    /// The bank of mentors.
    pub mentors: Vec<MentorProfile>,
    /// The bank of mentees.
    pub mentees: Vec<MenteeProfile>,
    /// One programme per form (see the module documentation).
    pub programmes: Vec<Programme>,
}

impl Dataset {
    /// The import format `{organizations, mentors, mentees, programmes}`.
    pub fn to_json(&self) -> Value {
        json!({
            "organizations": self.organizations,
            "mentors": self.mentors,
            "mentees": self.mentees,
            "programmes": self.programmes,
        })
    }
}

/// An id built by the generator.
///
/// # Panics
/// Never in practice: generated ids use only letters, digits and `-`.
fn id(raw: String) -> Id {
    Id::parse(&raw).unwrap_or_else(|e| panic!("generated id {raw:?} is invalid: {e}"))
}

struct Gen {
    rng: StdRng,
}

impl Gen {
    fn pick(&mut self, list: &[&str], lo: usize, hi: usize) -> Vec<String> {
        let k = self.rng.random_range(lo..=hi).min(list.len());
        list.choose_multiple(&mut self.rng, k)
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn one<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list.choose(&mut self.rng).copied().unwrap_or("")
    }

    fn name(&mut self) -> String {
        let female = self.rng.random_bool(0.6);
        let surname = self.one(SURNAMES);
        let root = self.one(PATRONYMIC_ROOTS);
        if female {
            format!("{surname}а {} {root}на", self.one(FEMALE))
        } else {
            format!("{surname} {} {root}ич", self.one(MALE))
        }
    }

    fn slots(
        &mut self,
        lo: usize,
        hi: usize,
        periods: std::ops::RangeInclusive<u32>,
    ) -> Vec<String> {
        let k = self.rng.random_range(lo..=hi);
        let mut out: Vec<String> = Vec::new();
        for _ in 0..k * 3 {
            if out.len() == k {
                break;
            }
            let slot = format!(
                "{}:{}",
                self.one(DAYS),
                self.rng.random_range(periods.clone())
            );
            if !out.contains(&slot) {
                out.push(slot);
            }
        }
        out
    }

    fn consent(&mut self, minor: bool, missing: f64, self_only: f64) -> Option<Consent> {
        let roll: f64 = self.rng.random();
        if roll < missing {
            return None;
        }
        let given_by = if !minor || roll < missing + self_only {
            ConsentGiver::OwnSelf
        } else if self.rng.random_bool(0.9) {
            ConsentGiver::Parent
        } else {
            ConsentGiver::Guardian
        };
        Some(Consent {
            given_by,
            date: date!(2026 - 05 - 20),
            purposes: ConsentPurpose::ALL.to_vec(),
            // Minors' own agreement is recorded with the parent's consent
            // (required from 14; harmless below).
            pupil_agreed_on: (given_by != ConsentGiver::OwnSelf).then_some(date!(2026 - 05 - 20)),
        })
    }

    #[expect(clippy::too_many_arguments, reason = "a person has that many fields")]
    fn person(
        &mut self,
        pid: String,
        org: &Id,
        kind: PersonKind,
        birth_year: i32,
        grade: Option<u8>,
        subjects: Vec<String>,
        consent: Option<Consent>,
        pupil_hours: bool,
    ) -> Person {
        let periods = if pupil_hours { 5..=8 } else { 1..=8 };
        Person {
            id: id(pid),
            organization_id: org.clone(),
            full_name: self.name(),
            birth_year: Some(birth_year),
            grade,
            kind,
            subjects,
            interests: self.pick(INTERESTS, 1, 4),
            availability: self.slots(2, 7, periods),
            consent,
            notes: None,
        }
    }
}

fn org(oid: &str, name: String, kind: OrganizationKind, parent: Option<&Id>) -> Organization {
    Organization {
        id: id(oid.to_owned()),
        name,
        kind,
        parent_id: parent.cloned(),
        teacher_count: None,
        pupil_count: None,
        pupils_by_grade: Default::default(),
    }
}

/// Generates `schools` schools (at least one) with seed `seed`.
pub fn generate(schools: usize, seed: u64) -> Dataset {
    let schools = schools.max(1);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
    };
    let mut organizations = Vec::new();
    let mut mentors = Vec::new();
    let mut mentees = Vec::new();
    let mut programmes = Vec::new();
    let region = org("reg-1", "Область".into(), OrganizationKind::Region, None);
    let region_id = region.id.clone();
    organizations.push(region);
    let n_mun = schools.div_ceil(SCHOOLS_PER_MUNICIPALITY);
    let period = Period {
        start: date!(2026 - 09 - 01),
        end: date!(2027 - 05 - 31),
    };
    let programme = |pid: String, name: String, form: Form, scope: Vec<Id>| Programme {
        id: id(pid),
        name,
        form,
        organization_ids: scope,
        period,
        group: None,
        weights: Weights::default(),
        rules: Rules::default(),
        questions: Vec::new(),
    };
    let mut school_no = 0;
    for k in 1..=n_mun {
        let town = TOWNS[(k - 1) % TOWNS.len()];
        let mun = org(
            &format!("mun-{k}"),
            format!("{town} (округ {k})"),
            OrganizationKind::Municipality,
            Some(&region_id),
        );
        let mun_id = mun.id.clone();
        organizations.push(mun);
        let college = org(
            &format!("col-{k}"),
            format!("Колледж г. {town}"),
            OrganizationKind::College,
            Some(&mun_id),
        );
        let employer = org(
            &format!("emp-{k}"),
            format!("АО «Завод {town}»"),
            OrganizationKind::Employer,
            Some(&mun_id),
        );
        let centre = org(
            &format!("ado-{k}"),
            format!("Дом творчества г. {town}"),
            OrganizationKind::AdditionalEducation,
            Some(&mun_id),
        );
        let (college_id, employer_id) = (college.id.clone(), employer.id.clone());
        organizations.extend([college, employer, centre]);
        let here = (schools - school_no).min(SCHOOLS_PER_MUNICIPALITY);
        for _ in 0..here {
            school_no += 1;
            let s = school_no;
            let school = org(
                &format!("sch-{s}"),
                format!("МБОУ СОШ № {s} г. {town}"),
                OrganizationKind::School,
                Some(&mun_id),
            );
            let sid = school.id.clone();
            organizations.push(school);
            let class_teachers = school_mentors(&mut g, s, &sid, &mut mentors);
            school_mentees(&mut g, s, &sid, &class_teachers, &mut mentees);
            for j in 1..=8 {
                let year = g.rng.random_range(2005..=2009);
                let consent = g.consent(2026 - year < 18, 0.02, 0.03);
                let subjects = g.pick(SUBJECTS, 1, 2);
                let person = g.person(
                    format!("st-{s}-{j}"),
                    &college_id,
                    PersonKind::Student,
                    year,
                    None,
                    subjects,
                    consent,
                    true,
                );
                let mut competencies = g.pick(PUPIL_NEEDS, 1, 3);
                competencies.extend(g.pick(CAREER, 1, 3));
                mentors.push(MentorProfile {
                    person,
                    forms: vec![Form::StudentPupil],
                    capacity: g.rng.random_range(1..=3),
                    competencies,
                    experience_years: None,
                    qualification: Qualification::None,
                    roles: Vec::new(),
                    trained: g.rng.random_bool(0.9),
                });
            }
            for j in 1..=7 {
                let year = g.rng.random_range(1970..=1998);
                let consent = g.consent(false, 0.02, 0.0);
                let subjects = g.pick(SUBJECTS, 0, 1);
                let person = g.person(
                    format!("er-{s}-{j}"),
                    &employer_id,
                    PersonKind::EmployerRepresentative,
                    year,
                    None,
                    subjects,
                    consent,
                    false,
                );
                mentors.push(MentorProfile {
                    person,
                    forms: vec![Form::EmployerPupil],
                    capacity: g.rng.random_range(1..=4),
                    competencies: g.pick(CAREER, 2, 5),
                    experience_years: Some(g.rng.random_range(3..=30)),
                    qualification: Qualification::None,
                    roles: vec![StaffRole::CareerAdviser],
                    trained: g.rng.random_bool(0.85),
                });
            }
        }
        if n_mun > 1 {
            for (form, name) in [
                (Form::StudentPupil, "Студент–ученик"),
                (Form::EmployerPupil, "Работодатель–ученик"),
            ] {
                programmes.push(programme(
                    format!("{}-mun-{k}", form.as_str().replace('_', "-")),
                    format!("{name}: {town}"),
                    form,
                    vec![mun_id.clone()],
                ));
            }
        }
    }
    let scope = if n_mun > 1 {
        region_id
    } else {
        id("mun-1".into())
    };
    let names = [
        (Form::TeacherTeacher, "Учитель–учитель"),
        (Form::TeacherPupil, "Учитель–ученик"),
        (Form::PupilPupil, "Ученик–ученик"),
        (Form::StudentPupil, "Студент–ученик"),
        (Form::EmployerPupil, "Работодатель–ученик"),
    ];
    for (form, name) in names {
        if n_mun == 1 || form.same_organization_by_default() {
            programmes.push(programme(
                form.as_str().replace('_', "-"),
                name.into(),
                form,
                vec![scope.clone()],
            ));
        }
    }
    Dataset {
        organizations,
        mentors,
        mentees,
        programmes,
    }
}

/// 25 teachers and 20 pupil leaders; returns the class teachers' ids.
fn school_mentors(g: &mut Gen, s: usize, sid: &Id, out: &mut Vec<MentorProfile>) -> Vec<Id> {
    let mut class_teachers = Vec::new();
    for j in 1..=25 {
        let experience = g.rng.random_range(1..=35);
        let year = 2026 - 23 - experience as i32 - g.rng.random_range(0..5);
        let consent = g.consent(false, 0.02, 0.0);
        let subjects = g.pick(SUBJECTS, 1, 2);
        let person = g.person(
            format!("t-{s}-{j}"),
            sid,
            PersonKind::Teacher,
            year,
            None,
            subjects,
            consent,
            false,
        );
        let forms = match g.rng.random_range(0..10) {
            0..=3 => vec![Form::TeacherTeacher, Form::TeacherPupil],
            4..=5 => vec![Form::TeacherTeacher],
            _ => vec![Form::TeacherPupil],
        };
        let mut roles = vec![StaffRole::SubjectTeacher];
        if j <= 3 {
            roles.push(StaffRole::Tutor);
        }
        if g.rng.random_bool(0.5) {
            roles.push(StaffRole::ClassTeacher);
            class_teachers.push(person.id.clone());
        }
        if j == 4 {
            roles.push(StaffRole::Psychologist);
        }
        let mut competencies = g.pick(TEACHER_NEEDS, 2, 5);
        competencies.extend(g.pick(PUPIL_NEEDS, 1, 3));
        let qualification = match g.rng.random_range(0..10) {
            0..=2 => Qualification::Highest,
            3..=6 => Qualification::First,
            _ => Qualification::None,
        };
        out.push(MentorProfile {
            person,
            forms,
            capacity: g.rng.random_range(1..=4),
            competencies: normalize(competencies),
            experience_years: Some(experience),
            qualification,
            roles,
            trained: g.rng.random_bool(0.9),
        });
    }
    for j in 1..=20 {
        let grade: u8 = g.rng.random_range(9..=11);
        let consent = g.consent(true, 0.03, 0.03);
        let subjects = g.pick(SUBJECTS, 2, 3);
        let person = g.person(
            format!("pl-{s}-{j}"),
            sid,
            PersonKind::Pupil,
            2026 - 7 - i32::from(grade),
            Some(grade),
            subjects,
            consent,
            true,
        );
        out.push(MentorProfile {
            person,
            forms: vec![Form::PupilPupil],
            capacity: g.rng.random_range(1..=2),
            competencies: g.pick(PUPIL_NEEDS, 2, 4),
            experience_years: None,
            qualification: Qualification::None,
            roles: vec![StaffRole::PupilLeader],
            trained: g.rng.random_bool(0.85),
        });
    }
    class_teachers
}

fn normalize(tags: Vec<String>) -> Vec<String> {
    crate::domain::normalize_tags(tags)
}

/// 12 teacher mentees and 95 pupils in realistic category shares.
fn school_mentees(
    g: &mut Gen,
    s: usize,
    sid: &Id,
    class_teachers: &[Id],
    out: &mut Vec<MenteeProfile>,
) {
    use MenteeCategory::*;
    let teachers = [
        (YoungSpecialist, 5),
        (LowResultsTeacher, 3),
        (NewTeacher, 4),
    ];
    let mut n = 0;
    for (category, count) in teachers {
        for _ in 0..count {
            n += 1;
            let experience = match category {
                YoungSpecialist => g.rng.random_range(0..=2),
                LowResultsTeacher => g.rng.random_range(5..=25),
                _ => g.rng.random_range(2..=15),
            };
            let year = 2026 - 22 - experience as i32 - g.rng.random_range(0..4);
            let consent = g.consent(false, 0.02, 0.0);
            let subjects = g.pick(SUBJECTS, 1, 2);
            let person = g.person(
                format!("mt-{s}-{n}"),
                sid,
                PersonKind::Teacher,
                year,
                None,
                subjects,
                consent,
                false,
            );
            out.push(MenteeProfile {
                person,
                category,
                requests: g.pick(TEACHER_NEEDS, 1, 4),
                class_teacher_id: None,
                experience_years: Some(experience),
            });
        }
    }
    let pupils = [
        (StrugglingPupil, 30),
        (PreventionRegister, 6),
        (SpecialNeeds, 5),
        (Gifted, 14),
        (Adaptation, 15),
        (CareerGuidance, 25),
    ];
    for (category, count) in pupils {
        for _ in 0..count {
            n += 1;
            let grade: u8 = match category {
                StrugglingPupil if g.rng.random_bool(0.6) => g.rng.random_range(8..=9),
                StrugglingPupil => *[5u8, 6, 7, 10].choose(&mut g.rng).unwrap_or(&7),
                PreventionRegister => g.rng.random_range(6..=9),
                SpecialNeeds => g.rng.random_range(1..=9),
                Gifted => g.rng.random_range(5..=10),
                Adaptation => *[1u8, 5, 5, 10, 6, 7].choose(&mut g.rng).unwrap_or(&5),
                _ => g.rng.random_range(8..=11),
            };
            let consent = g.consent(true, 0.03, 0.03);
            let subjects = g.pick(SUBJECTS, 1, 3);
            let person = g.person(
                format!("p-{s}-{n}"),
                sid,
                PersonKind::Pupil,
                2026 - 7 - i32::from(grade),
                Some(grade),
                subjects,
                consent,
                true,
            );
            let requests = match category {
                CareerGuidance => g.pick(CAREER, 1, 3),
                Gifted => {
                    let mut r = vec!["олимпиадная подготовка".to_owned()];
                    r.extend(g.pick(PUPIL_NEEDS, 0, 2));
                    normalize(r)
                }
                _ => g.pick(PUPIL_NEEDS, 1, 3),
            };
            out.push(MenteeProfile {
                person,
                category,
                requests,
                class_teacher_id: class_teachers.choose(&mut g.rng).cloned(),
                experience_years: None,
            });
        }
    }
}
