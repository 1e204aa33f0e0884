/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import org.HdrHistogram.SingleWriterRecorder;

/**
 * The stamps of the messages in one connection's staging buffer that have not been completely written yet: where
 * each message ends in the buffer, when it was read and when it was routed. Owned by the connection's writer thread;
 * a fixed-size FIFO, garbage-free.
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

    private final int[] endPositions = new int[CAPACITY];
    private final long[] readNs = new long[CAPACITY];
    private final long[] routeNs = new long[CAPACITY];
    private int head;
    private int tail;

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
     * Remembers a message just copied into the staging buffer.
     *
     * @param endPosition staging position just after its last byte.
     * @param read        when its line was read.
     * @param route       when the broker began routing it.
     */
    void add(final int endPosition, final long read, final long route)
    {
        final int i = tail & MASK;
        endPositions[i] = endPosition;
        readNs[i] = read;
        routeNs[i] = route;
        tail++;
    }

    /**
     * Records the messages that the last {@code write()} completed: those ending at or before {@code position}. Takes
     * one clock reading, and only if at least one message completed.
     *
     * @param position     the staging buffer's position after the write.
     * @param routeToWrite the writer's recorder for route-to-write.
     * @param readToWrite  the writer's recorder for read-to-write.
     * @return messages recorded.
     */
    int onWritten(final int position, final SingleWriterRecorder routeToWrite, final SingleWriterRecorder readToWrite)
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

    /** @return the staging end position of the i-th pending message (0 = oldest). For tests. */
    int endPosition(final int i)
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

    /** Forgets every pending stamp: the bytes were discarded. */
    void clear()
    {
        head = 0;
        tail = 0;
    }
}
