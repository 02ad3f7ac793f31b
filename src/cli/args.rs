//! The command line, parsed by clap. Global flags work before or after the
//! subcommand.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "klang",
    version,
    about = "Generate audio with the Kling audio API: a terminal dashboard and a headless CLI",
    long_about = "Without a subcommand klang opens the dashboard. `klang --sandbox` runs everything against an embedded simulated API with no key and no cost.",
    after_help = "Exit codes: 0 done, 1 task failed, 2 bad usage or invalid parameters (nothing sent), 3 key or credits, 4 network or server, 5 the task store cannot be opened, read or written."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// API server, scheme and host [default: https://apimodels.app]
    #[arg(long, global = true, env = "KLANG_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Where downloads go [default: see `klang paths`]
    #[arg(long, global = true, env = "KLANG_DOWNLOAD_DIR", value_name = "DIR")]
    pub download_dir: Option<PathBuf>,
    /// Use an embedded sandbox server on loopback: no key, no cost, simulated audio
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Allow a plain-http base URL that is not loopback (the key travels in clear text)
    #[arg(long, global = true)]
    pub allow_insecure: bool,
    /// Poll requests in flight at once [default: 8]
    #[arg(long, global = true, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// Dashboard theme: dark, light, high-contrast, basic16, or a file in the config dir's themes/
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Receive the provider's callbacks on ADDRESS:PORT (polling stays on as a fallback)
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub callback_listen: Option<String>,
    /// Public base URL the provider should call, e.g. https://host.example (behind a proxy)
    #[arg(long, global = true, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Leave the mouse to the terminal (text selection works as usual)
    #[arg(long, global = true)]
    pub no_mouse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a task
    #[command(subcommand)]
    Submit(SubmitCommand),
    /// List tasks, newest first
    List(ListArgs),
    /// Show one task (local id, task id, or a unique prefix of it)
    Show(ShowArgs),
    /// Download a completed task's audio
    Download(DownloadArgs),
    /// Play a completed task's audio (downloading it first if needed)
    Play(PlayArgs),
    /// Measure audio files on disk: length, rate, peak, loudness, silence at each end
    Analyze(AnalyzeArgs),
    /// Write a result as WAV or FLAC: trimmed, faded, resampled, at a target loudness
    Render(RenderArgs),
    /// A seamless loop of a result or an audio file: cut where the end best matches the start, crossfaded, marked to loop
    Loop(LoopArgs),
    /// Put a video-to-audio result on its video: one MP4, the video copied, the result as its only audio
    Mux(MuxArgs),
    /// Resume polling and wait until the given tasks (default: every unfinished one) end
    Wait(WaitArgs),
    /// Print where config, data, logs and downloads live
    Paths(JsonFlag),
    /// List Kling's TTS voices and the languages each speaks
    Voices(VoicesArgs),
    /// Submit every line of a JSON Lines or CSV file, never paying twice for a line
    Batch(BatchArgs),
    /// Narrate a text or Markdown script of any length: split, send what is not made yet, assemble with captions and chapters
    Speak(SpeakArgs),
    /// An ambience bed of any length: takes of a prompt (or a group's) joined by crossfades at matched loudness
    Bed(BedArgs),
    /// Voice subtitles (SRT, VTT, ASS) on the video's timeline: each cue a TTS line fitted to its slot; the plan and price first
    Dub(DubArgs),
    /// Foley for a whole video: cut at its shots into windows of 3-20 s, one video-to-audio call each, joined and muxed
    Foley(FoleyArgs),
    /// List the pieces (narrations) and their progress
    Pieces(JsonFlag),
    /// Write the task history as CSV or JSON Lines
    Export(ExportArgs),
    /// Spend per day and per model, failure rates, generation times
    Stats(StatsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell)
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout
    Man,
    /// Run the sandbox server in the foreground
    Sandbox(SandboxArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BatchFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Args)]
