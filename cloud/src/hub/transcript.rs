//! A conversation's transcript as PDF (krilla): the tenant, the channel, the contact, every
//! message with its time and delivery state, and the internal notes marked as such, in time
//! order, on as many A4 pages as it takes, each numbered "Page N of M". Times are written in the
//! zone the caller asks for. Each download is recorded in the audit log.
//!
//! krilla draws glyphs; the layout is ours: each character is mapped to the TrueType font's glyph
//! and advance width (skrifa), lines are filled word by word, and a word wider than the line (a
//! long URL) is broken between characters rather than cut off. A character the font lacks (an
//! emoji) is written as U+FFFD, so the reader sees and a text extractor reads that something was
//! there.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::Hub;
use super::error::{HubError, found};
use crate::authz::{self, Action, Actor};
use crate::model::*;

fn state_word(m: &Message) -> &'static str {
    match m.state {
        MessageState::Received => "received",
        MessageState::Queued => "queued",
        MessageState::Accepted => "accepted by the gateway",
        MessageState::Sent => "sent",
        MessageState::Delivered => "delivered",
        MessageState::Failed => "failed",
        MessageState::Expired => "expired",
        MessageState::Cancelled => "cancelled",
        MessageState::Unknown => "outcome unknown",
    }
}

enum Item<'a> {
    Message(&'a Message),
    Note(&'a crate::floor::records::Note),
}

impl Hub {
    /// The transcript of a conversation the caller sees, as PDF bytes.
    pub fn transcript_pdf(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        tz: Tz,
    ) -> Result<Vec<u8>, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        let mut tx = self.read()?;
        let i = found(tx.interaction(&scope, id)?)?;
        let org = found(tx.org(&scope, i.org_id)?)?;
        let channel = tx.channel(&scope, i.channel_id)?;
        let contact = tx.contact_by_number(&scope, org.id, &i.contact_number)?;
        let messages = tx
            .messages_of(&scope, id, &crate::store::PageRequest::all())?
            .items;
        let notes = tx.floor().notes(&scope, id)?;
        let users: std::collections::HashMap<uuid::Uuid, String> = tx
            .users(
                &scope,
                &crate::store::UserFilter {
                    org: Some(org.id),
                    ..Default::default()
                },
                &crate::store::PageRequest::all(),
            )
            .map(|p| p.items.into_iter().map(|u| (u.id, u.name)).collect())
            .unwrap_or_default();
        drop(tx);
        let font_path = &self.settings().transcript_font;
        let bytes = std::fs::read(font_path).map_err(|e| {
            HubError::Conflict(format!(
                "transcripts.font: cannot read {}: {e} (install fonts-dejavu-core or set transcripts.font in hub.toml)",
                font_path.display()
            ))
        })?;
        let face = Face::new(&bytes).ok_or_else(|| {
            HubError::Conflict(format!(
                "transcripts.font: {} is not a TrueType font",
                font_path.display()
            ))
        })?;
        let when = |t: DateTime<Utc>| {
            t.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        };
        let mut doc = Layout::new(&face);
        doc.paragraph("Conversation transcript", TITLE);
        doc.gap(6.0);
        let who = match &contact {
            Some(c) if !c.name.is_empty() => format!("{} ({})", c.name, i.contact_number),
            _ => i.contact_number.clone(),
        };
        for (k, v) in [
            ("Tenant", org.name.clone()),
            (
                "Channel",
                channel
                    .map(|c| c.sim_number)
                    .unwrap_or_else(|| i.channel_id.to_string()),
            ),
            ("Contact", who),
            ("Status", i.status.as_str().to_owned()),
            ("Started", when(i.created_at)),
            ("Conversation", i.id.to_string()),
        ] {
            doc.paragraph(&format!("{k}: {v}"), BODY);
        }
        doc.gap(12.0);
        let mut items: Vec<(DateTime<Utc>, Item<'_>)> = messages
            .iter()
            .map(|m| (m.created_at, Item::Message(m)))
            .chain(notes.iter().map(|n| (n.created_at, Item::Note(n))))
            .collect();
        items.sort_by_key(|(t, _)| *t);
        for (at, item) in items {
            match item {
                Item::Message(m) => {
                    let from = match m.direction {
                        MessageDirection::Inbound => format!("From {}", m.from),
                        MessageDirection::Outbound => format!(
                            "To {}{}",
                            m.to,
                            m.author_id
                                .and_then(|a| users.get(&a))
                                .map(|n| format!(" — by {n}"))
                                .unwrap_or_default()
                        ),
                    };
                    let err = m
                        .error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default();
                    doc.paragraph(
                        &format!("{} · {from} · {}{err}", when(at), state_word(m)),
                        META,
                    );
                    doc.paragraph(&m.text, BODY);
                }
                Item::Note(n) => {
                    doc.paragraph(
                        &format!(
                            "{} · INTERNAL NOTE by {} (never sent to the customer)",
                            when(at),
                            n.author_name
                        ),
                        NOTE_HEAD,
                    );
                    doc.paragraph(&n.text, NOTE);
                }
            }
            doc.gap(7.0);
        }
        let out = doc.render(&bytes, format!("Transcript {}", i.contact_number))?;
        // A conversation leaving as a file is recorded, once it is made.
        self.audit_now(
            actor,
            super::audit::Audit::new(org.id, "exported", "transcript")
                .id(id)
                .detail(format!("transcript of {} (PDF)", i.contact_number)),
        )?;
        Ok(out)
    }
}

/// A4 in points, with 15 mm margins and room for the page number at the foot.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 42.5;
const FOOTER: f32 = 18.0;

/// How a line is drawn: font size, colour, and indent from the left margin.
#[derive(Clone, Copy)]
struct Look {
    size: f32,
    rgb: (u8, u8, u8),
    indent: f32,
}

const TITLE: Look = Look {
    size: 16.0,
    rgb: (0, 0, 0),
    indent: 0.0,
};
const BODY: Look = Look {
    size: 10.0,
    rgb: (0, 0, 0),
    indent: 0.0,
};
const META: Look = Look {
    size: 8.0,
    rgb: (90, 90, 90),
    indent: 0.0,
};
const NOTE_HEAD: Look = Look {
    size: 8.0,
    rgb: (160, 90, 0),
    indent: 0.0,
};
const NOTE: Look = Look {
    size: 10.0,
    rgb: (110, 65, 0),
    indent: 12.0,
};

/// The font's character map and advance widths, in ems.
struct Face<'a> {
    font: FontRef<'a>,
    metrics: GlyphMetrics<'a>,
    upem: f32,
}

