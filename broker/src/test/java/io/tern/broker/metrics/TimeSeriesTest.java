/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.SingleWriterRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.transport.LatencyRecorders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's ring of one-second samples, driven from the test thread: rates from the counters' deltas, each
 * stage's percentiles of its second (null for a second without values), the oldest sample dropped once the ring is
 * full, and the recent window's distribution.
 */
@Timeout(10)
class TimeSeriesTest
{
    private final AtomicLong in = new AtomicLong();
    private final SingleWriterRecorder recorder = LatencyRecorders.newRecorder();
    private final StageHistogram stage =
        new StageHistogram(Stage.READ_TO_WRITE, new SingleWriterRecorder[]{recorder}, true, false, 0);
    private final TimeSeries series;

    TimeSeriesTest()
    {
        final LongSupplier[] totals = new LongSupplier[TimeSeries.RATE_NAMES.length];
        totals[0] = in::get;
        for (int i = 1; i < totals.length; i++)
        {
            totals[i] = () -> 0;
        }
        series = new TimeSeries(totals, () -> 3, new StageHistogram[]{stage}, 0);
    }

    private void second(final long nowMs)
    {
        stage.sample();
        series.record(nowMs);
        stage.tick(nowMs, null);
    }

    private static String array(final String json, final String key)
    {
        final Matcher matcher = Pattern.compile("\"" + key + "\":\\[([^\\]]*)]").matcher(json);
        assertTrue(matcher.find(), key + " in " + json);
        return matcher.group(1);
    }

    @Test
    void shouldKeepRatesAndPercentilesPerSecondAndDropTheOldestWhenFull()
    {
        in.addAndGet(500);
        for (int i = 0; i < 100; i++)
        {
            LatencyRecorders.record(recorder, 2_000 + i); // 2.000 to 2.099 us
        }
        second(1_000);
        second(2_000); // nothing happened
        in.addAndGet(250);
        second(2_500); // half a second: 500/s

        final String json = series.toJson(10);
        assertEquals("1000,2000,2500", array(json, "t"));
        assertEquals("500,0,500", array(json, "in"));
        assertEquals("3,3,3", array(json, "open"));
        assertEquals("null,null", array(json, "p50").substring(array(json, "p50").indexOf(',') + 1),
            "no values in the last two seconds");
        final double p50 = Double.parseDouble(array(json, "p50").split(",")[0]);
        assertTrue(p50 >= 2.0 && p50 <= 2.1, "p50 in us: " + p50);
        final double max = Double.parseDouble(array(json, "max").split(",")[0]);
        assertTrue(max >= 2.098 && max <= 2.101, "max in us: " + max);
        assertTrue(json.contains("\"read_to_write\":{\"count\":100,"), "the recent distribution: " + json);
        final String[] percentiles = array(json, "percentile").split(",");
        assertEquals("0.0", percentiles[0]);
        assertEquals("100.0", percentiles[percentiles.length - 1]);
        assertEquals(percentiles.length, array(json, "us").split(",").length);
        assertTrue(json.startsWith("{") && json.endsWith("}}"), json);

        for (int i = 0; i < TimeSeries.CAPACITY; i++)
        {
            second(3_000 + i * 1_000L);
        }
        final String[] times = array(series.toJson(TimeSeries.CAPACITY), "t").split(",");
        assertEquals(TimeSeries.CAPACITY, times.length, "the ring holds 10 minutes");
        assertEquals("3000", times[0], "the three first samples dropped, oldest first");
        assertEquals(String.valueOf(3_000 + (TimeSeries.CAPACITY - 1) * 1_000L), times[times.length - 1]);
        assertEquals(2, array(series.toJson(2), "t").split(",").length);
    }
}
