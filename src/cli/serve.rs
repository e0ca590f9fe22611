//! `serve`'s options (SPEC §4, §8, §10), and what they ask of the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{UsageError, header_pair, number_in};
use crate::error::plain_io_error;
use crate::serve::http::HttpConfig;
use crate::serve::http::tls::{self, TlsAcceptor};
use crate::serve::ssh::SshConfig;
use crate::vocabulary::EventForm;

/// The replay ring and the broadcast queue are allocated up front: bound them.
const MAX_BUFFERED: u64 = 1 << 20;

#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; beyond loopback it needs --token or --token-file
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Publish `frame` events (base64 binary frames) or the JSON form
    #[arg(long, value_enum, default_value_t = EventForm::Frame)]
    pub events: EventForm,
    /// Watchers must send this token (`Authorization: Bearer …`, or `?token=` from a browser)
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Read the token from this file
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// At most this many watchers at once (503 beyond; 1 to 1000000)
    #[arg(long, default_value_t = 2048, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_clients: u32,
    /// Let pages from this origin read the feed (CORS), repeatable
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Events kept for replay after a reconnect (Last-Event-ID; 1 to 1048576)
    #[arg(long, default_value_t = 4096, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUFFERED))]
    pub replay_buffer: u64,
    /// How far one watcher may fall behind before it is told it lagged (1 to 1048576)
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUFFERED))]
    pub queue: u64,
    /// Close a connection whose request headers (or TLS handshake) have not arrived within this many seconds (0.1 to 3600)
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS",
          value_parser = number_in(0.1..=3600.0, "seconds"))]
    pub header_timeout: f64,
    /// Seconds between heartbeat comments (0.01 to 15)
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS",
          value_parser = number_in(0.01..=15.0, "seconds"))]
    pub heartbeat: f64,
    /// Also push every event to this SSE hub's publisher (nchan), repeatable
    #[arg(long, value_name = "URL", value_parser = publish_url)]
    pub publish: Vec<String>,
    /// Extra request header for --publish, repeatable ('Name: value')
    #[arg(long, value_name = "'NAME: VALUE'", value_parser = header_pair)]
    pub publish_header: Vec<(String, String)>,
    /// Serve HTTPS, with HTTP/2 for clients that offer it: the certificate chain (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Show the screen too (default: headless reports on stdout)
    #[arg(long)]
    pub tui: bool,
    #[command(flatten)]
    pub ssh: SshArgs,
}

/// The options of SPEC §8, part of `serve`'s.
#[derive(Clone, Debug, clap::Args)]
pub struct SshArgs {
    /// Also show the screen over SSH on this address (public keys only)
    #[arg(long, value_name = "ADDR")]
    pub ssh: Option<SocketAddr>,
    /// Keys let in over SSH (OpenSSH authorized_keys; default ~/.ssh/authorized_keys)
    #[arg(long, value_name = "FILE", requires = "ssh")]
    pub ssh_authorized_keys: Option<PathBuf>,
    /// The SSH host key, made (Ed25519, mode 0600) when missing (default under the state directory)
    #[arg(long, value_name = "FILE", requires = "ssh")]
    pub ssh_host_key: Option<PathBuf>,
    /// At most this many SSH sessions at once (1 to 4096)
    #[arg(long, default_value_t = 64, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub ssh_max_sessions: u32,
    /// Close an SSH connection after this many seconds without a key from it (0: never; up to 604800)
    #[arg(long, default_value_t = 3600.0, value_name = "SECONDS",
          value_parser = number_in(0.0..=604_800.0, "seconds"))]
    pub ssh_idle_timeout: f64,
    /// Close an SSH connection that has not authenticated within this many seconds (0.1 to 3600)
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS",
          value_parser = number_in(0.1..=3600.0, "seconds"))]
    pub ssh_login_grace: f64,
    /// At most this many SSH connections waiting to authenticate; more are closed at once (1 to 4096)
    #[arg(long, default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub ssh_max_startups: u32,
}

/// An http or https URL, or a sentence saying why not.
fn publish_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(text.to_owned()),
        Ok(url) => Err(format!("{}: is not http or https", url.scheme())),
        Err(e) => Err(format!("not a URL ({e})")),
    }
}

impl ServeArgs {
    /// The token to require, if any.
    pub fn token(&self) -> Result<Option<String>, UsageError> {
        let token = match (&self.token, &self.token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| UsageError::TokenFile {
                        path: path.display().to_string(),
                        why: plain_io_error(&e),
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if token.as_deref() == Some("") {
            return Err(UsageError::EmptyToken);
        }
        if token.is_none() && !self.listen.ip().is_loopback() {
            return Err(UsageError::NeedsToken(self.listen));
        }
        Ok(token)
    }

    /// HTTPS, when asked for: the certificate and key read, or a sentence naming the file.
    pub fn tls(&self) -> Result<Option<TlsAcceptor>, UsageError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => tls::acceptor(cert, key).map(Some).map_err(UsageError::Tls),
            _ => Ok(None),
        }
    }

    /// What the HTTP side is asked to do, with the token `token()` and the TLS `tls()` read.
    pub fn http_config(&self, token: Option<String>, tls: Option<TlsAcceptor>) -> HttpConfig {
        HttpConfig {
            token,
            max_clients: self.max_clients as usize,
            allow_origins: self.allow_origin.clone(),
            heartbeat: Duration::from_secs_f64(self.heartbeat),
            header_timeout: Duration::from_secs_f64(self.header_timeout),
            tls,
        }
    }
}

impl SshArgs {
    /// What the SSH side is asked to do, when it is asked for.
    pub fn config(&self) -> Option<SshConfig> {
        Some(SshConfig {
            addr: self.ssh?,
            authorized_keys: self.ssh_authorized_keys.clone(),
            host_key: self.ssh_host_key.clone(),
            max_sessions: self.ssh_max_sessions as usize,
            idle_timeout: (self.ssh_idle_timeout > 0.0)
                .then(|| Duration::from_secs_f64(self.ssh_idle_timeout)),
            login_grace: Duration::from_secs_f64(self.ssh_login_grace),
            max_startups: self.ssh_max_startups as usize,
        })
    }
}
