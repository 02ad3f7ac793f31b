//! placeholder until the tui branch lands.
pub struct TuiOptions {
    pub theme: Option<String>,
    pub no_mouse: bool,
}

pub async fn run(ctx: crate::cli::Context, options: TuiOptions) -> anyhow::Result<()> {
    let _ = (ctx, options);
    anyhow::bail!("the dashboard is not built yet; use a subcommand (klang --help)")
}
