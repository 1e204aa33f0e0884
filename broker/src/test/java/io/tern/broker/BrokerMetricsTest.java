/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.tern.broker.AdminClient.series;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin endpoint against known traffic: every counter and every stage histogram's count is exactly what was
 * sent, for messages and for each kind of error; /histograms parses as HdrHistogram's percentile text and resets;
 * /health; the stats line and the interval logs; the endpoint switched off or its port taken.
 */
@Timeout(60)
class BrokerMetricsTest extends BrokerTestSupport
{
    private static final Duration SETTLE = Duration.ofSeconds(10);
    private static final int MAX_LINE_BYTES = 1024;
    private static final long NAME_TIMEOUT_MS = 300;
    private static final String[] STAGES = {"read_to_route", "route_to_write", "read_to_write"};
    private static final String[] ERROR_KINDS =
        {"invalid_name", "name_taken", "no_peer", "bad_line", "too_many_destinations", "line_too_long", "name_timeout",
            "partial_line_timeout", "idle_timeout"};

    /** What the clients sent and received, byte for byte, and what the broker should have counted. */
    private static final class Expected
    {
        long accepted;
        long open;
        long peers;
        long messagesIn;
        long delivered;
        long bytesIn;
        long bytesOut;
        final Map<String, Long> errors = new LinkedHashMap<>();

        Expected()
        {
            for (final String kind : ERROR_KINDS)
            {
                errors.put(kind, 0L);
            }
        }

        void sent(final String line)
        {
            bytesIn += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }

        void received(final String line)
        {
            bytesOut += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }

        void error(final String kind)
        {
            errors.merge(kind, 1L, Long::sum);
        }
    }

    private final Expected expected = new Expected();

    private LineClient sendLine(final LineClient client, final String line) throws IOException
    {
        client.send(line);
        expected.sent(line);
        return client;
    }

    private void expectLine(final LineClient client, final String line) throws IOException
    {
        client.expectLine(line);
        expected.received(line);
    }

    /** Registers a peer, confirmed by one self-addressed message (counted like any other). */
    private LineClient registerCounted(final String name) throws IOException
    {
        final LineClient client = connect().name(name);
        expected.accepted++;
        expected.open++;
        sendLine(client, name);
        sendLine(client, name + ": ready");
        expectLine(client, "from " + name + ": ready");
        expected.peers++;
        expected.messagesIn++;
        expected.delivered++;
        return client;
    }

    /** A connection whose only line draws one error reply and is then closed by the broker. */
    private void refusedConnection(final String firstLine, final String reply, final String kind) throws IOException
    {
        final LineClient client = connect();
        expected.accepted++;
        sendLine(client, firstLine);
        assertEquals(List.of(reply), client.awaitClosed(SETTLE));
        expected.received(reply);
        expected.error(kind);
    }

    private AdminClient admin()
    {
        return new AdminClient(broker.adminAddress());
    }

    /** Polls /metrics until the writers have recorded every delivered message and closed connections are counted. */
    private Map<String, Double> settledMetrics(final AdminClient admin) throws Exception
    {
        final AtomicReference<Map<String, Double>> last = new AtomicReference<>();
        awaitCondition("the broker's counters to settle", SETTLE, () ->
        {
            final Map<String, Double> metrics;
            try
            {
                metrics = admin.metrics();
            }
            catch (final IOException | InterruptedException ex)
            {
                throw new AssertionError(ex);
            }
            last.set(metrics);
            return value(metrics, "tern_messages_delivered_total") == expected.delivered &&
                value(metrics, series("tern_stage_latency_seconds_count", "stage", "read_to_write")) ==
                    expected.delivered &&
                value(metrics, "tern_connections_open") == expected.open &&
                // Sampled apart within one scrape: open can already show a close that closed_total does not yet.
                value(metrics, "tern_connections_closed_total") == expected.accepted - expected.open &&
                value(metrics, "tern_out_bytes_total") == expected.bytesOut;
        });
        return last.get();
    }

