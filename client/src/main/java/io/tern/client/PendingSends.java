/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;
import org.agrona.DirectBuffer;

/**
 * Ties a per-send error reply to the send that caused it. The broker answers a connection's lines in order and
 * acknowledges nothing, so the I/O thread keeps the recent sends it wrote, oldest first, with what each reply could
 * need: its destinations (as the line's bytes), its length, whether its text holds a control character. A reply
 * goes to the oldest kept send that it fits; every send before that one is done (their replies would have come
 * first) and is forgotten, and so is everything before a sync line whose echo came back.
 * <pre>
 *   kept, oldest first:  [#7 bob, carol] [#8 dave] [sync 3] [#9 carol]
 *   error: no peer 'carol'   -&gt; #7 (its first listing of carol not yet answered)
 *   error: no peer 'dave'    -&gt; #8, and #7 is forgotten
 *   echo of sync 3           -&gt; #7, #8 and the sync forgotten
 * </pre>
 * The one guess: a send that listed a name which was connected when the broker routed it, followed by one that
 * listed it after it left, both still kept: the reply goes to the first. A flush between them (a sync line) removes
 * the doubt. Bounded: {@code capacity} sends and {@code prefixBytes} bytes of destination lists; past that the oldest
 * are forgotten, and a reply that fits none kept is tied to no send. Sends in a row to one {@link Destinations} keep
 * one copy of its list between them.
 * <p>
 * Under the client's write lock, whichever thread holds it (the I/O thread, or a sending thread that writes).
 * Allocates nothing once built.
 */
final class PendingSends
{
    /** A line's text holds no control character the broker refuses ({@link #refusesText}). */
    static final int NO_CONTROL = 0;
    /** A line's text holds a control character: the broker answers {@code error: control character}. */
    static final int HAS_CONTROL = 1;
    /** Not looked at yet: {@link #onLine} looks. */
    static final int CONTROL_UNKNOWN = 2;

    private static final long SYNC = -1;
    /** A kept send's longs: its id, where its names start in {@code prefixes}, its lengths, its counts. */
    private static final int SLOT_LONGS = 4;
    private static final int ID = 0;
    private static final int PREFIX_START = 1;
    /** Line bytes in the high int, prefix bytes (or -1: not kept) in the low one. */
    private static final int LENGTHS = 2;
    /** Destination count shifted left one, and 1 when the text holds a control character. */
    private static final int COUNT_AND_CONTROL = 3;

    private final int mask;
    /** One stretch of {@link #SLOT_LONGS} per kept send, so that noting a send touches one place, not six. */
    private final long[] sends;
    private final byte[] prefixes;
    private final int prefixMask;

    private long head;
    private long tail;
    private long prefixTail;
    /** The highest listing (0-based) of the head send already answered by {@code no peer}; -1 for none. */
    private int headAnswered = -1;
    /** The destinations of the newest send kept, whose names are the newest in {@code prefixes}; or null. */
    private Destinations newestTo;

    /**
     * @param capacity    sends kept, a power of two.
     * @param prefixBytes bytes of destination lists kept, a power of two.
     */
    PendingSends(final int capacity, final int prefixBytes)
    {
        mask = capacity - 1;
        sends = new long[capacity * SLOT_LONGS];
        prefixes = new byte[prefixBytes];
        prefixMask = prefixBytes - 1;
    }

