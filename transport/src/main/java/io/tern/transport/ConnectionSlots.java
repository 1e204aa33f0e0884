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
 * The thread that closes a connection (its writer, or the authenticator) {@link #release(Slot) releases} its slot
 * here once nothing will touch it again, and the acceptor takes it for the next connection. New slots are made only
 * when none is free, so the slots ever made are at most the most connections open at once (itself at most
 * {@code max-connections}); the queue's capacity (max-connections rounded up to a power of two) is never the limit.
 * <p>
 * Released from any thread that closes connections, acquired on the acceptor's thread only.
 */
final class ConnectionSlots
{
    /** One connection's slot. */
    static final class Slot
    {
        /** Which slot this is, counting from 0 in the order made: unique among open connections. */
        final int index;

        Slot(final int index)
        {
            this.index = index;
        }
    }

    private final ManyToOneConcurrentArrayQueue<Slot> free;
    private final AtomicCounter madeSlots;

    /**
     * @param maxConnections open connections allowed.
     * @param madeSlots      counts the slots made; written by the acceptor only.
     */
    ConnectionSlots(final int maxConnections, final AtomicCounter madeSlots)
    {
        this.madeSlots = madeSlots;
        this.free = new ManyToOneConcurrentArrayQueue<>(Math.max(2, maxConnections));
    }

    /**
     * @return a released slot, or a new one if none is free. Acceptor thread only.
     */
    Slot acquire()
    {
        final Slot reused = free.poll();
        if (null != reused)
        {
            return reused;
        }
        final Slot fresh = new Slot((int)madeSlots.get());
        madeSlots.incrementRelease();
        return fresh;
    }

    /**
     * Keeps a closed connection's slot for a later one. Call only once neither the broker nor the writer will touch
     * the connection again. Any thread.
     *
     * @param slot the closed connection's slot.
     */
    void release(final Slot slot)
    {
        free.offer(slot);
    }
}
