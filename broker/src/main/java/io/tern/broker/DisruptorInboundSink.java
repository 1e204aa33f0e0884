/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;

import io.tern.transport.InboundBatch;
import io.tern.transport.InboundSink;

/**
 * Publishes a reader's batch into the Disruptor ring: one claim of n sequences, n events filled in place, one
 * publish. Called on reader threads; never blocks (a full ring returns false and the reader backs off), never
 * allocates (the capacity exception is the Disruptor's pre-allocated singleton).
 */
final class DisruptorInboundSink implements InboundSink
{
    private final RingBuffer<InboundEvent> ringBuffer;

    DisruptorInboundSink(final RingBuffer<InboundEvent> ringBuffer)
    {
        this.ringBuffer = ringBuffer;
    }

    @Override
    public boolean tryPublish(final InboundBatch batch)
    {
        final int n = batch.size();
        final long hi;
        try
        {
            hi = ringBuffer.tryNext(n);
        }
        catch (final InsufficientCapacityException ex)
        {
            return false;
        }
        final long lo = hi - (n - 1);
        for (int i = 0; i < n; i++)
        {
            ringBuffer.get(lo + i).set(batch, i);
        }
        ringBuffer.publish(lo, hi);
        return true;
    }
}
