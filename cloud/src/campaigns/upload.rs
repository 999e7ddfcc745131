//! Adding recipients: an uploaded file (CSV or XLSX, already on disk: the API streams the
//! request body to a temporary file, so nothing holds the whole file in memory) or a contact
//! list. Rows are read one at a time, classified, and stored in chunks of [`CHUNK`] rows,
//! each its own short write transaction (the hub keeps serving while a million rows go in),
//! by the upload's writer thread while the next chunk is read and classified (at most two
//! chunks wait between them).
//!
//! **An upload is applied whole or not at all.** While it is stored the campaign carries its
//! id (`importing`) and cannot start; a bad row (a placeholder without a value, a line the CSV
//! reader refuses) stops the storing, the rows of that upload are deleted and every bad line
//! is reported (up to [`super::import::MAX_PROBLEMS`]); an upload interrupted by a crash is
//! removed when the hub starts ([`Hub::recover_campaign_imports`]).

use std::collections::HashSet;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::import::{Classified, Classifier, Format, MAX_PROBLEMS, SourceRow, read_csv, read_xlsx};
use super::machine::{self, Command};
use super::model::*;
use super::template;
use crate::authz::{self, Action, Actor, Scope};
use crate::hub::Hub;
use crate::hub::audit::{self, Audit};
use crate::hub::error::{HubError, LineProblem, found, invalid};
use crate::phone;
use crate::store::{ContactFilter, PageRequest};

/// Rows per write transaction.
pub const CHUNK: usize = 5_000;

/// What the upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

/// How to read an upload.
#[derive(Debug, Clone)]
pub struct UploadSpec {
    pub kind: FileKind,
    pub format: Format,
    /// The column holding the numbers (mapped files; default `number`).
    pub number_column: String,
}

/// What an upload added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UploadReport {
    /// Rows read.
    pub rows: u64,
    /// Of them, per state.
    pub counters: CampaignCounters,
    /// The columns the rows carry (placeholders the text may use).
    pub columns: Vec<String>,
}

/// A rendered row, for the preview.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviewRow {
    pub line: i64,
    pub number: String,
    pub state: RecipientState,
    pub reason: Option<String>,
    /// The text this recipient gets.
    pub text: String,
}

/// What the reading side of an upload keeps: rows are read and classified on the calling
/// thread (number normalisation is the costly part) while the previous chunk is stored by the
/// upload's writer thread ([`Hub::storing`]), so the two overlap.
struct Storing {
    classifier: Classifier,
    next_seq: i64,
    chunk: Vec<Classified>,
    report: UploadReport,
    problems: Vec<LineProblem>,
    /// Chunks to store, with the `seq` of their first row; `None` once closed.
    to_writer: Option<SyncSender<(i64, Vec<Classified>)>>,
    /// The writer stopped (its store failed): stop reading.
    writer_gone: bool,
}

impl Storing {
    fn take(&mut self, row: Result<SourceRow, LineProblem>) -> bool {
        let row = row.and_then(|r| self.classifier.classify(r));
        match row {
            Err(p) => {
                if self.problems.len() < MAX_PROBLEMS {
                    self.problems.push(p);
                }
                self.chunk.clear();
            }
            Ok(c) => {
                self.report.rows += 1;
                self.report.counters.add(c.state, 1);
                if self.problems.is_empty() {
                    self.chunk.push(c);
                    if self.chunk.len() >= CHUNK {
                        return self.flush();
                    }
                }
            }
        }
        true
    }

    /// Hands the chunk to the writer; `false` (stop reading) when the writer stopped.
    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() || !self.problems.is_empty() || self.writer_gone {
            return !self.writer_gone;
        }
        let rows = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        let first = self.next_seq;
        self.next_seq += rows.len() as i64;
        let sent = self
            .to_writer
            .as_ref()
            .is_some_and(|tx| tx.send((first, rows)).is_ok());
        if !sent {
            self.writer_gone = true;
        }
        sent
    }
}

