/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

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
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code plot}: draws several {@code .hgrm} distributions on one latency-by-percentile chart, to compare runs.
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = "Draws .hgrm percentile distributions (e.g. several runs' <label>.corrected.hgrm) on one " +
        "latency-by-percentile PNG chart with a log percentile axis.")
public final class PlotCommand implements Callable<Integer>
{
    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the PNG to write")
    Path out;

    @Option(names = "--title", defaultValue = "tern latency by percentile", paramLabel = "TEXT",
        description = "chart title")
    String title;

    @Option(names = "--subtitle", paramLabel = "TEXT", description = "a line under the title (default: none)")
    String subtitle;

    @Parameters(arity = "1..*", paramLabel = "[LABEL=]FILE.hgrm",
        description = "distributions to draw; the label defaults to the file name without .hgrm")
    List<String> inputs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException
    {
        final List<LatencyChart.Series> series = new ArrayList<>();
        for (final String input : inputs)
        {
            final int equals = input.indexOf('=');
            final Path file = Path.of(equals < 0 ? input : input.substring(equals + 1));
            String label = equals < 0 ? file.getFileName().toString() : input.substring(0, equals);
            if (equals < 0 && label.endsWith(".hgrm"))
            {
                label = label.substring(0, label.length() - ".hgrm".length());
            }
            if (!Files.isReadable(file))
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file);
            }
            try
            {
                series.add(LatencyChart.Series.of(label, HgrmFile.read(file)));
            }
            catch (final IOException ex)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage(), ex);
            }
        }
        final Path parent = out.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        LatencyChart.write(out, title, subtitle, series);
        spec.commandLine().getOut().println("wrote " + out);
        return 0;
    }
}
