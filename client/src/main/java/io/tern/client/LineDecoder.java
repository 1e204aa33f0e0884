/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Splits what the broker sent into lines, in place, and tells a {@link Handler} what each one is: a delivered message
 * ({@code from SENDER: TEXT}, as a {@link ReceivedMessage} flyweight), a typed error ({@code error: ...}, as an
 * {@link ErrorReply}), or a line the protocol does not have. Allocates nothing.
 * <pre>
 *   buffer (fill mode, lines start at 0)
 *   [ from bob: hi\n | error: no peer 'carol'\n | from ca ]
 *     ^0                                          ^returned: the caller compacts from here
 * </pre>
 * The client's I/O thread uses it for its connection; the loadgen's receiver uses it for many connections with the
 * I/O driven by its own agent. Not thread-safe: one instance per decoding thread (its flyweights are reused).
 */
public final class LineDecoder
{
    private static final long LOW_SEVEN_BITS = 0x7F7F_7F7F_7F7F_7F7FL;
    private static final byte[] FROM = ascii(Protocol.FROM_PREFIX);
    private static final byte[] FROM_SEPARATOR = ascii(Protocol.FROM_SEPARATOR);
    private static final byte[] ERROR = ascii(Protocol.ERROR_PREFIX);
    private static final byte[] NO_PEER = ascii(Protocol.NO_PEER_PREFIX);
    private static final byte[] NO_PEER_END = ascii(Protocol.NO_PEER_SUFFIX);
    private static final byte[] NAME_TAKEN = ascii(Protocol.NAME_TAKEN_PREFIX);
    private static final byte[] NAME_TAKEN_END = ascii(Protocol.NAME_TAKEN_SUFFIX);
    private static final byte[] INVALID_NAME = ascii(Protocol.INVALID_NAME_PREFIX);
    private static final byte[] BAD_LINE = ascii(Protocol.BAD_LINE);
    private static final byte[] CONTROL = ascii(Protocol.CONTROL_IN_LINE);
    private static final byte[] SLOW_CONSUMER = ascii(Protocol.SLOW_CONSUMER);
    private static final byte[] TOO_MANY_CONNECTIONS = ascii(Protocol.TOO_MANY_CONNECTIONS);
    private static final byte[] TOO_MANY_FROM_ADDRESS = ascii(Protocol.TOO_MANY_FROM_ADDRESS);
    private static final byte[] OUT_OF_MEMORY = ascii(Protocol.SERVER_OUT_OF_MEMORY);
    private static final byte[] CLUSTER_UNAVAILABLE = ascii(Protocol.CLUSTER_UNAVAILABLE);
    private static final byte[] NOT_AUTHORIZED = ascii(Protocol.NOT_AUTHORIZED);
    private static final byte[] BUSY = ascii(Protocol.BUSY);
    // The numbered replies, split around their number as Protocol words them (N = 0 marks where it goes).
    private static final byte[][] TOO_MANY_DESTINATIONS = around(Protocol.tooManyDestinations(0));
    private static final byte[][] LINE_TOO_LONG = around(Protocol.lineTooLong(0));
    private static final byte[][] NAME_TIMEOUT = around(Protocol.nameTimeout(0));
    private static final byte[][] PARTIAL_LINE_TIMEOUT = around(Protocol.partialLineTimeout(0));
    private static final byte[][] IDLE_TIMEOUT = around(Protocol.idleTimeout(0));

    /** What each line is; called in arrival order, each with indexes valid only during the call. */
    public interface Handler
    {
        /** @param message a delivered message; a flyweight valid only during the call. */
        void onMessage(ReceivedMessage message);

        /** @param error an error line, typed; a flyweight valid only during the call. */
        void onError(ErrorReply error);

        /**
         * A line that is neither {@code from NAME: TEXT} nor {@code error: ...}: the broker never sends one.
         *
         * @param buffer holding it.
         * @param start  its first byte.
         * @param end    one past its last byte, line end excluded.
         */
        void onMalformedLine(ByteBuffer buffer, int start, int end);
    }

    private final ReceivedMessage message = new ReceivedMessage();
    private final ErrorReply error = new ErrorReply();

    /**
     * The bytes decoded next came in a read that returned at this time.
     *
     * @param nanoTime the read's {@link System#nanoTime()}, for {@link ReceivedMessage#readTimeNs()}.
     */
    void readTimeNs(final long nanoTime)
    {
        message.readTimeNs(nanoTime);
    }

