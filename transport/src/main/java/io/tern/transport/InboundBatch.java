/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * The lines and connection events one reader hands to the {@link InboundSink} in one go, so that the sink can claim
 * and publish them as one batch. Reused by its reader; valid only during {@link InboundSink#tryPublish(InboundBatch)}.
 * Line bytes live in {@link #arena()} at {@link #offset(int)} for {@link #length(int)} bytes.
 */
public final class InboundBatch
{
    /** The first line of a connection: the name it asks for. */
    public static final int NEW_PEER = 1;
    /** Any later line. */
    public static final int MESSAGE = 2;
    /** The connection's input has ended; always the last entry for a connection. */
    public static final int DISCONNECT = 3;
    /**
     * A later line holding a control character ({@link Protocol#indexOfControl}), which the protocol refuses whole
     * ({@link Protocol#CONTROL_IN_LINE}): the reader finds them as it frames, in the same pass as the line's end.
     */
    public static final int CONTROL_LINE = 4;

    /** Disconnect reason: the peer closed its side. */
    public static final int REASON_CLOSED = 0;
    /** Disconnect reason: reading failed, see {@link Connection#failure()}. */
    public static final int REASON_IO_ERROR = 1;
    /** Disconnect reason: the peer sent a line longer than the maximum. */
    public static final int REASON_LINE_TOO_LONG = 2;
    /** Disconnect reason: the peer sent no complete first line within the name deadline. */
    public static final int REASON_NAME_TIMEOUT = 3;
    /** Disconnect reason: the named peer neither sent nor was written to within the idle deadline. */
    public static final int REASON_IDLE_TIMEOUT = 4;
    /** Disconnect reason: the peer began a line and did not finish it within the partial-line deadline. */
    public static final int REASON_PARTIAL_LINE_TIMEOUT = 5;

    private final LineArena arena;
    private final int capacity;
    private final int[] types;
    private final int[] reasons;
    private final Connection[] connections;
    private final int[] offsets;
    private final int[] lengths;
    private final long[] endPositions;
    private final long[] readNs;
    private int size;

    InboundBatch(final LineArena arena, final int capacity)
    {
        this.arena = arena;
        this.capacity = capacity;
        types = new int[capacity];
        reasons = new int[capacity];
        connections = new Connection[capacity];
        offsets = new int[capacity];
        lengths = new int[capacity];
        endPositions = new long[capacity];
        readNs = new long[capacity];
    }

    boolean isFull()
    {
        return size == capacity;
    }

    void add(final int type, final int reason, final Connection connection, final int offset, final int length,
        final long endPosition)
    {
        types[size] = type;
        reasons[size] = reason;
        connections[size] = connection;
        offsets[size] = offset;
        lengths[size] = length;
        endPositions[size] = endPosition;
        readNs[size] = connection.lastReadNs; // the read that completed this line (the reader's own field)
        size++;
    }

    void clear()
    {
        for (int i = 0; i < size; i++)
        {
            connections[i] = null;
        }
        size = 0;
    }

    /** @return the arena holding this batch's line bytes. */
    public LineArena arena()
    {
        return arena;
    }

    /** @return entries in the batch. */
    public int size()
    {
        return size;
    }

    /** @return {@link #NEW_PEER}, {@link #MESSAGE}, {@link #CONTROL_LINE} or {@link #DISCONNECT}. */
    public int type(final int i)
    {
        return types[i];
    }

    /** @return for a {@link #DISCONNECT}, one of the {@code REASON_} constants. */
    public int reason(final int i)
    {
        return reasons[i];
    }

    public Connection connection(final int i)
    {
        return connections[i];
    }

    /** @return offset of the line in the arena's buffer. */
    public int offset(final int i)
    {
        return offsets[i];
    }

    /** @return the line's length without {@code \n} and a {@code \r} before it. */
    public int length(final int i)
    {
        return lengths[i];
    }

    /** @return the arena position to release once this entry is handled. */
    public long endPosition(final int i)
    {
        return endPositions[i];
    }

    /** @return {@link System#nanoTime()} of the socket read that completed this entry's line. */
    public long readNs(final int i)
    {
        return readNs[i];
    }
}
