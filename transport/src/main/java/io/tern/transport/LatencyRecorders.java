/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The range and precision shared by every stage-latency recorder and histogram of the broker, the same as the
 * loadgen's, so their logs and percentile files read alike. Values are nanoseconds.
 * <p>
 * Recording with {@link #record(SingleWriterRecorder, long)} is wait-free and garbage-free: the range is fixed (no
 * auto-resize) and a value outside it is clamped into it rather than thrown out.
 */
public final class LatencyRecorders
{
    /** Largest value kept exactly; a longer one is recorded as this. A stall of minutes still shows. */
    public static final long HIGHEST_TRACKABLE_NS = TimeUnit.MINUTES.toNanos(10);
    /** Three significant digits: 0.1% resolution, HdrHistogram's usual choice. */
    public static final int SIGNIFICANT_DIGITS = 3;

    private LatencyRecorders()
    {
    }

    /** @return a recorder of this range, for one recording thread. */
    public static SingleWriterRecorder newRecorder()
    {
        return new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    }

    /** @return an empty histogram of this range, to accumulate intervals into. */
    public static Histogram newHistogram()
    {
        return new Histogram(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    }

    /**
     * Records one latency, clamped to [0, {@link #HIGHEST_TRACKABLE_NS}]. The recorder's one writing thread only;
     * allocation-free.
     *
     * @param recorder the calling thread's recorder.
     * @param valueNs  the latency in nanoseconds.
     */
    public static void record(final SingleWriterRecorder recorder, final long valueNs)
    {
        recorder.recordValue(valueNs < 0 ? 0 : Math.min(valueNs, HIGHEST_TRACKABLE_NS));
    }
}
