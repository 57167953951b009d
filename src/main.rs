#![forbid(unsafe_code)]

use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ptpscope::cli::Cli::parse();
    match ptpscope::cli::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            // A closed pipe (`ptpscope decode ... | head`) is not an error.
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("ptpscope: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
