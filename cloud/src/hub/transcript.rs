//! A conversation's transcript as PDF (genpdf, over printpdf): the tenant, the channel, the
//! contact, every message with its time and delivery state, and the internal notes marked as
//! such, in time order. Times are written in the zone the caller asks for. Each download is
//! recorded in the audit log.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use genpdf::elements::{Break, Paragraph};
use genpdf::fonts::{FontData, FontFamily};
use genpdf::style::{Color, Style};
use genpdf::{Alignment, Element};

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
        let font = |b: Vec<u8>| {
            FontData::new(b, None).map_err(|e| HubError::Conflict(format!("transcripts.font: {e}")))
        };
        let family = FontFamily {
            regular: font(bytes.clone())?,
            bold: font(bytes.clone())?,
            italic: font(bytes.clone())?,
            bold_italic: font(bytes)?,
        };
        let when = |t: DateTime<Utc>| {
            t.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        };
        let mut doc = genpdf::Document::new(family);
        doc.set_title(format!("Transcript {}", i.contact_number));
        let mut deco = genpdf::SimplePageDecorator::new();
        deco.set_margins(15);
        doc.set_page_decorator(deco);
        doc.set_font_size(10);
        doc.push(
            Paragraph::new("Conversation transcript")
                .styled(Style::new().bold().with_font_size(16)),
        );
        doc.push(Break::new(0.5));
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
            doc.push(Paragraph::new(format!("{k}: {v}")));
        }
        doc.push(Break::new(1.0));
        let mut items: Vec<(DateTime<Utc>, Item<'_>)> = messages
            .iter()
            .map(|m| (m.created_at, Item::Message(m)))
            .chain(notes.iter().map(|n| (n.created_at, Item::Note(n))))
            .collect();
        items.sort_by_key(|(t, _)| *t);
        for (at, item) in items {
            match item {
                Item::Message(m) => {
                    let (from, align) = match m.direction {
                        MessageDirection::Inbound => (format!("From {}", m.from), Alignment::Left),
                        MessageDirection::Outbound => (
                            format!(
                                "To {}{}",
                                m.to,
                                m.author_id
                                    .and_then(|a| users.get(&a))
                                    .map(|n| format!(" — by {n}"))
                                    .unwrap_or_default()
                            ),
                            Alignment::Left,
                        ),
                    };
                    let err = m
                        .error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default();
                    doc.push(
                        Paragraph::new(format!("{} · {from} · {}{err}", when(at), state_word(m)))
                            .aligned(align)
                            .styled(
                                Style::new()
                                    .with_color(Color::Rgb(90, 90, 90))
                                    .with_font_size(8),
                            ),
                    );
                    doc.push(Paragraph::new(m.text.clone()));
                }
                Item::Note(n) => {
                    doc.push(
                        Paragraph::new(format!(
                            "{} · INTERNAL NOTE by {} (never sent to the customer)",
                            when(at),
                            n.author_name
                        ))
                        .styled(
                            Style::new()
                                .bold()
                                .with_color(Color::Rgb(160, 90, 0))
                                .with_font_size(8),
                        ),
                    );
                    doc.push(Paragraph::new(n.text.clone()).styled(Style::new().italic()));
                }
            }
            doc.push(Break::new(0.6));
        }
        let mut out = Vec::new();
        doc.render(&mut out)
            .map_err(|e| HubError::Conflict(format!("rendering the PDF: {e}")))?;
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
