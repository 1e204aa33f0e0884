/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

/**
 * Checks the sequence numbers of every stream (sender, receiver): counts duplicates, out-of-order arrivals and
 * gaps, without allocation.
 * <p>
 * Per stream it keeps the next expected sequence and a 64-bit window of which of the 64 sequences below it have
 * arrived:
 * <pre>
 *   seq == next          in order                          next++
 *   seq &gt;  next          gap: seq - next go missing        next = seq + 1
 *   next-64 &lt;= seq &lt; next, bit clear   out of order: one missing arrives late
 *   next-64 &lt;= seq &lt; next, bit set     duplicate
 *   seq &lt; next - 64      out of order, too old to tell; it stays counted missing as well
 * </pre>
 * At the end {@link #lost(long[])} adds, per stream, the gaps never filled and the tail that was sent but never
 * arrived. Owned by the receiver thread; read the totals only after it has stopped.
 */
public final class StreamChecker
{
    /** The verdicts of {@link #onSequence(int, long)}. */
    public static final int IN_ORDER = 0;
    public static final int GAP = 1;
    public static final int OUT_OF_ORDER = 2;
    public static final int DUPLICATE = 3;

    private static final int WINDOW_BITS = 64;

    private final long[] nextSequence;
    private final long[] seenWindow;
    private long missing;
    private long duplicated;
    private long outOfOrder;

    public StreamChecker(final int streamCount)
    {
        nextSequence = new long[streamCount];
        seenWindow = new long[streamCount];
    }

    /**
     * Accounts one intact arrival.
     *
     * @param stream   index.
     * @param sequence carried by the message.
     * @return {@link #IN_ORDER}, {@link #GAP}, {@link #OUT_OF_ORDER} or {@link #DUPLICATE}; every verdict but
     * {@link #DUPLICATE} is a first arrival of that sequence.
     */
    public int onSequence(final int stream, final long sequence)
    {
        final long next = nextSequence[stream];
        if (sequence == next)
        {
            seenWindow[stream] = (seenWindow[stream] << 1) | 1;
            nextSequence[stream] = next + 1;
            return IN_ORDER;
        }
        if (sequence > next)
        {
            final long shift = sequence - next + 1;
            seenWindow[stream] = shift >= WINDOW_BITS ? 1 : (seenWindow[stream] << shift) | 1;
            nextSequence[stream] = sequence + 1;
            missing += sequence - next;
            return GAP;
        }
        final long back = next - 1 - sequence;
        if (back >= WINDOW_BITS)
        {
            outOfOrder++;
            return OUT_OF_ORDER;
        }
        final long bit = 1L << back;
        if ((seenWindow[stream] & bit) != 0)
        {
            duplicated++;
            return DUPLICATE;
        }
        seenWindow[stream] |= bit;
        outOfOrder++;
        missing--;
        return OUT_OF_ORDER;
    }

    /**
     * @param sentPerStream how many messages the sender sent on each stream.
     * @return messages sent and never (intactly) received: unfilled gaps plus the missing tail of each stream.
     */
    public long lost(final long[] sentPerStream)
    {
        long tail = 0;
        for (int stream = 0; stream < nextSequence.length; stream++)
        {
            tail += Math.max(0, sentPerStream[stream] - nextSequence[stream]);
        }
        return missing + tail;
    }

    public long duplicated()
    {
        return duplicated;
    }

    public long outOfOrder()
    {
        return outOfOrder;
    }

    /** @return sequences currently in gaps (may still arrive). */
    public long missing()
    {
        return missing;
    }
}
