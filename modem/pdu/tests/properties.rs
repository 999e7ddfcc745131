//! Property tests: encode → decode → reassemble gives back any Unicode text of any length in every
//! encoding; the number of parts is the minimum for the chosen encoding (checked against an
//! independent dynamic-programming count); escape pairs and surrogate pairs never straddle parts;
//! and the decoder is total over arbitrary and mutated bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use proptest::prelude::*;
use smsgate_pdu::gsm7::{self, Septets, Tables};
use smsgate_pdu::{
    DeliverOptions, Encoding, NationalLanguage, Part, Pdu, Reassembler, SubmitOptions,
    count_segments, decode, decode_tpdu, encode_deliver, encode_submit,
};

/// Text biased towards the interesting characters: GSM basics, extension characters (escape
/// pairs), national letters, emoji (surrogate pairs), CJK, plus anything at all.
fn text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => proptest::sample::select(vec![' ', '.', '@', '£', 'Δ', 'é', 'Ä', '\n', '\r', '$', '¤']),
        2 => proptest::sample::select(vec!['€', '[', ']', '{', '}', '~', '^', '|', '\\', '\u{c}']),
        1 => proptest::sample::select(vec!['ş', 'ğ', 'ı', 'İ', 'ç', 'á', 'ã', 'õ', 'ê', 'Ç']),
        1 => proptest::sample::select(vec!['😀', '👍', '🇫', '𝄞', '中', 'ő', 'ж']),
        1 => any::<char>(),
    ];
    proptest::collection::vec(ch, 0..500).prop_map(|v| v.into_iter().collect())
}

fn language() -> impl Strategy<Value = Option<NationalLanguage>> {
    prop_oneof![
        Just(None),
        Just(Some(NationalLanguage::Turkish)),
        Just(Some(NationalLanguage::Spanish)),
        Just(Some(NationalLanguage::Portuguese)),
    ]
}

fn encoding() -> impl Strategy<Value = Option<Encoding>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Encoding::Ucs2)),
        1 => Just(Some(Encoding::Eight)),
    ]
}

fn reassemble(parts: &[Vec<u8>]) -> String {
    let mut r = Reassembler::new(Duration::from_secs(60));
    let now = Instant::now();
    let mut out = Vec::new();
    for bytes in parts {
        let pdu = decode(bytes).unwrap();
        out.extend(r.push(Part::from_pdu(&pdu).unwrap(), now));
    }
    assert_eq!(out.len(), 1, "one message out of {} parts", parts.len());
    assert!(out[0].complete);
    out[0].text.clone()
}

/// Unit sizes of `text` (septets, or octets) under an encoding with default tables.
fn units(text: &str, encoding: Encoding) -> Option<Vec<usize>> {
    text.chars()
        .map(|c| match encoding {
            Encoding::Gsm7 => Tables::DEFAULT.encode_char(c).map(Septets::len),
            Encoding::Ucs2 => Some(c.len_utf16() * 2),
            Encoding::Eight => Some(c.len_utf8()),
        })
        .collect()
}

