package dev.berth.server;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.config.AuthQueryTarget;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConfigException;
import dev.berth.core.config.InvalidSettings;
import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsResolver;
import dev.berth.core.config.SettingsTable;
import dev.berth.core.hba.HbaRules;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * RELOAD and SIGHUP: resolves the settings again (flags and environment as at start-up, the config file
 * and the auth file read afresh), and applies the result only if all of it is valid. Settings that only
 * apply at start-up keep their running value, with a warning each; everything else reaches the pools and
 * new clients, and no client connection is closed.
 */
final class ConfigReload {
    private static final Logger LOG = Logger.getLogger(ConfigReload.class.getName());

    private final SettingsResolver resolver;
    private final ProxyContext proxy;
    private final Consumer<BerthConfig> reconfigure;
    private volatile Map<String, String> sources;

    /** @param resolver null when Berth was started from a built configuration: RELOAD then rereads the auth file only */
    ConfigReload(SettingsResolver resolver, ProxyContext proxy, Map<String, String> sources, Consumer<BerthConfig> reconfigure) {
        this.resolver = resolver;
        this.proxy = proxy;
        this.sources = sources;
        this.reconfigure = reconfigure;
    }

    /** Where each running setting came from, by flag. */
    Map<String, String> sources() {
        return sources;
    }

    /** Reloads; returns what changed for the operator, or throws saying why nothing did (each problem logged). */
    synchronized String reload() throws IOException {
        BerthConfig running = proxy.config().current();
        if (resolver == null) {
            return reloadFiles(running);
        }
        SettingsResolver.Resolved resolved;
        try {
            resolved = resolver.resolve();
        } catch (InvalidSettings e) {
            e.problems().forEach(p -> LOG.warning("reload refused, configuration unchanged: invalid setting " + p));
            throw new IOException("configuration unchanged: " + String.join("; ", e.problems()));
        }
        BerthConfig next = resolved.config().keepingStartupSettingsOf(running);
        AuthFile authFile;
        try {
            authFile = next.authFile() == null ? null : AuthFile.load(next.authFile(), proxy.authFile());
        } catch (IOException | RuntimeException e) {
            LOG.warning("reload refused, configuration unchanged: cannot read auth file " + next.authFile() + ": " + e.getMessage());
            throw new IOException("configuration unchanged: cannot read auth file " + next.authFile() + ": " + e.getMessage(), e);
        }
        HbaRules hba;
        try {
            hba = HbaFiles.load(next);
        } catch (ConfigException e) {
            LOG.warning("reload refused, configuration unchanged: " + e.getMessage());
            throw new IOException("configuration unchanged: " + e.getMessage(), e);
        }
        resolved.warnings().forEach(LOG::warning);
        Map<String, String> nextSources = new LinkedHashMap<>(resolved.sources());
        for (Setting<?> setting : SettingsTable.ALL) {
            if (!setting.reloadable() && !Objects.equals(setting.display(resolved.config()), setting.display(running))) {
                LOG.warning(setting.flag() + " changed (" + resolved.sources().get(setting.flag()) + ") needs a restart;"
                        + " keeping " + setting.display(running));
                nextSources.put(setting.flag(), sources.getOrDefault(setting.flag(), "default"));
            }
        }
        try {
            reconfigure.accept(next); // rereads the TLS files first: a bad one changes nothing
        } catch (ConfigException e) {
            LOG.warning("reload refused, configuration unchanged: " + e.getMessage());
            throw new IOException("configuration unchanged: " + e.getMessage(), e);
        }
        proxy.authSources(authFile, next); // a new auth query: its cache starts empty
        proxy.hba(hba);
        sources = nextSources;
        String result = "configuration reloaded" + (next.configFile() == null ? "" : " from " + next.configFile())
                + ": " + (next.databases().isEmpty() ? "backend " + next.backend().masked()
                : next.databases().databases().size() + " databases")
                + (authFile == null ? "" : ", " + authFile.size() + " users")
                + (hba == null ? "" : ", " + hba.size() + " hba rules")
                + (AuthQueryTarget.any(next) ? ", auth_query cache cleared" : "");
        LOG.info(result);
        return result;
    }

    /**
     * Without a resolver (a configuration built in code): the TLS files and the auth file are read again.
     * What fails keeps its previous state, and the error names it (a bad new certificate leaves the old one).
     */
    private String reloadFiles(BerthConfig c) throws IOException {
        List<String> done = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        if (c.clientTlsMode().enabled()) {
            try {
                proxy.clientTls().reload(c);
                LOG.info("reloaded " + proxy.clientTls().describe(c.clientTlsMode()));
                done.add("TLS certificate reloaded");
            } catch (ConfigException e) {
                LOG.warning("RELOAD: " + e.getMessage() + "; the previous TLS certificate stays in use");
                failed.add(e.getMessage() + "; the previous TLS certificate stays in use");
            }
        }
        if (c.authFile() != null) {
            try {
                AuthFile file = AuthFile.load(c.authFile(), proxy.authFile());
                proxy.authSources(file, c);
                LOG.info("auth file " + c.authFile() + " reloaded: " + file.size() + " users");
                done.add("auth file reloaded: " + file.size() + " users");
            } catch (IOException | IllegalArgumentException e) {
                LOG.warning("RELOAD: auth file " + c.authFile() + ": " + e.getMessage() + "; the previous one stays in use");
                failed.add("auth file " + c.authFile() + ": " + e.getMessage() + "; the previous one stays in use");
            }
        }
        if (c.authFile() == null && AuthQueryTarget.any(c)) {
            proxy.authSources(null, c);
        }
        if (AuthQueryTarget.any(c)) {
            done.add("auth_query cache cleared");
        }
        if (c.authSources().hbaFile() != null) {
            try {
                HbaRules hba = HbaFiles.load(c);
                proxy.hba(hba);
                LOG.info("hba file " + c.authSources().hbaFile() + " reloaded: " + hba.size() + " rules");
                done.add("hba file reloaded: " + hba.size() + " rules");
            } catch (ConfigException e) {
                LOG.warning("RELOAD: " + e.getMessage() + "; the previous rules stay in use");
                failed.add(e.getMessage() + "; the previous rules stay in use");
            }
        }
        if (!failed.isEmpty()) {
            throw new IOException(String.join("; ", failed) + (done.isEmpty() ? "" : " (" + String.join(", ", done) + ")"));
        }
        return done.isEmpty() ? "nothing to reload: no auth file and no TLS certificate" : String.join("; ", done);
    }
}
