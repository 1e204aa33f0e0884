/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * A peer's outbound bytes: an Agrona {@link OneToOneRingBuffer} whose one producer is the broker thread and whose one
 * consumer is the peer's writer thread.
 * <p>
 * The ring carries a plain byte stream cut into records of at most {@link #maxFragmentBytes()}: a message larger than
 * one record is written as several consecutive records, so the ring need only be twice the largest message rather
 * than eight times (Agrona's limit on one record). A message is admitted whole or not at all ({@link #tryBegin(int)}),
 * so a reader of the socket never sees a partial line unless the connection is cut.
 * <p>
 * A message begun with {@link #tryBegin(int, long, long)} is <em>stamped</em>: its last record carries the times its
 * line was read and routed ({@link OutboundDescriptor}), which the writer strips while staging and keeps in the
 * connection's {@link WriteStamps} until the message's last byte is written.
 * <pre>
 *   broker:  tryBegin(len[, readNs, routeNs]) ─▶ append(...)* ─▶ commit()   (garbage-free; false = slow consumer)
 *   writer:  drainTo(staging, stamps) copies whole records while they fit, then writes staging to the socket
 * </pre>
 */
public final class Outbound implements ControlledMessageHandler
{
    private final OneToOneRingBuffer ring;
    private final AtomicBuffer buffer;
    private final int maxFragmentBytes;
    private final int wrapAllowanceBytes;

    // producer (broker thread) state
    private int claimIndex = -1;
    private int claimDataIndex;
    private int claimLength;
    private int claimFilled;
    private int unclaimedBytes;
    private boolean stamped;
    private long stampReadNs;
    private long stampRouteNs;

    // consumer (writer thread) state
    private ByteBuffer drainTarget;
    private WriteStamps drainStamps;

    Outbound(final int capacityBytes, final int writeBufferBytes)
    {
        this(allocateRing(capacityBytes), writeBufferBytes);
    }

    /**
     * @param capacityBytes the ring's capacity, a power of two.
     * @return aligned direct memory for a ring of that capacity and its trailer.
     */
    static ByteBuffer allocateRing(final int capacityBytes)
    {
        return BufferUtil.allocateDirectAligned(
            capacityBytes + RingBufferDescriptor.TRAILER_LENGTH, BitUtil.CACHE_LINE_LENGTH);
    }

    /**
     * A ring over memory that may have served an earlier connection: it is cleared first, since the ring's consumer
     * reads records until it meets a zero length and a cut connection leaves unread records behind.
     *
     * @param memory           aligned direct memory: the ring's capacity (a power of two) plus its trailer.
     * @param writeBufferBytes the writer's staging buffer size, which bounds a record.
     */
    Outbound(final ByteBuffer memory, final int writeBufferBytes)
    {
        buffer = new UnsafeBuffer(memory);
        buffer.setMemory(0, buffer.capacity(), (byte)0);
        ring = new OneToOneRingBuffer(buffer);
        maxFragmentBytes = Math.min(ring.maxMsgLength(), writeBufferBytes);
        // A record that does not fit before the end of the ring is preceded by padding up to the end.
        wrapAllowanceBytes = BitUtil.align(maxFragmentBytes + RecordDescriptor.HEADER_LENGTH, RecordDescriptor.ALIGNMENT);
    }

    /** @return the ring's capacity in bytes. */
    public int capacityBytes()
    {
        return ring.capacity();
    }

    /** @return the largest record written to the ring; longer messages take several. */
    public int maxFragmentBytes()
    {
        return maxFragmentBytes;
    }

    /**
     * Starts a message of {@code lengthBytes} if the ring has room for all of it. Broker thread only.
     *
     * @param lengthBytes the message length, greater than zero.
     * @return true if the caller must now {@code append} exactly {@code lengthBytes} and {@link #commit()}; false if
     * the ring is too full, in which case nothing was written.
     */
    public boolean tryBegin(final int lengthBytes)
    {
        return begin(lengthBytes, false, 0, 0);
    }

    /**
     * Starts a stamped message of {@code lengthBytes} if the ring has room for all of it and its stamps: the writer
     * records its route-to-write and read-to-write latencies once its last byte is written. Broker thread only.
     *
     * @param lengthBytes the message length, greater than zero.
     * @param readNs      {@link System#nanoTime()} of the socket read that completed the line it answers.
     * @param routeNs     {@link System#nanoTime()} when the broker began routing that line.
     * @return as {@link #tryBegin(int)}.
     */
    public boolean tryBegin(final int lengthBytes, final long readNs, final long routeNs)
    {
        return begin(lengthBytes, true, readNs, routeNs);
    }

    private boolean begin(final int lengthBytes, final boolean stamp, final long readNs, final long routeNs)
    {
        // The stamps travel in the last record, so they count towards its fragments and bytes like data.
        final int recordBytes = stamp ? lengthBytes + OutboundDescriptor.STAMP_LENGTH : lengthBytes;
        final int fragments = (recordBytes + maxFragmentBytes - 1) / maxFragmentBytes;
        final long neededBytes = (long)fragments * (RecordDescriptor.HEADER_LENGTH + RecordDescriptor.ALIGNMENT) +
            recordBytes + wrapAllowanceBytes;
        if (ring.capacity() - ring.size() < neededBytes)
        {
            return false;
        }
        unclaimedBytes = lengthBytes;
        claimIndex = -1;
        stamped = stamp;
        stampReadNs = readNs;
        stampRouteNs = routeNs;
        return true;
    }

    /**
     * Appends bytes to the message begun by {@link #tryBegin(int)}. Broker thread only.
     *
     * @param src    source.
     * @param offset first byte.
     * @param length bytes to copy.
     */
    public void append(final DirectBuffer src, final int offset, final int length)
    {
        int done = 0;
        while (done < length)
        {
            if (claimFilled == claimLength)
            {
                nextFragment();
            }
            final int n = Math.min(length - done, claimLength - claimFilled);
            buffer.putBytes(claimDataIndex + claimFilled, src, offset + done, n);
            claimFilled += n;
            done += n;
        }
    }

    /**
     * Appends bytes to the message begun by {@link #tryBegin(int)}. Broker thread only.
     *
     * @param src bytes to copy, all of them.
     */
    public void append(final byte[] src)
    {
        int done = 0;
        while (done < src.length)
        {
            if (claimFilled == claimLength)
            {
                nextFragment();
            }
            final int n = Math.min(src.length - done, claimLength - claimFilled);
            buffer.putBytes(claimDataIndex + claimFilled, src, done, n);
            claimFilled += n;
            done += n;
        }
    }

    /**
     * Appends one byte to the message begun by {@link #tryBegin(int)}. Broker thread only.
     *
     * @param b the byte.
     */
    public void append(final byte b)
    {
        if (claimFilled == claimLength)
        {
            nextFragment();
        }
        buffer.putByte(claimDataIndex + claimFilled, b);
        claimFilled++;
    }

    /** Makes the message visible to the writer. Broker thread only. */
    public void commit()
    {
        if (unclaimedBytes != 0 || claimFilled != claimLength || claimIndex < 0)
        {
            throw new IllegalStateException("message length does not match tryBegin: " + unclaimedBytes +
                " bytes never appended");
        }
        ring.commit(claimIndex);
        claimIndex = -1;
        claimLength = 0;
        claimFilled = 0;
        stamped = false;
    }

    private void nextFragment()
    {
        if (claimIndex >= 0)
        {
            ring.commit(claimIndex);
        }
        if (unclaimedBytes == 0)
        {
            throw new IllegalStateException("appended more than the length given to tryBegin");
        }
        final boolean last = stamped && unclaimedBytes + OutboundDescriptor.STAMP_LENGTH <= maxFragmentBytes;
        if (last)
        {
            claimLength = unclaimedBytes;
            claimIndex = ring.tryClaim(OutboundDescriptor.STAMPED_TYPE_ID, claimLength + OutboundDescriptor.STAMP_LENGTH);
            claimDataIndex = claimIndex + OutboundDescriptor.STAMP_LENGTH;
        }
        else
        {
            // A stamped message keeps at least one byte back for the record that carries its stamps.
            claimLength = stamped ?
                Math.min(maxFragmentBytes, unclaimedBytes - 1) : Math.min(unclaimedBytes, maxFragmentBytes);
            claimIndex = ring.tryClaim(OutboundDescriptor.DATA_TYPE_ID, claimLength);
            claimDataIndex = claimIndex;
        }
        if (claimIndex < 0)
        {
            // tryBegin reserved room for every fragment and only the consumer frees space, so this is a bug.
            throw new IllegalStateException("outbound ring refused a fragment that tryBegin admitted");
        }
        if (last)
        {
            buffer.putLong(claimIndex + OutboundDescriptor.READ_NS_OFFSET, stampReadNs);
            buffer.putLong(claimIndex + OutboundDescriptor.ROUTE_NS_OFFSET, stampRouteNs);
        }
        unclaimedBytes -= claimLength;
        claimFilled = 0;
    }

    /**
     * Moves whole records into {@code target} while they fit, dropping any stamps. Writer thread only; garbage-free.
     *
     * @param target a buffer in fill mode with at least {@link #maxFragmentBytes()} remaining when empty.
     * @return the number of bytes moved.
     */
    int drainTo(final ByteBuffer target)
    {
        return drainTo(target, null);
    }

    /**
     * Moves whole records into {@code target} while they fit, and the stamps of each stamped message moved into
     * {@code stamps} while it has room. Writer thread only; garbage-free.
     *
     * @param target a buffer in fill mode with at least {@link #maxFragmentBytes()} remaining when empty.
     * @param stamps where to keep the stamps of the messages staged, or null to drop them; must be empty when
     *               {@code target} is.
     * @return the number of bytes moved.
     */
    int drainTo(final ByteBuffer target, final WriteStamps stamps)
    {
        final int start = target.position();
        drainTarget = target;
        drainStamps = stamps;
        long consumedBefore;
        do
        {
            // One controlledRead stops at the end of the buffer (after any padding record), so go round again
            // while it makes progress: otherwise bytes that wrapped to the start would wait for the next message.
            consumedBefore = ring.consumerPosition();
            ring.controlledRead(this);
        }
        while (ring.consumerPosition() != consumedBefore && target.hasRemaining());
        drainTarget = null;
        drainStamps = null;
        return target.position() - start;
    }

    /** @return bytes queued and not yet taken by the writer. Any thread; a snapshot. */
    public int queuedBytes()
    {
        return ring.size();
    }

    /** Called by the ring for each record during {@link #drainTo(ByteBuffer)}. */
    @Override
    public Action onMessage(final int msgTypeId, final org.agrona.MutableDirectBuffer src, final int index,
        final int length)
    {
        final ByteBuffer target = drainTarget;
        if (msgTypeId == OutboundDescriptor.STAMPED_TYPE_ID)
        {
            OutboundDescriptor.checkStampedLength(length);
            final int dataLength = length - OutboundDescriptor.STAMP_LENGTH;
            final WriteStamps stamps = drainStamps;
            if (target.remaining() < dataLength || (null != stamps && stamps.isFull()))
            {
                return Action.ABORT;
            }
            final int position = target.position();
            src.getBytes(index + OutboundDescriptor.STAMP_LENGTH, target, position, dataLength);
            target.position(position + dataLength);
            if (null != stamps)
            {
                stamps.add(position + dataLength, src.getLong(index + OutboundDescriptor.READ_NS_OFFSET),
                    src.getLong(index + OutboundDescriptor.ROUTE_NS_OFFSET));
            }
            return Action.CONTINUE;
        }
        if (target.remaining() < length)
        {
            return Action.ABORT;
        }
        final int position = target.position();
        src.getBytes(index, target, position, length);
        target.position(position + length);
        return Action.CONTINUE;
    }
}
