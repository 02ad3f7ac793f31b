//! File names by the Universal Category System (UCS), as sound libraries
//! name their files: `CatID_FXName_CreatorID_SourceID.wav`. The CatID is
//! suggested from the prompt's words (a small table of common categories;
//! each CatID is its UCS category's general or misc subcategory) or given
//! with `--catid`; the FXName is the prompt's first words in title case,
//! at most 25 characters as UCS recommends; the creator is klang; the
//! source is the task id (or the piece).

/// The CatID used when no word of the prompt is in the table.
pub const FALLBACK_CATID: &str = "DSGNMisc";

/// (CatID, the words that suggest it).
const TABLE: &[(&str, &[&str])] = &[
    (
        "FEETMisc",
        &[
            "footstep",
            "footsteps",
            "steps",
            "walking",
            "running",
            "stomp",
        ],
    ),
    ("DOORMisc", &["door", "doors", "gate", "hatch", "knock"]),
    (
        "GUNMisc",
        &[
            "gun", "guns", "gunshot", "rifle", "pistol", "shotgun", "shot", "shots",
        ],
    ),
    (
        "EXPLMisc",
        &["explosion", "explosions", "blast", "bomb", "detonation"],
    ),
    (
        "VEHMisc",
        &[
            "car",
            "cars",
            "truck",
            "engine",
            "motorcycle",
            "bus",
            "train",
            "vehicle",
            "traffic",
        ],
    ),
    ("AIRMisc", &["airplane", "aircraft", "jet", "helicopter"]),
    ("THUNMisc", &["thunder", "thunderstorm", "lightning"]),
    (
        "RAINMisc",
        &["rain", "raining", "drizzle", "downpour", "raindrops"],
    ),
    (
        "WINDMisc",
        &["wind", "windy", "gust", "gusts", "breeze", "howling"],
    ),
    (
        "FIREMisc",
        &[
            "fire",
            "flame",
            "flames",
            "campfire",
            "fireplace",
            "crackling",
            "burning",
        ],
    ),
    (
        "WATRMisc",
        &[
            "water",
            "river",
            "stream",
            "waves",
            "ocean",
            "sea",
            "splash",
            "drip",
            "dripping",
            "waterfall",
            "creek",
        ],
    ),
    (
        "BIRDMisc",
        &[
            "bird", "birds", "birdsong", "chirp", "chirping", "crow", "seagull",
        ],
    ),
    (
        "ANMLMisc",
        &["dog", "cat", "horse", "cow", "animal", "barking", "growl"],
    ),
    (
        "VOXMisc",
        &[
            "voice", "voices", "speech", "talking", "whisper", "scream", "laugh", "crowd",
        ],
    ),
    (
        "MUSCMisc",
        &[
            "music", "melody", "piano", "guitar", "drum", "drums", "synth", "chord",
        ],
    ),
    (
        "FOLYMisc",
        &[
            "foley", "cloth", "rustle", "paper", "keys", "glass", "cup", "plate", "chair",
        ],
    ),
    (
        "AMBMisc",
        &[
            "ambience",
            "ambient",
            "atmosphere",
            "room",
            "tone",
            "forest",
            "city",
            "street",
            "cafe",
            "office",
            "night",
            "park",
        ],
    ),
];

/// The CatID the prompt's words suggest: the category of its first word
/// in the table (a prompt names its subject first: "rain on a tin roof,
/// distant thunder" is rain, "footsteps in the rain" footsteps), else
/// [`FALLBACK_CATID`].
pub fn suggest_catid(prompt: &str) -> &'static str {
    prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .find_map(|w| {
            TABLE
                .iter()
                .find(|(_, hints)| hints.contains(&w.as_str()))
                .map(|(id, _)| *id)
        })
        .unwrap_or(FALLBACK_CATID)
}

/// A `--catid`: letters and digits, 2 to 16 of them (UCS CatIDs are a
/// category and a subcategory abbreviation, e.g. `RAINMisc`).
pub fn check_catid(catid: &str) -> Result<(), String> {
    if (2..=16).contains(&catid.len()) && catid.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!(
            "--catid {catid:?}: give a UCS CatID of 2 to 16 letters and digits, e.g. RAINMisc or AMBMisc"
        ))
    }
}

/// The most characters of an FXName (UCS recommends 25).
const FX_NAME_MAX: usize = 25;

/// The prompt's first words in title case, letters, digits and spaces
/// only, whole words up to 25 characters ("Rain On A Tin Roof").
pub fn fx_name(prompt: &str) -> String {
    let mut name = String::new();
    for word in prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        let titled: String = chars
            .next()
            .map(|c| {
                c.to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
            .unwrap_or_default();
        let extra = usize::from(!name.is_empty()) + titled.chars().count();
        if name.chars().count() + extra > FX_NAME_MAX {
            if name.is_empty() {
                name = titled.chars().take(FX_NAME_MAX).collect();
            }
            break;
        }
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(&titled);
    }
    if name.is_empty() {
        "Untitled".into()
    } else {
        name
    }
}

/// Letters, digits and hyphens of `s` (an id made safe for a name part:
/// an underscore would end the part).
fn part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// `CatID_FXName_klang_SourceID.ext`; `catid` when given, else the one
/// the prompt suggests.
pub fn file_name(prompt: &str, catid: Option<&str>, source_id: &str, extension: &str) -> String {
    let catid = catid.unwrap_or_else(|| suggest_catid(prompt));
    format!(
        "{}_{}_klang_{}.{extension}",
        part(catid),
        fx_name(prompt),
        part(source_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_suggests_its_category() {
        assert_eq!(suggest_catid("Rain on a tin roof, distant"), "RAINMisc");
        assert_eq!(suggest_catid("footsteps in the rain"), "FEETMisc");
        assert_eq!(suggest_catid("a wooden DOOR creaks"), "DOORMisc");
        assert_eq!(suggest_catid("quiet forest at night"), "AMBMisc");
        assert_eq!(suggest_catid("a strange whoosh"), FALLBACK_CATID);
    }

    #[test]
    fn names_follow_ucs() {
        assert_eq!(
            file_name(
                "rain on a tin roof, distant thunder",
                None,
                "cl07czd0",
                "wav"
            ),
            "RAINMisc_Rain On A Tin Roof_klang_cl07czd0.wav"
        );
        assert_eq!(
            file_name("door", Some("DOORWood"), "task_1/x", "flac"),
            "DOORWood_Door_klang_task-1-x.flac"
        );
        assert_eq!(
            fx_name("supercalifragilisticexpialidocious"),
            "Supercalifragilisticexpia"
        );
        assert_eq!(fx_name("¿!"), "Untitled");
        assert!(check_catid("RAINMisc").is_ok());
        assert!(check_catid("RAIN_Misc").is_err());
        assert!(check_catid("../x").is_err());
    }
}
