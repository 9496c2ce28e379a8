package dev.berth.core.config;

import dev.berth.core.auth.AuthType;

import java.nio.file.Path;
import java.util.List;

import static dev.berth.core.config.SettingValues.notNegative;

/**
 * The settings of who may log in and how, part of {@link SettingsTable}: client authentication (the auth file,
 * the auth query, hba rules) and TLS from clients. {@link SettingsTable#ALL} places them in README's order.
 */
public final class AccessSettings {
    private AccessSettings() {
    }

    public static final Setting<Path> AUTH_FILE = Setting.<Path>define("auth_file", "BERTH_AUTH_FILE", "FILE")
            .defaults(null, "none").parser(Path::of).read(BerthConfig::authFile).reloadable(true)
            .description("users and secrets (see below); required unless `--auth-type trust`").build();

    public static final Setting<AuthType> AUTH_TYPE = Setting.<AuthType>define("auth_type", "BERTH_AUTH_TYPE", "TYPE")
            .defaults(AuthType.SCRAM_SHA_256, "`scram-sha-256`").parser(AuthType::parse).read(BerthConfig::authType)
            .description("how clients are checked: `scram-sha-256`, `md5`, `plain`, `trust`, or `hba`: by the first"
                    + " matching line of `--auth-hba-file`").build();

    public static final Setting<String> AUTH_USER = Setting.<String>define("auth_user", "BERTH_AUTH_USER", "USER")
            .defaults(null, "none").parser(String::strip).read(c -> c.authSources().authUser()).reloadable(true)
            .description("look up the secrets of users that are not in the auth file with `--auth-query`, connected to"
                    + " PostgreSQL as this user (its password from the auth file or the backend URL, or none if"
                    + " PostgreSQL trusts it; see Authentication without stored passwords)").build();

    public static final Setting<String> AUTH_QUERY = Setting.<String>define("auth_query", "BERTH_AUTH_QUERY", "SQL")
            .defaults(AuthSources.DEFAULT_QUERY, "`" + AuthSources.DEFAULT_QUERY + "`").parser(String::strip)
            .check(q -> q.isEmpty() ? "must not be empty" : null)
            .read(c -> c.authSources().authQuery()).reloadable(true)
            .description("with `--auth-user`: the query that returns a user's name and secret (`$1` is the user); a"
                    + " SECURITY DEFINER function spares the auth user reading `pg_shadow`").build();

    public static final Setting<String> AUTH_DBNAME = Setting.<String>define("auth_dbname", "BERTH_AUTH_DBNAME", "NAME")
            .defaults(null, "the backend URL's database, else `postgres`").parser(String::strip)
            .read(c -> c.authSources().authDbname()).reloadable(true)
            .description("the database `--auth-query` runs in (routed like a client of that database); unset, a `[databases]`"
                    + " line's clients are looked up in that line's own database").build();

    public static final Setting<Long> AUTH_QUERY_CACHE_TTL = Setting.<Long>define("auth_query_cache_ttl",
                    "BERTH_AUTH_QUERY_CACHE_TTL", "MS")
            .defaults(AuthSources.DEFAULT_CACHE_TTL_MS, "`30000`").parser(SettingValues::millis)
            .check(notNegative()).read(c -> c.authSources().cacheTtlMs()).reloadable(true)
            .description("how long an `--auth-query` answer (a secret, or \"no such user\") is reused; `0`: query at"
                    + " every login. `RELOAD` forgets them all").build();

    public static final Setting<Path> AUTH_HBA_FILE = Setting.<Path>define("auth_hba_file", "BERTH_AUTH_HBA_FILE", "FILE")
            .defaults(null, "none").parser(Path::of).read(c -> c.authSources().hbaFile()).reloadable(true)
            .description("with `--auth-type hba`: pg_hba.conf rules choosing each client's method by connection type,"
                    + " database, user and address (see hba rules); re-read by `RELOAD`").build();

    public static final Setting<Path> TLS_CERT = Setting.<Path>define("tls_cert", "BERTH_TLS_CERT", "FILE")
            .defaults(null, "none").parser(Path::of).read(BerthConfig::tlsCert).reloadable(true)
            .description("PEM certificate (chain) Berth presents to clients that use TLS; re-read by `RELOAD`").build();

    public static final Setting<Path> TLS_KEY = Setting.<Path>define("tls_key", "BERTH_TLS_KEY", "FILE")
            .defaults(null, "none").parser(Path::of).read(BerthConfig::tlsKey).reloadable(true)
            .description("the certificate's private key: unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`);"
                    + " re-read by `RELOAD`").build();

    /** Its default is null: prefer with a certificate, else disable, filled in by {@link BerthConfig.Builder#build()}. */
    public static final Setting<ClientTlsMode> CLIENT_TLS_MODE = Setting.<ClientTlsMode>define("client_tls_mode",
                    "BERTH_CLIENT_TLS_MODE", "MODE")
            .defaults(null, "`prefer` with `--tls-cert`, else `disable`").parser(ClientTlsMode::parse)
            .read(BerthConfig::clientTlsMode).reloadable(true)
            .description("TLS from clients: `disable` (SSLRequest answered `N`); `allow` or `prefer` (TLS when the"
                    + " client asks); `require` (a client without TLS gets `28000` before any password); `verify-ca` (also a"
                    + " client certificate signed by `--tls-ca`); `verify-full` (also its CN equal to the user name)").build();

    public static final Setting<Path> TLS_CA = Setting.<Path>define("tls_ca", "BERTH_TLS_CA", "FILE")
            .defaults(null, "none").parser(Path::of).read(BerthConfig::tlsCa).reloadable(true)
            .description("PEM CA bundle that client certificates must be signed by; needed by `verify-ca` and"
                    + " `verify-full`; with `--auth-type hba`, client certificates are asked for (optional unless the mode needs one) for the `cert` method").build();

    public static final Setting<List<String>> TLS_PROTOCOLS = Setting.<List<String>>define("tls_protocols",
                    "BERTH_TLS_PROTOCOLS", "LIST")
            .defaults(List.of("TLSv1.2", "TLSv1.3"), "`TLSv1.2,TLSv1.3`").parser(SettingValues::tlsProtocols)
            .check(SettingValues.supportedTlsProtocols()).read(c -> String.join(",", c.tlsProtocols())).reloadable(true)
            .description("TLS versions clients may use (PostgreSQL's `ssl_min_protocol_version` is TLSv1.2 too); the"
                    + " provider's default cipher suites").build();
}
