//! The settings file (SPEC §11): `config.toml` in the XDG config directory, or `--config
//! FILE`; keys are the long options without `--`, a `[profile.NAME]` table holds a named set
//! chosen with `--profile NAME`. Precedence: the command line, then the profile, then the
//! file's top level, then the defaults.
//!
//! The file is turned into command-line arguments and put under those the user typed, so
//! every value goes through the same parser, ranges and sentences as the command line; what
//! the command line sets itself, the file does not touch (a list such as `header` included).
//! Each value is checked on its own first, so a wrong one is named with its file, line and
//! key. Secrets stay out: `token` is refused (give `token-file`), and a string may take a
//! secret from the environment as `${NAME}`.

mod save;
mod setting;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use toml_edit::{Document, Item};

use crate::cli::Cli;
use crate::error::{AtLine, plain_io_error};
pub use save::{SaveError, save};
pub use setting::SettingError;
use setting::{Setting, setting};

/// The file's name in the config directory.
pub const FILE_NAME: &str = "config.toml";
/// The options that pick a source: one slot, so a profile's or the command line's source
/// replaces the file's instead of clashing with it.
const SOURCES: [&str; 5] = ["demo", "url", "serial", "replay", "list-ports"];

/// Where the settings came from: what the key that saves the screen's settings writes to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsFile {
    pub path: Option<PathBuf>,
    pub profile: Option<String>,
    /// Several profiles are boards of one run: none of them is the one to save into.
    pub several_profiles: bool,
}

#[derive(Debug)]
pub enum ArgsError {
    /// The command line itself (clap's error, or `--help`).
    Clap(clap::Error),
    /// The settings file.
    File(FileError),
}

/// What is wrong with the settings file, as one sentence.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("--profile {name}: there is no settings file ({} does not exist)", path.display())]
    NoFileForProfile { name: String, path: PathBuf },
    #[error("cannot read the settings file {}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error("{} has no [profile.{name}] ({})", path.display(), profiles_phrase(known))]
    NoProfile {
        path: PathBuf,
        name: String,
        known: Vec<String>,
    },
    #[error(
        "{} [profile.{name}] names no source (url, serial, replay or demo): beside other profiles it is a board, and needs one",
        path.display()
    )]
    NoSourceInProfile { path: PathBuf, name: String },
    /// A key, or the file's text, at a line.
    #[error(transparent)]
    At(#[from] AtLine<SettingError>),
    /// The settings together do not make a command line (clap's sentence).
    #[error("{}: {why}", path.display())]
    Together { path: PathBuf, why: String },
}

fn profiles_phrase(known: &[String]) -> String {
    if known.is_empty() {
        "it has no profiles".to_owned()
    } else {
        format!("its profiles: {}", known.join(", "))
    }
}

/// `$XDG_CONFIG_HOME/sse-tui/config.toml`, else `~/.config/sse-tui/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let dirs = etcetera::choose_base_strategy().ok()?;
    Some(dirs.config_dir().join("sse-tui").join(FILE_NAME))
}

