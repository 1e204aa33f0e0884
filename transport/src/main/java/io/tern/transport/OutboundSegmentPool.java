/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.util.Arrays;
import java.util.function.Consumer;

import org.agrona.BufferUtil;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The direct memory of every peer's outbound bytes: {@link OutboundSegment}s in power-of-two size classes, from
 * {@value #MIN_SEGMENT_BYTES} bytes up, kept for reuse so that nothing waits for a GC to be freed. Owned by the broker
 * thread (the sink's consumer), which alone takes segments, gives them back and keeps the accounting, so it needs no
 * concurrency; a writer that closes a connection hands its whole chain back through a bounded queue
 * ({@link #returnChain(Outbound)}) that the broker drains in its duty cycle.
 * <pre>
 *   per peer:   queued bytes &lt;= max-queued-bytes-per-peer          else the peer is a slow consumer
 *   all peers:  segments held by live peers &lt;= outbound-budget      else the peer with the largest backlog is cut
 *               (a slow consumer, same reply and counter), and again, until the new segment fits; if the peer
 *               asking is itself the largest, it is the one cut
 * </pre>
 * Memory is <em>charged</em> to the budget while a live peer holds it; a peer the broker has asked to close stops being
 * charged at once, and its segments come back to the pool when its writer has closed it (one writer duty cycle, it
 * does not wait for the socket). The direct memory allocated is kept at most the budget: pooled segments of other
 * classes are freed (explicitly, not by the GC) to make room for a new one, and a segment coming back while more than
 * the budget is allocated is freed rather than pooled; it exceeds the budget only by the segments of peers just cut
 * and not yet closed by their writers.
 * <p>
 * Garbage-free in steady state: free lists are intrusive ({@link OutboundSegment#nextFree}), holders an array.
 */
final class OutboundSegmentPool
{
    /** The smallest segment: an idle peer's first reply, a few small messages. */
    static final int MIN_SEGMENT_BYTES = 4096;
    /** A chain grows by doubling up to this segment size; longer backlogs take more segments of it. */
    static final int MAX_GROWTH_SEGMENT_BYTES = 1024 * 1024;
    /**
     * How long a peer is seen idle and drained before its last segment goes back: long enough that a peer receiving
     * now and then (a fan-out receiver, a chat user) keeps its small segment between messages instead of giving it
     * back and taking it again each time; short enough that an idle peer costs nothing within a second. The budget
     * does not wait for it, nor does a peer's first chain ({@link Outbound#releaseIfIdle}).
     */
    static final long IDLE_GRACE_NS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200);
    /** Pooled memory not taken for this long is freed. */
    static final long TRIM_PERIOD_MS = 5_000;
    /** Pooled memory kept whatever the traffic, so small bursts never wait for new memory. */
    static final long TRIM_FLOOR_BYTES = 4L * 1024 * 1024;
    private static final long TRIM_PERIOD_NS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(TRIM_PERIOD_MS);
    /** Segments freed per duty cycle at most, so that trimming a large pool never stalls routing. */
    private static final int TRIM_SEGMENTS_PER_CALL = 8;
    private static final int MIN_SHIFT = Integer.numberOfTrailingZeros(MIN_SEGMENT_BYTES);
    private static final int MAX_SHIFT = 30;
    private static final int CLASSES = MAX_SHIFT - MIN_SHIFT + 1;

    private final int writeBufferBytes;
    private final long maxQueuedBytesPerPeer;
    private final long budgetBytes;
    private final int maxGrowthClass;
    private final OutboundSegment[] freeByClass = new OutboundSegment[CLASSES];
    private final ManyToOneConcurrentArrayQueue<Outbound> returned;
    private final Consumer<Outbound> onReturned = this::onReturned;
    private final AtomicCounter allocatedCounter;
    private final AtomicCounter inUseCounter;
    private final AtomicCounter queuedCounter;
    private final AtomicCounter chargedHighWaterCounter;
    private OutboundBudgetListener budgetListener;

    private long allocatedBytes;
    private long inUseBytes;
    private long chargedBytes;
    private long chargedHighWaterBytes;
    private long committedBytes;
    private long discardedBytes;
    private Outbound[] holders;
    private int holderCount;
    private int scanCursor;
    private final int[] pooledByClass = new int[CLASSES];
    private final int[] pooledLowWaterByClass = new int[CLASSES];
    private final int[] trimLeftByClass = new int[CLASSES];
    private long trimPeriodStartNs;
    private boolean trimClockStarted;
    private boolean trimming;

    /**
     * @param maxConnections        open connections allowed: sizes the list of peers holding segments and the queue
     *                              of chains coming back.
     * @param writeBufferBytes      the writers' staging buffer, which bounds a record.
     * @param maxQueuedBytesPerPeer the per-peer bound.
     * @param budgetBytes           the global budget.
     * @param allocatedCounter      direct memory allocated for segments, in use or pooled; written here only.
     * @param inUseCounter          direct memory of segments held by peers; written here only.
     * @param queuedCounter         bytes committed to outbounds minus those discarded by cuts; written here only
     *                              (the writers count what they take, see {@link Outbound#drainTo}).
     * @param chargedHighWaterCounter the most memory ever charged to the budget at once; written here only.
     */
    OutboundSegmentPool(
        final int maxConnections,
        final int writeBufferBytes,
        final long maxQueuedBytesPerPeer,
        final long budgetBytes,
        final AtomicCounter allocatedCounter,
        final AtomicCounter inUseCounter,
        final AtomicCounter queuedCounter,
        final AtomicCounter chargedHighWaterCounter)
    {
        this.chargedHighWaterCounter = chargedHighWaterCounter;
        this.writeBufferBytes = writeBufferBytes;
        this.maxQueuedBytesPerPeer = maxQueuedBytesPerPeer;
        this.budgetBytes = budgetBytes;
        this.allocatedCounter = allocatedCounter;
        this.inUseCounter = inUseCounter;
        this.queuedCounter = queuedCounter;
        // Growth stops at 1 MiB, the bound, or a quarter of the budget: one segment never takes most of the budget.
        final long growthCap = Math.max(MIN_SEGMENT_BYTES,
            Math.min(MAX_GROWTH_SEGMENT_BYTES, Math.min(maxQueuedBytesPerPeer, budgetBytes / 4)));
        this.maxGrowthClass = sizeClassOf(Long.highestOneBit(growthCap));
        this.returned = new ManyToOneConcurrentArrayQueue<>(Math.max(64, maxConnections));
        this.holders = new Outbound[Math.max(16, Math.min(maxConnections, 1 << 16))];
    }

    /**
     * A pool with counters of its own, for one thread that plays both the broker and the writers (tests, benchmarks).
     *
     * @param maxQueuedBytesPerPeer the per-peer bound.
     * @param budgetBytes           the global budget.
     * @param writeBufferBytes      the staging buffer, which bounds a record.
     * @return the pool.
     */
    static OutboundSegmentPool standalone(
        final long maxQueuedBytesPerPeer, final long budgetBytes, final int writeBufferBytes)
    {
        final CountersManager counters = TransportCounters.newCountersManager(4);
        return new OutboundSegmentPool(16, writeBufferBytes, maxQueuedBytesPerPeer, budgetBytes,
            counters.newCounter("allocated"), counters.newCounter("in use"), counters.newCounter("committed"),
            counters.newCounter("high-water"));
    }

    /** @param listener cuts the victim when the budget runs out. Before the broker runs. */
    void budgetListener(final OutboundBudgetListener listener)
    {
        this.budgetListener = listener;
    }

    /** @return the per-peer bound on queued bytes. */
    long maxQueuedBytesPerPeer()
    {
        return maxQueuedBytesPerPeer;
    }

    /** @return the global budget. */
    long budgetBytes()
    {
        return budgetBytes;
    }

    /** @return the writers' staging buffer size. */
    int writeBufferBytes()
    {
        return writeBufferBytes;
    }

    /**
     * The size class for a segment that takes a message of {@code recordBytes}, at least {@code minClass}: the
     * smallest whose ring holds twice what the message needs (so a prompt reader rarely sees a new link), or, past the
     * growth cap, once.
     */
    int sizeClassFor(final int recordBytes, final int minClass)
    {
        for (int c = Math.max(0, minClass); c < CLASSES; c++)
        {
            final long needed = OutboundSegment.neededBytesIn(capacityOf(c), writeBufferBytes, recordBytes);
            if (2 * needed <= capacityOf(c) || (c >= maxGrowthClass && needed <= capacityOf(c)))
            {
                return c;
            }
        }
        return -1;
    }

    /** @return the class a chain grows to after a segment of class {@code sizeClass}: double, capped. */
    int grownClass(final int sizeClass)
    {
        return Math.min(sizeClass + 1, Math.max(sizeClass, maxGrowthClass));
    }

    static int capacityOf(final int sizeClass)
    {
        return 1 << (sizeClass + MIN_SHIFT);
    }

    static int sizeClassOf(final long capacityBytes)
    {
        return Long.numberOfTrailingZeros(capacityBytes) - MIN_SHIFT;
    }

    /**
     * A segment of {@code sizeClass} for {@code requester}, a live peer, within the budget: the peers with the largest
     * backlogs are cut (through the {@link OutboundBudgetListener}) until it fits. Broker thread; garbage-free unless
     * new memory is needed.
     *
     * @return the segment, emptied, or null if the requester itself has the largest backlog (cut it).
     */
    OutboundSegment acquire(final Outbound requester, final int sizeClass)
    {
        final long memoryBytes = OutboundSegment.memoryBytes(capacityOf(sizeClass));
        if (chargedBytes + memoryBytes > budgetBytes)
        {
            drainReturned();
            releaseIdleOtherThan(requester); // memory held by peers with nothing queued is no one's backlog
            while (chargedBytes + memoryBytes > budgetBytes)
            {
                final Outbound victim = largestBacklogOtherThan(requester);
                if (null == victim || null == budgetListener)
                {
                    return null;
                }
                budgetListener.onOutboundBudgetExceeded(victim.connection());
                if (victim.holderIndex >= 0)
                {
                    return null; // the listener did not cut it: never loop
                }
            }
        }

        if (null == freeByClass[sizeClass])
        {
            drainReturned(); // closed peers' segments first, new memory only if none fits
        }
        OutboundSegment segment = takePooled(sizeClass);
        if (null == segment)
        {
            if (allocatedBytes + memoryBytes > budgetBytes)
            {
                freePooled(allocatedBytes + memoryBytes - budgetBytes);
            }
            segment = new OutboundSegment(sizeClass, capacityOf(sizeClass), writeBufferBytes);
            allocatedBytes += memoryBytes;
            allocatedCounter.setRelease(allocatedBytes);
        }
        segment.reset();
        inUseBytes += memoryBytes;
        inUseCounter.setRelease(inUseBytes);
        chargedBytes += memoryBytes;
        if (chargedBytes > chargedHighWaterBytes)
        {
            chargedHighWaterBytes = chargedBytes;
            chargedHighWaterCounter.setRelease(chargedBytes);
        }
        return segment;
    }

    /**
     * Takes back a segment no writer can reach any more. Broker thread.
     *
     * @param segment the segment.
     * @param charged true if it was held by a live peer (charged to the budget).
     */
    void release(final OutboundSegment segment, final boolean charged)
    {
        final long memoryBytes = segment.memoryBytes();
        inUseBytes -= memoryBytes;
        inUseCounter.setRelease(inUseBytes);
        if (charged)
        {
            chargedBytes -= memoryBytes;
        }
        segment.next = null;
        if (allocatedBytes > budgetBytes)
        {
            free(segment);
            return;
        }
        segment.nextFree = freeByClass[segment.sizeClass];
        freeByClass[segment.sizeClass] = segment;
        pooledByClass[segment.sizeClass]++;
    }

    private void freePooled(final long bytes)
    {
        long freed = 0;
        for (int c = CLASSES - 1; c >= 0 && freed < bytes; c--)
        {
            while (null != freeByClass[c] && freed < bytes)
            {
                final OutboundSegment segment = takePooled(c);
                freed += segment.memoryBytes();
                free(segment);
            }
        }
    }

    /**
     * Takes the first pooled segment of a class off its free list, keeping the count and the period's low-water mark
     * that trimming works from.
     *
     * @return the segment, or null if none of the class is pooled.
     */
    private OutboundSegment takePooled(final int sizeClass)
    {
        final OutboundSegment segment = freeByClass[sizeClass];
        if (null != segment)
        {
            freeByClass[sizeClass] = segment.nextFree;
            if (--pooledByClass[sizeClass] < pooledLowWaterByClass[sizeClass])
            {
                pooledLowWaterByClass[sizeClass] = pooledByClass[sizeClass];
            }
        }
        return segment;
    }

    private void free(final OutboundSegment segment)
    {
        allocatedBytes -= segment.memoryBytes();
        allocatedCounter.setRelease(allocatedBytes);
        BufferUtil.free(segment.memory);
    }

    /**
     * Gives back what every holder but the requester no longer needs: segments behind its writer, and all of an idle
     * peer's. Not the requester's: it is in the middle of linking a segment to its tail.
     */
    private void releaseIdleOtherThan(final Outbound requester)
    {
        int i = 0;
        while (i < holderCount)
        {
            final Outbound holder = holders[i];
            if (holder == requester || !holder.releaseIfIdle(0, 0))
            {
                i++; // else removed: the last holder moved into this index
            }
        }
    }

    private Outbound largestBacklogOtherThan(final Outbound requester)
    {
        final long requesterQueued = requester.queuedBytes();
        Outbound largest = null;
        long largestQueued = requesterQueued;
        for (int i = 0; i < holderCount; i++)
        {
            final Outbound holder = holders[i];
            if (holder != requester)
            {
                final long queued = holder.queuedBytes();
                if (queued > largestQueued)
                {
                    largest = holder;
                    largestQueued = queued;
                }
            }
        }
        return largest;
    }

    /** A live peer took its first segment. Broker thread. */
    void addHolder(final Outbound outbound)
    {
        if (holderCount == holders.length)
        {
            holders = Arrays.copyOf(holders, holderCount * 2); // past 65,536 holders only; start-up sized otherwise
        }
        outbound.holderIndex = holderCount;
        holders[holderCount++] = outbound;
    }

    /** A peer gave back its last segment, or its close was asked for. Broker thread. */
    void removeHolder(final Outbound outbound)
    {
        final int index = outbound.holderIndex;
        if (index < 0)
        {
            return;
        }
        final Outbound last = holders[--holderCount];
        holders[index] = last;
        last.holderIndex = index;
        holders[holderCount] = null;
        outbound.holderIndex = -1;
    }

    /** The broker asked for this peer's close: its memory is no longer charged to the budget. Broker thread. */
    void uncharge(final long heldBytes)
    {
        chargedBytes -= heldBytes;
    }

    /** Counts a message's bytes committed to an outbound. Broker thread; garbage-free. */
    void onCommitted(final int lengthBytes)
    {
        committedBytes += lengthBytes;
    }

    /**
     * Hands a closed connection's chain back to the broker. The writer's thread, after it closed the connection (so
     * after the broker's last write into it). Garbage-free.
     *
     * @return false if the queue is full: try again later.
     */
    boolean returnChain(final Outbound outbound)
    {
        return returned.offer(outbound);
    }

    /** @return chains taken back. Broker thread. */
    int drainReturned()
    {
        return returned.drain(onReturned);
    }

    private void onReturned(final Outbound outbound)
    {
        discardedBytes += outbound.releaseClosedChain();
    }

    /**
     * Drains returned chains, then looks at up to {@code maxScanned} peers holding segments and takes back those of
     * idle ones (see {@link Outbound}), and publishes the queued-bytes counter. Broker thread; garbage-free.
     *
     * @param maxScanned most peers looked at.
     * @return segments' holders released.
     */
    int releaseIdle(final int maxScanned)
    {
        int work = drainReturned();
        final int scans = Math.min(maxScanned, holderCount);
        final long nowNs = System.nanoTime();
        for (int i = 0; i < scans && holderCount > 0; i++)
        {
            if (scanCursor >= holderCount)
            {
                scanCursor = 0;
            }
            if (holders[scanCursor].releaseIfIdle(nowNs, IDLE_GRACE_NS))
            {
                work++; // removed: the last holder moved into this index, look at it next
            }
            else
            {
                scanCursor++;
            }
        }
        queuedCounter.setRelease(committedBytes - discardedBytes);
        return work + trim(nowNs);
    }

    /**
     * Frees pooled memory that no peer took during the last whole period (see the class comment), a few segments a
     * call. Broker thread.
     *
     * @param nowNs the time now, {@link System#nanoTime()}.
     * @return segments freed.
     */
    int trim(final long nowNs)
    {
        if (!trimClockStarted)
        {
            trimClockStarted = true; // nanoTime has an arbitrary origin: the first call starts the first period
            trimPeriodStartNs = nowNs;
            System.arraycopy(pooledByClass, 0, pooledLowWaterByClass, 0, CLASSES);
        }
        else if (nowNs - trimPeriodStartNs >= TRIM_PERIOD_NS)
        {
            trimPeriodStartNs = nowNs;
            trimming = false;
            for (int c = 0; c < CLASSES; c++)
            {
                trimLeftByClass[c] = pooledLowWaterByClass[c];
                pooledLowWaterByClass[c] = pooledByClass[c];
                trimming |= trimLeftByClass[c] > 0;
            }
        }
        if (!trimming)
        {
            return 0;
        }
        int freed = 0;
        for (int c = CLASSES - 1; c >= 0 && freed < TRIM_SEGMENTS_PER_CALL; c--)
        {
            while (trimLeftByClass[c] > 0 && null != freeByClass[c] && freed < TRIM_SEGMENTS_PER_CALL &&
                pooledBytes() - freeByClass[c].memoryBytes() >= TRIM_FLOOR_BYTES)
            {
                free(takePooled(c));
                trimLeftByClass[c]--;
                freed++;
            }
        }
        trimming = freed == TRIM_SEGMENTS_PER_CALL; // else done: all trimmed, or only the floor is left
        return freed;
    }

    /** @return direct memory allocated for segments, held or pooled. Broker thread. */
    long allocatedBytesForTest()
    {
        return allocatedBytes;
    }

    /** @return direct memory allocated and in no peer's hands: the free lists. Broker thread. */
    long pooledBytes()
    {
        return allocatedBytes - inUseBytes;
    }

    /** @return peers holding segments now. Broker thread. */
    int holderCount()
    {
        return holderCount;
    }
}
