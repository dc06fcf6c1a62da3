//! The HTTP edge: routes, authentication, problem+json, the spec.

pub mod audit;
pub mod charts;
pub mod conditional;
pub mod csv_cells;
pub mod documents;
pub mod extract;
pub mod i18n;
pub mod import;
pub mod limit;
pub mod middleware;
pub mod ops;
pub mod order_files;
pub mod orders;
pub mod organizations;
pub mod pages;
pub mod pairs;
pub mod privacy;
pub mod problem;
pub mod profiles;
pub mod programmes;
pub mod reports;
pub mod runs;
pub mod spec;
pub mod streamed;
pub mod targets;
pub mod templates;
pub mod views;
pub mod wishes;

use crate::store::Store;
use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// Largest JSON body accepted by the single-resource endpoints.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares.
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Request counters.
    pub metrics: Arc<middleware::Metrics>,
    /// Requests per key.
    pub limiter: limit::RateLimiter,
}

/// Settings of a server beyond its listener and database.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Requests per minute per key and instance; 0 = unlimited.
    pub rate_limit_per_minute: u32,
    /// Whether this instance runs queued matching runs.
    pub run_worker: bool,
    /// The retention sweep of stored runs; `None` keeps every run.
    pub retention: Option<crate::service::runs::Retention>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rate_limit_per_minute: 1200,
            run_worker: true,
            retention: Some(crate::service::runs::Retention::default()),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mentor-match",
        description = "Keeps the banks of mentors and mentees of schools running the target model of mentoring, \
                       proposes optimal pairs and groups, and explains them. Every /api/v1 request needs \
                       `Authorization: Bearer <key>`; errors are application/problem+json.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(problem::Problem, crate::domain::FieldError, crate::service::import::CsvKind, views::files::CsvDialect)),
    tags(
        (name = "organizations", description = "The tree region → municipality → organisation"),
        (name = "mentors", description = "The bank of mentors"),
        (name = "mentees", description = "The bank of mentees"),
        (name = "programmes", description = "Mentoring programmes"),
        (name = "import", description = "Bulk load"),
        (name = "runs", description = "Matching runs: proposals, score matrices, comparisons"),
        (name = "proposals", description = "Curator decisions on proposals"),
        (name = "pairs", description = "Active and finished pairs, the list for the order, the record of changes"),
        (name = "orders", description = "Orders that put approved pairs into effect, and their attachments"),
        (name = "audit", description = "Who read or changed what"),
        (name = "reports", description = "Monitoring indicators"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1")
            .service(organizations::put_organization)
            .service(organizations::patch_organization)
            .service(organizations::get_organization)
            .service(organizations::delete_organization)
            .service(organizations::list_organizations)
            .service(profiles::put_mentor)
            .service(profiles::patch_mentor)
            .service(profiles::get_mentor)
            .service(profiles::delete_mentor)
            .service(profiles::list_mentors)
            .service(profiles::put_mentee)
            .service(profiles::patch_mentee)
            .service(profiles::get_mentee)
            .service(profiles::delete_mentee)
            .service(profiles::list_mentees)
            .service(profiles::withdraw_mentee_consent)
            .service(profiles::withdraw_mentor_consent)
            .service(programmes::put_programme)
            .service(programmes::patch_programme)
            .service(programmes::get_programme)
            .service(programmes::delete_programme)
            .service(programmes::list_programmes)
            .service(import::import_batch)
            .service(templates::template)
            .service(runs::start_run)
            .service(runs::list_runs)
            .service(runs::readiness)
            .service(runs::sensitivity)
            .service(runs::outcomes)
            .service(runs::get_run)
            .service(runs::run_scores)
            .service(runs::what_if)
            .service(runs::delete_run)
            .service(runs::compare_runs)
            .service(runs::approve)
            .service(runs::reject)
            .service(pairs::pair_by_hand)
            .service(wishes::add_pin)
            .service(wishes::list_pins)
            .service(wishes::remove_pin)
            .service(wishes::remove_mentee_pin)
            .service(wishes::put_preferences)
            .service(wishes::get_preferences)
            .service(pairs::list_pairs)
            .service(pairs::get_pair)
            .service(pairs::complete_pair)
            .service(pairs::end_pair)
            .service(pairs::add_feedback)
            .service(pairs::list_feedback)
            .service(programmes::weight_history)
            .service(runs::score_histogram)
            .service(pairs::export_csv)
            .service(pairs::export_xlsx)
            .service(orders::create_order)
            .service(orders::order_xlsx)
            .service(orders::order_docx)
            .service(targets::put_targets)
            .service(targets::get_targets)
            .service(audit::list_audit)
            .service(reports::indicators)
            .service(reports::indicators_csv)
            .service(reports::indicators_xlsx)
            .service(reports::indicators_svg),
    )
    .service(ops::health)
    .service(ops::metrics);
}

