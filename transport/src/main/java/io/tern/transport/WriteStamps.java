/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import org.HdrHistogram.SingleWriterRecorder;

/**
 * The stamps of one connection's messages that have been staged and not completely written yet: where each message
 * ends in the connection's output stream, when it was read and when it was routed. Owned by the connection's writer
 * thread; a fixed-size FIFO, garbage-free.
 * <p>
 * Positions count bytes staged for the connection since the stamps were last cleared, so they stay right however the
 * bytes move: from the writer's staging buffer, written in part, into the connection's unwritten-bytes buffer, and
 * out in a later (gathering) write. {@link Outbound#drainTo(java.nio.ByteBuffer, WriteStamps)} adds ends relative to
 * the staging buffer's start; the writer brackets each fill with {@link #beginFill()} and {@link #endFill(int)}, and
 * reports every write with {@link #onWritten(long, SingleWriterRecorder, SingleWriterRecorder)}.
 * <p>
 * "Written" means: the socket {@code write()} call that handed the message's last byte to the kernel has returned.
 * It says nothing of when the peer reads it. A staging fill is capped at {@link #CAPACITY} stamped messages (the
 * drain stops early when this is full), which bounds the memory at about 5 KiB per connection and still lets one
 * {@code write()} carry 256 messages.
 */
final class WriteStamps
{
    /** Stamped messages one staging fill may hold; a power of two. */
    static final int CAPACITY = 256;
    private static final int MASK = CAPACITY - 1;

    private final long[] endPositions = new long[CAPACITY];
    private final long[] readNs = new long[CAPACITY];
    private final long[] routeNs = new long[CAPACITY];
    private int head;
    private int tail;
    private long stagedBytes;
    private long writtenBytes;
    private long fillBase;

    boolean isFull()
    {
        return tail - head == CAPACITY;
    }

    boolean isEmpty()
    {
        return tail == head;
    }

    int size()
    {
        return tail - head;
    }

    /**
     * Starts a staging fill: the ends added until {@link #endFill(int)} are relative to the start of the (empty)
     * staging buffer, which comes after every byte staged before.
     */
    void beginFill()
    {
        fillBase = stagedBytes;
    }

    /**
     * Ends a staging fill.
     *
     * @param bytes bytes the fill staged.
     */
    void endFill(final int bytes)
    {
        stagedBytes += bytes;
        fillBase = stagedBytes;
    }

    /** @return bytes staged and not yet written. */
    long unwrittenBytes()
    {
        return stagedBytes - writtenBytes;
    }

    /**
     * Remembers a message just copied into the staging buffer.
     *
     * @param endPosition staging position just after its last byte (from the start of the buffer's current fill).
     * @param read        when its line was read.
     * @param route       when the broker began routing it.
     */
    void add(final int endPosition, final long read, final long route)
    {
        final int i = tail & MASK;
        endPositions[i] = fillBase + endPosition;
        readNs[i] = read;
        routeNs[i] = route;
        tail++;
    }

    /**
     * Counts the bytes a {@code write()} took and records the messages it completed (see
     * {@link #onWritten(long, SingleWriterRecorder, SingleWriterRecorder)}).
     *
     * @param bytes        bytes the write took.
     * @param routeToWrite the writer's recorder for route-to-write.
     * @param readToWrite  the writer's recorder for read-to-write.
     * @return messages recorded.
     */
    int onWrote(final long bytes, final SingleWriterRecorder routeToWrite, final SingleWriterRecorder readToWrite)
    {
        writtenBytes += bytes;
        return onWritten(writtenBytes, routeToWrite, readToWrite);
    }

    /**
     * Records the messages that the last {@code write()} completed: those ending at or before {@code position}. Takes
     * one clock reading, and only if at least one message completed.
     *
     * @param position     bytes written so far, counted as the end positions are.
     * @param routeToWrite the writer's recorder for route-to-write.
     * @param readToWrite  the writer's recorder for read-to-write.
     * @return messages recorded.
     */
    int onWritten(final long position, final SingleWriterRecorder routeToWrite, final SingleWriterRecorder readToWrite)
    {
        if (tail == head || endPositions[head & MASK] > position)
        {
            return 0;
        }
        final long writtenNs = System.nanoTime();
        int recorded = 0;
        do
        {
            final int i = head & MASK;
            LatencyRecorders.record(routeToWrite, writtenNs - routeNs[i]);
            LatencyRecorders.record(readToWrite, writtenNs - readNs[i]);
            head++;
            recorded++;
        }
        while (tail != head && endPositions[head & MASK] <= position);
        return recorded;
    }

    /** @return the end position of the i-th pending message (0 = oldest), in bytes staged. For tests. */
    long endPosition(final int i)
    {
        return endPositions[(head + i) & MASK];
    }

    /** @return the read stamp of the i-th pending message. For tests. */
    long readNs(final int i)
    {
        return readNs[(head + i) & MASK];
    }

    /** @return the route stamp of the i-th pending message. For tests. */
    long routeNs(final int i)
    {
        return routeNs[(head + i) & MASK];
    }

    /** Forgets every pending stamp and starts counting from zero again: the bytes were discarded. */
    void clear()
    {
        head = 0;
        tail = 0;
        stagedBytes = 0;
        writtenBytes = 0;
        fillBase = 0;
    }
}
