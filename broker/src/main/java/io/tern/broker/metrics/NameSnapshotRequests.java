/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * The bounded queue through which admin threads ask the broker thread, which alone owns the cluster's replica of
 * names, for a {@link NameSnapshot} ({@code /clusterz}), as {@link PeerSnapshotRequests} does for {@code /connz}.
 */
public final class NameSnapshotRequests
{
    /** Requests waiting at most: more concurrent {@code /clusterz} requests get 503 rather than queue up. */
    static final int CAPACITY = 4;

    private final ManyToOneConcurrentArrayQueue<NameSnapshot> queue = new ManyToOneConcurrentArrayQueue<>(CAPACITY);

    /** @return false if the queue is full. Any thread. */
    boolean offer(final NameSnapshot request)
    {
        return queue.offer(request);
    }

    /** @return the next request to fill, or null. Broker thread only. */
    public NameSnapshot poll()
    {
        return queue.poll();
    }
}
