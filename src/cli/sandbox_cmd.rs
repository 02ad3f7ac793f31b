//! `klang sandbox`: the simulated API in the foreground, for trying klang or
//! another client without a key.

use super::args::SandboxArgs;
use super::{Failure, exit};
use crate::sandbox::{self, SandboxConfig};

pub async fn run(args: SandboxArgs) -> Result<i32, Failure> {
    let rates = [
        ("--error-rate", args.error_rate),
        ("--rate-limit-rate", args.rate_limit_rate),
        ("--malformed-rate", args.malformed_rate),
        ("--reset-rate", args.reset_rate),
    ];
    for (flag, rate) in rates {
        if !(0.0..=1.0).contains(&rate) {
            return Err(Failure::usage(format!(
                "{flag} must be between 0 and 1, got {rate}"
            )));
        }
    }
    let config = SandboxConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], args.port)),
        pending_ms: args.pending_ms,
        processing_ms: args.processing_ms,
        latency_ms: args.latency_ms,
        error_rate: args.error_rate,
        rate_limit_rate: args.rate_limit_rate,
        malformed_rate: args.malformed_rate,
        reset_rate: args.reset_rate,
        audio_format: if args.wav {
            sandbox::AudioFormat::Wav
        } else {
            sandbox::AudioFormat::Mp3
        },
        ..SandboxConfig::default()
    };
    let handle = sandbox::start(config).await.map_err(|e| Failure {
        code: exit::USAGE,
        message: format!(
            "cannot start the sandbox on port {}: {e}; pick another --port",
            args.port
        ),
    })?;
    super::output::outln!("klang sandbox listening on {}", handle.base_url());
    super::output::outln!("{}", sandbox::sandbox_keys_help());
    super::output::outln!("Stop with Ctrl-C.");
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(exit::OK)
}
