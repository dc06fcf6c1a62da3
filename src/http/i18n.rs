//! Russian texts of every problem the API returns, in one place.
//!
//! Messages are written in English where they arise (field readers, the
//! store, handlers); this catalog turns them into Russian when the problem
//! is rendered for a request that asked for it. Each entry pairs an English
//! template with a Russian one: `{name}` in the English template captures
//! a parameter (an id, a number, a list), which the Russian template puts
//! back verbatim or through a filter:
//!
//! - `{name}` — verbatim;
//! - `{name:tr}` — itself translated through this catalog (end reasons,
//!   rule words, nested messages), verbatim when it has no entry;
//! - `{name:trlist}` — a comma-separated list, each item translated;
//! - `{name:or}` — a list joined by " or ", joined by " или " instead;
//! - `{name:plural:one|few|many}` — the Russian word form agreeing with
//!   the number in `name` (1 место, 2 места, 5 мест).
//!
//! `{{` and `}}` stand for literal braces. A message with no entry stays
//! English: the catalog never fails a response.

use super::problem::Problem;
use crate::matching::Lang;
use crate::matching::rules::Rule;
use crate::matching::unmatched::{IneligibleReason, rule_words};
use crate::service::disclosure::Suppressed;
use crate::service::import::{ImportReport, RejectedRow};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use serde_json::Value;
use std::borrow::Cow;
use std::future::{Ready, ready};
use std::sync::LazyLock;

/// The language a request asked for, as a handler argument (never
/// refuses: English when nothing fits); see [`request_lang`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language(pub Lang);

impl FromRequest for Language {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Language(request_lang(req))))
    }
}

/// The language of texts for `req`: a valid `?lang=` wins (the exports
/// take it), then the best of `Accept-Language`; English otherwise.
pub fn request_lang(req: &HttpRequest) -> Lang {
    let from_query = req.query_string().split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == "lang").then(|| Lang::parse(value)).flatten()
    });
    from_query.unwrap_or_else(|| accept_language(req))
}

/// The language `Accept-Language` of `req` prefers (English when none).
pub fn accept_language(req: &HttpRequest) -> Lang {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, negotiate)
}

/// Picks English or Russian from an `Accept-Language` value: `ru`,
/// `ru-RU`, and quality lists such as `ru-RU,ru;q=0.9,en;q=0.8`. The
/// highest quality wins, the earlier of equals; anything else (`*`, other
/// languages, garbage) means English.
pub fn negotiate(accept_language: &str) -> Lang {
    let mut best: Option<(Lang, f32)> = None;
    for item in accept_language.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        let quality = parts
            .find_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("q")).then(|| v.trim().parse::<f32>().ok())?
            })
            .unwrap_or(1.0);
        if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((lang, quality));
        }
    }
    best.map_or(Lang::En, |(lang, _)| lang)
}

/// The `Content-Language` value of `lang`.
pub fn language_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Ru => "ru",
    }
}

/// `message` in `lang`: the Russian form of the best-fitting template,
/// parameters carried over; the message itself when nothing fits.
pub fn translate(message: &str, lang: Lang) -> String {
    match lang {
        Lang::En => message.to_owned(),
        Lang::Ru => to_russian(message, 0).into_owned(),
    }
}

/// Puts every text a person reads in `problem` into `lang`: the title,
/// the detail, each field message and each rejected import row's.
pub fn translate_problem(problem: &mut Problem, lang: Lang) {
    if lang == Lang::En {
        return;
    }
    problem.title = translate(&problem.title, lang);
    problem.detail = translate(&problem.detail, lang);
    for error in &mut problem.errors {
        error.message = translate(&error.message, lang);
    }
    if let Some(rows) = &mut problem.rejected {
        translate_rows(rows, lang);
    }
}

/// As [`translate_problem`], for a problem document already serialised
/// (one built outside [`super::problem::ApiError`]).
pub fn translate_problem_json(problem: &mut Value, lang: Lang) {
    if lang == Lang::En {
        return;
    }
    for key in ["title", "detail"] {
        if let Some(Value::String(text)) = problem.get_mut(key) {
            *text = translate(text, lang);
        }
    }
    let translate_errors = |errors: Option<&mut Value>| {
        if let Some(Value::Array(errors)) = errors {
            for error in errors {
                if let Some(Value::String(text)) = error.get_mut("message") {
                    *text = translate(text, lang);
                }
            }
        }
    };
    translate_errors(problem.get_mut("errors"));
    if let Some(Value::Array(rows)) = problem.get_mut("rejected") {
        for row in rows {
            translate_errors(row.get_mut("errors"));
        }
    }
}

/// An import report with its rejected rows' messages in `lang`.
pub fn translate_report(mut report: ImportReport, lang: Lang) -> ImportReport {
    translate_rows(&mut report.rejected, lang);
    report
}

fn translate_rows(rows: &mut [RejectedRow], lang: Lang) {
    for row in rows {
        for error in &mut row.errors {
            error.message = translate(&error.message, lang);
        }
    }
}

/// Why a pair ended early, in words, for a stored `end_reason` code.
pub fn end_reason_text(code: &str, lang: Lang) -> Option<&'static str> {
    END_REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, ru)| if lang == Lang::Ru { *ru } else { *en })
}

/// The end reasons of pairs: code, English, Russian.
const END_REASONS: &[(&str, &str, &str)] = &[
    (
        "mentee_moved",
        "the mentee moved away",
        "наставляемый выбыл (переезд)",
    ),
    ("mentor_left", "the mentor left", "наставник выбыл"),
    ("incompatibility", "incompatibility", "несовместимость"),
    (
        "goal_reached_early",
        "the goal was reached early",
        "цель достигнута досрочно",
    ),
    ("other", "another reason", "другая причина"),
    (
        "consent_withdrawn",
        "the consent was withdrawn",
        "согласие отозвано",
    ),
];

/// What a spreadsheet or a page shows instead of a count hidden from the
/// caller (see [`crate::service::disclosure`]): «< 5» for 1–4 pupils of a
/// sensitive category, a word for a count hidden as a complement.
pub fn suppressed_text(why: Suppressed, lang: Lang) -> &'static str {
    match (why, lang) {
        (Suppressed::BelowThreshold, _) => crate::service::disclosure::BELOW_THRESHOLD,
        (Suppressed::Complementary, Lang::En) => "hidden",
        (Suppressed::Complementary, Lang::Ru) => "скрыто",
    }
}

