//! Kling's TTS voices and the languages each speaks, keyed on the voice id
//! (display names differ between sources; the id is what the API takes).
//! The provider answers a voice id with a language it does not speak with
//! "voice id not found", so klang checks the pair before sending.

use serde::Serialize;

/// A TTS language the API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Zh,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        match code.trim() {
            "zh" => Some(Language::Zh),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// One voice: its id and the languages it speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Voice {
    pub id: &'static str,
    pub languages: &'static [Language],
}

impl Voice {
    pub fn speaks(&self, language: Language) -> bool {
        self.languages.contains(&language)
    }

    /// "en", "zh" or "zh, en", for messages.
    pub fn language_list(&self) -> String {
        self.languages
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const BOTH: &[Language] = &[Language::Zh, Language::En];
const EN: &[Language] = &[Language::En];
const ZH: &[Language] = &[Language::Zh];

const fn v(id: &'static str, languages: &'static [Language]) -> Voice {
    Voice { id, languages }
}

/// The 46 voices of Kling's public voice table.
pub const VOICES: [Voice; 46] = [
    // Both Chinese and English.
    v("genshin_vindi2", BOTH),
    v("zhinen_xuesheng", BOTH),
    v("ai_shatang", BOTH),
    v("genshin_klee2", BOTH),
    v("genshin_kirara", BOTH),
    v("ai_kaiya", BOTH),
    v("ai_chenjiahao_712", BOTH),
    v("chat1_female_new-3", BOTH),
    v("cartoon-boy-07", BOTH),
    v("cartoon-girl-01", BOTH),
    v("ai_huangyaoshi_712", BOTH),
    v("you_pingjing", BOTH),
    v("ai_laoguowang_712", BOTH),
    v("chengshu_jiejie", BOTH),
    v("laopopo_speech02", BOTH),
    v("heainainai_speech02", BOTH),
    // English only.
    v("AOT", EN),
    v("oversea_male1", EN),
    v("girlfriend_4_speech02", EN),
    v("chat_0407_5-1", EN),
    v("uk_boy1", EN),
    v("PeppaPig_platform", EN),
    v("ai_huangzhong_712", EN),
    v("calm_story1", EN),
    v("uk_man2", EN),
    v("reader_en_m-v1", EN),
    v("commercial_lady_en_f-v1", EN),
    // Chinese only.
    v("tiyuxi_xuedi", ZH),
    v("tiexin_nanyou", ZH),
    v("girlfriend_1_speech02", ZH),
    v("girlfriend_2_speech02", ZH),
    v("zhuxi_speech02", ZH),
    v("uk_oldman3", ZH),
    v("dongbeilaotie_speech02", ZH),
    v("chongqingxiaohuo_speech02", ZH),
    v("chuanmeizi_speech02", ZH),
    v("chaoshandashu_speech02", ZH),
    v("ai_taiwan_man2_speech02", ZH),
    v("xianzhanggui_speech02", ZH),
    v("tianjinjiejie_speech02", ZH),
    v("diyinnansang_DB_CN_M_04-v2", ZH),
    v("yizhipiannan-v1", ZH),
    v("guanxiaofang-v2", ZH),
    v("tianmeixuemei-v1", ZH),
    v("daopianyansang-v1", ZH),
    v("mengwa-v1", ZH),
];

/// The voice with exactly this id (ids are case-sensitive upstream).
pub fn find(id: &str) -> Option<&'static Voice> {
    VOICES.iter().find(|voice| voice.id == id)
}

/// Voices speaking `language`, in table order; every voice for `None`.
pub fn speaking(language: Option<Language>) -> impl Iterator<Item = &'static Voice> {
    VOICES
        .iter()
        .filter(move |voice| language.is_none_or(|l| voice.speaks(l)))
}

/// The voice a new TTS form starts with: a calm narrator for English, the
/// first voice of the table for Chinese.
pub fn default_for(language: Language) -> &'static str {
    match language {
        Language::En => "reader_en_m-v1",
        Language::Zh => "genshin_vindi2",
    }
}

/// What klang knows about a voice/language pair before sending it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoiceCheck {
    /// A known voice that speaks the language.
    Known,
    /// Not in the table: upstream may have added it, so it is sent.
    Unknown,
    /// A known voice that does not speak the language: the provider would
    /// refuse it, so klang does too.
    WrongLanguage { speaks: String },
}

pub fn check(id: &str, language: &str) -> VoiceCheck {
    match (find(id.trim()), Language::parse(language)) {
        (None, _) => VoiceCheck::Unknown,
        (Some(voice), Some(lang)) if voice.speaks(lang) => VoiceCheck::Known,
        (Some(voice), _) => VoiceCheck::WrongLanguage {
            speaks: voice.language_list(),
        },
    }
}

/// The one-line warning for a voice id not in the table.
pub fn unknown_warning(id: &str) -> String {
    format!(
        "voice {id:?} is not in klang's voice table (see `klang voices`); sending it anyway, the server decides"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_published_counts() {
        let count = |langs: &[Language]| VOICES.iter().filter(|v| v.languages == langs).count();
        assert_eq!(count(BOTH), 16);
        assert_eq!(count(EN), 11);
        assert_eq!(count(ZH), 19);
        let mut ids: Vec<_> = VOICES.iter().map(|v| v.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 46, "ids are unique");
    }

    #[test]
    fn defaults_speak_their_language() {
        for lang in Language::ALL {
            let voice = find(default_for(lang)).expect("default is in the table");
            assert!(voice.speaks(lang));
        }
    }

    #[test]
    fn pairs_are_checked() {
        assert_eq!(check("uk_boy1", "en"), VoiceCheck::Known);
        assert_eq!(
            check("uk_boy1", "zh"),
            VoiceCheck::WrongLanguage {
                speaks: "en".into()
            }
        );
        assert_eq!(check("ai_kaiya", "zh"), VoiceCheck::Known);
        assert_eq!(check("ai_kaiya", "en"), VoiceCheck::Known);
        assert_eq!(check("brand_new_voice", "en"), VoiceCheck::Unknown);
        assert_eq!(check("aot", "en"), VoiceCheck::Unknown, "ids are exact");
        assert_eq!(speaking(Some(Language::En)).count(), 27);
        assert_eq!(speaking(Some(Language::Zh)).count(), 35);
        assert_eq!(speaking(None).count(), 46);
    }
}
