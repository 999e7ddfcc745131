//! Recipients as people upload them, read as a stream (one row at a time, never the whole
//! file in memory): the seed's dialer CSV `campaign;destiny;message;priority` (semicolon,
//! header optional — the seed's own spelling `campign;destiny;menssage;priority` too — a
//! non-empty `message` overrides the template, an empty `priority` is 0), or a column-mapped
//! CSV or XLSX sheet (a header row, a `number` column — or the one named by `number_column` —
//! and any other columns, used as `{{column}}` placeholders). CSV is read by the `csv` crate,
//! XLSX by `calamine`; this module only finds the shape and names every bad line.
//!
//! Then [`Classifier`] decides each row's state: numbers normalised to E.164 first, then
//! invalid → duplicate (earlier in this campaign) → blocked (do-not-contact) → opted out →
//! to process. A row whose text cannot be rendered (a placeholder without a value) is an
//! error on that line: the upload is refused whole.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use smsgate_wire::number::Country as Id;

use super::model::{CampaignOptions, RecipientState};
use super::template;
use crate::hub::error::LineProblem;
use crate::phone;

/// Problems reported at most (the file is refused whole anyway).
pub const MAX_PROBLEMS: usize = 50;

/// How to read an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Dialer when the header (or the shape of the first line) says so, else column-mapped.
    #[default]
    Auto,
    Dialer,
    Mapped,
}

/// One row of the source, before classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub line: i64,
    pub number: String,
    pub text: Option<String>,
    pub priority: i32,
    pub vars: BTreeMap<String, String>,
}

/// Reads rows and hands each to `sink` (which may stop the reading by returning `false`).
/// Returns the column keys (placeholders rows may fill). Bad lines go to `sink` as `Err`.
pub fn read_csv<R: Read>(
    input: R,
    format: Format,
    number_column: &str,
    sink: &mut dyn FnMut(Result<SourceRow, LineProblem>) -> bool,
) -> Result<Vec<String>, LineProblem> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let head = input
        .fill_buf()
        .map_err(|e| problem(1, "file", e.to_string()))?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let semis = first.iter().filter(|b| **b == b';').count();
    let commas = first.iter().filter(|b| **b == b',').count();
    let sep = if format == Format::Dialer || semis >= commas {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        // `\n` alone ends a record (the `\r` of CRLF is trimmed with the field), so the
        // crate's line numbers count every line end once.
        .terminator(csv::Terminator::Any(b'\n'))
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    let mut shape: Option<Shape> = None;
    let number_key = template::column_key(number_column);
    loop {
        let more = rdr.read_byte_record(&mut rec).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as i64);
            problem(line, "file", format!("cannot be read as CSV: {e}"))
        });
        let more = match more {
            Ok(m) => m,
            Err(p) => {
                sink(Err(p));
                return Ok(shape.map(|s| s.columns()).unwrap_or_default());
            }
        };
        if !more {
            break;
        }
        let line = rec.position().map_or(0, |p| p.line() as i64);
        let fields: Result<Vec<&str>, _> = rec.iter().map(std::str::from_utf8).collect();
        let Ok(mut fields) = fields else {
            if !sink(Err(problem(
                line,
                "file",
                "is not UTF-8 text: save the file as \"CSV UTF-8\"".into(),
            ))) {
                break;
            }
            continue;
        };
        if let Some(f) = fields.first_mut() {
            *f = f.trim_start_matches('\u{feff}');
        }
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if shape.is_none() {
            let (s, header) = Shape::detect(&fields, format, &number_key, line)?;
            shape = Some(s);
            if header {
                continue;
            }
        }
        let Some(s) = &shape else {
            unreachable!("set above")
        };
        if !sink(s.row(line, &fields)) {
            break;
        }
    }
    Ok(shape.map(|s| s.columns()).unwrap_or_default())
}

