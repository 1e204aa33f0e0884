/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.util.Locale;
import java.util.function.LongSupplier;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The dashboard's data: a bounded ring of one-second samples (rates of messages, connections, slow-consumer cuts and
 * errors; each stage's p50, p99, p99.9 and max in that second), filled by the metrics thread's tick, and served as
 * JSON with the recent window's percentile distribution of each stage.
 * <pre>
 *   tick (metrics thread, once a second) ─▶ record(): counters' deltas, each stage's sinceTick percentiles
 *        ─▶ slot [next % CAPACITY] of the column arrays (oldest overwritten: 10 minutes kept)
 *   GET /api/timeseries (formatted on the metrics thread) ─▶ the last N seconds, oldest first, as JSON columns
 * </pre>
 * Metrics thread only. Primitive column arrays allocated once; formatting allocates its text, off the hot path.
 */
final class TimeSeries
{
    /** Seconds kept: the dashboard shows up to the last 10 minutes. */
    static final int CAPACITY = 600;
    /** Seconds served when the request does not say. */
    static final int DEFAULT_SECONDS = 300;
    /** Percentile columns per stage, in the order of {@link #PERCENTILE_NAMES}; 100 is the maximum. */
    private static final double[] PERCENTILES = {50.0, 99.0, 99.9, 100.0};
    private static final String[] PERCENTILE_NAMES = {"p50", "p99", "p999", "max"};
    /** Rates, in the order of the suppliers given to the constructor. */
    static final String[] RATE_NAMES = {"in", "delivered", "accepted", "closed", "refused", "slow", "errors",
        "internal"};
    private static final long NO_VALUE = -1;
    private static final int TICKS_PER_HALF_DISTANCE = 5;

    private final LongSupplier[] totals;
    private final LongSupplier connectionsOpen;
    private final StageHistogram[] stages;
    private final long[] timeMs = new long[CAPACITY];
    private final double[][] rates;
    private final long[] open = new long[CAPACITY];
    /** [stage][percentile][slot], nanoseconds; {@link #NO_VALUE} when the stage timed nothing that second. */
    private final long[][][] latencyNs;
    private final long[] lastTotals;
    private long lastMs;
    private long samples;

    /**
     * @param totals          counters since start, one per {@link #RATE_NAMES} entry, in that order.
     * @param connectionsOpen connections open now.
     * @param stages          the stages, sampled by the caller before each {@link #record(long)}.
     * @param nowMs           the current time, epoch ms: the start of the first sample.
     */
    TimeSeries(final LongSupplier[] totals, final LongSupplier connectionsOpen, final StageHistogram[] stages,
        final long nowMs)
    {
        if (totals.length != RATE_NAMES.length)
        {
            throw new IllegalArgumentException("totals.length=" + totals.length + ": must be " + RATE_NAMES.length);
        }
        this.totals = totals.clone();
        this.connectionsOpen = connectionsOpen;
        this.stages = stages.clone();
        this.rates = new double[totals.length][CAPACITY];
        this.latencyNs = new long[stages.length][PERCENTILES.length][CAPACITY];
        this.lastTotals = new long[totals.length];
        for (int i = 0; i < totals.length; i++)
        {
            lastTotals[i] = totals[i].getAsLong();
        }
        this.lastMs = nowMs;
    }

    /**
     * Takes one sample: the counters' rates since the last one and each stage's values since its last tick. Call
     * after {@link StageHistogram#sample()} and before {@link StageHistogram#tick}.
     *
     * @param nowMs the current time, epoch ms.
     */
    void record(final long nowMs)
    {
        final int slot = (int)(samples % CAPACITY);
        final double seconds = Math.max(1, nowMs - lastMs) / 1000.0;
        timeMs[slot] = nowMs;
        for (int i = 0; i < totals.length; i++)
        {
            final long total = totals[i].getAsLong();
            rates[i][slot] = (total - lastTotals[i]) / seconds;
            lastTotals[i] = total;
        }
        open[slot] = connectionsOpen.getAsLong();
        for (int s = 0; s < stages.length; s++)
        {
            final Histogram second = stages[s].sinceTick();
            final boolean empty = second.getTotalCount() == 0;
            for (int p = 0; p < PERCENTILES.length; p++)
            {
                latencyNs[s][p][slot] = empty ? NO_VALUE :
                    PERCENTILES[p] >= 100.0 ? second.getMaxValue() : second.getValueAtPercentile(PERCENTILES[p]);
            }
        }
        lastMs = nowMs;
        samples++;
    }

