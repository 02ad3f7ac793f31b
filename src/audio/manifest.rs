//! The manifest written beside the rendered files of a group or a piece
//! (`<name>.manifest.csv`): one row a file with its length, loudness, true
//! peak, prompt, the task ids it was made from and what they cost, for a
//! library tool or a spreadsheet. Written atomically.

use std::path::Path;

/// One file of the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestRow {
    /// The file's name (it sits beside the manifest).
    pub file: String,
    pub duration_s: f64,
    pub loudness_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub prompt: String,
    pub task_ids: Vec<String>,
    pub cost_usd: f64,
}

pub const COLUMNS: [&str; 7] = [
    "file",
    "duration_s",
    "loudness_lufs",
    "true_peak_dbtp",
    "prompt",
    "task_ids",
    "cost_usd",
];

/// Text a spreadsheet would run as a formula (a leading `=`, `+`, `-`,
/// `@`, tab or CR) gets a leading `'`, as OWASP advises and `klang
/// export` does.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn figure(value: Option<f64>, decimals: usize) -> String {
    value.map_or(String::new(), |v| format!("{v:.decimals$}"))
}

/// The manifest's bytes.
pub fn csv_bytes(rows: &[ManifestRow]) -> Result<Vec<u8>, String> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| format!("cannot write the manifest: {e}");
    csv.write_record(COLUMNS).map_err(failed)?;
    for r in rows {
        csv.write_record([
            text_cell(&r.file),
            format!("{:.3}", r.duration_s),
            figure(r.loudness_lufs, 1),
            figure(r.true_peak_dbtp, 1),
            text_cell(&r.prompt),
            text_cell(&r.task_ids.join(" ")),
            format!("{:.4}", r.cost_usd),
        ])
        .map_err(failed)?;
    }
    csv.into_inner()
        .map_err(|e| format!("cannot write the manifest: {e}"))
}

/// Writes the manifest at `path`, replacing what is there atomically.
pub fn write(path: &Path, rows: &[ManifestRow]) -> Result<(), String> {
    let bytes = csv_bytes(rows)?;
    crate::atomic_file::write_replacing(path, "manifest", &bytes).map_err(|e| {
        format!(
            "cannot write {}: {e}; check that the folder is writable and has room",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_with_a_formula_defused() {
        let rows = [ManifestRow {
            file: "RAINMisc_Rain_klang_a.wav".into(),
            duration_s: 5.0,
            loudness_lufs: Some(-23.04),
            true_peak_dbtp: None,
            prompt: "=HYPERLINK(\"x\"), rain".into(),
            task_ids: vec!["a".into(), "b".into()],
            cost_usd: 0.0123,
        }];
        let text = String::from_utf8(csv_bytes(&rows).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("file,duration_s,loudness_lufs,true_peak_dbtp,prompt,task_ids,cost_usd")
        );
        assert_eq!(
            lines.next(),
            Some(
                "RAINMisc_Rain_klang_a.wav,5.000,-23.0,,\"'=HYPERLINK(\"\"x\"\"), rain\",a b,0.0123"
            )
        );
    }
}
