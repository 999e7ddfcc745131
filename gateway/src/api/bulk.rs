//! Bulk files in the seed's formats (semicolon CSV, UTF-8, parsed with the `csv` crate):
//!
//! - dialer: `campaign;destiny;message;priority` — an optional header line (the seed's own
//!   spelling `campign;destiny;menssage;priority` is recognised too), extra columns such as
//!   the seed's `Device;idm;data` or a trailing `;` ignored, an empty priority = 0;
//! - do-not-contact: `number;campaign;` — an empty campaign blocks the number everywhere.
//!
//! Blank lines (a blank last line in particular) are skipped; a UTF-8 BOM is ignored. Every
//! bad line is reported with its line number and reason and then the file is rejected as a
//! whole, so nothing is half-imported.

use super::error::{ApiError, LineError};
use super::validate;
use crate::spool::BlockEntry;

/// One valid dialer line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialerRow {
    /// Line number in the file.
    pub line: u64,
    /// Campaign (first column).
    pub campaign: String,
    /// Normalised recipient.
    pub to: String,
    /// Text.
    pub text: String,
    /// Priority (higher first).
    pub priority: i32,
}

/// Reads the records of `data`, yielding each with its 1-based line number. One pass over the
/// file: the line counter only moves forward, from the last record's offset to the next one's,
/// so the whole read is linear in the file size.
fn records(data: &[u8]) -> impl Iterator<Item = Result<(u64, Vec<String>), LineError>> + '_ {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut lines = LineCounter::default();
    rdr.into_byte_records().filter_map(move |rec| match rec {
        Ok(r) => {
            let line = lines.line_of(data, r.position());
            let fields: Result<Vec<String>, _> = r
                .iter()
                .map(|f| std::str::from_utf8(f).map(str::to_string))
                .collect();
            match fields {
                Ok(f) if f.iter().all(|s| s.trim().is_empty()) => None,
                Ok(f) => Some(Ok((line, f))),
                Err(_) => Some(Err(LineError {
                    line,
                    message: "is not valid UTF-8 (save the file as UTF-8)".into(),
                })),
            }
        }
        Err(e) => {
            let line = lines.line_of(data, e.position());
            Some(Err(LineError {
                line,
                message: format!("cannot be read as CSV: {e}"),
            }))
        }
    })
}

/// Line numbers of records from their byte offsets (the csv crate's own line counter does not
/// advance on CRLF line ends), counting only the bytes since the previous record.
#[derive(Debug, Default)]
struct LineCounter {
    /// Offset up to which newlines have been counted.
    byte: usize,
    /// Newlines before `byte`.
    newlines: u64,
}

impl LineCounter {
    /// 1-based line of the record at `pos`. Offsets only grow while a file is read; an offset
    /// behind the counter (never seen) answers the counter's line rather than recounting.
    fn line_of(&mut self, data: &[u8], pos: Option<&csv::Position>) -> u64 {
        let mut byte = pos
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .min(data.len());
        // After a CRLF the reported offset can sit on the '\n'; a record never starts with one.
        while data.get(byte).is_some_and(|b| *b == b'\n' || *b == b'\r') {
            byte += 1;
        }
        if byte > self.byte {
            self.newlines += data[self.byte..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.byte = byte;
        }
        1 + self.newlines
    }
}

/// Upper bounds of one uploaded file (`[api] bulk_max_lines`, `bulk_max_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most lines (blank lines and the header count: they are lines of the file).
    pub max_lines: u64,
    /// Most bytes (enforced on the request body before it is read whole).
    pub max_bytes: usize,
}

/// Refuses a file over `limits.max_lines` lines, naming the bound and its config key, before
/// anything is parsed (counting newlines is one fast pass).
pub fn check_lines(data: &[u8], limits: Limits) -> Result<(), ApiError> {
    let newlines = data.iter().filter(|b| **b == b'\n').count() as u64;
    let lines = newlines + u64::from(data.last().is_some_and(|b| *b != b'\n'));
    if lines > limits.max_lines {
        return Err(ApiError::TooLarge {
            field: "file".into(),
            message: format!(
                "the file has {lines} lines; the most is {} (api.bulk_max_lines)",
                limits.max_lines
            ),
        });
    }
    Ok(())
}

fn field_error(line: u64, e: ApiError) -> LineError {
    LineError {
        line,
        message: e.to_string(),
    }
}