/// Parses `args` (the program's name first) with the settings file under them; `env` reads
/// the environment (for `${NAME}` in values).
pub fn parse(
    args: Vec<OsString>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Cli, SettingsFile), ArgsError> {
    let command = Cli::command();
    let matches = command
        .clone()
        .try_get_matches_from(&args)
        .map_err(ArgsError::Clap)?;
    let cli = |matches: &clap::ArgMatches| Cli::from_arg_matches(matches).map_err(ArgsError::Clap);
    if matches.get_flag("no_config") {
        return Ok((cli(&matches)?, SettingsFile::default()));
    }
    let profiles: Vec<String> = matches
        .get_many::<String>("profile")
        .map(|names| names.cloned().collect())
        .unwrap_or_default();
    // One profile sets the whole run; several are a board each (SPEC §16).
    let several = profiles.len() > 1;
    let profile = profiles.first().cloned().filter(|_| !several);
    let (path, explicit) = match matches.get_one::<PathBuf>("config") {
        Some(path) => (Some(path.clone()), true),
        None => (default_path(), false),
    };
    let Some(path) = path else {
        return Ok((
            cli(&matches)?,
            SettingsFile {
                path: None,
                profile,
                ..SettingsFile::default()
            },
        ));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(name) = profiles.first() {
                return Err(ArgsError::File(FileError::NoFileForProfile {
                    name: name.clone(),
                    path,
                }));
            }
            return Ok((
                cli(&matches)?,
                SettingsFile {
                    path: Some(path),
                    profile,
                    ..SettingsFile::default()
                },
            ));
        }
        Err(e) => {
            return Err(ArgsError::File(FileError::Unreadable {
                why: plain_io_error(&e),
                path,
            }));
        }
    };
    let sources = if several {
        Sources::CommandLineOnly
    } else {
        Sources::AsUsual
    };
    let layered = layer(&text, &path, profile.as_deref(), &matches, &env, sources)
        .map_err(ArgsError::File)?;
    let argv = with_file_arguments(&args, &matches, layered);
    let together = |e: clap::Error| {
        ArgsError::File(FileError::Together {
            path: path.clone(),
            why: crate::cli::usage_sentence(&e)
                .trim_start_matches("sse-tui: ")
                .to_owned(),
        })
    };
    let parsed = command
        .clone()
        .try_get_matches_from(argv)
        .map_err(together)?;
    let mut run = cli(&parsed)?;
    if several {
        for name in &profiles {
            let board = profile_board(&text, &path, name, &args, &matches, &env)?;
            run.profile_boards
                .push((name.clone(), std::sync::Arc::new(board)));
        }
    }
    Ok((
        run,
        SettingsFile {
            path: Some(path),
            profile,
            several_profiles: several,
        },
    ))
}

/// One profile of several as a board: the command line and the file's top level under the
/// profile, as for one profile, but with the profile's own source (the command line's
/// sources are boards of their own).
fn profile_board(
    text: &str,
    path: &Path,
    name: &str,
    args: &[OsString],
    matches: &clap::ArgMatches,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Cli, ArgsError> {
    let together = |e: clap::Error| {
        ArgsError::File(FileError::Together {
            path: path.to_owned(),
            why: format!(
                "[profile.{name}]: {}",
                crate::cli::usage_sentence(&e).trim_start_matches("sse-tui: ")
            ),
        })
    };
    let mut layered = layer(text, path, Some(name), matches, env, Sources::ProfileOwn)
        .map_err(ArgsError::File)?;
    let source = std::mem::take(&mut layered.source);
    if source.is_empty() {
        return Err(ArgsError::File(FileError::NoSourceInProfile {
            path: path.to_owned(),
            name: name.to_owned(),
        }));
    }
    let argv = with_file_arguments(args, matches, layered);
    let command = Cli::command();
    let parsed = command
        .clone()
        .try_get_matches_from(argv)
        .map_err(together)?;
    let mut board = Cli::from_arg_matches(&parsed).map_err(ArgsError::Clap)?;
    // The profile's source alone, through the same parser.
    let own = command
        .try_get_matches_from(std::iter::once(args[0].clone()).chain(source))
        .map_err(together)?;
    let own = Cli::from_arg_matches(&own).map_err(ArgsError::Clap)?;
    board.url = own.url;
    board.serial = own.serial;
    board.replay = own.replay;
    board.demo = own.demo;
    board.list_ports = false;
    Ok(board)
}

/// Where a run's sources come from when layering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sources {
    /// The command line's, else the profile's, else the top level's.
    AsUsual,
    /// The command line's only: beside several profiles, the file's top level names no board.
    CommandLineOnly,
    /// The profile's (else the top level's), kept apart: a board of several profiles.
    ProfileOwn,
}

/// The file's arguments: for the program (before the command line's) and for `serve` (after
/// the command line's `serve`).
#[derive(Debug, Default, PartialEq)]
struct FileArguments {
    global: Vec<OsString>,
    serve: Vec<OsString>,
    /// The source's, kept apart for [`Sources::ProfileOwn`].
    source: Vec<OsString>,
}

