/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.concurrent.TimeUnit;

/**
 * The latency recorders of one run and their common range. Values are nanoseconds; reports scale to microseconds.
 * <pre>
 *   receiver thread --record--> corrected    (arrival - due time)   \
 *   receiver thread --record--> uncorrected  (arrival - send time)   }-- reporter thread swaps an interval
 *   sender thread   --record--> send lag     (send - due time)      /    histogram out of each once a second
 * </pre>
 * Each recorder has exactly one recording thread, hence {@link SingleWriterRecorder}: recording is wait free and
 * allocation free because the range is fixed (no auto-resize); values beyond it are clamped to it.
 */
public final class LatencyRecording
{
    /** Largest value kept exactly; anything longer is recorded as this. A stall of minutes is still visible. */
    public static final long HIGHEST_TRACKABLE_NS = TimeUnit.MINUTES.toNanos(10);
    /** Three significant digits: 0.1% resolution, HdrHistogram's usual choice. */
    public static final int SIGNIFICANT_DIGITS = 3;

    public final SingleWriterRecorder corrected = newRecorder();
    public final SingleWriterRecorder uncorrected = newRecorder();
    public final SingleWriterRecorder sendLag = newRecorder();

    // Indexed by Schedule.measuredBit: [0] a warm-up twin, recorded into exactly as the measured one is, then dropped;
    // [1] the recorder above. Warm-up thus runs (and the JIT compiles) the same recording code as the measured period.
    public final SingleWriterRecorder[] correctedByPhase = {newRecorder(), corrected};
    public final SingleWriterRecorder[] uncorrectedByPhase = {newRecorder(), uncorrected};
    public final SingleWriterRecorder[] sendLagByPhase = {newRecorder(), sendLag};

    /** @return a recorder for this range. */
    public static SingleWriterRecorder newRecorder()
    {
        return new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    }

    /** @return an empty histogram of the same range, for totals. */
    public static Histogram newHistogram()
    {
        return new Histogram(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    }
}
