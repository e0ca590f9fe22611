//! The screen's settings key (`S`): what the screen changed, written into the settings file's
//! profile in use (or its top level), the rest of the file kept as it was, comments included.

use std::path::PathBuf;

use toml_edit::Item;

use super::SettingsFile;
use crate::error::plain_io_error;
use crate::vocabulary::ScreenSettings;

/// Why the settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("no settings file: there is no config directory")]
    NoConfigDir,
    #[error("several profiles are in use: run one (--profile NAME) to save its settings")]
    SeveralProfiles,
    #[error("cannot read {}: {why}", path.display())]
    Read { path: PathBuf, why: String },
    #[error("{} cannot be read as TOML: {why}", path.display())]
    NotToml { path: PathBuf, why: String },
    #[error("{0} in the settings file is not a table")]
    NotATable(String),
    #[error("cannot make {}: {why}", path.display())]
    MakeDir { path: PathBuf, why: String },
    #[error("cannot write {}: {why}", path.display())]
    Write { path: PathBuf, why: String },
}

/// Writes `settings` into the profile in use (or the top level), keeping the rest of the
/// file as it was; returns where, as a phrase.
pub fn save(file: &SettingsFile, settings: &ScreenSettings) -> Result<String, SaveError> {
    if file.several_profiles {
        return Err(SaveError::SeveralProfiles);
    }
    let path = file.path.clone().ok_or(SaveError::NoConfigDir)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(SaveError::Read {
                path,
                why: plain_io_error(&e),
            });
        }
    };
    let mut document: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| SaveError::NotToml {
                path: path.clone(),
                why: e.message().to_owned(),
            })?;
    let table = match &file.profile {
        Some(name) => {
            let profiles = document
                .entry("profile")
                .or_insert_with(|| {
                    let mut t = toml_edit::Table::new();
                    t.set_implicit(true);
                    Item::Table(t)
                })
                .as_table_mut()
                .ok_or_else(|| SaveError::NotATable("`profile`".into()))?;
            profiles
                .entry(name)
                .or_insert_with(toml_edit::table)
                .as_table_mut()
                .ok_or_else(|| SaveError::NotATable(format!("[profile.{name}]")))?
        }
        None => document.as_table_mut(),
    };
    table["fft"] = toml_edit::value(settings.fft as i64);
    table["window"] = toml_edit::value(settings.window);
    table["db-min"] = toml_edit::value(settings.db_min);
    table["db-max"] = toml_edit::value(settings.db_max);
    table["log-freq"] = toml_edit::value(settings.log_freq);
    table["view"] = toml_edit::value(settings.view);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| SaveError::MakeDir {
            path: dir.to_owned(),
            why: plain_io_error(&e),
        })?;
    }
    // Written whole, then moved over the old: never a half-written file.
    let temporary = path.with_extension("toml.new");
    std::fs::write(&temporary, document.to_string())
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| SaveError::Write {
            path: path.clone(),
            why: plain_io_error(&e),
        })?;
    Ok(match &file.profile {
        Some(name) => format!("{} [profile.{name}]", path.display()),
        None => path.display().to_string(),
    })
}
