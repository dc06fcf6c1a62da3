//! What the generated OpenAPI document must say beyond what the handlers'
//! annotations spell out one by one: the constraints the server enforces on
//! parameters shared by many operations, and the headers every answer
//! carries. Done once here, by parameter name, so that no operation can
//! forget them and the document stays the exact contract the server keeps.

use crate::domain::MAX_ID_LEN;
use serde_json::{Map, Value, json};

/// Ids: letters and digits of any script, `-`, `_`, `.`, `:`, `@`; never
/// `.` or `..` alone (see `Id::parse`).
pub const ID_PATTERN: &str = r"^(?!\.\.?$)[\w.:@-]+$";

/// The schema of an id parameter.
fn id_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": MAX_ID_LEN, "pattern": ID_PATTERN})
}

/// The schema of an id filter: an id, or empty for "no filter" (what an
/// HTML form sends for a field left blank).
fn id_filter_schema() -> Value {
    json!({"type": "string", "maxLength": MAX_ID_LEN, "pattern": ID_FILTER_PATTERN})
}

/// [`ID_PATTERN`] or nothing.
const ID_FILTER_PATTERN: &str = r"^((?!\.\.?$)[\w.:@-]+)?$";

/// The schema the server enforces for a query or path parameter, by name;
/// `None` leaves the annotation's schema as it is.
fn parameter_schema(name: &str, location: &str, nullable: bool) -> Option<Value> {
    let mut schema = match (name, location) {
        ("id" | "a" | "b" | "mentee_id", "path") => id_schema(),
        (
            "after" | "organization_id" | "programme_id" | "mentor_id" | "mentee_id" | "parent_id"
            | "key_id",
            "query",
        ) => id_filter_schema(),
        ("indicator", "query") => json!({
            "type": "string",
            "enum": crate::service::reports::INDICATORS.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(),
        }),
        ("limit", "query") => {
            json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})
        }
        ("lang", "query") => json!({"type": "string", "enum": ["en", "ru"]}),
        ("period", "query") => json!({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}),
        ("wait", "query") => json!({"type": "integer", "minimum": 0, "maximum": 60}),
        _ => return None,
    };
    if nullable {
        // Optional query parameters may be sent empty-handed but never as
        // JSON null; keep the type plain.
        schema.as_object_mut()?.remove("default");
    }
    Some(schema)
}

/// Rust tuples come out as `prefixItems` with `items: false`, which some
/// client generators cannot read: spell them as fixed-length arrays of the
/// members' common schema (or any of them).
fn plain_tuples(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("items") == Some(&Value::Bool(false))
                && let Some(Value::Array(members)) = object.remove("prefixItems")
            {
                let len = members.len();
                let mut distinct: Vec<Value> = Vec::new();
                for member in members {
                    if !distinct.contains(&member) {
                        distinct.push(member);
                    }
                }
                let items = if distinct.len() == 1 {
                    distinct.remove(0)
                } else {
                    json!({ "anyOf": distinct })
                };
                object.insert("items".into(), items);
                object.insert("minItems".into(), json!(len));
                object.insert("maxItems".into(), json!(len));
            }
            for child in object.values_mut() {
                plain_tuples(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(plain_tuples),
        _ => {}
    }
}

/// Names of the components `value` refers to, directly or through other
/// components.
fn reachable_components(value: &Value, components: &Map<String, Value>) -> Vec<String> {
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(name) = object
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_owned());
                }
                object.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut seen: Vec<String> = Vec::new();
    let mut queue = Vec::new();
    refs(value, &mut queue);
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        if let Some(schema) = components.get(&name) {
            refs(schema, &mut queue);
        }
        seen.push(name);
    }
    seen
}

/// The server refuses unknown fields in every body it reads; say so on the
/// schemas only requests use (a schema answers share may grow fields).
fn closed_request_schemas(doc: &mut Value) {
    let Some(components) = doc["components"]["schemas"].as_object().cloned() else {
        return;
    };
    let mut requests = Vec::new();
    let mut answers = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            requests.extend(reachable_components(&operation["requestBody"], &components));
            answers.extend(reachable_components(&operation["responses"], &components));
        }
    }
    // A part of an `allOf` cannot be closed: the other parts' members
    // would be "additional" to it.
    let mut parts = Vec::new();
    for schema in components.values() {
        for part in schema["allOf"].as_array().into_iter().flatten() {
            if let Some(name) = part["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                parts.push(name.to_owned());
            }
        }
    }
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    for name in requests
        .iter()
        .filter(|n| !answers.contains(n) && !parts.contains(n))
    {
        if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut)
            && schema.contains_key("properties")
            && !schema.contains_key("additionalProperties")
        {
            schema.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
}