/// The note under a table with hidden counts, in `lang`.
pub fn suppressed_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Counts of 1 to 4 pupils with special needs or on a prevention register read «< 5» \
             for your role, and some other counts read «hidden», so that no child can be \
             identified from a count, nor recovered by subtraction from a total."
        }
        Lang::Ru => {
            "Число обучающихся с ОВЗ или состоящих на профилактическом учёте от 1 до 4 \
             для вашей роли показано как «< 5», а некоторые другие числа — как «скрыто», \
             чтобы по числу нельзя было узнать ребёнка, а вычитанием из итога — вычислить его."
        }
    }
}

/// Nested translations (`:tr`) go at most this deep.
const MAX_DEPTH: usize = 4;

fn to_russian(message: &str, depth: usize) -> Cow<'_, str> {
    if depth > MAX_DEPTH {
        return Cow::Borrowed(message);
    }
    let mut best: Option<(&Template, Vec<(&str, &str)>)> = None;
    for template in CATALOG.iter() {
        if best
            .as_ref()
            .is_some_and(|(b, _)| b.literal_len >= template.literal_len)
        {
            continue;
        }
        let mut captures = Vec::new();
        if match_pieces(&template.en, message, &mut captures) {
            best = Some((template, captures));
        }
    }
    match best {
        Some((template, captures)) => Cow::Owned(render(&template.ru, &captures, depth)),
        None => Cow::Borrowed(message),
    }
}

/// One part of an English template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Slot(String),
}

/// What a Russian template does with a captured parameter.
#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Verbatim,
    Translate,
    TranslateList,
    Or,
    Plural([String; 3]),
}

/// One part of a Russian template.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Slot(String, Filter),
}

/// A compiled catalog entry.
#[derive(Debug)]
struct Template {
    en: Vec<Piece>,
    ru: Vec<Part>,
    /// Characters fixed by the English template: the most specific of
    /// several fitting templates (the longest fixed text) wins.
    literal_len: usize,
}

/// Splits a template into literal text and `{…}` slots; `None` when a
/// brace is unbalanced.
fn split_template(source: &str) -> Option<Vec<(bool, String)>> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut literal = String::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut slot = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        '{' => return None,
                        c => slot.push(c),
                    }
                }
                if slot.is_empty() {
                    return None;
                }
                if !literal.is_empty() {
                    out.push((false, std::mem::take(&mut literal)));
                }
                out.push((true, slot));
            }
            '}' => return None,
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        out.push((false, literal));
    }
    Some(out)
}

fn compile(en: &str, ru: &str) -> Option<Template> {
    let en: Vec<Piece> = split_template(en)?
        .into_iter()
        .map(|(slot, text)| {
            if slot {
                Piece::Slot(text)
            } else {
                Piece::Literal(text)
            }
        })
        .collect();
    // Two slots side by side could split their text anywhere.
    if en
        .windows(2)
        .any(|w| matches!(w, [Piece::Slot(_), Piece::Slot(_)]))
    {
        return None;
    }
    let names: Vec<&str> = en
        .iter()
        .filter_map(|p| match p {
            Piece::Slot(name) => Some(name.as_str()),
            Piece::Literal(_) => None,
        })
        .collect();
    let mut ru_parts = Vec::new();
    for (slot, text) in split_template(ru)? {
        if !slot {
            ru_parts.push(Part::Literal(text));
            continue;
        }
        let mut bits = text.splitn(3, ':');
        let name = bits.next().unwrap_or("").to_owned();
        if !names.contains(&name.as_str()) {
            return None;
        }
        let filter = match (bits.next(), bits.next()) {
            (None, _) => Filter::Verbatim,
            (Some("tr"), None) => Filter::Translate,
            (Some("trlist"), None) => Filter::TranslateList,
            (Some("or"), None) => Filter::Or,
            (Some("plural"), Some(forms)) => {
                let forms: Vec<&str> = forms.split('|').collect();
                match forms.as_slice() {
                    [one, few, many] => {
                        Filter::Plural([(*one).to_owned(), (*few).to_owned(), (*many).to_owned()])
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        ru_parts.push(Part::Slot(name, filter));
    }
    let literal_len = en
        .iter()
        .map(|p| match p {
            Piece::Literal(text) => text.chars().count(),
            Piece::Slot(_) => 0,
        })
        .sum();
    Some(Template {
        en,
        ru: ru_parts,
        literal_len,
    })
}

/// Whether `text` fits `pieces` entirely; each slot takes a non-empty
/// stretch, the shortest that lets the rest fit.
fn match_pieces<'p, 't>(
    pieces: &'p [Piece],
    text: &'t str,
    captures: &mut Vec<(&'p str, &'t str)>,
) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return text.is_empty();
    };
    match first {
        Piece::Literal(literal) => text
            .strip_prefix(literal.as_str())
            .is_some_and(|tail| match_pieces(rest, tail, captures)),
        Piece::Slot(name) => match rest.first() {
            None if text.is_empty() => false,
            None => {
                captures.push((name, text));
                true
            }
            Some(Piece::Literal(next)) => {
                for (at, _) in text.match_indices(next.as_str()) {
                    if at == 0 {
                        continue;
                    }
                    captures.push((name, &text[..at]));
                    if match_pieces(rest, &text[at..], captures) {
                        return true;
                    }
                    captures.pop();
                }
                false
            }
            Some(Piece::Slot(_)) => false,
        },
    }
}

fn render(parts: &[Part], captures: &[(&str, &str)], depth: usize) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Slot(name, filter) => {
                let value = captures
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("", |(_, v)| *v);
                match filter {
                    Filter::Verbatim => out.push_str(value),
                    Filter::Translate => out.push_str(&to_russian(value, depth + 1)),
                    Filter::TranslateList => {
                        let items: Vec<Cow<'_, str>> = value
                            .split(", ")
                            .map(|item| to_russian(item, depth + 1))
                            .collect();
                        out.push_str(&items.join(", "));
                    }
                    Filter::Or => out.push_str(&value.replace(" or ", " или ")),
                    Filter::Plural(forms) => out.push_str(plural(value, forms)),
                }
            }
        }
    }
    out
}

