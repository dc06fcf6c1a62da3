//! Signing in and out, and the language switch.

use super::texts::texts;
use super::{
    Chrome, Ctx, FormData, LANG_COOKIE, PageError, ROOT, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE,
    cookie, page, page_lang, query, removal, see_other,
};
use crate::http::AppState;
use crate::matching::Lang;
use crate::service::sessions::{self, SessionError, Token};
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    csrf: String,
    failed: bool,
    message: Option<&'static str>,
}

/// `/ui/`: the programmes when signed in, else the sign-in page.
pub async fn home(req: HttpRequest) -> HttpResponse {
    if req.cookie(SESSION_COOKIE).is_some() {
        see_other(&format!("{ROOT}/programmes"))
    } else {
        see_other(&format!("{ROOT}/sign-in"))
    }
}

fn sign_in_page(
    req: &HttpRequest,
    failed: bool,
    message: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let t = texts(page_lang(req));
    // Before there is a session, the form's CSRF token is a random value
    // in a cookie of its own that the post must repeat.
    let csrf = Token::fresh();
    let mut response = page(&SignInPage {
        c: Chrome::anonymous(t, t.sign_in_title, req.path()),
        csrf: csrf.expose().to_owned(),
        failed,
        message,
    })?;
    if failed {
        *response.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
    }
    response
        .add_cookie(&cookie(req, SIGN_IN_CSRF_COOKIE, csrf.expose().to_owned()))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(response)
}

/// `GET /ui/sign-in`.
pub async fn sign_in_form(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let t = texts(page_lang(&req));
    let message = match query(&req).get("done") {
        Some("signed-out") => Some(t.signed_out),
        _ => None,
    };
    sign_in_page(&req, false, message)
}

/// `POST /ui/sign-in` with `key` and `csrf`: opens a session and sets its
/// cookie. The key is never echoed, logged or put in a URL.
pub async fn sign_in(
    state: Data<AppState>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    let expected = req
        .cookie(SIGN_IN_CSRF_COOKIE)
        .map(|c| c.value().to_owned());
    let csrf_ok = match (expected, form.get("csrf")) {
        (Some(expected), Some(sent)) => Token::from_sent(&expected).matches(sent),
        _ => false,
    };
    if !csrf_ok {
        return Err(PageError::Csrf);
    }
    let key = form.text("key").unwrap_or_default();
    let origin = req.peer_addr().map(|a| a.ip().to_string());
    match sessions::sign_in(state.store.as_ref(), key, origin).await {
        Ok(opened) => {
            tracing::info!(key_id = %opened.session.principal.key_id, "page session opened");
            let mut response = see_other(&format!("{ROOT}/programmes"));
            let set = response
                .add_cookie(&cookie(
                    &req,
                    SESSION_COOKIE,
                    opened.token.expose().to_owned(),
                ))
                .and_then(|()| response.add_cookie(&removal(&req, SIGN_IN_CSRF_COOKIE)));
            set.map_err(|e| PageError::Internal(e.to_string()))?;
            Ok(response)
        }
        Err(SessionError::Invalid) => sign_in_page(&req, true, None),
        Err(other) => Err(other.into()),
    }
}

/// `POST /ui/sign-out` with `csrf`: ends the session at once.
pub async fn sign_out(
    ctx: Ctx,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    sessions::sign_out(ctx.state.store.as_ref(), &ctx.session, ctx.origin.clone()).await?;
    let mut response = see_other(&format!("{ROOT}/sign-in?done=signed-out"));
    response
        .add_cookie(&removal(&req, SESSION_COOKIE))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(response)
}

/// `GET /ui/lang?to=en&back=/ui/…`: remembers the language in a cookie
/// and goes back to the page (only ever a page of `/ui/`).
pub async fn switch_language(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let q = query(&req);
    let lang = q.get("to").and_then(Lang::parse).unwrap_or(Lang::Ru);
    let back = q
        .get("back")
        .filter(|b| b.starts_with("/ui/") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or("/ui/programmes");
    // The page is opened again without a `lang=` of its own, so that the
    // cookie decides.
    let back = strip_lang(back);
    let mut response = see_other(&back);
    let mut c = cookie(&req, LANG_COOKIE, texts(lang).html_lang.to_owned());
    c.set_max_age(actix_web::cookie::time::Duration::days(365));
    response
        .add_cookie(&c)
        .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(response)
}

fn strip_lang(path: &str) -> String {
    match path.split_once('?') {
        None => path.to_owned(),
        Some((p, q)) => {
            let kept: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=")).collect();
            if kept.is_empty() {
                p.to_owned()
            } else {
                format!("{p}?{}", kept.join("&"))
            }
        }
    }
}
