package dev.berth.server.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The operator's port (--metrics-listen): /metrics (Prometheus text format), /healthz (the process is
 * alive), /readyz (200 only when Berth can serve: listening, not paused or shutting down, and the
 * backend answered last), /config (the effective configuration as JSON, with each value's source).
 */
public final class HttpEndpoints implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HttpEndpoints.class.getName());

    private final HttpServer server;
    private final ExecutorService executor;

    public HttpEndpoints(String host, int port, PrometheusRegistry registry, Supplier<String> notReadyReason, Supplier<String> configJson)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 64);
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "berth-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        server.createContext("/metrics", exchange -> respond(exchange, () -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream(16384);
            writer.write(body, registry.scrape());
            return new Response(200, writer.getContentType(), body.toByteArray());
        }));
        server.createContext("/healthz", exchange -> respond(exchange, () -> text(200, "ok")));
        server.createContext("/readyz", exchange -> respond(exchange, () -> {
            String reason = notReadyReason.get();
            return reason == null ? text(200, "ready") : text(503, reason);
        }));
        server.createContext("/config", exchange -> respond(exchange,
                () -> new Response(200, "application/json", configJson.get().getBytes(StandardCharsets.UTF_8))));
        server.createContext("/", exchange -> respond(exchange,
                () -> text(404, "not found; try /metrics, /healthz, /readyz or /config")));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private record Response(int status, String contentType, byte[] body) {
    }

    private interface Handler {
        Response handle() throws IOException;
    }

    private static Response text(int status, String message) {
        return new Response(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange exchange, Handler handler) {
        try (exchange) {
            Response r;
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                r = text(405, "only GET");
            } else {
                try {
                    r = handler.handle();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "HTTP " + exchange.getRequestURI() + " failed", e);
                    r = text(500, "internal error: " + e);
                }
            }
            exchange.getResponseHeaders().set("Content-Type", r.contentType());
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(r.status(), head ? -1 : r.body().length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(r.body());
                }
            }
        } catch (IOException e) {
            LOG.fine(() -> "HTTP client went away: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
