//! Contact CSV as people upload it: the portal's columns `SMS_NUMBER, FULLNAME, BUSINESS,
//! EMAIL, NOTES` (header optional and ignored; trailing columns may be left out), separated by
//! commas (or semicolons, as spreadsheets in many locales export), with spaces after the
//! separator and fields quoted after them (`, "Smith, John"`), a UTF-8 byte-order mark, CRLF
//! line ends. Parsing is done by the `csv` crate; this module only drops the spaces that follow
//! a separator outside quotes (the crate, unlike Python's `skipinitialspace`, would keep the
//! quote of `, "…"` literally) and checks shape. Every bad line is reported, not just the first.

use crate::hub::error::LineProblem;

/// Column names as the file calls them (used in error messages).
pub const COLUMNS: [&str; 5] = ["SMS_NUMBER", "FULLNAME", "BUSINESS", "EMAIL", "NOTES"];

/// Most lines and bytes of one file.
pub const MAX_LINES: usize = 50_000;
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Problems reported at most (the file is refused whole anyway).
pub const MAX_PROBLEMS: usize = 50;

/// One data line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    /// `[number, name, business, email, notes]` as written (trimmed).
    pub fields: [String; 5],
}

/// Parses the file; `Err` lists every bad line (up to [`MAX_PROBLEMS`]).
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, Vec<LineProblem>> {
    let problem = |line, field: &str, message: String| LineProblem {
        line,
        field: field.to_owned(),
        message,
    };
    if bytes.len() > MAX_BYTES {
        return Err(vec![problem(
            0,
            "file",
            format!("the file is larger than {} MiB", MAX_BYTES / (1024 * 1024)),
        )]);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(vec![problem(
                line,
                "file",
                "the file is not UTF-8 text: save it as \"CSV UTF-8\"".into(),
            )]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let sep = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let cleaned = skip_initial_space(text, sep as char);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .trim(csv::Trim::All)
        .from_reader(cleaned.as_bytes());
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut record = csv::StringRecord::new();
    // Lines are counted from byte offsets, incrementally (linear in the file size).
    let bytes = cleaned.as_bytes();
    let (mut counted_to, mut line_at) = (0usize, 1usize);
    let mut line_of = |start: usize| {
        let mut start = start.min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > counted_to {
            line_at += bytes[counted_to..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted_to = start;
        }
        line_at
    };
    loop {
        let start = reader.position().byte() as usize;
        let read = reader.read_record(&mut record);
        let line = line_of(start);
        match read {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                problems.push(problem(line, "file", e.to_string()));
                if problems.len() >= MAX_PROBLEMS {
                    break;
                }
                continue;
            }
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |n: usize| record.get(n).unwrap_or("").to_owned();
        if line == 1 && get(0).to_ascii_uppercase().replace([' ', '-'], "_") == COLUMNS[0] {
            continue; // the header
        }
        if rows.len() >= MAX_LINES {
            problems.push(problem(
                line,
                "file",
                format!("more than {MAX_LINES} lines"),
            ));
            break;
        }
        if record.len() > COLUMNS.len() {
            problems.push(problem(
                line,
                "file",
                format!(
                    "{} columns; expected at most 5: {}",
                    record.len(),
                    COLUMNS.join(", ")
                ),
            ));
            continue;
        }
        rows.push(Row {
            line,
            fields: [get(0), get(1), get(2), get(3), get(4)],
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

/// Drops spaces and tabs that follow a separator (or start a line) outside quotes.
fn skip_initial_space(text: &str, sep: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    let mut at_field_start = true;
    for c in text.chars() {
        if !in_quotes && at_field_start && (c == ' ' || c == '\t') {
            continue;
        }
        if c == '"' {
            in_quotes = !in_quotes;
        }
        at_field_start = !in_quotes && (c == sep || c == '\n' || c == '\r');
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_format_with_spaces_and_quotes_after_them_parses() {
        let file = "\u{feff}SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES\r\n\
                    +33620000001, \"Smith, John\", Acme, john@example.com, \"said \"\"hi\"\"\"\r\n\
                    +33620000002, Carol\r\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields[1], "Smith, John");
        assert_eq!(rows[0].fields[4], "said \"hi\"");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].fields[1], "Carol");
        assert_eq!(rows[1].fields[3], "");
    }

    #[test]
    fn semicolons_are_accepted_and_every_bad_line_is_named() {
        let rows = parse(b"+33620000001;Bob;;;\n").unwrap();
        assert_eq!(rows[0].fields[1], "Bob");
        let err = parse(b"a,b,c,d,e,f\nok\nx,1,2,3,4,5,6\n").unwrap_err();
        assert_eq!(err.iter().map(|p| p.line).collect::<Vec<_>>(), vec![1, 3]);
        let err = parse(b"ok\n\xff\xfe\n").unwrap_err();
        assert_eq!(err[0].line, 2);
    }
}
