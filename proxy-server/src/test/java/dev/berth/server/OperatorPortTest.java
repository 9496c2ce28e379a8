package dev.berth.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's HTTP port: every endpoint's answer, and probes answered while other connections stall. */
class OperatorPortTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    static RunningBerth berth;

    @BeforeAll
    static void start() {
        berth = RunningBerth.start();
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    private static HttpResponse<String> request(String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + berth.server().metricsPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aStalledRequestDoesNotHoldUpProbes() throws Exception {
        try (Socket stalled = new Socket("127.0.0.1", berth.server().metricsPort())) {
            // a request line and a header, and never the blank line that ends the request
            stalled.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> ready = request("GET", "/readyz"); // within the client's 30 s, far below
                assertEquals(200, ready.statusCode());
                assertEquals("ready\n", ready.body());
            }
        }
    }

    @Test
    void aConnectionThatStopsSendingIsClosedAfterTheReadTimeout() throws Exception {
        try (Socket stalled = new Socket("127.0.0.1", berth.server().metricsPort())) {
            stalled.setSoTimeout(60_000);
            OutputStream out = stalled.getOutputStream();
            out.write("GET /readyz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = stalled.getInputStream();
            assertEquals(-1, in.read(), "closed by Berth, nothing answered");
        }
    }

    @Test
    void everyEndpointAnswersAsBefore() throws Exception {
        HttpResponse<String> metrics = request("GET", "/metrics");
        assertEquals(200, metrics.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.headers().firstValue("Content-Type").orElse(""));
        assertTrue(metrics.body().contains("# TYPE berth_ready gauge"), metrics.body());

        HttpResponse<String> health = request("GET", "/healthz");
        assertEquals(200, health.statusCode());
        assertEquals("ok\n", health.body());
        assertEquals("text/plain; charset=utf-8", health.headers().firstValue("Content-Type").orElse(""));

        HttpResponse<String> config = request("GET", "/config");
        assertEquals(200, config.statusCode());
        assertEquals("application/json", config.headers().firstValue("Content-Type").orElse(""));
        assertTrue(config.body().contains("\"pool-max\""), config.body());

        HttpResponse<String> head = request("HEAD", "/healthz");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals("3", head.headers().firstValue("Content-Length").orElse(""));

        HttpResponse<String> post = request("POST", "/metrics");
        assertEquals(405, post.statusCode());
        assertEquals("only GET\n", post.body());

        HttpResponse<String> missing = request("GET", "/nope?x=1");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().startsWith("not found"), missing.body());

        berth.server().pause(true);
        try {
            HttpResponse<String> paused = request("GET", "/readyz");
            assertEquals(503, paused.statusCode());
            assertEquals("paused\n", paused.body());
        } finally {
            berth.server().pause(false);
        }
    }

    @Test
    void closingBerthClosesKeptAliveConnections() throws Exception {
        RunningBerth own = RunningBerth.start();
        try (Socket kept = new Socket("127.0.0.1", own.server().metricsPort())) {
            kept.setSoTimeout(30_000);
            kept.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = kept.getInputStream();
            byte[] answer = new byte[4096];
            int n = in.read(answer);
            assertTrue(new String(answer, 0, n, StandardCharsets.US_ASCII).endsWith("\r\n\r\nok\n"), "answered and kept alive");
            own.close();
            assertEquals(-1, in.read(), "closed with Berth, so a client waiting on it gets an error, not a hang");
        } finally {
            own.close();
        }
    }
}
