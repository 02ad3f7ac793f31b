//! Reading a batch file a line at a time: each line checked to be UTF-8
//! (a bad byte names its line and offset), then JSON Lines parsed line by
//! line or CSV by the csv crate's streaming reader. Nothing holds the
//! whole file.

use super::LineError;
use super::parse::{Row, error, field_list, known};
use serde_json::{Map, Value};
use std::io::BufRead;

/// The lines of a reader, each checked to be UTF-8, with their numbers
/// and where they start in the file.
pub(super) struct Utf8Lines<R> {
    inner: R,
    /// The number of the line last read (1-based).
    number: u64,
    /// The file offset of the next line.
    offset: u64,
    /// The line last read, with its line ending.
    line: Vec<u8>,
}

impl<R: BufRead> Utf8Lines<R> {
    pub(super) fn new(inner: R) -> Self {
        Utf8Lines {
            inner,
            number: 0,
            offset: 0,
            line: Vec::new(),
        }
    }

    /// The next line with its ending and its number, or `None` at the
    /// end. An `Err` is a line that is not UTF-8 (reading goes on) or a
    /// read error (then the end follows).
    fn next_line(&mut self) -> Option<Result<(u64, &str), LineError>> {
        self.line.clear();
        let start = self.offset;
        match self.inner.read_until(b'\n', &mut self.line) {
            Ok(0) => return None,
            Ok(n) => self.offset += n as u64,
            Err(e) => {
                self.number += 1;
                // Nothing more is read after a failed read.
                self.offset = u64::MAX;
                return Some(Err(error(
                    self.number,
                    "line",
                    format!("cannot be read ({e})"),
                )));
            }
        }
        self.number += 1;
        let number = self.number;
        Some(std::str::from_utf8(&self.line).map(|l| (number, l)).map_err(|e| {
            let at = start + e.valid_up_to() as u64;
            let byte = self.line[e.valid_up_to()];
            error(
                number,
                "encoding",
                format!("byte 0x{byte:02x} at byte offset {at} is not UTF-8; save the file as UTF-8"),
            )
        }))
    }
}

/// Feeds each row of JSON Lines to `take` until it says stop; a read
/// error ends the rows.
pub(super) fn jsonl_rows<R: BufRead>(
    source: &mut Utf8Lines<R>,
    take: &mut impl FnMut(Row) -> bool,
) -> Option<LineError> {
    while source.offset != u64::MAX {
        let (number, line) = match source.next_line()? {
            Ok((number, line)) => (number, line.trim()),
            Err(e) => {
                if !take(Err(e)) {
                    return None;
                }
                continue;
            }
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let row = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => Ok((number, map)),
            Ok(_) => Err(error(number, "line", "must be a JSON object")),
            Err(e) => Err(error(number, "line", format!("is not JSON ({e})"))),
        };
        if !take(row) {
            return None;
        }
    }
    None
}

/// [`Utf8Lines`] as bytes for the CSV reader, which stops at a line that
/// is not UTF-8 (kept in `refused`) as at a read error.
struct CheckedBytes<'a, R> {
    source: &'a mut Utf8Lines<R>,
    at: usize,
    refused: Option<LineError>,
}

impl<R: BufRead> std::io::Read for CheckedBytes<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.source.line.len() {
            if self.refused.is_some() || self.source.offset == u64::MAX {
                return Ok(0);
            }
            match self.source.next_line() {
                None => return Ok(0),
                Some(Ok(_)) => self.at = 0,
                Some(Err(e)) => {
                    let shown = e.to_string();
                    self.refused = Some(e);
                    self.source.line.clear();
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, shown));
                }
            }
        }
        let left = &self.source.line[self.at..];
        let n = left.len().min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        self.at += n;
        Ok(n)
    }
}

/// CSV with a header naming the fields. Empty cells are absent fields.
/// Feeds each row to `take` until it says stop; a line that is not UTF-8
/// or cannot be read ends the rows and is returned.
pub(super) fn csv_rows<R: BufRead>(
    source: &mut Utf8Lines<R>,
    take: &mut impl FnMut(Row) -> bool,
) -> Option<LineError> {
    let mut bytes = CheckedBytes {
        source,
        at: 0,
        refused: None,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::None)
        .from_reader(&mut bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            drop(reader);
            return Some(
                bytes
                    .refused
                    .take()
                    .unwrap_or_else(|| error(1, "header", format!("cannot be read ({e})"))),
            );
        }
    };
    for unknown in headers.iter().filter(|h| !known(h.trim())) {
        let unknown = error(1, unknown, format!("is not a field; use {}", field_list()));
        if !take(Err(unknown)) {
            return None;
        }
    }
    let mut record = csv::StringRecord::new();
    loop {
        let number = reader.position().line();
        let row = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => record_row(&headers, &record),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => break,
            Err(e) => {
                let number = e.position().map_or(number, |p| p.line());
                Some(Err(error(number, "row", format!("is not valid CSV ({e})"))))
            }
        };
        if let Some(row) = row
            && !take(row)
        {
            return None;
        }
    }
    drop(reader);
    bytes.refused.take()
}

/// One CSV record as a row; `None` for a row of empty cells.
fn record_row(headers: &csv::StringRecord, record: &csv::StringRecord) -> Option<Row> {
    let number = record.position().map_or(0, |p| p.line());
    let mut map = Map::new();
    for (name, cell) in headers.iter().zip(record.iter()) {
        if !cell.is_empty() && known(name.trim()) {
            map.insert(name.trim().to_string(), Value::String(cell.to_string()));
        }
    }
    (!map.is_empty()).then_some(Ok((number, map)))
}