impl Hub {
    /// Prepares a classifier for campaign `c` (its tenant's opt-outs and do-not-contact list,
    /// the numbers already in it), and marks the upload as in progress.
    fn begin_upload(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(Campaign, Scope, Classifier, i64, Uuid), HubError> {
        let mut tx = self.write()?;
        let (mut c, org, scope) =
            self.campaign_scoped(&mut *tx, actor, Action::ManageCampaign, id)?;
        let facts = self.campaign_facts(&mut *tx, &scope, &c)?;
        machine::apply(c.state, Command::AddRecipients, facts)
            .map_err(|e| HubError::Conflict(e.0))?;
        let first = match c.channels.first() {
            Some(ch) => tx.channel(&scope, *ch)?,
            None => None,
        };
        let context = phone::context_country(
            first.as_ref().and_then(|c| c.country.as_deref()),
            first.as_ref().map(|c| c.sim_number.as_str()),
            org.country.as_deref(),
        );
        let store = tx.campaigns();
        let seen = if c.options.skip_already_messaged {
            store.campaign_numbers(&scope, c.id)?
        } else {
            HashSet::new()
        };
        let opt_outs = store.opt_out_numbers(&scope, org.id)?;
        let dnc = store.dnc_numbers(&scope, org.id)?;
        let next_seq = store.max_seq(&scope, c.id)? + 1;
        let import = Uuid::now_v7();
        c.importing = Some(import);
        tx.campaigns_mut().update_campaign(&scope, &c)?;
        tx.commit()?;
        let classifier = Classifier {
            context,
            options: c.options.clone(),
            template: c.template.clone(),
            seen,
            opt_outs,
            dnc,
        };
        Ok((c, scope, classifier, next_seq, import))
    }

    /// Runs `read` with a [`Storing`] whose chunks are stored, in order, by a writer thread
    /// (each chunk its own write transaction); returns the reading side and the writer's
    /// outcome once every chunk handed over is stored (or the first store error).
    fn storing<R>(
        &self,
        scope: &Scope,
        campaign: Uuid,
        import: Uuid,
        classifier: Classifier,
        next_seq: i64,
        read: impl FnOnce(&mut Storing) -> R,
    ) -> (R, Storing, Result<(), HubError>) {
        // Two chunks queued at most: memory stays at a few chunks whatever the file's size.
        let (tx, rx) = sync_channel(2);
        let mut st = Storing {
            classifier,
            next_seq,
            chunk: Vec::with_capacity(CHUNK),
            report: UploadReport::default(),
            problems: Vec::new(),
            to_writer: Some(tx),
            writer_gone: false,
        };
        std::thread::scope(|s| {
            let writer = s.spawn(|| self.store_chunks(scope, campaign, import, rx));
            let out = read(&mut st);
            st.to_writer = None;
            let stored = match writer.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (out, st, stored)
        })
    }

    /// The writer thread of [`Hub::storing`]: stores chunks until the reading side closes.
    fn store_chunks(
        &self,
        scope: &Scope,
        campaign: Uuid,
        import: Uuid,
        rx: Receiver<(i64, Vec<Classified>)>,
    ) -> Result<(), HubError> {
        for (first, rows) in rx {
            let mut tx = self.write()?;
            tx.campaigns_mut().insert_recipients(
                scope,
                campaign,
                import,
                first,
                &rows,
                self.now(),
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Ends an upload: keeps it (`Ok`) or deletes its rows; clears the mark either way.
    fn end_upload(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: Uuid,
        import: Uuid,
        keep: Option<&[String]>,
    ) -> Result<(), HubError> {
        if keep.is_none() {
            self.delete_upload_rows(scope, id, import)?;
        }
        let mut tx = self.write()?;
        let mut c = found(tx.campaigns().campaign(scope, id)?)?;
        c.importing = None;
        if let Some(cols) = keep {
            for col in cols {
                if !c.columns.contains(col) {
                    c.columns.push(col.clone());
                }
            }
            audit::record(
                &mut *tx,
                actor,
                Audit::new(c.org_id, "imported", "campaign").id(c.id),
                self.now(),
            )?;
        }
        c.updated_at = self.now();
        tx.campaigns_mut().update_campaign(scope, &c)?;
        tx.commit()?;
        Ok(())
    }

    fn delete_upload_rows(&self, scope: &Scope, id: Uuid, import: Uuid) -> Result<(), HubError> {
        loop {
            let mut tx = self.write()?;
            let n = tx
                .campaigns_mut()
                .delete_import(scope, id, import, 20_000)?;
            tx.commit()?;
            if n < 20_000 {
                return Ok(());
            }
        }
    }

    /// Adds the recipients of a file on disk (see the module rule).
    pub fn import_campaign_file(
        &self,
        actor: &Actor,
        id: Uuid,
        path: &Path,
        spec: &UploadSpec,
    ) -> Result<UploadReport, HubError> {
        let (_, scope, classifier, next_seq, import) = self.begin_upload(actor, id)?;
        let (outcome, mut st, stored) =
            self.storing(&scope, id, import, classifier, next_seq, |st| {
                let read = (|| -> Result<Vec<String>, LineProblem> {
                    let mut sink = |row: Result<SourceRow, LineProblem>| st.take(row);
                    match spec.kind {
                        FileKind::Csv => {
                            let f =
                                std::fs::File::open(path).map_err(|e| problem0(e.to_string()))?;
                            read_csv(f, spec.format, &spec.number_column, &mut sink)
                        }
                        FileKind::Xlsx => read_xlsx(path, &spec.number_column, &mut sink),
                    }
                })();
                // The header decides the columns; the template is checked against them.
                let outcome = read.and_then(|cols| {
                    st.classifier.check_columns(&cols)?;
                    Ok(cols)
                });
                if outcome.is_ok() && st.problems.is_empty() {
                    st.flush();
                }
                outcome
            });
        let mut outcome = outcome;
        if let Err(e) = stored {
            let _ = self.end_upload(actor, &scope, id, import, None);
            return Err(e);
        }
        if outcome.is_ok() && !st.problems.is_empty() {
            outcome = Err(st.problems[0].clone());
        }
        match outcome {
            Ok(cols) => {
                self.end_upload(actor, &scope, id, import, Some(&cols))?;
                st.report.columns = cols;
                Ok(st.report)
            }
            Err(first) => {
                self.end_upload(actor, &scope, id, import, None)?;
                let mut problems = std::mem::take(&mut st.problems);
                if problems.is_empty() || problems[0] != first {
                    problems.insert(0, first);
                }
                Err(HubError::InvalidFile {
                    field: "file".into(),
                    problems,
                })
            }
        }
    }

    /// Adds the members of a contact list (columns `number`, `name`, `business`, `email`,
    /// `notes`; the row number is the member's position).
    pub fn import_campaign_list(
        &self,
        actor: &Actor,
        id: Uuid,
        list_id: Uuid,
    ) -> Result<UploadReport, HubError> {
        {
            let view = authz::scope(actor, Action::ViewContact)?;
            let mut tx = self.read()?;
            found(tx.contact_list(&view, list_id)?)
                .map_err(|_| invalid("list_id", "no such contact list"))?;
        }
        let (c, scope, classifier, next_seq, import) = self.begin_upload(actor, id)?;
        let cols: Vec<String> = ["number", "name", "business", "email", "notes"]
            .map(String::from)
            .into();
        let (res, mut st, stored) = self.storing(&scope, id, import, classifier, next_seq, |st| {
            self.read_list(st, &scope, c.org_id, list_id, &cols)
        });
        let mut res = res;
        if let Err(e) = stored {
            res = Err(e);
        }
        if res.is_ok() && !st.problems.is_empty() {
            res = Err(HubError::InvalidFile {
                field: "list_id".into(),
                problems: std::mem::take(&mut st.problems),
            });
        }
        match res {
            Ok(()) => {
                self.end_upload(actor, &scope, id, import, Some(&cols))?;
                st.report.columns = cols;
                Ok(st.report)
            }
            Err(e) => {
                let _ = self.end_upload(actor, &scope, id, import, None);
                Err(e)
            }
        }
    }

    /// The reading side of [`Hub::import_campaign_list`]: the list's members, page by page.
    fn read_list(
        &self,
        st: &mut Storing,
        scope: &Scope,
        org: Uuid,
        list_id: Uuid,
        cols: &[String],
    ) -> Result<(), HubError> {
        let mut res = st
            .classifier
            .check_columns(cols)
            .map_err(|p| HubError::InvalidFile {
                field: "list_id".into(),
                problems: vec![p],
            });
        let mut page = PageRequest::all();
        let mut line = 0i64;
        while res.is_ok() {
            let filter = ContactFilter {
                org: Some(org),
                list: Some(list_id),
                q: None,
            };
            let got = self
                .read()
                .and_then(|mut tx| Ok(tx.contacts(scope, &filter, &page)?));
            let got = match got {
                Ok(g) => g,
                Err(e) => {
                    res = Err(e);
                    break;
                }
            };
            for ct in got.items {
                line += 1;
                let vars = [
                    ("number", ct.number.clone()),
                    ("name", ct.name),
                    ("business", ct.business),
                    ("email", ct.email),
                    ("notes", ct.notes),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                if !st.take(Ok(SourceRow {
                    line,
                    number: ct.number,
                    text: None,
                    priority: 0,
                    vars,
                })) {
                    break;
                }
            }
            match got.next {
                Some(n) if !st.writer_gone => page.after = Some(n),
                _ => break,
            }
        }
        if res.is_ok() && st.problems.is_empty() {
            st.flush();
        }
        res
    }

    /// The first rows as their recipients will get them.
    pub fn campaign_preview(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: usize,
    ) -> Result<Vec<PreviewRow>, HubError> {
        let mut tx = self.read()?;
        let (c, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ViewCampaign, id)?;
        let rows = tx
            .campaigns()
            .recipients(&scope, id, None, 0, limit.clamp(1, 100))?;
        Ok(rows
            .into_iter()
            .map(|r| PreviewRow {
                text: r
                    .text
                    .clone()
                    .unwrap_or_else(|| template::render(&c.template, &r.vars).unwrap_or_default()),
                line: r.line,
                number: r.number,
                state: r.state,
                reason: r.reason,
            })
            .collect())
    }

    /// Removes what uploads interrupted by a crash left (called once at start).
    pub fn recover_campaign_imports(&self) -> Result<usize, HubError> {
        let all = authz::authenticating();
        let interrupted: Vec<Campaign> = {
            let mut tx = self.read()?;
            let states = [
                CampaignState::Draft,
                CampaignState::Scheduled,
                CampaignState::Paused,
            ];
            tx.campaigns()
                .campaigns_in(&all, &states)?
                .into_iter()
                .filter(|c| c.importing.is_some())
                .collect()
        };
        for c in &interrupted {
            if let Some(import) = c.importing {
                self.delete_upload_rows(&all, c.id, import)?;
                let mut tx = self.write()?;
                if let Some(mut now) = tx.campaigns().campaign(&all, c.id)? {
                    now.importing = None;
                    tx.campaigns_mut().update_campaign(&all, &now)?;
                }
                tx.commit()?;
            }
        }
        Ok(interrupted.len())
    }
}

fn problem0(message: String) -> LineProblem {
    LineProblem {
        line: 0,
        field: "file".into(),
        message,
    }
}
