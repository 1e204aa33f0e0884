/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ScheduleTest
{
    @Test
    void shouldSpaceDueTimesExactlyWithoutDrift()
    {
        final Schedule schedule = new Schedule(1_000, 0, 10_000_000_000L, 3);
        assertEquals(1_000, schedule.dueTimeNs(0));
        assertEquals(1_000 + 333_333_333, schedule.dueTimeNs(1));
        assertEquals(1_000 + 666_666_666, schedule.dueTimeNs(2));
        assertEquals(1_000 + 1_000_000_000, schedule.dueTimeNs(3));
        assertEquals(1_000 + 1_000_000_000_000L, schedule.dueTimeNs(3_000));
    }

    @Test
    void shouldNotOverflowForLongRunsAtHighRates()
    {
        final Schedule schedule = new Schedule(0, 0, 0, 100_000_000);
        final long g = 100_000_000L * 86_400; // a day at the highest rate
        assertEquals(86_400_000_000_000L, schedule.dueTimeNs(g));
        assertTrue(schedule.dueTimeNs(g + 1) > schedule.dueTimeNs(g));
    }

    @Test
    void shouldCountTheMessagesDueInTheMeasuredPeriod()
    {
        final Schedule schedule = new Schedule(-5_000, 300_000_000L, 1_200_000_000L, 3000);
        assertEquals(3600, schedule.scheduledInMeasuredPeriod());
        final long first = schedule.firstIndexDueAtOrAfter(schedule.measureStartNs());
        assertTrue(schedule.isMeasured(schedule.dueTimeNs(first)));
        assertFalse(schedule.isMeasured(schedule.dueTimeNs(first - 1)));
        final long end = schedule.firstIndexDueAtOrAfter(schedule.measureEndNs());
        assertFalse(schedule.isMeasured(schedule.dueTimeNs(end)));
        assertTrue(schedule.isMeasured(schedule.dueTimeNs(end - 1)));
    }

    @Test
    void shouldGiveTheSameAnswerWithoutABranchAsWithOne()
    {
        // nanoTime may be near either end of the long range: the period may straddle the wrap-around.
        for (final long startNs : new long[] {-5_000, 0, Long.MAX_VALUE - 1_000_000_000L, Long.MIN_VALUE + 7})
        {
            final Schedule schedule = new Schedule(startNs, 300_000_000L, 1_200_000_000L, 3000);
            final long measureStartNs = schedule.measureStartNs();
            final long measureEndNs = schedule.measureEndNs();
            for (final long t : new long[] {
                startNs, measureStartNs - 1, measureStartNs, measureStartNs + 1, measureEndNs - 1, measureEndNs,
                measureEndNs + 1, measureEndNs + 5_000_000_000L, startNs - 1})
            {
                assertEquals(schedule.isMeasured(t) ? 1 : 0, schedule.measuredBit(t), "start " + startNs + ", t " + t);
            }
            assertEquals(0, schedule.measuredBit(measureStartNs - 1));
            assertEquals(1, schedule.measuredBit(measureStartNs));
            assertEquals(1, schedule.measuredBit(measureEndNs - 1));
            assertEquals(0, schedule.measuredBit(measureEndNs));
        }
    }
}
