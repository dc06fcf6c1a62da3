//! Operations: health, metrics, the 404/405 fallback.

use super::AppState;
use super::problem::{ApiError, PROBLEM_JSON, generic_problem};
use actix_web::http::{Method, StatusCode, header};
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

/// Health of the service and its database.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// `ok` when the database answered.
    pub database: &'static str,
}

/// Health check: answers `200` when the database answers, `503` otherwise.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database is not answering", body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health")]
pub async fn health(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(Health {
            status: "ok",
            database: "ok",
        })),
        Err(err) => {
            tracing::warn!(error = %crate::telemetry::error_chain(&err), "health check failed");
            Err(ApiError::Unavailable)
        }
    }
}

/// Request counters in the Prometheus text format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: Data<AppState>) -> HttpResponse {
    let up = state.store.ping().await.is_ok();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(up))
}

/// Routes of the API as (path template, methods), from the OpenAPI
/// document, so the fallback can tell "wrong method" from "no such path".
#[derive(Debug, Default)]
pub struct KnownRoutes(pub Vec<(Vec<String>, Vec<Method>)>);

impl KnownRoutes {
    /// Collects the paths of `api`.
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in &api.paths.paths {
            let segments = path.split('/').map(str::to_owned).collect();
            let mut methods = Vec::new();
            for (method, op) in [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ] {
                if op.is_some() {
                    methods.push(method);
                }
            }
            routes.push((segments, methods));
        }
        Self(routes)
    }

    fn methods_for(&self, path: &str) -> Option<&[Method]> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == parts.len()
                    && template
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
            })
            .map(|(_, methods)| methods.as_slice())
    }
}

/// Anything no route took: `405` with `Allow` when the path exists with
/// other methods, `404` otherwise.
pub async fn fallback(req: HttpRequest, routes: Data<KnownRoutes>) -> HttpResponse {
    let (status, detail, allow) = match routes.methods_for(req.path()) {
        Some(methods) => {
            let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
            (
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "{} is not allowed here; use {}",
                    req.method(),
                    allow.join(", ")
                ),
                Some(allow.join(", ")),
            )
        }
        None => (
            StatusCode::NOT_FOUND,
            format!("there is nothing at {}", req.path()),
            None,
        ),
    };
    let mut response = HttpResponse::build(status);
    response.content_type(PROBLEM_JSON);
    if let Some(allow) = allow {
        response.insert_header((header::ALLOW, allow));
    }
    let mut problem = generic_problem(status, &detail);
    problem.request_id = req
        .extensions()
        .get::<super::problem::RequestId>()
        .map(|r| r.0.clone());
    response.json(problem)
}

use actix_web::HttpMessage;
