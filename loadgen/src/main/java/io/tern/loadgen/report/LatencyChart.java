/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.text.AttributedString;
import java.util.ArrayList;
import java.util.List;

/**
 * Latency by percentile, as HdrHistogram's plotter draws it: the x axis is {@code 1/(1-percentile)} on a log scale,
 * labelled 0%, 90%, 99%, 99.9%, ... so each decade is one more nine; the y axis is latency in microseconds. Any
 * number of distributions, from histograms in memory or from {@code .hgrm} files, can share one chart to compare
 * runs.
 * <p>
 * Rendered headless with JFreeChart to a PNG. Any thread; off the hot path.
 */
public final class LatencyChart
{
    public static final int WIDTH_PX = 1100;
    public static final int HEIGHT_PX = 650;

    /**
     * One line on the chart: the points of a percentile distribution, at the percentiles an {@code .hgrm} file of
     * the same histogram lists, so a chart drawn from memory and one drawn from the file are the same.
     *
     * @param label  legend text.
     * @param points in increasing percentile order, 100% excluded (it has no finite {@code 1/(1-p)}).
     */
    public record Series(String label, List<Point> points)
    {
        /**
         * One point.
         *
         * @param inverseTail   {@code 1/(1-p)}, the x position.
         * @param latencyMicros latency at percentile p, in microseconds.
         */
        public record Point(double inverseTail, double latencyMicros)
        {
        }

        /**
         * @param label       legend text.
         * @param histogramNs recorded in nanoseconds.
         * @return its distribution, by HdrHistogram's percentile iteration with the {@code .hgrm} files' resolution.
         */
        public static Series of(final String label, final Histogram histogramNs)
        {
            final List<Point> points = new ArrayList<>();
            for (final HistogramIterationValue value : histogramNs.percentiles(HgrmFile.TICKS_PER_HALF_DISTANCE))
            {
                // As outputPercentileDistribution does: the 100% line is the last and has no 1/(1-p).
                if (value.getPercentileLevelIteratedTo() != 100.0)
                {
                    points.add(new Point(1.0 / (1.0 - value.getPercentileLevelIteratedTo() / 100.0),
                        value.getValueIteratedTo() / HgrmFile.OUTPUT_SCALING_NS_TO_US));
                }
            }
            return new Series(label, List.copyOf(points));
        }

        /**
         * @param label legend text.
         * @param hgrm  a distribution read from a file (in microseconds, as the loadgen writes them).
         * @return its rows below 100%.
         */
        public static Series of(final String label, final HgrmFile hgrm)
        {
            final List<Point> points = new ArrayList<>();
            for (final HgrmFile.Row row : hgrm.rows())
            {
                if (row.percentile() < 1.0)
                {
                    points.add(new Point(row.inverseTail(), row.value()));
                }
            }
            return new Series(label, List.copyOf(points));
        }
    }

    private LatencyChart()
    {
    }

    /**
     * Draws the series into a PNG.
     *
     * @param png      target file.
     * @param title    chart title.
     * @param subtitle a line under the title, or null.
     * @param series   one line each.
     * @throws IOException on failure to write.
     */
    public static void write(final Path png, final String title, final String subtitle, final List<Series> series)
        throws IOException
    {
        if (null == System.getProperty("java.awt.headless"))
        {
            System.setProperty("java.awt.headless", "true"); // no display needed, before AWT initialises
        }

        final XYSeriesCollection dataset = new XYSeriesCollection();
        double maxInverseTail = 10;
        for (final Series s : series)
        {
            final XYSeries xy = new XYSeries(s.label(), false, true);
            for (final Series.Point point : s.points())
            {
                xy.add(point.inverseTail(), point.latencyMicros());
                maxInverseTail = Math.max(maxInverseTail, point.inverseTail());
            }
            dataset.addSeries(xy);
        }

        final JFreeChart chart = ChartFactory.createXYLineChart(
            title, "Percentile", "Latency (us)", dataset, PlotOrientation.VERTICAL, true, false, false);
        if (null != subtitle)
        {
            chart.addSubtitle(new TextTitle(subtitle));
        }
        chart.setPadding(new RectangleInsets(4, 8, 4, 36)); // room for the last percentile label at the right edge
        final XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (int i = 0; i < dataset.getSeriesCount(); i++)
        {
            plot.getRenderer().setSeriesStroke(i, new BasicStroke(2.0f));
        }

        final LogAxis percentileAxis = new PercentileAxis();
        percentileAxis.setBase(10);
        percentileAxis.setSmallestValue(1.0);
        percentileAxis.setTickUnit(new NumberTickUnit(1.0)); // one tick per decade: one more nine each
        percentileAxis.setMinorTickMarksVisible(false);
        percentileAxis.setRange(1.0, Math.pow(10, Math.ceil(Math.log10(maxInverseTail))));
        plot.setDomainAxis(percentileAxis);
        ((NumberAxis)plot.getRangeAxis()).setAutoRangeIncludesZero(true);

        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH_PX, HEIGHT_PX);
    }

    /**
     * The label of a position on the percentile axis.
     *
     * @param inverseTail {@code 1/(1-p)}.
     * @return e.g. {@code 0%}, {@code 90%}, {@code 99.99%}.
     */
    public static String percentileLabel(final double inverseTail)
    {
        if (inverseTail <= 1.0)
        {
            return "0%";
        }
        final double nines = Math.log10(inverseTail);
        if (Math.abs(nines - Math.rint(nines)) < 1e-9)
        {
            final int n = (int)Math.rint(nines);
            if (n == 1)
            {
                return "90%";
            }
            return "99" + (n > 2 ? "." + "9".repeat(n - 2) : "") + "%";
        }
        final BigDecimal percent = BigDecimal.valueOf(100.0 * (1.0 - 1.0 / inverseTail))
            .round(new MathContext(Math.max(2, (int)Math.ceil(nines) + 2)));
        return percent.stripTrailingZeros().toPlainString() + "%";
    }

    /** A log axis whose tick labels are percentiles rather than the values of 1/(1-p). */
    private static final class PercentileAxis extends LogAxis
    {
        private static final long serialVersionUID = 1L;

        PercentileAxis()
        {
            super("Percentile");
        }

        @Override
        protected AttributedString createTickLabel(final double value)
        {
            return new AttributedString(percentileLabel(value));
        }
    }
}
