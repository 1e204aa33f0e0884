/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * The bounded queue through which admin threads ask the broker thread, which alone owns the peers, for a
 * {@link PeerSnapshot}: many admin threads offer, the broker thread polls at the end of each batch and when idle (one
 * volatile read when the queue is empty; no lock, no allocation on the broker thread).
 */
public final class PeerSnapshotRequests
{
    /** Requests waiting at most: more concurrent {@code /connz} requests get 503 rather than queue up. */
    static final int CAPACITY = 4;

    private final ManyToOneConcurrentArrayQueue<PeerSnapshot> queue = new ManyToOneConcurrentArrayQueue<>(CAPACITY);

    /**
     * @param request an empty snapshot to fill.
     * @return false if the queue is full. Any thread.
     */
    boolean offer(final PeerSnapshot request)
    {
        return queue.offer(request);
    }

    /** @return the next request to fill, or null. Broker thread only. */
    public PeerSnapshot poll()
    {
        return queue.poll();
    }
}