/// The Russian word form for the number `value`: `forms` are for 1, for
/// 2–4 and for 5 and more (and for anything that is not a whole number).
fn plural<'f>(value: &str, forms: &'f [String; 3]) -> &'f str {
    let Ok(n) = value.trim().parse::<i64>() else {
        return &forms[2];
    };
    let n = n.unsigned_abs();
    let (tens, units) = (n % 100, n % 10);
    if (11..=14).contains(&tens) {
        &forms[2]
    } else if units == 1 {
        &forms[0]
    } else if (2..=4).contains(&units) {
        &forms[1]
    } else {
        &forms[2]
    }
}

static CATALOG: LazyLock<Vec<Template>> = LazyLock::new(|| {
    entries()
        .iter()
        .filter_map(|(en, ru)| compile(en, ru))
        .collect()
});

/// Every English template with its Russian form: the fixed table, then the
/// words of the matching engine's rules and eligibility reasons (which the
/// engine already has in both languages) and the end reasons of pairs.
fn entries() -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    let mut all: Vec<(Cow<'static, str>, Cow<'static, str>)> = TEMPLATES
        .iter()
        .map(|(en, ru)| (Cow::Borrowed(*en), Cow::Borrowed(*ru)))
        .collect();
    for rule in Rule::ALL {
        all.push((
            Cow::Borrowed(rule_words(rule, Lang::En)),
            Cow::Borrowed(rule_words(rule, Lang::Ru)),
        ));
    }
    for reason in INELIGIBLE {
        let code = serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let (en, ru) = (reason.render(Lang::En), reason.render(Lang::Ru));
        all.push((Cow::Borrowed(en), Cow::Borrowed(ru)));
        // How a hand pair names an ineligible mentee: "code: words".
        all.push((
            Cow::Owned(format!("{code}: {en}")),
            Cow::Owned(format!("{code}: {ru}")),
        ));
    }
    for (code, en, ru) in END_REASONS {
        all.push((Cow::Borrowed(*code), Cow::Borrowed(*ru)));
        if en != code {
            all.push((Cow::Borrowed(*en), Cow::Borrowed(*ru)));
        }
    }
    all
}

const INELIGIBLE: [IneligibleReason; 10] = [
    IneligibleReason::CategoryNotInForm,
    IneligibleReason::OutOfScope,
    IneligibleReason::AlreadyPaired,
    IneligibleReason::Completed,
    IneligibleReason::MovedAway,
    IneligibleReason::NoConsent,
    IneligibleReason::ConsentNotForMatching,
    IneligibleReason::ConsentNeedsGuardian,
    IneligibleReason::ConsentNeedsPupilAgreement,
    IneligibleReason::ConsentNeedsOwn,
];

