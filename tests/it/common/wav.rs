//! Real audio headers for the test file hosts: klang refuses a body whose
//! first bytes are no audio format, so every "result file" a test serves
//! starts like a real one.

/// The 44-byte header of a 16-bit stereo 44.1 kHz PCM WAV whose sample
/// data is `data_len` bytes.
pub fn wav_header(data_len: usize) -> [u8; 44] {
    let data_len = data_len as u32;
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&2u16.to_le_bytes()); // channels
    h[24..28].copy_from_slice(&44_100u32.to_le_bytes());
    h[28..32].copy_from_slice(&(44_100u32 * 4).to_le_bytes());
    h[32..34].copy_from_slice(&4u16.to_le_bytes()); // block align
    h[34..36].copy_from_slice(&16u16.to_le_bytes()); // bits
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// `bytes` made into a WAV of the same length: its first 44 bytes become
/// the header, the rest is sample data (noise, as far as a player cares).
pub fn as_wav(mut bytes: Vec<u8>) -> Vec<u8> {
    assert!(bytes.len() >= 44, "a WAV needs 44 bytes of header");
    let header = wav_header(bytes.len() - 44);
    bytes[..44].copy_from_slice(&header);
    bytes
}
