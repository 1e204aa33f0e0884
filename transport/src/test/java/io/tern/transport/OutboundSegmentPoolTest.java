/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class OutboundSegmentPoolTest
{
    private static final long PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(OutboundSegmentPool.TRIM_PERIOD_MS);
    private static final int SEGMENTS = 20;

    private final OutboundSegmentPool pool = OutboundSegmentPool.standalone(16L << 20, 64L << 20, 1024);
    private final Outbound requester = new Connection(1, null, null, null, pool,
        TransportCounters.newCountersManager(1).newCounter("taken"), 0, 0).outbound();
    private final int sizeClass = OutboundSegmentPool.sizeClassOf(1024 * 1024);

    private List<OutboundSegment> take(final int count)
    {
        final List<OutboundSegment> taken = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final OutboundSegment segment = pool.acquire(requester, sizeClass);
            assertNotNull(segment);
            taken.add(segment);
        }
        return taken;
    }

    private void giveBack(final List<OutboundSegment> segments)
    {
        for (final OutboundSegment segment : segments)
        {
            pool.release(segment, true);
        }
    }

    private int trimAll(final long nowNs)
    {
        int freed = 0;
        int n;
        while ((n = pool.trim(nowNs)) > 0)
        {
            freed += n;
        }
        return freed;
    }

    @Test
    void shouldFreeOnlyWhatNoPeerTookForAWholePeriodDownToTheFloor()
    {
        final long t0 = 1_000_000_000L;
        giveBack(take(SEGMENTS)); // a burst: 20 MiB pooled afterwards
        final long segmentBytes = OutboundSegment.memoryBytes(1024 * 1024);
        assertEquals(SEGMENTS * segmentBytes, pool.pooledBytes());

        assertEquals(0, trimAll(t0), "the first period starts: nothing is known to be unused yet");
        giveBack(take(SEGMENTS)); // all of them used again during this period
        assertEquals(0, trimAll(t0 + PERIOD_NS - 1), "the period is not over");
        assertEquals(0, trimAll(t0 + PERIOD_NS), "every segment was taken during the period: all kept");
        assertEquals(SEGMENTS * segmentBytes, pool.pooledBytes());

        giveBack(take(2)); // only two taken during the next period
        final int freed = trimAll(t0 + 2 * PERIOD_NS);
        assertTrue(freed > 0 && freed <= SEGMENTS - 2, "freed " + freed);
        assertTrue(pool.pooledBytes() >= OutboundSegmentPool.TRIM_FLOOR_BYTES, "pooled " + pool.pooledBytes());
        assertTrue(pool.pooledBytes() < OutboundSegmentPool.TRIM_FLOOR_BYTES + segmentBytes,
            "down to the floor: pooled " + pool.pooledBytes());
        assertEquals(pool.pooledBytes(), pool.allocatedBytesForTest(), "nothing in use: allocated is the pool");

        giveBack(take(SEGMENTS)); // a new burst takes new memory again
        assertEquals(SEGMENTS * segmentBytes, pool.allocatedBytesForTest());
    }

    @Test
    void shouldFreeAFewSegmentsPerCallSoTrimmingNeverStallsRouting()
    {
        final long t0 = 1_000_000_000L;
        giveBack(take(SEGMENTS));
        pool.trim(t0);
        final int first = pool.trim(t0 + PERIOD_NS);
        assertTrue(first > 0 && first < SEGMENTS - 4, "one call freed " + first);
        assertTrue(trimAll(t0 + PERIOD_NS) > 0, "the rest in later calls");
    }
}
