/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.transport.LatencyRecorders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The metrics thread's windows over one stage, driven from the test thread with recorders it fills itself.
 */
@Timeout(10)
class StageHistogramTest
{
    private final SingleWriterRecorder writer0 = LatencyRecorders.newRecorder();
    private final SingleWriterRecorder writer1 = LatencyRecorders.newRecorder();

    private static void record(final SingleWriterRecorder recorder, final int count, final long valueNs)
    {
        for (int i = 0; i < count; i++)
        {
            LatencyRecorders.record(recorder, valueNs);
        }
    }

    @Test
    void shouldAddEveryRecordersValuesIntoEachWindow()
    {
        record(writer0, 5, 1_000); // before the stage exists: still counted
        final StageHistogram stage = new StageHistogram(Stage.READ_TO_WRITE,
            new SingleWriterRecorder[]{writer0, writer1}, true, true, 0);
        record(writer0, 10, 2_000);
        record(writer1, 20, 3_000);
        stage.sample();

        assertEquals(35, stage.sinceStart().getTotalCount());
        assertEquals(35, stage.sinceReset().getTotalCount());
        assertEquals(35, stage.recent().getTotalCount());
        assertEquals(35, stage.sinceSummary().getTotalCount());
        assertEquals(3_000, stage.sinceStart().getMaxValue(), 3);

        stage.reset(1_000);
        stage.clearSummary();
        record(writer1, 7, 4_000);
        stage.sample();
        assertEquals(42, stage.sinceStart().getTotalCount());
        assertEquals(7, stage.sinceReset().getTotalCount());
        assertEquals(1_000, stage.resetTimeMs());
        assertEquals(42, stage.recent().getTotalCount());
        assertEquals(7, stage.sinceSummary().getTotalCount());
    }

    @Test
    void shouldLogOneIntervalPerTickAndForgetIntervalsOlderThanTheRecentWindow()
    {
        final StageHistogram stage = new StageHistogram(Stage.ROUTE_TO_WRITE,
            new SingleWriterRecorder[]{writer0}, true, false, 10_000);
        final List<long[]> logged = new ArrayList<>(); // start ms, end ms, count
        final StageHistogram.IntervalLogger logger = (which, interval) ->
        {
            assertEquals(Stage.ROUTE_TO_WRITE, which);
            logged.add(new long[]{interval.getStartTimeStamp(), interval.getEndTimeStamp(), interval.getTotalCount()});
        };

        record(writer0, 3, 500);
        stage.sample();
        stage.tick(11_000, logger);
        assertEquals(1, logged.size());
        assertEquals(10_000, logged.get(0)[0]);
        assertEquals(11_000, logged.get(0)[1]);
        assertEquals(3, logged.get(0)[2]);

        // A full window of ticks later, the first interval has left the recent window but not since-start.
        final int ticksPerWindow = StageHistogram.TICKS_PER_SLOT * StageHistogram.SLOTS;
        for (int t = 1; t <= ticksPerWindow; t++)
        {
            record(writer0, 1, 700);
            stage.sample();
            stage.tick(11_000 + t * 1_000L, logger);
        }
        assertEquals(1 + ticksPerWindow, logged.size());
        final Histogram recent = stage.recent();
        assertTrue(recent.getTotalCount() >= ticksPerWindow - StageHistogram.TICKS_PER_SLOT &&
            recent.getTotalCount() <= ticksPerWindow, "recent holds 50 to 60 s: " + recent.getTotalCount());
        assertEquals(0, recent.getCountAtValue(500), "the first interval has aged out");
        assertEquals(3 + ticksPerWindow, stage.sinceStart().getTotalCount());
        assertNull(stage.sinceSummary(), "no stats line, no summary histogram");
    }

    @Test
    void shouldKeepNoRecentWindowWithoutTheAdminEndpoint()
    {
        final StageHistogram stage = new StageHistogram(Stage.READ_TO_ROUTE,
            new SingleWriterRecorder[]{writer0}, false, false, 0);
        record(writer0, 2, 100);
        stage.sample();
        stage.tick(1_000, null);
        assertNull(stage.recent());
        assertEquals(2, stage.sinceStart().getTotalCount());
    }
}
