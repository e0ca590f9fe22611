//! The real binary, headless, against SSE feeds on loopback: peaks, latency (injected delays,
//! the clock probe), reconnection without double counting, refusals.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::ChildGuard;
use common::http::{Step, TestServer, head, stream_head};
use serde_json::Value;
use sse_tui::frame::SenderTime;
use sse_tui::wire::binary::{self, Dtype, Header};

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// A tone at `cycles` per 1024 samples, as i16.
fn tone(cycles: f64) -> Vec<i16> {
    (0..1024)
        .map(|i| (16000.0 * (std::f64::consts::TAU * cycles * i as f64 / 1024.0).sin()) as i16)
        .collect()
}

fn frame_event(seq: u32, sent_ms: Option<f64>) -> Vec<u8> {
    let sent = sent_ms.map(|ms| SenderTime::Unix((ms * 1000.0) as i64));
    let header = Header::samples(Dtype::I16, seq, 48_000, sent);
    let mut frame = Vec::new();
    binary::encode_values(&header, &tone(100.0), i16::to_le_bytes, &mut frame);
    let data = base64::engine::general_purpose::STANDARD.encode(&frame);
    format!("id: {seq}\nevent: frame\ndata: {data}\n\n").into_bytes()
}

fn json_event(seq: u32, ts_ms: f64) -> Vec<u8> {
    let samples: Vec<String> = tone(100.0).iter().map(|s| s.to_string()).collect();
    format!(
        "id: {seq}\nevent: samples\ndata: {{\"seq\":{seq},\"ts\":{ts_ms:.3},\"fs\":48000,\"full_scale\":32768,\"samples\":[{}]}}\n\n",
        samples.join(",")
    )
    .into_bytes()
}

