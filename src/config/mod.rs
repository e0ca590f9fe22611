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

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches};
use toml_edit::{Document, Item, Value};

use crate::cli::Cli;
use crate::error::{AtLine, plain_io_error};
pub use save::{SaveError, save};

/// The file's name in the config directory.
pub const FILE_NAME: &str = "config.toml";
/// The options that choose the file (they cannot be in it), and those no file may set.
const NOT_IN_FILE: [&str; 5] = ["config", "no-config", "profile", "help", "version"];
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

/// What is wrong at one place of the settings file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingError {
    /// The text is not TOML (the parser's own words).
    #[error("{0}")]
    Toml(String),
    #[error("`profile` must be tables: [profile.NAME]")]
    ProfileNotTables,
    #[error("`{0}` chooses the settings file and cannot be in it")]
    ChoosesFile(String),
    #[error("`token` is a secret and stays out of the settings file: give `token-file`")]
    Secret,
    #[error("unknown key `{0}`: not an option of sse-tui or sse-tui serve")]
    UnknownKey(String),
    #[error("`{0}` must be a value, not a table")]
    NotAValue(String),
    #[error("`{0}` must be true or false")]
    NotABool(String),
    #[error("`{0}` takes a value, not true or false")]
    BoolForValue(String),
    #[error("`{0}` takes one value, not a list")]
    ListForValue(String),
    #[error("`{0}` takes a string or a number")]
    WrongType(String),
    #[error("`{key}` uses ${{{name}}}, which is not set in the environment")]
    Unset { key: String, name: String },
    /// The option's own parser refused the value.
    #[error("`{key}` = {text:?}: {why}")]
    Invalid {
        key: String,
        text: String,
        why: String,
    },
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

/// One setting from the file: where it is, and the arguments it stands for.
struct Setting {
    key: String,
    serve_only: bool,
    arguments: Vec<OsString>,
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

/// A key and its value as arguments, checked by the option's own parser.
fn setting(
    key: &str,
    item: &Item,
    command: &clap::Command,
    serve: &clap::Command,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Setting, SettingError> {
    if NOT_IN_FILE.contains(&key) {
        return Err(SettingError::ChoosesFile(key.to_owned()));
    }
    if key == "token" {
        return Err(SettingError::Secret);
    }
    let (arg, serve_only) = match command.get_arguments().find(|a| a.get_long() == Some(key)) {
        Some(arg) => (arg, false),
        None => match serve.get_arguments().find(|a| a.get_long() == Some(key)) {
            Some(arg) => (arg, true),
            None => return Err(SettingError::UnknownKey(key.to_owned())),
        },
    };
    let flag = format!("--{key}");
    let value = item
        .as_value()
        .ok_or_else(|| SettingError::NotAValue(key.to_owned()))?;
    // The option's own parser, on a command of its own: its range and its sentence.
    let alone = clap::Command::new("sse-tui").no_binary_name(true).arg(
        clap::Arg::new("value")
            .long("value")
            .value_parser(arg.get_value_parser().clone())
            .allow_hyphen_values(true),
    );
    let check = |text: &str| -> Result<(), SettingError> {
        alone
            .clone()
            .try_get_matches_from(["--value", text])
            .map(|_| ())
            .map_err(|e| {
                let rendered = e.to_string();
                let first = rendered.lines().next().unwrap_or("");
                // "invalid value 'x' for '--value <value>': why" → why.
                let why = first.rsplit_once("': ").map_or(first, |(_, why)| why);
                SettingError::Invalid {
                    key: key.to_owned(),
                    text: text.to_owned(),
                    why: why.to_owned(),
                }
            })
    };
    let arguments = match arg.get_action() {
        ArgAction::SetTrue => match value.as_bool() {
            Some(true) => vec![flag.into()],
            Some(false) => Vec::new(),
            None => return Err(SettingError::NotABool(key.to_owned())),
        },
        ArgAction::Append => {
            let texts: Vec<String> = match value {
                Value::Array(array) => array
                    .iter()
                    .map(|v| scalar_text(key, v, env))
                    .collect::<Result<_, _>>()?,
                single => vec![scalar_text(key, single, env)?],
            };
            let mut arguments = Vec::new();
            for text in texts {
                check(&text)?;
                arguments.push(OsString::from(&flag));
                arguments.push(text.into());
            }
            arguments
        }
        _ => {
            let text = scalar_text(key, value, env)?;
            check(&text)?;
            vec![flag.into(), text.into()]
        }
    };
    Ok(Setting {
        key: key.to_owned(),
        serve_only,
        arguments,
    })
}

/// A string, number or (for values) boolean as the command line would spell it; `${NAME}` in
/// a string is the environment's NAME.
fn scalar_text(
    key: &str,
    value: &Value,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<String, SettingError> {
    match value {
        Value::String(s) => expand(s.value(), env).map_err(|name| SettingError::Unset {
            key: key.to_owned(),
            name,
        }),
        Value::Integer(i) => Ok(i.value().to_string()),
        Value::Float(f) => Ok(f.value().to_string()),
        Value::Boolean(_) => Err(SettingError::BoolForValue(key.to_owned())),
        Value::Array(_) => Err(SettingError::ListForValue(key.to_owned())),
        _ => Err(SettingError::WrongType(key.to_owned())),
    }
}

/// `${NAME}` replaced by the environment's NAME; `Err(NAME)` for one that is not set.
fn expand(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + end];
        out.push_str(&rest[..start]);
        out.push_str(&env(name).ok_or_else(|| name.to_owned())?);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
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
