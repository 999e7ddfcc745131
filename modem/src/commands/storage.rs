//! Message storage (+CPMS) and new-message indication (+CNMI) with their fallbacks.

use serde::{Deserialize, Serialize};

use super::parse::{ParseError, after_prefix, loose_fields, num, paren_groups, range_list};

/// Memories offered by `AT+CPMS=?` for each of the three roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageSupport {
    /// mem1: read and delete.
    pub read: Vec<String>,
    /// mem2: write and send.
    pub write: Vec<String>,
    /// mem3: where received messages go.
    pub receive: Vec<String>,
    /// The answer was empty (Samsung J700 `+CPMS: `) and `SM`/`ME` were assumed, as gammu does.
    pub assumed: bool,
}

impl StorageSupport {
    /// The modem offers no SMS storage at all (Nokia S60 `+CPMS: (),(),()` — no SMS over AT).
    pub fn is_empty(&self) -> bool {
        self.read.is_empty() && self.write.is_empty() && self.receive.is_empty()
    }

    /// Does the read/delete memory list include `mem`?
    pub fn can_read(&self, mem: &str) -> bool {
        self.read.iter().any(|m| m.eq_ignore_ascii_case(mem))
    }

    /// Pick the storage to use: the first of `preferred` that the modem offers for reading,
    /// else the modem's first. Status reports (`SR`) are only chosen when asked for explicitly.
    pub fn choose(&self, preferred: &[&str]) -> Option<String> {
        preferred
            .iter()
            .find(|p| self.can_read(p))
            .map(|p| (*p).to_owned())
            .or_else(|| self.read.iter().find(|m| *m != "SR").cloned())
    }

    /// How many `AT+CPMS=` arguments the modem accepts (Wavecom offers only two lists).
    pub fn arity(&self) -> usize {
        if !self.receive.is_empty() {
            3
        } else if !self.write.is_empty() {
            2
        } else {
            1
        }
    }
}

fn memories(group: &str) -> Vec<String> {
    group
        .split(',')
        .map(|m| m.trim().trim_matches('"').trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect()
}

/// Parse `AT+CPMS=?`. Accepts spaced and unspaced lists, broken quotes (`(ME", "SR")`), the
/// paren-less iWOW style (`"SM","SM","SM"`), Wavecom's nested `(("SM","BM","SR"),("SM"))`
/// (two roles), Nokia's `(),(),()` (no storage) and Samsung's empty answer (SM+ME assumed).
pub fn parse_cpms_support(lines: &[&str]) -> Result<StorageSupport, ParseError> {
    let body = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CPMS"))
        .ok_or_else(|| ParseError::new("+CPMS", &lines.join("|"), "no +CPMS line"))?;
    if body.trim().is_empty() {
        let both = vec!["SM".to_owned(), "ME".to_owned()];
        return Ok(StorageSupport {
            read: both.clone(),
            write: both.clone(),
            receive: both,
            assumed: true,
        });
    }
    let mut groups = paren_groups(body);
    // Wavecom wraps the whole answer in one more pair of parentheses.
    if groups.len() == 1 && groups[0].trim_start().starts_with('(') {
        groups = paren_groups(&groups[0]);
    }
    let mut lists = groups.iter().map(|g| memories(g));
    Ok(StorageSupport {
        read: lists.next().unwrap_or_default(),
        write: lists.next().unwrap_or_default(),
        receive: lists.next().unwrap_or_default(),
        assumed: false,
    })
}

/// Usage counters from `AT+CPMS=...` (`+CPMS: u1,t1,u2,t2[,u3,t3]`) or `AT+CPMS?`
/// (`+CPMS: "SM",u1,t1,"SM",u2,t2,...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageUsage {
    /// `(memory name if given, used, total)` per role, in role order.
    pub roles: Vec<(Option<String>, u32, u32)>,
}

impl StorageUsage {
    /// Is the receive memory (last role) full?
    pub fn receive_full(&self) -> bool {
        self.roles
            .last()
            .is_some_and(|(_, used, total)| *total > 0 && used >= total)
    }
}

