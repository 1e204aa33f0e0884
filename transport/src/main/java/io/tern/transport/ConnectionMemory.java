/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Connection slots, kept for reuse: a slot number (see {@link Connection#slot()}) unique among open connections. A
 * connection owns no buffer of its own any more: outbound bytes take segments from the broker's
 * {@link OutboundSegmentPool} on demand, and read and staging buffers are per reader and per writer, with pooled
 * buffers only for a partial line or an unwritten rest (see {@link BufferPool}).
 * <p>
 * The thread that closes a connection (its writer, or the authenticator) {@link #release(Buffers) releases} its slot
 * here once nothing will touch it again, and the acceptor takes it for the next connection. New slots are made only
 * when none is free, so the slots ever made are at most the most connections open at once (itself at most
 * {@code max-connections}); the queue's capacity (max-connections rounded up to a power of two) is never the limit.
 * <p>
 * Released from any thread that closes connections, acquired on the acceptor's thread only.
 */
final class ConnectionMemory
{
    /** One connection's slot. */
    static final class Buffers
    {
        /** Which slot this is, counting from 0 in the order made: unique among open connections. */
        final int index;

        Buffers(final int index)
        {
            this.index = index;
        }
    }

    private final ManyToOneConcurrentArrayQueue<Buffers> free;
    private final AtomicCounter allocatedSets;

    /**
     * @param maxConnections open connections allowed.
     * @param allocatedSets  counts the slots made; written by the acceptor only.
     */
    ConnectionMemory(final int maxConnections, final AtomicCounter allocatedSets)
    {
        this.allocatedSets = allocatedSets;
        this.free = new ManyToOneConcurrentArrayQueue<>(Math.max(2, maxConnections));
    }

    /**
     * @return a released slot, or a new one if none is free. Acceptor thread only.
     */
    Buffers acquire()
    {
        final Buffers reused = free.poll();
        if (null != reused)
        {
            return reused;
        }
        final Buffers fresh = new Buffers((int)allocatedSets.get());
        allocatedSets.incrementRelease();
        return fresh;
    }

    /**
     * Keeps a closed connection's slot for a later one. Call only once neither the broker nor the writer will touch
     * the connection again. Any thread.
     *
     * @param buffers the closed connection's slot.
     */
    void release(final Buffers buffers)
    {
        free.offer(buffers);
    }

    /** @return slots made so far, in use or free. Any thread. */
    long allocatedSlots()
    {
        return allocatedSets.get();
    }
}