impl<'a> Face<'a> {
    fn new(bytes: &'a [u8]) -> Option<Self> {
        let font = FontRef::from_index(bytes, 0).ok()?;
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        (upem > 0.0).then_some(Self {
            font,
            metrics,
            upem,
        })
    }

    /// The glyph for `c` (0, the missing glyph, when the font has none) and its advance in ems.
    fn glyph(&self, c: char) -> (u32, f32) {
        let id = self.font.charmap().map(c).unwrap_or_default();
        let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.upem;
        (id.to_u32(), advance)
    }

    /// `text` with each character the font lacks (an emoji, with DejaVu Sans) replaced by
    /// U+FFFD: a PDF maps the font's missing glyph to no text, so it would read back as nothing.
    fn drawable(&self, text: &str) -> String {
        let charmap = self.font.charmap();
        text.chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() || charmap.map(c).is_some() {
                    c
                } else {
                    '\u{fffd}'
                }
            })
            .collect()
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// Splits `text` into lines no wider than `width` points: hard line breaks are kept, words are
/// packed greedily, and a word wider than a whole line is broken between characters.
fn wrap(face: &Face<'_>, text: &str, size: f32, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut out = Vec::new();
    for hard in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for word in hard.split_whitespace() {
            let ww = face.width(word, size);
            if !line.is_empty() && w + space + ww <= width {
                line.push(' ');
                line.push_str(word);
                w += space + ww;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                w = 0.0;
            }
            if ww <= width {
                line.push_str(word);
                w = ww;
                continue;
            }
            for c in word.chars() {
                let cw = face.glyph(c).1 * size;
                if !line.is_empty() && w + cw > width {
                    out.push(std::mem::take(&mut line));
                    w = 0.0;
                }
                line.push(c);
                w += cw;
            }
        }
        out.push(line);
    }
    out
}

struct Line {
    baseline: f32,
    look: Look,
    text: String,
}

/// Lines placed on pages, top to bottom; rendered once all are placed, so each page can say
/// how many there are.
struct Layout<'f, 'a> {
    face: &'f Face<'a>,
    pages: Vec<Vec<Line>>,
    y: f32,
}

impl<'f, 'a> Layout<'f, 'a> {
    fn new(face: &'f Face<'a>) -> Self {
        Self {
            face,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn paragraph(&mut self, text: &str, look: Look) {
        let width = PAGE_W - 2.0 * MARGIN - look.indent;
        let text = self.face.drawable(text);
        for text in wrap(self.face, &text, look.size, width) {
            let height = look.size * 1.3;
            if self.y + height > PAGE_H - MARGIN - FOOTER {
                self.pages.push(Vec::new());
                self.y = MARGIN;
            }
            if let Some(page) = self.pages.last_mut() {
                page.push(Line {
                    baseline: self.y + look.size,
                    look,
                    text,
                });
            }
            self.y += height;
        }
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }

    fn render(self, font_bytes: &[u8], title: String) -> Result<Vec<u8>, HubError> {
        let font = Font::new(font_bytes.to_vec().into(), 0)
            .ok_or_else(|| HubError::Conflict("transcripts.font: not a usable font".into()))?;
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| HubError::Conflict("transcript page size".into()))?;
        let mut doc = krilla::Document::new();
        doc.set_metadata(Metadata::new().title(title).creator("smsgate".into()));
        let count = self.pages.len();
        for (n, lines) in self.pages.iter().enumerate() {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            let mut draw = |x: f32, line: &Line| {
                let glyphs: Vec<KrillaGlyph> = line
                    .text
                    .char_indices()
                    .filter(|(_, c)| !c.is_control())
                    .map(|(at, c)| {
                        let (id, advance) = self.face.glyph(c);
                        KrillaGlyph::new(
                            GlyphId::new(id),
                            advance,
                            0.0,
                            0.0,
                            0.0,
                            at..at + c.len_utf8(),
                            None,
                        )
                    })
                    .collect();
                if glyphs.is_empty() {
                    return;
                }
                let (r, g, b) = line.look.rgb;
                surface.set_fill(Some(Fill {
                    paint: rgb::Color::new(r, g, b).into(),
                    ..Fill::default()
                }));
                surface.draw_glyphs(
                    Point::from_xy(x, line.baseline),
                    &glyphs,
                    font.clone(),
                    &line.text,
                    line.look.size,
                    false,
                );
            };
            for line in lines {
                draw(MARGIN + line.look.indent, line);
            }
            let foot = Line {
                baseline: PAGE_H - MARGIN,
                look: META,
                text: format!("Page {} of {count}", n + 1),
            };
            let x = PAGE_W - MARGIN - self.face.width(&foot.text, META.size);
            draw(x, &foot);
            surface.finish();
            page.finish();
        }
        doc.finish()
            .map_err(|e| HubError::Conflict(format!("rendering the PDF: {e:?}")))
    }
}
