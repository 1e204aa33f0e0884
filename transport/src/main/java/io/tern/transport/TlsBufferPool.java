/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.BufferUtil;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;

/**
 * The direct buffers {@link TlsChannel}s hold TLS records and decrypted bytes in, shared by every thread: a channel
 * takes one when bytes appear (on the handshake's first record) and gives it back as soon as it is empty again and
 * at the latest on close, so an idle TLS connection holds none.
 * <pre>
 *   class:   {@link #CLASS_BYTES} (a TLS record of 16 KiB plus its header, MAC and padding; the JDK's packet and
 *            application buffer sizes both fit), cached up to {@link #CACHE_BUFFERS} deep
 *   batch:   {@link #BATCH_BYTES} (four records: what a writer encrypts for one socket write), cached a quarter
 *            as deep (1 MiB too)
 *   larger:  (a peer allowed records over 16 KiB) allocated on demand and freed when given back
 * </pre>
 * A buffer that does not fit the cache is freed at once ({@link BufferUtil#free(ByteBuffer)}): direct memory never
 * waits for a GC. Acquire and release allocate nothing while the cache holds a buffer. Any thread.
 */
final class TlsBufferPool
{
    /** The size of the buffers cached: a full TLS record (16 KiB + 5 header + 256 MAC/padding/tag) rounded up. */
    static final int CLASS_BYTES = 17 * 1024;
    /** At most this many free buffers are kept (1 MiB). */
    static final int CACHE_BUFFERS = 64;
    /**
     * Four records, encrypted into one buffer and sent in one write: a write per 16 KiB record made large messages
     * over TLS cost a system call each 16 KiB.
     */
    static final int BATCH_BYTES = 4 * CLASS_BYTES;

    /** The one pool of the process: TLS buffers are few and short-lived, so one cache serves every agent. */
    static final TlsBufferPool SHARED = new TlsBufferPool(CACHE_BUFFERS);

    private final ManyToManyConcurrentArrayQueue<ByteBuffer> free;
    private final ManyToManyConcurrentArrayQueue<ByteBuffer> freeBatches;
    private final AtomicLong inUseBytes = new AtomicLong();
    private final AtomicLong allocatedBytes = new AtomicLong();

    TlsBufferPool(final int cacheBuffers)
    {
        free = new ManyToManyConcurrentArrayQueue<>(cacheBuffers);
        freeBatches = new ManyToManyConcurrentArrayQueue<>(Math.max(1, cacheBuffers / 4));
    }

    /**
     * @param minBytes bytes needed.
     * @return a cleared direct buffer of at least {@code minBytes}, in fill mode.
     */
    ByteBuffer acquire(final int minBytes)
    {
        ByteBuffer buffer = null;
        if (minBytes <= CLASS_BYTES)
        {
            buffer = free.poll();
        }
        else if (minBytes <= BATCH_BYTES)
        {
            buffer = freeBatches.poll();
        }
        if (null == buffer)
        {
            final int size = minBytes <= CLASS_BYTES ? CLASS_BYTES : minBytes <= BATCH_BYTES ? BATCH_BYTES : minBytes;
            buffer = ByteBuffer.allocateDirect(size);
            allocatedBytes.addAndGet(size);
        }
        else
        {
            buffer.clear();
        }
        inUseBytes.addAndGet(buffer.capacity());
        return buffer;
    }

    /**
     * Gives a buffer back; the caller must drop every reference to it.
     *
     * @param buffer a buffer from {@link #acquire(int)}.
     */
    void release(final ByteBuffer buffer)
    {
        final int size = buffer.capacity();
        inUseBytes.addAndGet(-size);
        if (!(size == CLASS_BYTES ? free.offer(buffer) : size == BATCH_BYTES && freeBatches.offer(buffer)))
        {
            allocatedBytes.addAndGet(-size);
            BufferUtil.free(buffer);
        }
    }

    /** @return bytes of the buffers handed out and not given back. Any thread; a snapshot. */
    long inUseBytes()
    {
        return inUseBytes.get();
    }

    /** @return bytes of the buffers handed out or cached. Any thread; a snapshot. */
    long allocatedBytes()
    {
        return allocatedBytes.get();
    }
}
