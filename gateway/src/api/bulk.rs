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
//!
//! Files are read as streams ([`rows`]), never whole: an upload is checked once ([`check`]:
//! only the bad lines are kept, the first 100 of them) and, if no line is bad, read again into
//! one spool transaction (`api::bulk_messages`, `api::bulk_blocklist`).

use super::error::{ApiError, BadLines, LineError};
use super::validate;
use crate::spool::BlockEntry;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

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

/// A UTF-8 byte order mark, ignored at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a row could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// The line is bad (its number and reason).
    #[error("line {}: {}", .0.line, .0.message)]
    Line(LineError),
    /// The file could not be read.
    #[error("reading the uploaded file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<RowError> for ApiError {
    fn from(e: RowError) -> Self {
        match e {
            // Pass 2 meets a bad line only if the file changed after pass 1 checked it.
            RowError::Line(l) => ApiError::BadFile(vec![l].into()),
            RowError::Io(e) => ApiError::Internal(format!("reading the uploaded file: {e}")),
        }
    }
}

/// A file kind: the header names its first column may have, what an empty file is told, and
/// how a record becomes a row.
#[derive(Debug)]
pub struct Kind<T> {
    headers: &'static [&'static str],
    empty: &'static str,
    row: fn(u64, &[String]) -> Result<T, LineError>,
}

/// Dialer files (`campaign;destiny;message;priority`).
pub const DIALER: Kind<DialerRow> = Kind {
    headers: &["campaign", "campign"],
    empty: "the file has no messages",
    row: dialer_line,
};

/// Do-not-contact files (`number;campaign;`).
pub const BLOCKLIST: Kind<BlockEntry> = Kind {
    headers: &["number", "phone", "telephone", "destiny"],
    empty: "the file has no numbers",
    row: |line, f| block_entry(f).map_err(|e| field_error(line, e)),
};

/// The rows of a file, read as a stream (a buffer's worth at a time, never the whole file):
/// each good row, or the bad line with its number and reason, in file order. Blank records
/// and a first-line header are skipped. Line numbers are counted forward from the previous
/// record ([`LineCounter`]), so one pass is linear in the file size.
pub struct Rows<'k, R: Read, T> {
    rdr: csv::Reader<Terminators<BufReader<R>>>,
    rec: csv::ByteRecord,
    lines: LineCounter,
    kind: &'k Kind<T>,
    first: bool,
}

/// Reads the rows of `r` as `kind` says (a UTF-8 BOM at the start is ignored).
pub fn rows<R: Read, T>(r: R, kind: &Kind<T>) -> Result<Rows<'_, R, T>, std::io::Error> {
    let mut r = BufReader::new(r);
    // `fill_buf` may give fewer bytes than a BOM only for a file shorter than one.
    if r.fill_buf()?.starts_with(BOM) {
        r.consume(BOM.len());
    }
    let rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(Terminators::new(r));
    Ok(Rows {
        rdr,
        rec: csv::ByteRecord::new(),
        lines: LineCounter::default(),
        kind,
        first: true,
    })
}

impl<R: Read, T> Iterator for Rows<'_, R, T> {
    type Item = Result<T, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let read = self.rdr.read_byte_record(&mut self.rec);
            let pos = match &read {
                Ok(_) => self.rec.position().cloned(),
                Err(e) => e.position().cloned(),
            };
            let line = self.lines.line_of(self.rdr.get_mut(), pos.as_ref());
            let fields = match read {
                Ok(false) => return None,
                Ok(true) => self
                    .rec
                    .iter()
                    .map(|f| std::str::from_utf8(f).map(str::to_string))
                    .collect::<Result<Vec<String>, _>>(),
                Err(e) => {
                    let message = format!("cannot be read as CSV: {e}");
                    if let csv::ErrorKind::Io(io) = e.into_kind() {
                        return Some(Err(RowError::Io(io)));
                    }
                    self.first = false;
                    return Some(Err(RowError::Line(LineError { line, message })));
                }
            };
            let first = std::mem::replace(&mut self.first, false);
            let f = match fields {
                Ok(f) if f.iter().all(|s| s.trim().is_empty()) => continue,
                Ok(f) => f,
                Err(_) => {
                    return Some(Err(RowError::Line(LineError {
                        line,
                        message: "is not valid UTF-8 (save the file as UTF-8)".into(),
                    })));
                }
            };
            // Only the first record can be a header: later ones skip the lower-casing.
            if first
                && f.first().is_some_and(|s| {
                    self.kind
                        .headers
                        .contains(&s.trim().to_ascii_lowercase().as_str())
                })
            {
                continue;
            }
            return Some((self.kind.row)(line, &f).map_err(RowError::Line));
        }
    }
}

