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
    // A WAV header over incompressible samples: klang keeps only what
    // starts like audio, and `klang download` measures nothing, so the
    // figure is the transfer alone.
    let mut file = pseudo_random(((size_mb * 1048576.0) as usize).max(44));
    let header = wav_header(file.len() - 44);
    file[..44].copy_from_slice(&header);
    let body: &'static [u8] = Box::leak(file.into_boxed_slice());

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/result.wav", listener.local_addr()?);
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
        "HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(answer.as_bytes()).await?;
    socket.write_all(body).await?;
    socket.shutdown().await
}

/// The 44-byte header of a 16-bit stereo 44.1 kHz PCM WAV holding
/// `data_len` bytes of samples.
fn wav_header(data_len: usize) -> [u8; 44] {
    let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let mut h = [0u8; 44];
    let fields: [(usize, &[u8]); 13] = [
        (0, b"RIFF"),
        (4, &(36 + data_len).to_le_bytes()),
        (8, b"WAVE"),
        (12, b"fmt "),
        (16, &16u32.to_le_bytes()),
        (20, &1u16.to_le_bytes()),
        (22, &2u16.to_le_bytes()),
        (24, &44_100u32.to_le_bytes()),
        (28, &(44_100u32 * 4).to_le_bytes()),
        (32, &4u16.to_le_bytes()),
        (34, &16u16.to_le_bytes()),
        (36, b"data"),
        (40, &data_len.to_le_bytes()),
    ];
    for (at, bytes) in fields {
        h[at..at + bytes.len()].copy_from_slice(bytes);
    }
    h
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
