//! Tolerant field helpers shared by the command parsers.
//!
//! Real modems quote inconsistently (`"5E25` with no closing quote, `"0B,"0100701"`), put spaces where
//! they please (`+CREG: 2,1,  0 5, 2715`), drop the space after the colon (`+CNMI:(0-3)`) and pad
//! numbers with zeros (`+CREG:002,001`). These helpers absorb all of that so each parser only states
//! what the fields mean.

use thiserror::Error;

/// A line did not have the shape the command's parser expects.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{command}: cannot parse {line:?}: {reason}")]
pub struct ParseError {
    /// The command (or URC) whose answer was being parsed, e.g. `+CSQ`.
    pub command: &'static str,
    /// The offending line, verbatim.
    pub line: String,
    /// What was wrong with it, naming the field.
    pub reason: String,
}

impl ParseError {
    pub(crate) fn new(command: &'static str, line: &str, reason: impl Into<String>) -> Self {
        ParseError {
            command,
            line: line.to_owned(),
            reason: reason.into(),
        }
    }
}

/// If `line` starts with `prefix` (e.g. `+CREG`), return what follows the colon, trimmed.
/// Accepts `+CREG: x`, `+CREG:x` and `+CREG : x`. The prefix match is case-insensitive.
pub fn after_prefix<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let line = line.trim_start();
    let head = line.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = line[prefix.len()..].trim_start();
    let rest = rest.strip_prefix(':')?;
    Some(rest.trim())
}

/// The first line of `lines` that carries `prefix`, with the prefix removed.
pub fn find_prefixed<'a>(lines: &[&'a str], prefix: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| after_prefix(l, prefix))
}

/// Split on every comma, ignoring quotes; each field is trimmed and stripped of all quotes.
/// This is the robust choice for numeric answers (CREG, CSQ, CPMS counts) where quotes are
/// decoration and may be unbalanced.
pub fn loose_fields(s: &str) -> Vec<String> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    s.split(',')
        .map(|f| {
            f.chars()
                .filter(|c| *c != '"' && !c.is_whitespace())
                .collect()
        })
        .collect()
}

/// Split on commas outside double quotes; quoted fields lose their quotes (inner text kept
/// verbatim), unquoted fields are trimmed. Used where strings may contain commas (timestamps,
/// operator names, USSD text). An unterminated quote runs to the end of the line.
pub fn quoted_fields(s: &str) -> Vec<Field> {
    let mut out = Vec::new();
    if s.trim().is_empty() {
        return out;
    }
    let mut cur = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    for c in s.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                quoted = true;
            }
            ',' if !in_quotes => {
                out.push(Field::finish(&cur, quoted));
                cur.clear();
                quoted = false;
            }
            _ => cur.push(c),
        }
    }
    out.push(Field::finish(&cur, quoted));
    out
}

/// One field of a quote-aware split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The text: verbatim inside quotes, trimmed when unquoted.
    pub text: String,
    /// Whether the field was quoted.
    pub quoted: bool,
}

impl Field {
    fn finish(raw: &str, quoted: bool) -> Field {
        let text = if quoted {
            // Keep inner text; whitespace around the quotes is noise.
            raw.trim().to_owned()
        } else {
            raw.trim().to_owned()
        };
        Field { text, quoted }
    }

    /// The field as a number, if it is one.
    pub fn num<T: std::str::FromStr>(&self) -> Option<T> {
        self.text.trim().parse().ok()
    }

    /// The text, or `None` when the field is empty.
    pub fn non_empty(&self) -> Option<&str> {
        if self.text.is_empty() {
            None
        } else {
            Some(&self.text)
        }
    }
}

/// Parse a decimal number allowing leading zeros (`002`).
pub fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

/// Is `s` a non-empty string of hex digits of even length?
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Decode a UCS2 hex string (`002B0033…`) as sent by modems when `AT+CSCS="UCS2"`.
/// Surrogate pairs are joined; lone surrogates become U+FFFD. `None` if `s` is not hex in
/// whole 16-bit units.
pub fn ucs2_hex_decode(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || !s.len().is_multiple_of(4) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = hex::decode(s).ok()?;
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    Some(
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// Encode text as UCS2 hex (upper case), the form `AT+CSCS="UCS2"` modems expect in string arguments.
pub fn ucs2_hex_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 4);
    for unit in s.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out
}

/// If `s` looks like a UCS2-hex rendering of a phone number (only `+`, `*`, `#` and digits once
/// decoded), return the decoded number. Phone numbers never contain letters, so a hex string
/// that decodes to digits is unambiguous.
pub fn ucs2_number(s: &str) -> Option<String> {
    if s.len() < 8 {
        return None;
    }
    let decoded = ucs2_hex_decode(s)?;
    if !decoded.is_empty()
        && decoded
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    {
        Some(decoded)
    } else {
        None
    }
}

