//! File names any part of klang writes: the length they are held to and
//! the name to try after a collision (`name-2.ext`). Below the engine, the
//! audio and the video modules alike.

/// Longest file name we produce, in bytes. Well under the 255-byte limit of
/// common file systems, leaving room for a `-N` collision suffix.
pub const MAX_NAME_BYTES: usize = 120;

/// The name to try for the `n`th collision: `name.ext`, `name-2.ext`, ...
pub fn numbered(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext)),
        _ => (name, None),
    };
    let suffix = format!("-{n}");
    let ext_len = ext.map_or(0, |e| e.len() + 1);
    // Shorten the stem rather than exceed the length cap.
    let keep = MAX_NAME_BYTES.saturating_sub(suffix.len() + ext_len);
    let stem = truncate_bytes(stem, keep);
    match ext {
        Some(ext) => format!("{stem}{suffix}.{ext}"),
        None => format!("{stem}{suffix}"),
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char
/// boundary.
pub(crate) fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
