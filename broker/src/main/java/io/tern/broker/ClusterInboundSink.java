/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import org.agrona.DirectBuffer;

import io.tern.transport.LineArena;

/**
 * Hands what the cluster agent receives into the Disruptor ring, beside the readers' events: one event per item, its
 * bytes copied into an arena of its own (the Router releases them as it does a reader's). Cluster agent thread only;
 * never blocks, never allocates: a full ring or arena returns false and the agent tries again later.
 */
final class ClusterInboundSink implements ClusterEvents
{
    private final RingBuffer<InboundEvent> ringBuffer;
    private final LineArena arena;
    private final Runnable wakeRouter;
    private boolean published;

    /**
     * @param wakeRouter wakes the routing thread when it blocks elsewhere than on the ring (the shared thread blocks
     *                   in its selector); the dedicated broker thread's wait strategy is signalled by the publish itself.
     */
    ClusterInboundSink(final RingBuffer<InboundEvent> ringBuffer, final int arenaBytes, final Runnable wakeRouter)
    {
        this.ringBuffer = ringBuffer;
        this.arena = new LineArena(arenaBytes);
        this.wakeRouter = wakeRouter;
    }

    @Override
    public void onBatchEnd()
    {
        if (published)
        {
            published = false;
            wakeRouter.run();
        }
    }

    @Override
    public boolean onClaimResult(final long correlationId, final int result)
    {
        return publish(InboundEvent.CLAIM_RESULT, result, correlationId, null, 0, 0);
    }

    @Override
    public boolean onNameHeld(final int node, final DirectBuffer name, final int offset, final int length)
    {
        return publish(InboundEvent.NAME_HELD, node, 0, name, offset, length);
    }

    @Override
    public boolean onNameReleased(final int node, final DirectBuffer name, final int offset, final int length)
    {
        return publish(InboundEvent.NAME_RELEASED, node, 0, name, offset, length);
    }

    @Override
    public boolean onNodeFrame(final int fromNode, final DirectBuffer frame, final int offset, final int length)
    {
        return publish(InboundEvent.NODE_FRAME, fromNode, 0, frame, offset, length);
    }

    @Override
    public boolean onClusterState(final int state)
    {
        return publish(InboundEvent.CLUSTER_STATE, state, 0, null, 0, 0);
    }

    private boolean publish(final int type, final int reason, final long correlationId,
        final DirectBuffer bytes, final int offset, final int length)
    {
        final long sequence;
        try
        {
            sequence = ringBuffer.tryNext();
        }
        catch (final InsufficientCapacityException ex)
        {
            return false;
        }
        int at = 0;
        if (null != bytes && (at = arena.tryAppend(bytes, offset, length)) < 0)
        {
            // The ring has room but the arena has not: give the sequence back as an event with nothing to do.
            fill(ringBuffer.get(sequence), InboundEvent.CLUSTER_NOTHING, 0, 0, 0, 0);
            ringBuffer.publish(sequence);
            published = true;
            return false;
        }
        fill(ringBuffer.get(sequence), type, reason, correlationId, at, null == bytes ? 0 : length);
        ringBuffer.publish(sequence);
        published = true;
        return true;
    }

    private void fill(final InboundEvent event, final int type, final int reason, final long correlationId,
        final int offset, final int length)
    {
        event.type = type;
        event.reason = reason;
        event.correlationId = correlationId;
        event.connection = null;
        event.arena = arena;
        event.offset = offset;
        event.length = length;
        event.arenaEndPosition = arena.appendPosition();
        event.readNs = System.nanoTime();
    }
}