/// The top level, then the profile over it key by key, less what the command line sets.
fn layer(
    text: &str,
    path: &Path,
    profile: Option<&str>,
    matches: &clap::ArgMatches,
    env: &impl Fn(&str) -> Option<String>,
    sources: Sources,
) -> Result<FileArguments, FileError> {
    let wrong = |offset: usize, what: SettingError| {
        FileError::At(AtLine::at_offset(path, text, offset, what))
    };
    let document = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim_end().replace('\n', "; ");
        wrong(offset, SettingError::Toml(message))
    })?;
    let root = document.as_table();
    let command = Cli::command();
    let serve = command
        .find_subcommand("serve")
        .expect("serve is a subcommand")
        .clone();
    let mut settings: Vec<Setting> = Vec::new();
    let mut layers = vec![(root, false)];
    if let Some(name) = profile {
        let table = root
            .get("profile")
            .and_then(Item::as_table)
            .and_then(|profiles| profiles.get(name))
            .and_then(Item::as_table)
            .ok_or_else(|| FileError::NoProfile {
                path: path.to_owned(),
                name: name.to_owned(),
                known: root
                    .get("profile")
                    .and_then(Item::as_table)
                    .map(|p| p.iter().map(|(k, _)| k.to_owned()).collect())
                    .unwrap_or_default(),
            })?;
        layers.push((table, true));
    }
    for (table, is_profile) in layers {
        for (key, item) in table.iter() {
            let offset = table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span())
                .map_or(0, |s| s.start);
            if !is_profile && key == "profile" {
                if !item.is_table() {
                    return Err(wrong(offset, SettingError::ProfileNotTables));
                }
                continue;
            }
            let setting =
                setting(key, item, &command, &serve, env).map_err(|why| wrong(offset, why))?;
            // A later layer's value (the profile's) replaces the earlier one; a source
            // replaces any source.
            let slot = |k: &str| {
                if SOURCES.contains(&k) {
                    "source".to_owned()
                } else {
                    k.to_owned()
                }
            };
            settings.retain(|s| slot(&s.key) != slot(&setting.key));
            settings.push(setting);
        }
    }
    let set_on_command_line = |key: &str, serve_only: bool| {
        let matches = if serve_only {
            match matches.subcommand_matches("serve") {
                Some(m) => m,
                None => return true, // not serving: serve's settings do not apply
            }
        } else {
            matches
        };
        let keys: &[&str] = if SOURCES.contains(&key) {
            &SOURCES
        } else {
            &[key]
        };
        keys.iter().any(|k| {
            id_of(if serve_only { &serve } else { &command }, k)
                .is_some_and(|id| matches.value_source(&id) == Some(ValueSource::CommandLine))
        })
    };
    let mut arguments = FileArguments::default();
    for s in settings {
        let is_source = SOURCES.contains(&s.key.as_str());
        match sources {
            Sources::CommandLineOnly if is_source => continue,
            Sources::ProfileOwn if is_source => {
                arguments.source.extend(s.arguments);
                continue;
            }
            _ => {}
        }
        if set_on_command_line(&s.key, s.serve_only) {
            continue;
        }
        if s.serve_only {
            arguments.serve.extend(s.arguments);
        } else {
            arguments.global.extend(s.arguments);
        }
    }
    Ok(arguments)
}

fn id_of(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .map(|a| a.get_id().to_string())
}

/// The command line with the file's arguments put under it: the program's before everything,
/// serve's right after `serve`.
fn with_file_arguments(
    args: &[OsString],
    matches: &clap::ArgMatches,
    file: FileArguments,
) -> Vec<OsString> {
    let mut argv = vec![args[0].clone()];
    argv.extend(file.global);
    let serve_at = matches
        .subcommand_name()
        .and_then(|name| args.iter().skip(1).position(|a| a == name).map(|i| i + 1));
    match serve_at {
        Some(at) => {
            argv.extend_from_slice(&args[1..=at]);
            argv.extend(file.serve);
            argv.extend_from_slice(&args[at + 1..]);
        }
        None => argv.extend_from_slice(&args[1..]),
    }
    argv
}

#[cfg(test)]
mod tests;
