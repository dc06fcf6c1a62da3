//! The columns of the banks in spreadsheets: each API field beside its
//! Russian heading and what it accepts — the one table the import, the
//! templates and the exports' Russian headings all read.
//!
//! The Russian words of the values live with the vocabularies themselves
//! ([`super::enums`]); a column names its vocabulary through `values`.

use super::enums::{
    ConsentGiver, ConsentPurpose, Form, MenteeCategory, OrganizationKind, PersonKind,
    Qualification, StaffRole, Vocabulary, fold_word, words,
};

/// One column of a bank's spreadsheet.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The API field, dotted for nested ones (`consent.date`).
    pub field: &'static str,
    /// The Russian heading of templates and exports.
    pub heading: &'static str,
    /// What the column accepts, in Russian (the templates' «Поля» sheet).
    pub accepts: &'static str,
    /// The Russian words of a closed vocabulary (the drop-down list).
    pub values: Option<fn() -> Vec<&'static str>>,
    /// Whether a cell holds a list separated by `;`.
    pub list: bool,
    /// Whether a cell holds a date.
    pub date: bool,
}

const fn text(field: &'static str, heading: &'static str, accepts: &'static str) -> Column {
    Column {
        field,
        heading,
        accepts,
        values: None,
        list: false,
        date: false,
    }
}

const fn list(field: &'static str, heading: &'static str, accepts: &'static str) -> Column {
    Column {
        list: true,
        ..text(field, heading, accepts)
    }
}

const fn date(field: &'static str, heading: &'static str, accepts: &'static str) -> Column {
    Column {
        date: true,
        ..text(field, heading, accepts)
    }
}

const fn one_of(
    field: &'static str,
    heading: &'static str,
    accepts: &'static str,
    values: fn() -> Vec<&'static str>,
) -> Column {
    Column {
        values: Some(values),
        ..text(field, heading, accepts)
    }
}

const fn some_of(
    field: &'static str,
    heading: &'static str,
    accepts: &'static str,
    values: fn() -> Vec<&'static str>,
) -> Column {
    Column {
        values: Some(values),
        list: true,
        ..text(field, heading, accepts)
    }
}

fn yes_no() -> Vec<&'static str> {
    vec!["да", "нет"]
}

/// The Russian words of `E`, as a column's drop-down list.
fn vocabulary<E: Vocabulary>() -> Vec<&'static str> {
    words::<E>()
}

/// Headings shared by several tables.
pub mod heading {
    /// The form of mentoring.
    pub const FORM: &str = "Форма наставничества";
    /// An organisation by name.
    pub const ORGANIZATION: &str = "Организация";
}

const ID: Column = text(
    "id",
    "Идентификатор",
    "обязательно; буквы, цифры и - _ . : @, до 128 знаков; один и тот же у человека в обоих банках",
);
const ORGANIZATION_ID: Column = text(
    "organization_id",
    "Код организации",
    "обязательно; идентификатор организации из банка организаций",
);
const FULL_NAME: Column = text("full_name", "ФИО", "обязательно; до 300 знаков");
const BIRTH_YEAR: Column = text("birth_year", "Год рождения", "целое число 1920–2030");
const GRADE: Column = text("grade", "Класс", "целое число 1–11, только у обучающихся");
const KIND: Column = one_of(
    "kind",
    "Вид участника",
    "обязательно; одно значение из списка",
    vocabulary::<PersonKind>,
);
const SUBJECTS: Column = list("subjects", "Предметы", "список через «;»");
const INTERESTS: Column = list("interests", "Интересы", "список через «;»");
const AVAILABILITY: Column = list(
    "availability",
    "Свободное время",
    "список через «;» вида mon:5 (день недели:урок)",
);
const EXPERIENCE: Column = text("experience_years", "Стаж, лет", "целое число 0–80");
const CONSENT_GIVEN_BY: Column = one_of(
    "consent.given_by",
    "Согласие дал",
    "одно значение из списка; пусто, если согласия нет",
    vocabulary::<ConsentGiver>,
);
const CONSENT_DATE: Column = date(
    "consent.date",
    "Дата согласия",
    "дата дд.мм.гггг или гггг-мм-дд; обязательна, если согласие есть",
);
const CONSENT_PURPOSES: Column = some_of(
    "consent.purposes",
    "Цели согласия",
    "список через «;» из значений списка; пусто — хранение и подбор",
    vocabulary::<ConsentPurpose>,
);
const PUPIL_AGREED_ON: Column = date(
    "consent.pupil_agreed_on",
    "Дата согласия обучающегося",
    "дата дд.мм.гггг; обязательна для обучающихся 14–17 лет",
);
const NOTES: Column = text("notes", "Примечания", "свободный текст до 4000 знаков");

