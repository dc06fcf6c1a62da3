//! Pages for curators and analysts at `/ui/`: server-rendered templates
//! (askama, checked at compile time), Russian by default, English on the
//! switch; reading works without JavaScript.
//!
//! A person signs in once with their API key ([`session`]); the browser
//! then carries a session cookie (HttpOnly, SameSite=Strict, Secure over
//! TLS) and every form a CSRF token. Handlers are short: they resume the
//! session ([`Ctx`]), call the same service functions the API handlers
//! call, and render a template. The pages are not part of the OpenAPI
//! document.

mod analyst;
mod pairs;
mod programmes;
mod proposals;
mod runs;
mod session;
pub mod texts;

use super::AppState;
use super::extract::Caller;
use super::problem::ApiError;
use crate::matching::Lang;
use crate::service::auth::{Permission, Principal, Role};
use crate::service::pairs::PairError;
use crate::service::runs::RunError;
use crate::service::sessions::{self, ActiveSession, SessionError};
use crate::store::{Actor, Scope, StoreError};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::web::{self, Bytes, Data};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use std::fmt;
use texts::Texts;

/// The cookie holding the session token.
pub const SESSION_COOKIE: &str = "mm_session";
/// The cookie holding the sign-in form's CSRF token (before a session).
pub const SIGN_IN_CSRF_COOKIE: &str = "mm_signin";
/// The cookie holding the chosen language.
pub const LANG_COOKIE: &str = "mm_lang";
/// Where every page lives.
pub const ROOT: &str = "/ui";
/// Largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

const STYLE: &str = include_str!("static/style.css");
const SCRIPT: &str = include_str!("static/app.js");

/// Registers the pages under `/ui/` (outside the API and its document).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(ROOT)
            .route("", web::get().to(session::home))
            .route("/", web::get().to(session::home))
            .route("/static/style.css", web::get().to(style))
            .route("/static/app.js", web::get().to(script))
            .route("/sign-in", web::get().to(session::sign_in_form))
            .route("/sign-in", web::post().to(session::sign_in))
            .route("/sign-out", web::post().to(session::sign_out))
            .route("/lang", web::get().to(session::switch_language))
            .route("/programmes", web::get().to(programmes::list))
            .route("/programmes/{id}", web::get().to(programmes::show))
            .route("/programmes/{id}/runs", web::post().to(runs::start))
            .route("/programmes/{id}/pairs", web::get().to(pairs::list))
            .route("/programmes/{id}/pairs", web::post().to(pairs::make))
            .route("/programmes/{id}/pair", web::get().to(pairs::by_hand))
            .route(
                "/programmes/{id}/pairs.csv",
                web::get().to(pairs::order_csv),
            )
            .route(
                "/programmes/{id}/pairs.xlsx",
                web::get().to(pairs::order_xlsx),
            )
            .route("/programmes/{id}/weights", web::get().to(analyst::weights))
            .route("/programmes/{id}/dry-run", web::post().to(analyst::dry_run))
            .route(
                "/programmes/{id}/sensitivity",
                web::get().to(analyst::sensitivity),
            )
            .route(
                "/programmes/{id}/outcomes",
                web::get().to(analyst::outcomes),
            )
            .route("/runs/{id}", web::get().to(runs::show))
            .route("/runs/{id}/approve", web::post().to(runs::approve_selected))
            .route("/compare", web::get().to(analyst::compare))
            .route("/proposals/{id}", web::get().to(proposals::show))
            .route(
                "/proposals/{id}/approve",
                web::post().to(proposals::approve),
            )
            .route("/proposals/{id}/reject", web::post().to(proposals::reject))
            .route(
                "/proposals/{id}/replace",
                web::post().to(proposals::replace),
            )
            .route("/proposals/{id}/pin", web::post().to(proposals::pin))
            .route("/proposals/{id}/unpin", web::post().to(proposals::unpin))
            .route("/pairs/{id}/complete", web::post().to(pairs::complete))
            .route("/pairs/{id}/end", web::post().to(pairs::end))
            .route("/indicators", web::get().to(analyst::indicators))
            .route("/indicators.csv", web::get().to(analyst::indicators_csv))
            .route("/indicators.xlsx", web::get().to(analyst::indicators_xlsx))
            .route("/indicators.svg", web::get().to(analyst::indicators_svg))
            .default_service(web::to(not_found)),
    );
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}

