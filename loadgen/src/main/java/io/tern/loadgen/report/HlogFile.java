/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.DoubleHistogram;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * An HdrHistogram interval log ({@code .hlog}, {@link HistogramLogReader}'s format) reduced to what a chart of
 * latency over time draws: p50, p99 and max of each interval. The loadgen writes one per run ({@code <label>.hlog}:
 * untagged histograms are the corrected latency, tagged {@code uncorrected} and {@code send-lag} the others), and
 * the broker one per stage ({@code histogram-log-dir}); both record nanoseconds, one interval a second.
 * <p>
 * Any thread; used after a run, by {@code plot}.
 *
 * @param intervals the intervals of the chosen tag that hold values, in the log's order.
 * @param tags      every tag in the log, "" for the untagged histograms.
 * @param drawn     what the chosen histograms hold, for a chart's subtitle: e.g. "corrected latency (from each
 *                  message's due time)" for a loadgen's untagged ones.
 */
public record HlogFile(List<Interval> intervals, Set<String> tags, String drawn)
{
    /** How the loadgen's logs start (LoadGen writes it): their tags mean what {@link #drawn} says. */
    static final String LOADGEN_HEADER = "#tern loadgen run ";

    /** Nanoseconds per microsecond: the logs record nanoseconds, the charts draw microseconds. */
    static final double NS_PER_US = 1000.0;

    /**
     * One interval.
     *
     * @param endSeconds seconds from the start of the log to the end of the interval.
     * @param p50Micros  median latency in the interval.
     * @param p99Micros  99th percentile.
     * @param maxMicros  largest value.
     * @param count      values recorded in the interval.
     */
    public record Interval(double endSeconds, double p50Micros, double p99Micros, double maxMicros, long count)
    {
    }

    /**
     * @param file an {@code .hlog} file.
     * @param tag  the histograms to take: null or "" for the untagged ones, else those with this tag.
     * @return its intervals of that tag with at least one value, and all its tags.
     * @throws IOException if it cannot be read, is not an interval log, or has no histogram of that tag.
     */
    public static HlogFile read(final Path file, final String tag) throws IOException
    {
        final String wanted = null == tag ? "" : tag;
        final List<Interval> intervals = new ArrayList<>();
        final Set<String> tags = new TreeSet<>();
        int histograms = 0;
        try
        {
            final HistogramLogReader reader = new HistogramLogReader(file.toFile());
            double originSec = 0;
            EncodableHistogram histogram;
            while (null != (histogram = reader.nextIntervalHistogram()))
            {
                if (0 == histograms++)
                {
                    // The reader has read the header lines by now. Time runs from the log's StartTime, or without
                    // one from the first interval.
                    originSec = reader.getStartTimeSec() > 0 ? reader.getStartTimeSec() :
                        histogram.getStartTimeStamp() / 1000.0;
                }
                final String histogramTag = Objects.requireNonNullElse(histogram.getTag(), "");
                tags.add(histogramTag);
                if (histogramTag.equals(wanted))
                {
                    final Interval interval = interval(histogram, originSec);
                    if (interval.count() > 0)
                    {
                        intervals.add(interval);
                    }
                }
            }
        }
        catch (final FileNotFoundException ex)
        {
            throw new IOException("cannot read " + file, ex);
        }
        catch (final RuntimeException ex)
        {
            // The reader reports a malformed line or histogram with unchecked exceptions.
            throw new IOException(file + " is not an .hlog interval log: " + ex.getMessage(), ex);
        }
        if (0 == histograms)
        {
            throw new IOException(file + " is not an .hlog interval log: no interval histograms in it");
        }
        if (!tags.contains(wanted))
        {
            throw new IOException(file + " has no " + (wanted.isEmpty() ? "untagged" : "'" + wanted + "'") +
                " histograms; its tags: " + describe(tags));
        }
        return new HlogFile(List.copyOf(intervals), Set.copyOf(tags), drawn(file, wanted));
    }

    private static String drawn(final Path file, final String tag) throws IOException
    {
        final String first;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1))
        {
            first = Objects.requireNonNullElse(reader.readLine(), "");
        }
        if (first.startsWith(LOADGEN_HEADER))
        {
            switch (tag)
            {
                case "":
                    return "corrected latency (from each message's due time)";
                case "uncorrected":
                    return "uncorrected latency (from each message's send time)";
                case "send-lag":
                    return "send lag (the loadgen's own lateness)";
                default:
                    break;
            }
        }
        return tag.isEmpty() ? "untagged histograms" : "histograms tagged '" + tag + "'";
    }

    private static Interval interval(final EncodableHistogram histogram, final double originSec)
    {
        final double endSeconds = histogram.getEndTimeStamp() / 1000.0 - originSec;
        if (histogram instanceof AbstractHistogram)
        {
            final AbstractHistogram h = (AbstractHistogram)histogram;
            return new Interval(endSeconds, h.getValueAtPercentile(50) / NS_PER_US,
                h.getValueAtPercentile(99) / NS_PER_US, h.getMaxValue() / NS_PER_US, h.getTotalCount());
        }
        final DoubleHistogram h = (DoubleHistogram)histogram;
        return new Interval(endSeconds, h.getValueAtPercentile(50) / NS_PER_US,
            h.getValueAtPercentile(99) / NS_PER_US, h.getMaxValue() / NS_PER_US, h.getTotalCount());
    }

    private static String describe(final Set<String> tags)
    {
        final List<String> names = new ArrayList<>();
        for (final String tag : tags)
        {
            names.add(tag.isEmpty() ? "(untagged)" : tag);
        }
        return String.join(", ", names);
    }
}
