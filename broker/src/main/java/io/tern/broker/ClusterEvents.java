/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import org.agrona.DirectBuffer;

/**
 * What comes from the cluster, handed into the broker's ring as events for the Router. Called on the cluster agent's
 * thread only; never blocks, never allocates. Each returns false when the ring (or the bytes' arena) is full: the
 * agent keeps the item and stops polling until there is room, which back-pressures the cluster's streams.
 */
public interface ClusterEvents
{
    int CLAIM_GRANTED = 0;
    int CLAIM_TAKEN = 1;
    int CLAIM_UNAVAILABLE = 2;

    int CLUSTER_CONNECTED = 0;
    int CLUSTER_LOST = 1;

    /** The directory's answer to {@link ClusterLink#claim}: one of {@code CLAIM_}. */
    boolean onClaimResult(long correlationId, int result);

    /** A name is now held on another node (or on this one, which the Router ignores). */
    boolean onNameHeld(int node, DirectBuffer name, int offset, int length);

    /** A name held on {@code node} is free again. */
    boolean onNameReleased(int node, DirectBuffer name, int offset, int length);

    /** A frame from another node, laid out as {@link NodeMessageDescriptor} says. */
    boolean onNodeFrame(int fromNode, DirectBuffer frame, int offset, int length);

    /** This node joined the directory, or lost it: one of {@code CLUSTER_}. */
    boolean onClusterState(int state);

    /**
     * The end of a duty cycle that handed anything over: wakes the thread that routes, if it waits (once per cycle, not
     * per item).
     */
    void onBatchEnd();
}
