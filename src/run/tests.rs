//! The runner end to end on real commands: what it asks of its caller's
//! judge, and what its events and result carry.

use super::*;
use crate::config::StageIdx;
use crate::plan::{build, Filters};
use std::sync::Mutex;

const CONFIG: &str = r#"
[gates.passes]
run = "true"
retries = 2
[gates.fails]
run = "false"
retries = 1
[gates.cached]
run = "false"
"#;

fn cached_pass() -> Execution {
    Execution {
        end: ExecEnd::Exited(0),
        duration: Duration::from_millis(5),
        output: Output::default(),
        metrics: Vec::new(),
        attempts: 1,
        findings: Vec::new(),
    }
}

fn options(jobs: usize, cache_dir: &Path) -> RunOptions {
    let job = |reuse| GateJob {
        reuse,
        ..GateJob::default()
    };
    RunOptions {
        jobs,
        stage: "dev".into(),
        run_id: "test".into(),
        logs_dir: None,
        secrets: Vec::new(),
        default_timeout: Some(Duration::from_secs(30)),
        gates: vec![
            job(Reuse::Nothing),
            job(Reuse::Nothing),
            job(Reuse::Cached(cached_pass())),
        ]
        .into(),
        fail_fast: false,
        handle_signals: false,
        cache_dir: cache_dir.to_path_buf(),
    }
}

#[test]
fn the_pool_has_a_thread_per_gate_that_may_run_at_once_and_no_more() {
    let config = Config::parse(Path::new("gates.toml"), CONFIG).unwrap();
    let plan = build(&config, StageIdx(0), &Filters::default(), false).unwrap();
    let dir = Path::new("/nonexistent");
    // Two gates run; the third is reused from the cache.
    assert_eq!(pool_size(&plan, &options(100_000, dir)), 2);
    assert_eq!(pool_size(&plan, &options(2, dir)), 2);
    assert_eq!(pool_size(&plan, &options(1, dir)), 1);
    assert_eq!(pool_size(&plan, &options(0, dir)), 1);
    let only_cached = Filters {
        only: vec!["cached".into()],
        ..Filters::default()
    };
    let none = build(&config, StageIdx(0), &only_cached, false).unwrap();
    assert_eq!(pool_size(&none, &options(8, dir)), 1);
}

#[test]
fn every_execution_is_assessed_once_and_the_answer_travels_with_it() {
    let config = Config::parse(Path::new("gates.toml"), CONFIG).unwrap();
    let plan = build(&config, StageIdx(0), &Filters::default(), false).unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let opts = options(2, cache_dir.path());
    let asked = Mutex::new(vec![0u32; 3]);
    let assess = |i: GateIdx, e: &Execution| {
        asked.lock().unwrap()[i.0] += 1;
        match e.end {
            ExecEnd::Exited(0) => Assessment::PASS,
            _ => Assessment::WARN,
        }
    };
    let mut finished = Vec::new();
    let result = execute(
        &config,
        &plan,
        &opts,
        &assess,
        &|_| Vec::new(),
        &mut |event| {
            if let RunEvent::Finished {
                gate, assessment, ..
            } = event
            {
                finished.push((gate, assessment));
            }
        },
    )
    .unwrap();

    // One question per execution: `passes` passed at once (retries unused),
    // `fails` ran twice, the cached result was asked about once when
    // reused.
    let attempts: Vec<u32> = result
        .executions
        .iter()
        .map(|e| e.as_ref().map_or(0, |e| e.attempts))
        .collect();
    assert_eq!(attempts, [1, 2, 1]);
    assert_eq!(asked.into_inner().unwrap(), [1, 2, 1]);
    // Each gate finished once, carrying the answer to its last execution.
    finished.sort_by_key(|(gate, _)| *gate);
    let passed = Assessment::PASS;
    let expected = [
        (GateIdx(0), passed),
        (GateIdx(1), Assessment::WARN),
        (GateIdx(2), passed),
    ];
    assert_eq!(finished, expected);
    assert_eq!(result.reused, vec![false, false, true].into());
}