/// The language of a page: a valid `?lang=`, else the language cookie,
/// else Russian.
pub fn page_lang(req: &HttpRequest) -> Lang {
    let from_query = req.query_string().split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == "lang").then(|| Lang::parse(value)).flatten()
    });
    from_query
        .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .unwrap_or(Lang::Ru)
}

/// Whether the request came over TLS (directly or, per
/// `X-Forwarded-Proto`/`Forwarded`, through a proxy): then cookies are
/// `Secure`.
pub fn over_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// A cookie of the pages: HttpOnly, SameSite=Strict, path `/ui`, Secure
/// over TLS.
pub fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(ROOT)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(req))
        .finish()
}

/// The same cookie, expired: the browser drops it.
pub fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new());
    c.make_removal();
    c
}

/// Why a page could not be shown. Rendered as a page in the request's
/// language by [`error_pages`].
#[derive(Debug)]
pub enum PageError {
    /// No valid session: go to the sign-in page.
    SignIn,
    /// The role may not do this (403).
    Forbidden,
    /// A form without its CSRF token, or with a wrong one (403).
    Csrf,
    /// Nothing here, or not in the caller's scope (404).
    NotFound,
    /// The request cannot be done as sent (422), with what to say.
    Invalid(String),
    /// The state does not allow it (409), with what to say.
    Conflict(String),
    /// Too many requests for the key (429).
    TooMany,
    /// The database is not answering (503).
    Unavailable,
    /// A fault inside: logged, never shown (500).
    Internal(String),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Internal(cause) => write!(f, "internal error: {cause}"),
            PageError::Invalid(text) | PageError::Conflict(text) => f.write_str(text),
            other => write!(f, "{other:?}"),
        }
    }
}

impl PageError {
    /// What the error page says, in the language of `t`.
    fn message(&self, t: &Texts) -> String {
        match self {
            PageError::SignIn => t.session_ended.to_owned(),
            PageError::Forbidden => t.error_forbidden.to_owned(),
            PageError::Csrf => t.error_csrf.to_owned(),
            PageError::NotFound => t.error_not_found.to_owned(),
            PageError::Invalid(text) | PageError::Conflict(text) => {
                super::i18n::translate(text, t.lang)
            }
            PageError::TooMany => t.error_too_many.to_owned(),
            PageError::Unavailable => t.error_unavailable.to_owned(),
            PageError::Internal(_) => t.error_internal.to_owned(),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("{ROOT}/sign-in")))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            PageError::Internal(cause) => {
                tracing::error!(cause = %cause, "page failed");
                HttpResponse::build(self.status_code()).finish()
            }
            // The page itself is written by `error_pages`, which knows the
            // request's language.
            _ => HttpResponse::build(self.status_code()).finish(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::NotFound => PageError::NotFound,
            ApiError::Forbidden(_) => PageError::Forbidden,
            ApiError::Unauthorized(_) => PageError::SignIn,
            ApiError::Conflict(text) | ApiError::Malformed(text) => PageError::Conflict(text),
            ApiError::Invalid(errors) => PageError::Invalid(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ApiError::TooManyRequests(_) => PageError::TooMany,
            ApiError::Unavailable => PageError::Unavailable,
            ApiError::Internal(cause) => PageError::Internal(cause),
            other => PageError::Conflict(other.to_string()),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        ApiError::from(err).into()
    }
}

impl From<RunError> for PageError {
    fn from(err: RunError) -> Self {
        ApiError::from(err).into()
    }
}

impl From<PairError> for PageError {
    fn from(err: PairError) -> Self {
        ApiError::from(err).into()
    }
}

impl From<SessionError> for PageError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::Invalid => PageError::SignIn,
            SessionError::Store(store) => store.into(),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::Internal(format!("template: {err}"))
    }
}

