//! Which gates run at a stage, and how much a miss of each one matters.
//!
//! `build` is a pure function of the config, the stage and the user's
//! filters: no I/O and no clock, so it can be tested at every stage. It never
//! runs anything and never judges a result.

use crate::config::{Config, GateId, StageIdx};
use crate::diag::{did_you_mean, UserError};
use crate::files::filter::InputFilter;
use std::collections::HashSet;

/// Whether a miss of a gate fails the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// A miss fails the stage.
    Block,
    /// A miss is reported as a warning (below `enforce_from`).
    Warn,
}

/// Why a gate does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The gate starts higher on the ladder (`from`).
    NotYet { from: StageIdx },
    /// `--only` named other gates.
    NotSelected,
    /// `--skip` or `PQG_SKIP` named it.
    SkippedByUser { via: &'static str },
    /// `--changed-since`: none of its inputs changed.
    Unaffected,
    /// `--shard K/N`: another shard runs it.
    OtherShard { shard: usize, count: usize },
}

impl SkipReason {
    /// The reason in words, as reports show it.
    pub fn describe(&self, ladder: &crate::config::Ladder) -> String {
        match self {
            SkipReason::NotYet { from } => format!("runs from {}", ladder.name(*from)),
            SkipReason::NotSelected => "not selected by --only".to_owned(),
            SkipReason::SkippedByUser { via } => format!("skipped by {via}"),
            SkipReason::Unaffected => "unaffected".to_owned(),
            SkipReason::OtherShard { shard, count } => format!("runs in shard {shard}/{count}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Activity {
    Run(Enforcement),
    Skip(SkipReason),
}

/// A gate of the config as planned for this run.
#[derive(Debug, Clone)]
pub struct PlannedGate {
    /// Index into `Config::gates` (and into `Plan::gates`: same order).
    pub index: usize,
    pub id: GateId,
    pub activity: Activity,
    /// Needs that run in this plan; needs that do not run are ignored
    /// (documented in the README).
    pub needs: Vec<GateIdx>,
}

impl PlannedGate {
    pub fn runs(&self) -> bool {
        matches!(self.activity, Activity::Run(_))
    }

    pub fn enforcement(&self) -> Option<Enforcement> {
        match self.activity {
            Activity::Run(e) => Some(e),
            Activity::Skip(_) => None,
        }
    }
}

/// A gate's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum GateStatus {
    Pass,
    Fail,
    Warn,
    Error,
    Timeout,
    Blocked,
    Cancelled,
    Skipped,
}

impl GateStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "fail",
            GateStatus::Warn => "warn",
            GateStatus::Error => "error",
            GateStatus::Timeout => "timeout",
            GateStatus::Blocked => "blocked",
            GateStatus::Cancelled => "cancelled",
            GateStatus::Skipped => "skipped",
        }
    }

    /// Whether this status, on a blocking gate, fails the stage.
    pub(crate) fn fails_stage(self) -> bool {
        matches!(
            self,
            GateStatus::Fail | GateStatus::Error | GateStatus::Timeout | GateStatus::Blocked
        )
    }
}

/// What the user asked to include or exclude.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `--only`: these gates and what they need.
    pub only: Vec<String>,
    /// `--skip`: these gates.
    pub skip: Vec<String>,
    /// `PQG_SKIP`: these gates (the escape hatch for one hook run).
    pub env_skip: Vec<String>,
    /// `--changed-since`: the files that changed; gates whose inputs hold
    /// none of them do not run.
    pub changed: Option<Vec<String>>,
    /// `--changed-since`: the gates whose definition changed since REF, or
    /// that are new (see [`redefined`]): they run whatever files changed,
    /// and every input of theirs counts as changed.
    pub redefined: Vec<String>,
    /// `--changed-since`: the places whose changes git's diff cannot see; a
    /// gate whose inputs reach one always runs (see [`BlindSpots`]).
    pub blind: BlindSpots,
    /// `--shard K/N`: run only this shard's share.
    pub shard: Option<Shard>,
}

