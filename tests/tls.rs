//! `serve` over HTTPS with HTTP/2 (SPEC §16): the real binary with a lab's certificate (the
//! fixtures `lab_server.pem` and `lab_server.key`, for 127.0.0.1 and localhost, signed by the
//! test authority `lab_ca.pem`, made with openssl as the README says; test fixtures, not
//! secrets), read by an HTTP/2 client, an HTTP/1.1-only client and our own `--url … --ca`; and
//! the sentences for files that cannot be used.

mod common;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use common::ChildGuard;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// DER as PEM, lines of 64 characters.
fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The lab's server certificate, its key, and the authority that signed it.
fn lab() -> (PathBuf, PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    (
        dir.join("lab_server.pem"),
        dir.join("lab_server.key"),
        dir.join("lab_ca.pem"),
    )
}

/// An HTTPS client trusting the lab's authority; HTTP/1.1 only when asked.
fn client(ca: &Path, http1_only: bool) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    let builder = reqwest::Client::builder().add_root_certificate(ca);
    let builder = if http1_only {
        builder.http1_only()
    } else {
        builder
    };
    builder.build().unwrap()
}

/// The value of the counter `sse_tui_http_connections_total{protocol="…"}`.
fn connections(metrics: &str, protocol: &str) -> u64 {
    let name = format!("sse_tui_http_connections_total{{protocol=\"{protocol}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

#[test]
fn https_speaks_http2_to_who_offers_it_and_http1_to_who_does_not() {
    let (cert, key, ca) = lab();
    let mut serve = Command::new(BIN)
        .args(["serve", "--no-config", "--demo", "--listen", "127.0.0.1:0"])
        .args(["--report-every", "1000", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::served_address(&mut BufReader::new(serve.stderr.take().unwrap()));
    let _serve = ChildGuard(serve);
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let (h2, h1) = runtime.block_on(async {
        let url = format!("https://{addr}/healthz");
        let h2 = client(&ca, false).get(&url).send().await.unwrap();
        let h1 = client(&ca, true).get(&url).send().await.unwrap();
        (h2, h1)
    });
    assert_eq!(h2.version(), reqwest::Version::HTTP_2);
    assert!(h2.status().is_success(), "{h2:?}");
    assert_eq!(h1.version(), reqwest::Version::HTTP_11);
    assert!(h1.status().is_success(), "{h1:?}");

    // Our own client, trusting the lab's authority with --ca: every frame, over HTTP/2.
    let out = Command::new(BIN)
        .args([
            "--no-config",
            "--headless",
            "--frames",
            "30",
            "--duration",
            "60",
        ])
        .arg("--url")
        .arg(format!("https://{addr}/events"))
        .arg("--ca")
        .arg(&ca)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["frames"], 30, "{summary}");
    assert_eq!(summary["dropped"], 0, "{summary}");

    let metrics = runtime.block_on(async {
        let url = format!("https://{addr}/metrics");
        let response = client(&ca, true).get(&url).send().await.unwrap();
        response.text().await.unwrap()
    });
    // The first client, and ours (its feed and its clock probe may share one connection).
    assert!(connections(&metrics, "h2") >= 2, "{metrics}");
    assert!(connections(&metrics, "http/1.1") >= 2, "{metrics}");
}

/// `serve --tls-cert CERT --tls-key KEY`: its exit status and what it said.
fn serve_refused(cert: &Path, key: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["serve", "--no-config", "--demo", "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_certificate_or_key_that_cannot_be_used_is_one_sentence_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = lab();
    let missing = dir.path().join("missing.pem");

    let (status, said) = serve_refused(&missing, &key);
    assert_eq!(status, Some(2), "{said}");
    assert!(
        said.contains("cannot read the certificate") && said.contains("missing.pem"),
        "{said}"
    );
    assert_eq!(said.trim().lines().count(), 1, "{said}");

    // The certificate given as the key: no key in it.
    let (status, said) = serve_refused(&cert, &cert);
    assert_eq!(status, Some(2), "{said}");
    assert!(said.contains("cannot read the private key"), "{said}");

    // A key, but another certificate's.
    let other = dir.path().join("other.pem");
    std::fs::write(&other, pem("PRIVATE KEY", &fixture("self_signed_key.der"))).unwrap();
    let (status, said) = serve_refused(&cert, &other);
    assert_eq!(status, Some(2), "{said}");
    assert!(
        said.contains("the key") && said.contains("other.pem does not go with the certificate"),
        "{said}"
    );

    // One without the other.
    let out = Command::new(BIN)
        .args(["serve", "--no-config", "--demo", "--tls-cert"])
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}

#[test]
fn a_certificate_authority_that_is_not_pem_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let der = dir.path().join("ca.der");
    std::fs::write(&der, fixture("self_signed_cert.der")).unwrap();
    let out = Command::new(BIN)
        .args([
            "--no-config",
            "--headless",
            "--url",
            "https://127.0.0.1:9/events",
        ])
        .arg("--ca")
        .arg(&der)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        said.contains("cannot use the certificate authority") && said.contains("ca.der"),
        "{said}"
    );
}
