mod common;
use common::TestRepo;

#[test]
fn a_passing_stage_exits_zero_and_a_failing_one_exits_one() {
    let repo = TestRepo::new()
        .gates("[gates.ok]\nrun = 'true'\n[gates.bad]\nrun = 'false'\nfrom = 'staging'\n");
    repo.pqg(["check"]).assert().code(0);
    repo.pqg(["check", "--stage", "staging"]).assert().code(1);
}
