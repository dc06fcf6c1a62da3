//! Conditional requests and partial changes: `If-Match`,
//! `If-None-Match`, `304 Not Modified`, and JSON Merge Patch (RFC 7396).

use super::documents::{document_response, quoted};
use super::extract::json_body;
use super::problem::ApiError;
use crate::domain::FieldError;
use crate::store::{Preconditions, Stored, if_none_match_holds};
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

/// The media type of a `PATCH` body.
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

fn header_text(req: &HttpRequest, name: HeaderName) -> Result<Option<String>, ApiError> {
    match req.headers().get(&name) {
        None => Ok(None),
        // An empty list names no entity tag: as if the header were absent.
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim().to_owned()).filter(|s| !s.is_empty()))
            .map_err(|_| {
                ApiError::Invalid(vec![FieldError::new(header_name(&name), "must be ASCII")])
            }),
    }
}

fn header_name(name: &HeaderName) -> &'static str {
    if *name == header::IF_MATCH {
        "If-Match"
    } else {
        "If-None-Match"
    }
}

/// The request's `If-Match` and `If-None-Match`.
pub fn preconditions(req: &HttpRequest) -> Result<Preconditions, ApiError> {
    Ok(Preconditions {
        if_match: header_text(req, header::IF_MATCH)?,
        if_none_match: header_text(req, header::IF_NONE_MATCH)?,
    })
}

/// Checks the caller's conditions against the tag the caller can see of
/// the stored resource (`None`: there is none).
pub fn check(preconditions: &Preconditions, seen: Option<&str>) -> Result<(), ApiError> {
    if preconditions.hold(seen) {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

/// `304 Not Modified` when the request's `If-None-Match` names `etag` (or
/// is `*`): the caller's copy is current, so no body is sent.
pub fn not_modified(req: &HttpRequest, etag: &str) -> Result<Option<HttpResponse>, ApiError> {
    let Some(tags) = header_text(req, header::IF_NONE_MATCH)? else {
        return Ok(None);
    };
    if if_none_match_holds(&tags, Some(etag)) {
        return Ok(None);
    }
    Ok(Some(
        HttpResponse::NotModified()
            .insert_header((header::ETAG, quoted(etag)))
            .finish(),
    ))
}

/// The JSON of a `PATCH` body, which must be a merge patch: any other
/// media type is refused with `415`.
pub fn merge_patch_body(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some(MERGE_PATCH_JSON) {
        return Err(ApiError::UnsupportedMediaType(
            "a PATCH body must be application/merge-patch+json".into(),
        ));
    }
    json_body(body)
}

/// A stored resource as the answer to a `GET`: `304` when the caller's
/// copy is current, else the document with its `ETag`.
pub fn read_response(req: &HttpRequest, stored: &Stored) -> Result<HttpResponse, ApiError> {
    Ok(match not_modified(req, &stored.etag)? {
        Some(response) => response,
        None => document_response(stored),
    })
}

/// The stored document with `patch` applied, after the request's
/// conditions held for it; and the conditions of the write that pin it to
/// the version read, so that a change made meanwhile is `412`, never lost.
pub fn apply_patch(
    req: &HttpRequest,
    stored: &Stored,
    patch: &Value,
) -> Result<(Value, Preconditions), ApiError> {
    check(&preconditions(req)?, Some(&stored.etag))?;
    let mut doc: Value = serde_json::from_str(&stored.doc)
        .map_err(|e| ApiError::Internal(format!("stored document is not JSON: {e}")))?;
    merge_patch(&mut doc, patch);
    Ok((doc, Preconditions::pinned(Some(&stored.etag))))
}

/// Applies a JSON Merge Patch (RFC 7396) to `target`: members set to
/// `null` are removed, objects merge member by member, anything else
/// (arrays included) replaces what was there.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(members) = target {
        for (name, change) in changes {
            if change.is_null() {
                members.remove(name);
            } else {
                merge_patch(members.entry(name.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

/// The schema of a merge patch of `T`: `T`'s members, none of them
/// required (a member left out keeps its stored value; `null` removes it).
pub fn merge_patch_schema<T: ToSchema>() -> RefOr<Schema> {
    let mut dependencies = Vec::new();
    T::schemas(&mut dependencies);
    let mut schema = T::schema();
    optional_members(&mut schema, &dependencies);
    schema
}

/// Declares the schema type of a merge patch of a resource type.
macro_rules! merge_patch_type {
    ($(#[$meta:meta])* $name:ident => $target:ty) => {
        $(#[$meta])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                merge_patch_schema::<$target>()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <$target as ToSchema>::schemas(schemas);
            }
        }
    };
}

merge_patch_type!(
    /// A merge patch of a mentor profile: any of its members.
    MentorProfilePatch => crate::domain::MentorProfile
);
merge_patch_type!(
    /// A merge patch of a mentee profile: any of its members.
    MenteeViewPatch => super::privacy::MenteeView
);
merge_patch_type!(
    /// A merge patch of a programme: any of its members.
    ProgrammePatch => crate::domain::Programme
);
merge_patch_type!(
    /// A merge patch of an organisation: any of its members.
    OrganizationPatch => crate::domain::Organization
);

/// Makes every member of an object schema optional; the parts of an
/// `allOf` are inlined (when they are known dependencies) so that their
/// members become optional too.
fn optional_members(schema: &mut RefOr<Schema>, dependencies: &[(String, RefOr<Schema>)]) {
    match schema {
        RefOr::T(Schema::Object(object)) => {
            object.required.clear();
        }
        RefOr::T(Schema::AllOf(all)) => {
            for part in &mut all.items {
                if let RefOr::Ref(reference) = part {
                    let name = reference
                        .ref_location
                        .rsplit('/')
                        .next()
                        .unwrap_or_default();
                    if let Some((_, inlined)) = dependencies.iter().find(|(n, _)| n == name) {
                        *part = inlined.clone();
                    }
                }
                optional_members(part, dependencies);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_removes_nulls_merges_objects_and_replaces_arrays() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "f": "x"});
        merge_patch(
            &mut doc,
            &json!({"a": null, "b": {"c": null, "g": 4}, "e": [3], "h": {"i": null}}),
        );
        assert_eq!(
            doc,
            json!({"b": {"d": 3, "g": 4}, "e": [3], "f": "x", "h": {}})
        );
    }

    #[test]
    fn a_merge_patch_that_is_not_an_object_replaces_the_target() {
        let mut doc = json!({"a": 1});
        merge_patch(&mut doc, &json!([1]));
        assert_eq!(doc, json!([1]));
    }

    #[test]
    fn every_member_of_a_patch_schema_is_optional() {
        let schema = serde_json::to_value(MenteeViewPatch::schema()).expect("schema serialises");
        assert!(!schema.to_string().contains("\"required\""), "{schema}");
        assert!(schema.to_string().contains("full_name"), "{schema}");
    }
}
