/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import io.tern.loadgen.LoadGenMain;
import io.tern.loadgen.client.LatencyRecording;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The charts' axes, scales, palette and titles, inspected on the JFreeChart objects, and {@code plot} of
 * {@code .hlog} files.
 */
@Timeout(60)
class LatencyChartTest
{
    private static final long START_MS = 1_796_300_522_233L;

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

    /** A median of 124 us under a 22 ms maximum: the chart the linear axis drew flat on its zero line. */
    private static LatencyChart.Series wide()
    {
        final Histogram histogram = LatencyRecording.newHistogram();
        for (int i = 0; i < 10_000; i++)
        {
            histogram.recordValue(124_000L + (i % 100) * 100L);
        }
        histogram.recordValue(22_000_000L);
        return LatencyChart.Series.of("wide", histogram);
    }

    @Test
    void shouldDrawAWideDistributionOnALogLatencyAxisAgainstTheLogPercentileAxis()
    {
        final JFreeChart chart = LatencyChart.percentileChart("latency by percentile: wide", null, List.of(wide()),
            LatencyChart.Scale.AUTO);
        final XYPlot plot = chart.getXYPlot();

        assertEquals("latency by percentile: wide", chart.getTitle().getText());
        assertInstanceOf(LogAxis.class, plot.getDomainAxis(), "x: 1/(1-p) on a log axis");
        assertEquals("Percentile", plot.getDomainAxis().getLabel());
        final ValueAxis latency = plot.getRangeAxis();
        assertInstanceOf(LogAxis.class, latency, "a 124 us median under 22 ms needs a log latency axis");
        assertEquals("Latency (µs)", latency.getLabel());
        assertEquals(10.0, ((LogAxis)latency).getBase());
        assertTrue(latency.getLowerBound() <= 124 && latency.getLowerBound() > 50, "from just below the median: " +
            latency.getLowerBound());
        assertTrue(latency.getUpperBound() >= 22_000, "up to the maximum: " + latency.getUpperBound());
        // On a linear axis from zero the median would be 0.6% of the way up (124 of 22,000 us): on the floor.
        final double floorPx = 1000;
        final double medianPx = latency.valueToJava2D(124, new Rectangle2D.Double(0, 0, 100, floorPx),
            RectangleEdge.LEFT);
        assertTrue(floorPx - medianPx > 0.03 * floorPx, "the median stands clear of the floor: " + medianPx);
    }

    @Test
    void shouldDrawANarrowDistributionOnALinearAxisFromZeroUnlessToldOtherwise()
    {
        final LatencyChart.Series narrow = LatencyChart.Series.of("narrow", histogramOfMicros(100, 150, 200, 300));

        final ValueAxis auto = LatencyChart.percentileChart("t", null, List.of(narrow), LatencyChart.Scale.AUTO)
            .getXYPlot().getRangeAxis();
        assertFalse(auto instanceof LogAxis, "100 to 300 us reads well on a linear axis");
        assertTrue(((NumberAxis)auto).getAutoRangeIncludesZero(), "a linear latency axis starts at zero");

        assertInstanceOf(LogAxis.class, LatencyChart.percentileChart("t", null, List.of(narrow),
            LatencyChart.Scale.LOG).getXYPlot().getRangeAxis());
        assertFalse(LatencyChart.percentileChart("t", null, List.of(wide()), LatencyChart.Scale.LINEAR)
            .getXYPlot().getRangeAxis() instanceof LogAxis);

        assertEquals(LatencyChart.Scale.LOG, LatencyChart.Scale.AUTO.resolve(100, 1000));
        assertEquals(LatencyChart.Scale.LINEAR, LatencyChart.Scale.AUTO.resolve(100, 999));
    }

    @Test
    void shouldStartALogLatencyAxisNoLowerThanOneMicrosecond()
    {
        // A send lag: most sends on time (0 us), a tail of milliseconds.
        final LatencyChart.Series sendLag = LatencyChart.Series.of("send lag",
            histogramOfMicros(0, 0, 0, 0, 0, 0, 0, 0, 1, 5, 40, 300, 5000));
        final ValueAxis axis = LatencyChart.percentileChart("t", null, List.of(sendLag), LatencyChart.Scale.AUTO)
            .getXYPlot().getRangeAxis();
        assertInstanceOf(LogAxis.class, axis);
        assertEquals(LatencyChart.FLOOR_MICROS, axis.getLowerBound());

        final LatencyChart.Series allZero = LatencyChart.Series.of("idle", histogramOfMicros(0, 0, 0));
        assertFalse(LatencyChart.percentileChart("t", null, List.of(allZero), LatencyChart.Scale.LOG)
            .getXYPlot().getRangeAxis() instanceof LogAxis, "nothing above zero to draw on a log axis");
    }

