package dev.berth.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Temporary files and directories that live as long as the test JVM (a CA in a static field, the embedded
 * PostgreSQL's configuration), deleted with their contents when it exits; what one test alone uses belongs in
 * a JUnit {@code @TempDir} instead. {@link java.io.File#deleteOnExit} cannot delete a directory that is not empty.
 */
public final class TempFiles {
    private static final List<Path> CREATED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(TempFiles::deleteQuietly), "temp-files-cleanup"));
    }

    private TempFiles() {
    }

    /** A new directory in the system's temporary directory, deleted with all it holds at exit. */
    public static Path directory(String prefix) {
        try {
            return register(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new file in the system's temporary directory, deleted at exit. */
    public static Path file(String prefix, String suffix) {
        try {
            return register(Files.createTempFile(prefix, suffix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path register(Path path) {
        CREATED.add(path);
        return path;
    }

    private static void deleteQuietly(Path path) {
        try (Stream<Path> all = Files.walk(path)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // gone already, or not ours to delete any more: best effort at exit
        }
    }
}
