//! Orders that put pairs into effect, as the API takes and shows them.

use crate::store::OrderRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /programmes/{id}/orders`: the order's number (not blank, no
/// control characters; trimmed), date and who signs it. The order takes every approved pair and group of the programme in
/// your scope that no order holds yet.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OrderRequest {
    /// The number as the organisation writes it (`12-о`); unique in the
    /// programme.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub number: String,
    /// The order's date, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// Who signs it (the head's name).
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub signed_by: Option<String>,
}

/// An order as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    /// Service-given id.
    pub id: String,
    /// The programme.
    pub programme_id: String,
    /// The organisation the order is filed under.
    pub organization_id: String,
    /// The order's number.
    pub number: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// How many pairs it holds (a group counts each mentee).
    pub pairs: i64,
    /// Key id of who recorded it.
    pub created_by: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Who signs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

impl From<&OrderRecord> for OrderView {
    fn from(r: &OrderRecord) -> Self {
        Self {
            id: r.id.clone(),
            programme_id: r.programme_id.clone(),
            organization_id: r.organization_id.clone(),
            number: r.number.clone(),
            date: r.date.clone(),
            pairs: r.pairs,
            created_by: r.created_by.clone(),
            created_at: r.created_at.clone(),
            signed_by: r.signed_by.clone(),
        }
    }
}
