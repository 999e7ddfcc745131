//! The number rule's cost per number (issue 12's import hot spot), side by side in one run:
//! - **rule**: `smsgate_wire::number::recipient`, the rule both sides use (rlibphonenumber, on
//!   the engine this build selected: `regex` with `--features regex`, as the hub runs it, else
//!   `regex-lite`, as the edge build runs it);
//! - **baseline**: the same steps (national parse in the context country, validity, E.164) on
//!   the `phonenumber` 0.3 crate the rule used before.
//!
//! The input is 200,000 numbers in the forms a dialer list carries (`07…` national, `+44…`,
//! `0044…`, spaced `+33 6 …`), with the UK as the context country; both must give the same
//! E.164 for every number, or the bench stops.
//!
//! `cargo bench -p smsgate-wire --features regex --bench number_rule` (the hub's engine) and
//! `cargo bench -p smsgate-wire --bench number_rule` (the edge's).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

fn numbers(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("07{:09}", 400_000_000 + i),
            1 => format!("+447{:09}", 400_000_000 + i),
            2 => format!("00447{:09}", 400_000_000 + i),
            _ => format!("+33 6 {:08}", 10_000_000 + i),
        })
        .collect()
}

fn baseline(raw: &str, gb: phonenumber::country::Id) -> Option<String> {
    let compact: String = raw.chars().filter(|c| *c != ' ').collect();
    let n = if let Some(rest) = compact.strip_prefix("00") {
        phonenumber::parse(None, format!("+{rest}"))
    } else if compact.starts_with('+') {
        phonenumber::parse(None, &compact)
    } else {
        phonenumber::parse(Some(gb), &compact)
    }
    .ok()?;
    n.is_valid()
        .then(|| n.format().mode(phonenumber::Mode::E164).to_string())
}

fn main() {
    let input = numbers(200_000);
    let gb_new = smsgate_wire::number::country("GB");
    let gb_old: phonenumber::country::Id = "GB".parse().unwrap();
    // Warm both (metadata loaded, patterns compiled).
    for n in input.iter().take(1_000) {
        let _ = smsgate_wire::number::recipient(n, gb_new);
        let _ = baseline(n, gb_old);
    }
    let time = |f: &dyn Fn(&str) -> Option<String>| {
        let start = Instant::now();
        let out: Vec<Option<String>> = input.iter().map(|n| f(n)).collect();
        (start.elapsed(), out)
    };
    let (rule_t, rule) = time(&|n| smsgate_wire::number::recipient(n, gb_new).ok());
    let (base_t, base) = time(&|n| baseline(n, gb_old));
    for (i, (a, b)) in rule.iter().zip(&base).enumerate() {
        assert_eq!(a, b, "{} reads differently", input[i]);
    }
    let per = |d: Duration| d.as_secs_f64() * 1e9 / input.len() as f64;
    let engine = if cfg!(feature = "regex") {
        "regex"
    } else {
        "regex-lite"
    };
    println!("| case ({} numbers) | total | per number |", input.len());
    println!("|---|---:|---:|");
    println!(
        "| rule: smsgate_wire::number on rlibphonenumber ({engine}) | {:.2} s | {:.0} ns |",
        rule_t.as_secs_f64(),
        per(rule_t)
    );
    println!(
        "| baseline: phonenumber 0.3, same steps | {:.2} s | {:.0} ns |",
        base_t.as_secs_f64(),
        per(base_t)
    );
    println!(
        "valid: {} of {}; same E.164 for every number",
        rule.iter().filter(|r| r.is_some()).count(),
        input.len()
    );
}
