//! The `ferry` command: wires the CLI to the engine, the store, the connectors and the simulators.

mod cli;
mod cmd_demo;
mod cmd_ledger;
mod cmd_preview;
mod cmd_retry;
mod cmd_run;
mod cmd_validate;
mod load;
mod sim_jackyun_cli;
mod sim_kingdee_cli;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, SimCommand};

#[tokio::main]
async fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG").unwrap_or_else(|_| "error".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result: anyhow::Result<bool> = match cli.command {
        Command::Validate { scheme, common } => cmd_validate::run(&scheme, &common).map(|()| true).map_err(Into::into),
        Command::Preview { scheme, limit, target, common } => cmd_preview::run(&scheme, limit, target.as_deref(), &common).await.map(|()| true),
        Command::Run { scheme, quiet, common } => cmd_run::run(&scheme, quiet, &common).await,
        Command::Retry { scheme, key, state, quiet, common } => cmd_retry::run(&scheme, key.as_deref(), state.as_deref(), quiet, &common).await,
        Command::Demo { data_dir, stocktakes, seed, quiet } => cmd_demo::run(cmd_demo::DemoArgs { data_dir, stocktakes, seed, quiet }).await,
        Command::Ledger { scheme, state, key, target, limit, json, common } => {
            let a = cmd_ledger::LedgerArgs { state: state.as_deref(), key: key.as_deref(), target: target.as_deref(), limit, json };
            cmd_ledger::run(&scheme, a, &common).await.map(|()| true)
        }
        Command::Sim(SimCommand::Jackyun(a)) => sim_jackyun_cli::run(a).await.map(|()| true),
        Command::Sim(SimCommand::Kingdee(a)) => sim_kingdee_cli::run(a).await.map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => match e.downcast_ref::<load::BadInput>() {
            Some(bad) => {
                eprintln!("{bad}");
                ExitCode::from(2)
            }
            None => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        },
    }
}