    @Test
    void shouldTickALogLatencyAxisAtOneTwoAndFiveOfEachDecadeWhileItSpansFew()
    {
        final LatencyChart.LatencyLogAxis axis = new LatencyChart.LatencyLogAxis();
        assertEquals(List.of("50", "100", "200", "500"), labels(axis.ticks(40, 900, TextAnchor.CENTER_RIGHT)));
        // Over more than three decades only the powers of ten are labelled; the rest are minor ticks for the grid.
        final List<ValueTick> wide = axis.ticks(20, 60_000, TextAnchor.CENTER_RIGHT);
        assertEquals(List.of("100", "1,000", "10,000"), labels(wide));
        assertTrue(wide.stream().anyMatch(tick -> tick.getTickType() == TickType.MINOR && tick.getValue() == 5000));
    }

    @Test
    void shouldColourLinesFromAColourBlindSafePalette()
    {
        assertEquals(new Color(0x0072B2), LatencyChart.PALETTE.get(0), "Okabe-Ito blue first");
        assertEquals(new Color(0xD55E00), LatencyChart.PALETTE.get(1), "then vermillion");
        assertFalse(LatencyChart.PALETTE.contains(new Color(0xF0E442)), "no yellow on white");
        assertEquals(LatencyChart.PALETTE.size(), new HashSet<>(LatencyChart.PALETTE).size());

        // The same label twice (two runs' files of one name) still draws two lines.
        final List<LatencyChart.Series> series = List.of(wide(), wide(), wide());
        final XYPlot plot = LatencyChart.percentileChart("t", null, series, LatencyChart.Scale.AUTO).getXYPlot();
        assertEquals(3, plot.getDataset().getSeriesCount());
        for (int i = 0; i < series.size(); i++)
        {
            assertEquals(LatencyChart.PALETTE.get(i), plot.getRenderer().getSeriesPaint(i), "line " + i);
        }
    }

    @Test
    void shouldReadP50P99AndMaxOfEachIntervalOfAnHlog() throws Exception
    {
        final Path hlog = writeLoadgenLog(dir.resolve("run.hlog"));

        final HlogFile corrected = HlogFile.read(hlog, null);
        assertEquals(Set.of("", "uncorrected"), corrected.tags());
        assertEquals("corrected latency (from each message's due time)", corrected.drawn());
        assertEquals(3, corrected.intervals().size(), "the empty second is left out");
        final HlogFile.Interval first = corrected.intervals().get(0);
        assertEquals(2.0, first.endSeconds(), 0.001, "seconds from the log's StartTime");
        assertEquals(100, first.p50Micros(), 1.0);
        assertEquals(100, first.p99Micros(), 1.0);
        assertEquals(20_000, first.maxMicros(), 20.0);
        final HlogFile.Interval third = corrected.intervals().get(2);
        assertEquals(5.0, third.endSeconds(), 0.001);
        assertEquals(300, third.p50Micros(), 1.0);

        final HlogFile uncorrected = HlogFile.read(hlog, "uncorrected");
        assertEquals(1, uncorrected.intervals().size());
        assertEquals(50, uncorrected.intervals().get(0).p50Micros(), 1.0);

        final JFreeChart chart = LatencyChart.overTimeChart("latency over time", corrected.drawn(),
            List.of(new LatencyChart.IntervalSeries("", corrected.intervals())), LatencyChart.Scale.AUTO);
        final XYPlot plot = chart.getXYPlot();
        assertEquals("Time (s)", plot.getDomainAxis().getLabel());
        assertInstanceOf(LogAxis.class, plot.getRangeAxis(), "100 us medians under a 20 ms max");
        final XYDataset data = plot.getDataset();
        assertEquals(3, data.getSeriesCount());
        assertEquals(List.of("p50", "p99", "max"), List.of(data.getSeriesKey(0), data.getSeriesKey(1),
            data.getSeriesKey(2)));
        assertEquals(5.0, data.getXValue(0, 2), 0.001);
        assertEquals(20_000, data.getYValue(2, 0), 20.0);
    }

