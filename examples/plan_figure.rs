//! Times planning a narration, as `klang speak` does before sending
//! anything: split a 100,000-character Markdown script into chunks, key
//! each chunk's request, and look up every key's takes in a real SQLite
//! store (half of them already made, beside `TASKS` other tasks, default
//! 10,000). Median of `RUNS` runs (default 9).
//! `cargo run --release --example plan_figure [-- CHARS]`

use klang::api::{RemoteState, TaskStatus};
use klang::pieces::plan::Plan;
use klang::pieces::split::split;
use klang::pieces::{Voice, content_key, request};
use klang::store::{BatchTag, Inserted, Intent, Store, take_key};
use std::time::Instant;

fn script(chars: usize) -> String {
    let sentences = [
        "The committee met on Tuesday at 3.5 hours past noon, e.g. after lunch.",
        "Dr. Smith presented the figures, which nobody had seen before!",
        "Was it really worth the trouble? Some thought so; others did not.",
        "\u{201c}We will see,\u{201d} said Mr. Jones, closing the folder slowly.",
    ];
    let mut out = String::new();
    let mut n = 0;
    while out.chars().count() < chars {
        if n % 40 == 0 {
            out.push_str(&format!("\n## Part {}\n\n", n / 40 + 1));
        }
        out.push_str(&format!("{n}. {}", sentences[n % sentences.len()]));
        out.push(if n % 7 == 6 { '\n' } else { ' ' });
        if n % 7 == 6 {
            out.push('\n');
        }
        n += 1;
    }
    out.chars().take(chars).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let chars: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runs = env("RUNS", 9).max(1);
    let others = env("TASKS", 10_000);
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("tasks.db"))?;
    let voice = Voice {
        voice_id: "reader_en_m-v1".into(),
        language: "en".into(),
        speed: None,
    };
    let text = script(chars);
    // Half the chunks already made, among other tasks.
    let chunks = split(&text).chunks;
    for (i, chunk) in chunks.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let req = request(&chunk.text, &voice);
        let tag = BatchTag {
            key: take_key(&content_key(&req), 1),
            line: i as i64 + 1,
        };
        let intent = Intent {
            request: &req,
            has_callback: false,
            batch: Some(&tag),
            count: 1,
            group_id: None,
        };
        if let Inserted::New(ids) = store.insert_checked(&intent, &[])? {
            store.mark_submitted(ids[0], &format!("clplan{i:018}"))?;
            let done = TaskStatus {
                state: Some(RemoteState::Completed),
                result_urls: vec!["https://r.example/a.mp3".into()],
                ..Default::default()
            };
            store.apply_status(ids[0], &done)?;
        }
    }
    let other = request("another task", &voice);
    for _ in 0..others {
        store.insert_intent(&other, false)?;
    }
    let mut times = Vec::new();
    let mut splits = Vec::new();
    let mut plan = None;
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(split(&text));
        splits.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let made = Plan::make(split(&text), &voice, &store, &[])?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        plan = Some(made);
    }
    times.sort_by(f64::total_cmp);
    splits.sort_by(f64::total_cmp);
    let plan = plan.ok_or("no run")?;
    println!("splitting alone: median {:.1} ms", splits[splits.len() / 2]);
    println!(
        "planned {} characters: {} segments, {} made, {} to send; median {:.1} ms of {runs} runs (min {:.1}, max {:.1})",
        text.chars().count(),
        plan.segments.len(),
        plan.made(),
        plan.to_send.len(),
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    Ok(())
}
