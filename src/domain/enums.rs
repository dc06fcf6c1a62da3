//! Closed vocabularies of the domain, each a string in the API.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A closed vocabulary read from a string, for [`super::FieldReader`].
pub trait Vocabulary: Sized + Copy + 'static {
    /// Parses the API spelling.
    fn parse(raw: &str) -> Option<Self>;
    /// The accepted spellings, comma separated.
    fn expected() -> String;
    /// Parses the Russian word a spreadsheet holds (see [`words`]).
    fn parse_word(raw: &str) -> Option<Self>;
    /// The Russian word of the value, as templates and exports write it.
    fn word(self) -> &'static str;
    /// Every value, in declaration order.
    fn all() -> &'static [Self];
    /// The API spelling of the value.
    fn code(self) -> &'static str;
}

/// The Russian words of every value of `E`, in declaration order (the
/// drop-down lists of the templates).
pub fn words<E: Vocabulary>() -> Vec<&'static str> {
    E::all().iter().map(|v| v.word()).collect()
}

/// The accepted spellings of a spreadsheet cell: each code with its
/// Russian word, for error messages.
pub fn expected_with_words<E: Vocabulary>() -> String {
    E::all()
        .iter()
        .map(|v| format!("{} ({})", v.code(), v.word()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Russian word folded for comparison: lower case, `ё` as `е`, every
/// dash as `-` with no blanks around it, inner blanks single.
pub fn fold_word(raw: &str) -> String {
    let lowered = raw.trim().to_lowercase().replace('ё', "е");
    let dashed: String = lowered
        .chars()
        .map(|c| {
            if matches!(c, '–' | '—' | '‑' | '−') {
                '-'
            } else {
                c
            }
        })
        .collect();
    dashed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" - ", "-")
        .replace(" -", "-")
        .replace("- ", "-")
}

/// Declares a string enumeration: serde in `snake_case`, the list of every
/// value (for error messages and the spec), `parse`, and each value's
/// Russian word (first) with other Russian spellings a spreadsheet may hold.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt / $word:tt $(| $alias:tt)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as it appears in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value in Russian, as templates and exports write it.
            pub fn ru(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// Parses the API spelling (case and surrounding blanks ignored).
            pub fn parse(raw: &str) -> Option<Self> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(raw))
            }

            /// Parses a Russian spelling (see [`fold_word`]).
            pub fn parse_word(raw: &str) -> Option<Self> {
                let folded = fold_word(raw);
                $(
                    if fold_word($word) == folded $(|| fold_word($alias) == folded)* {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl Vocabulary for $name {
            fn parse(raw: &str) -> Option<Self> {
                $name::parse(raw)
            }
            fn expected() -> String {
                $name::expected()
            }
            fn parse_word(raw: &str) -> Option<Self> {
                $name::parse_word(raw)
            }
            fn word(self) -> &'static str {
                self.ru()
            }
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What an organisation is; they form a tree region → municipality → the rest.
    OrganizationKind {
        Region => "region" / "регион" | "субъект РФ",
        Municipality => "municipality" / "муниципалитет" | "муниципальное образование" | "муниципальный район",
        School => "school" / "школа" | "общеобразовательная организация",
        AdditionalEducation => "additional_education" / "организация дополнительного образования" | "дополнительное образование",
        College => "college" / "колледж" | "техникум" | "СПО",
        Employer => "employer" / "работодатель" | "предприятие",
    }
}

string_enum! {
    /// Who a person is.
    PersonKind {
        Teacher => "teacher" / "педагог" | "учитель",
        Pupil => "pupil" / "обучающийся" | "ученик" | "школьник",
        Student => "student" / "студент",
        EmployerRepresentative => "employer_representative" / "представитель работодателя",
    }
}

string_enum! {
    /// The form of mentoring (форма наставничества).
    Form {
        TeacherTeacher => "teacher_teacher" / "учитель – учитель" | "педагог – педагог",
        TeacherPupil => "teacher_pupil" / "учитель – ученик" | "педагог – обучающийся",
        PupilPupil => "pupil_pupil" / "ученик – ученик" | "обучающийся – обучающийся",
        StudentPupil => "student_pupil" / "студент – ученик" | "студент – обучающийся",
        EmployerPupil => "employer_pupil" / "работодатель – ученик" | "работодатель – обучающийся",
    }
}

string_enum! {
    /// Why a mentee is in the bank.
    MenteeCategory {
        YoungSpecialist => "young_specialist" / "молодой специалист",
        LowResultsTeacher => "low_results_teacher" / "педагог с низкими результатами" | "педагог с низкими образовательными результатами",
        NewTeacher => "new_teacher" / "новый педагог" | "новый сотрудник",
        StrugglingPupil => "struggling_pupil" / "неуспевающий обучающийся" | "неуспевающий ученик" | "неуспевающий",
        PreventionRegister => "prevention_register" / "обучающийся на профилактическом учёте" | "профилактический учёт" | "на профилактическом учёте",
        SpecialNeeds => "special_needs" / "обучающийся с ОВЗ" | "ОВЗ" | "ученик с ОВЗ",
        Gifted => "gifted" / "одарённый обучающийся" | "одарённый" | "одарённый ученик",
        Adaptation => "adaptation" / "адаптация" | "обучающийся в адаптации",
        CareerGuidance => "career_guidance" / "профориентация",
    }
}

string_enum! {
    /// A teacher's qualification category.
    Qualification {
        Highest => "highest" / "высшая" | "высшая категория",
        First => "first" / "первая" | "первая категория",
        None => "none" / "без категории" | "нет",
    }
}

string_enum! {
    /// Roles a mentor holds at their organisation.
    StaffRole {
        ClassTeacher => "class_teacher" / "классный руководитель",
        Tutor => "tutor" / "тьютор",
        Psychologist => "psychologist" / "педагог-психолог" | "психолог",
        SocialPedagogue => "social_pedagogue" / "социальный педагог",
        SpeechTherapist => "speech_therapist" / "учитель-логопед" | "логопед",
        Defectologist => "defectologist" / "учитель-дефектолог" | "дефектолог",
        Methodologist => "methodologist" / "методист",
        DeputyHead => "deputy_head" / "заместитель директора" | "завуч",
        SubjectTeacher => "subject_teacher" / "учитель-предметник",
        AdditionalEducationTeacher => "additional_education_teacher" / "педагог дополнительного образования" | "педагог доп. образования",
        CareerAdviser => "career_adviser" / "профконсультант",
        PupilLeader => "pupil_leader" / "лидер ученического актива",
    }
}

string_enum! {
    /// Who gave consent to the processing of a person's data.
    ConsentGiver {
        /// The person themself (adults; a pupil's own agreement from 14).
        OwnSelf => "self" / "сам" | "лично" | "сама" | "сам(а)",
        Parent => "parent" / "родитель",
        Guardian => "guardian" / "законный представитель" | "опекун",
    }
}

string_enum! {
    /// What a consent covers.
    ConsentPurpose {
        Storage => "storage" / "хранение",
        Matching => "matching" / "подбор",
    }
}

impl Form {
    /// The mentee categories a programme of this form serves (DOMAIN.md).
    pub fn categories(self) -> &'static [MenteeCategory] {
        use MenteeCategory::*;
        match self {
            Form::TeacherTeacher => &[YoungSpecialist, LowResultsTeacher, NewTeacher],
            Form::TeacherPupil => &[
                StrugglingPupil,
                PreventionRegister,
                SpecialNeeds,
                Gifted,
                Adaptation,
            ],
            Form::PupilPupil => &[StrugglingPupil, Adaptation, Gifted],
            Form::StudentPupil => &[CareerGuidance, Gifted, StrugglingPupil, Adaptation],
            Form::EmployerPupil => &[CareerGuidance],
        }
    }

    /// Whether mentors come from the mentee's own organisation (as opposed
    /// to a partner college or employer).
    pub fn same_organization_by_default(self) -> bool {
        matches!(
            self,
            Form::TeacherTeacher | Form::TeacherPupil | Form::PupilPupil
        )
    }
}

impl MenteeCategory {
    /// Categories whose status is sensitive personal data (health, minors
    /// on prevention registers).
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            MenteeCategory::SpecialNeeds | MenteeCategory::PreventionRegister
        )
    }
}

string_enum! {
    /// A soft matching criterion; each scores a pair 0..1 and carries a weight.
    Criterion {
        /// Mentor teaches or knows the subjects where the mentee needs help.
        Subjects => "subjects" / "предметы",
        /// Mentee's requests covered by the mentor's competencies.
        Requests => "requests" / "запросы и компетенции",
        /// Shared interests.
        Interests => "interests" / "общие интересы",
        /// Shared free periods.
        Availability => "availability" / "свободное время",
        /// The mentor is the pupil's own class teacher.
        ClassTeacher => "class_teacher" / "классный руководитель",
        /// Mentor's experience and qualification.
        Experience => "experience" / "стаж и квалификация",
        /// Age or grade gap close to the form's ideal.
        AgeGap => "age_gap" / "разница в возрасте или классе",
        /// Spare capacity: prefers mentors who are less loaded.
        Load => "load" / "загрузка наставника",
        /// Wishes said at the joint meeting: a mutual first choice highest.
        Wishes => "wishes" / "пожелания участников",
    }
}
