//! Self-describing task ids.
//!
//! An id looks like the provider's (`cl` + 22 lowercase base-36 digits) but
//! carries everything needed to answer a query later, so a restarted sandbox
//! still knows tasks created by an earlier run. Layout of the 108-bit value,
//! most significant first:
//!
//! ```text
//! created_ms:43 | model:2 | fail:1 | audio_cs:14 | seed:24 | check:24
//! ```
//!
//! The upper 84 bits are XOR-ed with a mask derived from the checksum so ids
//! created in the same second do not share a visible prefix; any tampered
//! digit breaks the checksum (with probability 1 - 2^-24).

const PREFIX: &str = "cl";
const DIGITS: usize = 22;
const CHECK_BITS: u32 = 24;
const PAYLOAD_BITS: u32 = 84;
const CHECK_MASK: u128 = (1 << CHECK_BITS) - 1;
const PAYLOAD_MASK: u128 = (1 << PAYLOAD_BITS) - 1;
/// Distinguishes sandbox ids from other base-36 strings of the same shape.
const KEY: u64 = 0x6b6c_616e_675f_7362; // "klang_sb"

/// Largest audio length an id can carry, in centiseconds (163.83 s).
pub const MAX_AUDIO_CS: u32 = (1 << 14) - 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    SoundEffects,
    VideoToAudio,
    Tts,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::SoundEffects, Model::VideoToAudio, Model::Tts];

    pub fn name(self) -> &'static str {
        match self {
            Model::SoundEffects => "kling-sound-effects",
            Model::VideoToAudio => "kling-video-to-audio",
            Model::Tts => "kling-tts",
        }
    }

    pub fn from_name(name: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The model as the API reports it in responses.
    pub fn qualified(self) -> String {
        format!("kling-audio/{}", self.name())
    }

    fn index(self) -> u128 {
        match self {
            Model::SoundEffects => 0,
            Model::VideoToAudio => 1,
            Model::Tts => 2,
        }
    }
}

/// Everything a task id encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskId {
    pub created_ms: u64,
    pub model: Model,
    pub fail: bool,
    /// Length of the generated audio in centiseconds.
    pub audio_cs: u32,
    /// Seed for the synthesized audio and response variations (24 bits).
    pub seed: u32,
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer: cheap, well-distributed, stable across versions.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn checksum(payload: u128) -> u128 {
    let lo = payload as u64;
    let hi = (payload >> 64) as u64;
    u128::from(mix(mix(lo ^ KEY) ^ hi) & CHECK_MASK as u64)
}

fn scramble_mask(check: u128) -> u128 {
    let a = mix(check as u64 ^ KEY);
    let b = mix(a);
    ((u128::from(a) << 64) | u128::from(b)) & PAYLOAD_MASK
}

impl TaskId {
    pub fn encode(&self) -> String {
        let payload = (u128::from(self.created_ms & ((1 << 43) - 1)) << 41)
            | (self.model.index() << 39)
            | (u128::from(self.fail) << 38)
            | (u128::from(self.audio_cs.min(MAX_AUDIO_CS)) << 24)
            | u128::from(self.seed & 0xff_ffff);
        let check = checksum(payload);
        let mut value = ((payload ^ scramble_mask(check)) << CHECK_BITS) | check;
        let mut digits = [b'0'; DIGITS];
        for slot in digits.iter_mut().rev() {
            let d = (value % 36) as u8;
            *slot = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            value /= 36;
        }
        let mut out = String::with_capacity(PREFIX.len() + DIGITS);
        out.push_str(PREFIX);
        out.extend(digits.iter().map(|&b| char::from(b)));
        out
    }

    /// `None` for anything that is not an intact sandbox id.
    pub fn decode(id: &str) -> Option<TaskId> {
        let digits = id.strip_prefix(PREFIX)?;
        if digits.len() != DIGITS {
            return None;
        }
        let mut value: u128 = 0;
        for b in digits.bytes() {
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'z' => b - b'a' + 10,
                _ => return None,
            };
            value = value.checked_mul(36)?.checked_add(u128::from(d))?;
        }
        if value >> (CHECK_BITS + PAYLOAD_BITS) != 0 {
            return None;
        }
        let check = value & CHECK_MASK;
        let payload = (value >> CHECK_BITS) ^ scramble_mask(check);
        if checksum(payload) != check {
            return None;
        }
        let model = match (payload >> 39) & 0b11 {
            0 => Model::SoundEffects,
            1 => Model::VideoToAudio,
            2 => Model::Tts,
            _ => return None,
        };
        let audio_cs = ((payload >> 24) & u128::from(MAX_AUDIO_CS)) as u32;
        if audio_cs == 0 {
            return None;
        }
        Some(TaskId {
            created_ms: (payload >> 41) as u64,
            model,
            fail: (payload >> 38) & 1 == 1,
            audio_cs,
            seed: (payload & 0xff_ffff) as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let t = TaskId {
            created_ms: 1_705_123_450_123,
            model: Model::Tts,
            fail: true,
            audio_cs: 7000,
            seed: 0xabcdef,
        };
        let id = t.encode();
        assert_eq!(id.len(), 24);
        assert!(id.starts_with("cl"));
        assert!(
            id[2..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert_eq!(TaskId::decode(&id), Some(t));
        let mut tampered = id.into_bytes();
        tampered[10] = if tampered[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_eq!(TaskId::decode(&tampered), None);
        assert_eq!(TaskId::decode("clxxx"), None);
        assert_eq!(TaskId::decode("clzzzzzzzzzzzzzzzzzzzzzz"), None);
    }
}
