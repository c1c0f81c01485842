//! A self-signed TLS certificate for 127.0.0.1, made with the openssl CLI for one test
//! run, and its key's SPKI fingerprint: Chromium trusts exactly the certificates whose
//! fingerprint is on `--ignore-certificate-errors-spki-list`, so a second certificate
//! made here is an untrusted one.

use std::path::PathBuf;
use std::process::Command;

use crate::process::ScratchDir;

/// A certificate and its key, in a scratch folder removed on drop.
pub struct Certificate {
    dir: ScratchDir,
    spki_sha256: String,
}

impl Certificate {
    /// Makes a new key and a certificate for `127.0.0.1` (EC P-256, valid for two days).
    pub fn make(name: &str) -> Certificate {
        let dir = ScratchDir::new(name);
        let d = dir.path();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            &d.join("key.pem").display().to_string(),
            "-out",
            &d.join("cert.pem").display().to_string(),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &d.join("key.pem").display().to_string(),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            &d.join("spki.der").display().to_string(),
        ]);
        openssl(&[
            "dgst",
            "-sha256",
            "-binary",
            "-out",
            &d.join("spki.sha256").display().to_string(),
            &d.join("spki.der").display().to_string(),
        ]);
        let spki_sha256 = openssl(&[
            "base64",
            "-A",
            "-in",
            &d.join("spki.sha256").display().to_string(),
        ])
        .trim()
        .to_string();
        Certificate { dir, spki_sha256 }
    }

    /// The certificate (PEM).
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The private key (PEM).
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// The Chromium flag that trusts this certificate and no other.
    pub fn chromium_trust_flag(&self) -> String {
        format!("--ignore-certificate-errors-spki-list={}", self.spki_sha256)
    }
}

/// Runs `openssl args` (the binary named by `WSDOCTOR_OPENSSL`, else Debian's) and
/// returns its standard output.
fn openssl(args: &[&str]) -> String {
    let binary = crate::process::program("WSDOCTOR_OPENSSL", "/usr/bin/openssl");
    let output = Command::new(&binary)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", binary.display()));
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
