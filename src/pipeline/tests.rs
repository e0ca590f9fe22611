use super::*;
use crate::analysis::power_to_db;
use crate::frame::Levels;
use crate::wire::json::decode_event;

fn pipeline(settings: AnalyzerSettings) -> (Pipeline, Clock) {
    let clock = Clock::new();
    let config = PipelineConfig {
        settings,
        ..PipelineConfig::default()
    };
    (Pipeline::new(config, clock), clock)
}

fn at(ms: i64) -> Arrival {
    Arrival {
        mono_us: ms * 1000,
        unix_us: 0,
    }
}

/// A JSON `samples` event: a tone at bin 64 of 1024, amplitude 0.5, with `extra` spliced in.
fn event(seq: u32, extra: &str) -> Decoded {
    let samples: Vec<String> = (0..1024)
        .map(|i| {
            format!(
                "{:.6}",
                0.5 * (std::f64::consts::TAU * 64.0 * i as f64 / 1024.0).sin()
            )
        })
        .collect();
    let data = format!(
        r#"{{"seq":{seq},"fs":48000,"samples":[{}{extra}]}}"#,
        samples.join(",")
    );
    decode_event("samples", &data, None, Levels::default())
}

fn feed(pipeline: &mut Pipeline, items: Vec<Decoded>) {
    for (i, item) in items.into_iter().enumerate() {
        pipeline.handle(SourceEvent::Data {
            arrival: at(21 * i as i64),
            bytes: 1,
            items: vec![item],
        });
    }
}

#[test]
fn one_value_out_of_range_is_a_bad_frame_and_the_rest_are_analysed_as_if_it_never_came() {
    let (mut clean, clock) = pipeline(AnalyzerSettings::default());
    feed(&mut clean, vec![event(0, ""), event(2, ""), event(3, "")]);
    let (mut poisoned, _) = pipeline(AnalyzerSettings::default());
    feed(
        &mut poisoned,
        vec![event(0, ""), event(1, ",1e39"), event(2, ""), event(3, "")],
    );
    let now = clock.start();
    let (clean, poisoned) = (clean.snapshot(now), poisoned.snapshot(now));
    assert_eq!(poisoned.counters.bad_frames, 1);
    assert_eq!(
        poisoned.counters.dropped, 1,
        "a rejected frame leaves a gap"
    );
    assert!(
        poisoned
            .last_error
            .as_deref()
            .unwrap()
            .contains("out of range")
    );
    assert!(poisoned.spectrum.iter().all(|p| p.is_finite()));
    // The spans differ (the clean feed's third frame came a frame later), not the picture:
    // the same peak, to a hundredth of a dB.
    let (a, b) = (clean.peak.unwrap(), poisoned.peak.unwrap());
    assert!(
        (a.bin - b.bin).abs() < 1e-6 && (a.dbfs - b.dbfs).abs() < 0.01,
        "{a:?} {b:?}"
    );
    assert!((b.dbfs + 6.02).abs() < 0.05, "{b:?}");
}

#[test]
fn controls_change_the_settings_in_force() {
    let (mut p, clock) = pipeline(AnalyzerSettings::default());
    // Two `+` pressed while the screen showed the same (frozen) picture: both count.
    p.control(Control::BiggerFft);
    p.control(Control::BiggerFft);
    assert_eq!(p.snapshot(clock.start()).settings.fft_size, 4096);
    for _ in 0..20 {
        p.control(Control::SmallerFft);
    }
    assert_eq!(p.snapshot(clock.start()).settings.fft_size, MIN_FFT);
    // Three channels: the next wraps.
    p.ingest(
        Frame {
            seq: None,
            sample_rate: Some(1000.0),
            sent_at: None,
            channels: 3,
            payload: Payload::Samples(vec![0.0; 3 * 64]),
            labels: None,
            resolution: None,
        },
        at(0),
    );
    let channel = |p: &mut Pipeline| p.snapshot(clock.start()).settings.channel;
    p.control(Control::NextChannel);
    p.control(Control::NextChannel);
    assert_eq!(channel(&mut p), 2);
    p.control(Control::NextChannel);
    assert_eq!(channel(&mut p), 0);
}

#[test]
fn a_frame_stands_for_the_sender_time_since_the_last_one() {
    // 1024-sample frames stamped 100 ms apart (the board sends one block in five): after a
    // tone, each silent frame lets the held peak fall 1 dB, not the 0.21 dB of 21 ms.
    let (mut p, clock) = pipeline(AnalyzerSettings {
        averaging: false,
        ..AnalyzerSettings::default()
    });
    let tone: Vec<f32> = (0..1024)
        .map(|i| (std::f32::consts::TAU * 64.0 * i as f32 / 1024.0).sin())
        .collect();
    for (i, samples) in [tone, vec![0.0; 1024], vec![0.0; 1024]]
        .into_iter()
        .enumerate()
    {
        let frame = Frame {
            seq: Some(i as u32),
            sample_rate: Some(48_000.0),
            sent_at: Some(SenderTime::Device(1_000_000 + 100_000 * i as i64)),
            channels: 1,
            payload: Payload::Samples(samples),
            labels: None,
            resolution: None,
        };
        p.ingest(frame, at(100 * i as i64));
    }
    let held = power_to_db(p.snapshot(clock.start()).held[64]);
    assert!((held + 2.0).abs() < 0.01, "{held} dB after 200 ms");
}

/// `g` takes the averaged spectrum as the reference: the same tone after it stands within a
/// hundredth of a dB of it; a bigger FFT's spectrum is refused, not compared; `G` drops it.
#[test]
fn the_reference_is_taken_held_to_and_refused_at_another_spacing() {
    let (mut p, clock) = pipeline(AnalyzerSettings::default());
    feed(&mut p, (0..5).map(|seq| event(seq, "")).collect());
    p.control(Control::TakeReference);
    feed(&mut p, (5..10).map(|seq| event(seq, "")).collect());
    let snapshot = p.final_snapshot(clock.start());
    let delta = snapshot.reference_delta.expect("a delta");
    assert!(delta.max_delta_db < 0.01, "{delta:?}");
    assert_eq!(snapshot.reference.as_ref().unwrap().len(), 512);
    assert_eq!(snapshot.reference_refused, None);
    p.control(Control::BiggerFft);
    feed(&mut p, (10..14).map(|seq| event(seq, "")).collect());
    let refused = p.final_snapshot(clock.start());
    assert_eq!(refused.reference_delta, None);
    assert!(
        refused
            .reference_refused
            .as_deref()
            .unwrap()
            .contains("apart")
    );
    p.control(Control::ClearReference);
    let cleared = p.final_snapshot(clock.start());
    assert!(cleared.reference.is_none() && cleared.reference_refused.is_none());
}
