//! Layered configuration: defaults → TOML file → `CONTINUUM_` environment
//! variables → command-line flags, then validation with errors that name the
//! setting at fault.
//!
//! Environment variables nest with a double underscore:
//! `CONTINUUM_LISTEN=127.0.0.1:7400`, `CONTINUUM_DATABASE_URL=postgres://…`.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

/// A configuration that cannot be used, naming the setting.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {message}")]
    File { path: String, message: String },
    #[error("setting `{setting}`: {message}")]
    Invalid { setting: String, message: String },
}

impl ConfigError {
    pub fn invalid(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

/// A configuration that can check itself once all layers are merged.
pub trait Validate {
    /// The top-level settings that `CONTINUUM_<SETTING>` environment
    /// variables may set. Other `CONTINUUM_` variables belong to other tools
    /// (`CONTINUUM_TOKEN` of the command-line client, say) and are ignored.
    const ENV_SETTINGS: &'static [&'static str];

    fn validate(&self) -> Result<(), ConfigError>;
}

/// Merge the layers and validate the result. `flags` holds only the
/// settings given on the command line (skip `None`s when serializing).
pub fn load<T>(file: Option<&Path>, flags: &impl Serialize) -> Result<T, ConfigError>
where
    T: DeserializeOwned + Serialize + Default + Validate,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError::File {
                path: path.display().to_string(),
                message: "no such file".into(),
            });
        }
        figment = figment.merge(Toml::file(path));
    }
    let config: T = figment
        .merge(
            Env::prefixed("CONTINUUM_")
                .split("__")
                .filter(|key| is_setting::<T>(key.as_str())),
        )
        .merge(Serialized::defaults(flags))
        .extract()
        .map_err(|e| {
            let setting = e.path.join(".");
            ConfigError::Invalid {
                setting: if setting.is_empty() {
                    "(file)".into()
                } else {
                    setting
                },
                message: e.kind.to_string(),
            }
        })?;
    config.validate()?;
    Ok(config)
}

/// Whether an environment key (prefix stripped, nesting as `.`) sets one of
/// `T`'s settings. Environment variables are matched without regard to case.
fn is_setting<T: Validate>(key: &str) -> bool {
    let first = key.split('.').next().unwrap_or(key);
    T::ENV_SETTINGS
        .iter()
        .any(|setting| setting.eq_ignore_ascii_case(first))
}

#[cfg(test)]
mod tests {
    // figment's test jail returns its own (large) error type; that is its API.
    #![allow(clippy::unwrap_used, clippy::result_large_err)]
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    struct Sample {
        listen: String,
        workers: u32,
    }

    impl Validate for Sample {
        const ENV_SETTINGS: &'static [&'static str] = &["listen", "workers"];

        fn validate(&self) -> Result<(), ConfigError> {
            if self.workers > 64 {
                return Err(ConfigError::invalid("workers", "at most 64"));
            }
            Ok(())
        }
    }

    #[derive(Serialize)]
    struct Flags {
        #[serde(skip_serializing_if = "Option::is_none")]
        workers: Option<u32>,
    }

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "listen = \"file\"\nworkers = 2")?;
            jail.set_env("CONTINUUM_WORKERS", "3");
            let c: Sample = load(Some(Path::new("c.toml")), &Flags { workers: None }).unwrap();
            assert_eq!(
                c,
                Sample {
                    listen: "file".into(),
                    workers: 3
                }
            );
            let c: Sample = load(Some(Path::new("c.toml")), &Flags { workers: Some(4) }).unwrap();
            assert_eq!(c.workers, 4);
            Ok(())
        });
    }

    #[test]
    fn other_tools_variables_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONTINUUM_TOKEN", "not a setting");
            let c: Sample = load(None, &Flags { workers: None }).unwrap();
            assert_eq!(c, Sample::default());
            Ok(())
        });
    }

    #[test]
    fn errors_name_the_setting() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONTINUUM_WORKERS", "many");
            let err = load::<Sample>(None, &Flags { workers: None }).unwrap_err();
            assert!(err.to_string().contains("`workers`"), "{err}");
            let err = load::<Sample>(None, &Flags { workers: Some(100) }).unwrap_err();
            assert_eq!(err.to_string(), "setting `workers`: at most 64");
            Ok(())
        });
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let err = load::<Sample>(
            Some(Path::new("/nonexistent/c.toml")),
            &Flags { workers: None },
        )
        .unwrap_err();
        assert!(err.to_string().contains("no such file"));
    }
}
