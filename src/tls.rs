//! One TLS configuration for every HTTP client in the process, with the
//! system's root certificates read when the first TLS handshake needs
//! them. Reading and parsing them is the largest part of klang's start-up;
//! reqwest would do it once per client (the API, the file hosts, the
//! sandbox's callbacks) whether or not any of them speaks TLS, and the
//! sandbox and loopback file hosts never do.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, OnceLock};

/// The shared configuration: the platform's verifier (system roots), TLS
/// 1.2 and 1.3, HTTP/2 and HTTP/1.1 offered by ALPN, as reqwest would
/// build it. Cloning it is cheap (it holds `Arc`s).
pub fn client_config() -> Result<rustls::ClientConfig, String> {
    static SHARED: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    SHARED.get_or_init(build).clone()
}

fn build() -> Result<rustls::ClientConfig, String> {
    // A provider installed by the process wins, as in reqwest.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = Arc::new(LazyRoots::new(provider.clone()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform verifier, created (roots read) on the first certificate
/// to check. Until then only the signature schemes are asked for, and
/// those come from the crypto provider.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    platform: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyRoots {
    fn new(provider: Arc<CryptoProvider>) -> LazyRoots {
        LazyRoots {
            provider,
            platform: OnceLock::new(),
        }
    }

    fn platform(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.platform
            .get_or_init(|| {
                tracing::debug!("reading the system's root certificates");
                rustls_platform_verifier::Verifier::new(self.provider.clone()).map_err(|e| {
                    rustls::Error::General(format!(
                        "cannot load the system's root certificates ({e}); install ca-certificates"
                    ))
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    #[cfg(test)]
    fn roots_read(&self) -> bool {
        self.platform.get().is_some()
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.platform()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reqwest_accepts_the_shared_config() {
        // A version mismatch between our rustls and reqwest's would make
        // this an "unknown TLS backend" error.
        reqwest::Client::builder()
            .tls_backend_preconfigured(client_config().unwrap())
            .build()
            .unwrap();
    }

    #[test]
    fn roots_are_read_on_the_first_certificate_check_only() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let lazy = LazyRoots::new(provider.clone());
        let eager = rustls_platform_verifier::Verifier::new(provider).unwrap();
        assert_eq!(
            lazy.supported_verify_schemes(),
            eager.supported_verify_schemes()
        );
        assert!(!lazy.roots_read(), "asking for schemes reads no roots");
        // Not a certificate at all: refused, as the eager verifier does.
        let junk = CertificateDer::from(vec![1u8, 2, 3]);
        let name = ServerName::try_from("apimodels.app").unwrap();
        let now = UnixTime::now();
        let lazily = lazy.verify_server_cert(&junk, &[], &name, &[], now);
        let eagerly = eager.verify_server_cert(&junk, &[], &name, &[], now);
        assert!(lazy.roots_read());
        assert!(lazily.is_err());
        assert_eq!(lazily.unwrap_err(), eagerly.unwrap_err());
    }
}
