//! The dashboard's live figures (sends per minute, rate, estimated completion) and the
//! per-recipient export as CSV (`csv` crate) or XLSX (`rust_xlsxwriter`), written page by page
//! to a file so a million rows never sit in memory at once as rows.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::Recipient;
use crate::authz::Action;
use crate::hub::Hub;
use crate::hub::audit::Audit;
use crate::hub::error::{HubError, invalid};

/// Minutes the sends-per-minute series covers.
pub const SERIES_MINUTES: i64 = 60;
/// Minutes the current rate is averaged over.
pub const RATE_MINUTES: i64 = 5;

/// One minute of the series.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MinuteCount {
    pub minute: DateTime<Utc>,
    pub sent: u64,
}

/// Live figures of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CampaignStats {
    /// The last [`SERIES_MINUTES`] minutes, every minute present (zeros included).
    pub per_minute: Vec<MinuteCount>,
    /// Sends per minute over the last [`RATE_MINUTES`] minutes.
    pub rate_per_minute: f64,
    /// When what is left would be done at that rate (`null`: nothing left, or no rate yet).
    pub eta: Option<DateTime<Utc>>,
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

const COLUMNS: [&str; 7] = [
    "line",
    "number",
    "state",
    "reason",
    "text",
    "message_id",
    "updated_at",
];

fn text_of(c: &super::Campaign, r: &Recipient) -> String {
    r.text
        .clone()
        .unwrap_or_else(|| super::template::render(&c.template, &r.vars).unwrap_or_default())
}

impl Hub {
    pub fn campaign_stats(
        &self,
        actor: &crate::authz::Actor,
        id: Uuid,
    ) -> Result<CampaignStats, HubError> {
        let mut tx = self.read()?;
        let (_, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ViewCampaign, id)?;
        let now = self.now();
        let start = now - Duration::minutes(SERIES_MINUTES - 1);
        let start = DateTime::from_timestamp(start.timestamp() - start.timestamp() % 60, 0)
            .unwrap_or(start);
        let counts = tx.campaigns().sends_per_minute(&scope, id, start)?;
        let counters = tx.campaigns().campaign_counters(&scope, id)?;
        let mut per_minute = Vec::with_capacity(SERIES_MINUTES as usize);
        for i in 0..SERIES_MINUTES {
            let minute = start + Duration::minutes(i);
            let key = minute.format("%Y-%m-%d %H:%M").to_string();
            let sent = counts
                .iter()
                .find(|(m, _)| *m == key)
                .map_or(0, |(_, n)| *n);
            per_minute.push(MinuteCount { minute, sent });
        }
        let recent: u64 = per_minute
            .iter()
            .rev()
            .take(RATE_MINUTES as usize)
            .map(|m| m.sent)
            .sum();
        let rate_per_minute = recent as f64 / RATE_MINUTES as f64;
        let left = counters.unprocessed();
        let eta = (left > 0 && rate_per_minute > 0.0)
            .then(|| now + Duration::seconds((left as f64 / rate_per_minute * 60.0).ceil() as i64));
        Ok(CampaignStats {
            per_minute,
            rate_per_minute,
            eta,
        })
    }

    /// Writes every recipient with its state to `path`; returns the file name to offer.
    pub fn export_campaign(
        &self,
        actor: &crate::authz::Actor,
        id: Uuid,
        format: ExportFormat,
        path: &Path,
    ) -> Result<String, HubError> {
        let c = {
            let mut tx = self.read()?;
            self.campaign_scoped(&mut *tx, actor, Action::ViewCampaign, id)?
                .0
        };
        let fail = |e: String| invalid("format", format!("the export could not be written: {e}"));
        let mut after = 0;
        let page = |after: i64| -> Result<Vec<Recipient>, HubError> {
            let mut tx = self.read()?;
            let (_, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ViewCampaign, id)?;
            Ok(tx.campaigns().recipients(&scope, id, None, after, 5000)?)
        };
        let ext = match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_path(path).map_err(|e| fail(e.to_string()))?;
                w.write_record(COLUMNS).map_err(|e| fail(e.to_string()))?;
                loop {
                    let rows = page(after)?;
                    let Some(last) = rows.last() else { break };
                    after = last.seq;
                    for r in &rows {
                        w.write_record([
                            r.line.to_string(),
                            r.number.clone(),
                            r.state.as_str().to_owned(),
                            r.reason.clone().unwrap_or_default(),
                            text_of(&c, r),
                            r.message_id.map(|m| m.to_string()).unwrap_or_default(),
                            r.updated_at.to_rfc3339(),
                        ])
                        .map_err(|e| fail(e.to_string()))?;
                    }
                }
                w.flush().map_err(|e| fail(e.to_string()))?;
                "csv"
            }
            ExportFormat::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                let x = |e: rust_xlsxwriter::XlsxError| fail(e.to_string());
                let sheet = book.add_worksheet_with_constant_memory().map_err(x)?;

                let bold = rust_xlsxwriter::Format::new().set_bold();
                for (i, h) in COLUMNS.iter().enumerate() {
                    sheet
                        .write_string_with_format(0, i as u16, *h, &bold)
                        .map_err(x)?;
                }
                let mut row = 1u32;
                loop {
                    let rows = page(after)?;
                    let Some(last) = rows.last() else { break };
                    after = last.seq;
                    for r in &rows {
                        sheet.write_number(row, 0, r.line as f64).map_err(x)?;
                        sheet.write_string(row, 1, &r.number).map_err(x)?;
                        sheet.write_string(row, 2, r.state.as_str()).map_err(x)?;
                        sheet
                            .write_string(row, 3, r.reason.as_deref().unwrap_or(""))
                            .map_err(x)?;
                        sheet.write_string(row, 4, text_of(&c, r)).map_err(x)?;
                        sheet
                            .write_string(
                                row,
                                5,
                                r.message_id.map(|m| m.to_string()).unwrap_or_default(),
                            )
                            .map_err(x)?;
                        sheet
                            .write_string(row, 6, r.updated_at.to_rfc3339())
                            .map_err(x)?;
                        row += 1;
                    }
                }
                book.save(path).map_err(x)?;
                "xlsx"
            }
        };
        self.audit_now(actor, Audit::new(c.org_id, "exported", "campaign").id(c.id))?;
        let stem: String = c
            .name
            .chars()
            .map(|ch| if ch.is_alphanumeric() { ch } else { '-' })
            .collect();
        Ok(format!("campaign-{stem}.{ext}"))
    }
}