    /**
     * Notes a message line as it is written.
     *
     * @param id               its send id.
     * @param buffer           holding the line.
     * @param lineOffset       its first byte.
     * @param prefixLength     bytes of its {@code dest, dest: } start.
     * @param lineLength       bytes of the line, line end excluded.
     * @param destinationCount names it lists.
     * @param textControl      whether its text holds a control character, when the sender already looked:
     *                         {@link #NO_CONTROL}, {@link #HAS_CONTROL}, or {@link #CONTROL_UNKNOWN} to look here.
     * @param to               the destinations the line was made from, or null when not known: a send to the same
     *                         {@code Destinations} as the newest kept one shares its copy of the names.
     */
    void onLine(
        final long id, final DirectBuffer buffer, final int lineOffset, final int prefixLength, final int lineLength,
        final int destinationCount, final int textControl, final Destinations to)
    {
        final int at = slotIndex(add(id));
        final boolean control = CONTROL_UNKNOWN == textControl ?
            refusesText(buffer, lineOffset + prefixLength, lineOffset + lineLength) :
            HAS_CONTROL == textControl;
        sends[at + COUNT_AND_CONTROL] = (long)destinationCount << 1 | (control ? 1 : 0);
        if (prefixLength > prefixes.length / 2)
        {
            sends[at + LENGTHS] = lengths(lineLength, -1); // too long to keep: its no-peer replies are not tied to it
            newestTo = null;
            return;
        }
        sends[at + LENGTHS] = lengths(lineLength, prefixLength);
        if (null != to && to == newestTo && tail - 2 >= head)
        {
            // The send before this one is kept and lists the same names: share them (one sender, one peer, is the
            // common case, and copying its names for every send was most of the cost of noting it).
            sends[at + PREFIX_START] = sends[slotIndex((int)((tail - 2) & mask)) + PREFIX_START];
            return;
        }
        while (head < tail - 1 && prefixTail + prefixLength - firstPrefixStart() > prefixes.length)
        {
            drop(); // the oldest sends' names would be overwritten
        }
        sends[at + PREFIX_START] = prefixTail;
        final int from = (int)(prefixTail & prefixMask);
        final int first = Math.min(prefixLength, prefixes.length - from);
        buffer.getBytes(lineOffset, prefixes, from, first);
        buffer.getBytes(lineOffset + first, prefixes, 0, prefixLength - first);
        prefixTail += prefixLength;
        newestTo = to;
    }

    /**
     * Whether the broker refuses a line with this text for a control character: one {@code '\r'} at its end does not
     * count, since the broker drops it with the line end (and delivers the text without it).
     *
     * @param buffer holding the text.
     * @param start  its first byte.
     * @param end    one past its last.
     * @return true when the broker answers {@code error: control character}.
     */
    static boolean refusesText(final DirectBuffer buffer, final int start, final int end)
    {
        final int checkedEnd = end > start && buffer.getByte(end - 1) == Protocol.CARRIAGE_RETURN ? end - 1 : end;
        return Protocol.indexOfControl(buffer, start, checkedEnd) >= 0;
    }

    /** Notes a sync line as it is written. */
    void onSync()
    {
        sends[slotIndex(add(SYNC)) + LENGTHS] = lengths(0, -1);
        newestTo = null;
    }

    /** A sync line's echo came back: everything up to the oldest sync kept is done. */
    void onSyncEchoed()
    {
        while (head < tail)
        {
            final boolean sync = id((int)(head & mask)) == SYNC;
            drop();
            if (sync)
            {
                return;
            }
        }
    }

    /** The connection is gone: nothing more will come back for any send kept. */
    void clear()
    {
        head = tail;
        headAnswered = -1;
        newestTo = null;
    }

    /**
     * @param error a per-send reply.
     * @return the id of the send it answers, or {@link ErrorReply#NO_SEND}.
     */
    long attribute(final ErrorReply error)
    {
        for (long at = head; at < tail; at++)
        {
            final int slot = (int)(at & mask);
            if (id(slot) == SYNC)
            {
                return ErrorReply.NO_SEND; // its echo has not come: the reply is for a send before it, forgotten
            }
            switch (error.kind())
            {
                case NO_SUCH_PEER:
                    final int listing = listingOf(slot, error, at == head ? headAnswered : -1);
                    if (listing >= 0)
                    {
                        dropBefore(at);
                        headAnswered = listing;
                        return id(slot);
                    }
                    break;
                case TOO_MANY_DESTINATIONS:
                    if (destinationCount(slot) > error.limit())
                    {
                        return answered(at);
                    }
                    break;
                case LINE_TOO_LONG:
                    if (lineBytes(slot) > error.limit())
                    {
                        return answered(at);
                    }
                    break;
                case CONTROL_CHARACTER:
                    if (holdsControl(slot))
                    {
                        return answered(at);
                    }
                    break;
                default:
                    return ErrorReply.NO_SEND;
            }
        }
        return ErrorReply.NO_SEND;
    }

