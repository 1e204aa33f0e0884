/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.util.concurrent.TimeUnit;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stage histograms' classic buckets hold each value under the right bound: known values recorded into an
 * HdrHistogram as the stages record them (nanoseconds, 3 significant digits, up to 10 minutes) land in the bucket
 * whose {@code le} is the first bound at or above them, values on a bound included, and past 10 s in {@code +Inf}.
 * (PrometheusExpositionTest checks the format and the counts on a real broker, which cannot tell one bucket from
 * another.)
 */
@Timeout(10)
class PrometheusMetricsTest
{
    @Test
    void shouldCountEachValueUnderTheFirstBoundAtOrAboveIt()
    {
        final Histogram values = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
        values.recordValueWithCount(800, 2);              // under 1 us
        values.recordValueWithCount(1_000, 1);            // on the 1 us bound
        values.recordValueWithCount(1_500, 3);            // 2 us
        values.recordValueWithCount(10_000, 4);           // on the 10 us bound: 10,007 ns to HdrHistogram
        values.recordValueWithCount(150_000, 5);          // 200 us
        values.recordValueWithCount(3_000_000_000L, 6);   // 5 s
        values.recordValueWithCount(20_000_000_000L, 7);  // past the last bound, 10 s

        final HistogramSnapshot.HistogramDataPointSnapshot point = PrometheusMetrics.dataPoint(values, Labels.EMPTY);
        final ClassicHistogramBuckets buckets = point.getClassicBuckets();
        assertEquals(PrometheusMetrics.BUCKETS_SECONDS.length + 1, buckets.size(), "every bound and +Inf");
        final long[] expected = new long[buckets.size()];
        expected[indexOf(1e-6)] = 3;
        expected[indexOf(2e-6)] = 3;
        expected[indexOf(1e-5)] = 4;
        expected[indexOf(2e-4)] = 5;
        expected[indexOf(5.0)] = 6;
        expected[buckets.size() - 1] = 7;
        for (int i = 0; i < buckets.size(); i++)
        {
            assertEquals(expected[i], buckets.getCount(i), "values in the bucket le=" + buckets.getUpperBound(i));
        }
        assertEquals(Double.POSITIVE_INFINITY, buckets.getUpperBound(buckets.size() - 1));
        assertEquals(10.0, buckets.getUpperBound(buckets.size() - 2), "the last finite bound is 10 s");
        assertEquals(values.getMean() * values.getTotalCount() / 1e9, point.getSum(), 1e-9, "the sum in seconds");
    }

    private static int indexOf(final double bound)
    {
        for (int i = 0; i < PrometheusMetrics.BUCKETS_SECONDS.length; i++)
        {
            if (PrometheusMetrics.BUCKETS_SECONDS[i] == bound)
            {
                return i;
            }
        }
        throw new AssertionError("no bound " + bound);
    }
}
