/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * One link of a peer's {@link Outbound} chain: an Agrona {@link OneToOneRingBuffer} over pooled, aligned direct
 * memory of a power-of-two capacity, taken from and given back to the {@link OutboundSegmentPool} by the broker thread.
 * <p>
 * {@link #next} is the only field that crosses threads while the segment is linked: the broker (producer) sets it once,
 * with a release store, after its last write into this segment; the writer (consumer) reads it with an acquire load,
 * so every record written before the link is visible to it. The pool's own fields are the broker's.
 */
final class OutboundSegment
{
    final int sizeClass;
    final int capacityBytes;
    /** The whole allocation, freed explicitly ({@code BufferUtil.free}) when the pool shrinks. */
    final ByteBuffer memory;
    final UnsafeBuffer buffer;
    final OneToOneRingBuffer ring;
    /** The largest record written to this segment: a message longer than it takes several. */
    final int maxFragmentBytes;
    /** Room kept free for the padding record a record that does not fit before the end of the ring is preceded by. */
    final int wrapAllowanceBytes;

    /** The next (newer) segment of the chain, null while this is the tail. Broker writes, writer reads. */
    volatile OutboundSegment next;
    /** The next free segment of the same class in the pool. Broker thread only. */
    OutboundSegment nextFree;

    OutboundSegment(final int sizeClass, final int capacityBytes, final int writeBufferBytes)
    {
        this.sizeClass = sizeClass;
        this.capacityBytes = capacityBytes;
        // Not BufferUtil.allocateDirectAligned: that returns a slice, which cannot be freed explicitly.
        final int lengthBytes = capacityBytes + RingBufferDescriptor.TRAILER_LENGTH;
        memory = ByteBuffer.allocateDirect(lengthBytes + BitUtil.CACHE_LINE_LENGTH);
        final long address = BufferUtil.address(memory);
        final int offset = (int)(BitUtil.align(address, BitUtil.CACHE_LINE_LENGTH) - address);
        buffer = new UnsafeBuffer(memory, offset, lengthBytes);
        ring = new OneToOneRingBuffer(buffer);
        maxFragmentBytes = maxFragmentBytes(capacityBytes, writeBufferBytes);
        wrapAllowanceBytes = wrapAllowanceBytes(maxFragmentBytes);
    }

    /** @return the direct memory this segment takes, ring and trailer. */
    long memoryBytes()
    {
        return memoryBytes(capacityBytes);
    }

    /**
     * @param capacityBytes a ring capacity, a power of two.
     * @return the direct memory a segment of that capacity takes, ring and trailer.
     */
    static long memoryBytes(final int capacityBytes)
    {
        return capacityBytes + (long)RingBufferDescriptor.TRAILER_LENGTH + BitUtil.CACHE_LINE_LENGTH;
    }

    /**
     * @param capacityBytes    a ring capacity, a power of two.
     * @param writeBufferBytes the writer's staging buffer, which must take any record whole.
     * @return the largest record a segment of that capacity takes: Agrona's limit (an eighth of the ring) or the
     * staging buffer, whichever is smaller.
     */
    static int maxFragmentBytes(final int capacityBytes, final int writeBufferBytes)
    {
        return Math.min(capacityBytes >> 3, writeBufferBytes);
    }

    private static int wrapAllowanceBytes(final int maxFragmentBytes)
    {
        return BitUtil.align(maxFragmentBytes + RecordDescriptor.HEADER_LENGTH, RecordDescriptor.ALIGNMENT);
    }

    /**
     * @param capacityBytes    a ring capacity, a power of two.
     * @param writeBufferBytes the writer's staging buffer.
     * @param recordBytes      a message's bytes, stamps included.
     * @return the free capacity the message needs in an empty segment of that capacity.
     */
    static long neededBytesIn(final int capacityBytes, final int writeBufferBytes, final int recordBytes)
    {
        final int maxFragmentBytes = maxFragmentBytes(capacityBytes, writeBufferBytes);
        return neededBytesOf(maxFragmentBytes, wrapAllowanceBytes(maxFragmentBytes), recordBytes);
    }

    private static long neededBytesOf(final int maxFragmentBytes, final int wrapAllowanceBytes, final int recordBytes)
    {
        final int fragments = (recordBytes + maxFragmentBytes - 1) / maxFragmentBytes;
        return (long)fragments * (RecordDescriptor.HEADER_LENGTH + RecordDescriptor.ALIGNMENT) + recordBytes +
            wrapAllowanceBytes;
    }

    /**
     * The room a message needs in this ring: every fragment's header and alignment, and a wrap's padding.
     *
     * @param recordBytes the message's bytes, stamps included.
     * @return bytes of free capacity it needs.
     */
    long neededBytes(final int recordBytes)
    {
        return neededBytesOf(maxFragmentBytes, wrapAllowanceBytes, recordBytes);
    }

    /**
     * Makes the ring empty again for its next peer, whatever the last one left unread (a cut connection leaves
     * records behind): positions back to zero and the first record header cleared. Agrona's producer clears the header
     * after each record it claims and its consumer stops at a zero length, so stale bytes further on are never read.
     * Broker thread, while no writer can reach the segment; garbage-free.
     */
    void reset()
    {
        buffer.setMemory(capacityBytes, RingBufferDescriptor.TRAILER_LENGTH, (byte)0);
        buffer.putLong(0, 0L);
        next = null;
        nextFree = null;
    }
}
