//! Per-request context: a request id, a tracing span, and the counters
//! behind `/metrics`.

use super::AppState;
use super::problem::RequestId;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, HttpMessage};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// The header that carries the request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Request counters, by status class, and total latency.
#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    micros_total: AtomicU64,
    in_flight: AtomicU64,
}

impl Metrics {
    fn record(&self, status: u16, micros: u64) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        self.micros_total.fetch_add(micros, Ordering::Relaxed);
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self, database_up: bool) -> String {
        let mut out = String::from(
            "# HELP mentor_match_http_requests_total HTTP requests answered, by status class.\n\
             # TYPE mentor_match_http_requests_total counter\n",
        );
        let mut count = 0;
        for (i, counter) in self.by_class.iter().enumerate() {
            let n = counter.load(Ordering::Relaxed);
            count += n;
            out.push_str(&format!(
                "mentor_match_http_requests_total{{class=\"{}xx\"}} {n}\n",
                i + 1
            ));
        }
        let seconds = self.micros_total.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!(
            "# HELP mentor_match_http_request_duration_seconds Time spent answering requests.\n\
             # TYPE mentor_match_http_request_duration_seconds summary\n\
             mentor_match_http_request_duration_seconds_sum {seconds}\n\
             mentor_match_http_request_duration_seconds_count {count}\n\
             # HELP mentor_match_http_requests_in_flight Requests being answered now.\n\
             # TYPE mentor_match_http_requests_in_flight gauge\n\
             mentor_match_http_requests_in_flight {}\n\
             # HELP mentor_match_database_up Whether the database answered the last check.\n\
             # TYPE mentor_match_database_up gauge\n\
             mentor_match_database_up {}\n",
            self.in_flight.load(Ordering::Relaxed),
            u8::from(database_up)
        ));
        out
    }
}

/// Keeps a caller's request id when it is short and plain, so that logs
/// across systems line up; otherwise makes one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Wraps every request in a span named by its request id, echoes the id
/// in the response, logs one line per request (method, route pattern,
/// status, time; never paths, headers or bodies, which may hold people's
/// ids, keys and names) and counts it.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req.app_data::<Data<AppState>>().map(|s| s.metrics.clone());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        // The route pattern, not the path: paths hold people's ids.
        route = tracing::field::Empty,
        key_id = tracing::field::Empty,
    );
    if let Some(m) = &metrics {
        m.in_flight.fetch_add(1, Ordering::Relaxed);
    }
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let micros = started.elapsed().as_micros() as u64;
    if let Some(m) = &metrics {
        m.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
    let mut res = result?;
    let status = res.status().as_u16();
    span.record(
        "route",
        res.request()
            .match_pattern()
            .unwrap_or_else(|| "(no route)".to_owned())
            .as_str(),
    );
    if let Some(m) = &metrics {
        m.record(status, micros);
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = micros as f64 / 1000.0,
            "request answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(res)
}