/// `--changed-since`: where `git diff` is blind. A gate whose inputs reach
/// a submodule, an ignored place they name, a symlink, or a file marked
/// assume-unchanged or skip-worktree is affected whatever changed: its
/// changes there would not be seen.
#[derive(Debug, Clone, Default)]
pub struct BlindSpots {
    /// Submodule paths.
    pub submodules: Vec<String>,
    /// Ignored untracked files and folders.
    pub ignored: Vec<String>,
    /// Tracked symlinks.
    pub links: Vec<String>,
    /// Files marked assume-unchanged or skip-worktree.
    pub flagged: Vec<String>,
}

impl BlindSpots {
    /// Why a gate with these `inputs` (compiled as `filter`) is affected
    /// whatever the diff says, if it is.
    fn reason(&self, inputs: Option<&[String]>, filter: &InputFilter) -> Option<String> {
        use crate::files::filter::{is_under, place_of};
        let includes: Vec<&str> = inputs
            .into_iter()
            .flatten()
            .filter(|g| !g.starts_with('!'))
            .map(|g| place_of(g))
            .collect();
        // The default inputs, or a glob with no fixed place (`**/*.rs`),
        // reach anywhere.
        let anywhere = inputs.is_none() || includes.iter().any(|p| p.is_empty());
        let reaches = |spot: &str| {
            filter.matches(spot)
                || anywhere
                || includes
                    .iter()
                    .any(|p| is_under(p, spot) || is_under(spot, p))
        };
        if let Some(s) = self.submodules.iter().find(|s| reaches(s)) {
            return Some(format!("its inputs reach the submodule `{s}`"));
        }
        // Ignored files count only at places the inputs name.
        if let Some(i) = self.ignored.iter().find(|i| {
            includes
                .iter()
                .any(|p| !p.is_empty() && (is_under(p, i) || is_under(i, p)))
        }) {
            return Some(format!("its inputs name the ignored `{i}`"));
        }
        if let Some(l) = self
            .links
            .iter()
            .find(|l| filter.matches(l) || includes.iter().any(|p| !p.is_empty() && is_under(p, l)))
        {
            return Some(format!("its inputs hold the symlink `{l}`"));
        }
        if let Some(f) = self.flagged.iter().find(|f| filter.matches(f)) {
            return Some(format!(
                "its input `{f}` is marked assume-unchanged or skip-worktree"
            ));
        }
        None
    }
}

/// One shard of N, and what each gate is expected to cost (predicted
/// seconds per config gate; `None` when unknown).
#[derive(Debug, Clone, Default)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
    pub weights: Vec<Option<f64>>,
}

