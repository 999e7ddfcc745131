//! Report exports: CSV (one table per file, `,`-separated, a header row) and XLSX (every
//! table on its own sheet), written with the `csv` and `rust_xlsxwriter` crates.

use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{DurationStat, Report};
use crate::floor::presence::AwayReason;
use crate::hub::error::{HubError, invalid};

/// The tables of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Summary,
    Days,
    Channels,
    Queues,
    Agents,
    Failures,
}

pub const TABLES: [Table; 6] = [
    Table::Summary,
    Table::Days,
    Table::Channels,
    Table::Queues,
    Table::Agents,
    Table::Failures,
];

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Summary => "summary",
            Table::Days => "days",
            Table::Channels => "channels",
            Table::Queues => "queues",
            Table::Agents => "agents",
            Table::Failures => "failures",
        }
    }
}

/// A cell: text or number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

fn n(v: usize) -> Cell {
    Cell::Num(v as f64)
}

fn secs(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, |s| Cell::Num(s as f64))
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn stat_cells(s: &DurationStat) -> [Cell; 3] {
    [n(s.count), secs(s.median_s), secs(s.p90_s)]
}

/// One table as a header and rows.
pub fn rows(r: &Report, table: Table) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    match table {
        Table::Summary => {
            let x = &r.totals;
            let [fc, fm, fp] = stat_cells(&x.first_response);
            let [rc, rm, rp] = stat_cells(&x.resolution);
            (
                vec!["metric", "value"],
                vec![
                    vec![t("tenant"), t(r.org_name.clone())],
                    vec![t("from"), t(r.from.to_rfc3339())],
                    vec![t("to"), t(r.to.to_rfc3339())],
                    vec![t("timezone"), t(r.timezone.clone())],
                    vec![t("received"), n(x.received)],
                    vec![t("sent"), n(x.sent)],
                    vec![t("conversations"), n(x.conversations)],
                    vec![t("delivered"), n(x.delivered)],
                    vec![t("failed"), n(x.failed)],
                    vec![
                        t("delivery_rate"),
                        x.delivery_rate.map_or(Cell::Empty, Cell::Num),
                    ],
                    vec![t("first_response_count"), fc],
                    vec![t("first_response_median_s"), fm],
                    vec![t("first_response_p90_s"), fp],
                    vec![t("resolution_count"), rc],
                    vec![t("resolution_median_s"), rm],
                    vec![t("resolution_p90_s"), rp],
                    vec![
                        t(format!("waited_over_{}_min", r.notification_delay_minutes)),
                        n(x.waited_too_long),
                    ],
                    vec![t("opt_outs"), n(x.opt_outs)],
                    vec![t("opt_ins"), n(x.opt_ins)],
                ],
            )
        }
        Table::Days => (
            vec!["day", "received", "sent"],
            r.days
                .iter()
                .map(|d| vec![t(d.day.clone()), n(d.received), n(d.sent)])
                .collect(),
        ),
        Table::Channels | Table::Queues => (
            vec![
                if table == Table::Channels {
                    "channel"
                } else {
                    "queue"
                },
                "received",
                "sent",
                "delivered",
                "failed",
            ],
            (if table == Table::Channels {
                &r.channels
            } else {
                &r.queues
            })
            .iter()
            .map(|g| {
                vec![
                    t(g.name.clone()),
                    n(g.received),
                    n(g.sent),
                    n(g.delivered),
                    n(g.failed),
                ]
            })
            .collect(),
        ),
        Table::Agents => (
            vec![
                "agent",
                "sent",
                "closed",
                "first_responses",
                "first_response_median_s",
                "first_response_p90_s",
                "away_s",
                "away_break_s",
                "away_lunch_s",
                "away_training_s",
                "away_meeting_s",
                "away_no_reason_s",
                "offline_s",
            ],
            r.agents
                .iter()
                .map(|a| {
                    let [c, m, p] = stat_cells(&a.first_response);
                    let away = |k: Option<AwayReason>| {
                        secs(Some(
                            a.away_by_reason
                                .iter()
                                .find(|x| x.reason == k)
                                .map_or(0, |x| x.seconds),
                        ))
                    };
                    vec![
                        t(a.name.clone()),
                        n(a.sent),
                        n(a.closed),
                        c,
                        m,
                        p,
                        secs(Some(a.away_s)),
                        away(Some(AwayReason::Break)),
                        away(Some(AwayReason::Lunch)),
                        away(Some(AwayReason::Training)),
                        away(Some(AwayReason::Meeting)),
                        away(None),
                        secs(Some(a.offline_s)),
                    ]
                })
                .collect(),
        ),
        Table::Failures => (
            vec!["reason", "count"],
            r.failures
                .iter()
                .map(|f| vec![t(f.reason.clone()), n(f.count)])
                .collect(),
        ),
    }
}

/// One table as CSV.
pub fn csv(r: &Report, table: Table) -> Result<Vec<u8>, HubError> {
    let (head, body) = rows(r, table);
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| HubError::Conflict(format!("writing CSV: {e}"));
    w.write_record(&head).map_err(fail)?;
    for row in body {
        let rec: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Num(v) if v.fract() == 0.0 => format!("{v:.0}"),
                Cell::Num(v) => format!("{v:.4}"),
                Cell::Empty => String::new(),
            })
            .collect();
        w.write_record(&rec).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| HubError::Conflict(format!("writing CSV: {e}")))
}

/// Every table, one sheet each.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, HubError> {
    let fail = |e: rust_xlsxwriter::XlsxError| HubError::Conflict(format!("writing XLSX: {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for table in TABLES {
        let (head, body) = rows(r, table);
        let sheet = book.add_worksheet();
        sheet.set_name(table.name()).map_err(fail)?;
        for (c, h) in head.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet
                .write_string_with_format(0, col, *h, &bold)
                .map_err(fail)?;
            sheet
                .set_column_width(col, if c == 0 { 28 } else { 14 })
                .map_err(fail)?;
        }
        for (i, row) in body.iter().enumerate() {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(s) => sheet.write_string(line, col, s).map(|_| ()),
                    Cell::Num(v) => sheet.write_number(line, col, *v).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(fail)?;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// `csv` or `xlsx`.
pub fn parse_format(s: &str) -> Result<bool, HubError> {
    match s {
        "csv" => Ok(false),
        "xlsx" => Ok(true),
        other => Err(invalid("format", format!("{other:?}: use csv or xlsx"))),
    }
}
