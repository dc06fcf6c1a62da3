//! Planned values of the monitoring indicators per organisation,
//! indicator and period, reported beside the actual value with the gap.

use crate::domain::FieldError;
use crate::service::reports::INDICATORS;
use crate::store::{Actor, Scope, Store, StoreError, TargetRecord};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Most targets of one organisation.
pub const MAX_TARGETS: usize = 1000;

/// Errors of the targets service.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Bad input; every bad field is named.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such organisation in the caller's scope.
    #[error("not found")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `raw` is a month `YYYY-MM` or a year `YYYY`.
pub fn is_period(raw: &str) -> bool {
    let b = raw.as_bytes();
    let year = |s: &[u8]| s.len() == 4 && s.iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => year(b),
        7 => {
            year(&b[..4])
                && b[4] == b'-'
                && matches!(raw[5..].parse::<u8>(), Ok(1..=12))
                && b[5..].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// Reads `{targets: [{indicator, period, percent}]}`; every bad field is
/// named, and of an indicator planned twice for one period the later wins.
pub fn parse(body: &Value) -> Result<Vec<TargetRecord>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(object) = body.as_object() else {
        return Err(vec![FieldError::new("$", "must be a JSON object")]);
    };
    for key in object.keys().filter(|k| k.as_str() != "targets") {
        errors.push(FieldError::new(key.clone(), "is not a known field"));
    }
    let items = match object.get("targets") {
        Some(Value::Array(items)) if items.len() <= MAX_TARGETS => items.as_slice(),
        Some(Value::Array(_)) => {
            errors.push(FieldError::new(
                "targets",
                format!("must hold at most {MAX_TARGETS} targets"),
            ));
            &[]
        }
        None => {
            errors.push(FieldError::new("targets", "is required"));
            &[]
        }
        Some(_) => {
            errors.push(FieldError::new("targets", "must be a list"));
            &[]
        }
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("targets[{i}].{f}");
        let Some(item) = item.as_object() else {
            errors.push(FieldError::new(
                format!("targets[{i}]"),
                "must be a JSON object",
            ));
            continue;
        };
        for key in item
            .keys()
            .filter(|k| !["indicator", "period", "percent"].contains(&k.as_str()))
        {
            errors.push(FieldError::new(at(key), "is not a known field"));
        }
        let indicator = match item.get("indicator").and_then(Value::as_str) {
            Some(id) if INDICATORS.iter().any(|(i, _, _)| *i == id) => Some(id.to_owned()),
            _ => {
                errors.push(FieldError::new(
                    at("indicator"),
                    "must be one of the indicator ids",
                ));
                None
            }
        };
        let period = match item.get("period").and_then(Value::as_str) {
            Some(p) if is_period(p) => Some(p.to_owned()),
            _ => {
                errors.push(FieldError::new(
                    at("period"),
                    "must be a month YYYY-MM or a year YYYY",
                ));
                None
            }
        };
        let percent = match item.get("percent").and_then(Value::as_f64) {
            Some(p) if (0.0..=100.0).contains(&p) => Some(p),
            _ => {
                errors.push(FieldError::new(
                    at("percent"),
                    "must be a number between 0 and 100",
                ));
                None
            }
        };
        if let (Some(indicator), Some(period), Some(percent)) = (indicator, period, percent) {
            // The same indicator and period again: the later one wins.
            if !seen.insert((indicator.clone(), period.clone())) {
                out.retain(|t: &TargetRecord| t.indicator != indicator || t.period != period);
            }
            out.push(TargetRecord {
                indicator,
                period,
                tenths: (percent * 10.0).round() as i64,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

async fn check_scope(store: &dyn Store, scope: &Scope, id: &str) -> Result<(), TargetError> {
    store
        .get_organization(scope, id)
        .await?
        .map(|_| ())
        .ok_or(TargetError::NotFound)
}

/// Replaces the targets of an organisation the caller sees.
pub async fn put(
    store: &dyn Store,
    scope: &Scope,
    organization_id: &str,
    body: &Value,
    actor: &Actor,
) -> Result<Vec<TargetRecord>, TargetError> {
    check_scope(store, scope, organization_id).await?;
    let targets = parse(body).map_err(TargetError::Invalid)?;
    store
        .replace_targets(organization_id, &targets, actor)
        .await?;
    Ok(store.targets_of(organization_id).await?)
}

/// The targets of an organisation the caller sees.
pub async fn get(
    store: &dyn Store,
    scope: &Scope,
    organization_id: &str,
) -> Result<Vec<TargetRecord>, TargetError> {
    check_scope(store, scope, organization_id).await?;
    Ok(store.targets_of(organization_id).await?)
}

/// The planned per cent of each (organisation, indicator) for a month
/// `YYYY-MM`: the month's own target, else the year's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plans(HashMap<(String, String), f64>);

impl Plans {
    /// The plans of `month` among `targets` (organisation, target).
    pub fn for_month(targets: Vec<(String, TargetRecord)>, month: &str) -> Self {
        let year = month.get(..4).unwrap_or_default();
        let mut plans = HashMap::new();
        for (org, t) in &targets {
            if t.period == year {
                plans.insert((org.clone(), t.indicator.clone()), t.tenths as f64 / 10.0);
            }
        }
        for (org, t) in targets {
            if t.period == month {
                plans.insert((org, t.indicator), t.tenths as f64 / 10.0);
            }
        }
        Self(plans)
    }

    /// The planned per cent of `indicator` for `organization_id`, if any.
    pub fn of(&self, organization_id: &str, indicator: &str) -> Option<f64> {
        self.0
            .get(&(organization_id.to_owned(), indicator.to_owned()))
            .copied()
    }
}

/// Actual minus planned, rounded to 0.1; absent without either.
pub fn gap(actual: Option<f64>, plan: Option<f64>) -> Option<f64> {
    Some(((actual? - plan?) * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn periods_are_months_or_years() {
        assert!(is_period("2026") && is_period("2026-09") && is_period("2026-12"));
        assert!(!is_period("2026-13") && !is_period("2026-9") && !is_period("26-09"));
    }

    #[test]
    fn a_month_target_wins_over_the_year() {
        let t = |period: &str, tenths| {
            (
                "s".to_owned(),
                TargetRecord {
                    indicator: "x".into(),
                    period: period.into(),
                    tenths,
                },
            )
        };
        let plans = Plans::for_month(vec![t("2026-09", 400), t("2026", 300)], "2026-09");
        assert_eq!(plans.of("s", "x"), Some(40.0));
        let plans = Plans::for_month(vec![t("2026-09", 400), t("2026", 300)], "2026-10");
        assert_eq!(plans.of("s", "x"), Some(30.0));
        assert_eq!(gap(Some(33.3), Some(40.0)), Some(-6.7));
        assert_eq!(gap(None, Some(40.0)), None);
    }

    #[test]
    fn targets_name_every_bad_field() {
        let errors = parse(&json!({"targets": [
            {"indicator": "nope", "period": "2026-13", "percent": 101},
            {"indicator": "teachers_mentoring", "period": "2026", "percent": 50, "x": 1},
        ]}))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "targets[0].indicator",
                "targets[0].period",
                "targets[0].percent",
                "targets[1].x"
            ]
        );
    }
}
