//! Every numeric option at its limits and just beyond: the limits parse, the rest is one
//! clap error (a sentence and exit status 2 in `main`), never a value that panics later.

use clap::Parser;

use super::{Cli, SourceChoice, UsageError};

fn parses(args: &[&str]) -> bool {
    let mut argv = vec!["sse-tui"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).is_ok()
}

/// (option, values that parse, values that must not); serve's options after `serve`.
const TABLE: &[(&str, &[&str], &[&str])] = &[
    (
        "--baud",
        &["50", "115200", "12000000"],
        &["49", "12000001", "-1", "x"],
    ),
    (
        "--max-event-bytes",
        &["1024", "1073741824"],
        &["1023", "1073741825", "1e9"],
    ),
    (
        "--read-timeout",
        &["0.1", "45", "86400"],
        &["0.09", "86401", "0", "1e20", "NaN", "inf"],
    ),
    (
        "--rate",
        &["0.001", "48000", "10000000000"],
        &["0", "-1", "1e11", "NaN"],
    ),
    (
        "--full-scale",
        &["1e-12", "2048", "1e12"],
        &["0", "1e13", "-1", "inf"],
    ),
    ("--fft", &["64", "65536"], &["32", "131072", "1000", "0"]),
    ("--channel", &["0", "15"], &["16", "-1", "256"]),
    ("--harmonics", &["1", "5", "50"], &["0", "51", "-1"]),
    ("--spectra-per-line", &["1", "1024"], &["0", "1025"]),
    ("--fps", &["1", "240"], &["0", "241", "1e9"]),
    (
        "--report-every",
        &["0.01", "86400"],
        &["0.009", "0", "86401", "1e30"],
    ),
    (
        "--frames",
        &["1", "18446744073709551615"],
        &["0", "18446744073709551616", "-5"],
    ),
    (
        "--duration",
        &["0.01", "31536000"],
        &["0", "31536001", "1e20", "-1", "NaN"],
    ),
    (
        "--speed",
        &["0", "0.001", "1000"],
        &["0.0009", "1001", "-1", "1e300", "inf"],
    ),
    ("--db-min", &["-1000", "-120"], &["-1001", "1e9", "NaN"]),
    ("--db-max", &["0", "1000"], &["1001", "-1e9"]),
    (
        "--byte-budget",
        &["0", "1000000000"],
        &["-1", "1000000001", "4k"],
    ),
];

const SERVE_TABLE: &[(&str, &[&str], &[&str])] = &[
    ("--max-clients", &["1", "1000000"], &["0", "1000001"]),
    ("--replay-buffer", &["1", "1048576"], &["0", "1048577"]),
    ("--queue", &["1", "1048576"], &["0", "1048577"]),
    ("--heartbeat", &["0.01", "15"], &["0", "15.1", "1e30"]),
];

#[test]
fn every_numeric_option_takes_its_limits_and_refuses_what_lies_beyond() {
    for (prefix, table) in [(&[][..], TABLE), (&["serve"][..], SERVE_TABLE)] {
        for (option, good, bad) in table {
            for value in *good {
                let mut args = prefix.to_vec();
                args.extend([*option, value]);
                assert!(parses(&args), "{option} {value} should parse");
            }
            for value in *bad {
                let mut args = prefix.to_vec();
                args.extend([*option, value]);
                assert!(!parses(&args), "{option} {value} should be refused");
            }
        }
    }
}

#[test]
fn what_one_option_cannot_say_the_check_does() {
    let check = |args: &[&str]| {
        let mut argv = vec!["sse-tui"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().check()
    };
    assert_eq!(
        check(&["--db-min", "-10", "--db-max", "-10"]),
        Err(UsageError::DbRange)
    );
    assert_eq!(
        check(&["--header", "no colon"]),
        Err(UsageError::Header("no colon".into()))
    );
    assert_eq!(
        check(&["--last-event-id", "a\nb"]),
        Err(UsageError::LastEventId)
    );
    assert_eq!(check(&["--db-min", "-100", "--db-max", "-20"]), Ok(()));
}

#[test]
fn help_is_grouped_and_ends_with_examples() {
    use clap::CommandFactory;
    let help = Cli::command().render_long_help().to_string();
    for heading in [
        "Source:",
        "Serial port (--serial):",
        "Server-Sent Events feed (--url):",
        "Analysis:",
        "Screen:",
        "Headless reports and runs:",
        "Settings file:",
    ] {
        assert!(help.contains(heading), "no {heading} in\n{help}");
    }
    assert!(
        help.trim_end()
            .lines()
            .last()
            .unwrap()
            .contains("sse-tui coherent"),
        "{help}"
    );
    assert!(help.contains("Examples:") && help.contains("sse-tui check limits.toml"));
}

#[test]
fn several_sources_are_several_boards_each_with_a_name() {
    let boards = |args: &[&str]| -> Vec<(String, SourceChoice)> {
        let argv = std::iter::once("sse-tui").chain(args.iter().copied());
        Cli::try_parse_from(argv)
            .unwrap()
            .boards()
            .into_iter()
            .map(|b| (b.name, b.choice))
            .collect()
    };
    assert_eq!(boards(&[]), [("demo".into(), SourceChoice::Demo)]);
    assert_eq!(
        boards(&[
            "--url",
            "bench2=https://lab/events?token=a=b",
            "--url",
            "https://lab/other?x=1",
            "--serial",
            "/dev/ttyACM0",
            "--serial",
            "bench1=/dev/ttyACM0",
            "--replay",
            "runs/f4.bin",
            "--demo",
        ]),
        [
            (
                "bench2".into(),
                SourceChoice::Url("https://lab/events?token=a=b".into())
            ),
            // A URL's own `=` comes after a `:`: no name, the host and path name it.
            (
                "lab/other".into(),
                SourceChoice::Url("https://lab/other?x=1".into())
            ),
            (
                "ttyACM0".into(),
                SourceChoice::Serial("/dev/ttyACM0".into())
            ),
            ("bench1".into(), SourceChoice::Serial("/dev/ttyACM0".into())),
            ("f4".into(), SourceChoice::Replay("runs/f4.bin".into())),
            ("demo".into(), SourceChoice::Demo),
        ]
    );
    // A name twice is told apart; a run of one board picks it as before.
    let twice = boards(&["--serial", "/dev/ttyACM0", "--serial", "/tmp/ttyACM0"]);
    assert_eq!(twice[0].0, "ttyACM0");
    assert_eq!(twice[1].0, "ttyACM0-2");
    let one = Cli::try_parse_from(["sse-tui", "--url", "bench=http://a/e"]).unwrap();
    assert_eq!(one.source(), SourceChoice::Url("http://a/e".into()));
    assert!(!parses(&["--list-ports", "--demo"]));
}
