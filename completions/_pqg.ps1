
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pqg' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pqg'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pqg' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the gates of a stage and judge them (with no gates.toml: the built-in default profile)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print a stage''s effective profile: gates, enforcement, thresholds')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the config and print its warnings')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Why a gate would or would not be answered from the cache')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Recent runs, or one gate''s recent results')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Per gate: runs, pass rate, flakiness, durations, cache hit rate')
            [CompletionResult]::new('ladder', 'ladder', [CompletionResultType]::ParameterValue, 'Judge one run at every stage: which stage the code is ready for, and what blocks the next')
            [CompletionResult]::new('baseline', 'baseline', [CompletionResultType]::ParameterValue, 'Save or show the committed metric baseline (gates.baseline.json)')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Join shard reports (JSON, from --shard K/N runs) into one report, one verdict and its exit code')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Install or remove a git hook that runs `pqg check`')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect or clean the result cache')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented gates.toml for the project here (Cargo, npm, pnpm, yarn, Python, Go; several in a monorepo)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print pqg''s man page (roff), e.g. `pqg man > pqg.1`')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;check' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The stage to check [default: settings.default_stage, else the lowest]')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'The stage to check [default: settings.default_stage, else the lowest]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Parallel slots; 0 = one per core')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Parallel slots; 0 = one per core')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these gates (and what they need)')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Do not run these gates')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format written to stdout')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Also write a report to a file, as FORMAT=PATH (repeatable)')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress display on stderr (only ever on a terminal, never under CI)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Run shard K of N: a deterministic share of the stage''s gates, balanced by history durations (a gate''s needs travel with it)')
            [CompletionResult]::new('--changed-since', '--changed-since', [CompletionResultType]::ParameterName, 'Run only the gates whose inputs changed since the merge base with REF (work tree included); the changed files reach each gate through PQG_FILES, a path to a NUL-separated list')
            [CompletionResult]::new('--new-code-since', '--new-code-since', [CompletionResultType]::ParameterName, 'Where new code starts for `scope = "new"` metrics: lines added or modified since the merge base of REF and HEAD, work tree included (default: settings.new_code_since, the CI''s target branch, the upstream, origin/HEAD, main or master)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop at the first blocking failure and cancel running gates')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only failures and the summary line')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only failures and the summary line')
            [CompletionResult]::new('--keep-logs', '--keep-logs', [CompletionResultType]::ParameterName, 'Write every gate''s full output under <cache_dir>/logs/<run id>/')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write cached results')
            [CompletionResult]::new('--no-annotations', '--no-annotations', [CompletionResultType]::ParameterName, 'Under GitHub Actions (GITHUB_ACTIONS=true), do not print workflow annotations nor append the Markdown summary to $GITHUB_STEP_SUMMARY')
            [CompletionResult]::new('--forbid-writes', '--forbid-writes', [CompletionResultType]::ParameterName, 'Fail a gate that rewrites tracked files even when it says `writes = true` (the pre-push hook checks so: a fix is not what is pushed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;list' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The stage to show [default: settings.default_stage, else the lowest]')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'The stage to show [default: settings.default_stage, else the lowest]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;validate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;explain' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The stage to explain it at')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'The stage to explain it at')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;history' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many runs to show')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many runs to show')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;stats' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;ladder' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Parallel slots; 0 = one per core')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Parallel slots; 0 = one per core')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress display on stderr (only ever on a terminal, never under CI)')
            [CompletionResult]::new('--new-code-since', '--new-code-since', [CompletionResultType]::ParameterName, 'Where new code starts for `scope = "new"` metrics (as for check)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write cached results')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;baseline' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Run the gates and write each metric''s value to gates.baseline.json')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the baseline, with each metric''s latest value')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;baseline;save' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The stage whose gates run [default: the highest, so every metric gets a value]')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'The stage whose gates run [default: the highest, so every metric gets a value]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Parallel slots; 0 = one per core')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Parallel slots; 0 = one per core')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write cached results')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;baseline;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;baseline;help' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Run the gates and write each metric''s value to gates.baseline.json')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the baseline, with each metric''s latest value')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;baseline;help;save' {
            break
        }
        'pqg;baseline;help;show' {
            break
        }
        'pqg;baseline;help;help' {
            break
        }
        'pqg;merge' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Require this stage of every report')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'Require this stage of every report')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format written to stdout')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Also write a report to a file, as FORMAT=PATH (repeatable)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;hook' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write the hook (honours core.hooksPath and linked worktrees)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'What an installed hook runs (not for use by hand)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove pqg''s hook and restore the one it replaced, if any')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;hook;install' {
            [CompletionResult]::new('--hook', '--hook', [CompletionResultType]::ParameterName, 'Which hook')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The stage the hook checks [default: settings.default_stage, else development]')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'The stage the hook checks [default: settings.default_stage, else development]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a hook pqg did not write (it is kept as HOOK.pqg-backup)')
            [CompletionResult]::new('--changed-only', '--changed-only', [CompletionResultType]::ParameterName, 'pre-push: run only the gates whose inputs changed since what the remote has (--changed-since the remote''s commit)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;hook;run' {
            [CompletionResult]::new('--hook', '--hook', [CompletionResultType]::ParameterName, 'hook')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 's')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'stage')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--changed-only', '--changed-only', [CompletionResultType]::ParameterName, 'changed-only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;hook;uninstall' {
            [CompletionResult]::new('--hook', '--hook', [CompletionResultType]::ParameterName, 'Which hook')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;hook;help' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write the hook (honours core.hooksPath and linked worktrees)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'What an installed hook runs (not for use by hand)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove pqg''s hook and restore the one it replaced, if any')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;hook;help;install' {
            break
        }
        'pqg;hook;help;run' {
            break
        }
        'pqg;hook;help;uninstall' {
            break
        }
        'pqg;hook;help;help' {
            break
        }
        'pqg;cache' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Entries, size and location of the cache')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete entries older than a duration')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Delete every cached result (history is kept)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;cache;stats' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;cache;prune' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Age, e.g. `30d`, `12h`')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;cache;clear' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;cache;export' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;cache;import' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--require-signature', '--require-signature', [CompletionResultType]::ParameterName, 'Refuse to import unless PQG_CACHE_SIGNING_KEY is set (not empty) and every entry is signed with it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;cache;help' {
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Entries, size and location of the cache')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete entries older than a duration')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Delete every cached result (history is kept)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;cache;help;stats' {
            break
        }
        'pqg;cache;help;prune' {
            break
        }
        'pqg;cache;help;clear' {
            break
        }
        'pqg;cache;help;export' {
            break
        }
        'pqg;cache;help;import' {
            break
        }
        'pqg;cache;help;help' {
            break
        }
        'pqg;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing gates.toml (kept as gates.toml.bak)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;schema' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;man' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or as one JSON object per line')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the gates of a stage and judge them (with no gates.toml: the built-in default profile)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print a stage''s effective profile: gates, enforcement, thresholds')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the config and print its warnings')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Why a gate would or would not be answered from the cache')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Recent runs, or one gate''s recent results')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Per gate: runs, pass rate, flakiness, durations, cache hit rate')
            [CompletionResult]::new('ladder', 'ladder', [CompletionResultType]::ParameterValue, 'Judge one run at every stage: which stage the code is ready for, and what blocks the next')
            [CompletionResult]::new('baseline', 'baseline', [CompletionResultType]::ParameterValue, 'Save or show the committed metric baseline (gates.baseline.json)')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Join shard reports (JSON, from --shard K/N runs) into one report, one verdict and its exit code')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Install or remove a git hook that runs `pqg check`')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect or clean the result cache')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented gates.toml for the project here (Cargo, npm, pnpm, yarn, Python, Go; several in a monorepo)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print pqg''s man page (roff), e.g. `pqg man > pqg.1`')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pqg;help;check' {
            break
        }
        'pqg;help;list' {
            break
        }
        'pqg;help;validate' {
            break
        }
        'pqg;help;explain' {
            break
        }
        'pqg;help;history' {
            break
        }
        'pqg;help;stats' {
            break
        }
        'pqg;help;ladder' {
            break
        }
        'pqg;help;baseline' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Run the gates and write each metric''s value to gates.baseline.json')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the baseline, with each metric''s latest value')
            break
        }
        'pqg;help;baseline;save' {
            break
        }
        'pqg;help;baseline;show' {
            break
        }
        'pqg;help;merge' {
            break
        }
        'pqg;help;hook' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write the hook (honours core.hooksPath and linked worktrees)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'What an installed hook runs (not for use by hand)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove pqg''s hook and restore the one it replaced, if any')
            break
        }
        'pqg;help;hook;install' {
            break
        }
        'pqg;help;hook;run' {
            break
        }
        'pqg;help;hook;uninstall' {
            break
        }
        'pqg;help;cache' {
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Entries, size and location of the cache')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete entries older than a duration')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Delete every cached result (history is kept)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files')
            break
        }
        'pqg;help;cache;stats' {
            break
        }
        'pqg;help;cache;prune' {
            break
        }
        'pqg;help;cache;clear' {
            break
        }
        'pqg;help;cache;export' {
            break
        }
        'pqg;help;cache;import' {
            break
        }
        'pqg;help;init' {
            break
        }
        'pqg;help;schema' {
            break
        }
        'pqg;help;man' {
            break
        }
        'pqg;help;completions' {
            break
        }
        'pqg;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