/// Deals the running gates to `count` shards: a gate and everything it
/// needs (transitively, among running gates) go together; groups are
/// dealt longest first to the least loaded shard (ties: the lower shard,
/// then config order), so every shard computes the same answer from the
/// same config and history. Unknown weights count as the mean of the known
/// ones, or 1 when none is known. Returns each gate's 0-based shard.
pub(crate) fn deal(
    config: &Config,
    running: &[bool],
    weights: &[Option<f64>],
    count: usize,
) -> Vec<Option<usize>> {
    let n = config.gates.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, gate) in config.gates.iter().enumerate() {
        if !running[i] {
            continue;
        }
        for need in &gate.needs {
            if let Some(j) = config.gates.iter().position(|g| &g.id == need) {
                if running[j] {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let known: Vec<f64> = (0..n)
        .filter(|&i| running[i])
        .filter_map(|i| weights.get(i).copied().flatten())
        .collect();
    let fallback = if known.is_empty() {
        1.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    // Groups by their root (the lowest config index in them).
    let mut groups: Vec<(usize, f64)> = Vec::new();
    for (i, _) in running.iter().enumerate().filter(|(_, &r)| r) {
        let r = root(&mut parent, i);
        let w = weights
            .get(i)
            .copied()
            .flatten()
            .unwrap_or(fallback)
            .max(0.0);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some(g) => g.1 += w,
            None => groups.push((r, w)),
        }
    }
    groups.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut load = vec![0.0f64; count.max(1)];
    let mut shard_of_root = vec![None; n];
    for (r, w) in groups {
        let target = (0..load.len())
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[target] += w;
        shard_of_root[r] = Some(target);
    }
    (0..n)
        .map(|i| {
            if running[i] {
                shard_of_root[root(&mut parent, i)]
            } else {
                None
            }
        })
        .collect()
}

/// The position of a gate in [`Plan::gates`], which is also its position in
/// `Config::gates` (same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GateIdx(pub usize);

/// One value per plan gate, in plan order, indexed by [`GateIdx`] only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PerGate<T>(Vec<T>);

impl<T> PerGate<T> {
    /// How many gates.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no gates.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of gate `i`, if there is one.
    pub fn get(&self, i: GateIdx) -> Option<&T> {
        self.0.get(i.0)
    }

    /// The values, in plan order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// Each gate's index with its value, in plan order.
    pub fn enumerate(&self) -> impl Iterator<Item = (GateIdx, &T)> {
        self.0.iter().enumerate().map(|(i, v)| (GateIdx(i), v))
    }
}

impl<T> From<Vec<T>> for PerGate<T> {
    fn from(values: Vec<T>) -> Self {
        PerGate(values)
    }
}

impl<T> FromIterator<T> for PerGate<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        PerGate(values.into_iter().collect())
    }
}

impl<T> IntoIterator for PerGate<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a PerGate<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> std::ops::Index<GateIdx> for PerGate<T> {
    type Output = T;
    fn index(&self, i: GateIdx) -> &T {
        &self.0[i.0]
    }
}

impl<T> std::ops::IndexMut<GateIdx> for PerGate<T> {
    fn index_mut(&mut self, i: GateIdx) -> &mut T {
        &mut self.0[i.0]
    }
}

/// Every gate of the config, in config order, planned for one stage.
#[derive(Debug, Clone)]
pub struct Plan {
    pub stage: StageIdx,
    pub gates: Vec<PlannedGate>,
    pub fail_fast: bool,
    /// `--shard K/N`.
    pub shard: Option<(usize, usize)>,
    pub min_score: Option<f64>,
}

impl Plan {
    pub fn running(&self) -> impl Iterator<Item = &PlannedGate> {
        self.gates.iter().filter(|g| g.runs())
    }

    /// Whether gate `i` runs in this plan and its config lets the cache
    /// keep and reuse its result.
    pub fn cacheable(&self, config: &Config, i: GateIdx) -> bool {
        self.gate(i).runs() && config.gates[self.gate(i).index].cache
    }

    /// Every gate's index, in config order.
    pub fn indices(&self) -> impl Iterator<Item = GateIdx> {
        (0..self.gates.len()).map(GateIdx)
    }

    /// The planned gate at `i`.
    pub fn gate(&self, i: GateIdx) -> &PlannedGate {
        &self.gates[i.0]
    }

    /// The needs of gate `i` that run in this plan.
    pub fn needs_of(&self, i: GateIdx) -> impl Iterator<Item = GateIdx> + '_ {
        self.gate(i).needs.iter().copied()
    }
}

