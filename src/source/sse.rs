//! `--url URL`: a remote Server-Sent Events feed. The client (`crate::sse`) does HTTP and
//! reconnection; this turns its events into frames (SPEC §3), its states into link states,
//! and probes the server's clock so absolute latency can be corrected (SPEC §6).

use std::time::Duration;

use serde::Deserialize;

use crate::clock::{Clock, unix_now_us};
use crate::frame::{Decoded, FrameError, Levels};
use crate::link::ClockSync;
use crate::link::LinkState;
use crate::sse::client::{ClientEvent, SseClient, SseConfig};
use crate::vocabulary::{EventSender, SourceEvent};
use crate::wire::json::decode_event;

/// Probes per clock measurement; the one with the shortest round trip is kept.
const PROBES: usize = 5;
/// A probe unanswered this long is no answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn run(config: SseConfig, levels: Levels, tx: EventSender, clock: Clock) {
    let probe_url = time_url(&config.url);
    // The probe goes to the same origin: it carries the same headers (a token, say).
    let probe_headers = config.headers.clone();
    let mut client = match SseClient::new(config) {
        Ok(client) => client,
        Err(e) => {
            let _ = tx
                .send(SourceEvent::Status(LinkState::Failed(e.to_string())))
                .await;
            return;
        }
    };
    // The clock probe runs once, before the stream opens, so every frame's latency is
    // corrected alike (a probe against a dead /time fails fast or times out in 2 s).
    if let Some(url) = &probe_url {
        let sync = probe_clock(client.http(), url, &probe_headers).await;
        if tx.send(SourceEvent::ClockSync(sync)).await.is_err() {
            return;
        }
    }
    let mut items: Vec<Decoded> = Vec::new();
    let mut arrival = clock.now();
    loop {
        let status = match client.next().await {
            ClientEvent::Event(event) => {
                if items.is_empty() {
                    arrival = clock.now();
                }
                let id = (!event.id.is_empty()).then_some(event.id.as_str());
                items.push(decode_event(&event.event_type, &event.data, id, levels));
                continue;
            }
            ClientEvent::TooLarge { bytes } => {
                items.push(Decoded::Bad(FrameError::TooLong(bytes)));
                continue;
            }
            // The end of one read: its events travel together.
            ClientEvent::Received(bytes) => {
                if items.is_empty() {
                    arrival = clock.now();
                }
                let items = std::mem::take(&mut items);
                if tx
                    .send(SourceEvent::Data {
                        arrival,
                        bytes,
                        items,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            ClientEvent::Connecting => LinkState::Connecting,
            ClientEvent::Open => LinkState::Connected,
            ClientEvent::Lost { reason, retry_at } => LinkState::Disconnected {
                reason,
                retry_at: Some(retry_at.into_std()),
            },
            ClientEvent::Closed { reason } => LinkState::Failed(reason),
        };
        let last = status.is_final();
        if tx.send(SourceEvent::Status(status)).await.is_err() || last {
            return;
        }
    }
}

/// `/time` on the feed's origin.
fn time_url(feed: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(feed).ok()?;
    url.set_path("/time");
    url.set_query(None);
    Some(url.into())
}

#[derive(Deserialize)]
struct TimeAnswer {
    unix_ms: f64,
}

/// NTP-style: offset = server time − the midpoint of the round trip, from the probe with
/// the shortest round trip. No answer, or not a number: uncorrected. `http` is the feed's
/// own client, so the probe goes the way the feed goes (proxy, TLS settings).
pub async fn probe_clock(
    http: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
) -> ClockSync {
    let mut best: Option<(i64, i64)> = None;
    for _ in 0..PROBES {
        let sent = unix_now_us();
        let mut request = http.get(url).timeout(PROBE_TIMEOUT);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let Ok(response) = request.send().await else {
            break;
        };
        if !response.status().is_success() {
            break;
        }
        let Ok(body) = response.bytes().await else {
            break;
        };
        let received = unix_now_us();
        let Ok(answer) = serde_json::from_slice::<TimeAnswer>(&body) else {
            break;
        };
        if !answer.unix_ms.is_finite() {
            break;
        }
        let rtt = received - sent;
        let offset = (answer.unix_ms * 1000.0) as i64 - (sent + received) / 2;
        if best.is_none_or(|(best_rtt, _)| rtt < best_rtt) {
            best = Some((rtt, offset));
        }
    }
    match best {
        Some((rtt_us, offset_us)) => ClockSync::Probed { offset_us, rtt_us },
        None => ClockSync::Uncorrected,
    }
}