/// Pass 1 of an upload: reads the whole file as `kind` and keeps nothing but the count of
/// good rows and the bad lines (the first [`super::error::MAX_LINES`], all counted). A file
/// with no row at all is one bad line. `Err` only when the file cannot be read.
pub fn check<R: Read, T>(r: R, kind: &Kind<T>) -> Result<Result<u64, BadLines>, std::io::Error> {
    scan(r, kind, drop)
}

/// Reads every row of `r`, handing each good one to `keep`; the count of good rows, or the
/// bad lines.
fn scan<R: Read, T>(
    r: R,
    kind: &Kind<T>,
    mut keep: impl FnMut(T),
) -> Result<Result<u64, BadLines>, std::io::Error> {
    let mut good = 0u64;
    let mut bad = BadLines::default();
    for row in rows(r, kind)? {
        match row {
            Ok(row) => {
                good += 1;
                keep(row);
            }
            Err(RowError::Line(e)) => bad.push(e),
            Err(RowError::Io(e)) => return Err(e),
        }
    }
    if good == 0 && bad.is_empty() {
        bad.push(LineError {
            line: 1,
            message: kind.empty.into(),
        });
    }
    Ok(if bad.is_empty() { Ok(good) } else { Err(bad) })
}

/// Every row of `data`, or its bad lines (a file held in memory: tests and benches).
pub fn parse<T>(data: &[u8], kind: &Kind<T>) -> Result<Vec<T>, BadLines> {
    let mut out = Vec::new();
    // Reading a byte slice cannot fail.
    match scan(data, kind, |row| out.push(row)) {
        Ok(Ok(_)) => Ok(out),
        Ok(Err(bad)) => Err(bad),
        Err(e) => Err(vec![LineError {
            line: 1,
            message: e.to_string(),
        }]
        .into()),
    }
}

/// Parses a dialer file held in memory; `Err` lists its bad lines.
pub fn parse_dialer(data: &[u8]) -> Result<Vec<DialerRow>, BadLines> {
    parse(data, &DIALER)
}

/// Parses a do-not-contact file held in memory; `Err` lists its bad lines.
pub fn parse_blocklist(data: &[u8]) -> Result<Vec<BlockEntry>, BadLines> {
    parse(data, &BLOCKLIST)
}

/// A reader that notes where the runs of line-end bytes (`\r`, `\n`) it passes start, and
/// how many `\n` each holds, so the line of a record can be told from its byte offset after
/// the bytes themselves are gone. Runs are forgotten once a record past them is numbered:
/// what is kept spans at most the CSV reader's buffer and the record being read.
struct Terminators<R> {
    inner: R,
    /// Bytes passed so far.
    offset: u64,
    /// `(start, newlines)` of the runs not yet counted, in file order; the last one may still
    /// grow while it touches `offset`.
    runs: VecDeque<(u64, u64)>,
    /// Where the last run ends (to extend it across reads).
    run_end: u64,
}

impl<R> Terminators<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            runs: VecDeque::new(),
            run_end: u64::MAX,
        }
    }
}

impl<R: Read> Read for Terminators<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b != b'\n' && *b != b'\r' {
                continue;
            }
            let at = self.offset + i as u64;
            let nl = u64::from(*b == b'\n');
            match self.runs.back_mut() {
                Some((_, count)) if self.run_end == at => *count += nl,
                _ => self.runs.push_back((at, nl)),
            }
            self.run_end = at + 1;
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Line numbers of records from their byte offsets (the csv crate's own line counter does not
/// advance on CRLF line ends), counting only the line ends since the previous record.
#[derive(Debug, Default)]
struct LineCounter {
    /// Newlines before the last record numbered.
    newlines: u64,
}

impl LineCounter {
    /// 1-based line of the record at `pos`. A record never starts with a line end: a run of
    /// them that starts at or before `pos` is all before the record (after a CRLF the reported
    /// offset can sit on its `\n`; blank lines are runs too). Offsets only grow while a file
    /// is read; an offset behind the counter answers the counter's line.
    fn line_of<R>(&mut self, t: &mut Terminators<R>, pos: Option<&csv::Position>) -> u64 {
        let byte = pos.map_or(0, csv::Position::byte);
        while let Some(&(start, n)) = t.runs.front() {
            if start > byte {
                break;
            }
            self.newlines += n;
            t.runs.pop_front();
            if t.runs.is_empty() {
                // A run counted must not grow afterwards.
                t.run_end = u64::MAX;
            }
        }
        1 + self.newlines
    }
}

/// Upper bounds of one uploaded file (`[api] bulk_max_lines`, `bulk_max_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most lines (blank lines and the header count: they are lines of the file).
    pub max_lines: u64,
    /// Most bytes (enforced on the request body as it is read).
    pub max_bytes: usize,
}

