
use builtin;
use str;

set edit:completion:arg-completer[pqg] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pqg'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pqg'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Run the gates of a stage and judge them (with no gates.toml: the built-in default profile)'
            cand list 'Print a stage''s effective profile: gates, enforcement, thresholds'
            cand validate 'Check the config and print its warnings'
            cand explain 'Why a gate would or would not be answered from the cache'
            cand history 'Recent runs, or one gate''s recent results'
            cand stats 'Per gate: runs, pass rate, flakiness, durations, cache hit rate'
            cand ladder 'Judge one run at every stage: which stage the code is ready for, and what blocks the next'
            cand baseline 'Save or show the committed metric baseline (gates.baseline.json)'
            cand merge 'Join shard reports (JSON, from --shard K/N runs) into one report, one verdict and its exit code'
            cand hook 'Install or remove a git hook that runs `pqg check`'
            cand cache 'Inspect or clean the result cache'
            cand init 'Write a commented gates.toml for the project here (Cargo, npm, pnpm, yarn, Python, Go; several in a monorepo)'
            cand schema 'Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)'
            cand man 'Print pqg''s man page (roff), e.g. `pqg man > pqg.1`'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;check'= {
            cand -s 'The stage to check [default: settings.default_stage, else the lowest]'
            cand --stage 'The stage to check [default: settings.default_stage, else the lowest]'
            cand -j 'Parallel slots; 0 = one per core'
            cand --jobs 'Parallel slots; 0 = one per core'
            cand --only 'Run only these gates (and what they need)'
            cand --skip 'Do not run these gates'
            cand --format 'Report format written to stdout'
            cand --report 'Also write a report to a file, as FORMAT=PATH (repeatable)'
            cand --progress 'Progress display on stderr (only ever on a terminal, never under CI)'
            cand --shard 'Run shard K of N: a deterministic share of the stage''s gates, balanced by history durations (a gate''s needs travel with it)'
            cand --changed-since 'Run only the gates whose inputs changed since the merge base with REF (work tree included); the changed files reach each gate through PQG_FILES, a path to a NUL-separated list'
            cand --new-code-since 'Where new code starts for `scope = "new"` metrics: lines added or modified since the merge base of REF and HEAD, work tree included (default: settings.new_code_since, the CI''s target branch, the upstream, origin/HEAD, main or master)'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --fail-fast 'Stop at the first blocking failure and cancel running gates'
            cand -q 'Print only failures and the summary line'
            cand --quiet 'Print only failures and the summary line'
            cand --keep-logs 'Write every gate''s full output under <cache_dir>/logs/<run id>/'
            cand --no-cache 'Neither read nor write cached results'
            cand --no-annotations 'Under GitHub Actions (GITHUB_ACTIONS=true), do not print workflow annotations nor append the Markdown summary to $GITHUB_STEP_SUMMARY'
            cand --forbid-writes 'Fail a gate that rewrites tracked files even when it says `writes = true` (the pre-push hook checks so: a fix is not what is pushed)'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;list'= {
            cand -s 'The stage to show [default: settings.default_stage, else the lowest]'
            cand --stage 'The stage to show [default: settings.default_stage, else the lowest]'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;validate'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;explain'= {
            cand -s 'The stage to explain it at'
            cand --stage 'The stage to explain it at'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;history'= {
            cand -n 'How many runs to show'
            cand --count 'How many runs to show'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;stats'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;ladder'= {
            cand -j 'Parallel slots; 0 = one per core'
            cand --jobs 'Parallel slots; 0 = one per core'
            cand --format 'Output format'
            cand --progress 'Progress display on stderr (only ever on a terminal, never under CI)'
            cand --new-code-since 'Where new code starts for `scope = "new"` metrics (as for check)'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --no-cache 'Neither read nor write cached results'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;baseline'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand save 'Run the gates and write each metric''s value to gates.baseline.json'
            cand show 'Print the baseline, with each metric''s latest value'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;baseline;save'= {
            cand -s 'The stage whose gates run [default: the highest, so every metric gets a value]'
            cand --stage 'The stage whose gates run [default: the highest, so every metric gets a value]'
            cand -j 'Parallel slots; 0 = one per core'
            cand --jobs 'Parallel slots; 0 = one per core'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --no-cache 'Neither read nor write cached results'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;baseline;show'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;baseline;help'= {
            cand save 'Run the gates and write each metric''s value to gates.baseline.json'
            cand show 'Print the baseline, with each metric''s latest value'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;baseline;help;save'= {
        }
        &'pqg;baseline;help;show'= {
        }
        &'pqg;baseline;help;help'= {
        }
        &'pqg;merge'= {
            cand -s 'Require this stage of every report'
            cand --stage 'Require this stage of every report'
            cand --format 'Report format written to stdout'
            cand --report 'Also write a report to a file, as FORMAT=PATH (repeatable)'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;hook'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand install 'Write the hook (honours core.hooksPath and linked worktrees)'
            cand run 'What an installed hook runs (not for use by hand)'
            cand uninstall 'Remove pqg''s hook and restore the one it replaced, if any'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;hook;install'= {
            cand --hook 'Which hook'
            cand -s 'The stage the hook checks [default: settings.default_stage, else development]'
            cand --stage 'The stage the hook checks [default: settings.default_stage, else development]'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --force 'Replace a hook pqg did not write (it is kept as HOOK.pqg-backup)'
            cand --changed-only 'pre-push: run only the gates whose inputs changed since what the remote has (--changed-since the remote''s commit)'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;hook;run'= {
            cand --hook 'hook'
            cand -s 's'
            cand --stage 'stage'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --changed-only 'changed-only'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;hook;uninstall'= {
            cand --hook 'Which hook'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;hook;help'= {
            cand install 'Write the hook (honours core.hooksPath and linked worktrees)'
            cand run 'What an installed hook runs (not for use by hand)'
            cand uninstall 'Remove pqg''s hook and restore the one it replaced, if any'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;hook;help;install'= {
        }
        &'pqg;hook;help;run'= {
        }
        &'pqg;hook;help;uninstall'= {
        }
        &'pqg;hook;help;help'= {
        }
        &'pqg;cache'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand stats 'Entries, size and location of the cache'
            cand prune 'Delete entries older than a duration'
            cand clear 'Delete every cached result (history is kept)'
            cand export 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)'
            cand import 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;cache;stats'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;cache;prune'= {
            cand --older-than 'Age, e.g. `30d`, `12h`'
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;cache;clear'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;cache;export'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;cache;import'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --require-signature 'Refuse to import unless PQG_CACHE_SIGNING_KEY is set (not empty) and every entry is signed with it'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;cache;help'= {
            cand stats 'Entries, size and location of the cache'
            cand prune 'Delete entries older than a duration'
            cand clear 'Delete every cached result (history is kept)'
            cand export 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)'
            cand import 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;cache;help;stats'= {
        }
        &'pqg;cache;help;prune'= {
        }
        &'pqg;cache;help;clear'= {
        }
        &'pqg;cache;help;export'= {
        }
        &'pqg;cache;help;import'= {
        }
        &'pqg;cache;help;help'= {
        }
        &'pqg;init'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand --force 'Replace an existing gates.toml (kept as gates.toml.bak)'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;schema'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;man'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;completions'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --log-format 'Log lines as text or as one JSON object per line'
            cand -v 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand --verbose 'Log what pqg decides on stderr (-v: plan, cache hits and misses; -vv: also timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;help'= {
            cand check 'Run the gates of a stage and judge them (with no gates.toml: the built-in default profile)'
            cand list 'Print a stage''s effective profile: gates, enforcement, thresholds'
            cand validate 'Check the config and print its warnings'
            cand explain 'Why a gate would or would not be answered from the cache'
            cand history 'Recent runs, or one gate''s recent results'
            cand stats 'Per gate: runs, pass rate, flakiness, durations, cache hit rate'
            cand ladder 'Judge one run at every stage: which stage the code is ready for, and what blocks the next'
            cand baseline 'Save or show the committed metric baseline (gates.baseline.json)'
            cand merge 'Join shard reports (JSON, from --shard K/N runs) into one report, one verdict and its exit code'
            cand hook 'Install or remove a git hook that runs `pqg check`'
            cand cache 'Inspect or clean the result cache'
            cand init 'Write a commented gates.toml for the project here (Cargo, npm, pnpm, yarn, Python, Go; several in a monorepo)'
            cand schema 'Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)'
            cand man 'Print pqg''s man page (roff), e.g. `pqg man > pqg.1`'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;help;check'= {
        }
        &'pqg;help;list'= {
        }
        &'pqg;help;validate'= {
        }
        &'pqg;help;explain'= {
        }
        &'pqg;help;history'= {
        }
        &'pqg;help;stats'= {
        }
        &'pqg;help;ladder'= {
        }
        &'pqg;help;baseline'= {
            cand save 'Run the gates and write each metric''s value to gates.baseline.json'
            cand show 'Print the baseline, with each metric''s latest value'
        }
        &'pqg;help;baseline;save'= {
        }
        &'pqg;help;baseline;show'= {
        }
        &'pqg;help;merge'= {
        }
        &'pqg;help;hook'= {
            cand install 'Write the hook (honours core.hooksPath and linked worktrees)'
            cand run 'What an installed hook runs (not for use by hand)'
            cand uninstall 'Remove pqg''s hook and restore the one it replaced, if any'
        }
        &'pqg;help;hook;install'= {
        }
        &'pqg;help;hook;run'= {
        }
        &'pqg;help;hook;uninstall'= {
        }
        &'pqg;help;cache'= {
            cand stats 'Entries, size and location of the cache'
            cand prune 'Delete entries older than a duration'
            cand clear 'Delete every cached result (history is kept)'
            cand export 'Write every cached result to FILE (signed with PQG_CACHE_SIGNING_KEY when it is set)'
            cand import 'Add the results in FILE to the cache; never replaces a newer entry; with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed files'
        }
        &'pqg;help;cache;stats'= {
        }
        &'pqg;help;cache;prune'= {
        }
        &'pqg;help;cache;clear'= {
        }
        &'pqg;help;cache;export'= {
        }
        &'pqg;help;cache;import'= {
        }
        &'pqg;help;init'= {
        }
        &'pqg;help;schema'= {
        }
        &'pqg;help;man'= {
        }
        &'pqg;help;completions'= {
        }
        &'pqg;help;help'= {
        }
    ]
    $completions[$command]
}