pub struct BatchArgs {
    /// One create request per line (.jsonl) or row (.csv), with the API's field names
    pub file: PathBuf,
    /// Print the count and cost per model and overall; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the file if its total cost is above this many dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Wait until every task of the file completes or fails
    #[arg(long)]
    pub wait: bool,
    /// Download each completed task into DOWNLOAD_DIR/<file name>/, named by line (implies --wait)
    #[arg(long)]
    pub download: bool,
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
    /// The file's format [default: from the extension]
    #[arg(long, value_enum)]
    pub format: Option<BatchFormat>,
    /// Create requests per second, at most
    #[arg(long, default_value_t = 5.0, value_name = "N")]
    pub rate: f64,
    /// Send the lines' videos without checking their type, size and length first
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SpeakArgs {
    /// A plain text or Markdown file, or - for standard input
    pub file: PathBuf,
    /// A voice that speaks --lang [default: the language's first voice]; see `klang voices`
    #[arg(long, value_name = "ID")]
    pub voice: Option<String>,
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    /// 0.8 to 2.0 with one decimal
    #[arg(long)]
    pub speed: Option<f64>,
    /// Directory to write the narration, captions and chapters into [default: the download directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// File format [default: wav]
    #[arg(long, value_enum)]
    pub format: Option<RenderFormat>,
    /// Bring the whole narration to this integrated loudness
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true, default_value_t = -16.0)]
    pub normalize: f64,
    /// Silence between chunks of one paragraph, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 400)]
    pub gap: u32,
    /// Silence before a new paragraph or heading, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 900)]
    pub paragraph_gap: u32,
    /// Print the plan (segments, what is made, calls and cost); send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the plan if the whole piece costs more than this many dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Send one new take of segment N (1-based, as the plan numbers them); repeatable
    #[arg(long, value_name = "N")]
    pub retake: Vec<usize>,
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

/// The loudness every foley window is brought to.
pub const FOLEY_NORMALIZE_LUFS: f64 = -20.0;

