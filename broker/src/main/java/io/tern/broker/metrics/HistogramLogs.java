/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * One HdrHistogram interval log per stage, {@code <dir>/<stage>.hlog} (e.g. {@code read_to_write.hlog}): the
 * standard {@link HistogramLogWriter} format, values in nanoseconds, one interval a second (empty seconds are left
 * out), as the loadgen's {@code .hlog}. {@code HistogramLogProcessor} and {@code HistogramLogReader} read both.
 * Metrics thread only.
 */
final class HistogramLogs implements StageHistogram.IntervalLogger, AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(HistogramLogs.class.getName());

    private final Map<Stage, HistogramLogWriter> writers = new EnumMap<>(Stage.class);
    private final Map<Stage, PrintStream> streams = new EnumMap<>(Stage.class);
    private boolean failed;

    /**
     * Creates the directory if needed and starts a log per stage, overwriting logs of an earlier run.
     *
     * @param dir     the directory.
     * @param startMs the broker's start, epoch ms: the logs' start and base time.
     * @throws IOException if a file cannot be created.
     */
    HistogramLogs(final Path dir, final long startMs) throws IOException
    {
        Files.createDirectories(dir);
        try
        {
            for (final Stage stage : Stage.values())
            {
                // Unbuffered underneath: each interval line reaches the file as it is written, for tail -f.
                final PrintStream stream = new PrintStream(Files.newOutputStream(file(dir, stage)), false,
                    StandardCharsets.US_ASCII);
                streams.put(stage, stream);
                final HistogramLogWriter writer = new HistogramLogWriter(stream);
                writers.put(stage, writer);
                writer.outputComment("tern broker stage " + stage.displayName() + ": values in nanoseconds, " +
                    "one interval a second");
                writer.outputLogFormatVersion();
                writer.outputStartTime(startMs);
                writer.setBaseTime(startMs);
                writer.outputBaseTime(startMs);
                writer.outputLegend();
            }
        }
        catch (final IOException ex)
        {
            close();
            throw ex;
        }
    }

    /** @return the log file of a stage in {@code dir}. */
    static Path file(final Path dir, final Stage stage)
    {
        return dir.resolve(stage.label() + ".hlog");
    }

    @Override
    public void onInterval(final Stage stage, final Histogram interval)
    {
        if (interval.getTotalCount() == 0 || failed)
        {
            return;
        }
        writers.get(stage).outputIntervalHistogram(interval);
        if (streams.get(stage).checkError())
        {
            failed = true; // logged once, not once a second
            LOG.log(System.Logger.Level.WARNING, "cannot write the histogram log of " + stage.displayName() +
                "; histogram logs stopped");
        }
    }

    @Override
    public void close()
    {
        for (final HistogramLogWriter writer : writers.values())
        {
            writer.close();
        }
        writers.clear();
        streams.clear();
    }
}