/// Lines of a file counted as its bytes go by (an upload is counted while it is stored).
#[derive(Debug, Default, Clone, Copy)]
pub struct LineCount {
    newlines: u64,
    ends_open: bool,
}

impl LineCount {
    /// Counts the line ends of the next bytes of the file.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.newlines += bytes.iter().filter(|b| **b == b'\n').count() as u64;
        if let Some(last) = bytes.last() {
            self.ends_open = *last != b'\n';
        }
    }

    /// Lines so far (a last line without a line end counts).
    pub fn lines(&self) -> u64 {
        self.newlines + u64::from(self.ends_open)
    }

    /// Refuses a file over `limits.max_lines` lines, naming the bound and its config key,
    /// before anything is parsed.
    pub fn check(&self, limits: Limits) -> Result<(), ApiError> {
        let lines = self.lines();
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
}

/// Refuses a file over `limits.max_lines` lines (see [`LineCount::check`]).
pub fn check_lines(data: &[u8], limits: Limits) -> Result<(), ApiError> {
    let mut c = LineCount::default();
    c.feed(data);
    c.check(limits)
}

fn field_error(line: u64, e: ApiError) -> LineError {
    LineError {
        line,
        message: e.to_string(),
    }
}

/// One dialer record.
fn dialer_line(line: u64, f: &[String]) -> Result<DialerRow, LineError> {
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

    fn errs(r: Result<impl std::fmt::Debug, BadLines>) -> Vec<String> {
        r.unwrap_err()
            .lines
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
        // The counter never goes back, and forgets the line ends it has counted.
        let mut t = Terminators::new(&b"a\nb\r\n\nc\n"[..]);
        let mut buf = [0u8; 16];
        assert_eq!(t.read(&mut buf).unwrap(), 8);
        assert_eq!(t.runs, [(1, 1), (3, 2), (7, 1)]);
        let mut counter = LineCounter::default();
        assert_eq!(counter.line_of(&mut t, None), 1);
        let at = |b: u64| {
            let mut p = csv::Position::new();
            p.set_byte(b);
            p
        };
        assert_eq!(counter.line_of(&mut t, Some(&at(2))), 2);
        // Sitting on the CRLF's '\n' before a blank line: the record is on line 4.
        assert_eq!(counter.line_of(&mut t, Some(&at(4))), 4);
        assert_eq!(t.runs, [(7, 1)]);
        assert_eq!(
            counter.line_of(&mut t, Some(&at(2))),
            4,
            "no recount backwards"
        );
    }

    #[test]
    fn a_run_of_line_ends_split_between_two_reads_is_one_run() {
        struct Dribble<'a>(&'a [u8]);
        impl Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let file = b"c;099000001;ok;1\r\n\r\n\r\nc;09900000x;bad;1\r\n";
        let got: Vec<_> = rows(Dribble(file), &DIALER)
            .unwrap()
            .map(|r| match r {
                Ok(row) => row.line,
                Err(RowError::Line(e)) => e.line,
                Err(RowError::Io(e)) => panic!("{e}"),
            })
            .collect();
        assert_eq!(got, [1, 4]);
    }

    #[test]
    fn a_check_keeps_the_first_hundred_bad_lines_and_counts_them_all() {
        let file: String = (0..250).map(|i| format!("c;bad{i};x;1\n")).collect();
        let bad = check(file.as_bytes(), &DIALER).unwrap().unwrap_err();
        assert_eq!((bad.lines.len(), bad.total), (100, 250));
        assert_eq!(bad.lines[99].line, 100);
        assert_eq!(check(&b"c;099000001;ok;1\n"[..], &DIALER).unwrap(), Ok(1));
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
