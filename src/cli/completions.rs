//! `klang completions SHELL` and `klang man`: generated from the same clap
//! definition the parser uses, so they never drift from the real flags.

use super::args::Cli;
use super::{Failure, exit};
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell) -> Result<i32, Failure> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "klang", &mut std::io::stdout());
    Ok(exit::OK)
}

pub fn man() -> Result<i32, Failure> {
    let page = clap_mangen::Man::new(Cli::command());
    page.render(&mut std::io::stdout()).map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!("cannot write the man page: {e}"),
    })?;
    Ok(exit::OK)
}
