//! Which sent part a delivery report is about (pure). The rule that lets the network's own
//! evidence settle an `unknown` message, and leaves every doubtful case to the operator.
//!
//! A report names the port it arrived on, the TP-MR message reference of the part and the
//! recipient. A part is a **candidate** when it went out on the same port, to the same
//! recipient (last 8 digits, so national and international forms agree), within the report
//! window before the report arrived, and is still waiting for its report. Then:
//!
//! 1. **Reference match.** Candidates whose recorded reference equals the report's:
//!    - one → it is the match;
//!    - several, all of `sent` messages → the newest (references wrap at 256; the newest
//!      part with that reference is the one the network is reporting on, as before);
//!    - several with an `unknown` message among them → **ambiguous**: a report must not
//!      settle an unknown message while another part could be the one reported.
//! 2. **No reference recorded.** An `unknown` message whose send was interrupted before the
//!    modem answered `+CMGS: <mr>` has a part with no reference. If no part has the report's
//!    reference, such parts are the candidates:
//!    - exactly one, and its message is a single SMS → it is the match;
//!    - several, or a message of several parts (which part was it?) → **ambiguous**.
//! 3. Otherwise the report matches nothing (it is kept, unmatched).
//!
//! A match on an `unknown` message settles it (`delivered` or `failed`) with the report as its
//! evidence; an ambiguous report is kept with its candidates for the operator.

use super::types::number_tail;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A part that may be the one a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Message id.
    pub message_id: i64,
    /// Part number (1-based); for a part without a recorded send, 1.
    pub seq: u16,
    /// Port it went out on.
    pub port: u16,
    /// TP-MR, when the modem answered it.
    pub reference: Option<u8>,
    /// Recipient of the message.
    pub recipient: String,
    /// When the part was sent (or the send attempted).
    pub at: DateTime<Utc>,
    /// The message is `unknown` (may or may not have gone out).
    pub unknown: bool,
    /// How many parts the message has.
    pub parts: u16,
}

/// The report being matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey<'a> {
    /// Port it arrived on.
    pub port: u16,
    /// TP-MR.
    pub reference: u8,
    /// Recipient address in the report.
    pub recipient: &'a str,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// How a report was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// Port, recipient, window and the recorded message reference.
    Reference,
    /// Port, recipient and window; the only candidate, whose reference was never recorded.
    OnlyCandidate,
}

/// The outcome of matching a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// This part (message id, part number), by this rule.
    One {
        /// Message id.
        message_id: i64,
        /// Part number.
        seq: u16,
        /// Which rule decided.
        rule: MatchRule,
    },
    /// Several parts fit and an unknown message is among them: the operator decides.
    Ambiguous(Vec<i64>),
    /// Nothing fits.
    Nothing,
}

/// Matches a report against candidate parts (see the module docs). `window`: how long after a
/// send its report may arrive.
pub fn match_report(report: &ReportKey<'_>, candidates: &[Candidate], window: Duration) -> Matched {
    let tail = number_tail(report.recipient);
    let since = report.received_at - window;
    let fits: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| {
            c.port == report.port
                && number_tail(&c.recipient) == tail
                && c.at >= since
                && c.at <= report.received_at
        })
        .collect();
    let mut by_ref: Vec<&Candidate> = fits
        .iter()
        .copied()
        .filter(|c| c.reference == Some(report.reference))
        .collect();
    by_ref.sort_by(|a, b| b.at.cmp(&a.at).then(b.message_id.cmp(&a.message_id)));
    match by_ref.as_slice() {
        [] => {}
        [only] => {
            return Matched::One {
                message_id: only.message_id,
                seq: only.seq,
                rule: MatchRule::Reference,
            };
        }
        [newest, ..] if by_ref.iter().all(|c| !c.unknown) => {
            return Matched::One {
                message_id: newest.message_id,
                seq: newest.seq,
                rule: MatchRule::Reference,
            };
        }
        several => return Matched::Ambiguous(ids(several)),
    }
    let no_ref: Vec<&Candidate> = fits
        .iter()
        .copied()
        .filter(|c| c.unknown && c.reference.is_none())
        .collect();
    match no_ref.as_slice() {
        [] => Matched::Nothing,
        [only] if only.parts == 1 => Matched::One {
            message_id: only.message_id,
            seq: only.seq,
            rule: MatchRule::OnlyCandidate,
        },
        several => Matched::Ambiguous(ids(several)),
    }
}

