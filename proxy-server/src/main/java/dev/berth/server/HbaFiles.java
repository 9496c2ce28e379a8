package dev.berth.server;

import dev.berth.core.config.AccessSettings;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConfigException;
import dev.berth.core.hba.HbaRules;

import java.io.IOException;

/** Reads auth_hba_file at start-up and on RELOAD; a file Berth cannot use is a {@link ConfigException} naming it. */
final class HbaFiles {
    private HbaFiles() {
    }

    /** The rules of {@code config}'s hba file, or null when it has none. */
    static HbaRules load(BerthConfig config) {
        if (config.authSources().hbaFile() == null) {
            return null;
        }
        try {
            return HbaRules.load(config.authSources().hbaFile());
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(AccessSettings.AUTH_HBA_FILE.name(), "cannot use " + config.authSources().hbaFile()
                    + ": " + e.getMessage());
        }
    }
}