/// Parse the answer to `AT+CPMS=…` or `AT+CPMS?`.
pub fn parse_cpms_usage(lines: &[&str]) -> Result<StorageUsage, ParseError> {
    let (line, body) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CPMS").map(|b| (*l, b)))
        .ok_or_else(|| ParseError::new("+CPMS", &lines.join("|"), "no +CPMS line"))?;
    let f = loose_fields(body);
    let mut roles = Vec::new();
    let mut i = 0;
    while i < f.len() {
        let name = if num::<u32>(&f[i]).is_none() {
            let n = f[i].clone();
            i += 1;
            Some(n).filter(|n| !n.is_empty())
        } else {
            None
        };
        let (Some(used), Some(total)) = (
            f.get(i).and_then(|s| num::<u32>(s)),
            f.get(i + 1).and_then(|s| num::<u32>(s)),
        ) else {
            break;
        };
        roles.push((name, used, total));
        i += 2;
    }
    if roles.is_empty() {
        return Err(ParseError::new("+CPMS", line, "no <used>,<total> pair"));
    }
    Ok(StorageUsage { roles })
}

/// An `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CnmiSetting {
    /// Buffering mode (2: buffer while the link is busy, flush after).
    pub mode: u8,
    /// Deliver routing: 1 → `+CMTI` index, 2 → `+CMT` direct PDU.
    pub mt: u8,
    /// Cell broadcast routing.
    pub bm: u8,
    /// Status report routing: 1 → `+CDS` direct, 2 → `+CDSI` index.
    pub ds: u8,
    /// Buffer flush (0 flush buffered URCs, 1 clear them).
    pub bfr: u8,
}

impl CnmiSetting {
    /// The argument list, e.g. `2,1,0,2,0`.
    pub fn args(&self) -> String {
        format!(
            "{},{},{},{},{}",
            self.mode, self.mt, self.bm, self.ds, self.bfr
        )
    }

    /// The same setting without `<bfr>` (`2,1,0,2`), accepted by modems that reject five fields.
    pub fn args_short(&self) -> String {
        format!("{},{},{},{}", self.mode, self.mt, self.bm, self.ds)
    }
}

/// What `AT+CNMI=?` allows per parameter (empty = parameter not offered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CnmiSupport {
    /// Allowed values for `<mode>`, `<mt>`, `<bm>`, `<ds>`, `<bfr>`.
    pub params: [Vec<u16>; 5],
}

/// Parse `AT+CNMI=?` (`+CNMI: (2),(0-1,3),(0,2),(0-1),(0)`, also without the space).
pub fn parse_cnmi_support(lines: &[&str]) -> Result<CnmiSupport, ParseError> {
    let (line, body) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CNMI").map(|b| (*l, b)))
        .ok_or_else(|| ParseError::new("+CNMI", &lines.join("|"), "no +CNMI line"))?;
    let groups = paren_groups(body);
    if groups.len() < 2 {
        return Err(ParseError::new(
            "+CNMI",
            line,
            "fewer than two parameter ranges",
        ));
    }
    let mut params: [Vec<u16>; 5] = Default::default();
    for (slot, g) in params.iter_mut().zip(groups.iter()) {
        *slot = range_list(g);
    }
    Ok(CnmiSupport { params })
}

impl CnmiSupport {
    fn allows(&self, i: usize, v: u8) -> bool {
        self.params[i].is_empty() || self.params[i].contains(&u16::from(v))
    }

