//! The conversation transcript PDF, read back by independent programs (poppler's pdftotext,
//! Debian `poppler-utils`): a conversation long enough for several pages keeps every message in
//! order with numbered pages, and words longer than a line (URLs) are wrapped inside the page,
//! not cut off.
#![allow(clippy::unwrap_used)]

mod floor_support;

use chrono::Duration;
use floor_support::*;
use smsgate_cloud::hub::TransferTo;
use uuid::Uuid;

/// Runs pdftotext on the transcript of `id` with `args` and returns what it printed.
fn pdftotext(f: &Floor, id: Uuid, args: &[&str]) -> String {
    let pdf = f
        .hub
        .transcript_pdf(&f.manager, id, "Europe/Paris".parse().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let path = f.dir.path().join(format!("{id}.pdf"));
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(args)
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian poppler-utils; scripts/test-all installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_long_conversation_fills_several_numbered_pages_and_keeps_every_message_in_order() {
    let f = floor();
    let first = f.inbound("+33600000009", "message 000 : bonjour, ça coûte combien ?");
    f.hub
        .transfer(
            &f.admin,
            first.id,
            TransferTo::User(f.agent1.user_id().unwrap()),
        )
        .unwrap();
    let mut expected = vec!["message 000 : bonjour, ça coûte combien ?".to_owned()];
    for n in 1..=120 {
        f.clock.advance(Duration::minutes(1));
        let text = format!("message {n:03} : très élevé, déjà payé — merci à vous");
        if n % 2 == 0 {
            f.inbound("+33600000009", &text);
        } else {
            f.hub.reply(&f.agent1, first.id, &text).unwrap();
        }
        expected.push(text);
        if n % 40 == 0 {
            f.clock.advance(Duration::minutes(1));
            let note = format!("note {n:03} : client fidèle, à rappeler 👍");
            f.hub.add_note(&f.agent1, first.id, &note).unwrap();
            expected.push("INTERNAL NOTE by Alice Agent".to_owned());
            // DejaVu Sans has no emoji: it reads back as the replacement character.
            expected.push(note.replace('👍', "\u{fffd}"));
        }
    }

    let text = pdftotext(&f, first.id, &[]);
    // pdftotext ends every page with a form feed.
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 3, "{} pages:\n{text}", pages.len());
    for (n, page) in pages.iter().enumerate() {
        let mark = format!("Page {} of {}", n + 1, pages.len());
        assert!(
            page.contains(&mark),
            "{mark:?} not on page {}:\n{page}",
            n + 1
        );
    }
    assert!(text.contains("Tenant: Acme"));
    assert!(text.contains("Contact: +33600000009"));
    // Every message, note header and note, each found after the one before.
    let mut from = 0;
    for needle in &expected {
        let at = text[from..].find(needle.as_str()).unwrap_or_else(|| {
            panic!(
                "{needle:?} missing or out of order after byte {from}: {}",
                &text[from..from + 300]
            )
        });
        from += at + needle.len();
    }
    // The last message is on the last page, with its delivery state.
    let last = pages.last().unwrap();
    assert!(last.contains("message 120"), "{last}");
    assert!(text.contains("· queued") || text.contains("· accepted by the gateway"));
    assert!(text.contains("· received"));
}

/// One `<word>` of `pdftotext -bbox`: its right edge and its text.
fn words(bbox: &str) -> (f32, Vec<(f32, String)>) {
    let attr = |tag: &str, name: &str| -> f32 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end].parse().unwrap()
    };
    let page = &bbox[bbox.find("<page ").unwrap()..];
    let width = attr(&page[..page.find('>').unwrap()], "width");
    let mut out = Vec::new();
    for chunk in bbox.split("<word ").skip(1) {
        let tag_end = chunk.find('>').unwrap();
        let text_end = chunk.find("</word>").unwrap();
        out.push((
            attr(&chunk[..tag_end], "xMax"),
            chunk[tag_end + 1..text_end].to_owned(),
        ));
    }
    (width, out)
}

#[tokio::test]
async fn a_url_and_a_word_longer_than_a_line_are_wrapped_inside_the_page_not_cut_off() {
    let f = floor();
    let url = format!(
        "https://support.example.com/tickets/{}?ref=sms&lang=fr",
        (0..40)
            .map(|n| format!("seg{n:02}"))
            .collect::<Vec<_>>()
            .join("/")
    );
    let word = (0..60).map(|n| format!("{n:02}")).collect::<String>() + "FIN";
    let i = f.inbound("+33600000008", &format!("Voir {url} merci"));
    f.hub.add_note(&f.agent1, i.id, &word).unwrap();

    let text = pdftotext(&f, i.id, &[]);
    let joined: String = text.lines().map(str::trim).collect();
    assert!(joined.contains(&url), "the URL is not whole in:\n{text}");
    assert!(
        joined.contains(&word),
        "the long word is not whole in:\n{text}"
    );
    let url_lines = text
        .lines()
        .filter(|l| l.contains("seg") || l.contains("support.example"))
        .count();
    assert!(url_lines >= 2, "the URL was not wrapped:\n{text}");

    // Every word ends inside the page, right margin included (15 mm = 42.5 pt).
    let bbox = pdftotext(&f, i.id, &["-bbox"]);
    let (width, words) = words(&bbox);
    assert!(words.len() > 10, "{bbox}");
    for (x_max, w) in &words {
        assert!(
            *x_max <= width - 42.0,
            "{w:?} ends at {x_max} on a {width} pt page"
        );
    }
}