    /**
     * Decodes every complete line in {@code [0, limit)} of the buffer, for each calling the handler.
     *
     * @param buffer   what was read, lines starting at index 0; read with absolute gets, position untouched.
     * @param limit    index after the last byte read.
     * @param scanFrom where to look for the first line end: bytes before it were scanned by an earlier call and held
     *                 none (0 when unsure).
     * @param handler  told about each line.
     * @return the index after the last complete line (0 for none): the caller keeps {@code [returned, limit)} for the
     * next call, and scans from {@code limit}.
     */
    public int decode(final ByteBuffer buffer, final int limit, final int scanFrom, final Handler handler)
    {
        int lineStart = 0;
        int i = scanFrom;
        while ((i = indexOf(buffer, i, limit, Protocol.LINE_END)) >= 0)
        {
            final int end = i > lineStart && buffer.get(i - 1) == Protocol.CARRIAGE_RETURN ? i - 1 : i;
            onLine(buffer, lineStart, end, handler);
            lineStart = ++i;
        }
        return lineStart;
    }

    /**
     * Decodes one line.
     *
     * @param buffer  holding it.
     * @param start   its first byte.
     * @param end     one past its last byte, line end excluded.
     * @param handler told what it is.
     */
    public void onLine(final ByteBuffer buffer, final int start, final int end, final Handler handler)
    {
        if (startsWith(buffer, start, end, FROM))
        {
            final int nameStart = start + FROM.length;
            final int colon = indexOf(buffer, nameStart, end, Protocol.TEXT_SEPARATOR); // a name holds no ':'
            if (colon < 0 || !startsWith(buffer, colon, end, FROM_SEPARATOR))
            {
                handler.onMalformedLine(buffer, start, end);
                return;
            }
            final int textStart = colon + FROM_SEPARATOR.length;
            message.wrap(buffer, nameStart, colon - nameStart, textStart, end - textStart);
            handler.onMessage(message);
        }
        else if (startsWith(buffer, start, end, ERROR))
        {
            decodeError(buffer, start, end);
            handler.onError(error);
        }
        else
        {
            handler.onMalformedLine(buffer, start, end);
        }
    }

    private void decodeError(final ByteBuffer buffer, final int start, final int end)
    {
        final int length = end - start;
        if (startsWith(buffer, start, end, NO_PEER) && endsWith(buffer, start + NO_PEER.length, end, NO_PEER_END))
        {
            error.wrap(ErrorKind.NO_SUCH_PEER, buffer, start, length, start + NO_PEER.length,
                length - NO_PEER.length - NO_PEER_END.length, -1);
        }
        else if (startsWith(buffer, start, end, NAME_TAKEN) &&
            endsWith(buffer, start + NAME_TAKEN.length, end, NAME_TAKEN_END))
        {
            error.wrap(ErrorKind.NAME_TAKEN, buffer, start, length, start + NAME_TAKEN.length,
                length - NAME_TAKEN.length - NAME_TAKEN_END.length, -1);
        }
        else if (startsWith(buffer, start, end, INVALID_NAME))
        {
            error.wrap(ErrorKind.INVALID_NAME, buffer, start, length, start + INVALID_NAME.length,
                length - INVALID_NAME.length, -1);
        }
        else if (!numbered(ErrorKind.TOO_MANY_DESTINATIONS, TOO_MANY_DESTINATIONS, buffer, start, end) &&
            !numbered(ErrorKind.LINE_TOO_LONG, LINE_TOO_LONG, buffer, start, end) &&
            !numbered(ErrorKind.NAME_TIMEOUT, NAME_TIMEOUT, buffer, start, end) &&
            !numbered(ErrorKind.PARTIAL_LINE_TIMEOUT, PARTIAL_LINE_TIMEOUT, buffer, start, end) &&
            !numbered(ErrorKind.IDLE_TIMEOUT, IDLE_TIMEOUT, buffer, start, end))
        {
            error.wrap(fixedKind(buffer, start, end), buffer, start, length, start, length, -1);
        }
    }

