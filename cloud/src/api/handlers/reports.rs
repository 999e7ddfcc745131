//! Reports and the audit log: `GET /reports`, `GET /reports/export`, `GET /audit`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{ApiError, Authed, ErrorBody, blocking};
use crate::floor::records::AuditEntry;
use crate::hub::Hub;
use crate::hub::audit::Audit;
use crate::hub::reports::export::{self, Table};
use crate::hub::reports::{QuickRange, Report, resolve_range};
use crate::store::floor::AuditFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/reports", get(report))
        .route("/api/v1/reports/export", get(export_report))
        .route("/api/v1/audit", get(audit))
}

/// The zone named by `tz` (default UTC).
pub(crate) fn zone(tz: Option<&str>) -> Result<Tz, ApiError> {
    match tz.filter(|t| !t.is_empty()) {
        None => Ok(Tz::UTC),
        Some(t) => t.parse::<Tz>().map_err(|_| {
            ApiError::bad(
                "tz",
                format!("{t:?} is not an IANA time zone (e.g. Europe/Paris)"),
            )
        }),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// A tenant (resellers); default: the caller's.
    pub org: Option<Uuid>,
    /// First day (local, `YYYY-MM-DD`), with `to`…
    pub from: Option<NaiveDate>,
    /// …last day, inclusive (default: today).
    pub to: Option<NaiveDate>,
    /// …or a quick choice: `today`, `yesterday`, `last7_days`, `last30_days`, `this_month`.
    pub range: Option<QuickRange>,
    /// IANA zone of the days (default UTC).
    pub tz: Option<String>,
}

async fn build(
    hub: Hub,
    actor: crate::authz::Actor,
    p: ReportParams,
) -> Result<(Hub, crate::authz::Actor, Report), ApiError> {
    let tz = zone(p.tz.as_deref())?;
    blocking(move || {
        let (from, to) = resolve_range(tz, hub.now_public(), p.range, p.from, p.to)?;
        let r = hub.report(&actor, p.org, from, to, tz)?;
        Ok((hub, actor, r))
    })
    .await
}

/// A report: totals, per day, per channel, per queue, per agent, failure reasons.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportParams),
    responses((status = 200, body = Report), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn report(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<Report>> {
    Ok(Json(build(hub, actor, p).await?.2))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (one table, see `table`) or `xlsx` (every table, one sheet each).
    pub format: String,
    /// The CSV's table: `summary`, `days`, `channels`, `queues`, `agents`, `failures` (default `days`).
    pub table: Option<Table>,
}

/// The report as a file (recorded in the audit log).
#[utoipa::path(get, path = "/api/v1/reports/export", tag = "reports", params(ReportParams, ExportParams),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn export_report(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<ReportParams>,
    Query(e): Query<ExportParams>,
) -> ApiResult<impl IntoResponse> {
    let xlsx = export::parse_format(&e.format).map_err(ApiError::Hub)?;
    let table = e.table.unwrap_or(Table::Days);
    let (hub, actor, r) = build(hub, actor, p).await?;
    let stem = format!(
        "report-{}-{}",
        r.from.format("%Y%m%d"),
        (r.to - chrono::Duration::seconds(1)).format("%Y%m%d")
    );
    let (bytes, mime, name) = if xlsx {
        (
            export::xlsx(&r).map_err(ApiError::Hub)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{stem}.xlsx"),
        )
    } else {
        (
            export::csv(&r, table).map_err(ApiError::Hub)?,
            "text/csv; charset=utf-8",
            format!("{stem}-{}.csv", table.name()),
        )
    };
    let detail = format!("{name} ({} to {})", r.from.to_rfc3339(), r.to.to_rfc3339());
    let org = r.org_id;
    blocking(move || hub.audit_now(&actor, Audit::new(org, "exported", "report").detail(detail)))
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub org: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The audit log (who created, changed, deleted or exported what, and when), newest first;
/// `q` searches actor, action, target and detail.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Paging, AuditParams),
    responses((status = 200, body = PageOf<AuditEntry>)), security(("bearer" = [])))]
pub async fn audit(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(a): Query<AuditParams>,
) -> ApiResult<Json<PageOf<AuditEntry>>> {
    let page = p.request()?;
    let filter = AuditFilter {
        org: a.org,
        since: a.since,
        until: a.until,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.audit_log(&actor, &filter, &page))
            .await?
            .into(),
    ))
}
