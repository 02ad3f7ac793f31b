//! A captured "terminal": every byte the dashboard writes, for tests of
//! the real event loop.

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Screen(pub Arc<Mutex<Vec<u8>>>);

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Screen {
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    /// What was written from byte `from` on, as text.
    pub fn since(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()[from..]).into_owned()
    }

    /// How often `needle` occurs in everything written.
    pub fn count(&self, needle: &[u8]) -> usize {
        self.bytes()
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }
}
