//! An HTTPS server on 127.0.0.1 (port chosen by the OS) with a self-signed certificate: the
//! fixtures `self_signed_cert.der` / `self_signed_key.der` (made with openssl for 127.0.0.1,
//! valid for a century; a test fixture, not a secret). Each connection is answered by
//! `answer(path)` on a thread of its own; stopped when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TlsServer {
    pub addr: SocketAddr,
    pub paths: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

impl TlsServer {
    /// `answer(path)` gives the whole response (status line, headers, body) for a request.
    pub fn start(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Self {
        let cert = CertificateDer::from(fixture("self_signed_cert.der"));
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(fixture("self_signed_key.der")));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let answer = Arc::new(answer);
        let (log, stopping) = (paths.clone(), stop.clone());
        std::thread::spawn(move || {
            for socket in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(socket) = socket else { continue };
                let (config, answer, log) = (config.clone(), answer.clone(), log.clone());
                std::thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, socket);
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head);
                    let path = text.split(' ').nth(1).unwrap_or("").to_owned();
                    log.lock().unwrap().push(path.clone());
                    let _ = tls.write_all(&answer(&path));
                    let _ = tls.flush();
                    // Hold the stream open a while: the client closes it when it is done.
                    let _ = tls.read(&mut buf);
                });
            }
        });
        Self { addr, paths, stop }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.addr);
    }
}
