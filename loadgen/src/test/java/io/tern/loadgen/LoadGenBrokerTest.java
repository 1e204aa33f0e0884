/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.loadgen.report.HgrmFile;
import io.tern.loadgen.report.RunSummary;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.tern.broker.Settings.OUTBOUND_RING_BYTES;
import static io.tern.broker.Settings.WRITE_BUFFER_BYTES;
import static io.tern.loadgen.LoadGenFakeBrokerTest.assertCleanAndComplete;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the loadgen against a real in-process tern broker (test-scope dependency), a couple of seconds per case.
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
        final String[] all = new String[args.length + 4];
        all[0] = "--host";
        all[1] = broker.localAddress().getAddress().getHostAddress();
        all[2] = "--port";
        all[3] = Integer.toString(broker.localAddress().getPort());
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
            "--warmup", "500ms", "--duration", "1500ms", "--out", outDir.toString(), "--label", "broker-pairs");

        assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
        final RunSummary summary = result.summary();
        assertCleanAndComplete(summary, output.toString());
        assertEquals(6000, summary.scheduledMessages());
        assertEquals(summary.scheduledMessages(), summary.corrected().getTotalCount(), output.toString());

        final HgrmFile hgrm = HgrmFile.read(result.files().get("corrected.hgrm"));
        final JsonNode json = new ObjectMapper().readTree(result.files().get("json").toFile());
        assertEquals(summary.corrected().getTotalCount(), hgrm.totalCount());
        assertEquals(hgrm.totalCount(), json.at("/latencyMicros/corrected/count").asLong());
        assertEquals(json.at("/counts/expectedDeliveries").asLong(), json.at("/counts/received").asLong());
        assertEquals(0, broker.slowConsumerDisconnects());
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
        assertEquals(4 * result.summary().scheduledMessages(), result.summary().corrected().getTotalCount());
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
    }

    /*
     * Regression test for a broker bug this loadgen found (2026-11-25, at a015858): with one message in flight, each
     * sender stalled for good after about outbound-ring-bytes / record-size deliveries (32 with 8000-byte payloads):
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
        assertCleanAndComplete(result.summary(), output.toString());
        assertTrue(result.summary().corrected().getTotalCount() > 100, output.toString());
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
        final long perConnection = broker.config().get(OUTBOUND_RING_BYTES) + RingBufferDescriptor.TRAILER_LENGTH +
            broker.config().get(WRITE_BUFFER_BYTES);
        assertTrue(broker.connectionMemoryBytes() <= 4 * perConnection, "memory of at most a few connections at " +
            "once after " + cuts + " cuts: " + broker.connectionMemoryBytes() / perConnection + " connections' worth");
    }
}
