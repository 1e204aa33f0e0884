/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.net.InetAddress;
import java.util.ArrayList;

import org.agrona.collections.Object2IntHashMap;
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
 * The slots also count open connections per source address, for {@code max-connections-per-address}: a slot taken
 * for an address counts against it until released. The count has one writer, the acceptor, which takes the released
 * slots from the queue before it decides on a connection; the table holds only addresses with a connection open, so
 * it never has more entries than there are slots.
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
        /** The address it counts against while taken, or null; acceptor thread only. */
        InetAddress source;

        Slot(final int index)
        {
            this.index = index;
        }
    }

    private final ManyToOneConcurrentArrayQueue<Slot> released;
    private final AtomicCounter madeSlots;
    // acceptor-owned
    private final ArrayList<Slot> free = new ArrayList<>();
    private final Object2IntHashMap<InetAddress> openByAddress = new Object2IntHashMap<>(0);

    /**
     * @param maxConnections open connections allowed.
     * @param madeSlots      counts the slots made; written by the acceptor only.
     */
    ConnectionSlots(final int maxConnections, final AtomicCounter madeSlots)
    {
        this.madeSlots = madeSlots;
        this.released = new ManyToOneConcurrentArrayQueue<>(Math.max(2, maxConnections));
    }

    /**
     * @param source a client's address.
     * @return connections open from it, as of the slots released so far. Acceptor thread only.
     */
    int openFrom(final InetAddress source)
    {
        takeReleased();
        return openByAddress.getValue(source);
    }

    /**
     * @param source the address the connection counts against, or null for none.
     * @return a released slot, or a new one if none is free. Acceptor thread only.
     */
    Slot acquire(final InetAddress source)
    {
        takeReleased();
        final Slot slot;
        if (!free.isEmpty())
        {
            slot = free.remove(free.size() - 1);
        }
        else
        {
            slot = new Slot((int)madeSlots.get());
            madeSlots.incrementRelease();
        }
        if (null != source)
        {
            slot.source = source;
            openByAddress.put(source, openByAddress.getValue(source) + 1);
        }
        return slot;
    }

    private void takeReleased()
    {
        Slot slot;
        while (null != (slot = released.poll()))
        {
            final InetAddress source = slot.source;
            if (null != source)
            {
                slot.source = null;
                final int open = openByAddress.getValue(source) - 1;
                if (open <= 0)
                {
                    openByAddress.removeKey(source);
                }
                else
                {
                    openByAddress.put(source, open);
                }
            }
            free.add(slot);
        }
    }

    /**
     * Keeps a closed connection's slot for a later one. Call only once neither the broker nor the writer will touch
     * the connection again. Any thread.
     *
     * @param slot the closed connection's slot.
     */
    void release(final Slot slot)
    {
        released.offer(slot);
    }
}