/// The columns of the bank of mentors, in template order.
pub const MENTOR_COLUMNS: &[Column] = &[
    ID,
    ORGANIZATION_ID,
    FULL_NAME,
    BIRTH_YEAR,
    GRADE,
    KIND,
    some_of(
        "forms",
        "Формы наставничества",
        "список через «;» из значений списка",
        vocabulary::<Form>,
    ),
    text(
        "capacity",
        "Число наставляемых",
        "целое число 0–30 (по умолчанию 1)",
    ),
    SUBJECTS,
    list(
        "competencies",
        "Компетенции",
        "список через «;»: с чем наставник может помочь",
    ),
    INTERESTS,
    EXPERIENCE,
    one_of(
        "qualification",
        "Квалификационная категория",
        "одно значение из списка (по умолчанию без категории)",
        vocabulary::<Qualification>,
    ),
    some_of(
        "roles",
        "Должности и роли",
        "список через «;» из значений списка",
        vocabulary::<StaffRole>,
    ),
    one_of(
        "trained",
        "Прошёл обучение",
        "да или нет (по умолчанию нет)",
        yes_no,
    ),
    AVAILABILITY,
    CONSENT_GIVEN_BY,
    CONSENT_DATE,
    CONSENT_PURPOSES,
    PUPIL_AGREED_ON,
    NOTES,
];

/// The columns of the bank of mentees, in template order.
pub const MENTEE_COLUMNS: &[Column] = &[
    ID,
    ORGANIZATION_ID,
    FULL_NAME,
    BIRTH_YEAR,
    GRADE,
    KIND,
    one_of(
        "category",
        "Категория наставляемого",
        "обязательно; одно значение из списка",
        vocabulary::<MenteeCategory>,
    ),
    SUBJECTS,
    list(
        "requests",
        "Запросы",
        "список через «;»: с чем нужна помощь",
    ),
    INTERESTS,
    text(
        "class_teacher_id",
        "Классный руководитель (идентификатор)",
        "идентификатор наставника",
    ),
    EXPERIENCE,
    AVAILABILITY,
    CONSENT_GIVEN_BY,
    CONSENT_DATE,
    CONSENT_PURPOSES,
    PUPIL_AGREED_ON,
    NOTES,
];

const fn grade_count(field: &'static str, heading: &'static str) -> Column {
    text(field, heading, "целое число обучающихся этого класса")
}

/// The columns of the bank of organisations, in template order.
pub const ORGANIZATION_COLUMNS: &[Column] = &[
    text(
        "id",
        "Идентификатор",
        "обязательно; буквы, цифры и - _ . : @, до 128 знаков",
    ),
    text("name", "Наименование", "обязательно; до 300 знаков"),
    one_of(
        "kind",
        "Тип организации",
        "обязательно; одно значение из списка",
        vocabulary::<OrganizationKind>,
    ),
    text(
        "parent_id",
        "Вышестоящая организация (идентификатор)",
        "идентификатор региона или муниципалитета; пусто у региона",
    ),
    text("teacher_count", "Число педагогов", "целое число"),
    text("pupil_count", "Число обучающихся", "целое число"),
    grade_count("pupils_by_grade.1", "Обучающихся в 1 классе"),
    grade_count("pupils_by_grade.2", "Обучающихся во 2 классе"),
    grade_count("pupils_by_grade.3", "Обучающихся в 3 классе"),
    grade_count("pupils_by_grade.4", "Обучающихся в 4 классе"),
    grade_count("pupils_by_grade.5", "Обучающихся в 5 классе"),
    grade_count("pupils_by_grade.6", "Обучающихся в 6 классе"),
    grade_count("pupils_by_grade.7", "Обучающихся в 7 классе"),
    grade_count("pupils_by_grade.8", "Обучающихся в 8 классе"),
    grade_count("pupils_by_grade.9", "Обучающихся в 9 классе"),
    grade_count("pupils_by_grade.10", "Обучающихся в 10 классе"),
    grade_count("pupils_by_grade.11", "Обучающихся в 11 классе"),
];