/// The fixed catalog: English template → Russian template.
const TEMPLATES: &[(&str, &str)] = &[
    // Problem titles.
    ("Invalid input", "Ошибка в данных"),
    ("Malformed request", "Запрос не удаётся прочитать"),
    ("Unauthorized", "Нужна авторизация"),
    ("Forbidden", "Доступ запрещён"),
    ("Not found", "Не найдено"),
    ("Precondition failed", "Данные изменились"),
    ("Conflict", "Конфликт"),
    ("Payload too large", "Слишком большой запрос"),
    ("Unsupported media type", "Неподдерживаемый тип содержимого"),
    ("Import rejected", "Импорт отклонён"),
    ("Too many requests", "Слишком много запросов"),
    ("Service unavailable", "Сервис недоступен"),
    ("Internal error", "Внутренняя ошибка"),
    ("Method not allowed", "Метод не поддерживается"),
    ("Not acceptable", "Неприемлемый формат ответа"),
    ("Error", "Ошибка"),
    // Standard reason phrases, the detail of problems raised outside the
    // service's own code.
    ("Bad Request", "Некорректный запрос"),
    ("Not Found", "Не найдено"),
    ("Method Not Allowed", "Метод не поддерживается"),
    ("Not Acceptable", "Неприемлемый формат ответа"),
    ("Payload Too Large", "Слишком большой запрос"),
    ("Unsupported Media Type", "Неподдерживаемый тип содержимого"),
    ("Unprocessable Entity", "Ошибка в данных"),
    ("Precondition Failed", "Данные изменились"),
    ("Too Many Requests", "Слишком много запросов"),
    ("Internal Server Error", "Внутренняя ошибка сервера"),
    ("Service Unavailable", "Сервис недоступен"),
    ("Request Timeout", "Время ожидания запроса истекло"),
    ("Length Required", "Нужен заголовок Content-Length"),
    ("URI Too Long", "Слишком длинный адрес"),
    // Problem details.
    ("{n} invalid field: {fields}", "ошибка в поле {fields}"),
    (
        "{n} invalid fields: {fields}",
        "ошибки в полях ({n}): {fields}",
    ),
    (
        "no such resource in your scope",
        "такого ресурса нет в вашей области доступа",
    ),
    (
        "the resource does not meet the precondition: it changed since you read it (If-Match does not match its ETag; read it again), or it already exists (If-None-Match: *)",
        "ресурс не удовлетворяет условию запроса: он изменился после того, как вы его прочитали (If-Match не совпадает с ETag; прочитайте его заново), или он уже существует (If-None-Match: *)",
    ),
    (
        "the body is larger than the {limit} bytes accepted here",
        "тело запроса больше {limit} {limit:plural:байта|байт|байт}, допустимых здесь",
    ),
    (
        "{n} row rejected; nothing was applied (use ?partial=true to apply the good rows)",
        "отклонено строк: {n}; ничего не применено (чтобы применить корректные строки, добавьте ?partial=true)",
    ),
    (
        "{n} rows rejected; nothing was applied (use ?partial=true to apply the good rows)",
        "отклонено строк: {n}; ничего не применено (чтобы применить корректные строки, добавьте ?partial=true)",
    ),
    (
        "this key sent too many requests; try again in {wait} s",
        "с этим ключом отправлено слишком много запросов; повторите через {wait} с",
    ),
    (
        "the database is not answering; try again shortly",
        "база данных не отвечает; повторите чуть позже",
    ),
    (
        "an internal error occurred; it has been logged",
        "произошла внутренняя ошибка; она записана в журнал",
    ),
    (
        "{method} is not allowed here; use {allowed}",
        "метод {method} здесь не поддерживается; используйте {allowed}",
    ),
    ("there is nothing at {path}", "по адресу {path} ничего нет"),
    // Keys and roles.
    (
        "send an API key as Authorization: Bearer <key>",
        "передайте API-ключ в заголовке Authorization: Bearer <ключ>",
    ),
    (
        "the API key is unknown, revoked or expired",
        "API-ключ неизвестен, отозван или просрочен",
    ),
    (
        "your key's role does not allow this",
        "роль вашего ключа этого не разрешает",
    ),
    (
        "your key's role may not select by a sensitive category",
        "роль вашего ключа не позволяет отбирать по чувствительной категории",
    ),
    (
        "cannot be written with this key",
        "этим ключом изменить нельзя",
    ),
    (
        "unknown organisation \"{id}\"",
        "неизвестная организация «{id}»",
    ),
    // Reading requests.
    (
        "the request needs a JSON body",
        "в запросе нужно тело в формате JSON",
    ),
    (
        "the body is not valid JSON (line {line}, column {column}): {error}",
        "тело запроса — некорректный JSON (строка {line}, столбец {column}): {error:tr}",
    ),
    (
        "the body is not valid JSON: {error}",
        "тело запроса — некорректный JSON: {error:tr}",
    ),
    (
        "the body could not be read: {error}",
        "тело запроса не удалось прочитать: {error:tr}",
    ),
    (
        "the query string cannot be read: {error}",
        "строку запроса не удаётся прочитать: {error:tr}",
    ),
    ("must be ASCII", "допустимы только символы ASCII"),
    (
        "is not a known parameter; expected one of: {allowed}",
        "неизвестный параметр; допустимы: {allowed}",
    ),
    ("is given more than once", "указан больше одного раза"),
    (
        "is not a known parameter; this route takes none",
        "неизвестный параметр; этот адрес параметров не принимает",
    ),
    ("must be UTF-8 text", "должно быть текстом в UTF-8"),
    (
        "must be a date YYYY-MM-DD or an RFC 3339 date-time",
        "должно быть датой ГГГГ-ММ-ДД или датой и временем по RFC 3339",
    ),
    (
        "the body must be sent as Content-Type: application/json",
        "тело запроса нужно отправлять с Content-Type: application/json",
    ),
    (
        "a PATCH body must be application/merge-patch+json",
        "тело запроса PATCH должно быть в формате application/merge-patch+json",
    ),
    (
        "say what the body is: Content-Type: application/json or text/csv",
        "укажите тип тела запроса: Content-Type: application/json или text/csv",
    ),
    // Texts of the JSON reader quoted in the details above.
    (
        "{error} at line {line} column {column}",
        "{error:tr} (строка {line}, столбец {column})",
    ),
    ("expected value", "ожидалось значение"),
    ("expected ident", "ожидалось true, false или null"),
    ("expected `:`", "ожидался знак «:»"),
    ("expected `,` or `}}`", "ожидался знак «,» или «}}»"),
    ("expected `,` or `]`", "ожидался знак «,» или «]»"),
    (
        "key must be a string",
        "ключ должен быть строкой в кавычках",
    ),
    ("trailing characters", "лишние символы после JSON"),
    ("trailing comma", "лишняя запятая"),
    (
        "EOF while parsing a value",
        "текст оборвался, не закончив значение",
    ),
    (
        "EOF while parsing an object",
        "текст оборвался внутри объекта",
    ),
    ("EOF while parsing a list", "текст оборвался внутри массива"),
    (
        "EOF while parsing a string",
        "текст оборвался внутри строки",
    ),
    ("invalid number", "некорректное число"),
    ("number out of range", "число вне допустимого диапазона"),
    ("invalid escape", "некорректная escape-последовательность"),
    ("invalid unicode code point", "некорректный символ Unicode"),
    (
        "control character (\\u0000-\\u001F) found while parsing a string",
        "управляющий символ внутри строки",
    ),
    ("recursion limit exceeded", "слишком глубокая вложенность"),
    (
        "invalid type: {found}, expected {expected}",
        "неверный тип: {found}, ожидалось {expected}",
    ),
    // Texts of the web framework's own errors.
    (
        "payload reached size limit",
        "тело запроса превысило допустимый размер",
    ),
    (
        "A payload reached size limit.",
        "тело запроса превысило допустимый размер",
    ),
    (
        "Payload reached size limit.",
        "тело запроса превысило допустимый размер",
    ),
    (
        "JSON payload ({length} bytes) is larger than allowed (limit: {limit} bytes).",
        "тело JSON ({length} байт) больше допустимого ({limit} байт)",
    ),
    (
        "JSON payload has exceeded limit ({limit} bytes).",
        "тело JSON превысило допустимый размер ({limit} байт)",
    ),
    ("Content type error", "неподходящий тип содержимого"),
    ("Content type error.", "неподходящий тип содержимого"),
    (
        "Json deserialize error: {error}",
        "ошибка чтения JSON: {error:tr}",
    ),
    (
        "Query deserialize error: {error}",
        "ошибка чтения строки запроса: {error:tr}",
    ),
    (
        "Path deserialize error: {error}",
        "ошибка чтения пути: {error:tr}",
    ),
    (
        "Error that occur during reading payload: {error}",
        "ошибка при чтении тела запроса: {error:tr}",
    ),
    (
        "Error that occur during reading payload: {error}.",
        "ошибка при чтении тела запроса: {error:tr}",
    ),
    (
        "can not decode content-encoding",
        "не удаётся раскодировать Content-Encoding",
    ),
    (
        "Can not decode content-encoding.",
        "не удаётся раскодировать Content-Encoding",
    ),
    ("payload length is unknown", "длина тела запроса неизвестна"),
    (
        "Payload size is now known.",
        "длина тела запроса неизвестна",
    ),
    ("Encoding error", "ошибка кодировки"),
    ("Encoding error.", "ошибка кодировки"),
    ("Parse error: {error}.", "ошибка разбора: {error:tr}"),
    (
        "could not parse content type",
        "не удаётся разобрать Content-Type",
    ),
    (
        "unknown content encoding",
        "неизвестная кодировка Content-Encoding",
    ),
    ("Resource not found", "ресурс не найден"),
    // Fields of records.
    ("must be a JSON object", "должно быть объектом JSON"),
    ("is required", "обязательное поле"),
    ("must be a string", "должно быть строкой"),
    (
        "must be at most {n} characters",
        "не длиннее {n} {n:plural:символа|символов|символов}",
    ),
    (
        "must not contain control characters",
        "не должно содержать управляющих символов",
    ),
    (
        "must be between {min} and {max}",
        "должно быть от {min} до {max}",
    ),
    ("must be a whole number", "должно быть целым числом"),
    (
        "must be a whole number from {min} to {max}",
        "должно быть целым числом от {min} до {max}",
    ),
    (
        "must be a whole number of seconds",
        "должно быть целым числом секунд",
    ),
    (
        "must be a number between {min} and {max}",
        "должно быть числом от {min} до {max}",
    ),
    ("must be a number", "должно быть числом"),
    ("must be true or false", "должно быть true или false"),
    (
        "unknown value \"{value}\"; expected one of: {expected}",
        "неизвестное значение «{value}»; допустимы: {expected}",
    ),
    (
        "unknown value \"{value}\"",
        "неизвестное значение «{value}»",
    ),
    (
        "is not available with group limits; use total or fair",
        "недоступна при группах; выберите total или fair",
    ),
    (
        "unknown value \"{value}\"; expected total or fair",
        "неизвестное значение «{value}»; допустимы: total, fair",
    ),
    (
        "must hold at most {n} entries",
        "не больше {n} {n:plural:элемента|элементов|элементов}",
    ),
    (
        "entries must be at most {n} characters (\"{start}…\")",
        "каждый элемент — не длиннее {n} {n:plural:символа|символов|символов} («{start}…»)",
    ),
    ("must be a list of strings", "должно быть списком строк"),
    (
        "must be a date YYYY-MM-DD",
        "должно быть датой в формате ГГГГ-ММ-ДД",
    ),
    (
        "expected a date YYYY-MM-DD",
        "ожидалась дата в формате ГГГГ-ММ-ДД",
    ),
    ("is not a known field", "неизвестное поле"),
    ("must not be empty", "не должно быть пустым"),
    ("must not be . or ..", "не может быть «.» или «..»"),
    (
        "may hold only letters, digits and - _ . : @ (found '{char}')",
        "может содержать только буквы, цифры и - _ . : @ (встретился символ «{char}»)",
    ),
    ("must be en or ru", "должно быть en или ru"),
    // Organisations.
    (
        "an organisation cannot be its own parent",
        "организация не может входить сама в себя",
    ),
    (
        "a {kind} has no parent",
        "организация вида {kind} ни во что не входит",
    ),
    (
        "must be an object {{grade: count}}",
        "должно быть объектом {{класс: количество}}",
    ),
    (
        "grades are 1..11 and counts whole numbers",
        "классы — от 1 до 11, количество — целое число",
    ),
    (
        "differs from the id in the path ({expected})",
        "не совпадает с идентификатором в адресе ({expected})",
    ),
    (
        "unknown organisation (it does not exist or is outside your scope)",
        "неизвестная организация (её нет или она вне вашей области доступа)",
    ),
    (
        "a {kind} sits under a {allowed}, not under a {parent}",
        "организация вида {kind} входит в {allowed:or}, а не в {parent}",
    ),
    (
        "is inside this organisation: the tree would have a cycle",
        "находится внутри этой организации: в дереве получился бы цикл",
    ),
    (
        "is required: a key scoped to an organisation cannot create a root",
        "обязательное поле: ключ, ограниченный организацией, не может создать организацию верхнего уровня",
    ),
    (
        "must name at least one organisation",
        "укажите хотя бы одну организацию",
    ),
    (
        "the organisations must belong to one region",
        "организации должны относиться к одному региону",
    ),
    (
        "the organisation still has {dependants}; move or delete them first",
        "в организации ещё есть {dependants:trlist}; сначала перенесите или удалите их",
    ),
    (
        "{n} organisations under it",
        "подчинённые организации ({n})",
    ),
    ("{n} mentor profiles", "анкеты наставников ({n})"),
    ("{n} mentee profiles", "анкеты наставляемых ({n})"),
    ("{n} programmes", "программы ({n})"),
    // People.
    (
        "only pupils have a grade",
        "класс указывается только у учеников",
    ),
    (
        "a sensitive category can only be set by a key that may read it",
        "чувствительную категорию может указать только ключ, которому разрешено её читать",
    ),
    (
        "notes can only be set by a key that may read them",
        "заметки может указать только ключ, которому разрешено их читать",
    ),
    (
        "no mentor passes the rules (details restricted)",
        "ни один наставник не проходит правила (подробности скрыты)",
    ),
    (
        "{form} needs a mentor of kind {needed}, not {kind}",
        "для формы {form} нужен наставник вида {needed}, а не {kind}",
    ),
    (
        "{category} does not apply to a person of kind {kind}",
        "категория {category} неприменима к человеку вида {kind}",
    ),
    (
        "a person cannot be their own class teacher",
        "человек не может быть собственным классным руководителем",
    ),
    // Programmes and runs.
    (
        "must be an object {{criterion: weight}}",
        "должно быть объектом {{критерий: вес}}",
    ),
    (
        "unknown criterion; expected one of: {expected}",
        "неизвестный критерий; допустимы: {expected}",
    ),
    (
        "at least one weight must be above 0",
        "хотя бы один вес должен быть больше 0",
    ),
    // Notes of the statistics of finished pairs.
    (
        "too few finished pairs to tell",
        "слишком мало завершённых пар, чтобы судить",
    ),
    (
        "the scores or the growth do not vary",
        "оценки или рост не различаются",
    ),
    (
        "must not be before period.start",
        "не может быть раньше period.start",
    ),
    ("must not be below min", "не может быть меньше min"),
    (
        "stored programme unreadable: {error}",
        "сохранённую программу не удаётся прочитать: {error}",
    ),
    (
        "stored document unreadable: {error}",
        "сохранённый документ не удаётся прочитать: {error}",
    ),
    (
        "stored document is not JSON: {error}",
        "сохранённый документ — не JSON: {error}",
    ),
    (
        "stored mentor profile unreadable: {error}",
        "сохранённую анкету наставника не удаётся прочитать: {error}",
    ),
    (
        "stored mentee profile unreadable: {error}",
        "сохранённую анкету наставляемого не удаётся прочитать: {error}",
    ),
    (
        "stored proposal unreadable: {error}",
        "сохранённое предложение не удаётся прочитать: {error}",
    ),
    ("the programme was deleted", "программа удалена"),
    (
        "the two runs belong to different programmes",
        "запуски относятся к разным программам",
    ),
    ("run {id} is not done", "запуск {id} не завершён"),
    ("the run is not done yet", "запуск ещё не завершён"),
    (
        "is not accepted: a what-if run is always a dry run",
        "не принимается: запуск «что если» всегда пробный",
    ),
    (
        "the run was stored before runs kept their inputs; start a new run instead",
        "запуск сохранён до того, как запуски стали хранить входные данные; начните новый запуск",
    ),
    (
        "only dry runs can be deleted; other runs go by the retention policy",
        "удалить можно только пробный запуск; остальные удаляются по правилам хранения",
    ),
    ("the run is not finished yet", "запуск ещё не закончен"),
    (
        "pinned pair {mentor} – {mentee} names someone not in the banks",
        "в закреплённой паре {mentor} – {mentee} указан тот, кого нет в банке",
    ),
    (
        "assignment failed: {error}",
        "распределение не удалось: {error}",
    ),
    (
        "invalid assignment: {error}",
        "некорректное распределение: {error}",
    ),
    // Proposals.
    (
        "proposals of a dry run cannot be approved",
        "предложения пробного запуска нельзя утвердить",
    ),
    (
        "proposals of a dry run can be neither approved nor rejected",
        "предложения пробного запуска нельзя ни утвердить, ни отклонить",
    ),
    (
        "the proposal is already {status}",
        "предложение уже в статусе {status}",
    ),
    (
        "the proposal is already approved",
        "предложение уже утверждено",
    ),
    (
        "the proposal is already rejected",
        "предложение уже отклонено",
    ),
    (
        "the proposal was already approved or rejected",
        "предложение уже утверждено или отклонено",
    ),
    (
        "mentor {id} is no longer in the bank",
        "наставника {id} больше нет в банке",
    ),
    (
        "mentee {id} is no longer in the bank",
        "наставляемого {id} больше нет в банке",
    ),
    (
        "mentor {id} has no valid consent for matching",
        "у наставника {id} нет действующего согласия на подбор пары",
    ),
    (
        "mentee {id} has no valid consent for matching",
        "у наставляемого {id} нет действующего согласия на подбор пары",
    ),
    (
        "mentee {id} already has an active pair in this programme",
        "у наставляемого {id} уже есть активная пара в этой программе",
    ),
    (
        "the profile of {id} changed after the run; start a new run to approve with current data",
        "анкета {id} изменилась после запуска; начните новый запуск, чтобы утвердить по актуальным данным",
    ),
    (
        "the profile of mentor {id} changed after the run; start a new run to approve with current data",
        "анкета наставника {id} изменилась после запуска; начните новый запуск, чтобы утвердить по актуальным данным",
    ),
    (
        "the profile of mentee {id} changed after the run; start a new run to approve with current data",
        "анкета наставляемого {id} изменилась после запуска; начните новый запуск, чтобы утвердить по актуальным данным",
    ),
    (
        "mentor {id} has {taken} of {places} places taken; {more} more do not fit",
        "наставник {id}: занято {taken} из {places} {places:plural:места|мест|мест}; ещё {more} не {more:plural:помещается|помещаются|помещаются}",
    ),
    // Pairs.
    (
        "must name at least one mentee",
        "укажите хотя бы одного наставляемого",
    ),
    (
        "a group of this programme has at most {n} mentees",
        "в группе этой программы не больше {n} {n:plural:наставляемого|наставляемых|наставляемых}",
    ),
    // Pins and wishes.
    (
        "is not a mentor of this programme in your scope",
        "не наставник этой программы в вашей области доступа",
    ),
    (
        "is not a mentee of this programme in your scope",
        "не наставляемый этой программы в вашей области доступа",
    ),
    (
        "is not a mentor of this programme",
        "не наставник этой программы",
    ),
    (
        "is not a mentee of this programme",
        "не наставляемый этой программы",
    ),
    (
        "the pair {mentor} – {mentee} breaks the rule {code}: the mentor {words}",
        "пара {mentor} – {mentee} нарушает правило {code} (наставник: {words:tr})",
    ),
    (
        "the pair {mentor} – {mentee} is not possible: {why}",
        "пара {mentor} – {mentee} невозможна: {why:tr}",
    ),
    ("names someone already named", "этот человек уже назван"),
    (
        "may name at most {n} people",
        "можно назвать не больше {n} {n:plural:человека|человек|человек}",
    ),
    (
        "may set the wishes of at most {n} people at once",
        "за один раз можно записать пожелания не больше чем {n} {n:plural:человека|человек|человек}",
    ),
    (
        "must be an object of person ids to lists of ids",
        "должно быть объектом: идентификатор человека → список идентификаторов",
    ),
    (
        "must be a list of ids",
        "должно быть списком идентификаторов",
    ),
    (
        "mentee {id} is already pinned to mentor {mentor}; unpin first",
        "наставляемый {id} уже закреплён за наставником {mentor}; сначала снимите закрепление",
    ),
    (
        "mentor {id} has no place left ({taken} of {places} taken by pairs and pins)",
        "у наставника {id} нет свободных мест (занято {taken} из {places} парами и закреплениями)",
    ),
    // Orders and targets.
    (
        "no approved pair of this programme is left outside an order: approve pairs first",
        "в программе не осталось утверждённых пар вне приказа: сначала утвердите пары",
    ),
    (
        "an order numbered {number} already exists in this programme",
        "приказ с номером {number} в этой программе уже есть",
    ),
    (
        "must be one of the indicator ids",
        "должно быть одним из идентификаторов показателей",
    ),
    (
        "must be a month YYYY-MM or a year YYYY",
        "должно быть месяцем ГГГГ-ММ или годом ГГГГ",
    ),
    (
        "must be a number between 0 and 100",
        "должно быть числом от 0 до 100",
    ),
    (
        "must hold at most {n} targets",
        "допускается не больше {n} {n:plural:целевого значения|целевых значений|целевых значений}",
    ),
    ("unknown in your scope", "не найден в вашей области доступа"),
    (
        "breaks the rule {code}: the mentor {words}",
        "нарушает правило {code} (наставник: {words:tr})",
    ),
    (
        "must be active, completed or ended",
        "должно быть active, completed или ended",
    ),
    (
        "is required when the reason is other",
        "обязательно, если причина — other",
    ),
    (
        "the pair is already {status}",
        "пара уже в статусе {status}",
    ),
    ("the pair is already active", "пара уже активна"),
    ("the pair is already completed", "пара уже завершена"),
    ("the pair is already ended", "пара уже прекращена"),
    ("must be entry or exit", "должно быть entry или exit"),
    (
        "must be mentor, mentee or curator",
        "должно быть mentor, mentee или curator",
    ),
    (
        "is not a question of this programme ({questions})",
        "такого вопроса нет в анкете программы ({questions})",
    ),
    (
        "must be an object {{question: 1..5}} with at least one answer",
        "должно быть объектом {{вопрос: 1..5}} хотя бы с одним ответом",
    ),
    (
        "mentor {id} left on {date}; update their profile to bring them back into matching",
        "наставник {id} выбыл {date}; чтобы вернуть его в подбор, обновите его анкету",
    ),
    (
        "mentee {id} moved away on {date}; update their profile to bring them back into matching",
        "наставляемый {id} выбыл (переезд) {date}; чтобы вернуть его в подбор, обновите его анкету",
    ),
    (
        "the pair of mentor {mentor} and mentee {mentee} was rejected on {date}: {reason}; to pair them all the same send override_rejection: true with a reason",
        "пара наставника {mentor} и наставляемого {mentee} отклонена {date}: {reason}; чтобы всё же соединить их, передайте override_rejection: true и причину (reason)",
    ),
    (
        "the pair of mentor {mentor} and mentee {mentee} ended early on {date}: {reason}; to pair them all the same send override_rejection: true with a reason",
        "пара наставника {mentor} и наставляемого {mentee} прекращена досрочно {date}: {reason:tr}; чтобы всё же соединить их, передайте override_rejection: true и причину (reason)",
    ),
    (
        "is required with override_rejection",
        "обязательно вместе с override_rejection",
    ),
    // Import.
    (
        "the body must be an object {{organizations, mentors, mentees, programmes}}",
        "тело должно быть объектом {{organizations, mentors, mentees, programmes}}",
    ),
    (
        "{section} must be an array",
        "раздел {section} должен быть массивом",
    ),
    (
        "unknown section \"{section}\"; expected organizations, mentors, mentees, programmes",
        "неизвестный раздел «{section}»; допустимы: organizations, mentors, mentees, programmes",
    ),
    (
        "cannot read the CSV header: {error}",
        "не удаётся прочитать заголовок CSV: {error}",
    ),
    (
        "the CSV file has no header row",
        "в файле CSV нет строки заголовка",
    ),
    ("CSV line {line}: {error}", "CSV, строка {line}: {error}"),
    (
        "repeats the id of row {row}",
        "повторяет идентификатор строки {row}",
    ),
    (
        "is not a readable CSV header (UTF-8, comma separated)",
        "заголовок CSV не читается (нужны кодировка UTF-8 и запятая как разделитель)",
    ),
    (
        "is missing: the first line must name the columns",
        "отсутствует: в первой строке должны быть названия столбцов",
    ),
    (
        "must have at most {n} columns",
        "не больше {n} {n:plural:столбца|столбцов|столбцов}",
    ),
    (
        "names no known column of this kind (is it CSV?)",
        "не содержит ни одного известного столбца для этого вида (точно ли это CSV?)",
    ),
    (
        "is required for CSV: mentors, mentees or organizations",
        "обязателен для CSV: mentors, mentees или organizations",
    ),
    (
        "is required for CSV: mentors, mentees, organizations or preferences",
        "обязателен для CSV: mentors, mentees, organizations или preferences",
    ),
    // Wishes sheets.
    (
        "is empty while a later choice is filled: choices go in order, without gaps",
        "пусто, а следующий выбор заполнен: выборы идут подряд, без пропусков",
    ),
    (
        "repeats the person of row {row}: one row per person in a programme",
        "этот участник уже есть в строке {row}: в программе одна строка на человека",
    ),
    (
        "is not a programme in your scope",
        "такой программы нет в вашей области доступа",
    ),
    (
        "cannot import {media}; send application/json or text/csv",
        "нельзя импортировать {media}; отправьте application/json или text/csv",
    ),
    // Spreadsheets.
    (
        "row {row} has {n} cells where the header has {m}",
        "в строке {row} {n} {n:plural:ячейка|ячейки|ячеек}, а в заголовке {m}",
    ),
    (
        "must be a date YYYY-MM-DD or DD.MM.YYYY",
        "должно быть датой в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД",
    ),
    (
        "the file is not valid utf-8; try windows-1251",
        "файл не в кодировке utf-8; попробуйте encoding=windows-1251",
    ),
    ("is not a readable CSV header", "заголовок CSV не читается"),
    (
        "must hold at most {n} rows",
        "не больше {n} {n:plural:строки|строк|строк}",
    ),
    (
        "applies to XLSX and ODS only",
        "применяется только к XLSX и ODS",
    ),
    ("applies to CSV only", "применяется только к CSV"),
    (
        "applies to spreadsheets only",
        "применяется только к таблицам (CSV, XLSX, ODS)",
    ),
    (
        "the body is not a readable {format} file: {error}",
        "тело запроса — не читаемый файл {format}: {error}",
    ),
    (
        "the workbook holds more than {n} parts",
        "в книге больше {n} частей",
    ),
    (
        "the workbook unpacks to more than {n} MiB",
        "книга распаковывается больше чем в {n} МиБ",
    ),
    (
        "the workbook must hold at most {n} sheets",
        "в книге должно быть не больше {n} {n:plural:листа|листов|листов}",
    ),
    ("the workbook has no sheet", "в книге нет листов"),
    (
        "no sheet \"{name}\"; the workbook has: {names}",
        "нет листа «{name}»; в книге есть: {names}",
    ),
    (
        "must have at most {n} columns (a value in column {column})",
        "не больше {n} {n:plural:столбца|столбцов|столбцов} (значение в столбце {column})",
    ),
    (
        "is {rows} rows × {columns} columns; at most {max_rows} rows × {max_columns} columns are read",
        "размер {rows} × {columns} (строк × столбцов); читается не больше {max_rows} × {max_columns}",
    ),
    (
        "names the column {field} twice (\"{heading}\")",
        "столбец {field} назван дважды («{heading}»)",
    ),
    (
        "cannot import {media}; send application/json, text/csv, XLSX or ODS",
        "нельзя импортировать {media}; отправьте application/json, text/csv, XLSX или ODS",
    ),
    (
        "must be 1 to {n} characters",
        "от 1 до {n} {n:plural:знака|знаков|знаков}",
    ),
    // Reports.
    ("is required (YYYY-MM)", "обязательное поле (ГГГГ-ММ)"),
    (
        "must be a month YYYY-MM",
        "должно быть месяцем в формате ГГГГ-ММ",
    ),
    ("unknown indicator", "неизвестный показатель"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// English words that a translated text must not keep (outside its
    /// parameters).
    fn has_cyrillic(text: &str) -> bool {
        text.chars()
            .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)))
    }

    /// A sample value for a slot, by its name: numbers where a number is
    /// expected, plain ids otherwise.
    fn sample(name: &str, i: usize) -> String {
        match name {
            "n" | "limit" | "wait" | "line" | "column" | "row" | "taken" | "places" | "more"
            | "min" | "max" | "length" => (i + 2).to_string(),
            _ => format!("p{i}x"),
        }
    }

    fn fill(template: &str) -> (String, Vec<String>) {
        let mut out = String::new();
        let mut params = Vec::new();
        for (i, (slot, text)) in split_template(template)
            .expect("balanced")
            .into_iter()
            .enumerate()
        {
            if slot {
                let value = sample(&text, i);
                out.push_str(&value);
                params.push(value);
            } else {
                out.push_str(&text);
            }
        }
        (out, params)
    }

    #[test]
    fn every_template_compiles_and_has_a_russian_form() {
        let entries = entries();
        assert_eq!(
            CATALOG.len(),
            entries.len(),
            "a template failed to compile (unbalanced braces, unknown slot or filter, slots side by side)"
        );
        for (en, ru) in &entries {
            assert!(!ru.trim().is_empty(), "{en}: no Russian");
            assert!(
                has_cyrillic(ru),
                "{en}: the Russian form is not Russian: {ru}"
            );
        }
    }

    #[test]
    fn each_template_translates_its_own_message_and_keeps_its_parameters() {
        for (en, _) in entries() {
            let (message, params) = fill(&en);
            let russian = translate(&message, Lang::Ru);
            assert!(
                has_cyrillic(&russian),
                "{message:?} stayed untranslated: {russian:?}"
            );
            for p in params.iter().filter(|p| p.starts_with('p')) {
                assert!(
                    russian.contains(p.as_str()),
                    "{message:?} lost its parameter {p}: {russian:?}"
                );
            }
        }
    }

    #[test]
    fn english_templates_are_unique() {
        let entries = entries();
        for (i, (en, _)) in entries.iter().enumerate() {
            assert!(
                !entries[..i].iter().any(|(other, _)| other == en),
                "{en} is in the catalog twice"
            );
        }
    }

    #[test]
    fn parameters_are_carried_over_verbatim() {
        assert_eq!(
            translate(
                "unknown value \"nope\"; expected one of: region, school",
                Lang::Ru
            ),
            "неизвестное значение «nope»; допустимы: region, school"
        );
        assert_eq!(
            translate("must hold at most 64 entries", Lang::Ru),
            "не больше 64 элементов"
        );
        assert_eq!(
            translate(
                "mentor t-1 has 2 of 3 places taken; 1 more do not fit",
                Lang::Ru
            ),
            "наставник t-1: занято 2 из 3 мест; ещё 1 не помещается"
        );
        assert_eq!(
            translate(
                "mentor t-1 has 1 of 1 places taken; 2 more do not fit",
                Lang::Ru
            ),
            "наставник t-1: занято 1 из 1 места; ещё 2 не помещаются"
        );
    }

    #[test]
    fn the_most_specific_template_wins() {
        assert_eq!(
            translate("unknown value \"x\"", Lang::Ru),
            "неизвестное значение «x»"
        );
        assert_eq!(
            translate("the proposal is already approved", Lang::Ru),
            "предложение уже утверждено"
        );
        assert_eq!(
            translate("the proposal is already pending", Lang::Ru),
            "предложение уже в статусе pending"
        );
    }

    #[test]
    fn nested_texts_and_lists_are_translated_too() {
        assert_eq!(
            translate(
                "the organisation still has 2 mentor profiles, 1 programmes; move or delete them first",
                Lang::Ru
            ),
            "в организации ещё есть анкеты наставников (2), программы (1); сначала перенесите или удалите их"
        );
        assert_eq!(
            translate(
                "breaks the rule mentor_no_consent: the mentor has no valid consent",
                Lang::Ru
            ),
            "нарушает правило mentor_no_consent (наставник: нет действующего согласия)"
        );
        assert_eq!(
            translate(
                "the body is not valid JSON (line 1, column 2): key must be a string at line 1 column 2",
                Lang::Ru
            ),
            "тело запроса — некорректный JSON (строка 1, столбец 2): ключ должен быть строкой в кавычках (строка 1, столбец 2)"
        );
        assert_eq!(
            translate(
                "a school sits under a municipality or region, not under a school",
                Lang::Ru
            ),
            "организация вида school входит в municipality или region, а не в school"
        );
    }

    #[test]
    fn a_message_without_a_template_stays_english() {
        assert_eq!(
            translate("something nobody wrote a template for", Lang::Ru),
            "something nobody wrote a template for"
        );
        assert_eq!(translate("is required", Lang::En), "is required");
        assert_eq!(translate("", Lang::Ru), "");
    }

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        assert_eq!(negotiate("ru"), Lang::Ru);
        assert_eq!(negotiate("ru-RU"), Lang::Ru);
        assert_eq!(negotiate("ru-RU,ru;q=0.9,en;q=0.8"), Lang::Ru);
        assert_eq!(negotiate("en-GB,en;q=0.9,ru;q=0.8"), Lang::En);
        assert_eq!(negotiate("de, ru;q=0.5"), Lang::Ru);
        assert_eq!(negotiate("en;q=0.3, RU;q=0.7"), Lang::Ru);
        assert_eq!(negotiate("ru;q=0"), Lang::En);
        assert_eq!(negotiate("*"), Lang::En);
        assert_eq!(negotiate(""), Lang::En);
        assert_eq!(negotiate(";;,,q=="), Lang::En);
    }

    #[test]
    fn plural_forms_follow_russian_rules() {
        let forms = ["место".to_owned(), "места".to_owned(), "мест".to_owned()];
        for (n, want) in [
            ("1", "место"),
            ("2", "места"),
            ("4", "места"),
            ("5", "мест"),
            ("11", "мест"),
            ("12", "мест"),
            ("21", "место"),
            ("22", "места"),
            ("111", "мест"),
            ("x", "мест"),
        ] {
            assert_eq!(plural(n, &forms), want, "{n}");
        }
    }
}
