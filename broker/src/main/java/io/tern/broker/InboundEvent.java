/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import io.tern.transport.Connection;
import io.tern.transport.InboundBatch;
import io.tern.transport.LineArena;

/**
 * One slot of the Disruptor ring: a {@code NewPeer}, {@code Message} or {@code Disconnect} from a reader.
 * Pre-allocated by the ring and reused; the line's bytes stay in the reader's {@link LineArena}.
 * Written by a reader thread between claim and publish, read by the broker thread after publish.
 */
final class InboundEvent
{
    /** From the cluster agent ({@link ClusterInboundSink}): the directory's answer to a claim; no bytes. */
    static final int CLAIM_RESULT = 16;
    /** From the cluster agent: a name now held on node {@link #reason}; the name's bytes. */
    static final int NAME_HELD = 17;
    /** From the cluster agent: a name held on node {@link #reason} is free; the name's bytes. */
    static final int NAME_RELEASED = 18;
    /** From the cluster agent: a frame from node {@link #reason} ({@link NodeMessageDescriptor}). */
    static final int NODE_FRAME = 19;
    /** From the cluster agent: joined or lost the directory ({@link #reason}); no bytes. */
    static final int CLUSTER_STATE = 20;
    /** From the cluster agent: a sequence claimed whose bytes then did not fit; nothing to do. */
    static final int CLUSTER_NOTHING = 21;

    /** {@link InboundBatch#NEW_PEER}, {@link InboundBatch#MESSAGE} or {@link InboundBatch#DISCONNECT}. */
    int type;
    /** For a disconnect, one of the {@code InboundBatch.REASON_} constants. */
    int reason;
    Connection connection;
    LineArena arena;
    int offset;
    int length;
    long arenaEndPosition;
    /** {@link System#nanoTime()} of the socket read that completed the line. */
    long readNs;
    /** For a {@link #CLAIM_RESULT}, the claim's correlation id. Cluster events have no connection. */
    long correlationId;

    void set(final InboundBatch batch, final int i)
    {
        type = batch.type(i);
        reason = batch.reason(i);
        connection = batch.connection(i);
        arena = batch.arena();
        offset = batch.offset(i);
        length = batch.length(i);
        arenaEndPosition = batch.endPosition(i);
        readNs = batch.readNs(i);
    }

    void clear()
    {
        connection = null;
    }
}
