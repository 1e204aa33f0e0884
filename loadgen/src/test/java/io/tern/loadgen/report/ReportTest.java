/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.loadgen.client.LatencyRecording;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ReportTest
{
    @TempDir
    Path dir;

    private static Histogram histogramOfMicros(final long... micros)
    {
        final Histogram histogram = LatencyRecording.newHistogram();
        for (final long us : micros)
        {
            histogram.recordValue(us * 1000);
        }
        return histogram;
    }

    @Test
    void shouldLabelThePercentileAxisLikeHdrHistogramsPlotter()
    {
        assertEquals("0%", LatencyChart.percentileLabel(1));
        assertEquals("90%", LatencyChart.percentileLabel(10));
        assertEquals("99%", LatencyChart.percentileLabel(100));
        assertEquals("99.9%", LatencyChart.percentileLabel(1000));
        assertEquals("99.999%", LatencyChart.percentileLabel(100_000));
        assertEquals("50%", LatencyChart.percentileLabel(2));
    }

    @Test
    void shouldReadBackAnHgrmFileWithTheSameCountAndMax() throws Exception
    {
        final Histogram histogram = LatencyRecording.newHistogram();
        for (int i = 1; i <= 10_000; i++)
        {
            histogram.recordValue(i * 1000L);
        }
        final Path file = dir.resolve("x.hgrm");
        HgrmFile.write(histogram, file);

        final HgrmFile hgrm = HgrmFile.read(file);
        assertEquals(10_000, hgrm.totalCount());
        assertEquals(histogram.getMaxValue() / 1000.0, hgrm.max(), 0.01);
        assertEquals(0.0, hgrm.rows().get(0).percentile());
        assertEquals(1.0, hgrm.rows().get(hgrm.rows().size() - 1).percentile());
        assertEquals(histogram.getValueAtPercentile(50) / 1000.0,
            hgrm.rows().stream().filter(r -> r.percentile() >= 0.5).findFirst().orElseThrow().value(), 0.01);
    }

    @Test
    void shouldChartAHistogramInMemoryAsItsHgrmFileChartsIt() throws Exception
    {
        final Histogram histogram = LatencyRecording.newHistogram();
        for (int i = 1; i <= 10_000; i++)
        {
            histogram.recordValue(i * 1237L + (i % 7) * 100_000L);
        }
        final Path file = dir.resolve("m.hgrm");
        HgrmFile.write(histogram, file);

        final List<LatencyChart.Series.Point> fromMemory = LatencyChart.Series.of("m", histogram).points();
        final List<LatencyChart.Series.Point> fromFile = LatencyChart.Series.of("m", HgrmFile.read(file)).points();
        assertEquals(fromFile.size(), fromMemory.size());
        assertTrue(fromMemory.size() > 50, "a point per percentile tick: " + fromMemory.size());
        for (int i = 0; i < fromFile.size(); i++)
        {
            // The file rounds the percentile to 12 decimals and the microseconds to 3 (exact for whole nanoseconds).
            assertEquals(fromFile.get(i).inverseTail(), fromMemory.get(i).inverseTail(),
                1e-9 * fromFile.get(i).inverseTail() * fromFile.get(i).inverseTail(), "point " + i);
            assertEquals(fromFile.get(i).latencyMicros(), fromMemory.get(i).latencyMicros(), 0.0005, "point " + i);
        }
    }

    @Test
    @Timeout(60)
    void shouldPlotSeveralRunsOnOneChart() throws Exception
    {
        final Path a = dir.resolve("a.hgrm");
        final Path b = dir.resolve("b.hgrm");
        HgrmFile.write(histogramOfMicros(10, 20, 30, 400), a);
        HgrmFile.write(histogramOfMicros(15, 25, 35, 45, 5000), b);
        final Path png = dir.resolve("charts/compare.png");

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exitCode = io.tern.loadgen.LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            "plot", "--out", png.toString(), "--title", "compare", "first=" + a, b.toString());

        assertEquals(0, exitCode, out.toString(StandardCharsets.UTF_8));
        final BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(LatencyChart.WIDTH_PX, image.getWidth());
        assertEquals(LatencyChart.HEIGHT_PX, image.getHeight());
    }

    @Test
    void shouldRejectAFileThatIsNotAnHgrm() throws Exception
    {
        final Path notHgrm = dir.resolve("n.hgrm");
        java.nio.file.Files.writeString(notHgrm, "hello\n");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = io.tern.loadgen.LoadGenMain.execute(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "plot", "--out", dir.resolve("x.png").toString(), notHgrm.toString());
        assertEquals(2, exitCode);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not an .hgrm"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldWarnWhenTheSendersOwnLatenessExceedsTheLatencyMeasured()
    {
        final Histogram latency = histogramOfMicros(100, 100, 100, 200);
        assertTrue(RunSummary.selfCheck(false, 1000, 1000, histogramOfMicros(5, 5, 5, 10), latency).isEmpty());

        final List<String> lagging = RunSummary.selfCheck(false, 1000, 1000, histogramOfMicros(5, 5, 300, 300), latency);
        assertEquals(2, lagging.size(), lagging.toString()); // p99 and max
        assertTrue(lagging.get(0).contains("send lag"), lagging.get(0));

        final List<String> behind = RunSummary.selfCheck(false, 1000, 900, histogramOfMicros(1), latency);
        assertEquals(1, behind.size());
        assertTrue(behind.get(0).contains("fell behind"), behind.get(0));
    }

    @Test
    void shouldWriteJsonThatAStandardParserReads() throws Exception
    {
        final Histogram latency = histogramOfMicros(100, 200, 300);
        final RunSummary summary = new RunSummary("t", "2026-01-01T00:00:00Z", "tern", "h:1", null,
            "pairs \"quoted\"\n",
            "pairs", "open", 2, 1, 1, 1, 64, 0, 1000, 1, 2, 999.5, 999.5, 2000,
            new RunSummary.Counts(3, 3, 3, 0, 0, 0, 0, 0, 0), latency, latency, LatencyRecording.newHistogram(),
            0, -1, false, null, List.of("w\\1"), List.of(), true, 0);

        final JsonNode json = new ObjectMapper().readTree(summary.toJson());
        assertEquals("pairs \"quoted\"\n", json.get("workloadDescription").asText());
        assertEquals(3, json.at("/latencyMicros/corrected/count").asLong());
        assertEquals(300.0, json.at("/latencyMicros/corrected/max").asDouble(), 0.5);
        assertTrue(json.at("/latencyMicros/sendLag/p99").isNull(), "empty histogram has no percentiles");
        assertEquals(999.5, json.get("achievedSendRatePerSecond").asDouble());
        assertEquals("w\\1", json.get("warnings").get(0).asText());
        assertTrue(json.get("ok").asBoolean());
    }
}