/// Reads the first sheet of an XLSX (or XLS/ODS) workbook: a header row, then rows.
pub fn read_xlsx(
    path: &Path,
    number_column: &str,
    sink: &mut dyn FnMut(Result<SourceRow, LineProblem>) -> bool,
) -> Result<Vec<String>, LineProblem> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| problem(0, "file", format!("is not a readable spreadsheet: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| problem(0, "file", "the workbook has no sheet".into()))?
        .map_err(|e| problem(0, "file", format!("the first sheet cannot be read: {e}")))?;
    let first_row = i64::from(range.start().map_or(0, |(r, _)| r)) + 1;
    let number_key = template::column_key(number_column);
    let mut shape: Option<Shape> = None;
    for (i, row) in range.rows().enumerate() {
        let line = first_row + i as i64;
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let fields: Vec<&str> = cells.iter().map(String::as_str).collect();
        match &shape {
            None => {
                let (s, header) = Shape::detect(&fields, Format::Mapped, &number_key, line)?;
                if !header {
                    return Err(problem(
                        line,
                        "file",
                        "the first row must name the columns".into(),
                    ));
                }
                shape = Some(s);
            }
            Some(s) => {
                if !sink(s.row(line, &fields)) {
                    break;
                }
            }
        }
    }
    Ok(shape.map(|s| s.columns()).unwrap_or_default())
}

fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::Empty => String::new(),
        // Phone numbers typed into Excel are numbers: 33612345678, not 3.3612345678E10.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Data::String(s) => s.trim().to_owned(),
        other => other.to_string().trim().to_owned(),
    }
}

fn problem(line: i64, field: &str, message: String) -> LineProblem {
    LineProblem {
        line: usize::try_from(line).unwrap_or(0),
        field: field.to_owned(),
        message,
    }
}

/// The shape of a file, found on its first line.
enum Shape {
    /// `campaign;destiny;message;priority`.
    Dialer,
    /// Header names (as written) and their keys; the index of the number column.
    Mapped {
        names: Vec<String>,
        keys: Vec<String>,
        number: usize,
    },
}

const DIALER_HEADER: [&[&str]; 4] = [
    &["campaign", "campign"],
    &["destiny", "destination", "number"],
    &["message", "menssage", "text"],
    &["priority"],
];

impl Shape {
    /// The shape and whether the first line was a header.
    fn detect(
        fields: &[&str],
        format: Format,
        number_key: &str,
        line: i64,
    ) -> Result<(Shape, bool), LineProblem> {
        let keys: Vec<String> = fields.iter().map(|f| template::column_key(f)).collect();
        let dialer_header = keys.len() >= 2
            && keys
                .iter()
                .zip(DIALER_HEADER)
                .all(|(k, names)| names.contains(&k.as_str()));
        if format != Format::Mapped && dialer_header {
            return Ok((Shape::Dialer, true));
        }
        if format != Format::Dialer
            && let Some(number) = keys.iter().position(|k| k == number_key)
        {
            let mut seen = HashSet::new();
            for (k, name) in keys.iter().zip(fields) {
                if k.is_empty() {
                    return Err(problem(
                        line,
                        "file",
                        "a column of the header has no name".into(),
                    ));
                }
                if !seen.insert(k.clone()) {
                    return Err(problem(
                        line,
                        name,
                        format!("the column {name:?} appears twice"),
                    ));
                }
            }
            return Ok((
                Shape::Mapped {
                    names: fields.iter().map(|s| s.to_string()).collect(),
                    keys,
                    number,
                },
                true,
            ));
        }
        let looks_dialer = fields.len() >= 2
            && fields[1]
                .chars()
                .all(|c| c.is_ascii_digit() || "+ ().-/".contains(c))
            && fields[1].chars().any(|c| c.is_ascii_digit());
        match format {
            Format::Dialer => Ok((Shape::Dialer, false)),
            Format::Auto if looks_dialer => Ok((Shape::Dialer, false)),
            _ => Err(problem(
                line,
                "file",
                format!(
                    "no {number_key:?} column: the first line must name the columns, one of them \
                     {number_key:?} (or choose it with number_column), or the file must be in the \
                     dialer format campaign;destiny;message;priority"
                ),
            )),
        }
    }

    fn columns(&self) -> Vec<String> {
        match self {
            Shape::Dialer => vec!["campaign".into(), "number".into()],
            Shape::Mapped { keys, .. } => keys.clone(),
        }
    }

