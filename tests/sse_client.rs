//! Every case of SSE-CONFORMANCE.md against a real HTTP server on loopback.

mod common;

use std::time::Duration;

use common::http::{Step, TestServer, head, stream_head};
use sse_tui::sse::client::{ClientEvent, SseClient, SseConfig};
use sse_tui::sse::parser::SseEvent;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(20);

fn config(url: &str) -> SseConfig {
    SseConfig {
        initial_retry: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..SseConfig::new(url)
    }
}

/// Client events until `done` says so (or the test fails after LIMIT).
async fn collect(
    client: &mut SseClient,
    done: impl Fn(&[ClientEvent]) -> bool,
) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while !done(&events) {
        match tokio::time::timeout_at(deadline, client.next()).await {
            Ok(event) => events.push(event),
            Err(_) => panic!("timed out; so far: {events:?}"),
        }
    }
    events
}

fn lost(events: &[ClientEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ClientEvent::Lost { .. }))
        .count()
}

fn closed(events: &[ClientEvent]) -> Option<&str> {
    events.iter().find_map(|e| match e {
        ClientEvent::Closed { reason } => Some(reason.as_str()),
        _ => None,
    })
}

/// The events delivered, in order.
fn delivered(events: &[ClientEvent]) -> Vec<&SseEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn data(events: &[ClientEvent]) -> Vec<&str> {
    delivered(events)
        .into_iter()
        .map(|e| e.data.as_str())
        .collect()
}

