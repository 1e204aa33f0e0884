/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.loadgen.report.HgrmFile;
import io.tern.loadgen.report.RunSummary;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the loadgen for about a second per workload and load model against the in-test {@link FakeBroker}.
 */
class LoadGenFakeBrokerTest
{
    @TempDir
    Path outDir;

    @Test
    @Timeout(30)
    void shouldDeliverEveryPairsMessageAndWriteFilesThatParseBackWithTheSameCount() throws Exception
    {
        try (FakeBroker broker = new FakeBroker())
        {
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(
                "--port", Integer.toString(broker.port()), "--workload", "pairs", "--pairs", "3",
                "--rate", "3000", "--warmup", "300ms", "--duration", "1200ms", "--message-bytes", "100",
                "--out", outDir.toString(), "--label", "pairs-test", "--name-prefix", "t-"),
                new PrintStream(output, true, StandardCharsets.UTF_8));
            final String text = output.toString(StandardCharsets.UTF_8);
            System.out.print(text);

            assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
            final RunSummary summary = result.summary();
            assertCleanAndComplete(summary, text);
            // Open loop: every message due in the measured period was sent and arrived, so each is in the histograms.
            assertEquals(summary.scheduledMessages(), summary.corrected().getTotalCount(), text);
            assertEquals(summary.corrected().getTotalCount(), summary.uncorrected().getTotalCount());
            assertEquals(summary.scheduledMessages(), summary.sendLag().getTotalCount());
            assertEquals(3600, summary.scheduledMessages()); // 3000/s for 1.2 s
            // Per message: corrected (from due time) = uncorrected (from send time) + send lag (send - due). The
            // same 3600 messages are in all three, so the means add up, to within the histograms' 0.1% resolution.
            final double correctedMeanNs = summary.corrected().getMean();
            final double expectedMeanNs = summary.uncorrected().getMean() + summary.sendLag().getMean();
            assertEquals(expectedMeanNs, correctedMeanNs, 0.005 * correctedMeanNs + 1_000, text);
            assertTrue(summary.sendLag().getMean() > 0, "parking until the due time always wakes a little late");
            assertTrue(text.contains("measure"), text); // progress lines
            assertTrue(text.contains("== tern loadgen summary: pairs-test"), text);

            // .hgrm parses back with the same total count.
            final HgrmFile hgrm = HgrmFile.read(result.files().get("corrected.hgrm"));
            assertEquals(summary.corrected().getTotalCount(), hgrm.totalCount());
            assertEquals(hgrm.totalCount(), hgrm.rows().get(hgrm.rows().size() - 1).totalCount());
            assertEquals(summary.corrected().getMaxValue() / 1000.0, hgrm.max(), 0.01);

            // JSON parses back (independent parser) with the same counts.
            final JsonNode json = new ObjectMapper().readTree(result.files().get("json").toFile());
            assertEquals(summary.corrected().getTotalCount(), json.at("/latencyMicros/corrected/count").asLong());
            assertEquals(summary.uncorrected().getTotalCount(), json.at("/latencyMicros/uncorrected/count").asLong());
            assertEquals(summary.counts().sentMessages(), json.at("/counts/sent").asLong());
            assertEquals(summary.counts().received(), json.at("/counts/received").asLong());
            assertEquals(0, json.at("/counts/lost").asLong());
            assertTrue(json.at("/ok").asBoolean());
            assertEquals(3000, json.at("/offeredRatePerSecond").asLong());
            assertEquals(summary.corrected().getValueAtPercentile(99.0) / 1000.0,
                json.at("/latencyMicros/corrected/p99").asDouble(), 0.001);

            // The interval log reads back with HdrHistogram's reader: untagged intervals add up to the corrected total.
            long loggedCorrected = 0;
            long loggedUncorrected = 0;
            try (HistogramLogReader reader = new HistogramLogReader(result.files().get("hlog").toFile()))
            {
                for (EncodableHistogram h = reader.nextIntervalHistogram(); null != h; h = reader.nextIntervalHistogram())
                {
                    final long count = ((org.HdrHistogram.Histogram)h).getTotalCount();
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

            // Garbage-free recording: one object per message, even the smallest (16 bytes), would be 16 * 3600 bytes.
            // What remains is one-off (JIT, first use), independent of the message count.
            assertTrue(summary.senderAllocatedBytes() >= 0 && summary.senderAllocatedBytes() < 16 * 1024, text);
            assertTrue(summary.receiverAllocatedBytes() >= 0 && summary.receiverAllocatedBytes() < 16 * 1024, text);

            final BufferedImage png = ImageIO.read(result.files().get("png").toFile());
            assertNotNull(png, "PNG decodes");
            assertEquals(io.tern.loadgen.report.LatencyChart.WIDTH_PX, png.getWidth());
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverEveryFanoutMessageToEveryReceiver() throws Exception
    {
        try (FakeBroker broker = new FakeBroker())
        {
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(
                "--port", Integer.toString(broker.port()), "--workload", "fanout", "--senders", "2", "--fanout", "3",
                "--rate", "1000", "--warmup", "200ms", "--duration", "800ms", "--name-prefix", "t-"),
                new PrintStream(output, true, StandardCharsets.UTF_8));
            final String text = output.toString(StandardCharsets.UTF_8);
            System.out.print(text);

            assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
            final RunSummary summary = result.summary();
            assertCleanAndComplete(summary, text);
            assertEquals(3 * summary.counts().sentMessages(), summary.counts().expectedDeliveries());
            assertEquals(3 * summary.scheduledMessages(), summary.corrected().getTotalCount(), text);
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverEveryMeshMessage() throws Exception
    {
        try (FakeBroker broker = new FakeBroker())
        {
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(
                "--port", Integer.toString(broker.port()), "--workload", "mesh", "--peers", "5",
                "--rate", "2000", "--warmup", "200ms", "--duration", "800ms", "--name-prefix", "t-"),
                new PrintStream(output, true, StandardCharsets.UTF_8));
            final String text = output.toString(StandardCharsets.UTF_8);
            System.out.print(text);

            assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
            assertCleanAndComplete(result.summary(), text);
            assertEquals(result.summary().scheduledMessages(), result.summary().corrected().getTotalCount(), text);
        }
    }

    @Test
    @Timeout(30)
    void shouldRunPingPongWithOneMessageInFlight() throws Exception
    {
        try (FakeBroker broker = new FakeBroker())
        {
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(
                "--port", Integer.toString(broker.port()), "--workload", "pairs", "--pairs", "2",
                "--load", "ping-pong", "--warmup", "200ms", "--duration", "800ms", "--name-prefix", "t-"),
                new PrintStream(output, true, StandardCharsets.UTF_8));
            final String text = output.toString(StandardCharsets.UTF_8);
            System.out.print(text);

            assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
            final RunSummary summary = result.summary();
            assertCleanAndComplete(summary, text);
            assertTrue(summary.corrected().getTotalCount() > 100, text);
            // No schedule in a closed loop: due time is send time.
            assertEquals(summary.uncorrected().getTotalCount(), summary.corrected().getTotalCount());
            assertEquals(summary.uncorrected().getMaxValue(), summary.corrected().getMaxValue());
        }
    }

    @Test
    @Timeout(30)
    void shouldRunMaxThroughputWithBoundedMessagesInFlight() throws Exception
    {
        try (FakeBroker broker = new FakeBroker())
        {
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(
                "--port", Integer.toString(broker.port()), "--workload", "fanout", "--senders", "2", "--fanout", "2",
                "--load", "max", "--in-flight", "4", "--warmup", "200ms", "--duration", "800ms",
                "--name-prefix", "t-"),
                new PrintStream(output, true, StandardCharsets.UTF_8));
            final String text = output.toString(StandardCharsets.UTF_8);
            System.out.print(text);

            assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
            final RunSummary summary = result.summary();
            assertCleanAndComplete(summary, text);
            assertTrue(summary.corrected().getTotalCount() > 100, text);
            assertEquals(4, summary.inFlightPerSender());
        }
    }

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
