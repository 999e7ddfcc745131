//! The campaign state machine (pure): what a person's command or the scheduler's observation
//! does to a campaign's state, or why it is refused.
//!
//! ```text
//!  draft ──start──► scheduled ──window opens──► running ──all processed / end date──► completed
//!    │                 │  ▲                        │ ▲
//!    │                 │  └──── resume (closed) ───┤ │ resume (open)
//!    │                 └──pause──► paused ◄─pause──┘ │
//!    │                               └───────────────┘
//!    └── (start refused without recipients)      stop: scheduled | running | paused → stopped
//! ```
//!
//! Editing text or schedule is allowed in `draft` and `paused`; adding recipients in `draft`,
//! `scheduled` and `paused`; deleting what is not yet processed in every state but `running`
//! (pause first, so no batch is being cut from the rows being deleted); deleting the campaign
//! in `draft`, `completed` and `stopped`.

use super::model::CampaignState::{self, *};

/// What happens to a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Pause,
    Resume,
    Stop,
    /// The scheduler saw the schedule open (`true`) or closed.
    Window(bool),
    /// The scheduler saw nothing left to process, or the end date pass.
    Finished,
    Edit,
    AddRecipients,
    DeleteUnprocessed,
    Delete,
}

/// Facts the rule needs besides the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// Recipients waiting to be processed.
    pub to_process: u64,
    /// An upload is being stored.
    pub importing: bool,
    /// The schedule is open now.
    pub open: bool,
}

/// Why a command was refused (a sentence for the person).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refuse(state: CampaignState, what: &str) -> Refused {
    Refused(format!("a {} campaign cannot {what}", state.as_str()))
}

/// The state after `cmd`, or why not. Commands that change rows but not the state
/// (`Edit`, `AddRecipients`, `DeleteUnprocessed`, `Delete`) answer the same state when
/// allowed.
pub fn apply(state: CampaignState, cmd: Command, facts: Facts) -> Result<CampaignState, Refused> {
    use Command::*;
    match (state, cmd) {
        (_, Start | Resume | AddRecipients) if facts.importing => Err(Refused(
            "an upload is still being stored; wait until it ends".into(),
        )),
        (Draft, Start) if facts.to_process == 0 => Err(Refused(
            "the campaign has no recipient to process: add recipients first".into(),
        )),
        (Draft, Start) => Ok(if facts.open { Running } else { Scheduled }),
        (_, Start) => Err(refuse(state, "be started (only a draft can)")),
        (Scheduled | Running, Pause) => Ok(Paused),
        (_, Pause) => Err(refuse(state, "be paused")),
        (Paused, Resume) => Ok(if facts.open { Running } else { Scheduled }),
        (_, Resume) => Err(refuse(state, "be resumed (only a paused one can)")),
        (Scheduled | Running | Paused, Stop) => Ok(Stopped),
        (_, Stop) => Err(refuse(state, "be stopped")),
        (Scheduled, Window(true)) => Ok(Running),
        (Running, Window(false)) => Ok(Scheduled),
        (s, Window(_)) => Ok(s),
        (Running | Scheduled, Finished) => Ok(Completed),
        (s, Finished) => Ok(s),
        (Draft | Paused, Edit) => Ok(state),
        (_, Edit) => Err(refuse(state, "be edited (pause it first)")),
        (Draft | Scheduled | Paused, AddRecipients) => Ok(state),
        (_, AddRecipients) => Err(refuse(state, "take more recipients")),
        (Running, DeleteUnprocessed) => Err(refuse(
            state,
            "have its unprocessed recipients deleted (pause it first)",
        )),
        (_, DeleteUnprocessed) => Ok(state),
        (Draft | Completed | Stopped, Delete) => Ok(state),
        (_, Delete) => Err(refuse(state, "be deleted (stop it first)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [CampaignState; 6] = [Draft, Scheduled, Running, Paused, Completed, Stopped];

    fn facts(open: bool) -> Facts {
        Facts {
            to_process: 10,
            importing: false,
            open,
        }
    }

    #[test]
    fn every_state_and_command_gives_the_documented_answer() {
        use Command::*;
        // (command, open, [answer per state in STATES order]); None = refused.
        let table: [(Command, bool, [Option<CampaignState>; 6]); 14] = [
            (Start, true, [Some(Running), None, None, None, None, None]),
            (
                Start,
                false,
                [Some(Scheduled), None, None, None, None, None],
            ),
            (
                Pause,
                true,
                [None, Some(Paused), Some(Paused), None, None, None],
            ),
            (Resume, true, [None, None, None, Some(Running), None, None]),
            (
                Resume,
                false,
                [None, None, None, Some(Scheduled), None, None],
            ),
            (
                Stop,
                true,
                [
                    None,
                    Some(Stopped),
                    Some(Stopped),
                    Some(Stopped),
                    None,
                    None,
                ],
            ),
            (
                Window(true),
                true,
                [
                    Some(Draft),
                    Some(Running),
                    Some(Running),
                    Some(Paused),
                    Some(Completed),
                    Some(Stopped),
                ],
            ),
            (
                Window(false),
                false,
                [
                    Some(Draft),
                    Some(Scheduled),
                    Some(Scheduled),
                    Some(Paused),
                    Some(Completed),
                    Some(Stopped),
                ],
            ),
            (
                Finished,
                true,
                [
                    Some(Draft),
                    Some(Completed),
                    Some(Completed),
                    Some(Paused),
                    Some(Completed),
                    Some(Stopped),
                ],
            ),
            (
                Edit,
                true,
                [Some(Draft), None, None, Some(Paused), None, None],
            ),
            (
                AddRecipients,
                true,
                [Some(Draft), Some(Scheduled), None, Some(Paused), None, None],
            ),
            (
                DeleteUnprocessed,
                true,
                [
                    Some(Draft),
                    Some(Scheduled),
                    None,
                    Some(Paused),
                    Some(Completed),
                    Some(Stopped),
                ],
            ),
            (
                Delete,
                true,
                [
                    Some(Draft),
                    None,
                    None,
                    None,
                    Some(Completed),
                    Some(Stopped),
                ],
            ),
            (
                Pause,
                false,
                [None, Some(Paused), Some(Paused), None, None, None],
            ),
        ];
        for (cmd, open, answers) in table {
            for (state, want) in STATES.into_iter().zip(answers) {
                let got = apply(state, cmd, facts(open)).ok();
                assert_eq!(got, want, "{state:?} + {cmd:?} (open: {open})");
            }
        }
    }

    #[test]
    fn a_campaign_without_recipients_or_with_an_upload_in_progress_does_not_start() {
        let empty = Facts {
            to_process: 0,
            ..facts(true)
        };
        let msg = apply(Draft, Command::Start, empty).unwrap_err().0;
        assert!(msg.contains("no recipient"), "{msg}");
        let importing = Facts {
            importing: true,
            ..facts(true)
        };
        for cmd in [Command::Start, Command::Resume, Command::AddRecipients] {
            let state = if cmd == Command::Resume {
                Paused
            } else {
                Draft
            };
            let msg = apply(state, cmd, importing).unwrap_err().0;
            assert!(msg.contains("upload"), "{cmd:?}: {msg}");
        }
    }

    #[test]
    fn a_refusal_says_the_state_and_what_to_do() {
        let msg = apply(Running, Command::Edit, facts(true)).unwrap_err().0;
        assert_eq!(msg, "a running campaign cannot be edited (pause it first)");
    }
}
