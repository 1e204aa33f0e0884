/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.BufferUtil;

/**
 * Direct buffers in size classes, for one owning thread: a reader (and the authenticator) keeps each connection's
 * partial line in one, a writer keeps what a partial write left unwritten in one. A buffer is taken when such bytes
 * appear and given back as soon as they are gone, so a connection between lines, or with everything written, holds
 * none.
 * <pre>
 *   class:  256  512  1 KiB  2 KiB ... largest power of two below maxBytes, then maxBytes itself
 *   free:   a stack per class, at most max(2, 256 KiB / class size) buffers deep
 * </pre>
 * A buffer given back to a full stack is freed at once ({@link BufferUtil#free(ByteBuffer)}), not left for a GC that
 * a garbage-free broker may never run: the memory held is the buffers in use plus a bounded cache. Acquire and release
 * allocate nothing while the cache holds a buffer of the class asked for.
 * <p>
 * Owner thread only, except the gauges ({@link #inUseBytes()}, {@link #allocatedBytes()}), which any thread may read.
 */
final class BufferPool
{
    /** The smallest buffer handed out. */
    static final int MIN_CLASS_BYTES = 256;
    private static final int CACHE_BYTES_PER_CLASS = 256 * 1024;

    private final int maxBytes;
    private final int[] classBytes;
    private final ByteBuffer[][] free;
    private final int[] freeCount;
    private final AtomicLong inUseBytes = new AtomicLong();
    private final AtomicLong allocatedBytes = new AtomicLong();
    private long inUse;
    private long allocated;

    /**
     * @param maxBytes the largest buffer that may be asked for; at least {@link #MIN_CLASS_BYTES}.
     */
    BufferPool(final int maxBytes)
    {
        if (maxBytes < MIN_CLASS_BYTES)
        {
            throw new IllegalArgumentException("maxBytes=" + maxBytes + ": must be at least " + MIN_CLASS_BYTES);
        }
        this.maxBytes = maxBytes;
        int classes = 1;
        for (long size = MIN_CLASS_BYTES; size < maxBytes; size <<= 1)
        {
            classes++;
        }
        classBytes = new int[classes];
        free = new ByteBuffer[classes][];
        freeCount = new int[classes];
        for (int i = 0; i < classes; i++)
        {
            classBytes[i] = i == classes - 1 ? maxBytes : MIN_CLASS_BYTES << i;
            free[i] = new ByteBuffer[Math.max(2, CACHE_BYTES_PER_CLASS / classBytes[i])];
        }
    }

    /** @return the largest buffer this pool hands out. */
    int maxBytes()
    {
        return maxBytes;
    }

    /**
     * @param minBytes bytes needed, at most {@link #maxBytes()}.
     * @return the capacity of the buffer {@link #acquire(int)} would hand out for them.
     */
    int classBytesFor(final int minBytes)
    {
        return classBytes[classOf(minBytes)];
    }

    /**
     * Takes a cleared buffer of at least {@code minBytes}. Owner thread only.
     *
     * @param minBytes bytes needed, 1 to {@link #maxBytes()}.
     * @return a buffer in fill mode, position 0, limit its capacity.
     */
    ByteBuffer acquire(final int minBytes)
    {
        final int c = classOf(minBytes);
        final int size = classBytes[c];
        ByteBuffer buffer;
        if (freeCount[c] > 0)
        {
            final int top = --freeCount[c];
            buffer = free[c][top];
            free[c][top] = null;
            buffer.clear();
        }
        else
        {
            buffer = ByteBuffer.allocateDirect(size);
            allocated += size;
            allocatedBytes.lazySet(allocated);
        }
        inUse += size;
        inUseBytes.lazySet(inUse);
        return buffer;
    }

    /**
     * Gives a buffer back; the caller must drop every reference to it. Owner thread only.
     *
     * @param buffer a buffer from {@link #acquire(int)} of this pool.
     */
    void release(final ByteBuffer buffer)
    {
        final int size = buffer.capacity();
        final int c = classOf(size);
        inUse -= size;
        inUseBytes.lazySet(inUse);
        if (freeCount[c] < free[c].length)
        {
            free[c][freeCount[c]++] = buffer;
        }
        else
        {
            allocated -= size;
            allocatedBytes.lazySet(allocated);
            BufferUtil.free(buffer);
        }
    }

    /** Frees every cached buffer. Owner thread only, once it will acquire no more. */
    void close()
    {
        for (int c = 0; c < free.length; c++)
        {
            for (int i = 0; i < freeCount[c]; i++)
            {
                allocated -= free[c][i].capacity();
                BufferUtil.free(free[c][i]);
                free[c][i] = null;
            }
            freeCount[c] = 0;
        }
        allocatedBytes.lazySet(allocated);
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

    private int classOf(final int bytes)
    {
        if (bytes > maxBytes || bytes < 1)
        {
            throw new IllegalArgumentException("bytes=" + bytes + ": must be 1 to " + maxBytes);
        }
        if (bytes <= MIN_CLASS_BYTES)
        {
            return 0;
        }
        final int c = 32 - Integer.numberOfLeadingZeros(bytes - 1) - 8; // ceil(log2(bytes)) - log2(256)
        return Math.min(c, classBytes.length - 1);
    }
}
