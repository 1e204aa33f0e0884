/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.loadgen.report.HgrmFile;
import io.tern.loadgen.report.LatencyChart;
import io.tern.loadgen.report.RunSummary;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.tern.broker.Settings.MAX_QUEUED_BYTES_PER_PEER;
import static io.tern.broker.Settings.WRITE_BUFFER_BYTES;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the loadgen against a real in-process tern broker (test-scope dependency), a couple of seconds per case: every
 * workload and load model must run clean. The faults a real broker cannot be made to produce on demand are in
 * {@link LoadGenErrorsTest}, against a {@link FakeBroker}.
 */
class LoadGenBrokerTest
{
    @TempDir
    Path outDir;

    private Broker broker;

    @BeforeEach
    void launchBroker() throws Exception
    {
        broker = Broker.launch(new BrokerConfig().port(0));
    }

    @AfterEach
    void closeBroker()
    {
        if (null != broker)
        {
            broker.close();
        }
    }

    private LoadGenResult run(final StringBuilder output, final String... args)
    {
        return runAgainst(broker.localAddress(), output, args);
    }

    /**
     * Runs the loadgen in this JVM against {@code address} with {@code args}, appending (and printing) its output.
     *
     * @return the run's result.
     */
    static LoadGenResult runAgainst(
        final InetSocketAddress address, final StringBuilder output, final String... args)
    {
        final String[] all = new String[args.length + 4];
        all[0] = "--host";
        all[1] = address.getAddress().getHostAddress();
        all[2] = "--port";
        all[3] = Integer.toString(address.getPort());
        System.arraycopy(args, 0, all, 4, args.length);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(all),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
        output.append(bytes.toString(StandardCharsets.UTF_8));
        System.out.print(output);
        return result;
    }

