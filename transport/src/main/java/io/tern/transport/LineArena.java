/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where a reader keeps the bytes of lines it has published but the broker has not routed yet: one single-producer
 * (the reader), single-consumer (the broker) circular buffer per reader.
 * <p>
 * Disruptor events stay small and fixed (a type, a connection, an offset and a length); the line itself lives here,
 * so the ring's memory does not scale with the longest line. Lines are stored contiguously; a line that does not fit
 * before the end starts again at offset 0 and the tail is skipped. Positions only grow: the reader owns
 * {@code appendPosition}, the broker publishes how far it has consumed with {@link #releaseTo(long)}.
 * <pre>
 *   0                                                              capacity
 *   |  free  |  line  | line | line ...   (unrouted)   | claim ...  free  |
 *            ^ released position (broker)               ^ append position (reader)
 * </pre>
 * The reader reads sockets straight into free space: {@link #tryClaim(int, int)} finds a contiguous free stretch
 * after the append position (or at offset 0, skipping the tail), the reader reads into it, and
 * {@link #commit(int)} makes each complete line found there part of the arena where it landed, without a copy. Bytes
 * claimed and not committed are not the broker's: the next claim may reuse them.
 */
public final class LineArena
{
    private final UnsafeBuffer buffer;
    private final int capacity;
    private final ReleasedPosition released = new ReleasedPosition();

    // reader-owned
    private long appendPosition;
    private long lastOffset;
    private long lastEndPosition;
    // the stretch last claimed: its start as a position and as an offset
    private long claimPosition;
    private int claimOffset;

    /**
     * @param capacityBytes size of the arena; at least twice the longest line so a line always fits once the broker
     *                      has caught up.
     */
    public LineArena(final int capacityBytes)
    {
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(
            BitUtil.align(capacityBytes, BitUtil.CACHE_LINE_LENGTH), BitUtil.CACHE_LINE_LENGTH);
        buffer = new UnsafeBuffer(memory);
        capacity = buffer.capacity();
    }

    /** @return the arena's bytes, to read a line at the offset given in its event. Broker thread. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** @return the arena's bytes, for the reader to read sockets into and frame lines in. Reader thread. */
    UnsafeBuffer readerBuffer()
    {
        return buffer;
    }

    /**
     * Copies a line in. Reader thread only. On success, {@link #lastOffset()} and {@link #lastEndPosition()} describe
     * where it went.
     *
     * @param src    source buffer.
     * @param index  first byte in {@code src}.
     * @param length bytes to copy; may be zero.
     * @return false if the arena is too full right now (the broker is behind); nothing was copied.
     */
    boolean tryAppend(final ByteBuffer src, final int index, final int length)
    {
        return tryAppend(null, 0, src, index, length);
    }

    /**
     * Copies a line given in two parts in, one after the other: the start of a line kept from earlier reads and the
     * rest from the latest read. Reader thread only; as {@link #tryAppend(ByteBuffer, int, int)}.
     *
     * @param head       the line's first bytes, from index 0; may be null when {@code headLength} is 0.
     * @param headLength bytes of {@code head}.
     * @param src        the rest.
     * @param index      first byte of the rest in {@code src}.
     * @param length     bytes of the rest.
     * @return false if the arena is too full right now (the broker is behind); nothing was copied.
     */
    boolean tryAppend(final ByteBuffer head, final int headLength, final ByteBuffer src, final int index,
        final int length)
    {
        final int total = headLength + length;
        long position = appendPosition;
        final int offset = (int)(position % capacity);
        if (offset + total > capacity)
        {
            position += capacity - offset; // skip the tail, start again at 0
        }
        final long end = position + total;
        if (end - released.get() > capacity)
        {
            return false;
        }
        final int start = (int)(position % capacity);
        if (headLength > 0)
        {
            buffer.putBytes(start, head, 0, headLength);
        }
        if (length > 0)
        {
            buffer.putBytes(start + headLength, src, index, length);
        }
        appendPosition = end;
        lastOffset = start;
        lastEndPosition = end;
        return true;
    }

    /**
     * Copies a record in, for a producer that is not a reader (the cluster's agent hands remote messages to the broker
     * through an arena of its own). That producer's thread only, one producer per arena; never blocks, never allocates.
     *
     * @param src    source buffer.
     * @param index  first byte in {@code src}.
     * @param length bytes to copy; may be zero.
     * @return the offset in {@link #buffer()} where the bytes went, or -1 if the arena is too full right now; the
     * position to release them is then {@link #appendPosition()}.
     */
    public int tryAppend(final DirectBuffer src, final int index, final int length)
    {
        long position = appendPosition;
        final int offset = (int)(position % capacity);
        if (offset + length > capacity)
        {
            position += capacity - offset; // skip the tail, start again at 0
        }
        final long end = position + length;
        if (end - released.get() > capacity)
        {
            return -1;
        }
        final int start = (int)(position % capacity);
        buffer.putBytes(start, src, index, length);
        appendPosition = end;
        return start;
    }

    /**
     * Claims a contiguous stretch of free space for the reader to fill (a socket read), after the append position or,
     * if that leaves more room, from offset 0 with the tail skipped. Nothing is published and nothing moves until
     * {@link #commit(int)}. Reader thread only.
     *
     * @param minBytes the fewest bytes worth claiming.
     * @param maxBytes the most bytes wanted.
     * @return bytes claimed from {@link #claimOffset()}, {@code minBytes} to {@code maxBytes}; 0 if no stretch of
     * {@code minBytes} is free right now (the broker is behind).
     */
    int tryClaim(final int minBytes, final int maxBytes)
    {
        final long position = appendPosition;
        final int offset = (int)(position % capacity);
        final long free = capacity - (position - released.get());
        final int tail = capacity - offset;
        final int tailFree = (int)Math.min(tail, free);
        final int headFree = (int)Math.max(0, free - tail); // from offset 0, once the tail is skipped
        if (tailFree >= maxBytes || (tailFree >= minBytes && tailFree >= headFree))
        {
            claimPosition = position;
            claimOffset = offset;
            return Math.min(tailFree, maxBytes);
        }
        if (headFree >= minBytes)
        {
            claimPosition = position + tail;
            claimOffset = 0;
            return Math.min(headFree, maxBytes);
        }
        return 0;
    }

    /**
     * Moves the start of the last claim forward to {@code offset} (within it, after everything committed) and claims
     * the contiguous free stretch from there, for a read that continues the bytes already there: a line still open
     * at the end of a read that filled its claim stays where it is while the same socket is read again behind it.
     * Never skips the tail. Reader thread only.
     *
     * @param offset   where the claim now starts in {@link #buffer()}: within the last claim, at or after the last
     *                 commit.
     * @param minBytes the fewest bytes from {@code offset} worth claiming.
     * @param maxBytes the most bytes wanted from {@code offset}.
     * @return bytes claimed from {@code offset}, {@code minBytes} to {@code maxBytes}; 0 if fewer than {@code minBytes}
     * are free there right now (the last claim is then unchanged).
     */
    int tryClaimFrom(final int offset, final int minBytes, final int maxBytes)
    {
        final long position = claimPosition + (offset - claimOffset);
        final long free = capacity - (position - released.get());
        final int room = (int)Math.min(capacity - offset, free);
        if (room < minBytes)
        {
            return 0;
        }
        claimPosition = position;
        claimOffset = offset;
        return Math.min(room, maxBytes);
    }

    /** @return where the stretch last claimed starts in {@link #buffer()}. Reader thread. */
    int claimOffset()
    {
        return claimOffset;
    }

    /**
     * Publishes the claimed bytes up to {@code endOffset} (lines, each contiguous; what lies between them, such as
     * line ends, is simply released with them). Reader thread only, with non-decreasing offsets within the last claim.
     *
     * @param endOffset offset in {@link #buffer()} just after the last byte to keep, within the last claim.
     * @return the position to release once the broker is done with the bytes before it.
     */
    long commit(final int endOffset)
    {
        final long end = claimPosition + (endOffset - claimOffset);
        appendPosition = end;
        return end;
    }

    /** @return the arena's size in bytes (its capacity rounded up to a cache line). Any thread. */
    int capacity()
    {
        return capacity;
    }

    long lastOffset()
    {
        return lastOffset;
    }

    long lastEndPosition()
    {
        return lastEndPosition;
    }

    /** @return the position the next line would end at if empty; for events that carry no bytes. Producer thread. */
    public long appendPosition()
    {
        return appendPosition;
    }

    /**
     * Frees every byte up to {@code endPosition}. Broker thread only, with non-decreasing positions.
     *
     * @param endPosition the end position carried by the event just handled.
     */
    public void releaseTo(final long endPosition)
    {
        released.setRelease(endPosition);
    }

    /** @return bytes held for lines not yet routed. Reader thread. */
    long usedBytes()
    {
        return appendPosition - released.get();
    }

    /** A padded position so the broker's writes do not share a cache line with the reader's fields. */
    @SuppressWarnings("unused")
    static final class ReleasedPosition extends java.util.concurrent.atomic.AtomicLong
    {
        long p1, p2, p3, p4, p5, p6, p7;
    }
}
