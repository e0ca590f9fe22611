//! One SSH connection: public-key authentication against the allowed keys, then one session
//! channel whose shell is the live screen, or a sentence and a close for what it is not (a
//! command, no pty, too many sessions).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId};

use super::screen::{Pty, UNKNOWN_SIZE, keeps_the_column, screen, screen_size};
use super::shared::{Seat, Shared, Startup};

pub struct Connection {
    shared: Arc<Shared>,
    channel: Option<Channel<Msg>>,
    pty: Option<Pty>,
    /// Its place among those waiting to authenticate, until it does.
    startup: Option<Startup>,
    /// Told when it authenticates (its grace no longer applies).
    authenticated: tokio::sync::watch::Sender<bool>,
}

impl Connection {
    pub fn new(
        shared: Arc<Shared>,
        startup: Startup,
        authenticated: tokio::sync::watch::Sender<bool>,
    ) -> Self {
        shared.connections.fetch_add(1, Ordering::AcqRel);
        Self {
            shared,
            channel: None,
            pty: None,
            startup: Some(startup),
            authenticated,
        }
    }

    /// The verdict on a key; an admitted one ends the wait to authenticate.
    fn admit(&mut self, admitted: bool) -> Auth {
        if admitted {
            self.startup = None;
            let _ = self.authenticated.send(true);
        }
        verdict(admitted)
    }
}

/// russh drops the handler when the connection's session ends.
impl Drop for Connection {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::AcqRel);
        self.shared.connection_closed.notify_waiters();
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    /// Unlisted keys are refused here, before the client is asked to sign anything.
    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(self.shared.allowed.admits(offer.public_key)))
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let admitted = self.shared.allowed.admits(key.public_key);
        Ok(self.admit(admitted))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One screen per connection; a second channel is refused (dropping the reply does).
        if self.channel.is_none() {
            self.channel = Some(channel);
            reply.accept().await;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // A client whose input is not a terminal (`ssh -tt host < file`, a script) asks for
        // 0×0: it is drawn at a terminal's usual 80×24 until a window change says more.
        self.pty = Some(Pty {
            term: term.to_owned(),
            size: screen_size(col_width, row_height).unwrap_or(UNKNOWN_SIZE),
            line_feeds: keeps_the_column(session.remote_sshid()),
        });
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let Some(open) = self.channel.take() else {
            return Ok(());
        };
        let shared = self.shared.clone();
        match self.pty.clone() {
            None => {
                let why = "sse-tui: this server shows a screen and needs a terminal: \
                           connect with `ssh -t`\r\n";
                tokio::spawn(refuse(open, why.to_owned(), 1));
            }
            Some(pty) => match Seat::take(&shared) {
                Some(seat) => {
                    tokio::spawn(screen(open, pty, shared, seat));
                }
                None => {
                    let why = format!(
                        "sse-tui: all {} sessions are taken; try again later\r\n",
                        shared.max_sessions
                    );
                    tokio::spawn(refuse(open, why, 1));
                }
            },
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        if let Some(open) = self.channel.take() {
            let why = format!(
                "sse-tui: this server runs no commands (asked: {:?}); for the live screen, \
                 connect without one: {}\r\n",
                String::from_utf8_lossy(data),
                self.shared.address
            );
            tokio::spawn(refuse(open, why, 2));
        }
        Ok(())
    }
}

fn verdict(admitted: bool) -> Auth {
    if admitted {
        Auth::Accept
    } else {
        Auth::reject()
    }
}

/// A sentence on the watcher's stderr, an exit status, and the channel closed.
async fn refuse(channel: Channel<Msg>, why: String, status: u32) {
    let _ = channel.extended_data_bytes(1, Bytes::from(why)).await;
    let _ = channel.exit_status(status).await;
    let _ = channel.eof().await;
    let _ = channel.close().await;
}
