//! The command line: every command, its flags and their help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::{sim_jackyun_cli, sim_kingdee_cli};

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Ferry: move business data between systems (吉客云, 金蝶云星空, files, …) — correctly, once.",
    long_about = "Ferry runs integration schemes (集成方案): it pages through a source API, maps each record to the \
target's model, writes in batches, and keeps a ledger of every record so that nothing is lost, nothing is \
written twice, and every failure can be seen and pushed again.\n\nExit codes: 0 ok, 1 the run had failed \
records (or stopped on an error), 2 bad input (the scheme, the connections, the flags)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every scheme command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Where Ferry keeps its ledger and run history.
    #[arg(long, env = "FERRY_DATA_DIR", default_value = "./ferry-data", global = true)]
    pub data_dir: PathBuf,
    /// The connections file (default: connections.yaml beside the scheme, if any).
    #[arg(long, env = "FERRY_CONNECTIONS", global = true)]
    pub connections: Option<PathBuf>,
    /// The scheme's id in the ledger (default: the scheme file's name without extension). Keep it
    /// stable: a new id starts a new ledger, and records would be written again.
    #[arg(long, global = true)]
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a scheme: every mistake, with file:line:column and the field path.
    Validate {
        /// The scheme file (YAML or JSON).
        scheme: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Fetch and map without writing anything: print the target payloads a run would send.
    Preview {
        scheme: PathBuf,
        /// Source records to read.
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// Only this target.
        #[arg(long)]
        target: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Run a scheme: fetch, check against the ledger, map, write; print a summary.
    Run {
        scheme: PathBuf,
        /// No progress bar, even on a terminal.
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Write failed records again after their cause was fixed (a missing material added, a table
    /// completed): each is mapped afresh from the source record the ledger kept and written through
    /// the same protocol as a run. Without flags: every failed and dead record.
    Retry {
        scheme: PathBuf,
        /// Only this record key (e.g. a stocktake number).
        #[arg(long)]
        key: Option<String>,
        /// Only records in this state: failed or dead (default: both).
        #[arg(long)]
        state: Option<String>,
        /// No progress bar, even on a terminal.
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        common: Common,
    },
    /// The seed scheme end to end with nothing to set up: starts simulated Jackyun and Kingdee
    /// servers on 127.0.0.1, runs 吉客云盘点单 → 金蝶云星空其他入库/其他出库, shows the bills, runs
    /// again (nothing is written twice), then fixes a planted failure and re-pushes it.
    Demo {
        /// Keep the ledger here (default: a temporary directory, removed at the end).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Stocktakes the simulated Jackyun holds.
        #[arg(long, default_value_t = 300)]
        stocktakes: u32,
        /// Seed of the generated data set.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// No progress bar, even on a terminal.
        #[arg(long)]
        quiet: bool,
    },
    /// Show the ledger of a scheme: one row per record and target.
    Ledger {
        scheme: PathBuf,
        /// Only rows in this state (new, filtered, in_flight, written, failed, in_doubt, dead).
        #[arg(long)]
        state: Option<String>,
        /// Only this record key.
        #[arg(long)]
        key: Option<String>,
        /// Only this target.
        #[arg(long)]
        target: Option<String>,
        /// Rows to show (0 = all).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Run a local simulator of a system's API.
    #[command(subcommand)]
    Sim(SimCommand),
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// The Jackyun (吉客云) open-platform gateway.
    Jackyun(sim_jackyun_cli::JackyunSimArgs),
    /// The Kingdee K3Cloud (金蝶云星空) WebAPI.
    Kingdee(sim_kingdee_cli::KingdeeSimArgs),
}
