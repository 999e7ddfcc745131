//! Port lists in Dinstar dial-string style: `"0-3"`, `"(0.3)"`, `"0,2,5"`, `"0-3,8"`.
//!
//! A list is items separated by commas; an item is a port (`5`), an inclusive range (`0-3`) or a
//! Dinstar channel cycle (`(0.3)`, which the seed describes as "sent to 4 channels recursively
//! (0-1-2-3-0 …)"; it expands exactly like `0-3`). Whitespace around tokens is ignored. The
//! expanded order is the round-robin sequence. A port may appear only once, ranges go upwards,
//! and ids are at most [`MAX_PORT_ID`]. Errors say what is wrong and at which column (1-based,
//! counted in characters).

use std::fmt;

/// Highest port id accepted anywhere in the config.
pub const MAX_PORT_ID: u16 = 1023;

/// A parsed port list; keeps the original text for display and re-serialisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortSpec {
    text: String,
    ports: Vec<u16>,
}

impl PortSpec {
    /// The expanded ports, in round-robin order.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// Whether `port` is in the list.
    pub fn contains(&self, port: u16) -> bool {
        self.ports.contains(&port)
    }

    /// The text as written in the config.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for PortSpec {
    type Err = PortSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_port_spec(s)
    }
}

impl TryFrom<String> for PortSpec {
    type Error = PortSpecError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_port_spec(&s)
    }
}

impl From<PortSpec> for String {
    fn from(p: PortSpec) -> String {
        p.text
    }
}

/// What is wrong with a port list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortSpecError {
    /// Nothing but whitespace.
    #[error("the port list is empty (write e.g. \"0-3\", \"(0.3)\" or \"0,2,5\")")]
    Empty,
    /// A token other than the one the grammar needs.
    #[error("expected {expected} at column {column}, found {}", found.map_or_else(|| "the end of the list".to_string(), |c| format!("'{c}'")))]
    Expected {
        /// 1-based character column.
        column: usize,
        /// What the grammar needed there.
        expected: &'static str,
        /// What was there (`None` = end of input).
        found: Option<char>,
    },
    /// A number too large for a port id.
    #[error("port {value} at column {column} is above the highest port id {MAX_PORT_ID}")]
    TooLarge {
        /// 1-based character column.
        column: usize,
        /// The number as written.
        value: String,
    },
    /// `5-3` or `(5.3)`.
    #[error("range {start}-{end} at column {column} goes backwards (write {end}-{start})")]
    Reversed {
        /// 1-based character column of the range start.
        column: usize,
        /// First number.
        start: u16,
        /// Second number.
        end: u16,
    },
    /// A port given twice.
    #[error("port {port} is listed twice")]
    Duplicate {
        /// The repeated port.
        port: u16,
    },
}

