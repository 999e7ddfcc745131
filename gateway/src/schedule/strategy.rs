//! Port choice for one group.

use crate::spool::number_tail;
use smsgate_config::gateway::Strategy;

/// Chooses the port for each message of a group.
#[derive(Debug, Clone)]
pub struct PortPicker {
    strategy: Strategy,
    sequence: Vec<u16>,
    cursor: usize,
}

impl PortPicker {
    /// `sequence` is the group's expanded port list (its order is the round-robin order).
    pub fn new(strategy: Strategy, sequence: &[u16]) -> Self {
        Self {
            strategy,
            sequence: sequence.to_vec(),
            cursor: 0,
        }
    }

    /// Picks a port for a message to `recipient`. `usable(port)` says whether the port can
    /// take a message now (present, not benched, paced, under its caps); `used(port)` is the
    /// port's send count in the current day window (least-used). `None`: no port is usable,
    /// the message stays queued.
    ///
    /// - round-robin: the next usable port after the last one picked, in sequence order.
    /// - least-used: the usable port with the fewest sends; ties go to sequence order.
    /// - sticky: the recipient's home port (stable hash of its digits); when that port is not
    ///   usable, the next usable one after it in sequence order (same fallback every time).
    pub fn pick(
        &mut self,
        recipient: &str,
        usable: impl Fn(u16) -> bool,
        used: impl Fn(u16) -> u32,
    ) -> Option<u16> {
        let n = self.sequence.len();
        if n == 0 {
            return None;
        }
        match self.strategy {
            Strategy::RoundRobin => {
                let (offset, port) = (0..n)
                    .map(|k| (k, self.sequence[(self.cursor + k) % n]))
                    .find(|(_, p)| usable(*p))?;
                self.cursor = (self.cursor + offset + 1) % n;
                Some(port)
            }
            Strategy::LeastUsed => self
                .sequence
                .iter()
                .enumerate()
                .filter(|(_, p)| usable(**p))
                .min_by_key(|(i, p)| (used(**p), *i))
                .map(|(_, p)| *p),
            Strategy::Sticky => {
                let home = home_index(recipient, n);
                (0..n)
                    .map(|k| self.sequence[(home + k) % n])
                    .find(|p| usable(*p))
            }
        }
    }

    /// The recipient's home port under the sticky strategy.
    pub fn home_port(&self, recipient: &str) -> Option<u16> {
        let n = self.sequence.len();
        (n > 0).then(|| self.sequence[home_index(recipient, n)])
    }
}

/// Stable across runs and builds (unlike `std`'s hasher): FNV-1a over the number's
/// [`number_tail`], so `+598 99 123 456` and `099123456` stay on the same SIM.
fn home_index(recipient: &str, n: usize) -> usize {
    let tail = number_tail(recipient);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tail.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // n ≤ MAX_PORT_ID + 1, so the remainder fits in usize.
    usize::try_from(h % (n as u64)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn all(_: u16) -> bool {
        true
    }
    fn zero(_: u16) -> u32 {
        0
    }

    #[test]
    fn round_robin_cycles_through_the_sequence_like_a_dinstar_channel_range() {
        let mut p = PortPicker::new(Strategy::RoundRobin, &[0, 1, 2, 3]);
        let got: Vec<u16> = (0..9).filter_map(|_| p.pick("x", all, zero)).collect();
        assert_eq!(got, [0, 1, 2, 3, 0, 1, 2, 3, 0]);
    }

    #[test]
    fn round_robin_skips_an_unusable_port_and_continues_after_the_one_it_picked() {
        let mut p = PortPicker::new(Strategy::RoundRobin, &[0, 1, 2, 3]);
        let not_1 = |port: u16| port != 1;
        let got: Vec<u16> = (0..6).filter_map(|_| p.pick("x", not_1, zero)).collect();
        assert_eq!(got, [0, 2, 3, 0, 2, 3]);
    }

    #[test]
    fn no_usable_port_means_no_pick_and_the_cursor_stays() {
        let mut p = PortPicker::new(Strategy::RoundRobin, &[5, 6]);
        assert_eq!(p.pick("x", |_| false, zero), None);
        assert_eq!(p.pick("x", all, zero), Some(5));
        assert_eq!(
            PortPicker::new(Strategy::Sticky, &[]).pick("x", all, zero),
            None
        );
    }

    #[test]
    fn least_used_takes_the_usable_port_with_the_fewest_sends_ties_in_sequence_order() {
        let counts: HashMap<u16, u32> = [(0, 5), (1, 2), (2, 2), (3, 0)].into();
        let used = |p: u16| counts[&p];
        let mut p = PortPicker::new(Strategy::LeastUsed, &[0, 1, 2, 3]);
        assert_eq!(p.pick("x", all, used), Some(3));
        assert_eq!(p.pick("x", |port| port != 3, used), Some(1));
        assert_eq!(p.pick("x", |port| port == 0, used), Some(0));
    }

    #[test]
    fn sticky_keeps_a_recipient_on_the_same_port_and_spreads_recipients() {
        let mut p = PortPicker::new(Strategy::Sticky, &[0, 1, 2, 3]);
        let first = p.pick("+59899123456", all, zero).unwrap();
        for _ in 0..10 {
            assert_eq!(p.pick("+59899123456", all, zero), Some(first));
        }
        assert_eq!(
            p.pick("099123456", all, zero),
            Some(first),
            "same number, national form"
        );
        let spread: std::collections::HashSet<u16> = (0..100)
            .filter_map(|i| p.pick(&format!("0991{i:05}"), all, zero))
            .collect();
        assert_eq!(spread.len(), 4, "100 recipients use every port");
    }

    #[test]
    fn sticky_falls_back_to_the_next_usable_port_and_returns_home_when_it_recovers() {
        let mut p = PortPicker::new(Strategy::Sticky, &[0, 1, 2, 3]);
        let home = p.home_port("+15551234567").unwrap();
        let next = [0, 1, 2, 3][(usize::from(home) + 1) % 4];
        assert_eq!(
            p.pick("+15551234567", |port| port != home, zero),
            Some(next)
        );
        assert_eq!(
            p.pick("+15551234567", |port| port != home, zero),
            Some(next),
            "same fallback"
        );
        assert_eq!(p.pick("+15551234567", all, zero), Some(home));
    }

    #[test]
    fn the_home_port_is_stable_across_builds() {
        // Pinned values: changing the hash would move every recipient to another SIM.
        let p = PortPicker::new(Strategy::Sticky, &(0..32).collect::<Vec<u16>>());
        let homes: Vec<u16> = ["+15551234567", "099123456", "+59899123456", "5"]
            .iter()
            .map(|r| p.home_port(r).unwrap())
            .collect();
        assert_eq!(homes, PINNED_HOMES);
    }

    // Computed independently (FNV-1a 64 over the last 8 digits, mod 32).
    const PINNED_HOMES: [u16; 4] = [16, 0, 0, 16];
}
