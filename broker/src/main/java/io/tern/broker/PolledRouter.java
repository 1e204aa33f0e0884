/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;

import io.tern.transport.SinkConsumer;

/**
 * The {@link Router} driven by a Disruptor {@link EventPoller} instead of a {@code BatchEventProcessor} thread, for
 * the shared threading mode: the transport's {@code shared} thread polls it between its read and write duties. The
 * poller hands over everything published since the last poll with {@code endOfBatch} on the last event, so the
 * router's once-per-batch hand-off to the writer works as it does on a thread of its own. In a cluster it first reads
 * the other nodes' links ({@link ClusterLink#pollLinks()}), which publish into the same ring, so a frame from another
 * node is routed in the duty cycle that read it. Garbage-free: the handler is allocated once.
 */
final class PolledRouter implements SinkConsumer
{
    private final RingBuffer<InboundEvent> ringBuffer;
    private final EventPoller<InboundEvent> poller;
    private final EventPoller.Handler<InboundEvent> handler;
    private final Router router;
    /** In a cluster: the other nodes' links, read here before the ring so that their frames are routed at once. */
    private final ClusterLink links;
    private int handled;

    PolledRouter(
        final RingBuffer<InboundEvent> ringBuffer,
        final Router router,
        final ClusterLink links,
        final ExceptionHandler<InboundEvent> exceptionHandler)
    {
        this.ringBuffer = ringBuffer;
        this.router = router;
        this.links = links;
        this.poller = ringBuffer.newPoller();
        ringBuffer.addGatingSequences(poller.getSequence());
        this.handler = (event, sequence, endOfBatch) ->
        {
            handled++;
            try
            {
                router.onEvent(event, sequence, endOfBatch);
            }
            catch (final Throwable ex)
            {
                exceptionHandler.handleEventException(ex, sequence, event);
            }
            return true;
        };
    }

    @Override
    public int poll()
    {
        handled = 0;
        final int frames = null == links ? 0 : links.pollLinks();
        try
        {
            poller.poll(handler);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("polling the ring failed", ex);
        }
        if (0 == handled)
        {
            router.onIdle(); // nothing to route: give back idle peers' outbound memory (bounded, garbage-free)
        }
        return handled + frames;
    }

    @Override
    public long maxWaitMs()
    {
        return null == links ? Long.MAX_VALUE : links.maxPollIntervalMs();
    }

    @Override
    public boolean isIdle()
    {
        return poller.getSequence().get() >= ringBuffer.getCursor() && (null == links || !links.linksBacklogged());
    }
}
