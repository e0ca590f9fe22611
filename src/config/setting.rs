//! One key of the settings file and its value, as the command-line arguments they stand for,
//! checked by the option's own parser; or what is wrong with them.

use std::ffi::OsString;

use clap::ArgAction;
use toml_edit::{Item, Value};

/// The options that choose the file (they cannot be in it), and those no file may set.
const NOT_IN_FILE: [&str; 5] = ["config", "no-config", "profile", "help", "version"];

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

/// One setting from the file: where it is, and the arguments it stands for.
pub struct Setting {
    pub key: String,
    pub serve_only: bool,
    pub arguments: Vec<OsString>,
}

/// A key and its value as arguments, checked by the option's own parser.
pub fn setting(
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