/// A page request with a live session: who asks, in which language.
pub struct Ctx {
    /// The application.
    pub state: Data<AppState>,
    /// The session (the key's id, role and scope, the CSRF token).
    pub session: ActiveSession,
    /// The words of the page.
    pub t: &'static Texts,
    /// The peer address.
    pub origin: Option<String>,
    /// The path and query of this request (for the language switch).
    pub here: String,
    /// The name of the organisation the key is scoped to, when it has one.
    pub scope_name: Option<String>,
}

impl FromRequest for Ctx {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let origin = req.peer_addr().map(|a| a.ip().to_string());
        let t = texts::texts(page_lang(req));
        let here = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::Internal("state missing".into()))?;
            let token = token.ok_or(PageError::SignIn)?;
            let session = sessions::resume(state.store.as_ref(), &token).await?;
            tracing::Span::current().record("key_id", session.principal.key_id.as_str());
            state
                .limiter
                .check(&session.principal.key_id)
                .map_err(|_| PageError::TooMany)?;
            let scope_name = scope_name(&state, &session).await;
            Ok(Ctx {
                state,
                session,
                t,
                origin,
                here,
                scope_name,
            })
        })
    }
}

impl Ctx {
    /// The key's id, role and scope.
    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }

    /// The caller's scope.
    pub fn scope(&self) -> &Scope {
        &self.session.principal.scope
    }

    /// Refuses with 403 unless the role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        if self.principal().role.allows(permission) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// Whether the role allows `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.principal().role.allows(permission)
    }

    /// Whether this is an analyst (pseudonyms, no names).
    pub fn is_analyst(&self) -> bool {
        self.principal().role == Role::Analyst
    }

    /// Who acts, for the audit log: as for an API call.
    pub fn actor(&self) -> Actor {
        Actor {
            key_id: self.principal().key_id.clone(),
            role: self.principal().role.as_str().to_owned(),
            origin: self.origin.clone(),
        }
    }

    /// The caller as the API handlers know it.
    pub fn caller(&self) -> Caller {
        Caller {
            principal: self.principal().clone(),
            origin: self.origin.clone(),
        }
    }

    /// Refuses a form without the session's CSRF token.
    pub fn check_csrf(&self, form: &FormData) -> Result<(), PageError> {
        match form.get("csrf") {
            Some(sent) if self.session.csrf.matches(sent) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }

    /// The names of organisations in scope, by id (an id without a stored
    /// name, or beyond the first few dozen, reads as itself).
    pub async fn organization_names<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<std::collections::HashMap<String, String>, PageError> {
        let mut names = std::collections::HashMap::new();
        for id in ids.into_iter().take(60) {
            if names.contains_key(id) {
                continue;
            }
            let name = self
                .state
                .store
                .get_organization(self.scope(), id)
                .await?
                .and_then(|stored| serde_json::from_str::<serde_json::Value>(&stored.doc).ok())
                .and_then(|doc| doc["name"].as_str().map(str::to_owned));
            if let Some(name) = name {
                names.insert(id.to_owned(), name);
            }
        }
        Ok(names)
    }

    /// What every page shows around its content.
    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        Chrome::signed_in(
            self.t,
            &self.session,
            self.scope_name.as_deref(),
            title.into(),
            &self.here,
        )
    }
}

/// The name of the organisation a session's key is scoped to (none for a
/// key of all organisations, or when it cannot be read).
async fn scope_name(state: &AppState, session: &ActiveSession) -> Option<String> {
    let Scope::Under {
        organization_id, ..
    } = &session.principal.scope
    else {
        return None;
    };
    let stored = state
        .store
        .get_organization(&session.principal.scope, organization_id)
        .await
        .ok()??;
    let doc: serde_json::Value = serde_json::from_str(&stored.doc).ok()?;
    doc["name"].as_str().map(str::to_owned)
}

/// The language switch link: back to the same page in the other language.
fn switch_link(t: &Texts, here: &str) -> String {
    format!(
        "{ROOT}/lang?to={}&back={}",
        t.other_lang_code,
        url_encode(here)
    )
}