/// Parse a hex number that may be empty, quoted or contain stray spaces (`"2AF5"`, `4CA`, ` 0 5`).
pub fn hex_u32(s: &str) -> Option<u32> {
    let cleaned: String = s
        .chars()
        .filter(|c| *c != '"' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || cleaned.len() > 8 {
        return None;
    }
    u32::from_str_radix(&cleaned, 16).ok()
}

/// Parse a 27.007 range list like `(0-1,3)` or `0-2` into the set of values it allows.
pub fn range_list(s: &str) -> Vec<u16> {
    let inner = s.trim().trim_start_matches('(').trim_end_matches(')');
    let mut out = Vec::new();
    for part in inner.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some((a, b)) = part.split_once('-') {
            if let (Some(a), Some(b)) = (num::<u16>(a), num::<u16>(b))
                && a <= b
                && b - a <= 1024
            {
                out.extend(a..=b);
            }
        } else if let Some(v) = num::<u16>(part) {
            out.push(v);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Split a `(..),(..),(..)` answer into its top-level parenthesised groups (text inside each).
/// Text outside any parenthesis at top level is returned as separate comma-split groups, so a
/// paren-less answer like `"SM","SM","SM"` gives three one-item groups.
pub fn paren_groups(s: &str) -> Vec<String> {
    let mut groups = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    let mut outside = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                if depth == 0 {
                    cur.clear();
                } else {
                    cur.push(c);
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(std::mem::take(&mut cur));
                } else {
                    cur.push(c);
                }
            }
            _ if depth > 0 => cur.push(c),
            ',' => {
                let t = outside.trim();
                if !t.is_empty() {
                    groups.push(t.to_owned());
                }
                outside.clear();
            }
            _ => outside.push(c),
        }
    }
    if depth > 0 {
        groups.push(cur);
    }
    let t = outside.trim();
    if !t.is_empty() {
        groups.push(t.to_owned());
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_found_with_or_without_space_after_the_colon() {
        assert_eq!(after_prefix("+CNMI:(0-3)", "+CNMI"), Some("(0-3)"));
        assert_eq!(after_prefix("+CREG: 0,1", "+CREG"), Some("0,1"));
        assert_eq!(after_prefix("+creg: 0,1", "+CREG"), Some("0,1"));
        assert_eq!(after_prefix("+CGREG: 0,1", "+CREG"), None);
    }

    #[test]
    fn loose_fields_drop_quotes_and_inner_spaces() {
        assert_eq!(loose_fields("2,1,  0 5, 2715"), ["2", "1", "05", "2715"]);
        assert_eq!(
            loose_fields("2,1,\"0B,\"0100701\",7"),
            ["2", "1", "0B", "0100701", "7"]
        );
    }

    #[test]
    fn quoted_fields_keep_commas_inside_quotes() {
        let f = quoted_fields("\"REC READ\",\"+3162\",,\"07/07/05,09:56:03+08\"");
        let texts: Vec<_> = f.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["REC READ", "+3162", "", "07/07/05,09:56:03+08"]);
        assert!(f[0].quoted && !f[2].quoted);
    }

    #[test]
    fn ucs2_hex_round_trips_including_surrogate_pairs() {
        let s = "+33 😀 тест";
        assert_eq!(ucs2_hex_decode(&ucs2_hex_encode(s)).as_deref(), Some(s));
        assert_eq!(ucs2_hex_decode("00"), None);
        assert_eq!(ucs2_hex_decode("ZZZZ"), None);
    }

    #[test]
    fn a_plain_number_is_not_mistaken_for_ucs2_hex() {
        assert_eq!(ucs2_number("6281100000"), None);
        assert_eq!(ucs2_number("002B0039").as_deref(), Some("+9"));
    }

    #[test]
    fn range_lists_expand_ranges_and_singletons() {
        assert_eq!(range_list("(0-1,3)"), [0, 1, 3]);
        assert_eq!(range_list("(2)"), [2]);
        assert_eq!(range_list("()"), Vec::<u16>::new());
    }

    #[test]
    fn paren_groups_handle_nesting_and_bare_lists() {
        assert_eq!(paren_groups("(2),(0-1,3)"), ["2", "0-1,3"]);
        assert_eq!(
            paren_groups("((\"SM\",\"BM\"),(\"SM\"))"),
            ["(\"SM\",\"BM\"),(\"SM\")"]
        );
        assert_eq!(
            paren_groups("\"SM\",\"SM\",\"SM\""),
            ["\"SM\"", "\"SM\"", "\"SM\""]
        );
    }
}
