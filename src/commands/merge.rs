//! `pqg merge`: shard reports into one report and one verdict. Needs no
//! config: the reports carry everything.

use super::{create_report_file, render, report_to_stdout, write_report_file, Context, Outcome};
use crate::cli::MergeArgs;
use crate::diag::UserError;
use crate::report::{self, table::Printer};
use crate::settings;

/// `pqg merge`.
pub(super) fn run(ctx: &Context, args: &MergeArgs) -> anyhow::Result<Outcome> {
    let mut files = Vec::new();
    let mut reports = Vec::new();
    for path in &args.reports {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| UserError::new(format!("cannot read `{name}`: {e}")))?;
        reports.push(report::merge::parse(&name, &text).map_err(|e| {
            UserError::new(e.to_string())
                .hint("merge the JSON reports of `pqg check --shard K/N --report json=PATH`")
        })?);
        files.push(name);
    }
    let merged = report::merge::merge(&files, &reports, args.stage.as_deref()).map_err(|e| {
        let hint = match e {
            report::merge::MergeError::Missing(_) | report::merge::MergeError::Twice { .. } => {
                "every shard must deal from the same history: restore the same cache folder in each, or run the shards without one"
            }
            _ => "merge the reports of one run of one config at one stage",
        };
        UserError::new(e.to_string()).hint(hint)
    })?;
    let targets = args
        .report
        .iter()
        .map(|spec| settings::report_target(spec))
        .collect::<Result<Vec<_>, UserError>>()?;
    let plain = Printer {
        color: false,
        width: None,
        guard_workflow: false,
    };
    for (format, path) in &targets {
        write_report_file(create_report_file(path)?, path, |out| {
            render(&merged, *format, &plain, false, out)
        })?;
    }
    let printer = ctx.stdout();
    report_to_stdout(|out| render(&merged, args.format, &printer, false, out))?;
    Ok(merged.outcome.ending(report::merge::signal_of(&merged)))
}
