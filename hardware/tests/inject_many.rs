//! The simulator's inject keeps working past 255 multipart messages (issue 8): its 8-bit
//! concatenation reference wraps instead of overflowing into an encode error.
#![allow(clippy::unwrap_used)]

mod common;

use smsgate_hardware::sim::lab::Inbound;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_multipart_messages_are_all_injected_their_reference_wrapping_at_256() {
    let t = common::start(1, |_| {});
    let long = "x".repeat(200); // two GSM-7 parts
    for i in 0..300 {
        let msg = Inbound {
            from: "+33612345678".into(),
            to: "#0".into(),
            text: format!("{i} {long}"),
            encoding: None,
            out_of_order: false,
            drop_part: None,
        };
        t.lab
            .inject(&msg)
            .unwrap_or_else(|e| panic!("inject {i} failed: {e}"));
    }
}