/// Runs the binary to its end (bounded by `--frames` or `--duration`).
fn run(args: &[&str]) -> (Option<i32>, Value, String) {
    let child = Command::new(BIN)
        .args(args)
        .args(["--headless"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ChildGuard(child);
    let output = guard.0.wait_with_output_ref();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let summary = serde_json::from_str(stdout.lines().last().expect("a summary")).unwrap();
    (
        output.status.code(),
        summary,
        String::from_utf8(output.stderr).unwrap(),
    )
}

trait WaitRef {
    fn wait_with_output_ref(&mut self) -> std::process::Output;
}

impl WaitRef for std::process::Child {
    fn wait_with_output_ref(&mut self) -> std::process::Output {
        use std::io::Read;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        self.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        self.stderr.take().unwrap().read_to_end(&mut err).unwrap();
        let status = self.wait().unwrap();
        std::process::Output {
            status,
            stdout: out,
            stderr: err,
        }
    }
}

/// Everything but `/events` (the clock probe, say) is not there.
fn only_events(request: &common::http::Request) -> Option<Vec<Step>> {
    (request.path != "/events").then(|| vec![head("404 Not Found", &[])])
}

/// The binary, headless, on the server's `/events` until `frames` frames.
async fn watch(server: &TestServer, frames: u32) -> (Option<i32>, Value, String) {
    run_async(vec![
        "--url".into(),
        server.url("/events"),
        "--frames".into(),
        frames.to_string(),
    ])
    .await
}

/// The binary runs on its own thread while the test's server answers on the runtime.
async fn run_async(args: Vec<String>) -> (Option<i32>, Value, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_events_give_the_tone_within_a_bin() {
    let server = TestServer::start(|_, request| {
        if let Some(not_found) = only_events(request) {
            return not_found;
        }
        let mut steps = vec![stream_head()];
        for seq in 0..40 {
            steps.push(Step::Send(frame_event(seq, None)));
        }
        steps.push(Step::Hold);
        steps
    })
    .await;
    let (status, s, stderr) = watch(&server, 40).await;
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(s["frames"], 40);
    assert_eq!(s["fs"], 48000.0);
    let bin = 48000.0 / 1024.0;
    assert!(
        (s["peak_hz"].as_f64().unwrap() - 100.0 * bin).abs() < bin,
        "{s}"
    );
    assert_eq!(s["bad_frames"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_delay_shows_as_absolute_latency_uncorrected() {
    let server = TestServer::start(|_, request| {
        if let Some(not_found) = only_events(request) {
            return not_found;
        }
        let mut steps = vec![stream_head()];
        for seq in 0..20 {
            steps.push(Step::Send(json_event(seq, now_ms() - 250.0)));
            steps.push(Step::Wait(Duration::from_millis(5)));
        }
        steps.push(Step::Hold);
        steps
    })
    .await;
    let (_, s, _) = watch(&server, 20).await;
    let latency = &s["latency_ms"];
    assert_eq!(latency["kind"], "absolute", "{s}");
    assert_eq!(s["latency_corrected"], false);
    let p50 = latency["p50"].as_f64().unwrap();
    assert!((250.0..1250.0).contains(&p50), "{s}");
    let bin = 48000.0 / 1024.0;
    assert!(
        (s["peak_hz"].as_f64().unwrap() - 100.0 * bin).abs() < bin,
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_probe_corrects_a_server_clock_that_runs_ahead() {
    const AHEAD_MS: f64 = 5000.0;
    let server = TestServer::start(|_, request| {
        if request.path == "/time" {
            let body = format!("{{\"unix_ms\": {:.3}}}", now_ms() + AHEAD_MS);
            return vec![
                Step::Send(
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                        .into_bytes(),
                ),
            ];
        }
        let mut steps = vec![stream_head()];
        for seq in 0..20 {
            // Sent 100 ms ago, on the server's clock.
            steps.push(Step::Send(frame_event(seq, Some(now_ms() + AHEAD_MS - 100.0))));
            steps.push(Step::Wait(Duration::from_millis(5)));
        }
        steps.push(Step::Hold);
        steps
    })
    .await;
    let (_, s, _) = watch(&server, 20).await;
    assert_eq!(s["latency_corrected"], true, "{s}");
    let p50 = s["latency_ms"]["p50"].as_f64().unwrap();
    // Uncorrected it would be 5 s early: negative, shown as nothing.
    assert!((100.0..1100.0).contains(&p50), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_resumes_from_the_last_id_without_double_counting() {
    let streams = std::sync::atomic::AtomicUsize::new(0);
    let server = TestServer::start(move |_, request| {
        if let Some(not_found) = only_events(request) {
            return not_found;
        }
        let mut steps = vec![stream_head()];
        if streams.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            for seq in 1..=5 {
                steps.push(Step::Send(frame_event(seq, None)));
            }
            // The server goes away mid-event.
            steps.push(Step::Send(b"event: frame\ndata: AQAD".to_vec()));
        } else {
            let from: u32 = request
                .header_str("last-event-id")
                .and_then(|id| id.parse().ok())
                .unwrap_or(0);
            // It replays one frame it already sent, then goes on.
            for seq in from..=from + 5 {
                steps.push(Step::Send(frame_event(seq, None)));
            }
            steps.push(Step::Hold);
        }
        steps
    })
    .await;
    let (_, s, _) = watch(&server, 10).await;
    assert_eq!(s["frames"], 10, "{s}");
    assert_eq!(s["dropped"], 0);
    assert!(s["duplicates"].as_u64().unwrap() >= 1, "{s}");
    assert!(s["reconnects"].as_u64().unwrap() >= 1, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_status_1_with_one_sentence_and_secrets_stay_out() {
    let server = TestServer::start(|_, _| vec![head("401 Unauthorized", &[])]).await;
    let (status, s, stderr) = run_async(vec![
        "--url".into(),
        server.url("/events?token=hunter2"),
        "--header".into(),
        "Authorization: Bearer hunter2".into(),
    ])
    .await;
    assert_eq!(status, Some(1));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("refused access (401"), "{stderr}");
    assert!(
        !stderr.contains("hunter2") && !s.to_string().contains("hunter2"),
        "{stderr} {s}"
    );
    assert_eq!(
        server.requests()[0].header_str("authorization").as_deref(),
        Some("Bearer hunter2")
    );
}

/// A `frame` event stamped on the board's own clock (µs since boot).
fn device_frame_event(seq: u32, device_us: i64) -> Vec<u8> {
    let header = Header::samples(Dtype::I16, seq, 48_000, Some(SenderTime::Device(device_us)));
    let mut frame = Vec::new();
    binary::encode_values(&header, &tone(100.0), i16::to_le_bytes, &mut frame);
    let data = base64::engine::general_purpose::STANDARD.encode(&frame);
    format!("id: {seq}\nevent: frame\ndata: {data}\n\n").into_bytes()
}

/// Frames a drifting board sends: 4 s of them at one every 10 ms.
const BOARD_FRAMES: u32 = 400;
/// How long a drifting board holds each of its late frames back after stamping it.
const HOLD: Duration = Duration::from_millis(100);

/// A board whose clock runs `rate` × real time (an STM32 on its RC oscillator is off by up to
/// 1 %, and the estimator takes up to 2 %: `stats::envelope::MAX_SKEW`), publishing a frame
/// every 10 ms, each stamped as it is sent; the frames in `late` are really held back
/// [`HOLD`] after their stamp, one after the other. The schedule goes on from where a held
/// frame left it, so no backlog is sent in one go after the burst (that would be latency
/// too). Serves one watcher per connection.
async fn drifting_board(
    rate: f64,
    late: std::ops::Range<u32>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::Instant;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            socket.set_nodelay(true).unwrap();
            let late = late.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if !head.starts_with(b"GET /events") {
                    let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                    return;
                }
                let stream_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
                if socket.write_all(stream_head.as_bytes()).await.is_err() {
                    return;
                }
                let start = Instant::now();
                let boot_us = 987_654_321i64;
                let mut next = start;
                for seq in 0..BOARD_FRAMES {
                    tokio::time::sleep_until(next).await;
                    let device_us = boot_us + (start.elapsed().as_micros() as f64 * rate) as i64;
                    if late.contains(&seq) {
                        tokio::time::sleep(HOLD).await;
                    }
                    if socket
                        .write_all(&device_frame_event(seq, device_us))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    // Behind schedule (a held frame, a stall of this machine): go on from now.
                    next = (next + Duration::from_millis(10)).max(Instant::now());
                }
                std::future::pending::<()>().await;
            });
        }
    });
    (addr, task)
}

/// Relative latency end to end on a loopback feed whose device clock drifts: near zero when
/// nothing is late, and a real burst of late frames at its size.
///
/// The drift is 1.5 %, inside the estimator's 2 % limit, over 4 s of frames. The old
/// estimator read drift as latency: here that is 60 ms from first frame to last, so p50 near
/// 30 ms and p90 near 54 ms (at the 1 % over 2 s this test had before, 10 and 18 ms). Loopback
/// transport is well under a millisecond and the line under the delays removes any constant
/// lag, so the right estimator reads p50 and p90 under a millisecond. The bounds, p50 < 10 ms
/// and p90 < 20 ms, are over ten times that and a third of the old figures; a stall of the
/// busy test machine makes only the frames it delays read late, so half the frames (2 s of
/// them) would have to be 10 ms late to break the first, a tenth of them 20 ms late (a stall
/// of some 0.4 s) to break the second.
///
/// The burst holds 10 frames of 400 back [`HOLD`] (100 ms) each: the top 2.5 %, so p99 is
/// one of them. A held frame reads its hold in the device clock's time (98.5 or 101.5 ms)
/// plus whatever a stall adds, less how far the line lies above the fastest frames there;
/// the line lies under every frame, so that is at most the extra delay of the fastest frame
/// before the burst or of the fastest after it, whichever is more. p99 ≥ 90 ms fails only if
/// every frame on one side of the burst (2 s of them) was 8 ms late. The upper bound,
/// p99 < 150 ms, leaves 50 ms for stalls (half the held frames would have to meet one) and
/// for the slope of the line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_latency_on_a_drifting_device_clock_end_to_end() {
    for (rate, late) in [
        (0.985, 0..0),
        (1.015, 0..0),
        (0.985, 200..210),
        (1.015, 200..210),
    ] {
        let burst = !late.is_empty();
        let (addr, board) = drifting_board(rate, late.clone()).await;
        let (status, s, stderr) = run_async(vec![
            "--url".into(),
            format!("http://{addr}/events"),
            "--frames".into(),
            BOARD_FRAMES.to_string(),
        ])
        .await;
        board.abort();
        assert_eq!(status, Some(0), "{stderr}");
        let latency = &s["latency_ms"];
        eprintln!("rate {rate}, late {late:?}: {latency}");
        assert_eq!(latency["kind"], "relative", "{s}");
        let ms = |key: &str| latency[key].as_f64().unwrap();
        assert!(
            ms("p50") < 10.0 && ms("p90") < 20.0,
            "rate {rate}: {latency}"
        );
        if burst {
            assert!((90.0..150.0).contains(&ms("p99")), "rate {rate}: {latency}");
        }
    }
}

/// The clock probe goes the way the feed goes: through the proxy of the environment, to the
/// feed's origin (a name only the proxy can reach).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_probe_goes_through_the_feeds_proxy() {
    let proxy = TestServer::start(|_, request| {
        if request.path.ends_with("/time") {
            let body = format!("{{\"unix_ms\": {:.3}}}", now_ms());
            return vec![Step::Send(
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                    .into_bytes(),
            )];
        }
        let mut steps = vec![stream_head()];
        for seq in 0..5 {
            steps.push(Step::Send(frame_event(seq, Some(now_ms()))));
        }
        steps.push(Step::Hold);
        steps
    })
    .await;
    let proxy_url = proxy.url("");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args([
                "--url",
                "http://board.sse-tui.invalid/events",
                "--frames",
                "5",
                "--headless",
            ])
            .env("HTTP_PROXY", &proxy_url)
            .env("http_proxy", &proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().expect("a summary")).unwrap();
    let paths: Vec<String> = proxy.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.contains(&"http://board.sse-tui.invalid/time".to_owned()),
        "{paths:?}"
    );
    assert_eq!(summary["latency_corrected"], true, "{summary}");
}

/// With `--insecure`, the clock probe accepts the feed's self-signed certificate too: it is
/// the feed's own client (it built one of its own before, which refused the certificate, so
/// a lab feed on a self-signed TLS server was never corrected).
#[test]
fn the_clock_probe_follows_insecure_on_a_self_signed_feed() {
    let server = common::tls::TlsServer::start(|path| {
        if path == "/time" {
            let body = format!("{{\"unix_ms\": {:.3}}}", now_ms());
            return format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).into_bytes();
        }
        let mut response =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                .to_vec();
        for seq in 0..5 {
            response.extend(frame_event(seq, Some(now_ms())));
        }
        response
    });
    let url = format!("https://{}/events", server.addr);
    let (status, s, stderr) = run(&["--url", &url, "--insecure", "--frames", "5"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(s["frames"], 5, "{s}");
    assert!(server.paths.lock().unwrap().contains(&"/time".to_owned()));
    assert_eq!(s["latency_corrected"], true, "{s}");
}
