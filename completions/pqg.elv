
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
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Run the gates of a stage and judge them'
            cand list 'Print a stage''s effective profile: gates, enforcement, thresholds'
            cand validate 'Check the config and print its warnings'
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
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand --fail-fast 'Stop at the first blocking failure and cancel running gates'
            cand -q 'Print only failures and the summary line'
            cand --quiet 'Print only failures and the summary line'
            cand --keep-logs 'Write every gate''s full output under <cache_dir>/logs/<run id>/'
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
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;validate'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;completions'= {
            cand --config 'The config file [default: the nearest gates.toml from here upward]'
            cand --color 'When to colour the output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pqg;help'= {
            cand check 'Run the gates of a stage and judge them'
            cand list 'Print a stage''s effective profile: gates, enforcement, thresholds'
            cand validate 'Check the config and print its warnings'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pqg;help;check'= {
        }
        &'pqg;help;list'= {
        }
        &'pqg;help;validate'= {
        }
        &'pqg;help;completions'= {
        }
        &'pqg;help;help'= {
        }
    ]
    $completions[$command]
}
