/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * How long the cluster's directory took to answer a claim (from the claim to its answer), since start. The broker
 * thread records (once per name claimed, garbage-free); {@code /metrics} and {@code /clusterz} read a copy.
 * <pre>
 *   broker: recordNs() ─▶ SingleWriterRecorder ─▶ sinceStart(): interval histogram added to the total, copied
 * </pre>
 */
public final class ClaimLatency
{
    /** Longest claim recorded as itself; longer ones count as this (a claim waits at most a session timeout). */
    static final long HIGHEST_NS = TimeUnit.MINUTES.toNanos(1);

    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1000, HIGHEST_NS, 2);
    private final Histogram total = new Histogram(1000, HIGHEST_NS, 2);
    private Histogram interval;

    /** Records one answered claim. Broker thread only; garbage-free. */
    public void recordNs(final long ns)
    {
        recorder.recordValue(Math.max(1000, Math.min(ns, HIGHEST_NS)));
    }

    /** @return every claim recorded since start, as a copy of its own. Any thread but the broker's. */
    synchronized Histogram sinceStart()
    {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return total.copy();
    }
}
