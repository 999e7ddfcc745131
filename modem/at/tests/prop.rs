//! Property tests: arbitrary bytes, arbitrary chunking — the digester never panics, always makes progress,
//! and gives the same items however the bytes are split.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod support;

use proptest::prelude::*;
use support::*;

/// Bytes biased towards the interesting ones (line ends, prompt, quotes, AT, result words).
fn modem_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"> ".to_vec()),
        Just(b"OK".to_vec()),
        Just(b"ERROR".to_vec()),
        Just(b"+CMS ERROR: 500".to_vec()),
        Just(b"+CMT: ,23".to_vec()),
        Just(b"+CDS: 25".to_vec()),
        Just(b"+CMGL: 1,\"REC READ\",\"+1\",,\"x\"".to_vec()),
        Just(b"+CMTI: \"SM\",1".to_vec()),
        Just(b"AT+CSQ".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"+CUSD: 1,\"".to_vec()),
        Just(vec![0u8]),
        Just(vec![0x1A]),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

fn setup_strategy() -> impl Strategy<Value = Setup> {
    prop_oneof![
        Just(idle()),
        Just(cmd("AT+CSQ", &["+CSQ"])),
        Just(cmd("AT+CMGL=4", &["+CMGL"])),
        Just(cmd("AT+CUSD=1,\"*100#\",15", &["+CUSD"])),
        Just(prompt_cmd("AT+CMGS=23", &["+CMGS"])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_any_chunks_give_the_same_items(
        setup in setup_strategy(),
        bytes in modem_bytes(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let whole = run_chunks(&setup, &[&bytes]);
        let mut positions: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        positions.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for p in positions {
            chunks.push(&bytes[start..p]);
            start = p;
        }
        chunks.push(&bytes[start..]);
        prop_assert_eq!(run_chunks(&setup, &chunks), whole.clone());
        let single: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(run_chunks(&setup, &single), whole);
    }

    #[test]
    fn raw_random_bytes_never_panic(setup in setup_strategy(), bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // run_chunks asserts progress on every call.
        let items = run_chunks(&setup, &[&bytes]);
        // Every item is backed by at least one input byte (or is a prompt): the output cannot exceed the input.
        prop_assert!(items.len() <= bytes.len());
    }
}
