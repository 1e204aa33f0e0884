/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.lang.management.ManagementFactory;

/**
 * What one agent's thread allocated during the measured period. The reporting thread notes the thread's allocated
 * bytes when the period starts ({@code ThreadMXBean.getThreadAllocatedBytes(id)}, off the hot path); the agent's own
 * thread notes its count as it stops; the difference is read once the agent has stopped.
 */
public final class MeasuredAllocation
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private long atMeasureStart = -1;
    private long atEnd = -1;

    /** @param bytes the agent's thread's allocated bytes as the measured period started. Reporting thread. */
    public void onMeasureStart(final long bytes)
    {
        atMeasureStart = bytes;
    }

    /** Notes the calling thread's allocated bytes as its agent stops. The agent's thread only. */
    void onStop()
    {
        atEnd = THREADS.getCurrentThreadAllocatedBytes();
    }

    /** @return bytes allocated from the start of the measured period until the agent stopped, or -1 if unknown. */
    public long whileMeasuring()
    {
        return atMeasureStart < 0 || atEnd < 0 ? -1 : atEnd - atMeasureStart;
    }
}
