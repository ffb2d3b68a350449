# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pqg_global_optspecs
    string join \n config= color= v/verbose log-format= h/help V/version
end

function __fish_pqg_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pqg_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pqg_using_subcommand
    set -l cmd (__fish_pqg_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pqg -n "__fish_pqg_needs_command" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_needs_command" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_needs_command" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_needs_command" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_needs_command" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_needs_command" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "check" -d 'Run the gates of a stage and judge them (with no gates.toml: the built-in default profile)'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "list" -d 'Print a stage\'s effective profile: gates, enforcement, thresholds'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "validate" -d 'Check the config and print its warnings'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "explain" -d 'Why a gate would or would not be answered from the cache'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "history" -d 'Recent runs, or one gate\'s recent results'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "stats" -d 'Per gate: runs, pass rate, flakiness, durations, cache hit rate'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "ladder" -d 'Judge one run at every stage: which stage the code is ready for, and what blocks the next'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "baseline" -d 'Save or show the committed metric baseline (gates.baseline.json)'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "merge" -d 'Join shard reports (JSON, from --shard K/N runs) into one report, one verdict and its exit code'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "hook" -d 'Install or remove a git hook that runs `pqg check`'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "cache" -d 'Inspect or clean the result cache'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "init" -d 'Write a commented gates.toml for the project here (Cargo, npm, pnpm, yarn, Python, Go; several in a monorepo)'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "schema" -d 'Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "man" -d 'Print pqg\'s man page (roff), e.g. `pqg man > pqg.1`'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c pqg -n "__fish_pqg_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand check" -s s -l stage -d 'The stage to check [default: settings.default_stage, else the lowest]' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -s j -l jobs -d 'Parallel slots; 0 = one per core' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l only -d 'Run only these gates (and what they need)' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l skip -d 'Do not run these gates' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l format -d 'Report format written to stdout' -r -f -a "table\t'The terminal table'
json\t'The JSON report (schema 1)'
sarif\t'SARIF 2.1.0: the builtins\' findings, for code scanning'
jsonl\t'One JSON event per line as gates start and finish, then the report'
junit\t'JUnit XML: one test suite, one test case per gate'
markdown\t'Markdown, for $GITHUB_STEP_SUMMARY and pull-request comments'
github\t'GitHub Actions workflow commands (::error, ::warning, ::notice)'
prometheus\t'Prometheus text exposition format (textfile collector, Pushgateway)'"
complete -c pqg -n "__fish_pqg_using_subcommand check" -l report -d 'Also write a report to a file, as FORMAT=PATH (repeatable)' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l progress -d 'Progress display on stderr (only ever on a terminal, never under CI)' -r -f -a "auto\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand check" -l shard -d 'Run shard K of N: a deterministic share of the stage\'s gates, balanced by history durations (a gate\'s needs travel with it)' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l changed-since -d 'Run only the gates whose inputs changed since the merge base with REF (work tree included); the changed files reach each gate through PQG_FILES, a path to a NUL-separated list' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l new-code-since -d 'Where new code starts for `scope = "new"` metrics: lines added or modified since the merge base of REF and HEAD, work tree included (default: settings.new_code_since, the CI\'s target branch, the upstream, origin/HEAD, main or master)' -r
complete -c pqg -n "__fish_pqg_using_subcommand check" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand check" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand check" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand check" -l fail-fast -d 'Stop at the first blocking failure and cancel running gates'
complete -c pqg -n "__fish_pqg_using_subcommand check" -s q -l quiet -d 'Print only failures and the summary line'
complete -c pqg -n "__fish_pqg_using_subcommand check" -l keep-logs -d 'Write every gate\'s full output under <cache_dir>/logs/<run id>/'
complete -c pqg -n "__fish_pqg_using_subcommand check" -l no-cache -d 'Neither read nor write cached results'
complete -c pqg -n "__fish_pqg_using_subcommand check" -l no-annotations -d 'Under GitHub Actions (GITHUB_ACTIONS=true), do not print workflow annotations nor append the Markdown summary to $GITHUB_STEP_SUMMARY'
complete -c pqg -n "__fish_pqg_using_subcommand check" -l forbid-writes -d 'Fail a gate that rewrites tracked files even when it says `writes = true` (the pre-push hook checks so: a fix is not what is pushed)'
complete -c pqg -n "__fish_pqg_using_subcommand check" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pqg -n "__fish_pqg_using_subcommand check" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand list" -s s -l stage -d 'The stage to show [default: settings.default_stage, else the lowest]' -r
complete -c pqg -n "__fish_pqg_using_subcommand list" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand list" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand list" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand list" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand list" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand list" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand validate" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand validate" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand validate" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand validate" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand validate" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand validate" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand explain" -s s -l stage -d 'The stage to explain it at' -r
complete -c pqg -n "__fish_pqg_using_subcommand explain" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand explain" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand explain" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand explain" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand explain" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand explain" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand history" -s n -l count -d 'How many runs to show' -r
complete -c pqg -n "__fish_pqg_using_subcommand history" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand history" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand history" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand history" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand history" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand history" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand stats" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand stats" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand stats" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand stats" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand stats" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand stats" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -s j -l jobs -d 'Parallel slots; 0 = one per core' -r
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l format -d 'Output format' -r -f -a "table\t'A gates × stages matrix and what blocks the next stage'
json\t'The same as one JSON object'"
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l progress -d 'Progress display on stderr (only ever on a terminal, never under CI)' -r -f -a "auto\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l new-code-since -d 'Where new code starts for `scope = "new"` metrics (as for check)' -r
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -l no-cache -d 'Neither read nor write cached results'
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pqg -n "__fish_pqg_using_subcommand ladder" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -f -a "save" -d 'Run the gates and write each metric\'s value to gates.baseline.json'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -f -a "show" -d 'Print the baseline, with each metric\'s latest value'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and not __fish_seen_subcommand_from save show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -s s -l stage -d 'The stage whose gates run [default: the highest, so every metric gets a value]' -r
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -s j -l jobs -d 'Parallel slots; 0 = one per core' -r
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -l no-cache -d 'Neither read nor write cached results'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from save" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from show" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from show" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from show" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from help" -f -a "save" -d 'Run the gates and write each metric\'s value to gates.baseline.json'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the baseline, with each metric\'s latest value'
complete -c pqg -n "__fish_pqg_using_subcommand baseline; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand merge" -s s -l stage -d 'Require this stage of every report' -r
complete -c pqg -n "__fish_pqg_using_subcommand merge" -l format -d 'Report format written to stdout' -r -f -a "table\t'The terminal table'
json\t'The JSON report (schema 1)'
sarif\t'SARIF 2.1.0: the builtins\' findings, for code scanning'
jsonl\t'One JSON event per line as gates start and finish, then the report'
junit\t'JUnit XML: one test suite, one test case per gate'
markdown\t'Markdown, for $GITHUB_STEP_SUMMARY and pull-request comments'
github\t'GitHub Actions workflow commands (::error, ::warning, ::notice)'
prometheus\t'Prometheus text exposition format (textfile collector, Pushgateway)'"
complete -c pqg -n "__fish_pqg_using_subcommand merge" -l report -d 'Also write a report to a file, as FORMAT=PATH (repeatable)' -r
complete -c pqg -n "__fish_pqg_using_subcommand merge" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand merge" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand merge" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand merge" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand merge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pqg -n "__fish_pqg_using_subcommand merge" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -f -a "install" -d 'Write the hook (honours core.hooksPath and linked worktrees)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -f -a "run" -d 'What an installed hook runs (not for use by hand)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -f -a "uninstall" -d 'Remove pqg\'s hook and restore the one it replaced, if any'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and not __fish_seen_subcommand_from install run uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -l hook -d 'Which hook' -r -f -a "pre-push\t''
pre-commit\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -s s -l stage -d 'The stage the hook checks [default: settings.default_stage, else development]' -r
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -l force -d 'Replace a hook pqg did not write (it is kept as HOOK.pqg-backup)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -l changed-only -d 'pre-push: run only the gates whose inputs changed since what the remote has (--changed-since the remote\'s commit)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -l hook -r -f -a "pre-push\t''
pre-commit\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -s s -l stage -r
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -l changed-only
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l hook -d 'Which hook' -r -f -a "pre-push\t''
pre-commit\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write the hook (honours core.hooksPath and linked worktrees)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "run" -d 'What an installed hook runs (not for use by hand)'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove pqg\'s hook and restore the one it replaced, if any'
complete -c pqg -n "__fish_pqg_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -f -a "stats" -d 'Entries, size and location of the cache'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -f -a "prune" -d 'Delete entries older than a duration'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -f -a "clear" -d 'Delete every cached result (history is kept)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -f -a "export" -d 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -f -a "import" -d 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and not __fish_seen_subcommand_from stats prune clear export import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from stats" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from stats" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from stats" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from stats" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from stats" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -l older-than -d 'Age, e.g. `30d`, `12h`' -r
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from clear" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from clear" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from clear" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from clear" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from export" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from export" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from export" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -l require-signature -d 'Refuse to import unless PQG_CACHE_SIGNING_KEY is set (not empty) and every entry is signed with it'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "stats" -d 'Entries, size and location of the cache'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete entries older than a duration'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Delete every cached result (history is kept)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "import" -d 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files'
complete -c pqg -n "__fish_pqg_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand init" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand init" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand init" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand init" -l force -d 'Replace an existing gates.toml (kept as gates.toml.bak)'
complete -c pqg -n "__fish_pqg_using_subcommand init" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand init" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand init" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand schema" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand schema" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand schema" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand schema" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand schema" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand schema" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand man" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand man" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand man" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand man" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand man" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand man" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand completions" -l config -d 'The config file [default: the nearest gates.toml from here upward]' -r -F
complete -c pqg -n "__fish_pqg_using_subcommand completions" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pqg -n "__fish_pqg_using_subcommand completions" -l log-format -d 'Log lines as text or as one JSON object per line' -r -f -a "text\t''
json\t''"
complete -c pqg -n "__fish_pqg_using_subcommand completions" -s v -l verbose -d 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
complete -c pqg -n "__fish_pqg_using_subcommand completions" -s h -l help -d 'Print help'
complete -c pqg -n "__fish_pqg_using_subcommand completions" -s V -l version -d 'Print version'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "check" -d 'Run the gates of a stage and judge them (with no gates.toml: the built-in default profile)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "list" -d 'Print a stage\'s effective profile: gates, enforcement, thresholds'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "validate" -d 'Check the config and print its warnings'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "explain" -d 'Why a gate would or would not be answered from the cache'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "history" -d 'Recent runs, or one gate\'s recent results'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "stats" -d 'Per gate: runs, pass rate, flakiness, durations, cache hit rate'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "ladder" -d 'Judge one run at every stage: which stage the code is ready for, and what blocks the next'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "baseline" -d 'Save or show the committed metric baseline (gates.baseline.json)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "merge" -d 'Join shard reports (JSON, from --shard K/N runs) into one report, one verdict and its exit code'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "hook" -d 'Install or remove a git hook that runs `pqg check`'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "cache" -d 'Inspect or clean the result cache'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "init" -d 'Write a commented gates.toml for the project here (Cargo, npm, pnpm, yarn, Python, Go; several in a monorepo)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "schema" -d 'Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "man" -d 'Print pqg\'s man page (roff), e.g. `pqg man > pqg.1`'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c pqg -n "__fish_pqg_using_subcommand help; and not __fish_seen_subcommand_from check list validate explain history stats ladder baseline merge hook cache init schema man completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from baseline" -f -a "save" -d 'Run the gates and write each metric\'s value to gates.baseline.json'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from baseline" -f -a "show" -d 'Print the baseline, with each metric\'s latest value'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Write the hook (honours core.hooksPath and linked worktrees)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "run" -d 'What an installed hook runs (not for use by hand)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Remove pqg\'s hook and restore the one it replaced, if any'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "stats" -d 'Entries, size and location of the cache'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "prune" -d 'Delete entries older than a duration'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "clear" -d 'Delete every cached result (history is kept)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "export" -d 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)'
complete -c pqg -n "__fish_pqg_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "import" -d 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files'