/// Fewest parts for `units` when one part holds `single` and each concatenated part `cap`,
/// by dynamic programming over every possible cut (independent of the encoder's greedy split).
fn minimum_parts(units: &[usize], single: usize, cap: usize) -> usize {
    let total: usize = units.iter().sum();
    if total <= single {
        return 1;
    }
    let n = units.len();
    let mut best = vec![usize::MAX; n + 1];
    best[0] = 0;
    for end in 1..=n {
        let mut size = 0;
        for start in (0..end).rev() {
            size += units[start];
            if size > cap {
                break;
            }
            if best[start] != usize::MAX {
                best[end] = best[end].min(best[start] + 1);
            }
        }
    }
    best[n]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn submit_round_trips_any_text_through_the_reassembler(
        text in text(),
        enc in encoding(),
        lang in language(),
        concat_16bit in any::<bool>(),
        concat_ref in 0u16..=255,
    ) {
        let opts = SubmitOptions {
            encoding: enc,
            national_language: lang,
            concat_16bit,
            concat_ref,
            ..SubmitOptions::default()
        };
        let parts = encode_submit("+33612345678", &text, &opts).unwrap();
        prop_assert!(parts.len() <= 255);
        let bytes: Vec<Vec<u8>> = parts.iter().map(|p| p.bytes.clone()).collect();
        prop_assert_eq!(reassemble(&bytes), text.clone());
        prop_assert_eq!(count_segments(&text, &opts).1, parts.len());
        for p in &parts {
            prop_assert_eq!(p.tpdu_len, p.bytes.len() - 1);
            // The TPDU alone decodes to the same thing.
            prop_assert_eq!(decode_tpdu(p.tpdu()).unwrap().user_data().unwrap().text.clone(),
                decode(&p.bytes).unwrap().user_data().unwrap().text.clone());
        }
    }

    #[test]
    fn deliver_round_trips_any_text(text in text(), lang in language(), enc in encoding()) {
        let opts = DeliverOptions {
            encoding: enc,
            national_language: lang,
            concat_ref: 42,
            ..DeliverOptions::default()
        };
        let parts = encode_deliver("Shop", &text, &opts).unwrap();
        let bytes: Vec<Vec<u8>> = parts.iter().map(|p| p.bytes.clone()).collect();
        prop_assert_eq!(reassemble(&bytes), text);
        let Pdu::Deliver(d) = decode(&bytes[0]).unwrap() else { panic!("not a deliver") };
        prop_assert_eq!(d.sender.display(), "Shop");
    }

    #[test]
    fn part_counts_are_the_minimum_for_the_chosen_encoding(
        text in text(),
        enc in encoding(),
        concat_16bit in any::<bool>(),
    ) {
        let opts = SubmitOptions { encoding: enc, concat_16bit, ..SubmitOptions::default() };
        let parts = encode_submit("+1555", &text, &opts).unwrap();
        let chosen = decode(&parts[0].bytes).unwrap().user_data().unwrap().encoding;
        let u = units(&text, chosen).expect("the chosen encoding carries the text");
        let concat = if concat_16bit { 7 } else { 6 };
        let (single, cap) = match chosen {
            Encoding::Gsm7 => (160, 160 - (concat * 8usize).div_ceil(7)),
            Encoding::Ucs2 => (140, (140 - concat) / 2 * 2),
            Encoding::Eight => (140, 140 - concat),
        };
        prop_assert_eq!(parts.len(), minimum_parts(&u, single, cap));
        // Automatic choice: GSM-7 whenever the default alphabet carries the text.
        if enc.is_none() {
            prop_assert_eq!(chosen == Encoding::Gsm7, gsm7::septet_count(&text).is_some());
        }
    }

    #[test]
    fn escape_and_surrogate_pairs_never_straddle_parts(text in text(), enc in encoding()) {
        let opts = SubmitOptions { encoding: enc, ..SubmitOptions::default() };
        let parts = encode_submit("+1555", &text, &opts).unwrap();
        for p in &parts {
            let ud = decode(&p.bytes).unwrap().user_data().unwrap().clone();
            match ud.encoding {
                Encoding::Gsm7 => {
                    let escapes = ud.data.iter().rev().take_while(|&&s| s == gsm7::ESCAPE).count();
                    prop_assert!(escapes % 2 == 0, "part ends inside an escape pair");
                }
                Encoding::Ucs2 => {
                    prop_assert!(ud.data.len().is_multiple_of(2));
                    if let Some(last) = ud.data.chunks(2).last() {
                        let unit = u16::from_be_bytes([last[0], last[1]]);
                        prop_assert!(!(0xD800..0xDC00).contains(&unit), "part ends on a high surrogate");
                    }
                    if let Some(first) = ud.data.chunks(2).next() {
                        let unit = u16::from_be_bytes([first[0], first[1]]);
                        prop_assert!(!(0xDC00..0xE000).contains(&unit), "part starts on a low surrogate");
                    }
                }
                Encoding::Eight => prop_assert!(std::str::from_utf8(&ud.data).is_ok()),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn decoder_is_total_over_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
        let _ = decode_tpdu(&bytes);
    }

    #[test]
    fn decoder_is_total_over_mutated_valid_pdus(
        text in "[a-z€😀]{0,200}",
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let parts = encode_submit("+4912345", &text, &SubmitOptions::default()).unwrap();
        let mut bytes = parts[0].bytes.clone();
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        let _ = decode(&bytes);
        let _ = decode_tpdu(&bytes);
        let _ = decode(&bytes[..cut.index(bytes.len() + 1)]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Texts a national table can carry: they stay GSM-7, round-trip, and use the fewest parts
    /// for the table combination chosen (language IEs shrink every part).
    #[test]
    fn national_language_texts_round_trip_in_minimal_parts(
        text in "[a-zşğıİçáíóúãõêâÂÁ€ .,]{0,600}",
        lang in language(),
        concat_16bit in any::<bool>(),
    ) {
        let opts = SubmitOptions {
            national_language: lang,
            concat_16bit,
            ..SubmitOptions::default()
        };
        let parts = encode_submit("+905321234567", &text, &opts).unwrap();
        let bytes: Vec<Vec<u8>> = parts.iter().map(|p| p.bytes.clone()).collect();
        prop_assert_eq!(reassemble(&bytes), text.clone());
        let first = decode(&parts[0].bytes).unwrap().user_data().unwrap().clone();
        if first.encoding != Encoding::Gsm7 {
            // Only when neither the default nor this language's tables carry every character.
            prop_assert!(gsm7::septet_count(&text).is_none());
            return Ok(());
        }
        let tables = Tables { locking: first.locking_shift, single: first.single_shift };
        let u: Vec<usize> = text
            .chars()
            .map(|c| tables.encode_char(c).map(Septets::len))
            .collect::<Option<_>>()
            .expect("the chosen tables carry the text");
        let lang_octets = 3 * (usize::from(tables.locking.is_some()) + usize::from(tables.single.is_some()));
        let udh = |concat: usize| if lang_octets + concat == 0 { 0 } else { 1 + lang_octets + concat };
        let septets = |h: usize| 160 - (h * 8).div_ceil(7);
        let concat = if concat_16bit { 6 } else { 5 };
        let minimum = minimum_parts(&u, septets(udh(0)), septets(udh(concat)));
        prop_assert_eq!(parts.len(), minimum);
        // And no other table combination of this language would need fewer parts.
        let mut combos = vec![Tables::DEFAULT];
        if let Some(l) = lang {
            combos.push(Tables { locking: None, single: Some(l) });
            if l != NationalLanguage::Spanish {
                combos.push(Tables { locking: Some(l), single: None });
                combos.push(Tables { locking: Some(l), single: Some(l) });
            }
        }
        for t in combos {
            let Some(u) = text.chars().map(|c| t.encode_char(c).map(Septets::len)).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let lang_octets = 3 * (usize::from(t.locking.is_some()) + usize::from(t.single.is_some()));
            let udh = |c: usize| if lang_octets + c == 0 { 0 } else { 1 + lang_octets + c };
            prop_assert!(parts.len() <= minimum_parts(&u, septets(udh(0)), septets(udh(concat))), "{t:?} needs fewer parts");
        }
    }
}
