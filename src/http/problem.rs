//! `application/problem+json` (RFC 9457) for every error the API returns.

use super::i18n;
use crate::domain::FieldError;
use crate::matching::Lang;
use crate::service::auth::AuthError;
use crate::service::import::{ImportError, ImportReport, RejectedRow};
use crate::store::StoreError;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// Every bad field, for invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Import rejected: rows created (0, nothing was applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<usize>,
    /// Import rejected: rows updated (0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<usize>,
    /// Import rejected: rows unchanged (0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<usize>,
    /// Import rejected: whether anything was applied (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
    /// Import rejected: every bad row with each bad field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Vec<RejectedRow>>,
    /// The request id, also in the `X-Request-Id` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The request id a request carries (set by the request middleware).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Errors of the HTTP edge. Each maps to one problem `type`.
#[derive(Debug)]
pub enum ApiError {
    /// Input failed validation; every bad field is named.
    Invalid(Vec<FieldError>),
    /// The request could not be read (bad JSON, bad encoding, …).
    Malformed(String),
    /// No or bad key.
    Unauthorized(&'static str),
    /// The key's role may not do this.
    Forbidden(&'static str),
    /// Nothing here, or not in the caller's scope.
    NotFound,
    /// `If-Match` is stale.
    PreconditionFailed,
    /// The change conflicts with stored data.
    Conflict(String),
    /// The body is larger than accepted.
    PayloadTooLarge(usize),
    /// The body's media type is not accepted here.
    UnsupportedMediaType(String),
    /// An import batch had bad rows and nothing was applied.
    ImportRejected(ImportReport),
    /// The key sent too many requests; retry after this many seconds.
    TooManyRequests(u64),
    /// The database is not answering.
    Unavailable,
    /// A fault inside the service; logged with its cause, never shown.
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Invalid(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid input",
            ),
            ApiError::Malformed(_) => (
                StatusCode::BAD_REQUEST,
                "malformed-request",
                "Malformed request",
            ),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
            ),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            ApiError::ImportRejected(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "import-rejected",
                "Import rejected",
            ),
            ApiError::TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Invalid(errors) => format!(
                "{} invalid field{}: {}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                errors
                    .iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ApiError::Malformed(detail)
            | ApiError::Conflict(detail)
            | ApiError::UnsupportedMediaType(detail) => detail.clone(),
            ApiError::Unauthorized(detail) | ApiError::Forbidden(detail) => (*detail).to_owned(),
            ApiError::NotFound => "no such resource in your scope".into(),
            ApiError::PreconditionFailed => {
                "the resource does not meet the precondition: it changed since you read it (If-Match does not match its ETag; read it again), or it already exists (If-None-Match: *)".into()
            }
            ApiError::PayloadTooLarge(limit) => {
                format!("the body is larger than the {limit} bytes accepted here")
            }
            ApiError::ImportRejected(report) => format!(
                "{} row{} rejected; nothing was applied (use ?partial=true to apply the good rows)",
                report.rejected.len(),
                if report.rejected.len() == 1 { "" } else { "s" }
            ),
            ApiError::TooManyRequests(wait) => {
                format!("this key sent too many requests; try again in {wait} s")
            }
            ApiError::Unavailable => "the database is not answering; try again shortly".into(),
            ApiError::Internal(_) => "an internal error occurred; it has been logged".into(),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        Problem {
            kind: problem_type(slug),
            title: title.into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                ApiError::Invalid(errors) => errors.clone(),
                _ => Vec::new(),
            },
            created: self.report().map(|r| r.created),
            updated: self.report().map(|r| r.updated),
            unchanged: self.report().map(|r| r.unchanged),
            applied: self.report().map(|r| r.applied),
            rejected: self.report().map(|r| r.rejected.clone()),
            request_id: None,
        }
    }

    /// The problem document of this error, its texts in `lang`.
    pub fn problem_in(&self, lang: Lang) -> Problem {
        let mut problem = self.problem();
        i18n::translate_problem(&mut problem, lang);
        problem
    }

    fn report(&self) -> Option<&ImportReport> {
        match self {
            ApiError::ImportRejected(report) => Some(report),
            _ => None,
        }
    }
}

/// The `type` URI of a problem kind.
pub fn problem_type(slug: &str) -> String {
    format!("/problems/{slug}")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Internal(cause) => write!(f, "internal error: {cause}"),
            other => f.write_str(&other.detail()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(cause = %cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::TooManyRequests(wait) = self {
            response.insert_header((header::RETRY_AFTER, wait.to_string()));
        }
        response.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::PreconditionFailed { .. } => ApiError::PreconditionFailed,
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            StoreError::Invalid(errors) => ApiError::Invalid(errors),
            StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) => {
                ApiError::Unavailable
            }
            other => ApiError::Internal(crate::telemetry::error_chain(&other)),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing => {
                ApiError::Unauthorized("send an API key as Authorization: Bearer <key>")
            }
            AuthError::Invalid => {
                ApiError::Unauthorized("the API key is unknown, revoked or expired")
            }
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Malformed(detail) => ApiError::Malformed(detail),
            ImportError::Invalid(errors) => ApiError::Invalid(errors),
            ImportError::Rejected(report) => ApiError::ImportRejected(report),
            ImportError::Internal(detail) => ApiError::Internal(detail),
            ImportError::Store(store) => store.into(),
        }
    }
}

