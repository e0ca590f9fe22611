//! Layering, as tables of cases: each source alone, each pair, all three; a missing profile,
//! wrong types, unknown keys with their line; lists from the file and from the command line.

use std::ffi::OsString;

use super::*;
use crate::analysis::WindowKind;
use crate::vocabulary::ScreenSettings;

/// Parses `args` over `file` (written to a temporary directory, given with `--config`).
fn parsed(file: Option<&str>, args: &[&str]) -> Result<Cli, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let mut argv: Vec<OsString> = vec!["sse-tui".into()];
    match file {
        Some(text) => {
            std::fs::write(&path, text).unwrap();
            argv.push("--config".into());
            argv.push(path.clone().into());
        }
        None => argv.push("--no-config".into()),
    }
    argv.extend(args.iter().map(OsString::from));
    let env = |name: &str| (name == "LAB_TOKEN").then(|| "s3cret".to_owned());
    parse(argv, env).map(|(cli, _)| cli).map_err(|e| match e {
        ArgsError::File(e) => e.to_string().replace(&path.display().to_string(), "FILE"),
        ArgsError::Clap(e) => e.to_string(),
    })
}

const FILE: &str = "fft = 4096\nwindow = \"flattop\"\ndb-min = -110\n\n[profile.bench]\nfft = 8192\nlog-freq = true\n";

#[test]
fn each_source_alone_each_pair_and_all_three() {
    let fft = |cli: &Cli| (cli.fft, cli.window, cli.db_min, cli.log_freq);
    type Case<'a> = (
        Option<&'a str>,
        &'a [&'a str],
        (usize, WindowKind, f64, bool),
    );
    let cases: &[Case] = &[
        // defaults
        (None, &[], (1024, WindowKind::Hann, -120.0, false)),
        // the file's top level
        (Some(FILE), &[], (4096, WindowKind::Flattop, -110.0, false)),
        // the profile over the top level, key by key
        (
            Some(FILE),
            &["--profile", "bench"],
            (8192, WindowKind::Flattop, -110.0, true),
        ),
        // a profile alone in its file
        (
            Some("[profile.p]\nfft = 256\n"),
            &["--profile", "p"],
            (256, WindowKind::Hann, -120.0, false),
        ),
        // the command line alone, and over the file, the profile, both
        (
            None,
            &["--fft", "512"],
            (512, WindowKind::Hann, -120.0, false),
        ),
        (
            Some(FILE),
            &["--fft", "512"],
            (512, WindowKind::Flattop, -110.0, false),
        ),
        (
            Some(FILE),
            &["--profile", "bench", "--fft", "512", "--db-min", "-90"],
            (512, WindowKind::Flattop, -90.0, true),
        ),
        (
            Some(FILE),
            &["--window", "rect"],
            (4096, WindowKind::Rect, -110.0, false),
        ),
    ];
    for (file, args, want) in cases {
        let cli = parsed(*file, args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(fft(&cli), *want, "{file:?} {args:?}");
    }
}