/// Percent-encodes a query value.
pub fn url_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What the layout needs from every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The words.
    pub t: &'static Texts,
    /// The page's title.
    pub title: String,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
    /// Role and scope, in words.
    pub who: String,
    /// The language switch link.
    pub switch: String,
    /// Whether a session is open (the sign-in page has none).
    pub signed_in: bool,
    /// Whether the page refreshes itself (a run in progress).
    pub refresh: bool,
    /// Whether to show the curator's navigation.
    pub curator: bool,
    /// Whether to show the analyst's navigation.
    pub analyst: bool,
    /// A line to show above the content (after an action).
    pub notice: Option<String>,
}

impl Chrome {
    /// The layout of a page with a session: navigation, who is signed in,
    /// the sign-out form.
    fn signed_in(
        t: &'static Texts,
        session: &ActiveSession,
        scope_name: Option<&str>,
        title: String,
        here: &str,
    ) -> Self {
        let p = &session.principal;
        let scope = match (&p.scope, scope_name) {
            (Scope::All, _) => t.scope_all.to_owned(),
            (Scope::Under { .. }, Some(name)) => name.to_owned(),
            (
                Scope::Under {
                    organization_id, ..
                },
                None,
            ) => organization_id.clone(),
        };
        Chrome {
            t,
            title,
            csrf: session.csrf.expose().to_owned(),
            who: format!("{} · {scope}", t.role(p.role)),
            switch: switch_link(t, here),
            signed_in: true,
            refresh: false,
            curator: p.role.allows(Permission::DecidePairs),
            analyst: p.role == Role::Analyst,
            notice: None,
        }
    }

    /// The layout of a page without a session.
    pub fn anonymous(t: &'static Texts, title: &str, here: &str) -> Self {
        Self {
            t,
            title: title.to_owned(),
            csrf: String::new(),
            who: String::new(),
            switch: switch_link(t, here),
            signed_in: false,
            refresh: false,
            curator: false,
            analyst: false,
            notice: None,
        }
    }
}

/// A date (`2026-11-30`) or a moment (`2026-11-30T14:05:…`) as the
/// reader reads it: `30.11.2026` and `30.11.2026 14:05` in Russian, ISO
/// with a space before the time in English. Anything else is shown as it
/// is.
pub fn when(t: &Texts, raw: &str) -> String {
    let raw = raw.trim();
    let Some(date) = raw.get(..10).filter(|d| {
        d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    }) else {
        return raw.to_owned();
    };
    let time = raw
        .get(10..)
        .and_then(|rest| rest.strip_prefix(['T', ' ']))
        .and_then(|rest| rest.get(..5))
        .filter(|hm| {
            hm.bytes().enumerate().all(|(i, b)| {
                if i == 2 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
        });
    let day = match t.lang {
        Lang::Ru => format!("{}.{}.{}", &date[8..10], &date[5..7], &date[..4]),
        Lang::En => date.to_owned(),
    };
    match time {
        Some(hm) => format!("{day} {hm}"),
        None => day,
    }
}

/// Renders a template as a page: HTML, never cached, never framed.
pub fn page(template: &impl Template) -> Result<HttpResponse, PageError> {
    Ok(html(StatusCode::OK, template.render()?))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(body)
}

/// A redirect after a form (303: the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A urlencoded form body, as name–value pairs in order (a name may repeat).
pub struct FormData(Vec<(String, String)>);

impl FormData {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, when not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl FromRequest for FormData {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let urlencoded = super::extract::media_type(req)
            .is_some_and(|m| m == "application/x-www-form-urlencoded");
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|_| PageError::Invalid("the form cannot be read".into()))?;
            if body.is_empty() {
                return Ok(FormData(Vec::new()));
            }
            if !urlencoded || body.len() > MAX_FORM_BYTES {
                return Err(PageError::Invalid("the form cannot be read".into()));
            }
            let text = std::str::from_utf8(&body)
                .map_err(|_| PageError::Invalid("the form cannot be read".into()))?;
            web::Query::<Vec<(String, String)>>::from_query(text)
                .map(|q| FormData(q.into_inner()))
                .map_err(|_| PageError::Invalid("the form cannot be read".into()))
        })
    }
}