/// Parses a Dinstar-style port list (pure; see the module docs for the grammar).
pub fn parse_port_spec(text: &str) -> Result<PortSpec, PortSpecError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.iter().all(|c| c.is_whitespace()) {
        return Err(PortSpecError::Empty);
    }
    let mut p = Parser { chars, pos: 0 };
    let mut ports: Vec<u16> = Vec::new();
    loop {
        p.skip_ws();
        let (start_col, first, last) = if p.peek() == Some('(') {
            let col = p.pos + 1;
            p.pos += 1;
            let a = p.number()?;
            p.expect('.', "'.' between the first and last port of a cycle")?;
            let b = p.number()?;
            p.expect(')', "')' closing the cycle")?;
            (col, a, b)
        } else {
            let col = p.pos_after_ws() + 1;
            let a = p.number()?;
            p.skip_ws();
            if p.peek() == Some('-') {
                p.pos += 1;
                let b = p.number()?;
                (col, a, b)
            } else {
                (col, a, a)
            }
        };
        if last < first {
            return Err(PortSpecError::Reversed {
                column: start_col,
                start: first,
                end: last,
            });
        }
        for port in first..=last {
            if ports.contains(&port) {
                return Err(PortSpecError::Duplicate { port });
            }
            ports.push(port);
        }
        p.skip_ws();
        match p.peek() {
            None => break,
            Some(',') => p.pos += 1,
            Some(c) => {
                return Err(PortSpecError::Expected {
                    column: p.pos + 1,
                    expected: "',' or the end of the list",
                    found: Some(c),
                });
            }
        }
    }
    Ok(PortSpec {
        text: text.to_string(),
        ports,
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn pos_after_ws(&self) -> usize {
        let mut i = self.pos;
        while self.chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        i
    }

    fn expect(&mut self, want: char, expected: &'static str) -> Result<(), PortSpecError> {
        self.skip_ws();
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(PortSpecError::Expected {
                column: self.pos + 1,
                expected,
                found: self.peek(),
            })
        }
    }

    fn number(&mut self) -> Result<u16, PortSpecError> {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(PortSpecError::Expected {
                column: start + 1,
                expected: "a port number",
                found: self.peek(),
            });
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        match digits.parse::<u16>() {
            Ok(n) if n <= MAX_PORT_ID => Ok(n),
            _ => Err(PortSpecError::TooLarge {
                column: start + 1,
                value: digits,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(s: &str) -> Vec<u16> {
        parse_port_spec(s).map(|p| p.ports().to_vec()).unwrap()
    }

    fn err(s: &str) -> String {
        parse_port_spec(s).unwrap_err().to_string()
    }

    #[test]
    fn accepted_forms_expand_in_round_robin_order() {
        let table: &[(&str, &[u16])] = &[
            ("0", &[0]),
            ("7", &[7]),
            ("0-3", &[0, 1, 2, 3]),
            ("(0.3)", &[0, 1, 2, 3]),
            ("(4.4)", &[4]),
            ("0,2,5", &[0, 2, 5]),
            ("0-3,8", &[0, 1, 2, 3, 8]),
            ("8,0-3", &[8, 0, 1, 2, 3]),
            ("(0.1),(4.5),9", &[0, 1, 4, 5, 9]),
            (" 0 - 2 , 5 ", &[0, 1, 2, 5]),
            ("( 2 . 3 )", &[2, 3]),
            ("3-3", &[3]),
            ("1023", &[1023]),
            ("0-31", &(0..=31).collect::<Vec<u16>>()),
        ];
        for (input, want) in table {
            assert_eq!(ports(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn the_original_text_is_kept_for_display() {
        let p = parse_port_spec(" (0.3) ").unwrap();
        assert_eq!(p.to_string(), " (0.3) ");
        assert!(p.contains(3));
        assert!(!p.contains(4));
    }

    #[test]
    fn every_kind_of_mistake_is_named_with_its_column() {
        let table: &[(&str, &str)] = &[
            ("", "the port list is empty"),
            ("   ", "the port list is empty"),
            ("x", "expected a port number at column 1, found 'x'"),
            (
                "0-",
                "expected a port number at column 3, found the end of the list",
            ),
            ("0-x", "expected a port number at column 3, found 'x'"),
            ("-3", "expected a port number at column 1, found '-'"),
            ("0,,1", "expected a port number at column 3, found ','"),
            (
                "0,",
                "expected a port number at column 3, found the end of the list",
            ),
            (
                "0 1",
                "expected ',' or the end of the list at column 3, found '1'",
            ),
            (
                "0;1",
                "expected ',' or the end of the list at column 2, found ';'",
            ),
            (
                "(0-3)",
                "expected '.' between the first and last port of a cycle at column 3, found '-'",
            ),
            (
                "(0.3",
                "expected ')' closing the cycle at column 5, found the end of the list",
            ),
            ("(.3)", "expected a port number at column 2, found '.'"),
            (
                "0.3",
                "expected ',' or the end of the list at column 2, found '.'",
            ),
            ("3-0", "range 3-0 at column 1 goes backwards (write 0-3)"),
            (
                "1, (5.2)",
                "range 5-2 at column 4 goes backwards (write 2-5)",
            ),
            (
                "1024",
                "port 1024 at column 1 is above the highest port id 1023",
            ),
            (
                "0-99999999999",
                "port 99999999999 at column 3 is above the highest port id 1023",
            ),
            ("0-3,2", "port 2 is listed twice"),
            ("(0.3),(3.4)", "port 3 is listed twice"),
            ("1,1", "port 1 is listed twice"),
            ("٣", "expected a port number at column 1, found '٣'"),
        ];
        for (input, want) in table {
            let got = err(input);
            assert!(
                got.starts_with(want),
                "input {input:?}: got {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn a_port_spec_round_trips_through_serde_as_its_text() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct W {
            ports: PortSpec,
        }
        let w: W = toml::from_str("ports = \"0-3,8\"").unwrap();
        assert_eq!(w.ports.ports(), &[0, 1, 2, 3, 8]);
        assert_eq!(toml::to_string(&w).unwrap().trim(), "ports = \"0-3,8\"");
    }
}
