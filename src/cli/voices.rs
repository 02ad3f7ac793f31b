//! `klang voices`: Kling's TTS voices and the languages each speaks. Needs
//! no key, no network and no store.

use super::args::VoicesArgs;
use super::exit;
use super::output::print_json;
use crate::api::voices;

pub(super) fn run(args: &VoicesArgs) -> i32 {
    let listed: Vec<&voices::Voice> = voices::speaking(args.lang.map(|l| l.language())).collect();
    if args.json {
        print_json(&listed);
    } else {
        println!("{:<28}  LANGUAGES", "VOICE ID");
        for voice in listed {
            println!("{:<28}  {}", voice.id, voice.language_list());
        }
    }
    exit::OK
}
