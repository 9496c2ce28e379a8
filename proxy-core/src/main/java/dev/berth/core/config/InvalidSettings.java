package dev.berth.core.config;

import java.util.List;

/** One or more settings are invalid; each line names its flag and where its value came from. */
public final class InvalidSettings extends RuntimeException {
    private final List<String> problems;

    public InvalidSettings(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
