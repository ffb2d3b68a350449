//! `pqg list`: a stage's effective profile: each gate, whether it runs
//! and blocks, its thresholds and needs. Runs nothing.

use super::{Context, Outcome};
use crate::cli::ListArgs;
use crate::{judge, plan};
use comfy_table::{presets, Table};

/// `pqg list`.
pub(super) fn run(ctx: &Context, args: &ListArgs) -> anyhow::Result<Outcome> {
    let config = ctx.config_or_default()?;
    let stage = ctx
        .config_settings()?
        .stage(config, args.stage.as_deref())?;
    let plan = plan::build(config, stage, &plan::Filters::default(), false)?;
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
        .set_header(["Gate", "At this stage", "Runs", "Thresholds", "Needs"]);
    for planned in &plan.gates {
        let gate = &config.gates[planned.index];
        let at = match &planned.activity {
            plan::Activity::Run(plan::Enforcement::Block) => "blocking".to_owned(),
            plan::Activity::Run(plan::Enforcement::Warn) => format!(
                "warning (blocks from {})",
                config.ladder.name(gate.enforce_from)
            ),
            plan::Activity::Skip(_) => {
                format!("not active (from {})", config.ladder.name(gate.from))
            }
        };
        let mut thresholds: Vec<String> = gate
            .metrics
            .iter()
            .map(|m| {
                let t = judge::threshold(m, stage);
                let bound = crate::fmt::bounds(t.min, t.max, m.unit.as_deref())
                    .unwrap_or_else(|| "measured only".to_owned());
                format!("{} {bound}", m.name)
            })
            .collect();
        if gate.exit_codes != [0] {
            let codes: Vec<String> = gate.exit_codes.iter().map(i32::to_string).collect();
            thresholds.insert(0, format!("exit {}", codes.join("|")));
        }
        let mut runs = gate.command.to_string();
        if let Some(t) = gate.timeout.or(config.settings.timeout) {
            runs.push_str(&format!("\n(timeout {})", crate::fmt::human_duration(t)));
        }
        if gate.writes {
            runs.push_str("\n(may rewrite tracked files)");
        }
        table.add_row(vec![
            gate.id.to_string(),
            at,
            runs,
            if thresholds.is_empty() {
                "exit 0".to_owned()
            } else {
                thresholds.join("\n")
            },
            gate.needs
                .iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    outln!("{table}");
    let mut facts = vec![format!("stage {}", config.ladder.name(stage))];
    facts.push(match plan.min_score {
        Some(m) => format!("min score {}", crate::fmt::number(m)),
        None => "no min score".to_owned(),
    });
    facts.push(format!(
        "fail-fast {}",
        if plan.fail_fast { "on" } else { "off" }
    ));
    outln!("{}", facts.join(" · "));
    Ok(Outcome::Passed)
}
