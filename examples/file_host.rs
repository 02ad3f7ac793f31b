//! A file host for measuring downloads against curl
//! (`scripts/bench-download.sh`): serves SIZE_MB of bytes from memory on
//! loopback, as fast as the socket takes them, and writes one completed
//! task whose result URL points at it into a klang store.
//!
//! Usage: `cargo run --release --example file_host -- STORE_PATH SIZE_MB`
//! prints the URL on one line, then serves until killed.

use klang::api::{CreateRequest, SoundEffectsParams};
use klang::store::{LocalState, Store, TaskRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: file_host STORE_PATH SIZE_MB";
    let store_path = args.next().ok_or(usage)?;
    let size_mb: f64 = args.next().ok_or(usage)?.parse()?;
    // Not audio: the figure is the transfer, not the measuring klang
    // starts once a file is saved.
    let body: &'static [u8] =
        Box::leak(pseudo_random((size_mb * 1048576.0) as usize).into_boxed_slice());

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/result.bin", listener.local_addr()?);
    seed(&store_path, &url)?;
    println!("{url}");

    loop {
        let (socket, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = serve(socket, body).await {
                eprintln!("file_host: {e}");
            }
        });
    }
}

/// One request per connection: read the head, answer with the whole body.
async fn serve(mut socket: TcpStream, body: &[u8]) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(answer.as_bytes()).await?;
    socket.write_all(body).await?;
    socket.shutdown().await
}

/// Bytes that no file system or link compresses (xorshift).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn seed(store_path: &str, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(std::path::Path::new(store_path))?;
    let now = chrono::Utc::now().timestamp_millis();
    let task = TaskRecord {
        id: 1,
        task_id: Some("clbenchdownload".into()),
        state: LocalState::Completed,
        submitted_at: now,
        create_time: Some(now),
        complete_time: Some(now),
        result_urls: vec![url.to_string()],
        updated_at: now,
        ..TaskRecord::new(CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: "a large file for the download benchmark".into(),
            duration: "5.0".into(),
            callback_url: None,
        }))
    };
    store.insert_many(&[task])?;
    Ok(())
}
