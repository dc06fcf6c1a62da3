//! Closed vocabularies of the domain, each a string in the API.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A closed vocabulary read from a string, for [`super::FieldReader`].
pub trait Vocabulary: Sized + Copy {
    /// Parses the API spelling.
    fn parse(raw: &str) -> Option<Self>;
    /// The accepted spellings, comma separated.
    fn expected() -> String;
}

/// Declares a string enumeration: serde in `snake_case`, the list of every
/// value (for error messages and the spec) and `parse`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
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

            /// Parses the API spelling (case and surrounding blanks ignored).
            pub fn parse(raw: &str) -> Option<Self> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(raw))
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
        Region => "region",
        Municipality => "municipality",
        School => "school",
        AdditionalEducation => "additional_education",
        College => "college",
        Employer => "employer",
    }
}

string_enum! {
    /// Who a person is.
    PersonKind {
        Teacher => "teacher",
        Pupil => "pupil",
        Student => "student",
        EmployerRepresentative => "employer_representative",
    }
}

string_enum! {
    /// The form of mentoring (форма наставничества).
    Form {
        TeacherTeacher => "teacher_teacher",
        TeacherPupil => "teacher_pupil",
        PupilPupil => "pupil_pupil",
        StudentPupil => "student_pupil",
        EmployerPupil => "employer_pupil",
    }
}

string_enum! {
    /// Why a mentee is in the bank.
    MenteeCategory {
        YoungSpecialist => "young_specialist",
        LowResultsTeacher => "low_results_teacher",
        NewTeacher => "new_teacher",
        StrugglingPupil => "struggling_pupil",
        PreventionRegister => "prevention_register",
        SpecialNeeds => "special_needs",
        Gifted => "gifted",
        Adaptation => "adaptation",
        CareerGuidance => "career_guidance",
    }
}

string_enum! {
    /// A teacher's qualification category.
    Qualification {
        Highest => "highest",
        First => "first",
        None => "none",
    }
}

string_enum! {
    /// Roles a mentor holds at their organisation.
    StaffRole {
        ClassTeacher => "class_teacher",
        Tutor => "tutor",
        Psychologist => "psychologist",
        SocialPedagogue => "social_pedagogue",
        SpeechTherapist => "speech_therapist",
        Defectologist => "defectologist",
        Methodologist => "methodologist",
        DeputyHead => "deputy_head",
        SubjectTeacher => "subject_teacher",
        AdditionalEducationTeacher => "additional_education_teacher",
        CareerAdviser => "career_adviser",
        PupilLeader => "pupil_leader",
    }
}

string_enum! {
    /// Who gave consent to the processing of a person's data.
    ConsentGiver {
        /// The person themself (adults; a pupil's own agreement from 14).
        OwnSelf => "self",
        Parent => "parent",
        Guardian => "guardian",
    }
}

string_enum! {
    /// What a consent covers.
    ConsentPurpose {
        Storage => "storage",
        Matching => "matching",
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
        Subjects => "subjects",
        /// Mentee's requests covered by the mentor's competencies.
        Requests => "requests",
        /// Shared interests.
        Interests => "interests",
        /// Shared free periods.
        Availability => "availability",
        /// The mentor is the pupil's own class teacher.
        ClassTeacher => "class_teacher",
        /// Mentor's experience and qualification.
        Experience => "experience",
        /// Age or grade gap close to the form's ideal.
        AgeGap => "age_gap",
        /// Spare capacity: prefers mentors who are less loaded.
        Load => "load",
    }
}