#[test]
fn a_wrong_key_or_value_is_one_sentence_with_the_file_line_and_key() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "fft = 4096\nbogus = 1\n",
            &[],
            "FILE, line 2: unknown key `bogus`",
        ),
        (
            "\n\nfft = 1000\n",
            &[],
            "FILE, line 3: `fft` = \"1000\": must be a power of two",
        ),
        (
            "fft = \"big\"\n",
            &[],
            "FILE, line 1: `fft` = \"big\": must be a power of two",
        ),
        (
            "fft = true\n",
            &[],
            "FILE, line 1: `fft` takes a value, not true or false",
        ),
        (
            "ascii = 1\n",
            &[],
            "FILE, line 1: `ascii` must be true or false",
        ),
        (
            "window = \"triangle\"\n",
            &[],
            "FILE, line 1: `window` = \"triangle\"",
        ),
        (
            "fft = [1, 2]\n",
            &[],
            "FILE, line 1: `fft` takes one value, not a list",
        ),
        (
            "[profile.a]\ndb-max = 2000\n",
            &["--profile", "a"],
            "FILE, line 2: `db-max` = \"2000\": must be a number from -1000 to 1000",
        ),
        ("token = \"x\"\n", &[], "FILE, line 1: `token` is a secret"),
        (
            "config = \"x\"\n",
            &[],
            "FILE, line 1: `config` chooses the settings file",
        ),
        (
            "[profile.a]\n",
            &["--profile", "b"],
            "FILE has no [profile.b] (its profiles: a)",
        ),
        (
            "fft = 4096\n",
            &["--profile", "b"],
            "FILE has no [profile.b] (it has no profiles)",
        ),
        ("fft = = 3\n", &[], "FILE, line 1: "),
        (
            "header = [\"Authorization: Bearer ${NOT_SET}\"]\n",
            &[],
            "FILE, line 1: `header` uses ${NOT_SET}",
        ),
    ];
    for (file, args, want) in cases {
        let e = parsed(Some(file), args)
            .err()
            .unwrap_or_else(|| panic!("{file:?} should fail"));
        assert!(e.starts_with(want), "{file:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn a_list_from_the_file_gives_way_to_one_from_the_command_line() {
    let file = "header = [\"X-Lab: 1\", \"Authorization: Bearer ${LAB_TOKEN}\"]\n";
    let cli = parsed(Some(file), &[]).unwrap();
    assert_eq!(cli.headers, ["X-Lab: 1", "Authorization: Bearer s3cret"]);
    let cli = parsed(Some(file), &["--header", "X-Other: 2"]).unwrap();
    assert_eq!(cli.headers, ["X-Other: 2"]);
    // One string for a list is a list of one.
    assert_eq!(
        parsed(Some("header = \"A: 1\"\n"), &[]).unwrap().headers,
        ["A: 1"]
    );
}

#[test]
fn a_source_from_the_profile_or_the_command_line_replaces_the_files() {
    use crate::cli::SourceChoice;
    let file =
        "serial = \"/dev/ttyACM0\"\nbaud = 921600\n[profile.lab]\nurl = \"http://lab/events\"\n";
    let source = |args: &[&str]| parsed(Some(file), args).unwrap().source();
    assert_eq!(source(&[]), SourceChoice::Serial("/dev/ttyACM0".into()));
    assert_eq!(
        source(&["--profile", "lab"]),
        SourceChoice::Url("http://lab/events".into())
    );
    assert_eq!(source(&["--demo"]), SourceChoice::Demo);
    assert_eq!(
        parsed(Some(file), &["--demo"]).unwrap().baud,
        921_600,
        "other keys stay"
    );
}

/// Several profiles are a board each (SPEC §16): each its own source and settings, under the
/// command line's settings; the command line's sources are boards of their own, and the file's
/// top-level source names none.
#[test]
fn several_profiles_are_a_board_each_with_its_own_settings() {
    use crate::cli::SourceChoice;
    let file = "serial = \"/dev/ttyACM9\"\nfft = 4096\nwindow = \"flattop\"\n\
                [profile.bench1]\nserial = \"/dev/ttyACM0\"\nfft = 8192\n\
                [profile.bench2]\nurl = \"http://lab/events\"\nwindow = \"hann\"\n\
                [profile.nothing]\nfft = 256\n";
    let cli = parsed(
        Some(file),
        &[
            "--profile",
            "bench1",
            "--profile",
            "bench2",
            "--url",
            "http://other/events",
            "--rate",
            "1000",
        ],
    )
    .unwrap();
    let boards = cli.boards();
    let described: Vec<(&str, &SourceChoice)> = boards
        .iter()
        .map(|b| (b.name.as_str(), &b.choice))
        .collect();
    assert_eq!(
        described,
        [
            (
                "other/events",
                &SourceChoice::Url("http://other/events".into())
            ),
            ("bench1", &SourceChoice::Serial("/dev/ttyACM0".into())),
            ("bench2", &SourceChoice::Url("http://lab/events".into())),
        ]
    );
    let settings = |i: usize| {
        let b = boards[i].cli(&cli);
        (b.fft, b.window, b.rate)
    };
    // The command line's board: the top level under the command line.
    assert_eq!(settings(0), (4096, WindowKind::Flattop, Some(1000.0)));
    // Each profile over the top level, and the command line over both.
    assert_eq!(settings(1), (8192, WindowKind::Flattop, Some(1000.0)));
    assert_eq!(settings(2), (4096, WindowKind::Hann, Some(1000.0)));

    // A profile with no source of its own takes the top level's.
    let cli = parsed(Some(file), &["--profile", "bench1", "--profile", "nothing"]).unwrap();
    let boards = cli.boards();
    assert_eq!(
        boards[1].choice,
        SourceChoice::Serial("/dev/ttyACM9".into())
    );
    assert_eq!(boards[1].cli(&cli).fft, 256);
    // …and with none anywhere it is a sentence.
    let bare = "[profile.a]\nfft = 256\n[profile.b]\ndemo = true\n";
    let error = parsed(Some(bare), &["--profile", "a", "--profile", "b"]).unwrap_err();
    assert_eq!(
        error,
        "FILE [profile.a] names no source (url, serial, replay or demo): beside other profiles it is a board, and needs one"
    );
}

#[test]
fn serves_keys_apply_when_serving() {
    let file = "listen = \"127.0.0.1:9999\"\nheartbeat = 5\nfft = 2048\n";
    let cli = parsed(Some(file), &["serve", "--demo"]).unwrap();
    let Some(crate::cli::Command::Serve(args)) = &cli.command else {
        panic!("serve")
    };
    assert_eq!(args.listen.port(), 9999);
    assert_eq!(args.heartbeat, 5.0);
    assert_eq!(cli.fft, 2048);
    let cli = parsed(Some(file), &["serve", "--listen", "127.0.0.1:1"]).unwrap();
    let Some(crate::cli::Command::Serve(args)) = &cli.command else {
        panic!("serve")
    };
    assert_eq!(args.listen.port(), 1, "the command line wins");
    // Not serving: serve's keys are valid, and unused.
    assert_eq!(parsed(Some(file), &[]).unwrap().fft, 2048);
}

#[test]
fn saving_writes_the_profile_in_use_and_keeps_the_rest_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sse-tui").join("config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "# my lab\nurl = \"http://lab/events\"\n\n[profile.bench]\nbaud = 921600\n",
    )
    .unwrap();
    let screen = ScreenSettings {
        fft: 4096,
        window: "blackman-harris",
        db_min: -130.0,
        db_max: -10.0,
        log_freq: true,
        view: "waterfall",
    };
    let file = SettingsFile {
        path: Some(path.clone()),
        profile: Some("bench".into()),
        ..SettingsFile::default()
    };
    let said = save(&file, &screen).unwrap();
    assert!(said.ends_with("config.toml [profile.bench]"), "{said}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# my lab\nurl = \"http://lab/events\""),
        "{text}"
    );
    // Read back, the profile gives what the screen had.
    let argv: Vec<OsString> = [
        "sse-tui",
        "--config",
        path.to_str().unwrap(),
        "--profile",
        "bench",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    let (cli, _) = parse(argv, |_| None).map_err(|e| format!("{e:?}")).unwrap();
    assert_eq!(
        (cli.fft, cli.window, cli.db_min, cli.db_max),
        (4096, WindowKind::BlackmanHarris, -130.0, -10.0)
    );
    assert!(cli.log_freq);
    assert_eq!(cli.view, crate::vocabulary::ViewKind::Waterfall);
    assert_eq!(cli.baud, 921_600);
    // A new file, no profile: the top level.
    let fresh = SettingsFile {
        path: Some(dir.path().join("new").join("config.toml")),
        profile: None,
        ..SettingsFile::default()
    };
    save(&fresh, &screen).unwrap();
    let text = std::fs::read_to_string(fresh.path.unwrap()).unwrap();
    assert!(
        text.contains("fft = 4096") && text.contains("view = \"waterfall\""),
        "{text}"
    );
}
