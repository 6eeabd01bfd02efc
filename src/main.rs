use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Managed MongoDB in the cloud as Kubernetes resources.
#[derive(Parser)]
#[command(name = "mongocloud-operator", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the controllers against the cluster of the current kubeconfig.
    Run,
    /// Write the CustomResourceDefinitions as YAML, or check that written ones are current.
    Crds {
        /// Directory to write one file per kind into; without it, all CRDs go to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compare the files in --out (default `crds`) with the types instead of writing.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run => Err(anyhow::anyhow!("no controllers yet")),
        Command::Crds { out, check } => crds(out, check),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn crds(out: Option<PathBuf>, check: bool) -> anyhow::Result<()> {
    use mongocloud_operator::api::crds;
    match (out, check) {
        (out, true) => Ok(crds::check(&out.unwrap_or_else(|| PathBuf::from("crds")))?),
        (Some(dir), false) => Ok(crds::write(&dir)?),
        (None, false) => {
            for (_, crd) in crds::all() {
                print!("---\n{}", crds::render(&crd)?);
            }
            Ok(())
        }
    }
}