/// The loop both file kinds share: skips a first-line header whose first column (trimmed,
/// lower-cased) is one of `headers`, turns every other record into a row with `row`, and
/// returns every row or, if any line is bad (or there is no row at all: `empty`), every error.
fn parse_rows<T>(
    data: &[u8],
    headers: &[&str],
    empty: &str,
    row: impl Fn(u64, &[String]) -> Result<T, LineError>,
) -> Result<Vec<T>, Vec<LineError>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in records(data).enumerate() {
        let (line, f) = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        // Only the first record can be a header: later ones skip the lower-casing.
        if i == 0
            && f.first()
                .is_some_and(|s| headers.contains(&s.trim().to_ascii_lowercase().as_str()))
        {
            continue;
        }
        match row(line, &f) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(LineError {
            line: 1,
            message: empty.into(),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Parses a dialer file; `Err` lists every bad line.
pub fn parse_dialer(data: &[u8]) -> Result<Vec<DialerRow>, Vec<LineError>> {
    parse_rows(
        data,
        &["campaign", "campign"],
        "the file has no messages",
        |line, f| {
            if f.len() < 4 {
                return Err(LineError {
                    line,
                    message: format!(
                        "has {} column(s); expected campaign;destiny;message;priority",
                        f.len()
                    ),
                });
            }
            dialer_row(line, f).map_err(|e| field_error(line, e))
        },
    )
}

/// One dialer record of at least four columns.
fn dialer_row(line: u64, f: &[String]) -> Result<DialerRow, ApiError> {
    let campaign = validate::label("campaign", Some(&f[0]))?
        .ok_or_else(|| ApiError::invalid("campaign", "must not be empty"))?;
    let to = validate::phone_number("destiny", &f[1])?;
    let text = validate::text("message", &f[2])?;
    let p = f[3].trim();
    let priority = if p.is_empty() {
        0
    } else {
        p.parse::<i32>()
            .map_err(|_| ApiError::invalid("priority", format!("{p:?} is not a whole number")))?
    };
    Ok(DialerRow {
        line,
        campaign,
        to,
        text,
        priority,
    })
}

/// Parses a do-not-contact file; `Err` lists every bad line.
pub fn parse_blocklist(data: &[u8]) -> Result<Vec<BlockEntry>, Vec<LineError>> {
    parse_rows(
        data,
        &["number", "phone", "telephone", "destiny"],
        "the file has no numbers",
        |line, f| block_entry(f).map_err(|e| field_error(line, e)),
    )
}

/// One do-not-contact record; `f` is never empty (`records` skips records with no non-blank
/// column).
fn block_entry(f: &[String]) -> Result<BlockEntry, ApiError> {
    let number = validate::phone_number("number", &f[0])?;
    let campaign = validate::label("campaign", f.get(1).map(String::as_str))?;
    if f.len() > 3 || f.get(2).is_some_and(|s| !s.trim().is_empty()) {
        return Err(ApiError::invalid(
            "line",
            format!("has {} columns; expected number;campaign;", f.len()),
        ));
    }
    Ok(BlockEntry { number, campaign })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(r: Result<impl std::fmt::Debug, Vec<LineError>>) -> Vec<String> {
        r.unwrap_err()
            .into_iter()
            .map(|e| format!("{}: {}", e.line, e.message))
            .collect()
    }

    #[test]
    fn the_seed_example_line_is_read_as_one_message() {
        let rows = parse_dialer(b"test1;098344484;This is my SMS;9999").unwrap();
        assert_eq!(
            rows,
            [DialerRow {
                line: 1,
                campaign: "test1".into(),
                to: "098344484".into(),
                text: "This is my SMS".into(),
                priority: 9999
            }]
        );
    }

    #[test]
    fn the_seed_header_trailing_semicolons_extra_columns_and_a_blank_last_line_are_tolerated() {
        let file = "campign;destiny;menssage;priority\n\
                    campsms;098344384;Hey World!;9999;\n\
                    campsms;098356484;Hey World!;9999;Dinstar;1;extra data\r\n\
                    campsms;098378984;Hey World!;;\n\
                    \n";
        let rows = parse_dialer(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(rows[2].priority, 0);
        let english =
            parse_dialer(b"\xEF\xBB\xBFcampaign;destiny;message;priority\nc;123;x;1\n").unwrap();
        assert_eq!(english.len(), 1, "BOM and the English header");
    }

    #[test]
    fn unicode_quotes_and_long_texts_that_the_legacy_dialer_refused_are_accepted() {
        let long = "ñ".repeat(1200);
        let file = format!("c;099111222;Café ´‘“ @ 👋 \"quoted\";1\nc;099111223;{long};1\n");
        let rows = parse_dialer(file.as_bytes()).unwrap();
        assert_eq!(rows[0].text, "Café ´‘“ @ 👋 \"quoted\"");
        assert_eq!(rows[1].text.chars().count(), 1200);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_reason() {
        let file = "campaign;destiny;message;priority\n\
                    ok;099000001;fine;1\n\
                    ok;09900000x;bad number;1\n\
                    ok;099000002;;1\n\
                    ok;099000003;prio;high\n\
                    ;099000004;no campaign;1\n\
                    short;099000005\n";
        assert_eq!(
            errs(parse_dialer(file.as_bytes())),
            [
                "3: destiny: \"09900000x\" is not a phone number (optional '+' then 3 to 20 digits)",
                "4: message: must not be empty",
                "5: priority: \"high\" is not a whole number",
                "6: campaign: must not be empty",
                "7: has 2 column(s); expected campaign;destiny;message;priority",
            ]
        );
    }

    #[test]
    fn line_numbers_stay_right_across_quoted_newlines_crlf_and_blank_lines_counted_in_one_pass() {
        let file =
            "c;099000001;\"two\nlines\";1\r\n\r\nc;09900000x;bad;1\nc;099000003;ok;1\nc;x;bad;1\n";
        assert_eq!(
            errs(parse_dialer(file.as_bytes())),
            [
                "4: destiny: \"09900000x\" is not a phone number (optional '+' then 3 to 20 digits)",
                "6: destiny: \"x\" is not a phone number (optional '+' then 3 to 20 digits)",
            ]
        );
        // The counter never goes back: every byte is looked at once.
        let mut counter = LineCounter::default();
        let data = b"a\nb\nc\n";
        assert_eq!(counter.line_of(data, None), 1);
        let at = |b: u64| {
            let mut p = csv::Position::new();
            p.set_byte(b);
            p
        };
        assert_eq!(counter.line_of(data, Some(&at(4))), 3);
        assert_eq!(counter.byte, 4);
        assert_eq!(
            counter.line_of(data, Some(&at(2))),
            3,
            "no recount backwards"
        );
    }

    #[test]
    fn a_file_over_the_line_bound_is_refused_before_it_is_parsed() {
        let limits = Limits {
            max_lines: 2,
            max_bytes: 1 << 20,
        };
        assert!(check_lines(b"a\nb\n", limits).is_ok());
        assert!(check_lines(b"a\nb", limits).is_ok());
        let err = check_lines(b"a\nb\nc", limits).unwrap_err().to_string();
        assert_eq!(
            err,
            "the file has 3 lines; the most is 2 (api.bulk_max_lines)"
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_reported() {
        assert_eq!(
            errs(parse_dialer(b"c;099000001;ok;1\nc;099000002;caf\xE9;1\n")),
            ["2: is not valid UTF-8 (save the file as UTF-8)"]
        );
    }

    #[test]
    fn an_empty_file_is_an_error_not_a_silent_no_op() {
        assert_eq!(errs(parse_dialer(b"")), ["1: the file has no messages"]);
        assert_eq!(
            errs(parse_dialer(b"campaign;destiny;message;priority\n\n")),
            ["1: the file has no messages"]
        );
        assert_eq!(errs(parse_blocklist(b"\n")), ["1: the file has no numbers"]);
    }

    #[test]
    fn the_seed_do_not_contact_example_is_read_with_its_campaigns() {
        let file = "123578408;marcadortest;\n223113758;marcadortest;\n322150696;;\n422016549\n";
        let rows = parse_blocklist(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            BlockEntry {
                number: "123578408".into(),
                campaign: Some("marcadortest".into())
            }
        );
        assert_eq!(rows[2].campaign, None);
        assert_eq!(rows[3].campaign, None);
    }

    #[test]
    fn bad_do_not_contact_lines_are_reported_with_their_numbers() {
        let file = "number;campaign;\n123578408;ok;\nabc;x;\n555111222;a;b;c\n";
        assert_eq!(
            errs(parse_blocklist(file.as_bytes())),
            [
                "3: number: \"abc\" is not a phone number (optional '+' then 3 to 20 digits)",
                "4: line: has 4 columns; expected number;campaign;",
            ]
        );
    }
}