    fn row(&self, line: i64, fields: &[&str]) -> Result<SourceRow, LineProblem> {
        match self {
            Shape::Dialer => {
                let get = |i: usize| fields.get(i).copied().unwrap_or("");
                let priority = match get(3) {
                    "" => 0,
                    p => p.parse::<i32>().map_err(|_| {
                        problem(line, "priority", format!("{p:?} is not a whole number"))
                    })?,
                };
                let mut vars = BTreeMap::new();
                vars.insert("campaign".to_owned(), get(0).to_owned());
                vars.insert("number".to_owned(), get(1).to_owned());
                Ok(SourceRow {
                    line,
                    number: get(1).to_owned(),
                    text: Some(get(2)).filter(|t| !t.is_empty()).map(str::to_owned),
                    priority,
                    vars,
                })
            }
            Shape::Mapped {
                names,
                keys,
                number,
            } => {
                if fields.len() > keys.len() && fields[keys.len()..].iter().any(|f| !f.is_empty()) {
                    return Err(problem(
                        line,
                        "file",
                        format!(
                            "has {} fields, the header names {}",
                            fields.len(),
                            names.len()
                        ),
                    ));
                }
                let vars = keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.clone(), fields.get(i).copied().unwrap_or("").to_owned()))
                    .collect();
                Ok(SourceRow {
                    line,
                    number: fields.get(*number).copied().unwrap_or("").to_owned(),
                    text: None,
                    priority: 0,
                    vars,
                })
            }
        }
    }
}

/// A row with its state decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub line: i64,
    /// E.164 (or a short code) when valid, else as written.
    pub number: String,
    pub text: Option<String>,
    pub priority: i32,
    pub vars: BTreeMap<String, String>,
    pub state: RecipientState,
    pub reason: Option<String>,
}

/// Decides each row's state (see the module rule).
pub struct Classifier {
    pub context: Option<Id>,
    pub options: CampaignOptions,
    pub template: String,
    /// Numbers earlier in this campaign (and then in this upload).
    pub seen: HashSet<String>,
    pub opt_outs: HashSet<String>,
    pub dnc: HashSet<String>,
}

/// Why a row is blocked.
pub const DNC_REASON: &str = "on the do-not-contact list";

