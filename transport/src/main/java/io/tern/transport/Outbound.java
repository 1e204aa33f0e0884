/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A peer's outbound bytes: a short chain of Agrona {@link OneToOneRingBuffer} segments ({@link OutboundSegment}) whose
 * one producer is the broker thread and whose one consumer is the peer's writer thread. A peer with nothing queued
 * holds no segment; bytes queued take segments from the broker's {@link OutboundSegmentPool} in proportion, and give
 * them back once written.
 * <pre>
 *   oldest ──▶ ... ──▶ head ──next──▶ ... ──next──▶ tail
 *   (broker: reclaims    (writer: drains    (broker: writes; links a bigger segment when a message does not fit,
 *    behind head)         and moves on)      within the per-peer bound and the global budget)
 * </pre>
 * The ring carries a plain byte stream cut into records of at most a segment's {@code maxFragmentBytes}: a message
 * larger than one record is written as several consecutive records of one segment, so a segment need only be twice
 * the largest message rather than eight times (Agrona's limit on one record). A message is admitted whole into one
 * segment or not at all ({@link #tryBegin(int)}), so a reader of the socket never sees a partial line unless the
 * connection is cut.
 * <p>
 * A message begun with {@link #tryBegin(int, long, long)} is <em>stamped</em>: its last record carries the times its
 * line was read and routed ({@link OutboundDescriptor}), which the writer strips while staging and keeps in the
 * connection's {@link WriteStamps} until the message's last byte is written.
 * <pre>
 *   broker:  tryBegin(len[, readNs, routeNs]) ─▶ append(...)* ─▶ commit()   (garbage-free; false = slow consumer)
 *   writer:  drainTo(staging, stamps) copies whole records while they fit, then writes staging to the socket
 * </pre>
 * <b>Moving on.</b> The broker links a new segment ({@code next}, a release store) only after its last write into the
 * tail, and never writes into a segment again once it has a next. The writer, finding its head empty, loads
 * {@code next} (acquire); if it is set, everything written into the head is visible, so it drains the head once more,
 * then publishes the next segment as its {@code head} (release). The broker gives back the segments behind the
 * published head whenever it touches the peer.
 * <p>
 * <b>Idle peers.</b> The writer sets {@code idle} (release) at the end of a visit that found the chain empty and its
 * staging buffer written, when it has no write interest and is not queued to come back: it will not touch this
 * outbound again until the broker schedules the connection. When it takes the connection from its queue it clears
 * {@code idle} before it clears {@code scheduled}. The broker gives back the last segment when it loads, in this
 * order, {@code scheduled == false} and {@code idle == true} (both acquire), and finds the chain empty (a single
 * segment, its producer and consumer positions equal). Why the writer cannot touch that segment afterwards: reading
 * {@code scheduled == false} synchronises with the writer's latest dequeue, which cleared {@code idle} before it; so
 * {@code idle == true} was set after that dequeue, at the end of its visits, after the writer's last read of the
 * segment. Only the broker sets {@code scheduled}, so the writer takes the connection again only after the broker
 * has scheduled it, which it does only after writing into a new chain (whose {@code head} it publishes first). Write
 * readiness ({@code OP_WRITE}) and the writer's "again" list reach a connection only between a dequeue and the
 * {@code idle} that ends it (a visit that empties the chain while the connection is still in "again" does not set
 * {@code idle}: the visit from "again" does, and write interest is dropped before {@code idle} is set), and the
 * close paths only once the broker asked for the close, after which the broker never reclaims: the writer hands the
 * whole chain back ({@link OutboundSegmentPool#returnChain(Outbound)}).
 */
public final class Outbound implements ControlledMessageHandler
{
    private static final long NOT_SEEN_IDLE = Long.MIN_VALUE;

    private final OutboundSegmentPool pool;
    private final Connection connection;
    private final AtomicCounter takenCounter;

    // producer (broker thread) state
    private OutboundSegment tail;
    private OutboundSegment oldest;
    private long heldBytes;
    private int nextClass;
    private boolean closeRequested;
    /** When a scan first found it idle and drained, or {@link #NOT_SEEN_IDLE}; broker thread. */
    private long idleSeenNs = NOT_SEEN_IDLE;
    /**
     * Chains taken by this peer from an empty outbound, counted up to 2: only a peer that took a second one has the
     * grace before its memory goes back ({@link #releaseIfIdle}). A byte, which keeps the object at 128 bytes.
     */
    private byte chainsTaken;
    private long committedBytes;
    /** Its index in the pool's list of holders, or -1: written by the pool, broker thread. */
    int holderIndex = -1;
    private int claimIndex = -1;
    private int claimDataIndex;
    private int claimLength;
    private int claimFilled;
    private int unclaimedBytes;
    private int messageBytes;
    private boolean stamped;
    private long stampReadNs;
    private long stampRouteNs;

    // consumer (writer thread) state, published to the broker
    /** The segment the writer drains; null while the chain is empty. See the class comment for who writes it when. */
    private volatile OutboundSegment head;
    /** Set by the writer when it will not touch this outbound until scheduled again. */
    private volatile boolean idle = true;
    /** Bytes the writer has taken: read by the broker only once the chain has been handed back. */
    private long drainedBytes;
    private ByteBuffer drainTarget;
    private WriteStamps drainStamps;

    /**
     * @param pool       the broker's segments; its thread is this outbound's producer.
     * @param connection   the connection whose bytes these are.
     * @param takenCounter counts the bytes its writer takes from outbounds; written by that writer only.
     */
    Outbound(final OutboundSegmentPool pool, final Connection connection, final AtomicCounter takenCounter)
    {
        this.pool = pool;
        this.connection = connection;
        this.takenCounter = takenCounter;
    }

    /**
     * An outbound with a pool of its own and no connection, for one thread that plays the broker and the writer
     * (tests): never reclaimed as idle, never cut by the budget.
     *
     * @param maxQueuedBytes   the per-peer bound.
     * @param writeBufferBytes the staging buffer, which bounds a record.
     */
    Outbound(final int maxQueuedBytes, final int writeBufferBytes)
    {
        this(OutboundSegmentPool.standalone(maxQueuedBytes, 4L * maxQueuedBytes + (16 << 20), writeBufferBytes), null,
            TransportCounters.newCountersManager(1).newCounter("taken"));
    }

    /** @return the largest record written to a segment; longer messages take several. */
    public int maxFragmentBytes()
    {
        return pool.writeBufferBytes();
    }

    /** @return the connection whose bytes these are. */
    Connection connection()
    {
        return connection;
    }

    /** @return the direct memory of the segments this peer holds. Broker thread. */
    public long heldBytes()
    {
        return heldBytes;
    }

    /** @return bytes of the messages committed to this peer since it connected (for /connz). Broker thread. */
    public long committedBytes()
    {
        return committedBytes;
    }

    /** @return the most bytes that may be queued for this peer before it is a slow consumer. */
    public long maxQueuedBytes()
    {
        return pool.maxQueuedBytesPerPeer();
    }

    /**
     * Starts a message of {@code lengthBytes} if the peer has room for all of it. Broker thread only.
     *
     * @param lengthBytes the message length, greater than zero.
     * @return true if the caller must now {@code append} exactly {@code lengthBytes} and {@link #commit()}; false if
     * the peer is a slow consumer: its queue would pass the per-peer bound, or the budget ran out and it has the
     * largest backlog. Nothing was written then.
     */
    public boolean tryBegin(final int lengthBytes)
    {
        return begin(lengthBytes, false, 0, 0);
    }

    /**
     * Starts a stamped message of {@code lengthBytes} if the peer has room for all of it and its stamps: the writer
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
        if (closeRequested)
        {
            return false;
        }
        idleSeenNs = NOT_SEEN_IDLE; // busy again: its idle time starts over
        // The stamps travel in the last record, so they count towards its fragments and bytes like data.
        final int recordBytes = stamp ? lengthBytes + OutboundDescriptor.STAMP_LENGTH : lengthBytes;
        OutboundSegment segment = tail;
        boolean fits = false;
        if (null != segment)
        {
            releaseBehindHead();
            final int tailQueuedBytes = segment.ring.size();
            // One segment is the common case: its size is the whole queue, read once.
            final long queuedBytes = oldest == segment ? tailQueuedBytes : queuedBytes();
            final long neededBytes = segment.neededBytes(recordBytes);
            // What the message adds to the queue, record headers included (at most: the wrap's padding aside).
            if (queuedBytes + neededBytes - segment.wrapAllowanceBytes > pool.maxQueuedBytesPerPeer())
            {
                return false;
            }
            fits = segment.capacityBytes - tailQueuedBytes >= neededBytes;
        }
        if (!fits)
        {
            segment = link(recordBytes);
            if (null == segment)
            {
                return false;
            }
        }
        unclaimedBytes = lengthBytes;
        messageBytes = lengthBytes;
        claimIndex = -1;
        stamped = stamp;
        stampReadNs = readNs;
        stampRouteNs = routeNs;
        return true;
    }

    private OutboundSegment link(final int recordBytes)
    {
        final OutboundSegment previous = tail;
        final int sizeClass = pool.sizeClassFor(recordBytes, null == previous ?
            nextClass : pool.grownClass(previous.sizeClass));
        if (sizeClass < 0)
        {
            return null;
        }
        final OutboundSegment segment = pool.acquire(this, sizeClass);
        if (null == segment || closeRequested) // the budget's policy may have cut this very peer meanwhile
        {
            if (null != segment)
            {
                pool.release(segment, true);
            }
            return null;
        }
        heldBytes += segment.memoryBytes();
        if (null == previous)
        {
            if (chainsTaken < 2)
            {
                chainsTaken++;
            }
            oldest = segment;
            head = segment; // no writer reads head now: the chain was empty and the writer idle or never scheduled
            pool.addHolder(this);
        }
        else
        {
            previous.next = segment; // release: after the last write into previous
        }
        tail = segment;
        nextClass = segment.sizeClass;
        return segment;
    }

    /** Gives back the segments the writer has moved past. Broker thread. */
    private void releaseBehindHead()
    {
        final OutboundSegment current = head; // acquire: the writer is done with everything before it
        while (oldest != current)
        {
            final OutboundSegment done = oldest;
            oldest = done.next;
            heldBytes -= done.memoryBytes();
            pool.release(done, true);
        }
    }

    /**
     * Gives back every segment of an idle, drained peer (see the class comment for why the writer cannot touch them)
     * once it has been seen idle for {@code graceNs}: a peer that receives a message every few milliseconds keeps its
     * small segment rather than giving it back and taking it again for every message. The grace is for peers that
     * have shown they receive now and then, by taking memory a second time: a peer's first chain (for most idle peers
     * the reply to what they sent on connecting) goes back as soon as it is seen idle, so that thousands of peers
     * connecting at once do not each hold a segment for the grace, which the pool would then keep. Broker thread, for
     * a live peer; garbage-free.
     *
     * @param nowNs   {@link System#nanoTime()} of this scan.
     * @param graceNs how long the peer must have been seen idle, by earlier scans, before its memory goes back; 0 to
     *                give it back now (the budget ran out).
     * @return true if it gave back its last segment.
     */
    boolean releaseIfIdle(final long nowNs, final long graceNs)
    {
        if (closeRequested || null == tail)
        {
            return false;
        }
        releaseBehindHead();
        if (connection.isScheduled() || !idle)
        {
            idleSeenNs = NOT_SEEN_IDLE;
            return false;
        }
        final OutboundSegment last = tail;
        if (oldest != last || last.ring.producerPosition() != last.ring.consumerPosition())
        {
            idleSeenNs = NOT_SEEN_IDLE;
            return false;
        }
        if (graceNs > 0 && chainsTaken > 1)
        {
            if (idleSeenNs == NOT_SEEN_IDLE)
            {
                idleSeenNs = nowNs;
                return false;
            }
            if (nowNs - idleSeenNs < graceNs)
            {
                return false;
            }
        }
        idleSeenNs = NOT_SEEN_IDLE;
        head = null;
        tail = null;
        oldest = null;
        heldBytes = 0;
        // The next burst starts one class smaller than the last segment: a busy peer regrows in one link or two.
        nextClass = Math.max(0, last.sizeClass - 1);
        pool.release(last, true);
        pool.removeHolder(this);
        return true;
    }

    /**
     * The broker asked for this connection's close: it writes no more, and its memory is no longer charged to the
     * budget; the writer hands the chain back once it has closed the connection. Broker thread.
     */
    void onCloseRequested()
    {
        if (closeRequested)
        {
            return;
        }
        closeRequested = true;
        pool.uncharge(heldBytes);
        pool.removeHolder(this);
    }

    /**
     * Hands the chain back to the broker's pool. The writer's thread, once it has closed the connection (the broker
     * asked for the close before, after its last write, so the broker's fields read here are visible).
     *
     * @return false if the pool's queue is full: call again later.
     */
    boolean returnChain()
    {
        return null == oldest || pool.returnChain(this);
    }

    /**
     * Gives back every segment of a closed connection's chain. Broker thread, once the writer has handed it back.
     *
     * @return bytes committed that the writer never took (discarded by the close).
     */
    long releaseClosedChain()
    {
        OutboundSegment segment = oldest;
        while (null != segment)
        {
            final OutboundSegment next = segment.next;
            pool.release(segment, false);
            segment = next;
        }
        oldest = null;
        tail = null;
        head = null;
        heldBytes = 0;
        return committedBytes - drainedBytes;
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
            tail.buffer.putBytes(claimDataIndex + claimFilled, src, offset + done, n);
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
            tail.buffer.putBytes(claimDataIndex + claimFilled, src, done, n);
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
        tail.buffer.putByte(claimDataIndex + claimFilled, b);
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
        tail.ring.commit(claimIndex);
        committedBytes += messageBytes;
        pool.onCommitted(messageBytes);
        claimIndex = -1;
        claimLength = 0;
        claimFilled = 0;
        stamped = false;
    }

    private void nextFragment()
    {
        final OutboundSegment segment = tail;
        final OneToOneRingBuffer ring = segment.ring;
        final int maxFragmentBytes = segment.maxFragmentBytes;
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
            segment.buffer.putLong(claimIndex + OutboundDescriptor.READ_NS_OFFSET, stampReadNs);
            segment.buffer.putLong(claimIndex + OutboundDescriptor.ROUTE_NS_OFFSET, stampRouteNs);
        }
        unclaimedBytes -= claimLength;
        claimFilled = 0;
    }

    /**
     * Moves whole records into {@code target} while they fit, dropping any stamps. Writer thread only; garbage-free.
     *
     * @param target a buffer in fill mode with at least the staging buffer's size remaining when empty.
     * @return the number of bytes moved.
     */
    int drainTo(final ByteBuffer target)
    {
        return drainTo(target, null);
    }

    /**
     * Moves whole records into {@code target} while they fit, and the stamps of each stamped message moved into
     * {@code stamps} while it has room, moving along the chain. Writer thread only; garbage-free.
     *
     * @param target a buffer in fill mode with at least the staging buffer's size remaining when empty.
     * @param stamps where to keep the stamps of the messages staged, or null to drop them; must be empty when
     *               {@code target} is.
     * @return the number of bytes moved.
     */
    int drainTo(final ByteBuffer target, final WriteStamps stamps)
    {
        OutboundSegment segment = head;
        if (null == segment)
        {
            return 0;
        }
        final int start = target.position();
        drainTarget = target;
        drainStamps = stamps;
        while (true)
        {
            drainSegment(segment.ring, target);
            final OneToOneRingBuffer ring = segment.ring;
            if (!target.hasRemaining() || ring.consumerPosition() != ring.producerPosition())
            {
                break;
            }
            final OutboundSegment next = segment.next; // acquire: every write into segment is visible now
            if (null == next)
            {
                break;
            }
            drainSegment(ring, target);
            if (ring.consumerPosition() != ring.producerPosition())
            {
                break; // what was written before the link did not all fit: the next drain finishes it
            }
            segment = next;
            head = next; // release: the broker may now give back everything before it
        }
        drainTarget = null;
        drainStamps = null;
        final int moved = target.position() - start;
        if (moved > 0)
        {
            drainedBytes += moved;
            takenCounter.getAndAddRelease(moved);
        }
        return moved;
    }

    private void drainSegment(final OneToOneRingBuffer ring, final ByteBuffer target)
    {
        long consumedBefore;
        do
        {
            // One controlledRead stops at the end of the buffer (after any padding record), so go round again
            // while it makes progress: otherwise bytes that wrapped to the start would wait for the next message.
            consumedBefore = ring.consumerPosition();
            ring.controlledRead(this);
        }
        while (ring.consumerPosition() != consumedBefore && target.hasRemaining());
    }

    /**
     * Tells the broker that the writer will not touch this outbound again until the connection is scheduled: call
     * only at the end of a visit that left the chain empty, nothing staged, no write interest and no visit pending.
     * Writer thread.
     */
    void markIdle()
    {
        idle = true; // release: after every read of the chain in this visit
    }

    /** The writer took the connection from its queue: call before clearing {@code scheduled}. Writer thread. */
    void markBusy()
    {
        idle = false;
    }

    /**
     * @return bytes queued and not yet taken by the writer, record headers included. Broker thread (its chain
     * pointers); the sizes themselves are read with acquire loads.
     */
    public int queuedBytes()
    {
        long queued = 0;
        for (OutboundSegment segment = oldest; null != segment; segment = segment.next)
        {
            queued += segment.ring.size();
        }
        return (int)Math.min(Integer.MAX_VALUE, queued);
    }

    /** Called by a segment's ring for each record during {@link #drainTo(ByteBuffer)}. */
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