    /** @return samples taken so far (more than are kept once the ring has wrapped). */
    long samples()
    {
        return samples;
    }

    /**
     * The last {@code seconds} samples, oldest first, and each stage's distribution over the recent window (about
     * the last minute), as one JSON object:
     * <pre>
     * {"intervalMs":1000, "t":[epoch ms...], "rates":{"in":[per s...], ...}, "open":[...],
     *  "latencyUs":{"read_to_route":{"p50":[us or null...], "p99":..., "p999":..., "max":...}, ...},
     *  "distribution":{"read_to_route":{"count":N, "percentile":[0..100...], "us":[...]}, ...}}
     * </pre>
     * Sample the stages first.
     *
     * @param seconds how many of the latest samples, at most {@link #CAPACITY}.
     * @return the JSON text.
     */
    String toJson(final int seconds)
    {
        final int count = (int)Math.min(Math.min(seconds, CAPACITY), samples);
        final long first = samples - count;
        final StringBuilder json = new StringBuilder(1024 + count * (16 + 10 * (RATE_NAMES.length +
            stages.length * PERCENTILES.length)));
        json.append("{\"intervalMs\":1000,\"t\":[");
        for (long i = first; i < samples; i++)
        {
            json.append(i == first ? "" : ",").append(timeMs[(int)(i % CAPACITY)]);
        }
        json.append("],\"rates\":{");
        for (int r = 0; r < RATE_NAMES.length; r++)
        {
            json.append(r == 0 ? "" : ",").append('"').append(RATE_NAMES[r]).append("\":[");
            for (long i = first; i < samples; i++)
            {
                json.append(i == first ? "" : ",");
                number(json, rates[r][(int)(i % CAPACITY)]);
            }
            json.append(']');
        }
        json.append("},\"open\":[");
        for (long i = first; i < samples; i++)
        {
            json.append(i == first ? "" : ",").append(open[(int)(i % CAPACITY)]);
        }
        json.append("],\"latencyUs\":{");
        for (int s = 0; s < stages.length; s++)
        {
            json.append(s == 0 ? "" : ",").append('"').append(stages[s].stage().label()).append("\":{");
            for (int p = 0; p < PERCENTILES.length; p++)
            {
                json.append(p == 0 ? "" : ",").append('"').append(PERCENTILE_NAMES[p]).append("\":[");
                for (long i = first; i < samples; i++)
                {
                    json.append(i == first ? "" : ",");
                    final long ns = latencyNs[s][p][(int)(i % CAPACITY)];
                    if (ns == NO_VALUE)
                    {
                        json.append("null");
                    }
                    else
                    {
                        number(json, ns / 1000.0);
                    }
                }
                json.append(']');
            }
            json.append('}');
        }
        json.append("},\"distribution\":{");
        for (int s = 0; s < stages.length; s++)
        {
            json.append(s == 0 ? "" : ",").append('"').append(stages[s].stage().label()).append("\":");
            distribution(json, stages[s].recent());
        }
        return json.append("}}").toString();
    }

    /** A histogram's percentile distribution as HdrHistogram's {@code .hgrm} lists it: percentile, value in us. */
    private static void distribution(final StringBuilder json, final Histogram histogram)
    {
        final long count = null == histogram ? 0 : histogram.getTotalCount();
        json.append("{\"count\":").append(count).append(",\"percentile\":[");
        final StringBuilder values = new StringBuilder(1024);
        if (count > 0)
        {
            boolean firstPoint = true;
            for (final HistogramIterationValue value : histogram.percentiles(TICKS_PER_HALF_DISTANCE))
            {
                json.append(firstPoint ? "" : ",");
                values.append(firstPoint ? "" : ",");
                firstPoint = false;
                json.append(value.getPercentileLevelIteratedTo());
                number(values, histogram.highestEquivalentValue(value.getValueIteratedTo()) / 1000.0);
            }
        }
        json.append("],\"us\":[").append(values).append("]}");
    }

    /** Appends a finite number with at most 3 decimals, without an exponent (JSON has no NaN or infinity). */
    private static void number(final StringBuilder json, final double value)
    {
        if (!Double.isFinite(value))
        {
            json.append("null");
            return;
        }
        final long scaled = Math.round(value * 1000.0);
        if (scaled % 1000 == 0)
        {
            json.append(scaled / 1000);
        }
        else
        {
            json.append(String.format(Locale.ROOT, "%.3f", value));
        }
    }
}
