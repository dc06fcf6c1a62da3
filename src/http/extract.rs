//! Reading requests: the caller's key, JSON bodies, `If-Match`, paging.
//!
//! Everything a request carries is checked here before a handler does any
//! work with it: a JSON body must say `application/json` ([`JsonBody`]),
//! ids in paths must be ids ([`path_id`]), and every query parameter must
//! be one the route knows, given once, free of control characters, and an
//! id where it names one ([`QueryParams`], [`NoQuery`]).

use super::AppState;
use super::problem::ApiError;
use crate::domain::{FieldError, Id};
use crate::service::auth::{self, AuthError, Permission, Principal};
use crate::store::{Actor, PageRequest};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Deref;

/// Default page size of lists.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size of lists.
pub const MAX_LIMIT: u32 = 1000;

/// The authenticated caller, as a handler argument.
pub struct Caller {
    /// The key's id, role and scope.
    pub principal: Principal,
    /// The peer address the request came from.
    pub origin: Option<String>,
}

impl Caller {
    /// Refuses with `403` unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ApiError> {
        if self.principal.role.allows(permission) {
            Ok(&self.principal)
        } else {
            Err(ApiError::Forbidden("your key's role does not allow this"))
        }
    }

    /// Who this is, for the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            key_id: self.principal.key_id.clone(),
            role: self.principal.role.as_str().to_owned(),
            origin: self.origin.clone(),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<Data<AppState>>().cloned();
        let origin = req.peer_addr().map(|a| a.ip().to_string());
        let key = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, key) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| key.trim().to_owned())
            });
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let key = key.ok_or(AuthError::Missing)?;
            let principal = auth::authenticate(state.store.as_ref(), &key).await?;
            tracing::Span::current().record("key_id", principal.key_id.as_str());
            state
                .limiter
                .check(&principal.key_id)
                .map_err(ApiError::TooManyRequests)?;
            Ok(Caller { principal, origin })
        })
    }
}

/// Parses a JSON body, naming where it broke.
pub fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed("the request needs a JSON body".into()));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::Malformed(format!(
            "the body is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })
}

/// The body of a request that takes JSON: refused with `415` unless it is
/// declared `application/json` (a charset parameter is fine). A request
/// with neither a body nor a `Content-Type` passes, so that handlers with
/// an optional body, and the "needs a JSON body" answer, keep working.
pub struct JsonBody(Bytes);

impl Deref for JsonBody {
    type Target = Bytes;

    fn deref(&self) -> &Bytes {
        &self.0
    }
}

/// The media type of a request (`type/subtype`, lower case, without
/// parameters), `None` when no `Content-Type` is sent.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::CONTENT_TYPE).map(|v| {
        v.to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

fn not_json() -> ApiError {
    ApiError::UnsupportedMediaType("the body must be sent as Content-Type: application/json".into())
}

impl FromRequest for JsonBody {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media = media_type(req);
        // Refused before the body is read: a wrong type costs nothing.
        if media.as_deref().is_some_and(|m| m != "application/json") {
            return Box::pin(async { Err(not_json().into()) });
        }
        // `Bytes` keeps the configured body limit and its `413`.
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            if media.is_none() && !body.iter().all(u8::is_ascii_whitespace) {
                return Err(not_json().into());
            }
            Ok(JsonBody(body))
        })
    }
}

/// Parses the id in a path; an id outside the id syntax is `422`, naming
/// `id`.
pub fn path_id(raw: &str) -> Result<Id, ApiError> {
    Id::parse(raw).map_err(|message| ApiError::Invalid(vec![FieldError::new("id", message)]))
}

/// How path segments that are not text (invalid UTF-8 once decoded) are
/// answered: like any id outside the id syntax, `422` naming `id`, instead
/// of actix's plain `404`.
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|_, _| {
        ApiError::Invalid(vec![FieldError::new("id", "must be UTF-8 text")]).into()
    })
}

/// A route that takes no query parameter: any parameter is refused with
/// `422` naming it, as [`QueryParams::parse`] does on routes that take some.
pub struct NoQuery;

impl FromRequest for NoQuery {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(QueryParams::parse(req, &[]).map(|_| NoQuery))
    }
}

/// Whether a query parameter names an id (and so must be one).
fn is_id_parameter(name: &str) -> bool {
    name == "id" || name == "after" || name.ends_with("_id")
}

/// Checks one query value: no control characters anywhere, ids in the id
/// syntax, `since` a date or an RFC 3339 time.
fn check_query_value(name: &str, value: &str) -> Result<(), String> {
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if value.is_empty() {
        return Ok(());
    }
    if is_id_parameter(name) {
        Id::parse(value)?;
    }
    if name == "since" {
        let rfc3339 =
            time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339);
        if rfc3339.is_err() && crate::domain::parse::parse_date(value).is_none() {
            return Err("must be a date YYYY-MM-DD or an RFC 3339 date-time".into());
        }
    }
    Ok(())
}

/// The `If-Match` header, if any.
pub fn if_match(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get(header::IF_MATCH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.to_owned()))
            .map_err(|_| ApiError::Invalid(vec![FieldError::new("If-Match", "must be ASCII")])),
    }
}

/// The query string as a map; repeated or unknown parameters are refused
/// so that typos do not silently widen a list, and values are checked
/// (no control characters; ids where a parameter names one; `since` a
/// date or time) before any reaches the store.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    /// Reads the query, accepting only `allowed` names.
    pub fn parse(req: &HttpRequest, allowed: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(req.query_string())?;
        let mut map = HashMap::new();
        let mut errors = Vec::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                errors.push(FieldError::new(
                    name,
                    if allowed.is_empty() {
                        "is not a known parameter; this route takes none".to_owned()
                    } else {
                        format!(
                            "is not a known parameter; expected one of: {}",
                            allowed.join(", ")
                        )
                    },
                ));
            } else if let Err(message) = check_query_value(&name, &value) {
                errors.push(FieldError::new(name, message));
            } else if map.insert(name.clone(), value).is_some() {
                errors.push(FieldError::new(name, "is given more than once"));
            }
        }
        if errors.is_empty() {
            Ok(Self(map))
        } else {
            Err(ApiError::Invalid(errors))
        }
    }

    /// One parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `limit` and `after`.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let limit = match self.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::Invalid(vec![FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )]));
                }
            },
        };
        Ok(PageRequest {
            limit,
            after: self.get("after").map(str::to_owned),
        })
    }

    /// A parameter that must be a value of a closed vocabulary.
    pub fn vocabulary<E: crate::domain::Vocabulary>(
        &self,
        name: &str,
    ) -> Result<Option<E>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => E::parse(raw).map(Some).ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::new(
                    name,
                    format!("unknown value {raw:?}; expected one of: {}", E::expected()),
                )])
            }),
        }
    }
}

impl QueryParams {
    /// A parameter read as a snake_case serde enumeration.
    pub fn vocabulary_serde<E: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<E>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_value(Value::String(raw.to_owned()))
                .map(Some)
                .map_err(|_| {
                    ApiError::Invalid(vec![FieldError::new(
                        name,
                        format!("unknown value {raw:?}"),
                    )])
                }),
        }
    }
}

fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .map_err(|e| ApiError::Malformed(format!("the query string cannot be read: {e}")))
}