    /// Choose a setting: `preferred` when every value is allowed, otherwise per parameter the
    /// preferred value if allowed, else the first allowed of the fallback order (gammu's rule:
    /// mode 2 then 3 then 1; mt 1 then 2 then 3; bm 0; ds 2 then 1 then 0; bfr 0).
    /// `None` when the modem offers no way to be told about new messages (`<mt>` only 0).
    pub fn choose(&self, preferred: CnmiSetting) -> Option<CnmiSetting> {
        let pick = |i: usize, pref: u8, order: &[u8]| -> Option<u8> {
            if self.allows(i, pref) {
                return Some(pref);
            }
            order
                .iter()
                .copied()
                .find(|v| self.allows(i, *v))
                .or_else(|| self.params[i].first().and_then(|v| u8::try_from(*v).ok()))
        };
        let mt = pick(1, preferred.mt, &[1, 2, 3])?;
        if mt == 0 {
            return None;
        }
        Some(CnmiSetting {
            mode: pick(0, preferred.mode, &[2, 3, 1])?,
            mt,
            bm: pick(2, preferred.bm, &[0])?,
            ds: pick(3, preferred.ds, &[2, 1, 0])?,
            bfr: pick(4, preferred.bfr, &[0, 1]).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpms_support_with_three_lists_is_read() {
        let s = parse_cpms_support(&["+CPMS: (\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\")"]).unwrap();
        assert_eq!(s.read, ["ME", "MT", "SM", "SR"]);
        assert_eq!(s.arity(), 3);
        assert_eq!(s.choose(&["SM"]).as_deref(), Some("SM"));
    }

    #[test]
    fn wavecom_nested_cpms_gives_two_roles() {
        let s = parse_cpms_support(&["+CPMS: ((\"SM\",\"BM\",\"SR\"),(\"SM\"))"]).unwrap();
        assert_eq!(s.read, ["SM", "BM", "SR"]);
        assert_eq!(s.write, ["SM"]);
        assert!(s.receive.is_empty());
        assert_eq!(s.arity(), 2);
    }

    #[test]
    fn nokia_empty_lists_mean_no_sms_storage() {
        let s = parse_cpms_support(&["+CPMS: (),(),()"]).unwrap();
        assert!(s.is_empty());
        assert_eq!(s.choose(&["SM"]), None);
    }

    #[test]
    fn broken_quotes_and_bare_lists_are_tolerated() {
        let s = parse_cpms_support(&["+CPMS: (ME\", \"SR\"), (\"ME\", \"SR\"), (\"ME\")"]).unwrap();
        assert_eq!(s.read, ["ME", "SR"]);
        assert_eq!(s.receive, ["ME"]);
        let s = parse_cpms_support(&["+CPMS: \"SM\",\"SM\",\"SM\""]).unwrap();
        assert_eq!(
            (s.read.as_slice(), s.receive.as_slice()),
            (&["SM".to_owned()][..], &["SM".to_owned()][..])
        );
        assert_eq!(s.choose(&["ME"]).as_deref(), Some("SM"));
    }

    #[test]
    fn cpms_usage_reads_counts_with_and_without_names() {
        let u = parse_cpms_usage(&["+CPMS: 14,50,14,50"]).unwrap();
        assert_eq!(u.roles, [(None, 14, 50), (None, 14, 50)]);
        let u = parse_cpms_usage(&["+CPMS: \"SM\",50,50,\"SM\",1,50,\"SM\",50,50"]).unwrap();
        assert_eq!(u.roles[0], (Some("SM".into()), 50, 50));
        assert!(u.receive_full());
        assert!(parse_cpms_usage(&["+CPMS: ,,,,,,,,"]).is_err());
    }

    #[test]
    fn cnmi_preferred_setting_is_kept_when_allowed() {
        let s = parse_cnmi_support(&["+CNMI: (0-2),(0-3),(0-3),(0-2),(0,1)"]).unwrap();
        let pref = CnmiSetting {
            mode: 2,
            mt: 1,
            bm: 0,
            ds: 2,
            bfr: 0,
        };
        assert_eq!(s.choose(pref), Some(pref));
    }

    #[test]
    fn cnmi_falls_back_per_parameter() {
        let s = parse_cnmi_support(&["+CNMI: (2),(0-1,3),(0,2),(0-1),(0)"]).unwrap();
        let pref = CnmiSetting {
            mode: 2,
            mt: 2,
            bm: 0,
            ds: 2,
            bfr: 0,
        };
        let got = s.choose(pref).unwrap();
        assert_eq!(got.args(), "2,1,0,1,0");
    }

    #[test]
    fn cnmi_without_a_message_indication_mode_gives_none() {
        let s = parse_cnmi_support(&["+CNMI: (0-2),(0),(0),(0),(0)"]).unwrap();
        assert_eq!(
            s.choose(CnmiSetting {
                mode: 2,
                mt: 1,
                bm: 0,
                ds: 2,
                bfr: 0
            }),
            None
        );
    }
}
