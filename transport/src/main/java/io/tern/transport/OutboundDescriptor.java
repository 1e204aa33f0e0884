/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * Layout of the records in a peer's {@link Outbound} ring (each record sits behind Agrona's own record header).
 * <pre>
 *   type DATA_TYPE_ID: bytes of the outbound stream, nothing else. Unstamped messages (error replies) and every
 *   fragment but the last of a stamped message.
 *     0                                       length
 *     | data ...                              |
 *
 *   type STAMPED_TYPE_ID: the last (or only) fragment of a stamped message: its stage stamps, then data.
 *     0             8              16                                 length
 *     | readNs      | routeNs      | data ...                         |
 *       (System.nanoTime of the socket read that completed the line, and of the broker starting to route it)
 * </pre>
 * The stamps ride on the <em>last</em> fragment so that the writer learns, from one record, both where the message
 * ends in its staging buffer and when it was read and routed; it keeps no state across records. The writer strips
 * the stamps when it stages the record, so they never reach the socket.
 */
public final class OutboundDescriptor
{
    /** A record of plain stream bytes. */
    public static final int DATA_TYPE_ID = 1;
    /** The last fragment of a stamped message: {@link #STAMP_LENGTH} bytes of stamps, then stream bytes. */
    public static final int STAMPED_TYPE_ID = 2;

    /** Offset of the read timestamp in a stamped record. */
    public static final int READ_NS_OFFSET = 0;
    /** Offset of the route timestamp in a stamped record. */
    public static final int ROUTE_NS_OFFSET = READ_NS_OFFSET + Long.BYTES;
    /** Bytes of stamps at the start of a stamped record. */
    public static final int STAMP_LENGTH = ROUTE_NS_OFFSET + Long.BYTES;

    private OutboundDescriptor()
    {
    }

    /**
     * Checks that a stamped record is long enough to hold its stamps.
     *
     * @param recordLength the record's length as read from the ring.
     * @throws IllegalStateException if it is shorter than the stamps.
     */
    public static void checkStampedLength(final int recordLength)
    {
        if (recordLength < STAMP_LENGTH)
        {
            throw new IllegalStateException("stamped record of " + recordLength + " bytes is shorter than its " +
                STAMP_LENGTH + " bytes of stamps");
        }
    }
}