    private static double value(final Map<String, Double> metrics, final String series)
    {
        final Double value = metrics.get(series);
        assertTrue(null != value, () -> "no series " + series + " in " + metrics.keySet());
        return value;
    }

    private void assertCounters(final Map<String, Double> metrics, final boolean exactBytesIn)
    {
        assertEquals(expected.accepted, value(metrics, "tern_connections_accepted_total"), "connections accepted");
        assertEquals(expected.open, value(metrics, "tern_connections_open"), "connections open");
        assertEquals(expected.accepted - expected.open, value(metrics, "tern_connections_closed_total"),
            "connections closed");
        assertEquals(expected.peers, value(metrics, "tern_peers_registered"), "peers registered");
        assertEquals(expected.messagesIn, value(metrics, "tern_messages_in_total"), "messages in");
        assertEquals(expected.delivered, value(metrics, "tern_messages_delivered_total"), "messages delivered");
        assertEquals(expected.bytesOut, value(metrics, "tern_out_bytes_total"), "bytes out");
        if (exactBytesIn)
        {
            assertEquals(expected.bytesIn, value(metrics, "tern_in_bytes_total"), "bytes in");
        }
        else
        {
            assertTrue(value(metrics, "tern_in_bytes_total") >= expected.bytesIn, "bytes in at least those sent");
        }
        for (final Map.Entry<String, Long> error : expected.errors.entrySet())
        {
            assertEquals((double)error.getValue(), value(metrics, series("tern_errors_sent_total", "kind", error.getKey())),
                "errors sent: " + error.getKey());
        }
        assertEquals(0, value(metrics, "tern_slow_consumer_disconnects_total"));
        assertEquals(0, value(metrics, series("tern_connections_refused_total", "reason", "too_many_connections")));
        assertEquals(0, value(metrics, "tern_internal_errors_total"));
        assertEquals(1, value(metrics, "tern_accepting"));
        assertEquals(value(metrics, "tern_ring_size_events"), value(metrics, "tern_ring_free_events"),
            "nothing left in the Disruptor ring");

        assertEquals(expected.messagesIn, value(metrics, series("tern_stage_latency_seconds_count", "stage",
            "read_to_route")), "read-to-route: one per message in");
        assertEquals(expected.delivered, value(metrics, series("tern_stage_latency_seconds_count", "stage",
            "route_to_write")), "route-to-write: one per delivery");
        assertEquals(expected.delivered, value(metrics, series("tern_stage_latency_seconds_count", "stage",
            "read_to_write")), "read-to-write: one per delivery");
        for (final String stage : STAGES)
        {
            final double p50 = value(metrics, series("tern_stage_latency_seconds", Map.of("stage", stage,
                "quantile", "0.5")));
            final double max = value(metrics, series("tern_stage_latency_seconds", Map.of("stage", stage,
                "quantile", "1.0")));
            final double sum = value(metrics, series("tern_stage_latency_seconds_sum", "stage", stage));
            assertTrue(p50 > 0 && p50 <= max && max < 60, stage + ": p50 " + p50 + " s, max " + max + " s");
            assertTrue(sum > 0, stage + ": sum " + sum);
        }
        assertTrue(value(metrics, series("tern_stage_latency_seconds_sum", "stage", "read_to_write")) >=
            value(metrics, series("tern_stage_latency_seconds_sum", "stage", "route_to_write")),
            "read-to-write contains route-to-write");
    }

