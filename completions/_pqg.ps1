
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
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the gates of a stage and judge them')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print a stage''s effective profile: gates, enforcement, thresholds')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the config and print its warnings')
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
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop at the first blocking failure and cancel running gates')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only failures and the summary line')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only failures and the summary line')
            [CompletionResult]::new('--keep-logs', '--keep-logs', [CompletionResultType]::ParameterName, 'Write every gate''s full output under <cache_dir>/logs/<run id>/')
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
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;validate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: the nearest gates.toml from here upward]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pqg;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the gates of a stage and judge them')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print a stage''s effective profile: gates, enforcement, thresholds')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the config and print its warnings')
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
