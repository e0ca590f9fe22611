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
    let profile = matches.get_one::<String>("profile").cloned();
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
            },
        ));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(name) = &profile {
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
    let layered =
        layer(&text, &path, profile.as_deref(), &matches, &env).map_err(ArgsError::File)?;
    let argv = with_file_arguments(&args, &matches, layered);
    let matches = command.try_get_matches_from(argv).map_err(|e| {
        ArgsError::File(FileError::Together {
            path: path.clone(),
            why: crate::cli::usage_sentence(&e)
                .trim_start_matches("sse-tui: ")
                .to_owned(),
        })
    })?;
    Ok((
        cli(&matches)?,
        SettingsFile {
            path: Some(path),
            profile,
        },
    ))
}

/// The file's arguments: for the program (before the command line's) and for `serve` (after
/// the command line's `serve`).
#[derive(Debug, Default, PartialEq)]
struct FileArguments {
    global: Vec<OsString>,
    serve: Vec<OsString>,
}

/// The top level, then the profile over it key by key, less what the command line sets.
fn layer(
    text: &str,
    path: &Path,
    profile: Option<&str>,
    matches: &clap::ArgMatches,
    env: &impl Fn(&str) -> Option<String>,
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
