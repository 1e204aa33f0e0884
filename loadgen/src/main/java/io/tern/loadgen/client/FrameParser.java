/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

/**
 * Splits what a server sent on one connection into frames, in place, without allocation.
 * <p>
 * One instance per reading thread (it may keep scratch state); made by {@link WireProtocol#newFrameParser()}.
 */
interface FrameParser
{
    /**
     * Parses every complete frame in {@code connection.readBuffer} (fill mode, bytes {@code [0, position)}), calls
     * the handler for each, and compacts the buffer so that only an incomplete last frame remains. A buffer full of
     * one frame that cannot complete is reported as corrupt and discarded.
     *
     * @param connection whose read buffer to parse.
     * @param handler    told about each frame.
     */
    void onBytes(PeerConnection connection, FrameHandler handler);

    /**
     * Ends a parse: keeps only the incomplete frame that starts at {@code consumed}, or, when nothing was consumed
     * from a full buffer, reports that one frame as corrupt and discards it.
     *
     * @param connection the connection parsed.
     * @param buffer     its read buffer, bytes {@code [0, limit)}.
     * @param consumed   index after the last complete frame.
     * @param limit      end of the bytes read.
     * @param handler    told about a frame too long for the buffer.
     * @param tooLong    how to describe such a frame.
     */
    static void keepIncompleteFrame(
        final PeerConnection connection,
        final java.nio.ByteBuffer buffer,
        final int consumed,
        final int limit,
        final FrameHandler handler,
        final String tooLong)
    {
        if (consumed > 0)
        {
            buffer.limit(limit).position(consumed);
            buffer.compact();
        }
        else if (limit == buffer.capacity())
        {
            handler.onCorrupt(connection, buffer, 0, Math.min(limit, 80), tooLong);
            buffer.clear();
        }
    }
}
