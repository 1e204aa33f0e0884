/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The direct memory of connections, kept for reuse: each connection's outbound ring. (Read and staging buffers are
 * per reader and per writer, not per connection: see {@link BufferPool}.)
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
        /** Which set this is, counting from 0 in the order allocated: unique among open connections. */
        final int index;
        final ByteBuffer ring;

        Buffers(final int index, final int outboundRingBytes)
        {
            this.index = index;
            ring = Outbound.allocateRing(outboundRingBytes);
        }
    }

    private final ManyToOneConcurrentArrayQueue<Buffers> free;
    private final AtomicCounter allocatedSets;
    private final int outboundRingBytes;

    /**
     * @param allocatedSets counts the sets allocated; written by the acceptor only.
     */
    ConnectionMemory(final int maxConnections, final int outboundRingBytes, final AtomicCounter allocatedSets)
    {
        this.allocatedSets = allocatedSets;
        this.free = new ManyToOneConcurrentArrayQueue<>(Math.max(2, maxConnections));
        this.outboundRingBytes = outboundRingBytes;
    }

    /**
     * @return a released set, or new memory if none is free. The ring's contents are stale: {@link Outbound} clears
     * them. Acceptor thread only.
     * @throws OutOfMemoryError if new direct memory is needed and {@code -XX:MaxDirectMemorySize} is reached.
     */
    Buffers acquire()
    {
        final Buffers reused = free.poll();
        if (null != reused)
        {
            return reused;
        }
        final Buffers fresh = new Buffers((int)allocatedSets.get(), outboundRingBytes);
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

    /** @return direct memory allocated for connections so far, in use or pooled, in bytes. Any thread. */
    long allocatedBytes()
    {
        return allocatedSets.get() * (outboundRingBytes + (long)RingBufferDescriptor.TRAILER_LENGTH);
    }
}
