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
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYItemRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.text.AttributedString;
import java.text.DecimalFormat;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Latency charts, rendered headless with JFreeChart to PNG:
 * <ul>
 *   <li>latency by percentile ({@link #percentileChart}), as HdrHistogram's plotter draws it: the x axis is
 *   {@code 1/(1-percentile)} on a log scale, labelled 0%, 90%, 99%, 99.9%, ... so each decade is one more nine. Any
 *   number of distributions, from histograms in memory or from {@code .hgrm} files, can share one chart;</li>
 *   <li>latency over time ({@link #overTimeChart}): p50, p99 and max of each interval of {@code .hlog} files.</li>
 * </ul>
 * The latency axis is in microseconds, logarithmic when the values span a decade or more ({@link Scale#AUTO}), so a
 * median and a tail a hundred times larger are both readable; lines take the colour-blind-safe {@link #PALETTE}.
 * <p>
 * Any thread; off the hot path.
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

    /**
     * The latency axis's scale.
     */
    public enum Scale
    {
        /** {@link #LOG} when the largest value drawn is at least {@link #LOG_RATIO} times the smallest, else linear. */
        AUTO,
        /** Logarithmic, ticks at 1, 2 and 5 of each power of ten. */
        LOG,
        /** Linear from zero. */
        LINEAR;

        /**
         * From this ratio of largest to smallest value up, a linear axis from zero would squeeze most of the
         * distribution into its bottom tenth (a 124 us median under a 22 ms maximum lies on the zero line).
         */
        public static final double LOG_RATIO = 10.0;

        /**
         * @param minMicros the smallest positive value drawn.
         * @param maxMicros the largest.
         * @return this scale, or for {@link #AUTO} the one the data calls for.
         */
        public Scale resolve(final double minMicros, final double maxMicros)
        {
            if (this != AUTO)
            {
                return this;
            }
            return minMicros > 0 && maxMicros >= LOG_RATIO * minMicros ? LOG : LINEAR;
        }
    }

    /**
     * The Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008), which readers with any common form of
     * colour blindness can tell apart, in the order lines take it; its yellow is left out, as it is unreadable
     * on white. Lines past the seventh take the colours again with a dashed stroke.
     */
    public static final List<Color> PALETTE = List.of(
        new Color(0x0072B2),  // blue
        new Color(0xD55E00),  // vermillion
        new Color(0x009E73),  // bluish green
        new Color(0xCC79A7),  // reddish purple
        new Color(0xE69F00),  // orange
        new Color(0x56B4E9),  // sky blue
        new Color(0x000000)); // black

    /** Strokes: solid, dashed, dotted, dash-dot; the over-time chart draws p50, p99 and max of one log with these. */
    private static final List<float[]> DASHES = List.of(
        new float[0], new float[]{9.0f, 5.0f}, new float[]{2.0f, 4.0f}, new float[]{10.0f, 4.0f, 2.0f, 4.0f});

    private static final String LATENCY_LABEL = "Latency (µs)";
    /** The lowest a log latency axis starts, in microseconds, unless every value is below ten times it. */
    static final double FLOOR_MICROS = 1.0;

    /**
     * One line of a chart of latency over time: p50, p99 and max of each interval of an interval log.
     *
     * @param label     legend text (the statistic is added to it).
     * @param intervals in time order.
     */
    public record IntervalSeries(String label, List<HlogFile.Interval> intervals)
    {
    }

    private LatencyChart()
    {
    }

    /**
     * Draws the series into a PNG, latency axis scaled for the data ({@link Scale#AUTO}).
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
        write(png, percentileChart(title, subtitle, series, Scale.AUTO));
    }

    /**
     * Writes a chart made by {@link #percentileChart} or {@link #overTimeChart} to a PNG of
     * {@link #WIDTH_PX} x {@link #HEIGHT_PX}.
     *
     * @param png   target file.
     * @param chart the chart.
     * @throws IOException on failure to write.
     */
    public static void write(final Path png, final JFreeChart chart) throws IOException
    {
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH_PX, HEIGHT_PX);
    }

    /**
     * Latency by percentile: x is {@code 1/(1-p)} on a log axis labelled as percentiles, y the latency.
     *
     * @param title    chart title.
     * @param subtitle a line under the title, or null.
     * @param series   one line each, coloured from {@link #PALETTE} in order.
     * @param scale    the latency axis's scale.
     * @return the chart, to write or to inspect.
     */
    public static JFreeChart percentileChart(
        final String title, final String subtitle, final List<Series> series, final Scale scale)
    {
        headless();
        final XYSeriesCollection dataset = new XYSeriesCollection();
        double maxInverseTail = 10;
        final Extent extent = new Extent();
        for (final Series s : series)
        {
            final XYSeries xy = new XYSeries(uniqueKey(dataset, s.label()), false, true);
            for (final Series.Point point : s.points())
            {
                xy.add(point.inverseTail(), point.latencyMicros());
                maxInverseTail = Math.max(maxInverseTail, point.inverseTail());
                extent.add(point.latencyMicros());
            }
            dataset.addSeries(xy);
        }

        final JFreeChart chart = ChartFactory.createXYLineChart(
            title, "Percentile", LATENCY_LABEL, dataset, PlotOrientation.VERTICAL, true, false, false);
        final XYPlot plot = style(chart, subtitle);
        for (int i = 0; i < dataset.getSeriesCount(); i++)
        {
            line(plot, i, i, i / PALETTE.size());
        }

        final LogAxis percentileAxis = new PercentileAxis();
        percentileAxis.setBase(10);
        percentileAxis.setSmallestValue(1.0);
        percentileAxis.setTickUnit(new NumberTickUnit(1.0)); // one tick per decade: one more nine each
        percentileAxis.setMinorTickMarksVisible(false);
        percentileAxis.setRange(1.0, Math.pow(10, Math.ceil(Math.log10(maxInverseTail))));
        replaceAxes(plot, percentileAxis, latencyAxis(scale, extent));
        return chart;
    }

    /**
     * Latency over time: p50, p99 and max of each interval of one or more interval logs. One log: a colour per
     * statistic. Several: a colour per log, and solid, dashed and dotted lines for p50, p99 and max.
     *
     * @param title    chart title.
     * @param subtitle a line under the title, or null.
     * @param series   one log each.
     * @param scale    the latency axis's scale.
     * @return the chart, to write or to inspect.
     */
    public static JFreeChart overTimeChart(
        final String title, final String subtitle, final List<IntervalSeries> series, final Scale scale)
    {
        headless();
        final XYSeriesCollection dataset = new XYSeriesCollection();
        final Extent extent = new Extent();
        final boolean one = series.size() == 1;
        final List<int[]> styles = new ArrayList<>();
        for (int s = 0; s < series.size(); s++)
        {
            final IntervalSeries log = series.get(s);
            String name = log.label();
            for (int n = 2; dataset.getSeriesIndex(name.isEmpty() ? "p50" : name + " p50") >= 0; n++)
            {
                name = log.label() + " (" + n + ")";
            }
            final String prefix = name.isEmpty() ? "" : name + " ";
            final XYSeries p50 = new XYSeries(prefix + "p50", false, true);
            final XYSeries p99 = new XYSeries(prefix + "p99", false, true);
            final XYSeries max = new XYSeries(prefix + "max", false, true);
            for (final HlogFile.Interval interval : log.intervals())
            {
                p50.add(interval.endSeconds(), interval.p50Micros());
                p99.add(interval.endSeconds(), interval.p99Micros());
                max.add(interval.endSeconds(), interval.maxMicros());
                extent.add(interval.p50Micros());
                extent.add(interval.maxMicros());
            }
            final XYSeries[] stats = {p50, p99, max};
            for (int stat = 0; stat < stats.length; stat++)
            {
                dataset.addSeries(stats[stat]);
                styles.add(one ? new int[]{stat, 0} : new int[]{s, stat});
            }
        }

        final JFreeChart chart = ChartFactory.createXYLineChart(
            title, "Time (s)", LATENCY_LABEL, dataset, PlotOrientation.VERTICAL, true, false, false);
        final XYPlot plot = style(chart, subtitle);
        for (int i = 0; i < styles.size(); i++)
        {
            line(plot, i, styles.get(i)[0], styles.get(i)[1]);
        }
        final NumberAxis time = (NumberAxis)plot.getDomainAxis();
        time.setAutoRangeIncludesZero(true);
        time.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        replaceAxes(plot, time, latencyAxis(scale, extent));
        return chart;
    }

    /**
     * The latency axis for values between {@code extent}'s smallest and largest.
     *
     * @param scale  as asked for.
     * @param extent the values drawn.
     * @return a {@link LatencyLogAxis} or a {@link NumberAxis} from zero.
     */
    static ValueAxis latencyAxis(final Scale scale, final Extent extent)
    {
        if (extent.isEmpty())
        {
            final NumberAxis axis = new NumberAxis(LATENCY_LABEL);
            axis.setRange(0, 1);
            return axis;
        }
        if (Double.isFinite(extent.minPositive) && scale.resolve(extent.minPositive, extent.max) == Scale.LOG)
        {
            // A little room at either end, so the lines do not run along the frame; no lower than 1 us while the
            // values reach 10 us, so that the near-zero start of a send lag does not stretch the axis over decades
            // that hold nothing else.
            final double max = Math.max(extent.max, extent.minPositive) * 1.25;
            final double min = extent.max >= 10 * FLOOR_MICROS ? Math.max(FLOOR_MICROS, extent.minPositive / 1.25) :
                extent.minPositive / 1.25;
            final LatencyLogAxis axis = new LatencyLogAxis();
            axis.setSmallestValue(min / 2);
            axis.setRange(min, max);
            return axis;
        }
        final NumberAxis axis = new NumberAxis(LATENCY_LABEL);
        axis.setAutoRangeIncludesZero(true);
        axis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
        return axis;
    }

    /** @return {@code label}, or with " (2)", " (3)"... if a line of that name is drawn already. */
    private static String uniqueKey(final XYSeriesCollection dataset, final String label)
    {
        String key = label;
        for (int n = 2; dataset.getSeriesIndex(key) >= 0; n++)
        {
            key = label + " (" + n + ")";
        }
        return key;
    }

    /** Sets the axes, in the fonts the chart's theme gave the ones they replace. */
    private static void replaceAxes(final XYPlot plot, final ValueAxis domain, final ValueAxis range)
    {
        for (final ValueAxis[] pair : new ValueAxis[][]{{plot.getDomainAxis(), domain}, {plot.getRangeAxis(), range}})
        {
            pair[1].setLabelFont(pair[0].getLabelFont());
            pair[1].setLabelPaint(pair[0].getLabelPaint());
            pair[1].setTickLabelFont(pair[0].getTickLabelFont());
            pair[1].setTickLabelPaint(pair[0].getTickLabelPaint());
        }
        plot.setDomainAxis(domain);
        plot.setRangeAxis(range);
    }

    private static void headless()
    {
        if (null == System.getProperty("java.awt.headless"))
        {
            System.setProperty("java.awt.headless", "true"); // no display needed, before AWT initialises
        }
    }

    private static XYPlot style(final JFreeChart chart, final String subtitle)
    {
        if (null != subtitle)
        {
            chart.addSubtitle(new TextTitle(subtitle));
        }
        chart.setPadding(new RectangleInsets(4, 8, 4, 36)); // room for the last percentile label at the right edge
        final XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeMinorGridlinePaint(new Color(0xEEEEEE));
        plot.setRangeMinorGridlinesVisible(true);
        return plot;
    }

    private static void line(final XYPlot plot, final int series, final int colour, final int dash)
    {
        final XYItemRenderer renderer = plot.getRenderer();
        renderer.setSeriesPaint(series, PALETTE.get(colour % PALETTE.size()));
        final float[] pattern = DASHES.get(dash % DASHES.size());
        renderer.setSeriesStroke(series, pattern.length == 0 ? new BasicStroke(2.0f) :
            new BasicStroke(2.0f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10.0f, pattern, 0.0f));
    }

    /** The smallest positive and the largest value a chart draws. */
    static final class Extent
    {
        double minPositive = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;

        void add(final double value)
        {
            if (value > 0)
            {
                minPositive = Math.min(minPositive, value);
            }
            max = Math.max(max, value);
        }

        boolean isEmpty()
        {
            return max == Double.NEGATIVE_INFINITY;
        }
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

    /**
     * A log latency axis with ticks at 1, 2 and 5 of each power of ten (labels on all three while the axis spans
     * at most three decades, on the powers of ten alone beyond), and minor ticks between them for the grid.
     */
    static final class LatencyLogAxis extends LogAxis
    {
        private static final long serialVersionUID = 1L;

        LatencyLogAxis()
        {
            super(LATENCY_LABEL);
            setBase(10);
            setNumberFormatOverride(new DecimalFormat("#,##0.###"));
        }

        @Override
        protected List<ValueTick> refreshTicksVertical(
            final Graphics2D g2, final Rectangle2D dataArea, final RectangleEdge edge)
        {
            return ticks(getLowerBound(), getUpperBound(), edge == RectangleEdge.LEFT ?
                TextAnchor.CENTER_RIGHT : TextAnchor.CENTER_LEFT);
        }

        @Override
        protected List<ValueTick> refreshTicksHorizontal(
            final Graphics2D g2, final Rectangle2D dataArea, final RectangleEdge edge)
        {
            return ticks(getLowerBound(), getUpperBound(), TextAnchor.TOP_CENTER);
        }

        List<ValueTick> ticks(final double lower, final double upper, final TextAnchor anchor)
        {
            final List<ValueTick> ticks = new ArrayList<>();
            final boolean all = Math.log10(upper / lower) <= 3.0;
            final NumberFormat format = getNumberFormatOverride();
            for (int exponent = (int)Math.floor(Math.log10(lower)); exponent <= Math.ceil(Math.log10(upper));
                exponent++)
            {
                final double decade = Math.pow(10, exponent);
                for (int mantissa = 1; mantissa <= 9; mantissa++)
                {
                    final double value = mantissa * decade;
                    if (value < lower || value > upper)
                    {
                        continue;
                    }
                    final boolean labelled = mantissa == 1 || all && (mantissa == 2 || mantissa == 5);
                    ticks.add(new NumberTick(labelled ? TickType.MAJOR : TickType.MINOR, value,
                        labelled ? format.format(value) : "", anchor, anchor, 0.0));
                }
            }
            return ticks;
        }
    }
}
