//! HTTPS for `serve` (`--tls-cert`, `--tls-key`; SPEC §16): the certificate chain and its key
//! (PEM files) in a rustls config that offers HTTP/2 and HTTP/1.1 by ALPN, so a browser keeps
//! every stream of a page on one connection, and a client without HTTP/2 still gets in.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
pub use tokio_rustls::TlsAcceptor;

/// The acceptor for `cert` (the chain, leaf first) and `key`, or a sentence naming the file
/// that cannot be used.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "cannot read the certificate {}: {}",
                cert.display(),
                pem_words(&e)
            )
        })?;
    if chain.is_empty() {
        return Err(format!(
            "the certificate {} holds no certificate (PEM, \"-----BEGIN CERTIFICATE-----\")",
            cert.display()
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "cannot read the private key {}: {}",
            key.display(),
            pem_words(&e)
        )
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => format!(
            "the key {} does not go with the certificate {}",
            key.display(),
            cert.display()
        ),
        other => format!(
            "cannot use the certificate {} with the key {}: {other}",
            cert.display(),
            key.display()
        ),
    })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn pem_words(e: &pem::Error) -> String {
    match e {
        pem::Error::Io(io) => crate::error::plain_io_error(io),
        pem::Error::NoItemsFound => "it holds no PEM section of that kind".into(),
        other => format!("it is not PEM ({other})"),
    }
}