/// Who says the wishes of a row of the wishes sheet («Кто выбирает»): a
/// mentee naming mentors or a mentor naming mentees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chooser {
    /// A mentee, naming mentors.
    Mentee,
    /// A mentor, naming mentees.
    Mentor,
}

impl Vocabulary for Chooser {
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::all()
            .iter()
            .copied()
            .find(|v| v.code().eq_ignore_ascii_case(raw))
    }

    fn expected() -> String {
        "mentee, mentor".to_owned()
    }

    fn parse_word(raw: &str) -> Option<Self> {
        let folded = fold_word(raw);
        Self::all()
            .iter()
            .copied()
            .find(|v| fold_word(v.word()) == folded)
    }

    fn word(self) -> &'static str {
        match self {
            Chooser::Mentee => "наставляемый",
            Chooser::Mentor => "наставник",
        }
    }

    fn all() -> &'static [Self] {
        &[Chooser::Mentee, Chooser::Mentor]
    }

    fn code(self) -> &'static str {
        match self {
            Chooser::Mentee => "mentee",
            Chooser::Mentor => "mentor",
        }
    }
}

const fn choice(field: &'static str, heading: &'static str) -> Column {
    text(
        field,
        heading,
        "идентификатор человека другой стороны; выборы подряд, без пропусков",
    )
}

/// The columns of the wishes sheet (`kind=preferences`), a row per person
/// who wishes, in template order: the choices are ranked, most wanted
/// first, as many as the service keeps (`service::wishes::MAX_WISHES`).
pub const PREFERENCE_COLUMNS: &[Column] = &[
    text(
        "programme_id",
        "Программа",
        "обязательно; идентификатор программы",
    ),
    one_of(
        "side",
        "Кто выбирает",
        "обязательно; наставляемый (выбирает наставников) или наставник (выбирает наставляемых)",
        vocabulary::<Chooser>,
    ),
    text(
        "person_id",
        "Участник",
        "обязательно; идентификатор того, кто выбирает; одна строка на человека в программе",
    ),
    text(
        "choice_1",
        "1-й выбор",
        "идентификатор самого желанного человека другой стороны; если все выборы пусты, пожелания участника снимаются",
    ),
    choice("choice_2", "2-й выбор"),
    choice("choice_3", "3-й выбор"),
    choice("choice_4", "4-й выбор"),
    choice("choice_5", "5-й выбор"),
    choice("choice_6", "6-й выбор"),
    choice("choice_7", "7-й выбор"),
    choice("choice_8", "8-й выбор"),
    choice("choice_9", "9-й выбор"),
    choice("choice_10", "10-й выбор"),
];

/// The API field of the `n`-th choice (from 1) of the wishes sheet.
pub fn choice_field(n: usize) -> String {
    format!("choice_{n}")
}

/// The number (from 1) of the choice a heading of the wishes sheet names:
/// `choice_3`, «3-й выбор», «3 выбор». Any number, so that a column past
/// the last one the template has is named as a choice too many rather
/// than as an unknown column.
pub fn choice_number(heading: &str) -> Option<usize> {
    let folded = fold_word(heading);
    let number = match folded.strip_prefix("choice_") {
        Some(number) => number,
        None => {
            let rest = folded.strip_suffix("выбор")?.trim_end();
            ["-й", "-ый", "й"]
                .iter()
                .find_map(|ending| rest.strip_suffix(ending))
                .unwrap_or(rest)
        }
    };
    number.parse::<usize>().ok().filter(|&n| n >= 1)
}

/// The field a heading of the wishes sheet names: as [`field_of`], and
/// any numbered choice (see [`choice_number`]).
pub fn preference_field(heading: &str) -> Option<String> {
    field_of(PREFERENCE_COLUMNS, heading)
        .map(str::to_owned)
        .or_else(|| choice_number(heading).map(choice_field))
}

/// The field a heading names among `columns`: the API field name itself
/// or its Russian heading (case, `ё` and blanks ignored); `None` when it
/// names neither.
pub fn field_of(columns: &[Column], heading: &str) -> Option<&'static str> {
    let trimmed = heading.trim();
    if let Some(column) = columns.iter().find(|c| c.field == trimmed) {
        return Some(column.field);
    }
    let folded = fold_word(trimmed);
    columns
        .iter()
        .find(|c| fold_word(c.heading) == folded)
        .map(|c| c.field)
}

