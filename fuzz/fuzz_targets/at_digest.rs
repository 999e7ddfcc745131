//! Fuzz the AT digester: arbitrary bytes, split at a fuzzer-chosen point, with and without a (prompt) command in
//! flight. It must never panic, always make progress, and give the same items however the input is split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate_at::{Digested, Digester};

fn digest(mode: u8, chunks: &[&[u8]]) -> Vec<String> {
    let mut d = Digester::new();
    match mode % 3 {
        0 => {}
        1 => d.begin(b"AT+CMGL=4", &["+CMGL"], false),
        _ => d.begin(b"AT+CMGS=23", &["+CMGS"], true),
    }
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        let mut idle_items = 0;
        loop {
            let (item, used) = d.feed(input);
            assert!(used <= input.len());
            input = &input[used..];
            let Some(item) = item else {
                assert!(input.is_empty(), "None must mean all input was used");
                break;
            };
            idle_items = if used == 0 { idle_items + 1 } else { 0 };
            assert!(idle_items <= 1, "no progress");
            let is_final = matches!(item, Digested::Final(_));
            out.push(format!("{item:?}"));
            if is_final {
                d.end();
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((&cut, bytes)) = rest.split_first() else {
        return;
    };
    let cut = usize::from(cut).min(bytes.len());
    let whole = digest(mode, &[bytes]);
    let (a, b) = bytes.split_at(cut);
    assert_eq!(digest(mode, &[a, b]), whole);
});