/// What a request may leave out that an answer always carries (the server
/// fills in the documented defaults, and takes the id from the path):
/// request-side copies of those schemas, `NameInput`, requiring exactly
/// what the parser requires.
const INPUT_VARIANTS: &[(&str, &[&str])] = &[
    ("Programme", &["name", "form", "organization_ids", "period"]),
    ("Rules", &[]),
    ("Weights", &[]),
    ("Person", &["organization_id", "full_name", "kind"]),
    ("MentorProfile", &[]),
    ("MenteeProfile", &["category"]),
    ("MenteeView", &["category"]),
    ("Organization", &["name", "kind"]),
];

/// Whether a property's schema already admits null.
fn accepts_null(schema: &Value) -> bool {
    let null = Value::String("null".into());
    match &schema["type"] {
        Value::String(t) => t == "null",
        Value::Array(types) => types.contains(&null),
        _ => ["oneOf", "anyOf"].iter().any(|k| {
            schema[*k]
                .as_array()
                .is_some_and(|alts| alts.iter().any(|a| a["type"] == null))
        }),
    }
}

/// Removes every `required` list of a schema (not crossing references),
/// then requires `required` on the object that declares the properties.
fn set_required(schema: &mut Value, required: &[&str]) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(object) => {
                object.remove("required");
                object.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(schema);
    // What a request may leave out it may also send as null (the parser
    // reads null as absent).
    let parts: Vec<&mut Value> = match schema.get_mut("allOf").and_then(Value::as_array_mut) {
        Some(parts) => parts.iter_mut().collect(),
        None => vec![&mut *schema],
    };
    for part in parts {
        if let Some(properties) = part.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, property) in properties.iter_mut() {
                if !required.contains(&name.as_str()) && !accepts_null(property) {
                    *property = json!({"anyOf": [property.clone(), {"type": "null"}]});
                }
            }
        }
    }
    if required.is_empty() {
        return;
    }
    let target = match schema.get_mut("allOf").and_then(Value::as_array_mut) {
        Some(parts) => parts
            .iter_mut()
            .rev()
            .find(|p| p.get("properties").is_some()),
        None => Some(schema),
    };
    if let Some(Value::Object(object)) = target {
        object.insert("required".into(), json!(required));
    }
}

/// Rewrites references to `from` into references to `to` inside `value`.
fn rename_refs(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(object) => {
            if object.get("$ref").and_then(Value::as_str) == Some(from) {
                object.insert("$ref".into(), Value::String(to.to_owned()));
            }
            object.values_mut().for_each(|v| rename_refs(v, from, to));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, from, to)),
        _ => {}
    }
}

/// Adds the request-side copies of [`INPUT_VARIANTS`] and points every
/// request body (and every schema only request bodies use) at them.
fn input_variants(doc: &mut Value) {
    let Some(components) = doc["components"]["schemas"].as_object().cloned() else {
        return;
    };
    let mut answers = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            answers.extend(reachable_components(&operation["responses"], &components));
        }
    }
    for (name, required) in INPUT_VARIANTS {
        let Some(mut schema) = components.get(*name).cloned() else {
            continue;
        };
        set_required(&mut schema, required);
        let input = format!("{name}Input");
        let (from, to) = (
            format!("#/components/schemas/{name}"),
            format!("#/components/schemas/{input}"),
        );
        if let Some(paths) = doc["paths"].as_object_mut() {
            for item in paths.values_mut() {
                for operation in item
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|o| o.values_mut())
                {
                    if let Some(body) = operation.get_mut("requestBody") {
                        rename_refs(body, &from, &to);
                    }
                }
            }
        }
        if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
            for (other, other_schema) in schemas.iter_mut() {
                if !answers.contains(other) {
                    rename_refs(other_schema, &from, &to);
                }
            }
            schemas.insert(input, schema);
        }
    }
    // The copies refer to each other (a programme's rules and weights).
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for (name, _) in INPUT_VARIANTS {
            let (from, to) = (
                format!("#/components/schemas/{name}"),
                format!("#/components/schemas/{name}Input"),
            );
            for (other, _) in INPUT_VARIANTS {
                if let Some(copy) = schemas.get_mut(&format!("{other}Input")) {
                    rename_refs(copy, &from, &to);
                }
            }
        }
    }
}

/// A merge patch (RFC 7396) may name any member, and null removes one:
/// every member of a `…Patch` schema is optional and nullable.
fn merge_patch_schemas(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if name.ends_with("Patch") {
            set_required(schema, &[]);
        }
    }
}