/// The OpenAPI document, generated from the routes themselves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts()
        .1;
    document_common_problems(&mut api);
    // The shared constraints and headers are written once, over the whole
    // document; a document that does not survive the round trip is a bug
    // caught by the spec test, so it is kept as generated then.
    let Ok(mut doc) = serde_json::to_value(&api) else {
        return api;
    };
    spec::refine(&mut doc);
    serde_json::from_value(doc).unwrap_or(api)
}

/// Adds the problem answers every `/api/v1` operation can give (bad
/// request, no key, wrong role, not in scope, invalid input, too large,
/// stale `If-Match`) where a handler did not document them itself.
fn document_common_problems(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    problem::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in api.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1") {
            continue;
        }
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.post, true),
            (&mut item.delete, false),
        ];
        for (operation, has_body) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let mut common = vec![
                ("400", "Malformed request"),
                ("401", "Missing, unknown, revoked or expired key"),
                ("403", "The key's role does not allow this"),
                ("404", "Not found in your scope"),
                ("422", "Invalid input; every bad field is named"),
                ("429", "Too many requests for this key; see Retry-After"),
            ];
            if has_body {
                common.push(("413", "Body too large"));
                common.push((
                    "415",
                    "The body is not of a media type this operation takes",
                ));
            }
            if path.contains('{') {
                common.push(("412", "If-Match is stale"));
            }
            for (status, description) in common {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            }
        }
    }
}

/// The running server and the port it listens on.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `listener` (port 0 picks a free one) and builds the server
    /// over `store`.
    pub fn build(listener: TcpListener, store: Arc<dyn Store>) -> std::io::Result<Self> {
        Self::build_with(listener, store, Settings::default())
    }

    /// As [`Application::build`], with explicit settings.
    pub fn build_with(
        listener: TcpListener,
        store: Arc<dyn Store>,
        settings: Settings,
    ) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = Data::new(AppState {
            store,
            metrics: Arc::new(middleware::Metrics::default()),
            limiter: limit::RateLimiter::new(settings.rate_limit_per_minute),
        });
        let spec = openapi();
        if settings.run_worker {
            crate::service::runs::spawn_worker(state.store.clone());
        }
        if let Some(retention) = settings.retention {
            crate::service::runs::spawn_retention(state.store.clone(), retention);
        }
        let routes = Data::new(ops::KnownRoutes::from_openapi(&spec));
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .configure(api_routes)
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(routes.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(extract::path_config())
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", spec.clone()))
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("Location", "/docs/"))
                            .finish()
                    }),
                )
                // The pages at /ui/ are not part of the API or its document.
                .configure(pages::routes)
                .default_service(web::to(ops::fallback))
                // Pages get their error pages; everything else problem+json.
                .wrap(ErrorHandlers::new().default_handler(pages::error_pages))
                .wrap(from_fn(middleware::request_context))
        })
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until stopped.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