    /** The send at {@code at} got its one reply: it and everything before are done. */
    private long answered(final long at)
    {
        final long id = id((int)(at & mask));
        dropBefore(at + 1);
        return id;
    }

    /** @return the first listing after {@code after} of the reply's name in the send's destinations, or -1. */
    private int listingOf(final int slot, final ErrorReply error, final int after)
    {
        final int length = prefixLength(slot);
        if (length < 0)
        {
            return -1;
        }
        final long start = sends[slotIndex(slot) + PREFIX_START];
        final long end = start + length - 2; // before the ": " that ends every kept list
        int listing = 0;
        long nameStart = start;
        for (long i = start; i <= end; i++)
        {
            if (i == end || byteAt(i) == Protocol.DESTINATION_SEPARATOR)
            {
                long s = nameStart;
                long e = i;
                while (s < e && Protocol.isBlank(byteAt(s)))
                {
                    s++;
                }
                while (e > s && Protocol.isBlank(byteAt(e - 1)))
                {
                    e--;
                }
                if (e > s)
                {
                    if (listing > after && sameName(s, e, error))
                    {
                        return listing;
                    }
                    listing++;
                }
                nameStart = i + 1;
            }
        }
        return -1;
    }

    private boolean sameName(final long start, final long end, final ErrorReply error)
    {
        if (end - start != error.subjectLength())
        {
            return false;
        }
        for (int i = 0; i < error.subjectLength(); i++)
        {
            if (byteAt(start + i) != error.buffer().get(error.subjectOffset() + i))
            {
                return false;
            }
        }
        return true;
    }

    private byte byteAt(final long position)
    {
        return prefixes[(int)(position & prefixMask)];
    }

    private int add(final long id)
    {
        if (tail - head == mask + 1)
        {
            drop();
        }
        final int slot = (int)(tail & mask);
        sends[slotIndex(slot) + ID] = id;
        tail++;
        return slot;
    }

    private long firstPrefixStart()
    {
        for (long at = head; at < tail - 1; at++)
        {
            final int slot = (int)(at & mask);
            if (prefixLength(slot) >= 0)
            {
                return sends[slotIndex(slot) + PREFIX_START];
            }
        }
        return prefixTail;
    }

    private void dropBefore(final long at)
    {
        while (head < at)
        {
            drop();
        }
    }

    private void drop()
    {
        head++;
        headAnswered = -1;
    }

    private static int slotIndex(final int slot)
    {
        return slot * SLOT_LONGS;
    }

    private static long lengths(final int lineBytes, final int prefixLength)
    {
        return (long)lineBytes << 32 | (prefixLength & 0xFFFF_FFFFL);
    }

    private long id(final int slot)
    {
        return sends[slotIndex(slot) + ID];
    }

    private int lineBytes(final int slot)
    {
        return (int)(sends[slotIndex(slot) + LENGTHS] >>> 32);
    }

    private long destinationCount(final int slot)
    {
        return sends[slotIndex(slot) + COUNT_AND_CONTROL] >>> 1;
    }

    private boolean holdsControl(final int slot)
    {
        return (sends[slotIndex(slot) + COUNT_AND_CONTROL] & 1) != 0;
    }

    private int prefixLength(final int slot)
    {
        return (int)sends[slotIndex(slot) + LENGTHS];
    }

    /** @return sends and syncs kept. */
    int size()
    {
        return (int)(tail - head);
    }
}
