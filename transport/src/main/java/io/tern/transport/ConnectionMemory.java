/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Connection slots and the direct memory that goes with each, kept for reuse: a slot number (see
 * {@link Connection#slot()}) and a staging buffer. Outbound bytes take no memory here: they take segments from the
 * broker's {@link OutboundSegmentPool} on demand.
 * <p>
 * Direct buffers are freed only when the GC collects them, and the hot path allocates nothing, so on a broker that
 * never collects, the buffers of closed connections would pile up outside the heap for as long as clients come and go
 * (a flooded receiver cut every few milliseconds, a client that reconnects in a loop). Instead the thread that closes a
 * connection (its writer, or the authenticator) {@link #release(Buffers) releases} its buffers here once nothing will
 * touch them again, and the acceptor takes them for the next connection. New memory is allocated only when the pool
 * is empty, so the sets ever allocated are at most the most connections open at once (itself at most
 * {@code max-connections}); the pool's capacity (max-connections rounded up to a power of two) is never the limit.
 * <p>
 * Released from any thread that closes connections, acquired on the acceptor's thread only.
 */
final class ConnectionMemory
{
    /** One connection's direct memory. */
    static final class Buffers
    {
        /** Which set this is, counting from 0 in the order allocated: the slot, unique among open connections. */
        final int index;
        final ByteBuffer staging;

        Buffers(final int index, final int writeBufferBytes)
        {
            this.index = index;
            staging = ByteBuffer.allocateDirect(writeBufferBytes);
        }
    }

    private final ManyToOneConcurrentArrayQueue<Buffers> free;
    private final AtomicCounter allocatedSets;
    private final int writeBufferBytes;

    /**
     * @param allocatedSets counts the sets allocated; written by the acceptor only.
     */
    ConnectionMemory(final int maxConnections, final int writeBufferBytes, final AtomicCounter allocatedSets)
    {
        this.allocatedSets = allocatedSets;
        this.free = new ManyToOneConcurrentArrayQueue<>(Math.max(2, maxConnections));
        this.writeBufferBytes = writeBufferBytes;
    }

    /**
     * @return a released set, or new memory if none is free. Acceptor thread only.
     * @throws OutOfMemoryError if new direct memory is needed and {@code -XX:MaxDirectMemorySize} is reached.
     */
    Buffers acquire()
    {
        final Buffers reused = free.poll();
        if (null != reused)
        {
            return reused;
        }
        final Buffers fresh = new Buffers((int)allocatedSets.get(), writeBufferBytes);
        allocatedSets.incrementRelease();
        return fresh;
    }

    /**
     * Keeps a closed connection's memory for a later one. Call only once neither the broker nor the writer will touch
     * the connection's buffers again. Any thread.
     *
     * @param buffers the closed connection's buffers.
     */
    void release(final Buffers buffers)
    {
        free.offer(buffers);
    }

    /** @return direct memory allocated for connections' staging buffers so far, in use or pooled. Any thread. */
    long allocatedBytes()
    {
        return allocatedSets.get() * (long)writeBufferBytes;
    }
}
