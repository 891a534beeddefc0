
use builtin;
use str;

set edit:completion:arg-completer[credlink] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'credlink'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'credlink'= {
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand connectors 'List the connectors in the catalog, or show one with the steps to get credentials'
            cand link 'Link an account: ask for its credentials, check them live, then save them'
            cand list 'List linked accounts (reads no secret)'
            cand history 'Show the versions of an account in the team store: when each was linked, and by whom'
            cand store 'Work on stores as a whole'
            cand test 'Check stored accounts, or credentials given by environment/stdin, with a live request'
            cand token 'Print a fresh access token for a linked OAuth account (cached until shortly before expiry)'
            cand exec 'Run a command with fresh credentials of linked accounts in its environment, never on a command line'
            cand api 'Send a request to a linked account''s API with its credentials applied (a path under the connector''s API base only)'
            cand revoke 'Revoke a linked account''s token at the provider (where the connector can), then remove the account from its store'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'credlink;connectors'= {
            cand --category 'Only connectors of this kind of product'
            cand --auth 'Only connectors of this auth kind'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;link'= {
            cand --name 'Name for this account [default: the connector id, or CONNECTOR-SUBDOMAIN]'
            cand --redirect-port 'Browser sign-in (oauth2_authorization_code): listen for the redirect on this port of 127.0.0.1 instead of the connector''s; register http://127.0.0.1:PORT/callback at the provider'
            cand --wait 'Browser sign-in or device code: seconds to wait for the sign-in to finish'
            cand --subdomain 'The account''s subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that sign-in address works too)'
            cand --client-id 'OAuth client ID, or the connector''s client-id field (or set CREDLINK_CLIENT_ID)'
            cand --secret-stdin 'Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)'
            cand --field 'Any other field the connector asks for, e.g. --field region=eu (repeatable)'
            cand --field-file 'A field''s value from a file, e.g. --field-file private_key=key.pem for a PEM key or certificate, or a service account''s JSON key file (repeatable; secrets too: a path is not a secret)'
            cand --scope 'Scope to request instead of the connector''s default (OAuth only)'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --force 'Replace an existing account of the same name'
            cand --no-browser 'Browser sign-in: do not open a browser; open the printed address yourself (or on another machine, then paste the address it was sent to; with a device code, enter the code shown there)'
            cand --client-secret-stdin 'Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)'
            cand --api-key-stdin 'Read the API key from stdin (or set CREDLINK_API_KEY)'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;list'= {
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;history'= {
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;store'= {
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand copy 'Copy accounts (record and secret) from one store to another, reading each back'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'credlink;store;copy'= {
            cand --from 'The store to copy from: `keychain` or `vault:MOUNT/PREFIX`'
            cand --to 'The store to copy to: `keychain` or `vault:MOUNT/PREFIX`'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --all 'Copy every account of the source store'
            cand --move 'Remove each account from the source once its copy has been read back'
            cand --force 'Replace accounts of the same name in the target store'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;store;help'= {
            cand copy 'Copy accounts (record and secret) from one store to another, reading each back'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'credlink;store;help;copy'= {
        }
        &'credlink;store;help;help'= {
        }
        &'credlink;test'= {
            cand --connector 'Check credentials given by flags, environment or stdin for this connector, storing nothing'
            cand --concurrency 'Requests in flight at once'
            cand --format 'The results for CI and monitoring; without it the human text (GitHub annotations after it when GITHUB_ACTIONS=true)'
            cand --output 'Write the --format results to FILE (whole or not at all) and the human text to stdout'
            cand --report 'Write an HTML report to FILE: each account''s status, an expiry timeline and each failing account''s --explain steps, in one file that opens offline and holds no secret'
            cand --warn-within 'Warn about a valid credential that expires within this time (e.g. 30d, 12h)'
            cand --subdomain 'The account''s subdomain, e.g. `mycompany` for https://mycompany.traffit.com (pasting that sign-in address works too)'
            cand --client-id 'OAuth client ID, or the connector''s client-id field (or set CREDLINK_CLIENT_ID)'
            cand --secret-stdin 'Read this secret field from stdin, e.g. --secret-stdin refresh_token (or set CREDLINK_SECRET_<FIELD>, e.g. CREDLINK_SECRET_REFRESH_TOKEN)'
            cand --field 'Any other field the connector asks for, e.g. --field region=eu (repeatable)'
            cand --field-file 'A field''s value from a file, e.g. --field-file private_key=key.pem for a PEM key or certificate, or a service account''s JSON key file (repeatable; secrets too: a path is not a secret)'
            cand --scope 'Scope to request instead of the connector''s default (OAuth only)'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --all 'Test every linked account'
            cand --explain 'Walk the whole path step by step (input, DNS, connect, TLS, HTTP, OAuth, permissions) and stop at the first step that fails'
            cand --no-permission-check 'Do not make the connector''s read-only permission call after the token request'
            cand --fail-on-expiring 'Fail with exit code 8 when a credential expires within --warn-within (for CI jobs that must page)'
            cand --client-secret-stdin 'Read the client secret from stdin (or set CREDLINK_CLIENT_SECRET)'
            cand --api-key-stdin 'Read the API key from stdin (or set CREDLINK_API_KEY)'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;token'= {
            cand --min-ttl 'Reuse a cached token only while it stays valid this many more seconds'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --fresh 'Always request a new token'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;exec'= {
            cand --min-ttl 'Reuse a cached token only while it stays valid this many more seconds'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --fresh 'Always request new tokens'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;api'= {
            cand -X 'The HTTP method [default: GET]; a request with a body needs one, e.g. -X POST'
            cand --method 'The HTTP method [default: GET]; a request with a body needs one, e.g. -X POST'
            cand -H 'A request header, e.g. -H ''Accept: text/csv'' (repeatable); not the credential''s header or Host'
            cand --header 'A request header, e.g. -H ''Accept: text/csv'' (repeatable); not the credential''s header or Host'
            cand -f 'A string field of a JSON object sent as the body, e.g. -f name=Ada (repeatable; with -X)'
            cand --raw-field 'A string field of a JSON object sent as the body, e.g. -f name=Ada (repeatable; with -X)'
            cand --input 'Send this file as the body, or stdin with `-` (with -X)'
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand -i 'Print the status line and the response headers before the body'
            cand --include 'Print the status line and the response headers before the body'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;revoke'= {
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --local 'Remove the account here without revoking its token at the provider (it stays valid until it expires)'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;completions'= {
            cand --connectors 'Add or override connectors with entries from this TOML file (or set CREDLINK_CONNECTORS)'
            cand --config-dir 'Directory of the index file (or set CREDLINK_CONFIG_DIR) [default: the platform config dir + credlink]'
            cand --ca-file 'Also trust the CA certificates in this PEM file, e.g. a corporate TLS-inspecting proxy''s (or set CREDLINK_CA_FILE)'
            cand --store 'Where accounts are kept: `keychain` (the OS keychain and an index file), or `vault:MOUNT/PREFIX` for a Vault or OpenBao KV v2 mount shared by a team (or set CREDLINK_STORE, or `store = "..."` in the config dir''s config.toml) [default: keychain]'
            cand --timeout 'Seconds to wait for a provider'
            cand --static 'Print the fixed script (as in completions/), which completes no connector or account names [default: a script that asks credlink at each Tab]'
            cand --json 'Print machine-readable JSON on stdout'
            cand --no-input 'Never prompt; a missing value is an error naming its flag'
            cand -v 'Trace every request on stderr (secrets are always redacted)'
            cand --verbose 'Trace every request on stderr (secrets are always redacted)'
            cand --secret-id-stdin 'Read the team store''s AppRole secret id from stdin (with BAO_ROLE_ID set)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'credlink;help'= {
            cand connectors 'List the connectors in the catalog, or show one with the steps to get credentials'
            cand link 'Link an account: ask for its credentials, check them live, then save them'
            cand list 'List linked accounts (reads no secret)'
            cand history 'Show the versions of an account in the team store: when each was linked, and by whom'
            cand store 'Work on stores as a whole'
            cand test 'Check stored accounts, or credentials given by environment/stdin, with a live request'
            cand token 'Print a fresh access token for a linked OAuth account (cached until shortly before expiry)'
            cand exec 'Run a command with fresh credentials of linked accounts in its environment, never on a command line'
            cand api 'Send a request to a linked account''s API with its credentials applied (a path under the connector''s API base only)'
            cand revoke 'Revoke a linked account''s token at the provider (where the connector can), then remove the account from its store'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'credlink;help;connectors'= {
        }
        &'credlink;help;link'= {
        }
        &'credlink;help;list'= {
        }
        &'credlink;help;history'= {
        }
        &'credlink;help;store'= {
            cand copy 'Copy accounts (record and secret) from one store to another, reading each back'
        }
        &'credlink;help;store;copy'= {
        }
        &'credlink;help;test'= {
        }
        &'credlink;help;token'= {
        }
        &'credlink;help;exec'= {
        }
        &'credlink;help;api'= {
        }
        &'credlink;help;revoke'= {
        }
        &'credlink;help;completions'= {
        }
        &'credlink;help;help'= {
        }
    ]
    $completions[$command]
}