    private static ErrorKind fixedKind(final ByteBuffer buffer, final int start, final int end)
    {
        if (equalsBytes(buffer, start, end, BAD_LINE))
        {
            return ErrorKind.BAD_LINE;
        }
        if (equalsBytes(buffer, start, end, CONTROL))
        {
            return ErrorKind.CONTROL_CHARACTER;
        }
        if (equalsBytes(buffer, start, end, SLOW_CONSUMER))
        {
            return ErrorKind.SLOW_CONSUMER;
        }
        if (equalsBytes(buffer, start, end, NOT_AUTHORIZED))
        {
            return ErrorKind.NOT_AUTHORIZED;
        }
        if (equalsBytes(buffer, start, end, BUSY))
        {
            return ErrorKind.BUSY;
        }
        if (equalsBytes(buffer, start, end, TOO_MANY_CONNECTIONS))
        {
            return ErrorKind.TOO_MANY_CONNECTIONS;
        }
        if (equalsBytes(buffer, start, end, TOO_MANY_FROM_ADDRESS))
        {
            return ErrorKind.TOO_MANY_FROM_ADDRESS;
        }
        if (equalsBytes(buffer, start, end, OUT_OF_MEMORY))
        {
            return ErrorKind.SERVER_OUT_OF_MEMORY;
        }
        if (equalsBytes(buffer, start, end, CLUSTER_UNAVAILABLE))
        {
            return ErrorKind.CLUSTER_UNAVAILABLE;
        }
        return ErrorKind.UNKNOWN;
    }

    private boolean numbered(
        final ErrorKind kind, final byte[][] around, final ByteBuffer buffer, final int start, final int end)
    {
        final byte[] before = around[0];
        final byte[] after = around[1];
        if (!startsWith(buffer, start, end, before) || !endsWith(buffer, start + before.length, end, after))
        {
            return false;
        }
        final long number = parseDecimal(buffer, start + before.length, end - after.length);
        if (number < 0)
        {
            return false;
        }
        error.wrap(kind, buffer, start, end - start, start, end - start, number);
        return true;
    }

    // ---------------------------------------------------------------- allocation-free helpers

    /** @return true when {@code [start, end)} of the buffer begins with the prefix. */
    public static boolean startsWith(final ByteBuffer buffer, final int start, final int end, final byte[] prefix)
    {
        if (end - start < prefix.length)
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (buffer.get(start + i) != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean endsWith(final ByteBuffer buffer, final int from, final int end, final byte[] suffix)
    {
        return end - from >= suffix.length && startsWith(buffer, end - suffix.length, end, suffix);
    }

    /** @return true when {@code [start, end)} of the buffer is exactly these bytes. */
    public static boolean equalsBytes(final ByteBuffer buffer, final int start, final int end, final byte[] bytes)
    {
        return end - start == bytes.length && startsWith(buffer, start, end, bytes);
    }

    /**
     * Eight bytes a step: a byte of {@code word ^ pattern} is zero where {@code b} is, and the exact zero-byte test
     * flags those bytes (no carry crosses a byte, so no false flag in either byte order). Every byte of every line is
     * scanned for its line end, so a byte-at-a-time loop would make the client, not the broker, the limit with large
     * messages.
     *
     * @return the index of the first {@code b} in {@code [from, limit)}, or -1.
     */
    public static int indexOf(final ByteBuffer buffer, final int from, final int limit, final byte b)
    {
        final long pattern = (b & 0xFFL) * 0x0101_0101_0101_0101L;
        final boolean bigEndian = buffer.order() == ByteOrder.BIG_ENDIAN;
        int i = from;
        for (final int wordsEnd = limit - Long.BYTES; i <= wordsEnd; i += Long.BYTES)
        {
            final long word = buffer.getLong(i) ^ pattern;
            final long zeros = ~(((word & LOW_SEVEN_BITS) + LOW_SEVEN_BITS) | word | LOW_SEVEN_BITS);
            if (zeros != 0)
            {
                return i + ((bigEndian ? Long.numberOfLeadingZeros(zeros) : Long.numberOfTrailingZeros(zeros)) >>> 3);
            }
        }
        for (; i < limit; i++)
        {
            if (buffer.get(i) == b)
            {
                return i;
            }
        }
        return -1;
    }

    /** @return the unsigned decimal in {@code [start, end)} (at most 18 digits), or -1. Allocates nothing. */
    public static long parseDecimal(final ByteBuffer buffer, final int start, final int end)
    {
        if (end <= start || end - start > 18)
        {
            return -1;
        }
        long value = 0;
        for (int i = start; i < end; i++)
        {
            final int digit = buffer.get(i) - '0';
            if (digit < 0 || digit > 9)
            {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] around(final String withZero)
    {
        final int at = withZero.lastIndexOf('0');
        return new byte[][]{ ascii(withZero.substring(0, at)), ascii(withZero.substring(at + 1)) };
    }
}