#[derive(Debug, Clone, Args)]
pub struct FoleyArgs {
    /// The video (any length from 3 s; anything ffmpeg reads)
    pub video: PathBuf,
    /// Sound effects to ask for, sent with every window
    #[arg(long, value_name = "TEXT")]
    pub sfx_prompt: Option<String>,
    /// Background music to ask for, sent with every window
    #[arg(long, value_name = "TEXT")]
    pub bgm_prompt: Option<String>,
    /// ASMR mode
    #[arg(long)]
    pub asmr: bool,
    /// Directory to write the track and the MP4 into [default: the download directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The track's format [default: wav]
    #[arg(long, value_enum)]
    pub format: Option<RenderFormat>,
    /// Bring every window's result to this integrated loudness
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true, default_value_t = FOLEY_NORMALIZE_LUFS)]
    pub normalize: f64,
    /// Print the plan (windows, what is made, calls and cost); send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the plan if what it sends costs more than this many dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BedArgs {
    /// Make the takes from this sound-effects prompt (10 s each)
    #[arg(long, required_unless_present = "group", conflicts_with = "group")]
    pub prompt: Option<String>,
    /// Use the completed takes of this group (the id `submit --count` printed)
    #[arg(long, value_name = "ID")]
    pub group: Option<String>,
    /// How long the bed lasts
    #[arg(long, value_name = "M", default_value_t = 10.0)]
    pub minutes: f64,
    /// How many takes of --prompt to make and use, 4 to 16
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub takes: usize,
    /// Make the bed seamless: its end crossfades into its start
    #[arg(long = "loop")]
    pub looped: bool,
    /// Directory to write the bed into [default: the download directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// File format [default: wav]
    #[arg(long, value_enum)]
    pub format: Option<RenderFormat>,
    /// Bring every take to this integrated loudness
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true, default_value_t = crate::pieces::bed::NORMALIZE_LUFS)]
    pub normalize: f64,
    /// Print the plan (takes, what is made, calls and cost); send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the plan if what it sends costs more than this many dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DubArgs {
    /// The subtitles: SRT, WebVTT or ASS/SSA
    pub subs: PathBuf,
    /// A voice that speaks --lang [default: the language's first voice]; see `klang voices`
    #[arg(long, value_name = "ID")]
    pub voice: Option<String>,
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    /// A voice per speaker label: "JOHN=voice_id,MARY=voice_id" (others take --voice)
    #[arg(long, value_name = "NAME=ID,...")]
    pub voices: Option<String>,
    /// The video: the track runs as long, and the ducked mix is muxed into <name>.mp4
    #[arg(long, value_name = "FILE")]
    pub video: Option<PathBuf>,
    /// How far the video's own audio is lowered while a line speaks, dB (-12 and 12 both lower it 12 dB)
    #[arg(long, value_name = "DB", allow_negative_numbers = true, default_value_t = -12.0)]
    pub duck: f64,
    /// The fastest speed a line is given to fit its slot (0.8 to 2.0)
    #[arg(long, value_name = "X", default_value_t = 1.3)]
    pub max_speed: f64,
    /// A line that still runs into the next by more than 150 ms: move the next lines later, send one faster take, or keep it and flag it
    #[arg(long, value_enum, default_value = "shift")]
    pub overrun: crate::dub::place::Overrun,
    /// Directory to write the speech track, its report and the mix into [default: the download directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// File format of the speech track [default: wav]
    #[arg(long, value_enum)]
    pub format: Option<RenderFormat>,
    /// Bring the speech track to this integrated loudness
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true, default_value_t = -16.0)]
    pub normalize: f64,
    /// Print the plan (lines, speeds, what is made, calls and cost); send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the plan if what it sends (possible retakes included) costs more than this many dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Only tasks submitted on or after this local date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only tasks in this state
    #[arg(long)]
    pub state: Option<String>,
    /// Only this model (sfx, v2a, tts or the full name)
    #[arg(long)]
    pub model: Option<String>,
    /// Write here instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// CSV: keep cells starting with = + - @ as they are (by default they get a leading ' so a spreadsheet does not run them)
    #[arg(long)]
    pub keep_formulas: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// Only tasks submitted on or after this local date (YYYY-MM-DD) [default: all; the daily chart shows the last 30 days]
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct JsonFlag {
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AfterSubmit {
    /// Submit N tasks with the same parameters (takes), 1 to 8; they share a group id
    #[arg(long, default_value_t = 1, value_name = "N",
        value_parser = clap::value_parser!(u8).range(1..=crate::engine::MAX_VARIATIONS as i64))]
    pub count: u8,
    /// Wait until the task completes or fails
    #[arg(long)]
    pub wait: bool,
    /// Download the audio once completed (implies --wait)
    #[arg(long)]
    pub download: bool,
    /// Print one JSON document and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SubmitCommand {
    /// Sound effects from a prompt ($0.0295)
    Sfx {
        /// What to hear, at most 200 characters
        #[arg(long)]
        prompt: String,
        /// Seconds, 3.0 to 10.0 with one decimal
        #[arg(long, default_value = "5.0")]
        duration: String,
        #[command(flatten)]
        after: AfterSubmit,
    },
    /// Audio for a video ($0.0027)
    V2a {
        /// MP4/MOV, 3-20 s, at most 100 MB (checked before sending)
        #[arg(
            long,
            conflicts_with = "video_id",
            required_unless_present_any = ["video_id", "video_file"]
        )]
        video_url: Option<String>,
        /// A Kling video id under 30 days old
        #[arg(long)]
        video_id: Option<String>,
        /// A clip on disk (MP4/MOV, 3-20 s, at most 100 MB), served to the provider by klang's callback receiver (needs --callback-listen and --callback-url)
        #[arg(long, value_name = "PATH", conflicts_with_all = ["video_url", "video_id"])]
        video_file: Option<PathBuf>,
        /// Send the video without checking its type, size and length first
        #[arg(long)]
        no_check: bool,
        #[arg(long)]
        sfx_prompt: Option<String>,
        #[arg(long)]
        bgm_prompt: Option<String>,
        #[arg(long)]
        asmr: bool,
        #[command(flatten)]
        after: AfterSubmit,
    },
    /// Text to speech ($0.0006)
    Tts {
        /// At most 1000 characters
        #[arg(long)]
        text: String,
        /// A voice that speaks --lang; see `klang voices`
        #[arg(long)]
        voice_id: String,
        #[arg(long, value_enum)]
        lang: Lang,
        /// 0.8 to 2.0 with one decimal
        #[arg(long)]
        speed: Option<f64>,
        #[command(flatten)]
        after: AfterSubmit,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn language(self) -> crate::api::voices::Language {
        match self {
            Lang::En => crate::api::voices::Language::En,
            Lang::Zh => crate::api::voices::Language::Zh,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only tasks in this state (pending, processing, completed, failed, lost, submit-unknown, ...)
    #[arg(long)]
    pub state: Option<String>,
    /// At most this many rows
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only starred tasks (`*` in the dashboard)
    #[arg(long)]
    pub starred: bool,
    /// Only the variations submitted together (the group id `--count` printed)
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Only discarded takes (`x` in the dashboard's takes view)
    #[arg(long)]
    pub discarded: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VoicesArgs {
    /// Only voices that speak this language
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Print one JSON array of {id, languages} and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// Audio files (WAV, FLAC, Ogg Vorbis, MP3, AAC in MP4/M4A)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print one JSON array (an object per file) and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RenderFormat {
    Wav,
    Flac,
}

/// How written files are named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum NameStyle {
    /// The source's name and the settings: `rain.48k24.wav`
    #[default]
    Plain,
    /// Universal Category System: `RAINMisc_Rain On A Tin Roof_klang_<task id>.wav`
    Ucs,
}

/// `--name` and `--catid`, shared by the commands that write audio files.
#[derive(Debug, Clone, Default, Args)]
pub struct NamingArgs {
    /// How to name the files: plain, or ucs (CatID_FXName_CreatorID_SourceID)
    #[arg(long = "name", value_enum, value_name = "STYLE", default_value_t)]
    pub style: NameStyle,
    /// The UCS CatID (e.g. RAINMisc) [default: suggested from the prompt's words]
    #[arg(long, value_name = "CATID")]
    pub catid: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Local id, task id, or a unique prefix of it
    #[arg(required_unless_present = "group", conflicts_with = "group")]
    pub id: Option<String>,
    /// Every completed take of a group or a batch (one file each, numbered by take)
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// File format [default: wav, or `format` in [render]]
    #[arg(long, value_enum)]
    pub format: Option<RenderFormat>,
    /// Sample rate, 8000 to 192000 [default: the source's]
    #[arg(long, value_name = "HZ")]
    pub rate: Option<u32>,
    /// Bits per sample, 16 (dithered) or 24 [default: 24]
    #[arg(long, value_name = "16|24")]
    pub bits: Option<u16>,
    /// Bring the integrated loudness to this many LUFS, e.g. -23 or -16
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    pub normalize: Option<f64>,
    /// The highest true peak the gain may reach [default: -1 dBTP]
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub true_peak: Option<f64>,
    /// Cut the silence at both ends (below -60 dBFS, keeping 5 ms)
    #[arg(long)]
    pub trim: bool,
    /// Fade in and out over N milliseconds
    #[arg(long, value_name = "N")]
    pub fade_ms: Option<u32>,
    /// Mix every channel into one
    #[arg(long)]
    pub mono: bool,
    /// Directory to write into [default: beside the download]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub naming: NamingArgs,
    /// Print one JSON document (the path and figures of each file) and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LoopArgs {
    /// An audio file, or a task: local id, task id, or a unique prefix of it
    #[arg(value_name = "ID|FILE")]
    pub source: String,
    /// The crossfade of the end into the start, ms
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub crossfade: u64,
    /// Directory to write into [default: beside the source]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// File format: wav (with a smpl loop chunk) or flac (LOOPSTART/LOOPLENGTH tags)
    #[arg(long, value_enum, default_value = "wav")]
    pub format: RenderFormat,
    #[command(flatten)]
    pub naming: NamingArgs,
    /// Print one JSON document (path, loop points, calls_sent, cost_usd) and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MuxArgs {
    /// Local id, task id, or a unique prefix of it
    pub id: String,
    /// Directory to write into [default: beside the download]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print one JSON document (the file written) and nothing else on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PlayArgs {
    /// Local id, task id, or a unique prefix of it
    pub id: String,
}

#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    pub id: String,
    /// Directory to save into [default: the download directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Local ids, task ids or unique prefixes [default: every unfinished task]
    pub ids: Vec<String>,
    /// Download each task that completes
    #[arg(long)]
    pub download: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 [default: any free port]
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Milliseconds a task stays pending
    #[arg(long, default_value_t = 1500)]
    pub pending_ms: u64,
    /// Milliseconds a task stays processing
    #[arg(long, default_value_t = 2500)]
    pub processing_ms: u64,
    /// Milliseconds added to every API answer
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction (0..1) of API requests answered 500
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fraction answered 429 with Retry-After
    #[arg(long, default_value_t = 0.0)]
    pub rate_limit_rate: f64,
    /// Fraction answered with a truncated JSON body
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Fraction whose connection is dropped without an answer
    #[arg(long, default_value_t = 0.0)]
    pub reset_rate: f64,
    /// Serve results as WAV instead of MP3
    #[arg(long)]
    pub wav: bool,
}