/// The query string of a page as name–value pairs (pages read it
/// leniently: an unknown parameter is ignored, a bad value falls back).
pub fn query(req: &HttpRequest) -> FormData {
    FormData(
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default(),
    )
}

/// An id from a path or a form, as the API reads it.
pub fn id(raw: &str) -> Result<crate::domain::Id, PageError> {
    crate::domain::Id::parse(raw).map_err(|_| PageError::NotFound)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
    status: u16,
}

/// The error handler of the whole application: a page of `/ui/` gets a
/// friendly page in its language (never the internals), everything else
/// the API's problem document. A page a handler rendered itself (the
/// sign-in form after a wrong key, 401) is left as it is; an error page
/// shown to a signed-in person keeps the header with the navigation.
pub fn error_pages<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let path = res.request().path();
    if path != ROOT && !path.starts_with("/ui/") {
        return super::problem::problem_for_any_error(res);
    }
    if res.response().error().is_none() && is_html(res.response().headers()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let t = texts::texts(page_lang(res.request()));
    let message = match res.response().error() {
        Some(err) => match err.as_error::<PageError>() {
            Some(page) => page.message(t),
            None if status == StatusCode::NOT_FOUND => t.error_not_found.to_owned(),
            None if status == StatusCode::METHOD_NOT_ALLOWED => t.error_not_found.to_owned(),
            None if status.is_server_error() => t.error_internal.to_owned(),
            None => t.error_generic.to_owned(),
        },
        None if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED => {
            t.error_not_found.to_owned()
        }
        None if status.is_server_error() => t.error_internal.to_owned(),
        None => t.error_generic.to_owned(),
    };
    // The session, when there is one, gives the page its header; not
    // looked up when the store or the rate limit is the trouble.
    let token = res
        .request()
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|_| !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS);
    let state = res.request().app_data::<Data<AppState>>().cloned();
    let here = match res.request().query_string() {
        "" => res.request().path().to_owned(),
        q => format!("{}?{q}", res.request().path()),
    };
    let (req, res) = res.into_parts();
    let mut new = html(status, String::new());
    for (name, value) in res.headers() {
        if name == header::RETRY_AFTER || name == header::HeaderName::from_static("x-request-id") {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(t.html_lang),
    );
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let session = match (&state, &token) {
            (Some(state), Some(token)) => sessions::resume(state.store.as_ref(), token).await.ok(),
            _ => None,
        };
        let c = match (&session, &state) {
            (Some(session), Some(state)) => {
                let name = scope_name(state, session).await;
                Chrome::signed_in(t, session, name.as_deref(), t.error_title.to_owned(), &here)
            }
            _ => Chrome::anonymous(t, t.error_title, &here),
        };
        let page = ErrorPage {
            c,
            message,
            status: status.as_u16(),
        };
        let body = page.render().unwrap_or_else(|_| t.error_generic.to_owned());
        let new = new.set_body(EitherBody::<B, BoxBody>::right(BoxBody::new(body)));
        Ok(ServiceResponse::new(req, new))
    })))
}

/// Whether a response already carries a page (HTML).
fn is_html(headers: &header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_read_them() {
        let (ru, en) = (texts::texts(Lang::Ru), texts::texts(Lang::En));
        assert_eq!(when(ru, "2026-11-30"), "30.11.2026");
        assert_eq!(when(ru, "2026-11-30T14:05:09.123Z"), "30.11.2026 14:05");
        assert_eq!(when(ru, "2026-11-30 14:05:09"), "30.11.2026 14:05");
        assert_eq!(when(en, "2026-11-30T14:05:09Z"), "2026-11-30 14:05");
        assert_eq!(when(en, "2026-11-30"), "2026-11-30");
        assert_eq!(when(ru, "не дата"), "не дата");
        assert_eq!(when(ru, ""), "");
    }
}