impl Classifier {
    /// Checks that the template only uses columns the file has (`Err`: the placeholder).
    pub fn check_columns(&self, columns: &[String]) -> Result<(), LineProblem> {
        for p in template::placeholders(&self.template) {
            if !columns.contains(&p) {
                return Err(problem(
                    1,
                    &p,
                    format!(
                        "the text uses {{{{{p}}}}}, which is not a column of this file (columns: {})",
                        columns.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn classify(&mut self, row: SourceRow) -> Result<Classified, LineProblem> {
        if row.text.is_none()
            && let Err(missing) = template::render(&self.template, &row.vars)
        {
            return Err(problem(
                row.line,
                &missing,
                format!("no value for {{{{{missing}}}}}, which the text uses"),
            ));
        }
        let (number, state, reason) = match phone::recipient(&row.number, self.context) {
            Err(e) => (
                row.number.trim().to_owned(),
                RecipientState::Invalid,
                Some(e.to_string()),
            ),
            Ok(n) => {
                let (state, reason) = if !self.seen.insert(n.clone()) {
                    (
                        RecipientState::Duplicate,
                        Some("the number appears earlier in this campaign".into()),
                    )
                } else if self.options.dnc_check && self.dnc.contains(&n) {
                    (RecipientState::Blocked, Some(DNC_REASON.into()))
                } else if self.options.opt_out_check && self.opt_outs.contains(&n) {
                    (
                        RecipientState::OptedOut,
                        Some("the number opted out".into()),
                    )
                } else {
                    (RecipientState::ToProcess, None)
                };
                (n, state, reason)
            }
        };
        Ok(Classified {
            line: row.line,
            number,
            text: row.text,
            priority: row.priority,
            vars: row.vars,
            state,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns (or the header's problem) and every row read.
    type Read = (
        Result<Vec<String>, LineProblem>,
        Vec<Result<SourceRow, LineProblem>>,
    );

    fn read(text: impl AsRef<[u8]>, format: Format) -> Read {
        let mut rows = Vec::new();
        let cols = read_csv(text.as_ref(), format, "number", &mut |r| {
            rows.push(r);
            true
        });
        (cols, rows)
    }

    #[test]
    fn the_seed_dialer_file_is_read_with_or_without_its_header() {
        let with = "\u{feff}campign;destiny;menssage;priority\r\npromo;0612345678;Hello;2\r\npromo;0612345679;;\r\n\r\n";
        let (cols, rows) = read(with, Format::Auto);
        assert_eq!(cols.unwrap(), vec!["campaign", "number"]);
        let rows: Vec<SourceRow> = rows.into_iter().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].line,
                rows[0].number.as_str(),
                rows[0].text.as_deref(),
                rows[0].priority
            ),
            (2, "0612345678", Some("Hello"), 2)
        );
        assert_eq!((rows[1].text.as_deref(), rows[1].priority), (None, 0));
        let (_, rows) = read("promo;+33612345678;Hi;1\n", Format::Auto);
        assert_eq!(rows[0].as_ref().unwrap().number, "+33612345678");
    }

    #[test]
    fn a_mapped_file_gives_every_column_as_a_placeholder() {
        let (cols, rows) = read(
            "Number,First Name,code\n+33612345678,Zoé,42\n",
            Format::Auto,
        );
        assert_eq!(cols.unwrap(), vec!["number", "first name", "code"]);
        let r = rows[0].as_ref().unwrap();
        assert_eq!(r.vars.get("first name").map(String::as_str), Some("Zoé"));
        assert_eq!(r.line, 2);
    }

    #[test]
    fn bad_lines_are_named_and_a_file_without_a_number_column_is_refused() {
        let (_, rows) = read(
            &b"campaign;destiny;message;priority\np;0611;x;high\np;06\xff;x;1\n"[..],
            Format::Auto,
        );
        let errs: Vec<_> = rows.into_iter().filter_map(Result::err).collect();
        assert_eq!(errs[0].line, 2);
        assert_eq!(errs[0].field, "priority");
        let (cols, _) = read("phone,name\n0611,x\n", Format::Auto);
        let e = cols.unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("no \"number\" column"), "{}", e.message);
        let (_, rows) = read("number,name\n0611,x,extra\n", Format::Auto);
        assert!(rows[0].as_ref().unwrap_err().message.contains("3 fields"));
    }

    fn classifier(template: &str) -> Classifier {
        Classifier {
            context: phone::country("FR"),
            options: CampaignOptions::default(),
            template: template.into(),
            seen: HashSet::new(),
            opt_outs: ["+33600000002".to_string()].into(),
            dnc: ["+33600000003".to_string()].into(),
        }
    }

    fn row(line: i64, number: &str, name: &str) -> SourceRow {
        SourceRow {
            line,
            number: number.into(),
            text: None,
            priority: 0,
            vars: [("name".to_string(), name.to_string())].into(),
        }
    }

    #[test]
    fn numbers_are_normalised_before_duplicates_opt_outs_and_do_not_contact_are_found() {
        let mut c = classifier("Hi {{name}}");
        let cases = [
            ("06 00 00 00 01", RecipientState::ToProcess, "+33600000001"),
            ("+33600000001", RecipientState::Duplicate, "+33600000001"),
            (
                "0033 6 00 00 00 02",
                RecipientState::OptedOut,
                "+33600000002",
            ),
            ("06.00.00.00.03", RecipientState::Blocked, "+33600000003"),
            ("hello", RecipientState::Invalid, "hello"),
        ];
        for (i, (raw, state, number)) in cases.into_iter().enumerate() {
            let got = c.classify(row(i as i64 + 2, raw, "A")).unwrap();
            assert_eq!((got.state, got.number.as_str()), (state, number), "{raw}");
        }
        let mut off = classifier("Hi");
        off.options.opt_out_check = false;
        off.options.dnc_check = false;
        assert_eq!(
            off.classify(row(2, "0600000002", "A")).unwrap().state,
            RecipientState::ToProcess
        );
        assert_eq!(
            off.classify(row(3, "0600000003", "A")).unwrap().state,
            RecipientState::ToProcess
        );
    }

    #[test]
    fn a_row_missing_a_placeholder_value_is_an_error_on_its_line() {
        let mut c = classifier("Hi {{name}}");
        let e = c.classify(row(7, "0600000009", "")).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (7, "name"));
        let e = c.check_columns(&["number".into()]).unwrap_err();
        assert!(e.message.contains("{{name}}"), "{}", e.message);
    }
}
