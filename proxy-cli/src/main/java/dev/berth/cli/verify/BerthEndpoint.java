package dev.berth.cli.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.core.config.BackendUrl;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Berth's operator port as verify reads it: /metrics for the pool under test, /config for its limits. */
final class BerthEndpoint {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI metrics;
    private final URI config;
    private String database;
    private String user;

    BerthEndpoint(URI metrics, Target target) {
        this.metrics = metrics;
        this.config = metrics.resolve("/config");
        this.database = target.database();
        this.user = target.user();
    }

    /** The configured limits; also learns the pool's name, which is the backend URL's user and database when it names them. */
    ConfiguredLimits readConfig() throws IOException {
        JsonNode settings = new ObjectMapper().readTree(get(config)).path("settings");
        if (settings.path("pool-max").path("value").isMissingNode()) {
            throw new IOException(config + " is not Berth's /config (no pool-max setting in it)");
        }
        String backendText = settings.path("backend").path("value").asText("");
        if (!backendText.isEmpty()) {
            BackendUrl backend = BackendUrl.parse(backendText);
            database = backend.database() != null ? backend.database() : database;
            user = backend.user() != null ? backend.user() : user;
        }
        return new ConfiguredLimits(settings.path("pool-max").path("value").asInt(),
                settings.path("pool-max").path("source").asText("default"),
                settings.path("pool-min").path("value").asInt(),
                settings.path("pool-min").path("source").asText("default"));
    }

    BerthSnapshot scrape() throws IOException {
        return BerthSnapshot.of(PromText.parse(get(metrics)), database, user);
    }

    String pool() {
        return user + "@" + database;
    }

    @Override
    public String toString() {
        return metrics.toString();
    }

    private String get(URI uri) throws IOException {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException(uri + " answered HTTP " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading " + uri, e);
        }
    }

    record ConfiguredLimits(int poolMax, String poolMaxSource, int poolMin, String poolMinSource) {
    }
}
