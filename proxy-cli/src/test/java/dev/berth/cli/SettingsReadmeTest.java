package dev.berth.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README's options table is the settings table: made from it, never edited by hand. */
class SettingsReadmeTest {

    /** Surefire runs in the module directory; README.md is at the repository root. */
    private static final Path README = Path.of("..", "README.md");

    @Test
    void readmeHoldsTheSettingsTableBetweenItsMarkers() throws IOException {
        String readme = Files.readString(README);
        int begin = readme.indexOf(SettingsMarkdown.BEGIN);
        int end = readme.indexOf(SettingsMarkdown.END);
        assertTrue(begin >= 0 && end > begin, "README.md has lost its " + SettingsMarkdown.BEGIN + " / "
                + SettingsMarkdown.END + " markers around the options table");
        String found = readme.substring(begin, end + SettingsMarkdown.END.length()) + "\n";
        assertEquals(SettingsMarkdown.block(), found, "README.md's options table differs from SettingsTable: replace"
                + " the lines from " + SettingsMarkdown.BEGIN + " to " + SettingsMarkdown.END + " with the output of"
                + " `./berth settings --markdown` (or `java -jar proxy-cli/target/berth.jar settings --markdown`)");
    }
}