fn ids(cs: &[&Candidate]) -> Vec<i64> {
    let mut v: Vec<i64> = cs.iter().map(|c| c.message_id).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn part(id: i64, reference: Option<u8>, at: i64, unknown: bool) -> Candidate {
        Candidate {
            message_id: id,
            seq: 1,
            port: 2,
            reference,
            recipient: "+447700900123".into(),
            at: t(at),
            unknown,
            parts: 1,
        }
    }

    fn report(reference: u8) -> ReportKey<'static> {
        ReportKey {
            port: 2,
            reference,
            recipient: "07700900123",
            received_at: t(10),
        }
    }

    const WINDOW: Duration = Duration::hours(1);

    fn one(id: i64, rule: MatchRule) -> Matched {
        Matched::One {
            message_id: id,
            seq: 1,
            rule,
        }
    }

    #[test]
    fn an_unknown_message_with_the_reported_reference_is_the_match() {
        let got = match_report(&report(7), &[part(1, Some(7), 0, true)], WINDOW);
        assert_eq!(got, one(1, MatchRule::Reference));
    }

    #[test]
    fn the_recipient_matches_in_national_and_international_form() {
        let mut p = part(1, Some(7), 0, true);
        p.recipient = "447700900123".into();
        assert_eq!(
            match_report(&report(7), &[p], WINDOW),
            one(1, MatchRule::Reference)
        );
    }

    #[test]
    fn a_report_on_another_port_or_for_another_recipient_matches_nothing() {
        let mut other_port = part(1, Some(7), 0, true);
        other_port.port = 3;
        let mut other_number = part(2, Some(7), 0, true);
        other_number.recipient = "+447700900999".into();
        assert_eq!(
            match_report(&report(7), &[other_port, other_number], WINDOW),
            Matched::Nothing
        );
    }

    #[test]
    fn a_part_sent_before_the_window_or_after_the_report_is_not_a_candidate() {
        let old = part(1, Some(7), -60, true);
        let later = part(2, Some(7), 11, true);
        assert_eq!(
            match_report(&report(7), &[old, later], WINDOW),
            Matched::Nothing
        );
    }

    #[test]
    fn two_parts_with_the_reported_reference_and_an_unknown_among_them_are_ambiguous() {
        let got = match_report(
            &report(7),
            &[part(1, Some(7), 0, false), part(2, Some(7), 5, true)],
            WINDOW,
        );
        assert_eq!(got, Matched::Ambiguous(vec![1, 2]));
    }

    #[test]
    fn among_sent_parts_only_with_the_same_reference_the_newest_wins_as_before() {
        let got = match_report(
            &report(7),
            &[part(1, Some(7), 0, false), part(2, Some(7), 5, false)],
            WINDOW,
        );
        assert_eq!(got, one(2, MatchRule::Reference));
    }

    #[test]
    fn the_only_unknown_message_without_a_reference_is_the_match_when_no_part_has_the_reference() {
        let got = match_report(
            &report(9),
            &[part(1, None, 0, true), part(2, Some(3), 1, false)],
            WINDOW,
        );
        assert_eq!(got, one(1, MatchRule::OnlyCandidate));
    }

    #[test]
    fn two_unknown_messages_without_a_reference_to_the_same_number_are_ambiguous() {
        let got = match_report(
            &report(9),
            &[part(4, None, 0, true), part(3, None, 2, true)],
            WINDOW,
        );
        assert_eq!(got, Matched::Ambiguous(vec![3, 4]));
    }

    #[test]
    fn an_unknown_message_of_several_parts_without_references_is_ambiguous_on_its_own() {
        let mut long = part(1, None, 0, true);
        long.parts = 3;
        assert_eq!(
            match_report(&report(9), &[long], WINDOW),
            Matched::Ambiguous(vec![1])
        );
    }

    #[test]
    fn a_part_with_the_reported_reference_is_preferred_over_a_part_without_one() {
        let got = match_report(
            &report(7),
            &[part(1, None, 0, true), part(2, Some(7), 1, false)],
            WINDOW,
        );
        assert_eq!(got, one(2, MatchRule::Reference));
    }

    #[test]
    fn a_sent_part_without_a_reference_never_matches() {
        assert_eq!(
            match_report(&report(7), &[part(1, None, 0, false)], WINDOW),
            Matched::Nothing
        );
    }
}
