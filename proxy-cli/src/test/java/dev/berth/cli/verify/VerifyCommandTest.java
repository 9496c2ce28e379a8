package dev.berth.cli.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cli.BerthCli;
import dev.berth.server.RunningBerth;
import dev.berth.server.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code berth verify} run in process against Berth in front of the embedded PostgreSQL; each reads the report it wrote. */
class VerifyCommandTest {
    private static final String APP = "postgresql://" + TestPostgres.APP_USER + ":" + TestPostgres.APP_PASSWORD + "@127.0.0.1:";

    @TempDir
    Path out;

    record Result(int exit, String out, String err) {
    }

    private static Result verify(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit;
        try {
            List<String> all = new ArrayList<>(List.of("verify"));
            all.addAll(args);
            exit = assertTimeoutPreemptively(Duration.ofSeconds(180), () -> BerthCli.execute(all.toArray(String[]::new)));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private List<String> against(RunningBerth berth, String... more) {
        List<String> args = new ArrayList<>(List.of("--target", APP + berth.port() + "/" + TestPostgres.APP_DB,
                "--metrics-url", "http://127.0.0.1:" + berth.server().metricsPort() + "/metrics", "--out", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private JsonNode json() throws Exception {
        return new ObjectMapper().readTree(out.resolve("report.json").toFile());
    }

    private static JsonNode criterion(JsonNode report, String prefix) {
        for (JsonNode c : report.path("criteria")) {
            if (c.path("name").asText().startsWith(prefix)) {
                return c;
            }
        }
        throw new AssertionError("no criterion " + prefix + " in " + report.path("criteria"));
    }

    @Test
    void aHealthyConfigurationPassesEveryCriterion() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).poolMax(20).poolMin(4))) {
            berth.awaitPool(p -> p.idle() == 4, "the pool warmed to its minimum");
            Result r = verify(against(berth, "--concurrency", "4", "--app-pool-size", "2", "--requests", "500"));
            assertEquals(0, r.exit(), r::toString);
            JsonNode report = json();
            assertTrue(report.path("passed").asBoolean(), report::toPrettyString);
            assertEquals(6, report.path("criteria").size(), report::toPrettyString);
            for (JsonNode c : report.path("criteria")) {
                assertEquals("PASS", c.path("status").asText(), c::toPrettyString);
            }
            assertEquals(20, criterion(report, "pool max").path("measured").asInt());
            assertEquals(4, criterion(report, "pool min").path("measured").asInt());
            assertEquals(500, report.path("target").path("requests").asLong());
            assertEquals(0, report.path("target").path("errors").asLong());
            assertTrue(report.path("berth").path("acquisitions").asLong() >= 500, report::toPrettyString);
            assertTrue(r.out().contains("PASS: report in"), r::toString);
            assertTrue(report.path("command").asText().startsWith("berth verify --target postgresql://app:****@127.0.0.1:"),
                    report.path("command").asText());
            assertChartsInWellFormedHtml(2);
        }
    }

    @Test
    void aPoolTooSmallForTheLoadFailsTheWaitCriterion() throws Exception {
        Path sleepy = Files.writeString(out.resolve("sleep.sql"), "-- 20 ms on the backend\nselect pg_sleep(0.02);\n");
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(1))) {
            Result r = verify(against(berth, "--concurrency", "16", "--app-pool-size", "8", "--requests", "100",
                    "--workload", sleepy.toString()));
            assertEquals(1, r.exit(), r::toString);
            JsonNode report = json();
            assertEquals(false, report.path("passed").asBoolean());
            JsonNode wait = criterion(report, "acquire wait p95");
            assertEquals("FAIL", wait.path("status").asText(), wait::toPrettyString);
            assertTrue(wait.path("measured").asDouble() > 10, wait::toPrettyString);
            assertEquals(0, report.path("target").path("errors").asLong(), report::toPrettyString);
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("| acquire wait p95") && l.contains("**FAIL**")), r::toString);
            assertTrue(Files.readString(out.resolve("report.md")).contains("# berth verify: FAIL"));
        }
    }

    @Test
    void compareRunsBothTargetsAndReportsBothColumns() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(10))) {
            String direct = APP + TestPostgres.port() + "/" + TestPostgres.APP_DB;
            Result r = verify(against(berth, "--compare", direct, "--requests", "200", "--rounds", "2", "--concurrency", "4"));
            assertEquals(0, r.exit(), r::toString);
            JsonNode report = json();
            assertEquals(200, report.path("target").path("requests").asLong());
            assertEquals(200, report.path("compare").path("requests").asLong());
            assertTrue(report.path("compare").path("url").asText().contains(":" + TestPostgres.port() + "/"));
            JsonNode latency = criterion(report, "latency p95");
            assertTrue(latency.path("compare").asDouble() > 0, latency::toPrettyString);
            String md = Files.readString(out.resolve("report.md"));
            assertTrue(md.contains("| criterion | threshold | target | compare | result |"), md);
            assertTrue(md.contains("| | target | compare |"), md);
            assertTrue(report.path("series").findValues("target").stream().anyMatch(t -> t.asText().equals("compare")));
            assertChartsInWellFormedHtml(2);
        }
    }

    @Test
    void anUnreachableTargetExitsTwoWithOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Result r = verify(List.of("--target", "postgresql://app:secret@127.0.0.1:" + port + "/appdb", "--out", out.toString()));
        assertEquals(2, r.exit(), r::toString);
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("berth verify: cannot use target postgresql://app:****@127.0.0.1:" + port
                + "/appdb: Connection to 127.0.0.1:" + port + " refused"), r::toString);
        assertTrue(!r.err().contains("secret"), r::toString);
        assertTrue(!Files.exists(out.resolve("report.json")));
    }

    @Test
    void badInputExitsTwoWithOneLine() {
        Result r = verify(List.of("--target", "postgresql://app@127.0.0.1:1/appdb", "--requests", "10", "--duration", "1m"));
        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("berth verify: give --requests or --duration, not both"), r.err().lines().toList());
        r = verify(List.of("--target", "postgresql://app@127.0.0.1:1/appdb", "--workload", "no-such-file.sql"));
        assertEquals(List.of("berth verify: workload 'no-such-file.sql' is neither select, tpcb nor a readable .sql file"),
                r.err().lines().toList());
    }

    /** report.html parses as XML and holds one SVG chart per series: utilization, wait p95, latency p95, throughput. */
    private void assertChartsInWellFormedHtml(int minPointsInLatency) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Document html = factory.newDocumentBuilder().parse(out.resolve("report.html").toFile());
        var svgs = html.getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg");
        assertEquals(4, svgs.getLength());
        List<String> titles = new ArrayList<>();
        for (int i = 0; i < svgs.getLength(); i++) {
            titles.add(svgs.item(i).getFirstChild().getNextSibling().getTextContent());
        }
        assertTrue(titles.get(0).startsWith("Pool utilization") && titles.get(1).startsWith("Acquire wait p95")
                && titles.get(2).startsWith("Latency p95") && titles.get(3).startsWith("Throughput"), titles::toString);
        var latencyPath = ((org.w3c.dom.Element) svgs.item(2)).getElementsByTagNameNS("http://www.w3.org/2000/svg", "path").item(0);
        assertNotNull(latencyPath, "the latency chart has a line");
        assertTrue(latencyPath.getAttributes().getNamedItem("d").getNodeValue().split("[ML]").length > minPointsInLatency);
    }
}