/// `--changed-since`: how the gates of config text `now` differ from
/// those of `before`, the config file at REF (`None`: it did not exist).
///
/// Compared as written, table by table, once parsed (so layout, comments,
/// quoting and key order do not count): a gate whose `[gates.NAME]` table
/// differs in anything but `description`, or that is new, is redefined.
/// When what every gate means changed (`stages`, the default `timeout`), or
/// `before` is missing or not TOML, every gate is, and the reason says why.
pub(crate) fn redefined(now: &str, before: Option<&str>) -> Redefined {
    let Ok(now) = now.parse::<toml::Table>() else {
        return Redefined::Every("the config cannot be read as TOML".to_owned());
    };
    let Some(before) = before else {
        return Redefined::Every("the config did not exist there".to_owned());
    };
    let before = match before.parse::<toml::Table>() {
        Ok(t) => t,
        Err(e) => {
            let why = e.message().lines().next().unwrap_or("").to_owned();
            return Redefined::Every(format!("the config there is not valid TOML ({why})"));
        }
    };
    let at = |t: &toml::Table, table: &str, key: &str| -> Option<toml::Value> {
        t.get(table)?.get(key).cloned()
    };
    if now.get("stages") != before.get("stages") {
        return Redefined::Every("the stages changed".to_owned());
    }
    if at(&now, "settings", "timeout") != at(&before, "settings", "timeout") {
        return Redefined::Every("the default timeout changed".to_owned());
    }
    let gates = |t: &toml::Table| -> toml::Table {
        match t.get("gates") {
            Some(toml::Value::Table(g)) => g.clone(),
            _ => toml::Table::new(),
        }
    };
    let definition = |gate: &toml::Value| -> Option<toml::Table> {
        let mut table = gate.as_table()?.clone();
        table.remove("description");
        Some(table)
    };
    let before = gates(&before);
    Redefined::Gates(
        gates(&now)
            .iter()
            .filter(|(name, gate)| {
                before.get(name.as_str()).and_then(definition) != definition(gate)
            })
            .map(|(name, _)| name.clone())
            .collect(),
    )
}

/// What [`redefined`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Redefined {
    /// These gates are new, or their definition changed.
    Gates(Vec<String>),
    /// Every gate counts as redefined, for this reason.
    Every(String),
}