/// Turns any error response that is not already a problem document
/// (actix's own: unknown routes, extractor failures, oversized bodies …)
/// into one, puts its texts in the request's language (see
/// [`i18n::request_lang`]) and stamps the request id into every problem.
///
/// Every error response of the application passes through here, so this
/// is where the language of the request reaches the problem: an error
/// raised by a handler is rendered again in that language, and a problem
/// document built elsewhere has its texts translated in place.
pub fn problem_for_any_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let lang = i18n::request_lang(res.request());
    let request_id = res
        .request()
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone());
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let (req, res) = res.into_parts();
    let mut problem = match res.error() {
        Some(err) => match err.as_error::<ApiError>() {
            Some(api) => api.problem_in(lang),
            None => generic_problem_in(status, &err.to_string(), lang),
        },
        None if is_problem => return Ok(translated_problem_body(req, res, lang)),
        None => generic_problem_in(status, "", lang),
    };
    problem.request_id = request_id;
    let mut new = HttpResponse::build(status);
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    new.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    let body: EitherBody<B, BoxBody> = EitherBody::right(BoxBody::new(
        serde_json::to_vec(&problem).unwrap_or_default(),
    ));
    let mut new = new.message_body(body)?;
    mark_language(new.headers_mut(), lang);
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
        req, new,
    )))
}

/// A problem document some code already wrote (the 404/405 fallback, …):
/// its texts translated in place when the request asked for Russian.
fn translated_problem_body<B: MessageBody + 'static>(
    req: actix_web::HttpRequest,
    mut res: HttpResponse<B>,
    lang: Lang,
) -> ErrorHandlerResponse<B> {
    mark_language(res.headers_mut(), lang);
    if lang == Lang::En {
        return ErrorHandlerResponse::Response(ServiceResponse::new(req, res).map_into_left_body());
    }
    ErrorHandlerResponse::Future(Box::pin(async move {
        let (mut head, body) = res.into_parts();
        let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
        let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(mut problem) => {
                i18n::translate_problem_json(&mut problem, lang);
                in_problem_order(&problem).unwrap_or_else(|| bytes.to_vec())
            }
            Err(_) => bytes.to_vec(),
        };
        head.headers_mut().remove(header::CONTENT_LENGTH);
        let res = head.set_body(EitherBody::right(BoxBody::new(bytes)));
        Ok(ServiceResponse::new(req, res))
    }))
}

/// A problem document written with its members in the order of
/// [`Problem`] (`type`, `title`, `status`, `detail` first), as every other
/// problem is, rather than sorted by name.
fn in_problem_order(problem: &serde_json::Value) -> Option<Vec<u8>> {
    const ORDER: [&str; 5] = ["type", "title", "status", "detail", "errors"];
    let members = problem.as_object()?;
    let mut keys: Vec<&String> = ORDER
        .iter()
        .filter_map(|k| members.get_key_value(*k).map(|(k, _)| k))
        .collect();
    keys.extend(members.keys().filter(|k| !ORDER.contains(&k.as_str())));
    let mut out = String::from("{");
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).ok()?);
        out.push(':');
        out.push_str(&serde_json::to_string(&members[key.as_str()]).ok()?);
    }
    out.push('}');
    Some(out.into_bytes())
}

/// Says which language a problem's texts are in, and that it depends on
/// `Accept-Language` (for caches).
fn mark_language(headers: &mut actix_web::http::header::HeaderMap, lang: Lang) {
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(i18n::language_tag(lang)),
    );
    headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
}

/// A problem for an error raised outside our handlers (actix itself).
pub fn generic_problem(status: StatusCode, detail: &str) -> Problem {
    let (slug, title) = match status {
        StatusCode::BAD_REQUEST => ("malformed-request", "Malformed request"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "Unauthorized"),
        StatusCode::FORBIDDEN => ("forbidden", "Forbidden"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Payload too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("validation", "Invalid input"),
        s if s.is_server_error() => ("internal", "Internal error"),
        _ => ("about:blank", "Error"),
    };
    // Server-side details never reach the client.
    let detail = if status.is_server_error() || detail.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        detail.to_owned()
    };
    Problem {
        kind: if slug == "about:blank" {
            slug.to_owned()
        } else {
            problem_type(slug)
        },
        title: title.into(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
        created: None,
        updated: None,
        unchanged: None,
        applied: None,
        rejected: None,
        request_id: None,
    }
}

/// As [`generic_problem`], its texts in `lang`.
pub fn generic_problem_in(status: StatusCode, detail: &str, lang: Lang) -> Problem {
    let mut problem = generic_problem(status, detail);
    i18n::translate_problem(&mut problem, lang);
    problem
}
