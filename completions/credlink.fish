# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_credlink_global_optspecs
    string join \n connectors= config-dir= json no-input v/verbose ca-file= store= secret-id-stdin timeout= h/help V/version
end

function __fish_credlink_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_credlink_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_credlink_using_subcommand
    set -l cmd (__fish_credlink_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c credlink -n "__fish_credlink_needs_command" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_needs_command" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_needs_command" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_needs_command" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_needs_command" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_needs_command" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_needs_command" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_needs_command" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_needs_command" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_needs_command" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_needs_command" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "connectors" -d 'List the connectors in the catalog, or show one with the steps to get credentials'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "link" -d 'Link an account: ask for its credentials, check them live, then save them'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "list" -d 'List linked accounts (reads no secret)'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "history" -d 'Show the versions of an account in the team store: when each was linked, and by whom'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "store" -d 'Work on stores as a whole'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "test" -d 'Check stored accounts, or credentials given by environment/stdin, with a live request'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "token" -d 'Print a fresh access token for a linked OAuth account (cached until shortly before expiry)'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "exec" -d 'Run a command with fresh credentials of linked accounts in its environment, never on a command line'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "api" -d 'Send a request to a linked account\'s API with its credentials applied (a path under the connector\'s API base only)'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "revoke" -d 'Revoke a linked account\'s token at the provider (where the connector can), then remove the account from its store'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c credlink -n "__fish_credlink_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l category -d 'Only connectors of this kind of product' -r -f -a "hris\t'HR information systems and payroll'
ats\t'Applicant tracking and recruiting'
contracts\t'Contract management'
commerce\t'Commerce and supply-chain networks'"
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l auth -d 'Only connectors of this auth kind' -r -f -a "oauth2_client_credentials\t''
oauth2_refresh_token\t'RFC 6749 6: a long-lived refresh token an admin generated, traded for access tokens'
oauth2_authorization_code\t'RFC 6749 4.1: a browser sign-in (PKCE, loopback redirect) gives a refresh token, which is then used like `oauth2_refresh_token`\'s'
oauth2_device_code\t'RFC 8628: the device authorization grant. The user enters a code shown in the terminal at the provider\'s address in any browser; the refresh token it gives is then used like `oauth2_refresh_token`\'s'
oauth2_jwt_bearer\t'RFC 7523 2.1: a JWT the client signs with its private key (a service account\'s) is the grant; no refresh token, no client secret'
oauth2_saml2_bearer\t'RFC 7522: a SAML 2.0 assertion the client builds and signs with its private key is the grant (SAP SuccessFactors)'
token_exchange\t'A proprietary sign-in call that trades an API key or a password for a token'
api_key\t''"
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c credlink -n "__fish_credlink_using_subcommand connectors" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l name -d 'Name for this account [default: the connector id, or CONNECTOR-SUBDOMAIN]' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l redirect-port -d 'Browser sign-in (oauth2_authorization_code): listen for the redirect on this port of 127.0.0.1 instead of the connector\'s; register http://127.0.0.1:PORT/callback at the provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l wait -d 'Browser sign-in or device code: seconds to wait for the sign-in to finish' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l subdomain -d 'The account\'s subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that sign-in address works too)' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l client-id -d 'OAuth client ID, or the connector\'s client-id field (or set CREDLINK_CLIENT_ID)' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l secret-stdin -d 'Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l field -d 'Any other field the connector asks for, e.g. --field region=eu (repeatable)' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l field-file -d 'A field\'s value from a file, e.g. --field-file private_key=key.pem for a PEM key or certificate, or a service account\'s JSON key file (repeatable; secrets too: a path is not a secret)' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l scope -d 'Scope to request instead of the connector\'s default (OAuth only)' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand link" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand link" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand link" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand link" -l force -d 'Replace an existing account of the same name'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l no-browser -d 'Browser sign-in: do not open a browser; open the printed address yourself (or on another machine, then paste the address it was sent to; with a device code, enter the code shown there)'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l client-secret-stdin -d 'Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l api-key-stdin -d 'Read the API key from stdin (or set CREDLINK_API_KEY)'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand link" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand link" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand link" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand link" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand list" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand list" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand list" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand list" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand list" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand list" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand list" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand list" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand list" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand list" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand list" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand history" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand history" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand history" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand history" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand history" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand history" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand history" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand history" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand history" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand history" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand history" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -f -a "copy" -d 'Copy accounts (record and secret) from one store to another, reading each back'
complete -c credlink -n "__fish_credlink_using_subcommand store; and not __fish_seen_subcommand_from copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l from -d 'The store to copy from: `keychain` or `vault:MOUNT/PREFIX`' -r
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l to -d 'The store to copy to: `keychain` or `vault:MOUNT/PREFIX`' -r
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l all -d 'Copy every account of the source store'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l move -d 'Remove each account from the source once its copy has been read back'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l force -d 'Replace accounts of the same name in the target store'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from copy" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy accounts (record and secret) from one store to another, reading each back'
complete -c credlink -n "__fish_credlink_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l connector -d 'Check credentials given by flags, environment or stdin for this connector, storing nothing' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l concurrency -d 'Requests in flight at once' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l format -d 'The results for CI and monitoring; without it the human text (GitHub annotations after it when GITHUB_ACTIONS=true)' -r -f -a "text\t'The human text (also under GitHub Actions: no annotations)'
junit\t'JUnit XML, one test case per account (GitLab, Jenkins, GitHub test reports)'
github\t'The human text, then a GitHub Actions annotation per account (::error, ::notice)'
jsonl\t'JSON Lines: `test --json`\'s object for each account as its check finishes'
prometheus\t'Prometheus text format for node_exporter\'s textfile collector'"
complete -c credlink -n "__fish_credlink_using_subcommand test" -l output -d 'Write the --format results to FILE (whole or not at all) and the human text to stdout' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand test" -l report -d 'Write an HTML report to FILE: each account\'s status, an expiry timeline and each failing account\'s --explain steps, in one file that opens offline and holds no secret' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand test" -l warn-within -d 'Warn about a valid credential that expires within this time (e.g. 30d, 12h)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l subdomain -d 'The account\'s subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that sign-in address works too)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l client-id -d 'OAuth client ID, or the connector\'s client-id field (or set CREDLINK_CLIENT_ID)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l secret-stdin -d 'Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l field -d 'Any other field the connector asks for, e.g. --field region=eu (repeatable)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l field-file -d 'A field\'s value from a file, e.g. --field-file private_key=key.pem for a PEM key or certificate, or a service account\'s JSON key file (repeatable; secrets too: a path is not a secret)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l scope -d 'Scope to request instead of the connector\'s default (OAuth only)' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand test" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand test" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand test" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand test" -l all -d 'Test every linked account'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l explain -d 'Walk the whole path step by step (input, DNS, connect, TLS, HTTP, OAuth, permissions) and stop at the first step that fails'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l no-permission-check -d 'Do not make the connector\'s read-only permission call after the token request'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l fail-on-expiring -d 'Fail with exit code 8 when a credential expires within --warn-within (for CI jobs that must page)'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l client-secret-stdin -d 'Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l api-key-stdin -d 'Read the API key from stdin (or set CREDLINK_API_KEY)'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand test" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand test" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c credlink -n "__fish_credlink_using_subcommand test" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand token" -l min-ttl -d 'Reuse a cached token only while it stays valid this many more seconds' -r
complete -c credlink -n "__fish_credlink_using_subcommand token" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand token" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand token" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand token" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand token" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand token" -l fresh -d 'Always request a new token'
complete -c credlink -n "__fish_credlink_using_subcommand token" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand token" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand token" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand token" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand token" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand token" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l min-ttl -d 'Reuse a cached token only while it stays valid this many more seconds' -r
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l fresh -d 'Always request new tokens'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand exec" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand api" -s X -l method -d 'The HTTP method [default: GET]; a request with a body needs one, e.g. -X POST' -r
complete -c credlink -n "__fish_credlink_using_subcommand api" -s H -l header -d 'A request header, e.g. -H \'Accept: text/csv\' (repeatable); not the credential\'s header or Host' -r
complete -c credlink -n "__fish_credlink_using_subcommand api" -s f -l raw-field -d 'A string field of a JSON object sent as the body, e.g. -f name=Ada (repeatable; with -X)' -r
complete -c credlink -n "__fish_credlink_using_subcommand api" -l input -d 'Send this file as the body, or stdin with `-` (with -X)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand api" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand api" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand api" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand api" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand api" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand api" -s i -l include -d 'Print the status line and the response headers before the body'
complete -c credlink -n "__fish_credlink_using_subcommand api" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand api" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand api" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand api" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand api" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand api" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -s y -l yes -d 'Do not ask for confirmation'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l local -d 'Remove the account here without revoking its token at the provider (it stays valid until it expires)'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand revoke" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l connectors -d 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l config-dir -d 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l ca-file -d 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy\'s (or set CREDLINK_CA_FILE)' -r -F
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l store -d 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir\'s config.toml) [default: keychain]' -r
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l timeout -d 'Seconds to wait for a provider' -r
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l static -d 'Print the fixed script (as in completions/), which completes no connector or account names [default: a script that asks credlink at each Tab]'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l no-input -d 'Never prompt; a missing value is an error naming its flag'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -s v -l verbose -d 'Trace every request on stderr (secrets are always redacted)'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -l secret-id-stdin -d 'Read the team store\'s AppRole secret id from stdin (with BAO_ROLE_ID set)'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -s h -l help -d 'Print help'
complete -c credlink -n "__fish_credlink_using_subcommand completions" -s V -l version -d 'Print version'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "connectors" -d 'List the connectors in the catalog, or show one with the steps to get credentials'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "link" -d 'Link an account: ask for its credentials, check them live, then save them'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "list" -d 'List linked accounts (reads no secret)'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "history" -d 'Show the versions of an account in the team store: when each was linked, and by whom'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "store" -d 'Work on stores as a whole'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "test" -d 'Check stored accounts, or credentials given by environment/stdin, with a live request'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "token" -d 'Print a fresh access token for a linked OAuth account (cached until shortly before expiry)'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "exec" -d 'Run a command with fresh credentials of linked accounts in its environment, never on a command line'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "api" -d 'Send a request to a linked account\'s API with its credentials applied (a path under the connector\'s API base only)'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "revoke" -d 'Revoke a linked account\'s token at the provider (where the connector can), then remove the account from its store'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "completions" -d 'Print shell completions'
complete -c credlink -n "__fish_credlink_using_subcommand help; and not __fish_seen_subcommand_from connectors link list history store test token exec api revoke completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c credlink -n "__fish_credlink_using_subcommand help; and __fish_seen_subcommand_from store" -f -a "copy" -d 'Copy accounts (record and secret) from one store to another, reading each back'
