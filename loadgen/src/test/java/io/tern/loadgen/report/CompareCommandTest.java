/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.loadgen.LoadGenMain;
import io.tern.loadgen.client.LatencyRecording;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CompareCommandTest
{
    @TempDir
    Path dir;

    /** Writes what a run with --out writes that compare reads: the JSON summary and the corrected .hgrm. */
    private void writeRun(final String label, final String target, final long p50Micros, final double delivered,
        final long lost) throws Exception
    {
        final Histogram latency = LatencyRecording.newHistogram();
        for (int i = 0; i < 1000; i++)
        {
            latency.recordValue((i < 500 ? p50Micros : 2 * p50Micros) * 1000); // p50 = p50Micros, p99 = 2 x
        }
        final RunSummary summary = new RunSummary(label, "2026-11-25T20:00:00Z", target, "127.0.0.1:1", null,
            "pairs: 10 senders -> 10 receivers, one each (20 peers)", "pairs", "open", 20, 10, 10, 1, 64, 0, 20000,
            2, 8, 20000, delivered, 160000, new RunSummary.Counts(10, 10, 10 - lost, lost, 0, 0, 0, 0, 0), latency,
            latency, LatencyRecording.newHistogram(), 0, 0, false, null, List.of(), List.of(), lost == 0, lost == 0 ? 0 : 1);
        Files.writeString(dir.resolve(label + ".json"), summary.toJson());
        HgrmFile.write(latency, dir.resolve(label + ".corrected.hgrm"));
    }

    @Test
    @Timeout(30)
    void shouldTabulateTheMedianOfEachNumberPerWorkloadAndTargetAndOverlayTheTargets() throws Exception
    {
        writeRun("2-pairs-20k.tern.r1", "tern", 300, 19990, 0);
        writeRun("2-pairs-20k.tern.r2", "tern", 100, 20000, 0);
        writeRun("2-pairs-20k.tern.r3", "tern", 200, 19000, 0);
        writeRun("2-pairs-20k.redis.r1", "redis", 50, 20000, 0);
        writeRun("2-pairs-20k.redis.r2", "redis", 70, 20000, 3);
        writeRun("2-pairs-20k.nats.r1", "nats", 80, 20000, 0);
        writeRun("1-ping-pong.nats.r1", "nats", 90, 5000, 0);

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exit = LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            "compare", "--out", dir.resolve("report").toString(), dir.toString());
        final String text = out.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, text);
        final String markdown = Files.readString(dir.resolve("report/results.md"));
        final List<String> rows = markdown.lines().filter(l -> l.startsWith("| 1-") || l.startsWith("| 2-")).toList();
        // Cases sorted by name; targets in the order tern, nats, redis.
        assertEquals(4, rows.size(), markdown);
        assertTrue(rows.get(0).startsWith("| 1-ping-pong | nats | " + us(90) + " | " + us(180) + " |"), rows.get(0));
        // tern: p50 median of 300, 100, 200 = 200; p99 and the rest 2 x that; delivered median of 19990, 20000, 19000.
        assertTrue(rows.get(1).startsWith("| 2-pairs-20k | tern | " + us(200) + " | " + us(400) + " | " + us(400) +
            " | " + us(400) + " | 19,990 | 3, all clean |"), rows.get(1));
        assertTrue(rows.get(2).startsWith("| 2-pairs-20k | nats |"), rows.get(2));
        // Two runs: the mean of the middle two; the run with errors is named.
        assertTrue(rows.get(3).startsWith("| 2-pairs-20k | redis | " + String.format(java.util.Locale.ROOT, "%.1f",
            (value(50) + value(70)) / 2) + " |"), rows.get(3));
        assertTrue(rows.get(3).contains("2-pairs-20k.redis.r2: lost 3"), rows.get(3));
        assertTrue(markdown.contains("- `2-pairs-20k`: pairs: 10 senders -> 10 receivers, one each (20 peers), " +
            "64-byte messages, open loop 20,000 msg/s, warm-up 2 s, measured 8 s"), markdown);

        assertNotNull(ImageIO.read(dir.resolve("report/2-pairs-20k.png").toFile()), "chart decodes");
        assertNotNull(ImageIO.read(dir.resolve("report/1-ping-pong.png").toFile()), "chart decodes");
    }

    /** @return how the histogram reports a value recorded as this many microseconds, in microseconds. */
    private static double value(final long micros)
    {
        return LatencyRecording.newHistogram().highestEquivalentValue(micros * 1000) / 1000.0;
    }

    private static String us(final long micros)
    {
        return String.format(java.util.Locale.ROOT, "%,.1f", value(micros));
    }

    @Test
    @Timeout(10)
    void shouldGroupABuildNamedInTheLabelApartFromItsTarget()
    {
        assertEquals("tern-baseline", CompareCommand.targetOf("1-ping-pong.tern-baseline.r2", "tern"));
        assertEquals("tern", CompareCommand.targetOf("1-ping-pong.tern.r2", "tern"));
        // Only a name that starts with the run's own target: a label cannot pass a nats run off as tern's.
        assertEquals("nats", CompareCommand.targetOf("1-ping-pong.tern-baseline.r2", "nats"));
        assertEquals("tern", CompareCommand.targetOf("my-run", "tern"));
    }

    @Test
    @Timeout(10)
    void shouldPickTheRunWithTheMedianP99ForTheChart()
    {
        final ObjectMapper mapper = new ObjectMapper();
        final JsonNode low = mapper.valueToTree(Map.of("latencyMicros", Map.of("corrected", Map.of("p99", 1.0))));
        final JsonNode mid = mapper.valueToTree(Map.of("latencyMicros", Map.of("corrected", Map.of("p99", 5.0))));
        final JsonNode high = mapper.valueToTree(Map.of("latencyMicros", Map.of("corrected", Map.of("p99", 9.0))));
        final List<CompareCommand.Run> runs = List.of(
            new CompareCommand.Run("c.tern.r1", "c", "tern", Path.of("a.json"), high),
            new CompareCommand.Run("c.tern.r2", "c", "tern", Path.of("b.json"), low),
            new CompareCommand.Run("c.tern.r3", "c", "tern", Path.of("c.json"), mid));
        assertEquals("c.tern.r3", CompareCommand.medianRunByP99(runs).label());
        assertEquals(5.0, CompareCommand.median(runs, r -> r.latency("p99")));
    }

    @Test
    void shouldRejectASummaryThatIsNotJsonNamingTheFile() throws Exception
    {
        final Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"label\": }");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = LoadGenMain.execute(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), "compare", "--out", dir.resolve("report").toString(),
            broken.toString());

        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, exit, text);
        assertTrue(text.contains(broken + ": JSON: "), text);
    }
}
