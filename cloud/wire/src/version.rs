//! Contract versions and their negotiation.
//!
//! The topic prefix carries the *major* topic layout (`smsgate/v1`); the payload field `v`
//! carries the contract version a message was written in. A gateway announces every version it
//! speaks in its retained [`State`](crate::State) and in each heartbeat; the hub then writes its
//! commands in the highest version both speak ([`negotiate`]).

/// Contract versions this build can read and write, ascending.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// The version both sides speak: the highest one present in both lists, or `None` when the
/// lists have nothing in common (the hub then refuses to send commands to that gateway).
pub fn negotiate(ours: &[u32], theirs: &[u32]) -> Option<u32> {
    ours.iter().filter(|v| theirs.contains(v)).max().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_common_version_wins() {
        assert_eq!(negotiate(&[1, 2, 3], &[2, 3, 4]), Some(3));
    }

    #[test]
    fn an_old_gateway_gets_the_old_version() {
        assert_eq!(negotiate(&[1, 2], &[1]), Some(1));
    }

    #[test]
    fn disjoint_version_lists_do_not_negotiate() {
        assert_eq!(negotiate(&[2], &[1]), None);
        assert_eq!(negotiate(&[1], &[]), None);
    }
}