/// Plans `stage`: active gates (`from`), their enforcement (`enforce_from`),
/// filters and the `needs` graph.
pub fn build(
    config: &Config,
    stage: StageIdx,
    filters: &Filters,
    fail_fast_flag: bool,
) -> Result<Plan, UserError> {
    let known = |name: &str, flag: &str| -> Result<usize, UserError> {
        config
            .gates
            .iter()
            .position(|g| g.id.as_str() == name)
            .ok_or_else(|| {
                UserError::new(format!("{flag} names unknown gate `{name}`")).hint(
                    did_you_mean(name, config.gates.iter().map(|g| g.id.as_str())).unwrap_or_else(
                        || {
                            format!(
                                "the gates are: {}",
                                config
                                    .gates
                                    .iter()
                                    .map(|g| g.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        },
                    ),
                )
            })
    };
    let mut selected: Option<HashSet<usize>> = None;
    if !filters.only.is_empty() {
        let mut set = HashSet::new();
        let mut todo = Vec::new();
        for name in &filters.only {
            todo.push(known(name, "--only")?);
        }
        // Pull in what the named gates need, transitively, the way a build
        // tool builds a target's dependencies.
        while let Some(i) = todo.pop() {
            if set.insert(i) {
                for need in &config.gates[i].needs {
                    todo.extend(config.gates.iter().position(|g| &g.id == need));
                }
            }
        }
        selected = Some(set);
    }
    let mut skipped = Vec::new();
    for name in &filters.skip {
        skipped.push((known(name, "--skip")?, "--skip"));
    }
    for name in &filters.env_skip {
        skipped.push((known(name, "PQG_SKIP")?, "PQG_SKIP"));
    }

    let mut gates: Vec<PlannedGate> = config
        .gates
        .iter()
        .enumerate()
        .map(|(index, gate)| {
            let activity = if let Some(&(_, via)) = skipped.iter().find(|(i, _)| *i == index) {
                Activity::Skip(SkipReason::SkippedByUser { via })
            } else if selected.as_ref().is_some_and(|s| !s.contains(&index)) {
                Activity::Skip(SkipReason::NotSelected)
            } else if stage < gate.from {
                Activity::Skip(SkipReason::NotYet { from: gate.from })
            } else if filters.changed.as_ref().is_some_and(|changed| {
                !filters.redefined.iter().any(|r| r == gate.id.as_str()) &&
                // An input glob that does not compile selects nothing here;
                // the cache reports it as an error when the gate runs.
                InputFilter::new(gate.inputs.as_deref()).is_ok_and(|f| {
                    if changed.iter().any(|p| f.matches(p)) {
                        return false;
                    }
                    match filters.blind.reason(gate.inputs.as_deref(), &f) {
                        Some(why) => {
                            crate::info!(
                                "--changed-since: {} runs: {why}, whose changes git diff does not show",
                                gate.id
                            );
                            false
                        }
                        None => true,
                    }
                })
            }) {
                Activity::Skip(SkipReason::Unaffected)
            } else if stage < gate.enforce_from {
                Activity::Run(Enforcement::Warn)
            } else {
                Activity::Run(Enforcement::Block)
            };
            PlannedGate {
                index,
                id: gate.id.clone(),
                activity,
                needs: Vec::new(),
            }
        })
        .collect();
    if let Some(shard) = &filters.shard {
        let running: Vec<bool> = gates.iter().map(PlannedGate::runs).collect();
        let dealt = deal(config, &running, &shard.weights, shard.count);
        for (g, share) in gates.iter_mut().zip(dealt) {
            if share.is_some_and(|s| s + 1 != shard.index) {
                g.activity = Activity::Skip(SkipReason::OtherShard {
                    shard: share.map_or(0, |s| s + 1),
                    count: shard.count,
                });
            }
        }
    }
    for i in 0..gates.len() {
        let needs = config.gates[i]
            .needs
            .iter()
            .filter_map(|need| config.gates.iter().position(|g| &g.id == need))
            .filter(|&n| gates[n].runs())
            .map(GateIdx)
            .collect();
        gates[i].needs = needs;
    }
    Ok(Plan {
        stage,
        gates,
        fail_fast: fail_fast_flag
            || config
                .settings
                .fail_fast
                .at(stage)
                .copied()
                .unwrap_or(false),
        min_score: config.settings.min_score.at(stage).copied(),
        shard: filters.shard.as_ref().map(|s| (s.index, s.count)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn shards_of_forty_mixed_gates_balance_within_ten_percent() {
        // Durations from 1 s to 2 min, a heavy tail, and two chains of needs.
        let mut text = String::new();
        let mut weights = Vec::new();
        for i in 0..40 {
            text.push_str(&format!("[gates.g{i}]\nrun = 'true'\n"));
            if i % 10 == 9 {
                text.push_str(&format!("needs = ['g{}']\n", i - 1));
            }
            let w = match i % 7 {
                0 => 120.0,
                1 => 45.0,
                2 => 30.0,
                3 => 12.0,
                4 => 5.0,
                5 => 2.0,
                _ => 1.0,
            } + i as f64 * 0.37;
            weights.push(Some(w));
        }
        let config = Config::parse(Path::new("gates.toml"), &text).unwrap();
        let running = vec![true; 40];
        for n in [2, 3, 4] {
            let dealt = deal(&config, &running, &weights, n);
            let mut load = vec![0.0; n];
            for (i, s) in dealt.iter().enumerate() {
                load[s.unwrap()] += weights[i].unwrap();
            }
            let mean = load.iter().sum::<f64>() / n as f64;
            let max = load.iter().cloned().fold(0.0, f64::max);
            assert!(max <= mean * 1.10, "{n} shards: {load:?} (mean {mean})");
            // Needs travel with their gate.
            for i in (9..40).step_by(10) {
                assert_eq!(dealt[i], dealt[i - 1]);
            }
        }
        // No history: every gate weighs the same, and the deal is stable.
        let none = vec![None; 40];
        let a = deal(&config, &running, &none, 3);
        assert_eq!(a, deal(&config, &running, &none, 3));
        for s in 0..3 {
            let count = a.iter().filter(|x| **x == Some(s)).count();
            assert!((12..=15).contains(&count), "{count}");
        }
    }

    const CONFIG: &str = r#"
[settings]
min_score = { staging = 80 }
fail_fast = { production = true }
[gates.fmt]
run = "true"
[gates.build]
run = "true"
from = "development"
[gates.test]
run = "true"
needs = ["build"]
from = "development"
enforce_from = "staging"
[gates.audit]
run = "true"
from = "production"
"#;

    fn config() -> Config {
        Config::parse(Path::new("gates.toml"), CONFIG).unwrap()
    }

    fn activities(plan: &Plan) -> Vec<(&str, Activity)> {
        plan.gates
            .iter()
            .map(|g| (g.id.as_str(), g.activity.clone()))
            .collect()
    }

    #[test]
    fn gates_start_at_from_and_block_from_enforce_from() {
        let c = config();
        let dev = build(&c, StageIdx(1), &Filters::default(), false).unwrap();
        assert_eq!(
            activities(&dev),
            [
                ("fmt", Activity::Run(Enforcement::Block)),
                ("build", Activity::Run(Enforcement::Block)),
                ("test", Activity::Run(Enforcement::Warn)),
                (
                    "audit",
                    Activity::Skip(SkipReason::NotYet { from: StageIdx(3) })
                ),
            ]
        );
        assert_eq!(dev.gates[2].needs, [GateIdx(1)]);
        assert!(!dev.fail_fast);
        assert_eq!(dev.min_score, None);
        let prod = build(&c, StageIdx(3), &Filters::default(), false).unwrap();
        assert!(prod
            .gates
            .iter()
            .all(|g| g.activity == Activity::Run(Enforcement::Block)));
        assert!(prod.fail_fast);
        assert_eq!(prod.min_score, Some(80.0));
    }

    #[test]
    fn only_pulls_in_needs_and_skip_wins() {
        let c = config();
        let filters = Filters {
            only: vec!["test".into()],
            ..Filters::default()
        };
        let plan = build(&c, StageIdx(2), &filters, false).unwrap();
        let running: Vec<_> = plan.running().map(|g| g.id.as_str()).collect();
        assert_eq!(running, ["build", "test"]);

        let filters = Filters {
            env_skip: vec!["build".into()],
            ..Filters::default()
        };
        let plan = build(&c, StageIdx(2), &filters, false).unwrap();
        assert_eq!(
            plan.gates[1].activity,
            Activity::Skip(SkipReason::SkippedByUser { via: "PQG_SKIP" })
        );
        assert!(plan.gates[2].needs.is_empty(), "a skipped need is ignored");
    }

    #[test]
    fn unknown_filter_names_are_errors_with_suggestions() {
        let c = config();
        let filters = Filters {
            skip: vec!["tset".into()],
            ..Filters::default()
        };
        let err = build(&c, StageIdx(2), &filters, false).unwrap_err();
        assert!(err.to_string().contains("--skip names unknown gate `tset`"));
        assert!(err.to_string().contains("did you mean `test`?"));
    }

    #[test]
    fn redefined_gates_are_new_or_changed_tables_as_parsed() {
        let before = "[gates.a]\nrun = 'true'\n[gates.b]\nrun = 'true'\ndescription = 'x'\n[gates.gone]\nrun = 'true'\n";
        let now = "[gates.b]\ndescription = \"y\"\nrun = \"true\"\n[gates.a]\nrun = 'false'\n[gates.c]\nrun = 'true'\n";
        assert_eq!(
            redefined(now, Some(before)),
            Redefined::Gates(vec!["a".into(), "c".into()])
        );
        assert_eq!(redefined(before, Some(before)), Redefined::Gates(vec![]));
        let every = |r: Redefined| matches!(r, Redefined::Every(_));
        assert!(every(redefined(now, None)));
        assert!(every(redefined(now, Some("[gates"))));
        assert!(every(redefined(
            &format!("stages = ['a', 'b']\n{now}"),
            Some(now)
        )));
        assert!(every(redefined(
            &format!("[settings]\ntimeout = '1m'\n{now}"),
            Some(now)
        )));
    }
}
