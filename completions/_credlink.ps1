
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'credlink' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'credlink'
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
        'credlink' {
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('connectors', 'connectors', [CompletionResultType]::ParameterValue, 'List the connectors in the catalog, or show one with the steps to get credentials')
            [CompletionResult]::new('link', 'link', [CompletionResultType]::ParameterValue, 'Link an account: ask for its credentials, check them live, then save them')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List linked accounts (reads no secret)')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the versions of an account in the team store: when each was linked, and by whom')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Work on stores as a whole')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Check stored accounts, or credentials given by environment/stdin, with a live request')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token for a linked OAuth account (cached until shortly before expiry)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with fresh credentials of linked accounts in its environment, never on a command line')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Send a request to a linked account''s API with its credentials applied (a path under the connector''s API base only)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a linked account''s token at the provider (where the connector can), then remove the account from its store')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'credlink;connectors' {
            [CompletionResult]::new('--category', '--category', [CompletionResultType]::ParameterName, 'Only connectors of this kind of product')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Only connectors of this auth kind')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;link' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name for this account [default: the connector id, or CONNECTOR-SUBDOMAIN]')
            [CompletionResult]::new('--redirect-port', '--redirect-port', [CompletionResultType]::ParameterName, 'Browser sign-in (oauth2_authorization_code): listen for the redirect on this port of 127.0.0.1 instead of the connector''s; register http://127.0.0.1:PORT/callback at the provider')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Browser sign-in or device code: seconds to wait for the sign-in to finish')
            [CompletionResult]::new('--subdomain', '--subdomain', [CompletionResultType]::ParameterName, 'The account''s subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that sign-in address works too)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client ID, or the connector''s client-id field (or set CREDLINK_CLIENT_ID)')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'Any other field the connector asks for, e.g. --field region=eu (repeatable)')
            [CompletionResult]::new('--field-file', '--field-file', [CompletionResultType]::ParameterName, 'A field''s value from a file, e.g. --field-file private_key=key.pem for a PEM key or certificate, or a service account''s JSON key file (repeatable; secrets too: a path is not a secret)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope to request instead of the connector''s default (OAuth only)')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing account of the same name')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Browser sign-in: do not open a browser; open the printed address yourself (or on another machine, then paste the address it was sent to; with a device code, enter the code shown there)')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)')
            [CompletionResult]::new('--api-key-stdin', '--api-key-stdin', [CompletionResultType]::ParameterName, 'Read the API key from stdin (or set CREDLINK_API_KEY)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;list' {
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;history' {
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;store' {
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy accounts (record and secret) from one store to another, reading each back')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'credlink;store;copy' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The store to copy from: `keychain` or `vault:MOUNT/PREFIX`')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The store to copy to: `keychain` or `vault:MOUNT/PREFIX`')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Copy every account of the source store')
            [CompletionResult]::new('--move', '--move', [CompletionResultType]::ParameterName, 'Remove each account from the source once its copy has been read back')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace accounts of the same name in the target store')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;store;help' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy accounts (record and secret) from one store to another, reading each back')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'credlink;store;help;copy' {
            break
        }
        'credlink;store;help;help' {
            break
        }
        'credlink;test' {
            [CompletionResult]::new('--connector', '--connector', [CompletionResultType]::ParameterName, 'Check credentials given by flags, environment or stdin for this connector, storing nothing')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The results for CI and monitoring; without it the human text (GitHub annotations after it when GITHUB_ACTIONS=true)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the --format results to FILE (whole or not at all) and the human text to stdout')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write an HTML report to FILE: each account''s status, an expiry timeline and each failing account''s --explain steps, in one file that opens offline and holds no secret')
            [CompletionResult]::new('--warn-within', '--warn-within', [CompletionResultType]::ParameterName, 'Warn about a valid credential that expires within this time (e.g. 30d, 12h)')
            [CompletionResult]::new('--subdomain', '--subdomain', [CompletionResultType]::ParameterName, 'The account''s subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that sign-in address works too)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client ID, or the connector''s client-id field (or set CREDLINK_CLIENT_ID)')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'Any other field the connector asks for, e.g. --field region=eu (repeatable)')
            [CompletionResult]::new('--field-file', '--field-file', [CompletionResultType]::ParameterName, 'A field''s value from a file, e.g. --field-file private_key=key.pem for a PEM key or certificate, or a service account''s JSON key file (repeatable; secrets too: a path is not a secret)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope to request instead of the connector''s default (OAuth only)')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Test every linked account')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Walk the whole path step by step (input, DNS, connect, TLS, HTTP, OAuth, permissions) and stop at the first step that fails')
            [CompletionResult]::new('--no-permission-check', '--no-permission-check', [CompletionResultType]::ParameterName, 'Do not make the connector''s read-only permission call after the token request')
            [CompletionResult]::new('--fail-on-expiring', '--fail-on-expiring', [CompletionResultType]::ParameterName, 'Fail with exit code 8 when a credential expires within --warn-within (for CI jobs that must page)')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)')
            [CompletionResult]::new('--api-key-stdin', '--api-key-stdin', [CompletionResultType]::ParameterName, 'Read the API key from stdin (or set CREDLINK_API_KEY)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;token' {
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Reuse a cached token only while it stays valid this many more seconds')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--fresh', '--fresh', [CompletionResultType]::ParameterName, 'Always request a new token')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;exec' {
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Reuse a cached token only while it stays valid this many more seconds')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--fresh', '--fresh', [CompletionResultType]::ParameterName, 'Always request new tokens')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;api' {
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'The HTTP method [default: GET]; a request with a body needs one, e.g. -X POST')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The HTTP method [default: GET]; a request with a body needs one, e.g. -X POST')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'A request header, e.g. -H ''Accept: text/csv'' (repeatable); not the credential''s header or Host')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'A request header, e.g. -H ''Accept: text/csv'' (repeatable); not the credential''s header or Host')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A string field of a JSON object sent as the body, e.g. -f name=Ada (repeatable; with -X)')
            [CompletionResult]::new('--raw-field', '--raw-field', [CompletionResultType]::ParameterName, 'A string field of a JSON object sent as the body, e.g. -f name=Ada (repeatable; with -X)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Send this file as the body, or stdin with `-` (with -X)')
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print the status line and the response headers before the body')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Print the status line and the response headers before the body')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;revoke' {
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Remove the account here without revoking its token at the provider (it stays valid until it expires)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;completions' {
            [CompletionResult]::new('--connectors', '--connectors', [CompletionResultType]::ParameterName, 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a provider')
            [CompletionResult]::new('--static', '--static', [CompletionResultType]::ParameterName, 'Print the fixed script (as in completions/), which completes no connector or account names [default: a script that asks credlink at each Tab]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every request on stderr (secrets are always redacted)')
            [CompletionResult]::new('--secret-id-stdin', '--secret-id-stdin', [CompletionResultType]::ParameterName, 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'credlink;help' {
            [CompletionResult]::new('connectors', 'connectors', [CompletionResultType]::ParameterValue, 'List the connectors in the catalog, or show one with the steps to get credentials')
            [CompletionResult]::new('link', 'link', [CompletionResultType]::ParameterValue, 'Link an account: ask for its credentials, check them live, then save them')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List linked accounts (reads no secret)')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the versions of an account in the team store: when each was linked, and by whom')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Work on stores as a whole')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Check stored accounts, or credentials given by environment/stdin, with a live request')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token for a linked OAuth account (cached until shortly before expiry)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with fresh credentials of linked accounts in its environment, never on a command line')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Send a request to a linked account''s API with its credentials applied (a path under the connector''s API base only)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a linked account''s token at the provider (where the connector can), then remove the account from its store')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'credlink;help;connectors' {
            break
        }
        'credlink;help;link' {
            break
        }
        'credlink;help;list' {
            break
        }
        'credlink;help;history' {
            break
        }
        'credlink;help;store' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy accounts (record and secret) from one store to another, reading each back')
            break
        }
        'credlink;help;store;copy' {
            break
        }
        'credlink;help;test' {
            break
        }
        'credlink;help;token' {
            break
        }
        'credlink;help;exec' {
            break
        }
        'credlink;help;api' {
            break
        }
        'credlink;help;revoke' {
            break
        }
        'credlink;help;completions' {
            break
        }
        'credlink;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
