/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HdrHistogram's percentile distribution text format ({@code .hgrm}): written with
 * {@link Histogram#outputPercentileDistribution(PrintStream, int, Double)} for users, and read back here to chart
 * files a user gives to {@code plot} and {@code compare}. A run charts its own histograms from memory.
 * <pre>
 *        Value     Percentile TotalCount 1/(1-Percentile)
 *
 *       12.345 0.000000000000          1           1.00
 *        ...
 *     1234.567 1.000000000000      10000
 * #[Mean    =  ..., StdDeviation   = ...]
 * #[Max     =  ..., Total count    =  10000]
 * #[Buckets =  ..., SubBuckets     = ...]
 * </pre>
 *
 * @param rows       one per line of the distribution.
 * @param totalCount from the footer.
 * @param max        from the footer, in the file's unit.
 */
public record HgrmFile(List<Row> rows, long totalCount, double max)
{
    /** Microseconds per recorded nanosecond: the loadgen writes {@code .hgrm} files in microseconds. */
    public static final double OUTPUT_SCALING_NS_TO_US = 1000.0;
    /** Rows per halving of the distance to 100%, as in HdrHistogram's examples; charts use the same. */
    static final int TICKS_PER_HALF_DISTANCE = 5;
    private static final Pattern TOTAL_COUNT = Pattern.compile("Total count\\s*=\\s*(\\d+)");
    private static final Pattern MAX = Pattern.compile("Max\\s*=\\s*([0-9.eE+-]+|NaN)");

    /**
     * One line of the distribution.
     *
     * @param value      latency at this percentile, in the file's unit.
     * @param percentile 0 to 1.
     * @param totalCount values at or below this one.
     */
    public record Row(double value, double percentile, long totalCount)
    {
        /** @return 1 / (1 - percentile), the x position on a percentile chart; infinite at 100%. */
        public double inverseTail()
        {
            return 1.0 / (1.0 - percentile);
        }
    }

    /**
     * Writes a histogram recorded in nanoseconds as an {@code .hgrm} file in microseconds.
     *
     * @param histogram to write.
     * @param file      target.
     * @throws IOException on failure.
     */
    public static void write(final Histogram histogram, final Path file) throws IOException
    {
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.US_ASCII))
        {
            histogram.outputPercentileDistribution(out, TICKS_PER_HALF_DISTANCE, OUTPUT_SCALING_NS_TO_US);
        }
    }

    /**
     * @param file an {@code .hgrm} file.
     * @return its rows and footer.
     * @throws IOException if it cannot be read or is not in the format.
     */
    public static HgrmFile read(final Path file) throws IOException
    {
        final List<Row> rows = new ArrayList<>();
        long totalCount = -1;
        double max = Double.NaN;
        for (final String rawLine : Files.readAllLines(file, StandardCharsets.US_ASCII))
        {
            final String line = rawLine.trim();
            if (line.isEmpty() || line.startsWith("Value"))
            {
                continue;
            }
            if (line.startsWith("#"))
            {
                final Matcher count = TOTAL_COUNT.matcher(line);
                if (count.find())
                {
                    totalCount = Long.parseLong(count.group(1));
                }
                final Matcher maxMatcher = MAX.matcher(line);
                if (maxMatcher.find())
                {
                    max = Double.parseDouble(maxMatcher.group(1));
                }
                continue;
            }
            final String[] fields = line.split("\\s+");
            if (fields.length < 3)
            {
                throw new IOException(file + ": not an .hgrm line: " + rawLine);
            }
            try
            {
                rows.add(new Row(Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
                    Long.parseLong(fields[2])));
            }
            catch (final NumberFormatException ex)
            {
                throw new IOException(file + ": not an .hgrm line: " + rawLine, ex);
            }
        }
        if (totalCount < 0)
        {
            throw new IOException(file + ": no '#[... Total count = N]' footer; not an .hgrm file");
        }
        return new HgrmFile(List.copyOf(rows), totalCount, max);
    }
}