    @Test
    @Timeout(30)
    void shouldLoseNothingInPairsOpenLoopAndWriteFilesThatParseBack() throws Exception
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "pairs", "--pairs", "4", "--rate", "4000",
            "--warmup", "500ms", "--duration", "1500ms", "--message-bytes", "100", "--out", outDir.toString(),
            "--label", "broker-pairs");
        final String text = output.toString();

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
        final RunSummary summary = result.summary();
        assertCleanAndComplete(summary, text);
        // Open loop: every message due in the measured period was sent and arrived, so each is in the histograms.
        assertEquals(6000, summary.scheduledMessages()); // 4000/s for 1.5 s
        assertEquals(summary.scheduledMessages(), summary.corrected().getTotalCount(), text);
        assertEquals(summary.corrected().getTotalCount(), summary.uncorrected().getTotalCount());
        assertEquals(summary.scheduledMessages(), summary.sendLag().getTotalCount());
        // Per message: corrected (from due time) = uncorrected (from send time) + send lag (send - due). The same
        // messages are in all three, so the means add up, to within the histograms' 0.1% resolution.
        final double correctedMeanNs = summary.corrected().getMean();
        final double expectedMeanNs = summary.uncorrected().getMean() + summary.sendLag().getMean();
        assertEquals(expectedMeanNs, correctedMeanNs, 0.005 * correctedMeanNs + 1_000, text);
        assertTrue(summary.sendLag().getMean() > 0, "parking until the due time always wakes a little late");
        assertTrue(text.contains("measure"), text); // progress lines
        assertTrue(text.contains("== tern loadgen summary: broker-pairs"), text);
        assertEquals(0, broker.slowConsumerDisconnects());

        // .hgrm parses back with the same total count.
        final HgrmFile hgrm = HgrmFile.read(result.files().get("corrected.hgrm"));
        assertEquals(summary.corrected().getTotalCount(), hgrm.totalCount());
        assertEquals(hgrm.totalCount(), hgrm.rows().get(hgrm.rows().size() - 1).totalCount());
        assertEquals(summary.corrected().getMaxValue() / 1000.0, hgrm.max(), 0.01);

        // JSON parses back with the same counts.
        final JsonNode json = new ObjectMapper().readTree(result.files().get("json").toFile());
        assertEquals(hgrm.totalCount(), json.at("/latencyMicros/corrected/count").asLong());
        assertEquals(summary.uncorrected().getTotalCount(), json.at("/latencyMicros/uncorrected/count").asLong());
        assertEquals(summary.counts().sentMessages(), json.at("/counts/sent").asLong());
        assertEquals(summary.counts().received(), json.at("/counts/received").asLong());
        assertEquals(json.at("/counts/expectedDeliveries").asLong(), json.at("/counts/received").asLong());
        assertEquals(0, json.at("/counts/lost").asLong());
        assertTrue(json.at("/ok").asBoolean());
        assertEquals(4000, json.at("/offeredRatePerSecond").asLong());
        assertEquals(summary.corrected().getValueAtPercentile(99.0) / 1000.0,
            json.at("/latencyMicros/corrected/p99").asDouble(), 0.001);

        // The interval log reads back with HdrHistogram's reader: untagged intervals add up to the corrected total.
        long loggedCorrected = 0;
        long loggedUncorrected = 0;
        try (HistogramLogReader reader = new HistogramLogReader(result.files().get("hlog").toFile()))
        {
            for (EncodableHistogram h = reader.nextIntervalHistogram(); null != h; h = reader.nextIntervalHistogram())
            {
                final long count = ((Histogram)h).getTotalCount();
                if (null == h.getTag())
                {
                    loggedCorrected += count;
                }
                else if ("uncorrected".equals(h.getTag()))
                {
                    loggedUncorrected += count;
                }
            }
        }
        assertEquals(summary.corrected().getTotalCount(), loggedCorrected);
        assertEquals(summary.uncorrected().getTotalCount(), loggedUncorrected);

        // Garbage-free recording: one object per message, even the smallest (16 bytes), would be 16 * 6000 bytes.
        // What remains is one-off (JIT, first use), independent of the message count.
        assertTrue(summary.senderAllocatedBytes() >= 0 && summary.senderAllocatedBytes() < 16 * 1024, text);
        assertTrue(summary.receiverAllocatedBytes() >= 0 && summary.receiverAllocatedBytes() < 16 * 1024, text);

        final BufferedImage png = ImageIO.read(result.files().get("png").toFile());
        assertNotNull(png, "PNG decodes");
        assertEquals(LatencyChart.WIDTH_PX, png.getWidth());
    }

    @Test
    @Timeout(30)
    void shouldDeliverEveryFanoutLineToEveryReceiver()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "fanout", "--senders", "2", "--fanout", "4",
            "--rate", "2000", "--warmup", "300ms", "--duration", "1s");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        assertCleanAndComplete(result.summary(), output.toString());
        assertEquals(4 * result.summary().counts().sentMessages(), result.summary().counts().expectedDeliveries());
        assertEquals(4 * result.summary().scheduledMessages(), result.summary().corrected().getTotalCount());
    }

    @Test
    @Timeout(30)
    void shouldDeliverEveryMeshMessageInOpenLoop()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "mesh", "--peers", "5", "--rate", "2000",
            "--warmup", "200ms", "--duration", "800ms");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        assertCleanAndComplete(result.summary(), output.toString());
        assertEquals(result.summary().scheduledMessages(), result.summary().corrected().getTotalCount(),
            output.toString());
    }

    @Test
    @Timeout(30)
    void shouldLoseNothingInMeshAtMaximumThroughput()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "mesh", "--peers", "6", "--load", "max",
            "--in-flight", "8", "--warmup", "300ms", "--duration", "1s");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        assertCleanAndComplete(result.summary(), output.toString());
        assertTrue(result.summary().corrected().getTotalCount() > 1000, output.toString());
        assertEquals(8, result.summary().inFlightPerSender());
    }

    @Test
    @Timeout(30)
    void shouldRunFanoutAtMaximumThroughputWithBoundedMessagesInFlight()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "fanout", "--senders", "2", "--fanout", "2",
            "--load", "max", "--in-flight", "4", "--warmup", "200ms", "--duration", "800ms");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        assertCleanAndComplete(result.summary(), output.toString());
        assertTrue(result.summary().corrected().getTotalCount() > 100, output.toString());
        assertEquals(4, result.summary().inFlightPerSender());
    }

    /*
     * Regression test for a broker bug this loadgen found (2026-11-25, at a015858): with one message in flight, each
     * sender stalled for good after about (outbound ring bytes) / record-size deliveries (32 with 8000-byte payloads):
     * the message after the outbound ring's wrap point was not written until another message came for that peer.
     * Fails within a second without the fix (the sender stalls, the last message counts as lost).
     */
    @Test
    @Timeout(30)
    void shouldNotStallPingPongWhenTheBrokersOutboundRingWraps()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "pairs", "--pairs", "1", "--load", "ping-pong",
            "--message-bytes", "8000", "--warmup", "0", "--duration", "500ms", "--drain-timeout", "500ms");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        assertCleanAndComplete(result.summary(), output.toString());
        assertTrue(result.summary().counts().received() > 100, output.toString()); // many wraps of a 256 KiB ring
    }

    @Test
    @Timeout(30)
    void shouldRunPingPongAgainstTheBroker()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "pairs", "--pairs", "2", "--load", "ping-pong",
            "--warmup", "300ms", "--duration", "1s");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        final RunSummary summary = result.summary();
        assertCleanAndComplete(summary, output.toString());
        assertTrue(summary.corrected().getTotalCount() > 100, output.toString());
        // No schedule in a closed loop: due time is send time.
        assertEquals(summary.uncorrected().getTotalCount(), summary.corrected().getTotalCount());
        assertEquals(summary.uncorrected().getMaxValue(), summary.corrected().getMaxValue());
    }

    /*
     * One client thread: no receiver thread exists, so unless the sender polls the receiving sockets itself (blocking
     * in their selector, or busy-polling with --spin) no window ever reopens and the run delivers a handful.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ping-pong", "ping-pong --spin 1s", "max --in-flight 8"})
    @Timeout(30)
    void shouldSendAndReceiveOnOneClientThread(final String load)
    {
        final StringBuilder output = new StringBuilder();
        final String[] loadArgs = ("--load " + load).split(" ");
        final String[] args = new String[loadArgs.length + 10];
        System.arraycopy(loadArgs, 0, args, 0, loadArgs.length);
        System.arraycopy(new String[]{"--workload", "pairs", "--pairs", "2", "--client-threads", "1",
            "--warmup", "300ms", "--duration", "1s"}, 0, args, loadArgs.length, 10);
        final LoadGenResult result = run(output, args);

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        assertCleanAndComplete(result.summary(), output.toString());
        assertTrue(result.summary().corrected().getTotalCount() > 1000, output.toString());
        assertTrue(output.toString().contains("one client thread"), output.toString());
        // The sender and the receiver are one thread: its allocation is reported once, as that thread's.
        assertTrue(result.summary().oneClientThread(), output.toString());
        assertTrue(output.toString().contains("allocation  client thread (sends and receives) "), output.toString());
    }

    /*
     * The flood subcommand: its receivers are cut as slow consumers, it counts each cut from the "no peer" replies
     * and registers the next receiver, and the broker's connection memory stays that of the connections open at once.
     */
    @Test
    @Timeout(30)
    void shouldFloodReceiversUntilTheBrokerCutsThem()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exitCode = LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
            "flood", "--host", broker.localAddress().getAddress().getHostAddress(),
            "--port", Integer.toString(broker.localAddress().getPort()), "--duration", "2");
        final String text = out.toString(StandardCharsets.UTF_8);

        assertEquals(0, exitCode, text);
        final java.util.regex.Matcher done = java.util.regex.Pattern
            .compile("flood done: [0-9,]+ lines sent in 2 s, ([0-9]+) receivers cut").matcher(text);
        assertTrue(done.find(), text);
        final long cuts = Long.parseLong(done.group(1));
        assertTrue(cuts >= 2, text);
        // The last receiver may be cut as the time runs out, before a reply tells the flood.
        final long brokerCuts = broker.slowConsumerDisconnects();
        assertTrue(cuts == brokerCuts || cuts + 1 == brokerCuts, "the flood counted " + cuts + " of the broker's " +
            brokerCuts + " cuts: " + text);
        // A peer holds at most about twice its bound as outbound segments (a chain grows by doubling), and its
        // segments go back to the pool for the next receiver once it is cut.
        final long perConnection = 2 * broker.config().get(MAX_QUEUED_BYTES_PER_PEER) +
            RingBufferDescriptor.TRAILER_LENGTH + broker.config().get(WRITE_BUFFER_BYTES);
        assertTrue(broker.connectionMemoryBytes() <= 4 * perConnection, "memory of at most a few connections at " +
            "once after " + cuts + " cuts: " + broker.connectionMemoryBytes() / perConnection + " connections' worth");
    }

    /*
     * Idle peers beside a workload: all registered with the broker before the workload starts, counted by the broker
     * as connections while the workload runs, reported with their rate in the text and the JSON, and the workload
     * as clean as without them.
     */
    @Test
    @Timeout(60)
    void shouldRegisterAndHoldIdlePeersBesideTheWorkload() throws Exception
    {
        final StringBuilder output = new StringBuilder();
        final java.util.concurrent.CompletableFuture<LoadGenResult> running =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> run(output, "--idle-peers", "200",
                "--workload", "pairs", "--pairs", "4", "--rate", "2000", "--warmup", "300ms", "--duration", "1500ms",
                "--quiet", "--out", outDir.toString(), "--label", "idle-beside"));
        // 200 idle and 8 workload connections at once while the workload runs.
        final long deadlineNs = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        long mostOpen = 0;
        while (!running.isDone() && mostOpen < 208 && System.nanoTime() - deadlineNs < 0)
        {
            mostOpen = Math.max(mostOpen, broker.connectionsOpen());
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        final LoadGenResult result = running.get();
        final String text = output.toString();

        assertEquals(208, mostOpen, "the broker counts the idle peers as connections: " + text);
        assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
        assertCleanAndComplete(result.summary(), text);
        assertEquals(result.summary().scheduledMessages(), result.summary().corrected().getTotalCount(), text);
        final io.tern.loadgen.report.IdlePeersReport idle = result.idlePeers();
        assertNotNull(idle, text);
        assertSame(idle, result.summary().idlePeers());
        assertEquals(200, idle.count());
        assertEquals(0, idle.disconnects(), text);
        assertEquals(0, idle.unexpectedLines(), text);
        assertTrue(idle.registerNs() > 0 && idle.registerPeersPerSecond() > 0, text);
        assertTrue(idle.heldSeconds() >= 1.5, text);
        assertTrue(text.contains("idle peers  200 registered in "), text);
        assertTrue(text.contains("idle peers  200 connected and registered in "), text);

        final JsonNode json = new ObjectMapper().readTree(result.files().get("json").toFile());
        assertEquals(200, json.at("/idlePeers/count").asInt());
        assertEquals(idle.registerPeersPerSecond(), json.at("/idlePeers/registerPeersPerSecond").asDouble(), 0.001);
        assertEquals(0, json.at("/idlePeers/disconnects").asLong());
    }

    /* --workload none: only idle peers, held for --duration, then reported; their JSON has the rate too. */
    @Test
    @Timeout(60)
    void shouldOnlyHoldIdlePeersWithWorkloadNone() throws Exception
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--idle-peers", "300", "--workload", "none", "--duration", "500ms",
            "--out", outDir.toString());
        final String text = output.toString();

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
        assertNull(result.summary());
        assertEquals(300, result.idlePeers().count());
        assertTrue(result.idlePeers().clean(), text);
        assertTrue(result.idlePeers().heldSeconds() >= 0.5, text);
        assertTrue(text.contains("result      OK (exit 0)"), text);
        final JsonNode json = new ObjectMapper().readTree(result.files().get("json").toFile());
        assertEquals("none", json.at("/workload").asText());
        assertEquals(300, json.at("/idlePeers/count").asInt());
        assertTrue(json.at("/idlePeers/registerPeersPerSecond").asDouble() > 0, json.toString());
        assertTrue(json.at("/ok").asBoolean());
    }

    /*
     * 60,000-byte messages, near the broker's default max-line-bytes (65536, 'dest: text' on one line), with a few in
     * flight per pair: every one arrives intact, and the payload rate is the delivery rate times the message size.
     */
    @Test
    @Timeout(60)
    void shouldDeliverSixtyThousandByteMessagesWithAWindowInFlight() throws Exception
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--workload", "pairs", "--pairs", "2", "--load", "max",
            "--in-flight", "4", "--message-bytes", "60000", "--warmup", "200ms", "--duration", "1s", "--quiet",
            "--out", outDir.toString(), "--label", "big");
        final String text = output.toString();

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
        final RunSummary summary = result.summary();
        assertCleanAndComplete(summary, text);
        assertEquals(60_000, summary.messageBytes());
        assertTrue(summary.corrected().getTotalCount() > 20, text);
        assertEquals(summary.achievedDeliveryRatePerSecond() * 60_000 / 1e6, summary.payloadMegabytesPerSecond(),
            1e-9);
        assertTrue(text.contains(" MB/s of message text delivered"), text);
        final JsonNode json = new ObjectMapper().readTree(result.files().get("json").toFile());
        assertEquals(summary.payloadMegabytesPerSecond(), json.at("/payloadMegabytesPerSecond").asDouble(), 0.001);
        assertEquals(0, broker.slowConsumerDisconnects());
    }

    /** Asserts that every message arrived once, intact and in order, and the broker raised nothing. */
    static void assertCleanAndComplete(final RunSummary summary, final String output)
    {
        final RunSummary.Counts counts = summary.counts();
        assertTrue(counts.sentMessages() > 0, output);
        assertEquals(counts.expectedDeliveries(), counts.received(), output);
        assertEquals(0, counts.lost(), output);
        assertEquals(0, counts.duplicated(), output);
        assertEquals(0, counts.outOfOrder(), output);
        assertEquals(0, counts.corrupt(), output);
        assertEquals(0, counts.errorLines(), output);
        assertEquals(0, counts.disconnects(), output);
        assertTrue(summary.ok(), output);
        assertTrue(summary.problems().isEmpty(), output);
    }
}