    @Test
    void shouldCountKnownTrafficAndEveryKindOfErrorExactly() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(MAX_LINE_BYTES).nameTimeoutMs(NAME_TIMEOUT_MS).maxDestinations(2));
        final AdminClient admin = admin();
        final int messages = 2_000;
        final int k = 3;

        final LineClient alice = registerCounted("alice");
        final LineClient bob = registerCounted("bob");
        final LineClient carol = registerCounted("carol");

        // Each message to two peers: one line in, two deliveries. Sent from another thread in batches.
        final Future<Void> sender = executor.submit(() ->
        {
            final StringBuilder batch = new StringBuilder();
            for (int i = 0; i < messages; i++)
            {
                batch.append("bob, carol: m").append(i).append('\n');
                if ((i + 1) % 100 == 0)
                {
                    alice.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
                    batch.setLength(0);
                }
            }
            return null;
        });
        for (int i = 0; i < messages; i++)
        {
            expected.sent("bob, carol: m" + i);
            expectLine(bob, "from alice: m" + i);
            expectLine(carol, "from alice: m" + i);
        }
        join(sender, SETTLE, "the sender");
        expected.messagesIn += messages;
        expected.delivered += 2L * messages;

        for (int i = 0; i < k; i++)
        {
            sendLine(alice, "ghost: hi");
            expectLine(alice, "error: no peer 'ghost'");
            expected.error("no_peer");
            sendLine(alice, "no colon here");
            expectLine(alice, "error: expected 'name[, name...]: text'");
            expected.error("bad_line");
            sendLine(alice, "bob, carol, bob: three names");
            expectLine(alice, "error: too many destinations (max 2)");
            expected.error("too_many_destinations");
            expected.messagesIn += 3;
            refusedConnection("bad,name", "error: invalid name: contains ','", "invalid_name");
            refusedConnection("alice", "error: name 'alice' is taken", "name_taken");
        }

        assertCounters(settledMetrics(admin), true);

        // Lines too long and names never sent: the bytes the broker reads of a refused long line depend on how the
        // kernel cuts it, so from here bytes in is only a lower bound.
        final byte[] tooLong = new byte[MAX_LINE_BYTES + 100];
        java.util.Arrays.fill(tooLong, (byte)'x');
        tooLong[tooLong.length - 1] = '\n';
        final List<LineClient> silent = new ArrayList<>();
        for (int i = 0; i < k; i++)
        {
            final LineClient client = connect();
            expected.accepted++;
            client.sendRaw(tooLong);
            final String reply = "error: line too long (max " + MAX_LINE_BYTES + " bytes)";
            assertEquals(List.of(reply), client.awaitClosed(SETTLE));
            expected.received(reply);
            expected.error("line_too_long");
            silent.add(connect());
            expected.accepted++;
        }
        for (final LineClient client : silent)
        {
            final String reply = "error: no name within " + NAME_TIMEOUT_MS + " ms";
            assertEquals(List.of(reply), client.awaitClosed(SETTLE));
            expected.received(reply);
            expected.error("name_timeout");
        }
        expected.bytesIn += tooLong.length; // at least: the reader saw one full line's worth before refusing it

        assertCounters(settledMetrics(admin), false);
    }

    @Test
    void shouldCountASlowConsumerOnceAndTimeOnlyTheMessagesWritten() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(MAX_LINE_BYTES).maxQueuedBytesPerPeer(4096));
        final AdminClient admin = admin();
        final LineClient sender = register("sender");
        final LineClient sleeper = register("sleeper", 4096); // never reads again
        final byte[] line = ("sleeper: " + "z".repeat(500) + "\n").getBytes(StandardCharsets.US_ASCII);
        awaitCondition("the sleeper to be cut off", SETTLE, () ->
        {
            try
            {
                sender.sendRaw(line);
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
            return broker.slowConsumerDisconnects() > 0;
        });
        // Lines already on their way to the sleeper when it was cut off come back as errors; count them.
        sender.send("sender: done");
        long noPeer = 0;
        String reply;
        while (!(reply = sender.readLine()).equals("from sender: done"))
        {
            assertEquals("error: no peer 'sleeper'", reply);
            noPeer++;
        }

        final Map<String, Double> metrics = admin.metrics();
        assertEquals(1, value(metrics, "tern_slow_consumer_disconnects_total"));
        assertEquals(noPeer, value(metrics, series("tern_errors_sent_total", "kind", "no_peer")));
        assertEquals(1, value(metrics, "tern_peers_registered"));
        final double delivered = value(metrics, "tern_messages_delivered_total");
        final double written = value(metrics, series("tern_stage_latency_seconds_count", "stage", "read_to_write"));
        assertTrue(written <= delivered, "written " + written + " of " + delivered + " delivered");
        assertTrue(written >= 2, "at least the two probes were written: " + written);
    }

    @Test
    void shouldServeHistogramsInHdrHistogramsTextFormatAndResetThemOnPost() throws Exception
    {
        startBroker();
        final AdminClient admin = admin();
        final LineClient alice = register("alice");
        final LineClient bob = register("bob"); // each register() is one self-addressed message
        for (int i = 0; i < 100; i++)
        {
            alice.send("bob: h" + i);
        }
        for (int i = 0; i < 100; i++)
        {
            bob.expectLine("from alice: h" + i);
        }
        final long delivered = 102;
        awaitCondition("every delivery to be timed", SETTLE, () -> countOf(admin, "read_to_write") == delivered);

        final HttpResponse<String> all = admin.get("/histograms");
        assertEquals(200, all.statusCode());
        final List<AdminClient.Distribution> distributions = AdminClient.parseDistributions(all.body());
        assertEquals(3, distributions.size(), all.body());
        assertEquals(delivered, distributions.get(0).totalCount(), "read-to-route");
        assertEquals(delivered, distributions.get(1).totalCount(), "route-to-write");
        assertEquals(delivered, distributions.get(2).totalCount(), "read-to-write");
        for (final String stage : STAGES)
        {
            assertTrue(all.body().contains("# stage " + stage + ": " + delivered + " values since "), all.body());
        }

        // One stage alone is exactly one .hgrm document, in microseconds: the rows account for every value.
        final HttpResponse<String> one = admin.get("/histograms?stage=read_to_write");
        assertEquals(200, one.statusCode());
        assertFalse(one.body().startsWith("# stage"), "no comment before the .hgrm text");
        final AdminClient.Distribution readToWrite = AdminClient.parseDistributions(one.body()).get(0);
        assertEquals(delivered, readToWrite.totalCount());
        assertTrue(readToWrite.values().get(0) > 0 && readToWrite.values().get(0) < 60_000_000,
            "lowest value in us: " + readToWrite.values().get(0));

        assertEquals(delivered, AdminClient.parseDistributions(admin.get("/histograms?window=recent").body())
            .get(2).totalCount(), "recent window");
        assertEquals(405, admin.get("/histograms?reset=true").statusCode(), "reset needs a POST");
        assertEquals(400, admin.get("/histograms?stage=nope").statusCode());
        assertEquals(400, admin.get("/histograms?window=forever").statusCode());

        // POST ?reset=true shows what it clears, then since-reset starts again; since-start and /metrics keep all.
        final HttpResponse<String> reset = admin.post("/histograms?reset=true");
        assertEquals(200, reset.statusCode());
        assertEquals(delivered, AdminClient.parseDistributions(reset.body()).get(2).totalCount());
        alice.send("bob: after reset");
        bob.expectLine("from alice: after reset");
        awaitCondition("the next delivery to be timed", SETTLE, () -> countOf(admin, "read_to_write") == delivered + 1);
        final List<AdminClient.Distribution> afterReset =
            AdminClient.parseDistributions(admin.get("/histograms").body());
        assertEquals(1, afterReset.get(0).totalCount());
        assertEquals(1, afterReset.get(2).totalCount());
        assertEquals(delivered + 1, AdminClient.parseDistributions(
            admin.get("/histograms?window=since-start&stage=read_to_write").body()).get(0).totalCount());
    }

    private static long countOf(final AdminClient admin, final String stage)
    {
        try
        {
            return (long)value(admin.metrics(), series("tern_stage_latency_seconds_count", "stage", stage));
        }
        catch (final IOException | InterruptedException ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void shouldStampLinesReadWithTheFirstLineWhenAuthenticating(@TempDir final Path dir) throws Exception
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1_000);
        startBroker(new BrokerConfig().authFile(users));
        final AdminClient admin = admin();
        final LineClient alice = connect();
        // One write: the authenticator reads the message with the first line and hands both on to the reader.
        alice.sendRaw("alice s3cret\nalice: first\n".getBytes(StandardCharsets.US_ASCII));
        alice.expectLine("from alice: first");
        awaitCondition("the delivery to be timed", SETTLE, () -> countOf(admin, "read_to_write") == 1);

        final Map<String, Double> metrics = admin.metrics();
        assertEquals(1, value(metrics, series("tern_stage_latency_seconds_count", "stage", "read_to_route")));
        final double readToWriteMax = value(metrics, series("tern_stage_latency_seconds",
            Map.of("stage", "read_to_write", "quantile", "1.0")));
        assertTrue(readToWriteMax < 10, "stamped when the authenticator read it, not at 0: " + readToWriteMax + " s");
        assertEquals("alice s3cret\nalice: first\n".length(), value(metrics, "tern_in_bytes_total"),
            "bytes the authenticator read count as bytes in");
    }

    @Test
    void shouldSayWhetherTheBrokerIsAccepting() throws Exception
    {
        startBroker();
        final AdminClient admin = admin();
        final HttpResponse<String> health = admin.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("accepting\n", health.body());
        assertEquals(200, admin.get("/").statusCode());
        assertEquals(404, admin.get("/nothing-here").statusCode());
        assertEquals(405, admin.post("/metrics").statusCode());

        final InetSocketAddress adminAddress = broker.adminAddress();
        assertEquals("127.0.0.1", adminAddress.getAddress().getHostAddress(), "loopback by default");
        closeBroker();
        assertThrows(IOException.class, () -> new AdminClient(adminAddress).get("/health"),
            "the endpoint goes away with the broker");
    }

    @Test
    void shouldRunWithoutTheAdminEndpointWhenSwitchedOff() throws Exception
    {
        startBroker(new BrokerConfig().adminOff());
        assertNull(broker.adminAddress());
        final LineClient alice = register("alice"); // and it routes as usual
        alice.send("alice: still routing");
        alice.expectLine("from alice: still routing");
    }

    @Test
    void shouldRefuseToStartWhenTheAdminPortIsTaken() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            final BindException ex = assertThrows(BindException.class,
                () -> Broker.launch(new BrokerConfig().port(0).adminPort(taken.getLocalPort())).close());
            assertTrue(ex.getMessage().contains("--admin-port=" + taken.getLocalPort()), ex.getMessage());
        }
        // Nothing leaked: a broker starts normally afterwards.
        startBroker();
        assertEquals(200, admin().get("/health").statusCode());
    }

    @Test
    void shouldPrintAStatsLineAndLogEveryDeliveryInTheIntervalLogs(@TempDir final Path logDir) throws Exception
    {
        final PrintStream originalOut = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int deliveries;
        try
        {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            startBroker(new BrokerConfig().statsIntervalMs(100).histogramLogDir(logDir));
        }
        finally
        {
            System.setOut(originalOut);
        }
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        for (int i = 0; i < 50; i++)
        {
            alice.send("bob: s" + i);
            bob.expectLine("from alice: s" + i);
        }
        deliveries = 52;
        awaitCondition("a stats line that saw the messages", SETTLE, () ->
            captured.toString(StandardCharsets.UTF_8).lines().anyMatch(l -> l.contains(" stats over ") &&
                l.contains("read-to-write ") && !l.contains("read-to-write -")));
        final String line = captured.toString(StandardCharsets.UTF_8).lines()
            .filter(l -> l.contains(" stats over ")).findFirst().orElseThrow();
        assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} " +
            "stats over \\d+\\.\\d s: conns \\d+ open/\\d+ total, peers \\d+, in \\d+ .*"), line);
        closeBroker(); // writes the last interval and closes the logs

        for (final String stage : STAGES)
        {
            final Path log = logDir.resolve(stage + ".hlog");
            assertTrue(Files.exists(log), log + " exists");
            long total = 0;
            final HistogramLogReader reader = new HistogramLogReader(log.toFile());
            EncodableHistogram interval;
            while (null != (interval = reader.nextIntervalHistogram()))
            {
                total += ((org.HdrHistogram.Histogram)interval).getTotalCount();
            }
            assertEquals(deliveries, total, stage + ": every value in the log");
        }
    }
}
