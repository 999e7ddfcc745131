//! Shared helpers for the digester tests: owned items, an engine-like driver, and chunking checks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic
#![allow(dead_code)]

use smsgate_at::{Digested, Digester, FinalResult};

/// An owned copy of a [`Digested`] item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Echo(String),
    Info(String),
    Prompt,
    Final(FinalResult),
    Urc(String, Option<String>),
    Stray(String),
    Garbage(Vec<u8>),
}

pub fn text(bytes: &[u8]) -> String {
    smsgate_at::decode_line(bytes)
}

impl From<Digested<'_>> for Item {
    fn from(d: Digested<'_>) -> Self {
        match d {
            Digested::Echo(l) => Item::Echo(text(l)),
            Digested::Info(l) => Item::Info(text(l)),
            Digested::Prompt => Item::Prompt,
            Digested::Final(r) => Item::Final(r),
            Digested::Urc { header, data } => Item::Urc(text(header), data.map(text)),
            Digested::Stray(l) => Item::Stray(text(l)),
            Digested::Garbage(l) => Item::Garbage(l.to_vec()),
        }
    }
}

/// What is in flight when the bytes start arriving.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub command: Option<String>,
    pub expects: Vec<&'static str>,
    pub prompt: bool,
}

pub fn idle() -> Setup {
    Setup::default()
}

pub fn cmd(command: &str, expects: &[&'static str]) -> Setup {
    Setup {
        command: Some(command.to_string()),
        expects: expects.to_vec(),
        prompt: false,
    }
}

pub fn prompt_cmd(command: &str, expects: &[&'static str]) -> Setup {
    Setup {
        command: Some(command.to_string()),
        expects: expects.to_vec(),
        prompt: true,
    }
}

fn fresh(setup: &Setup) -> Digester {
    let mut d = Digester::new();
    if let Some(command) = &setup.command {
        d.begin(command.as_bytes(), &setup.expects, setup.prompt);
    }
    d
}

/// Feeds `chunks` in order, acting like the engine: a final result ends the command in flight.
pub fn run_chunks(setup: &Setup, chunks: &[&[u8]]) -> Vec<Item> {
    let mut d = fresh(setup);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input: &[u8] = chunk;
        // Progress: an item with nothing used may happen once in a row (a replayed line), never twice.
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
            assert!(idle_items <= 1, "feed made no progress twice in a row");
            let item = Item::from(item);
            if matches!(item, Item::Final(_)) {
                d.end();
            }
            out.push(item);
        }
    }
    out
}

/// Simple deterministic PRNG (xorshift) for random splits.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Digests `bytes` whole, one byte at a time, split in two at every position and in random splits; all must
/// agree. Returns the items.
pub fn digest_every_way(setup: &Setup, bytes: &[u8]) -> Vec<Item> {
    let whole = run_chunks(setup, &[bytes]);
    let single: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(run_chunks(setup, &single), whole, "byte-at-a-time differs");
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(run_chunks(setup, &[a, b]), whole, "split at {cut} differs");
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ bytes.len() as u64);
    for _ in 0..20 {
        let mut chunks = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = (rng.next() as usize % 7 + 1).min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(run_chunks(setup, &chunks), whole, "random split differs");
    }
    whole
}

pub fn echo(s: &str) -> Item {
    Item::Echo(s.to_string())
}
pub fn info(s: &str) -> Item {
    Item::Info(s.to_string())
}
pub fn urc(s: &str) -> Item {
    Item::Urc(s.to_string(), None)
}
pub fn urc2(s: &str, data: &str) -> Item {
    Item::Urc(s.to_string(), Some(data.to_string()))
}
pub fn ok() -> Item {
    Item::Final(FinalResult::Ok)
}

pub mod fake_modem;