/// The headings of the list for the school's order (`pairs.csv`,
/// `pairs.xlsx`), in Russian.
pub const ORDER_HEADINGS_RU: [&str; 9] = [
    "№",
    "Наставник",
    "Наставляемые",
    heading::FORM,
    heading::ORGANIZATION,
    "Дата начала",
    "Дата окончания",
    "Номер приказа",
    "Дата приказа",
];

/// The headings of an order's attachment (`orders/{id}.xlsx`, `.docx`).
pub const ATTACHMENT_HEADINGS_RU: [&str; 8] = [
    "№",
    "Наставник",
    "Должность",
    "Наставляемый",
    "Класс/должность",
    "Форма",
    "Начало",
    "Окончание",
];

/// The heading of an order's attachment: «Приложение к приказу № N от дд.мм.гггг».
pub fn attachment_title_ru(number: &str, date: &str) -> String {
    format!("Приложение к приказу № {number} от {date}")
}

/// The line an attachment is signed on.
pub const ATTACHMENT_SIGNATURE_RU: &str = "Руководитель ____________________";

/// The headings of the indicators export, in Russian.
pub const INDICATOR_HEADINGS_RU: [&str; 10] = [
    heading::ORGANIZATION,
    heading::FORM,
    "Код показателя",
    "Показатель",
    "Числитель",
    "Знаменатель",
    "Доля",
    "Процент",
    "План, %",
    "Отклонение от плана",
];

/// What an indicator export writes where the denominator is 0, in Russian.
pub const NO_DATA_RU: &str = "нет данных";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_and_field_names_both_name_a_field() {
        assert_eq!(
            field_of(MENTEE_COLUMNS, "consent.date"),
            Some("consent.date")
        );
        assert_eq!(
            field_of(MENTEE_COLUMNS, " дата  СОГЛАСИЯ "),
            Some("consent.date")
        );
        assert_eq!(field_of(MENTOR_COLUMNS, "Прошел обучение"), Some("trained"));
        assert_eq!(field_of(MENTEE_COLUMNS, "Формы наставничества"), None);
    }

    #[test]
    fn choices_are_read_by_number_past_the_templates_last() {
        assert_eq!(preference_field("Кто выбирает").as_deref(), Some("side"));
        assert_eq!(preference_field("10-й выбор").as_deref(), Some("choice_10"));
        assert_eq!(
            preference_field("11-й  ВЫБОР").as_deref(),
            Some("choice_11")
        );
        assert_eq!(preference_field("12 выбор").as_deref(), Some("choice_12"));
        assert_eq!(preference_field("choice_11").as_deref(), Some("choice_11"));
        assert_eq!(preference_field("0-й выбор"), None);
        assert_eq!(preference_field("выбор"), None);
        assert_eq!(Chooser::parse_word("Наставляемый"), Some(Chooser::Mentee));
        assert_eq!(Chooser::parse("MENTOR"), Some(Chooser::Mentor));
        let choices = PREFERENCE_COLUMNS
            .iter()
            .filter(|c| choice_number(c.heading).is_some())
            .count();
        assert_eq!(choices, 10);
    }

    #[test]
    fn every_heading_of_a_table_is_distinct() {
        for columns in [
            MENTOR_COLUMNS,
            MENTEE_COLUMNS,
            ORGANIZATION_COLUMNS,
            PREFERENCE_COLUMNS,
        ] {
            let mut seen = std::collections::HashSet::new();
            for c in columns {
                assert!(seen.insert(fold_word(c.heading)), "{}", c.heading);
            }
        }
    }

    #[test]
    fn russian_words_read_back_as_their_codes() {
        assert_eq!(
            MenteeCategory::parse_word("Обучающийся с ОВЗ"),
            Some(MenteeCategory::SpecialNeeds)
        );
        assert_eq!(
            Form::parse_word("учитель - ученик"),
            Some(Form::TeacherPupil)
        );
        assert_eq!(Form::parse_word("Учитель—ученик"), Some(Form::TeacherPupil));
        for columns in [
            MENTOR_COLUMNS,
            MENTEE_COLUMNS,
            ORGANIZATION_COLUMNS,
            PREFERENCE_COLUMNS,
        ] {
            for c in columns {
                if let Some(values) = c.values {
                    let values = values();
                    let distinct: std::collections::HashSet<_> =
                        values.iter().map(|v| fold_word(v)).collect();
                    assert_eq!(distinct.len(), values.len(), "{}", c.field);
                }
            }
        }
    }
}
