//! Orders: recording one over a programme's approved pairs, and its
//! attachment as XLSX and DOCX.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, json_body, path_id};
use super::problem::{ApiError, Problem};
use super::views::files::{Docx, Xlsx};
use super::views::orders::{OrderRequest, OrderView};
use crate::service::auth::Permission;
use crate::service::orders::{self, OrderError};
use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use serde_json::json;

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::Invalid(errors) => ApiError::Invalid(errors),
            OrderError::NotFound => ApiError::NotFound,
            OrderError::Internal(detail) => ApiError::Internal(detail),
            OrderError::Store(store) => store.into(),
        }
    }
}

/// Record an order over the programme's approved pairs and groups.
///
/// Takes every active pair of the programme whose mentee is in your scope
/// and that no order holds yet, in one transaction: two orders never take
/// the same pair. The pairs then carry the order's number and date.
#[utoipa::path(
    tag = "orders",
    params(("id" = String, Path, description = "Programme id")),
    request_body = OrderRequest,
    responses(
        (status = 201, description = "The order", body = OrderView),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No approved pair is left outside an order, or the number is already used in the programme", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or too long number, a date not `YYYY-MM-DD`, or an unknown field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programmes/{id}/orders")]
pub async fn create_order(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::IssueOrders)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let order = orders::create(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &body,
        &caller.actor(),
    )
    .await?;
    tracing::info!(programme_id = %id, order_id = %order.id, pairs = order.pairs, key_id = %principal.key_id, "order recorded");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/orders/{}.xlsx", order.id),
        ))
        .json(OrderView::from(&order)))
}

/// The order's attachment as an Excel workbook, in Russian: the pairs and
/// groups with the mentor's position, the mentee's class or position, the
/// form, start and end dates (date cells).
#[utoipa::path(
    tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "XLSX", body = Xlsx, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "No such order in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/orders/{id}.xlsx")]
pub async fn order_xlsx(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let attachment =
        orders::attachment(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let bytes =
        super::order_files::xlsx(&attachment).map_err(|e| ApiError::Internal(e.to_string()))?;
    attachment_response(&state, &caller, id.as_str(), "xlsx", bytes).await
}

/// The order's attachment as a Word document, in Russian: «Приложение к
/// приказу № N от дд.мм.гггг», the programme, the table of pairs and
/// groups, and a signature line.
#[utoipa::path(
    tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "DOCX", body = Docx, content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 404, description = "No such order in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/orders/{id}.docx")]
pub async fn order_docx(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let attachment =
        orders::attachment(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let bytes = super::order_files::docx(&attachment).map_err(ApiError::Internal)?;
    attachment_response(&state, &caller, id.as_str(), "docx", bytes).await
}

async fn attachment_response(
    state: &AppState,
    caller: &Caller,
    id: &str,
    format: &str,
    bytes: Vec<u8>,
) -> Result<HttpResponse, ApiError> {
    super::audit::record(
        state,
        caller,
        "order.exported",
        &format!("order:{id}"),
        json!({"format": format}),
    )
    .await;
    let content_type = match format {
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"order-{id}.{format}\""),
        ))
        .body(bytes))
}