/// Why each connection was lost, in order.
fn lost_reasons(events: &[ClientEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Lost { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect()
}

/// Serves `body` once per connection (in the given chunks), then closes.
async fn serve_chunks(chunks: Vec<Vec<u8>>, content_type: &'static str) -> TestServer {
    TestServer::start(move |_, _| {
        let mut steps = vec![head("200 OK", &[("Content-Type", content_type)])];
        steps.extend(chunks.iter().cloned().map(Step::Send));
        steps
    })
    .await
}

/// The events of one connection's body.
async fn events_of(chunks: Vec<Vec<u8>>) -> Vec<String> {
    let server = serve_chunks(chunks, "text/event-stream").await;
    let mut client = SseClient::new(config(&server.url("/events"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 1).await;
    data(&events).into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn parsing_cases_over_the_wire() {
    let x = "x".repeat(2048);
    let cases: Vec<(Vec<u8>, Vec<&str>)> = vec![
        ("\u{FEFF}data:1\n\n\u{FEFF}data:2\n\ndata:3\n\n".into(), vec!["1", "3"]),
        ("\u{FEFF}\u{FEFF}data:1\n\ndata:2\n\ndata:3\n\n".into(), vec!["2", "3"]),
        (
            format!("data:1\r:\0\n:\r\ndata:2\n:{x}\rdata:3\n:data:fail\r:{x}\ndata:4\n\n").into(),
            vec!["1\n2\n3\n4"],
        ),
        (b"data:\n\ndata\ndata\n\ndata:test\n\n".to_vec(), vec!["", "\n", "test"]),
        (
            b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n".to_vec(),
            vec!["\0\n 2\n1\n3\n\n4"],
        ),
        (
            b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n".to_vec(),
            vec!["test\n\ntest"],
        ),
        (b"data:\ttest\rdata: \ndata:test\n\n".to_vec(), vec!["\ttest\n\ntest"]),
        (b"data:test\r\ndata\ndata:test\r\n\r\n".to_vec(), vec!["test\n\ntest"]),
        (b"data:\0\n\n".to_vec(), vec!["\0"]),
        (
            b"data:msg\ndata: msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nData:data\n\ndata\n\ndata:end\n\n".to_vec(),
            vec!["msg\nmsg", "", "end"],
        ),
        (b"data: a\n\ndata: partial".to_vec(), vec!["a"]),
        (b"data: a\xffb\n\ndata: c\n\n".to_vec(), vec!["a\u{FFFD}b", "c"]),
        (b"retry: abc\n\ndata: after\n\n".to_vec(), vec!["after"]),
        (b"event:\n\ndata: after\n\n".to_vec(), vec!["after"]),
        (b"foo: bar\n\ndata: after\n\n".to_vec(), vec!["after"]),
        (b"id: a\0b\n\ndata: after\n\n".to_vec(), vec!["after"]),
    ];
    for (body, want) in cases {
        assert_eq!(
            events_of(vec![body.clone()]).await,
            want,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test]
async fn event_types() {
    let server = serve_chunks(
        vec![b"event:test\ndata:x\n\ndata:x\n\nevent: \ndata:y\n\n".to_vec()],
        "text/event-stream",
    )
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 1).await;
    let types: Vec<&str> = delivered(&events)
        .into_iter()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(types, ["test", "message", "message"]);
}

#[tokio::test]
async fn a_cr_split_over_chunks_and_a_one_byte_drip() {
    let chunks = [
        &b"data: Hello\r"[..],
        b"\ndata: World\r",
        b"\n\r\ndata: OK\r",
        b"\n",
        b"\r",
        b"\n",
    ];
    let server = TestServer::start(move |_, _| {
        let mut steps = vec![stream_head()];
        for c in chunks {
            steps.push(Step::Send(c.to_vec()));
            steps.push(Step::Wait(Duration::from_millis(5)));
        }
        steps
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    assert_eq!(
        data(&collect(&mut client, |e| lost(e) == 1).await),
        ["Hello\nWorld", "OK"]
    );

    let server = TestServer::start(|_, _| {
        vec![
            stream_head(),
            Step::Drip(b"data: a\rdata: b\r\r:slow\ndata: c\n\n".to_vec()),
        ]
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    assert_eq!(
        data(&collect(&mut client, |e| lost(e) == 1).await),
        ["a\nb", "c"]
    );
}

#[tokio::test]
async fn request_headers_and_no_last_event_id_at_first() {
    let server = serve_chunks(vec![b"data: x\n\n".to_vec()], "text/event-stream").await;
    let mut cfg = config(&server.url("/events"));
    cfg.headers = vec![("Authorization".into(), "Bearer s3cret".into())];
    let mut client = SseClient::new(cfg).unwrap();
    collect(&mut client, |e| lost(e) == 1).await;
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.header_str("accept").as_deref(),
        Some("text/event-stream")
    );
    assert_eq!(
        request.header_str("cache-control").as_deref(),
        Some("no-cache")
    );
    assert_eq!(
        request.header_str("authorization").as_deref(),
        Some("Bearer s3cret")
    );
    assert_eq!(request.header("last-event-id"), None);
}

#[tokio::test]
async fn the_last_id_persists_across_reconnects() {
    let server = TestServer::start(|n, _| match n {
        0 => vec![stream_head(), Step::Send(b"id: 5\ndata: a\n\n".to_vec())],
        _ => vec![stream_head(), Step::Send(b"data: b\n\n".to_vec())],
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 3).await;
    let ids: Vec<&str> = delivered(&events)
        .into_iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(&ids[..2], ["5", "5"], "b carries the last id 5");
    let requests = server.requests();
    assert_eq!(requests[0].header("last-event-id"), None);
    assert_eq!(requests[1].header("last-event-id"), Some(&b"5"[..]));
    assert_eq!(requests[2].header("last-event-id"), Some(&b"5"[..]));
}

/// Conformance "drop mid-event": `id: 2` and half of event 2, then the connection drops.
/// Event 2 was never dispatched, so the reconnect asks for what follows 1 (a server that
/// honours Last-Event-ID then sends event 2 again, instead of it being skipped for good).
#[tokio::test]
async fn a_connection_cut_in_the_middle_of_an_event_resumes_before_it() {
    let server = TestServer::start(|n, _| match n {
        0 => vec![
            stream_head(),
            Step::Send(b"id: 1\ndata: a\n\nid: 2\ndata: b".to_vec()),
        ],
        _ => vec![stream_head(), Step::Send(b"id: 2\ndata: b\n\n".to_vec())],
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 3).await;
    assert_eq!(data(&events)[..2], ["a", "b"]);
    let requests = server.requests();
    assert_eq!(requests[1].header("last-event-id"), Some(&b"1"[..]));
    assert_eq!(requests[2].header("last-event-id"), Some(&b"2"[..]));
}

#[tokio::test]
async fn an_id_only_block_a_reset_id_and_a_non_ascii_id() {
    let server = TestServer::start(|n, _| match n {
        0 => vec![stream_head(), Step::Send(b"id: 7\n\n".to_vec())],
        1 => vec![
            stream_head(),
            Step::Send(b"id: 1\ndata: 1\n\nid\ndata: 2\n\ndata: 3\n\n".to_vec()),
        ],
        2 => vec![
            stream_head(),
            Step::Send("id: é☃\ndata: x\n\n".as_bytes().to_vec()),
        ],
        _ => vec![stream_head()],
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 4).await;
    let ids: Vec<&str> = delivered(&events)
        .into_iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "", "", "é☃"]);
    let requests = server.requests();
    assert_eq!(
        requests[1].header("last-event-id"),
        Some(&b"7"[..]),
        "the id-only block"
    );
    assert_eq!(
        requests[2].header("last-event-id"),
        None,
        "a reset id sends none"
    );
    assert_eq!(
        requests[3].header("last-event-id"),
        Some("é☃".as_bytes()),
        "UTF-8 bytes"
    );
}

#[tokio::test]
async fn a_configured_last_event_id_goes_on_the_first_request() {
    let server = serve_chunks(vec![], "text/event-stream").await;
    let mut cfg = config(&server.url("/"));
    cfg.last_event_id = Some("41".into());
    let mut client = SseClient::new(cfg).unwrap();
    collect(&mut client, |e| lost(e) == 1).await;
    assert_eq!(
        server.requests()[0].header("last-event-id"),
        Some(&b"41"[..])
    );
}

#[tokio::test]
async fn retry_alone_bogus_and_decimal() {
    let server = serve_chunks(
        vec![b"retry: 1500\n\n".to_vec(), b"data: x\n\n".to_vec()],
        "text/event-stream",
    )
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 1).await;
    let Some(ClientEvent::Lost { retry_at, .. }) = events.last() else {
        panic!()
    };
    let wait = retry_at.saturating_duration_since(Instant::now());
    assert_eq!(client.retry(), Duration::from_millis(1500));
    // Backoff may add and jitter may add; nothing may cut below 1.5 s (less the time to get here).
    assert!(
        wait > Duration::from_millis(1400) && wait <= Duration::from_millis(1875),
        "{wait:?}"
    );

    for (body, want) in [
        (&b"retry:3000\nretry:1000x\ndata:x\n\n"[..], 3000),
        (b"retry:03000\n\n", 3000),
        (b"retry: +1500\n\n", 10),
    ] {
        let server = serve_chunks(vec![body.to_vec()], "text/event-stream").await;
        let mut client = SseClient::new(config(&server.url("/"))).unwrap();
        collect(&mut client, |e| lost(e) == 1).await;
        assert_eq!(
            client.retry(),
            Duration::from_millis(want),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[tokio::test]
async fn no_content_and_refusals_stop_for_good() {
    for status in [
        "204 No Content",
        "401 Unauthorized",
        "403 Forbidden",
        "404 Not Found",
        "410 Gone",
    ] {
        let server = TestServer::start(move |_, _| vec![head(status, &[])]).await;
        let mut client = SseClient::new(config(&server.url("/"))).unwrap();
        let events = collect(&mut client, |e| closed(e).is_some()).await;
        assert_eq!(lost(&events), 0, "{status}");
        assert!(matches!(client.next().await, ClientEvent::Closed { .. }));
        assert_eq!(server.requests().len(), 1, "{status}: no retry");
    }
}

#[tokio::test]
async fn server_errors_refusals_and_resets_are_retried_with_the_id_kept() {
    let server = TestServer::start(|n, _| match n {
        0 => vec![head("503 Service Unavailable", &[])],
        1 => vec![
            stream_head(),
            Step::Send(b"id: 9\ndata: first\n\ndata: cut off in the mid".to_vec()),
        ],
        _ => vec![stream_head(), Step::Send(b"data: second\n\n".to_vec())],
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| data(e).len() == 2).await;
    assert_eq!(data(&events), ["first", "second"]);
    let reasons: Vec<&str> = lost_reasons(&events);
    assert!(reasons[0].contains("503"), "{reasons:?}");
    assert_eq!(
        server.requests()[2].header("last-event-id"),
        Some(&b"9"[..])
    );

    // Nobody listening: refused, reported, retried.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut client = SseClient::new(config(&format!("http://127.0.0.1:{port}/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 2).await;
    let reason = lost_reasons(&events)[0];
    assert!(reason.contains("cannot connect"), "{reason}");
}

#[tokio::test]
async fn the_content_type_is_checked() {
    for (content_type, ok) in [
        (Some("text/plain"), false),
        (None, false),
        (Some("text/event-stream;"), true),
        (Some("Text/Event-Stream; charset=windows-1252"), true),
    ] {
        let server = TestServer::start(move |_, _| {
            let headers: Vec<(&str, &str)> = content_type
                .map(|c| ("Content-Type", c))
                .into_iter()
                .collect();
            vec![
                head("200 OK", &headers),
                Step::Send("data: é\n\n".as_bytes().to_vec()),
            ]
        })
        .await;
        let mut client = SseClient::new(config(&server.url("/"))).unwrap();
        let events = collect(&mut client, |e| lost(e) == 1 || closed(e).is_some()).await;
        if ok {
            assert_eq!(data(&events), ["é"], "{content_type:?}: decoded as UTF-8");
        } else {
            assert!(
                closed(&events).unwrap().contains("not an event stream"),
                "{content_type:?}"
            );
        }
    }
}

#[tokio::test]
async fn redirects_are_followed_and_bad_ones_stop() {
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let server = TestServer::start(move |_, request| {
            if request.path == "/old" {
                vec![head(status, &[("Location", "/new")])]
            } else {
                vec![stream_head(), Step::Send(b"data: moved\n\n".to_vec())]
            }
        })
        .await;
        let mut client = SseClient::new(config(&server.url("/old"))).unwrap();
        let events = collect(&mut client, |e| lost(e) == 1).await;
        assert_eq!(data(&events), ["moved"], "{status}");
        assert_eq!(server.requests()[1].path, "/new");
    }
    for location in [Some(""), None] {
        let server = TestServer::start(move |_, _| {
            let headers: Vec<(&str, &str)> =
                location.map(|l| ("Location", l)).into_iter().collect();
            vec![head("302 Found", &headers)]
        })
        .await;
        let mut client = SseClient::new(config(&server.url("/"))).unwrap();
        let events = collect(&mut client, |e| closed(e).is_some() || lost(e) == 1).await;
        assert!(closed(&events).is_some(), "{location:?}: {events:?}");
        assert_eq!(server.requests().len(), 1, "no loop");
    }
}

#[tokio::test]
async fn heartbeats_keep_a_quiet_stream_alive_and_silence_ends_it() {
    let server = TestServer::start(|n, _| match n {
        0 => {
            let mut steps = vec![stream_head()];
            for _ in 0..10 {
                steps.push(Step::Send(b":\n".to_vec()));
                steps.push(Step::Wait(Duration::from_millis(50)));
            }
            steps.push(Step::Send(b"data: still here\n\n".to_vec()));
            steps.push(Step::Hold);
            steps
        }
        _ => vec![
            stream_head(),
            Step::Send(b"data: again\n\n".to_vec()),
            Step::Hold,
        ],
    })
    .await;
    let mut cfg = config(&server.url("/"));
    cfg.read_timeout = Duration::from_secs(2);
    let mut client = SseClient::new(cfg).unwrap();
    let events = collect(&mut client, |e| data(e).len() == 2).await;
    assert_eq!(data(&events), ["still here", "again"]);
    let reason = lost_reasons(&events)[0];
    assert!(reason.contains("no data"), "{reason}");
    assert_eq!(
        lost(&events),
        1,
        "heartbeats alone kept the first connection"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_given_up_on_and_retried() {
    let server = TestServer::start(|_, _| vec![Step::Hold]).await;
    let mut cfg = config(&server.url("/"));
    cfg.read_timeout = Duration::from_millis(300);
    let mut client = SseClient::new(cfg).unwrap();
    let events = collect(&mut client, |e| lost(e) == 2).await;
    let reason = lost_reasons(&events)[0];
    assert!(reason.contains("no response"), "{reason}");
    assert!(server.requests().len() >= 2);
}

#[tokio::test]
async fn a_64_mib_event_is_refused_and_the_stream_goes_on() {
    let server = TestServer::start(|_, _| {
        let mut steps = vec![stream_head(), Step::Send(b"data: before\n\ndata:".to_vec())];
        let block = vec![b'z'; 1 << 20];
        for _ in 0..64 {
            steps.push(Step::Send(block.clone()));
        }
        steps.push(Step::Send(b"\n\ndata: after\n\n".to_vec()));
        steps
    })
    .await;
    let mut client = SseClient::new(config(&server.url("/"))).unwrap();
    let events = collect(&mut client, |e| lost(e) == 1).await;
    assert_eq!(data(&events), ["before", "after"]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::TooLarge { bytes } if *bytes >= 64 << 20))
    );
}
