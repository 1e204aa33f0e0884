/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

/**
 * The time line of one run, fixed before the agents start, in {@link System#nanoTime()} terms.
 * <pre>
 *   startNs            measureStartNs                     measureEndNs
 *      |---- warm-up ----|-------- measured duration --------|---- drain (up to the timeout) ----|
 *      sent and checked   sent, checked, latency reported     nothing sent; late arrivals checked
 * </pre>
 * A message belongs to the measured period by its due time, not by when it arrives, so a warm-up message that
 * arrives late is not reported (it goes to the warm-up histograms, which are dropped) and a measured one that
 * arrives during the drain is.
 * <p>
 * Open loop: message g of the run (senders take turns, sender {@code g mod S}) is due at
 * {@code startNs + g * 1e9 / rate}, computed exactly in integers with no drift. Immutable; any thread.
 */
public final class Schedule
{
    private static final long NS_PER_SECOND = 1_000_000_000L;

    private final long startNs;
    private final long measureStartNs;
    private final long measureEndNs;
    private final long ratePerSecond;

    /**
     * @param startNs       when the first message is due.
     * @param warmupNs      length of the unrecorded warm-up.
     * @param durationNs    length of the measured period.
     * @param ratePerSecond open loop: messages per second over all senders; ignored by closed loops.
     */
    public Schedule(final long startNs, final long warmupNs, final long durationNs, final long ratePerSecond)
    {
        this.startNs = startNs;
        this.measureStartNs = startNs + warmupNs;
        this.measureEndNs = measureStartNs + durationNs;
        this.ratePerSecond = ratePerSecond;
    }

    public long startNs()
    {
        return startNs;
    }

    public long measureStartNs()
    {
        return measureStartNs;
    }

    public long measureEndNs()
    {
        return measureEndNs;
    }

    public long durationNs()
    {
        return measureEndNs - measureStartNs;
    }

    public long ratePerSecond()
    {
        return ratePerSecond;
    }

    /**
     * @param messageIndex g, counting every sender's messages from 0.
     * @return when message g is due; exact, no accumulated rounding.
     */
    public long dueTimeNs(final long messageIndex)
    {
        final long wholeSeconds = messageIndex / ratePerSecond;
        final long remainder = messageIndex % ratePerSecond;
        // remainder < rate <= 1e8, so remainder * 1e9 < 1e17 cannot overflow.
        return startNs + wholeSeconds * NS_PER_SECOND + remainder * NS_PER_SECOND / ratePerSecond;
    }

    /** @return true when a message due at this time is in the measured period. */
    public boolean isMeasured(final long dueTimeNs)
    {
        return dueTimeNs - measureStartNs >= 0 && dueTimeNs - measureEndNs < 0;
    }

    /**
     * {@link #isMeasured(long)} without a branch, for the hot paths: the choice between the warm-up and the measured
     * period is data (an index), so the code the JIT compiles during warm-up is the code that runs while measuring. A
     * branch never taken during warm-up would be compiled as a trap and deoptimise the loop it sits in at the start of
     * the measured period, when the tail percentiles are being recorded.
     *
     * @param dueTimeNs a message's due time.
     * @return 1 if it is in the measured period, else 0.
     */
    public int measuredBit(final long dueTimeNs)
    {
        return (int)((~(dueTimeNs - measureStartNs) & (dueTimeNs - measureEndNs)) >>> 63);
    }

    /** @return open loop: how many messages are due in the measured period. */
    public long scheduledInMeasuredPeriod()
    {
        return firstIndexDueAtOrAfter(measureEndNs) - firstIndexDueAtOrAfter(measureStartNs);
    }

    /** @return the smallest g whose due time is at or after {@code timeNs}. */
    public long firstIndexDueAtOrAfter(final long timeNs)
    {
        final long offsetNs = timeNs - startNs;
        if (offsetNs <= 0)
        {
            return 0;
        }
        // ceil(offsetNs * rate / 1e9) without overflow, then step to the exact boundary.
        long g = (long)Math.floor((double)offsetNs / NS_PER_SECOND * ratePerSecond);
        while (g > 0 && dueTimeNs(g - 1) >= timeNs)
        {
            g--;
        }
        while (dueTimeNs(g) < timeNs)
        {
            g++;
        }
        return g;
    }
}
