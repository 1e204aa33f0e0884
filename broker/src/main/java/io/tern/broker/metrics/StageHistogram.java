/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import io.tern.transport.LatencyRecorders;

/**
 * One stage's latencies as the metrics thread sees them: it swaps interval histograms out of the stage's recorders
 * (one per recording thread) and adds them up over several windows. Metrics thread only; the recording threads are
 * touched only through {@link SingleWriterRecorder#getIntervalHistogram(Histogram)}, which hands the emptied
 * histogram back for reuse, so sampling allocates nothing after the first call.
 * <pre>
 *   recorder (writer-0) ─┐ getIntervalHistogram(reuse)   ┌▶ since start  (never reset: Prometheus _count, _sum)
 *   recorder (writer-1) ─┼──────────── sample() ─────────┼▶ since reset  (/histograms; POST ?reset=true clears it)
 *   ...                 ─┘                               ├▶ since tick ─ tick() once a second ─▶ interval log and
 *                                                        │                                        a 10 s slot of 6
 *                                                        └▶ since summary (the stats line, if on)
 *   recent = the 6 slots + since tick: the last 50 to 60 s (Prometheus quantiles, /histograms?window=recent)
 * </pre>
 * Values are nanoseconds.
 */
public final class StageHistogram
{
    /** Ticks (seconds) per slot of the recent window. */
    static final int TICKS_PER_SLOT = 10;
    /** Slots in the recent window. */
    static final int SLOTS = 6;

    private final Stage stage;
    private final SingleWriterRecorder[] recorders;
    private final Histogram[] intervals;
    private final Histogram sinceStart = LatencyRecorders.newHistogram();
    private final Histogram sinceReset = LatencyRecorders.newHistogram();
    private final Histogram sinceTick = LatencyRecorders.newHistogram();
    private final Histogram sinceSummary;
    private final Histogram[] slots;
    private final Histogram recent;
    private int currentSlot;
    private int ticksInSlot;
    private long resetTimeMs;
    private long tickTimeMs;

    /**
     * @param stage       which stage.
     * @param recorders   its recorders, one per recording thread.
     * @param withRecent  keep the recent window (for the admin endpoint).
     * @param withSummary keep a histogram for the periodic stats line.
     * @param nowMs       the current time (epoch ms), the start of every window.
     */
    public StageHistogram(
        final Stage stage,
        final SingleWriterRecorder[] recorders,
        final boolean withRecent,
        final boolean withSummary,
        final long nowMs)
    {
        this.stage = stage;
        this.recorders = recorders.clone();
        this.intervals = new Histogram[recorders.length];
        for (int i = 0; i < recorders.length; i++)
        {
            // The first call allocates the histogram later calls recycle; anything recorded before now is counted.
            intervals[i] = recorders[i].getIntervalHistogram();
        }
        this.sinceSummary = withSummary ? LatencyRecorders.newHistogram() : null;
        this.slots = new Histogram[withRecent ? SLOTS : 0];
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = LatencyRecorders.newHistogram();
        }
        this.recent = withRecent ? LatencyRecorders.newHistogram() : null;
        this.resetTimeMs = nowMs;
        this.tickTimeMs = nowMs;
        for (final Histogram histogram : intervals)
        {
            addInterval(histogram);
        }
    }

    /** @return the stage. */
    public Stage stage()
    {
        return stage;
    }

    /** Takes what the recording threads have recorded since the last sample into every window. */
    public void sample()
    {
        for (int i = 0; i < recorders.length; i++)
        {
            intervals[i] = recorders[i].getIntervalHistogram(intervals[i]);
            addInterval(intervals[i]);
        }
    }

    private void addInterval(final Histogram interval)
    {
        if (interval.getTotalCount() == 0)
        {
            return;
        }
        sinceStart.add(interval);
        sinceReset.add(interval);
        sinceTick.add(interval);
        if (null != sinceSummary)
        {
            sinceSummary.add(interval);
        }
    }

    /**
     * Closes the current one-second interval: hands it to {@code logger} (if any), moves it into the recent window,
     * and starts the next. Call {@link #sample()} first.
     *
     * @param nowMs  the current time, epoch ms.
     * @param logger receives the interval with its start and end time stamps set, or null.
     */
    public void tick(final long nowMs, final IntervalLogger logger)
    {
        sinceTick.setStartTimeStamp(tickTimeMs);
        sinceTick.setEndTimeStamp(nowMs);
        if (null != logger)
        {
            logger.onInterval(stage, sinceTick);
        }
        if (slots.length > 0)
        {
            slots[currentSlot].add(sinceTick);
            if (++ticksInSlot == TICKS_PER_SLOT)
            {
                ticksInSlot = 0;
                currentSlot = (currentSlot + 1) % slots.length;
                slots[currentSlot].reset();
            }
        }
        sinceTick.reset();
        tickTimeMs = nowMs;
    }

    /** @return the values since the last {@link #tick}: the current second. Valid until the next call. */
    public Histogram sinceTick()
    {
        return sinceTick;
    }

    /** @return every value since the broker started. Valid until the next call on this object. */
    public Histogram sinceStart()
    {
        return sinceStart;
    }

    /** @return every value since the last {@link #reset(long)} (or the start). Valid until the next call. */
    public Histogram sinceReset()
    {
        return sinceReset;
    }

    /** @return when {@link #sinceReset()} began, epoch ms. */
    public long resetTimeMs()
    {
        return resetTimeMs;
    }

    /**
     * @return the values of about the last minute (50 to 60 s, in 10 s slots, plus what is not yet ticked); null
     * when this stage keeps no recent window. Valid until the next call on this object.
     */
    public Histogram recent()
    {
        if (null == recent)
        {
            return null;
        }
        recent.reset();
        for (final Histogram slot : slots)
        {
            recent.add(slot);
        }
        recent.add(sinceTick);
        return recent;
    }

    /**
     * Starts {@link #sinceReset()} again.
     *
     * @param nowMs the current time, epoch ms.
     */
    public void reset(final long nowMs)
    {
        sinceReset.reset();
        resetTimeMs = nowMs;
    }

    /** @return values since the last {@link #clearSummary()}; null unless kept for the stats line. */
    public Histogram sinceSummary()
    {
        return sinceSummary;
    }

    /** Starts the stats line's interval again. */
    public void clearSummary()
    {
        if (null != sinceSummary)
        {
            sinceSummary.reset();
        }
    }

    /** Receives each one-second interval of a stage, e.g. to append it to an interval log. */
    @FunctionalInterface
    public interface IntervalLogger
    {
        /**
         * @param stage    the stage.
         * @param interval its values in the interval, start and end time stamps set (epoch ms); valid only during
         *                 the call.
         */
        void onInterval(Stage stage, Histogram interval);
    }
}
