/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

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
import java.util.List;

/**
 * Latency by percentile, as HdrHistogram's plotter draws it: the x axis is {@code 1/(1-percentile)} on a log scale,
 * labelled 0%, 90%, 99%, 99.9%, ... so each decade is one more nine; the y axis is latency in microseconds. Any
 * number of {@code .hgrm} distributions can share one chart to compare runs.
 * <p>
 * Rendered headless with JFreeChart to a PNG. Any thread; off the hot path.
 */
public final class LatencyChart
{
    public static final int WIDTH_PX = 1100;
    public static final int HEIGHT_PX = 650;

    /**
     * One line on the chart.
     *
     * @param label legend text.
     * @param hgrm  the distribution.
     */
    public record Series(String label, HgrmFile hgrm)
    {
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
            for (final HgrmFile.Row row : s.hgrm().rows())
            {
                if (row.percentile() < 1.0)
                {
                    xy.add(row.inverseTail(), row.value());
                    maxInverseTail = Math.max(maxInverseTail, row.inverseTail());
                }
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
