//! placeholder: the sandbox branch replaces this file.
use std::net::SocketAddr;
pub const SANDBOX_KEY: &str = "sandbox";
#[derive(Default)]
pub struct SandboxConfig {}
pub struct SandboxHandle {
    addr: SocketAddr,
}
impl SandboxHandle {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
pub async fn start(_config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    Err(std::io::Error::other("sandbox not merged yet"))
}