/// Refines the document in place.
pub fn refine(doc: &mut Value) {
    plain_tuples(doc);
    input_variants(doc);
    merge_patch_schemas(doc);
    closed_request_schemas(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            refine_parameters(operation);
            if path.starts_with("/api/v1") {
                add_accept_language(operation);
            }
            refine_responses(method, path, operation);
        }
    }
}

fn refine_parameters(operation: &mut Map<String, Value>) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        let location = parameter["in"].as_str().unwrap_or_default().to_owned();
        let required = parameter["required"].as_bool().unwrap_or(false);
        if let Some(schema) = parameter_schema(&name, &location, !required) {
            parameter["schema"] = schema;
        }
        // The server reads an empty optional query parameter as left out
        // (what an HTML form sends for a field left blank), so an empty
        // value is valid for every optional parameter: a choice, a number,
        // a pattern.
        if location == "query" && !required {
            let schema = &mut parameter["schema"];
            if let Some(choices) = schema.get_mut("enum").and_then(Value::as_array_mut) {
                if !choices.contains(&json!("")) {
                    choices.push(json!(""));
                }
            } else if !admits_empty_text(schema) {
                *schema = json!({"anyOf": [schema.clone(), {"type": "string", "enum": [""]}]});
            }
        }
    }
}

/// Whether a parameter schema already admits the empty string: plain
/// text with no length floor, or a pattern that matches nothing.
fn admits_empty_text(schema: &Value) -> bool {
    if schema["type"] != "string" || schema.get("minLength").and_then(Value::as_u64) > Some(0) {
        return false;
    }
    match schema["pattern"].as_str() {
        None => true,
        Some(pattern) => pattern == ID_FILTER_PATTERN,
    }
}

fn add_accept_language(operation: &mut Map<String, Value>) {
    let parameters = operation
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(parameters) = parameters.as_array_mut() else {
        return;
    };
    if parameters.iter().any(|p| p["name"] == "Accept-Language") {
        return;
    }
    parameters.push(json!({
        "name": "Accept-Language",
        "in": "header",
        "required": false,
        "description": "The language of texts a person reads (problems, explanations, exports): `ru` or `en` (the default); quality lists are understood.",
        "schema": {"type": "string"},
    }));
}

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

fn refine_responses(method: &str, path: &str, operation: &mut Map<String, Value>) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let headers = response
            .entry("headers")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(headers) = headers.as_object_mut() else {
            continue;
        };
        headers.entry("X-Request-Id").or_insert_with(|| {
            header(
                "The request's id (yours when you sent one); problems repeat it.",
                json!({"type": "string"}),
            )
        });
        let single = path.ends_with("{id}") && !path.contains("/proposals/");
        match status.as_str() {
            "200" | "201" if single && matches!(method, "get" | "put" | "patch") => {
                headers.entry("ETag").or_insert_with(|| {
                    header(
                        "The entity tag of the resource as you read it; send it back in If-Match.",
                        json!({"type": "string"}),
                    )
                });
            }
            "202" => {
                headers.entry("Location").or_insert_with(|| {
                    header(
                        "Where to follow the new resource.",
                        json!({"type": "string"}),
                    )
                });
            }
            "429" => {
                headers.entry("Retry-After").or_insert_with(|| {
                    header(
                        "Seconds to wait before trying again.",
                        json!({"type": "integer"}),
                    )
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn the_document_carries_the_shared_constraints_and_headers() {
        let doc: Value = serde_json::to_value(super::super::openapi()).expect("serialises");
        let list = &doc["paths"]["/api/v1/mentees"]["get"];
        let limit = list["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
            .expect("limit");
        // A number from 1 to 1000, or empty for "the default".
        let number = &limit["schema"]["anyOf"][0];
        assert_eq!(number["minimum"], 1);
        assert_eq!(number["maximum"], 1000);
        assert_eq!(limit["schema"]["anyOf"][1]["enum"][0], "");
        assert!(list["responses"]["200"]["headers"]["X-Request-Id"].is_object());
        assert!(
            doc["paths"]["/api/v1/mentees/{id}"]["get"]["responses"]["200"]["headers"]["ETag"]
                .is_object()
        );
        assert!(list["responses"]["429"]["headers"]["Retry-After"].is_object());
    }

    #[test]
    fn the_generated_document_survives_the_round_trip() {
        let api = super::super::openapi();
        let value = serde_json::to_value(&api).expect("serialises");
        let back: Result<utoipa::openapi::OpenApi, _> = serde_json::from_value(value);
        assert!(back.is_ok(), "{:?}", back.err());
    }
}
