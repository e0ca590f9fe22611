//! Server-Sent Events: the stream parser and the reconnecting client.

pub mod client;
pub mod parser;

/// A URL fit for the screen, reports and logs: no user info, no query (either may hold a
/// secret).
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            let had_query = parsed.query().is_some();
            parsed.set_query(None);
            let mut shown: String = parsed.into();
            if had_query {
                shown.push_str("?…");
            }
            shown
        }
        Err(_) => url.to_owned(),
    }
}
