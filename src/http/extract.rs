//! Reading requests: the caller's key, JSON bodies, `If-Match`, paging.

use super::AppState;
use super::problem::ApiError;
use crate::auth::{self, AuthError, Permission, Principal};
use crate::domain::{FieldError, Id};
use crate::store::{Actor, PageRequest};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use std::collections::HashMap;

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

/// Parses the id in a path.
pub fn path_id(raw: &str) -> Result<Id, ApiError> {
    // An id that cannot exist cannot be found either.
    Id::parse(raw).map_err(|_| ApiError::NotFound)
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
/// so that typos do not silently widen a list.
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
                    format!(
                        "is not a known parameter; expected one of: {}",
                        allowed.join(", ")
                    ),
                ));
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