    @Test
    void shouldPlotHlogFilesAsLatencyOverTime() throws Exception
    {
        final Path a = writeLoadgenLog(dir.resolve("a.hlog"));
        final Path b = writeLoadgenLog(dir.resolve("b.hlog"));
        final Path png = dir.resolve("charts/over-time.png");

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, plot(out, new ByteArrayOutputStream(), "--out", png.toString(), "first=" + a, b.toString()),
            out.toString(StandardCharsets.UTF_8));
        final BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(LatencyChart.WIDTH_PX, image.getWidth());
        assertEquals(LatencyChart.HEIGHT_PX, image.getHeight());

        assertEquals(0, plot(out, new ByteArrayOutputStream(), "--out", png.toString(), "--tag", "uncorrected",
            "--latency-axis", "linear", a.toString()));
    }

    @Test
    void shouldRefuseMixedFilesAnUnknownTagAndAFileThatIsNotAnHlog() throws Exception
    {
        final Path hlog = writeLoadgenLog(dir.resolve("a.hlog"));
        final Path hgrm = dir.resolve("a.hgrm");
        HgrmFile.write(histogramOfMicros(10, 20), hgrm);
        final Path notHlog = Files.writeString(dir.resolve("n.hlog"), "hello\n");
        final String png = dir.resolve("x.png").toString();

        assertUsageError("not both", "--out", png, hlog.toString(), hgrm.toString());
        assertUsageError("has no 'send-lag' histograms; its tags: (untagged), uncorrected",
            "--out", png, "--tag", "send-lag", hlog.toString());
        assertUsageError("--tag applies to .hlog files only", "--out", png, "--tag", "x", hgrm.toString());
        assertUsageError("not an .hlog", "--out", png, notHlog.toString());
    }

    private void assertUsageError(final String expected, final String... args)
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, plot(new ByteArrayOutputStream(), err, args));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(expected), err.toString(StandardCharsets.UTF_8));
    }

    private static int plot(final ByteArrayOutputStream out, final ByteArrayOutputStream err, final String... args)
    {
        final String[] command = new String[args.length + 1];
        command[0] = "plot";
        System.arraycopy(args, 0, command, 1, args.length);
        return LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), command);
    }

    /**
     * A log as the loadgen writes one, from its start time: seconds 1-2 (199 x 100 us, one 20 ms), 2-3 empty, 3-4
     * (200 us), 4-5 (300 us) untagged; one 'uncorrected' interval of 50 us.
     */
    private static Path writeLoadgenLog(final Path file) throws Exception
    {
        try (PrintStream stream = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.US_ASCII))
        {
            final HistogramLogWriter writer = new HistogramLogWriter(stream);
            writer.outputComment(HlogFile.LOADGEN_HEADER.substring(1) + "test: values in nanoseconds");
            writer.outputLogFormatVersion();
            writer.outputStartTime(START_MS);
            writer.setBaseTime(START_MS);
            writer.outputBaseTime(START_MS);
            writer.outputLegend();
            final long[] first = new long[200];
            java.util.Arrays.fill(first, 100);
            first[199] = 20_000;
            final long[][] seconds = {first, {}, {200}, {300}};
            for (int s = 0; s < seconds.length; s++)
            {
                final Histogram interval = histogramOfMicros(seconds[s]);
                // As in a run's log: the first interval begins a while after the log's start time.
                interval.setStartTimeStamp(START_MS + (s + 1) * 1000L);
                interval.setEndTimeStamp(START_MS + (s + 2) * 1000L);
                writer.outputIntervalHistogram(interval);
            }
            final Histogram uncorrected = histogramOfMicros(50);
            uncorrected.setTag("uncorrected");
            uncorrected.setStartTimeStamp(START_MS + 1000L);
            uncorrected.setEndTimeStamp(START_MS + 2000L);
            writer.outputIntervalHistogram(uncorrected);
        }
        return file;
    }

    private static List<String> labels(final List<ValueTick> ticks)
    {
        return ticks.stream().filter(tick -> tick.getTickType() == TickType.MAJOR).map(ValueTick::getText).toList();
    }
}
