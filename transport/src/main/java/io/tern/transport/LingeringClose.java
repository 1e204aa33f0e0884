/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * A close that does not lose the error reply before it. Closing a socket whose client is still sending resets the
 * connection (the unread input turns the FIN into an RST), and a reset makes the client's stack drop what it has
 * received but not yet read: the reply, typically. So after an error reply that ends a connection the closer shuts
 * its output down (the reply, then a FIN), reads and discards what the client still sends until the client closes its
 * side, or {@code linger-ms} pass, or {@link #MAX_DISCARD_BYTES} have been discarded, and only then closes (as Apache
 * httpd's lingering close does).
 * <pre>
 *   reply ─▶ shutdownOutput (FIN) ─▶ read and discard ... ─▶ client's FIN (read -1) ─▶ close: no reset
 *                                                     └──── deadline or byte bound ─▶ close (a reset, as before)
 * </pre>
 * Bounded in time and memory: no buffer of its own (the caller lends a scratch buffer for the discarded bytes) and
 * three fields per connection. The connection's slot stays taken until the close, so lingering connections count
 * against {@code max-connections} and the per-address limit: a flood of bad lines cannot open more than those allow.
 * <p>
 * Used by the one agent that closes a given connection (its writer, or the authenticator before the hand-over), on
 * that agent's thread; stateless itself.
 */
final class LingeringClose
{
    /** Most bytes read and discarded per lingering connection: the rest of a long line, not a stream. */
    static final int MAX_DISCARD_BYTES = 1 << 20;

    private final long lingerNs;
    private final ByteBuffer scratch;

    /**
     * @param lingerMs how long to wait for the client's end of input; 0 to close at once.
     * @param scratch  where discarded bytes land; the caller's, free whenever this class reads into it.
     */
    LingeringClose(final long lingerMs, final ByteBuffer scratch)
    {
        this.lingerNs = TimeUnit.MILLISECONDS.toNanos(lingerMs);
        this.scratch = scratch;
    }

    /**
     * Starts lingering: shuts the output down behind what has been written and reads what has already arrived.
     *
     * @param connection a connection whose error reply has been written in full.
     * @param nowNs      {@link System#nanoTime()} now.
     * @return true if the connection lingers: the caller selects it for reads, calls {@link #drain(Connection)} when
     * it is readable, and closes it once that returns true or {@link #isOverdue(Connection, long)}; false to close
     * it now (lingering is off, or the client is already gone).
     */
    boolean begin(final Connection connection, final long nowNs)
    {
        if (lingerNs <= 0 || connection.lingering)
        {
            return false;
        }
        try
        {
            connection.channel().shutdownOutput();
        }
        catch (final IOException ex)
        {
            return false;
        }
        connection.lingering = true;
        connection.lingerDeadlineNs = nowNs + lingerNs;
        connection.lingerBytesLeft = MAX_DISCARD_BYTES;
        if (drain(connection))
        {
            connection.lingering = false; // nothing to wait for: the client has closed already
            return false;
        }
        return true;
    }

    /**
     * Reads once and discards what it read.
     *
     * @param connection a lingering connection.
     * @return true if it may be closed now: the client has closed its side (or reset), or the byte bound is reached.
     */
    boolean drain(final Connection connection)
    {
        final ByteBuffer buffer = scratch;
        buffer.clear();
        if (buffer.capacity() > connection.lingerBytesLeft)
        {
            buffer.limit(connection.lingerBytesLeft);
        }
        final int read;
        try
        {
            read = connection.channel().read(buffer);
        }
        catch (final IOException ex)
        {
            return true;
        }
        buffer.clear();
        if (read < 0)
        {
            return true;
        }
        connection.lingerBytesLeft -= read;
        return connection.lingerBytesLeft <= 0;
    }

    /**
     * @param connection a lingering connection.
     * @param nowNs      {@link System#nanoTime()} now.
     * @return true once its linger deadline has passed.
     */
    static boolean isOverdue(final Connection connection, final long nowNs)
    {
        return nowNs - connection.lingerDeadlineNs > 0;
    }
}
