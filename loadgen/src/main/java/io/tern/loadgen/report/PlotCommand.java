/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import org.jfree.chart.JFreeChart;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code plot}: draws several {@code .hgrm} distributions on one latency-by-percentile chart, to compare runs, or
 * {@code .hlog} interval logs as latency over time (p50, p99 and max of each interval).
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
        "Draws .hgrm percentile distributions (e.g. several runs' <label>.corrected.hgrm) on one " +
            "latency-by-percentile PNG chart with a log percentile axis, or .hlog interval logs (a run's " +
            "<label>.hlog, or the broker's histogram-log-dir/<stage>.hlog) as latency over time: p50, p99 and max " +
            "of each interval. The latency axis is logarithmic when the values span a decade or more."
    })
public final class PlotCommand implements Callable<Integer>
{
    private static final String HLOG = ".hlog";
    private static final String HGRM = ".hgrm";

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the PNG to write")
    Path out;

    @Option(names = "--title", paramLabel = "TEXT", description = "chart title (default: 'latency by percentile', " +
        "or for .hlog files 'latency over time: p50, p99 and max per interval')")
    String title;

    @Option(names = "--subtitle", paramLabel = "TEXT", description = "a line under the title (default: none; for " +
        ".hlog files, which histograms are drawn)")
    String subtitle;

    @Option(names = "--latency-axis", defaultValue = "auto", paramLabel = "auto|log|linear",
        description = "the latency axis's scale: auto is log when the largest value drawn is at least 10 x the " +
            "smallest, else linear from zero")
    LatencyChart.Scale scale;

    @Option(names = "--tag", paramLabel = "TAG", description = "for .hlog files: draw the histograms with this tag " +
        "(the loadgen's: uncorrected, send-lag) instead of the untagged ones (the loadgen's corrected latency; " +
        "the broker's stage)")
    String tag;

    @Parameters(arity = "1..*", paramLabel = "[LABEL=]FILE",
        description = "the .hgrm files, or the .hlog files, to draw; the label defaults to the file name without " +
            ".hgrm or .hlog")
    List<String> inputs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException
    {
        final List<String> labels = new ArrayList<>();
        final List<Path> files = new ArrayList<>();
        int hlogs = 0;
        for (final String input : inputs)
        {
            final int equals = input.indexOf('=');
            final Path file = Path.of(equals < 0 ? input : input.substring(equals + 1));
            final String name = file.getFileName().toString();
            final boolean hlog = name.endsWith(HLOG);
            String label = equals < 0 ? name : input.substring(0, equals);
            final String extension = hlog ? HLOG : HGRM;
            if (equals < 0 && label.endsWith(extension))
            {
                label = label.substring(0, label.length() - extension.length());
            }
            if (!Files.isReadable(file))
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file);
            }
            hlogs += hlog ? 1 : 0;
            labels.add(label);
            files.add(file);
        }
        if (hlogs > 0 && hlogs < files.size())
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "give .hgrm files (latency by percentile) or .hlog files (latency over time), not both");
        }
        if (hlogs == 0 && null != tag)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tag applies to .hlog files only");
        }

        final JFreeChart chart;
        try
        {
            chart = hlogs > 0 ? overTime(labels, files) : byPercentile(labels, files);
        }
        catch (final IOException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
        final Path parent = out.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        LatencyChart.write(out, chart);
        spec.commandLine().getOut().println("wrote " + out);
        return 0;
    }

    private JFreeChart byPercentile(final List<String> labels, final List<Path> files) throws IOException
    {
        final List<LatencyChart.Series> series = new ArrayList<>();
        for (int i = 0; i < files.size(); i++)
        {
            series.add(LatencyChart.Series.of(labels.get(i), HgrmFile.read(files.get(i))));
        }
        return LatencyChart.percentileChart(null == title ? "latency by percentile" : title, subtitle, series, scale);
    }

    private JFreeChart overTime(final List<String> labels, final List<Path> files) throws IOException
    {
        final List<LatencyChart.IntervalSeries> series = new ArrayList<>();
        final Set<String> drawn = new LinkedHashSet<>();
        for (int i = 0; i < files.size(); i++)
        {
            final HlogFile hlog = HlogFile.read(files.get(i), tag);
            // One log alone needs no label in the legend: the title and subtitle say what it is.
            series.add(new LatencyChart.IntervalSeries(files.size() == 1 ? "" : labels.get(i), hlog.intervals()));
            drawn.add(hlog.drawn());
        }
        final String what = String.join("; ", drawn) + (files.size() == 1 ? ", " + labels.get(0) : "");
        return LatencyChart.overTimeChart(
            null == title ? "latency over time: p50, p99 and max per interval" : title,
            null == subtitle ? what : subtitle, series, scale);
    }
}
