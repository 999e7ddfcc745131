//! `GET /events`: the caller's live events as server-sent events.

use std::convert::Infallible;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;

use super::ApiResult;
use crate::api::{Authed, ErrorBody, blocking};
use crate::hub::{Hub, StreamItem};

pub fn routes() -> Router<Hub> {
    Router::new().route("/api/v1/events", get(events))
}

/// Server-sent events: `message_created`, `message_updated`, `interaction_updated`,
/// `presence_changed` (data: JSON `EventKind`), for what the caller may see. The stream ends
/// at once on logout, disconnect, deactivation, a role or password change, removal from a
/// queue, loss of a channel, key revocation or session expiry; a stream that fell behind gets
/// `lagged` and ends (reconnect and refetch).
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", body = crate::hub::EventKind), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn events(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let stream = blocking(move || hub.events(&actor)).await?;
    let sse = futures::stream::unfold(stream, |mut s| async move {
        let item = s.next().await?;
        let event = match item {
            StreamItem::Event(kind) => Event::default()
                .event(kind.name())
                .data(serde_json::to_string(&kind).unwrap_or_default()),
            StreamItem::Lagged(n) => Event::default().event("lagged").data(n.to_string()),
        };
        Some((Ok(event), s))
    });
    Ok(Sse::new(sse).keep_alive(KeepAlive::default()))
}
