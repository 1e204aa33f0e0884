/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.Workload;

import java.nio.ByteBuffer;
import java.util.List;

import static java.nio.charset.StandardCharsets.US_ASCII;

/**
 * Redis pub/sub over RESP2 (the protocol of {@code redis-server}), spoken directly. A connection that has
 * subscribed may only (un)subscribe, so each peer has two: a subscriber connection and a publisher connection.
 * <pre>
 *   subscriber:  *2 $9 SUBSCRIBE $n &lt;own name&gt;  [*2 ... &lt;prefix&gt;fanout]   commands are RESP arrays of bulk strings
 *            &lt;-  *3 $9 subscribe $n &lt;channel&gt; :&lt;count&gt;                  one confirmation per channel
 *            &lt;-  *3 $7 message $n &lt;channel&gt; $n &lt;payload&gt;                each message; the channel must be
 *                                                                      one this peer subscribed to
 *   publisher:   *1 $4 PING                  &lt;-  +PONG                  the connection is up
 *                *3 $7 PUBLISH $n &lt;receiver name&gt; $n &lt;payload&gt;            fanout: one to &lt;prefix&gt;fanout, or
 *            &lt;-  :&lt;subscribers it reached&gt;                              one per receiver (--fanout-publish)
 *   either:  &lt;-  -ERR ...                                               an error reply
 * </pre>
 * (each element is followed by CRLF: {@code *3\r\n$7\r\nPUBLISH\r\n$5\r\nlg1-1\r\n$64\r\n<payload>\r\n}).
 * <p>
 * Every PUBLISH is answered by the number of subscribers it reached: the receiver thread reads and checks each
 * (1, or K for a shared fanout channel), so a publish that reached nobody is reported like tern's
 * {@code error: no peer}. Those replies are part of what a Redis client must read, so they stay on (no
 * {@code CLIENT REPLY OFF}). A subscriber that reads too slowly is disconnected by the server
 * ({@code client-output-buffer-limit pubsub}), which shows as a disconnect.
 */
final class RedisProtocol extends PubSubProtocol
{
    /** {@code *3\r\n$7\r\nmessage\r\n$<2 digits>\r\n<64-byte channel>\r\n$<10 digits>\r\n} and CRLF after. */
    private static final int MAX_MESSAGE_OVERHEAD_BYTES = 4 + 4 + 7 + 2 + 5 + 64 + 2 + 13 + 2;
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] MESSAGE = ascii("message");
    private static final byte[] SUBSCRIBE = ascii("subscribe");
    private static final byte[] PONG = ascii("+PONG");
    private static final byte[] PING_COMMAND = ascii("*1\r\n$4\r\nPING\r\n");

    private final long subscribersPerPublish;

    RedisProtocol(final Workload workload, final int payloadBytes, final FanoutPublish fanoutPublish)
    {
        this(workload, payloadBytes, fanoutPublish, null, 1);
    }

    RedisProtocol(
        final Workload workload,
        final int payloadBytes,
        final FanoutPublish fanoutPublish,
        final ClientTls tls,
        final int nodeCount)
    {
        super(workload, payloadBytes, fanoutPublish, tls, nodeCount);
        subscribersPerPublish = sharedFanout ? workload.receiverCount() : 1;
    }

    @Override
    public Target target()
    {
        return Target.REDIS;
    }

    @Override
    public String describe()
    {
        return "Redis pub/sub: each peer SUBSCRIBEs to its own name on one connection and PUBLISHes to the " +
            "receiver's on a second" + fanoutWords("PUBLISH", "SUBSCRIBEs") + "; every PUBLISH reply is read and checked";
    }

    @Override
    byte[] publishPrefix(final byte[] destination, final int textBytes)
    {
        return ascii("*3\r\n$7\r\nPUBLISH\r\n$" + destination.length + "\r\n" + new String(destination, US_ASCII) +
            "\r\n$" + textBytes + "\r\n");
    }

    @Override
    byte[] frameTrailer()
    {
        return CRLF;
    }

    @Override
    long subscribersPerPublish()
    {
        return subscribersPerPublish;
    }

    @Override
    boolean needsPublisherConnection()
    {
        return true;
    }

    @Override
    void queueSubscribe(final PeerConnection peer, final List<byte[]> subjects) throws RegistrationException
    {
        final StringBuilder command = new StringBuilder();
        command.append('*').append(1 + subjects.size()).append("\r\n$9\r\nSUBSCRIBE\r\n");
        for (final byte[] subject : subjects)
        {
            command.append('$').append(subject.length).append("\r\n").append(new String(subject, US_ASCII))
                .append("\r\n");
        }
        queue(peer, ascii(command.toString()));
        queue(peer.publisher, PING_COMMAND);
    }

    @Override
    int confirmationsExpected(final PeerConnection peer, final int subjects)
    {
        return subjects + 1; // a 'subscribe' reply per channel, and the publisher's +PONG
    }

    @Override
    int arrivalOverheadBytes()
    {
        return MAX_MESSAGE_OVERHEAD_BYTES;
    }

    @Override
    FrameParser newFrameParser()
    {
        return new Parser();
    }

    /**
     * Parses RESP2 replies in place. One per reading thread: the bounds of the last bulk string and the value of
     * the last integer are kept in fields rather than returned as objects.
     */
    private final class Parser implements FrameParser
    {
        private static final int INCOMPLETE = -1;
        private static final int MALFORMED = -2;
        private static final int MAX_SKIP_DEPTH = 4;
        /** A type byte, up to 20 digits and CRLF: no longer header is a RESP one. */
        private static final int MAX_HEADER_BYTES = 24;

        private int bulkStart;
        private int bulkEnd;
        private long integer;

        @Override
        public void onBytes(final PeerConnection connection, final FrameHandler handler)
        {
            final ByteBuffer buffer = connection.readBuffer;
            final int limit = buffer.position();
            int index = 0;
            while (index < limit)
            {
                int next = onFrame(connection, buffer, index, limit, handler);
                if (next == INCOMPLETE)
                {
                    break;
                }
                if (next == MALFORMED)
                {
                    // Resynchronise after the next line end (once it has arrived, so that how the bytes were split
                    // into reads does not matter); what follows may be reported as corrupt too.
                    final int crlf = lineEnd(buffer, index, limit);
                    if (crlf < 0)
                    {
                        break;
                    }
                    handler.onCorrupt(connection, buffer, index, Math.min(crlf, index + 120), "not a RESP reply");
                    next = crlf + CRLF.length;
                }
                index = next;
            }

            FrameParser.keepIncompleteFrame(connection, buffer, index, limit, handler, "reply longer than the read buffer");
        }

        /** @return the index after the reply at {@code index}, {@link #INCOMPLETE} or {@link #MALFORMED}. */
        private int onFrame(
            final PeerConnection connection, final ByteBuffer buffer, final int index, final int limit,
            final FrameHandler handler)
        {
            final byte type = buffer.get(index);
            if (type == '-')
            {
                final int crlf = lineEnd(buffer, index, limit);
                if (crlf < 0)
                {
                    return INCOMPLETE;
                }
                handler.onServerError(connection, buffer, index, crlf, false);
                return crlf + CRLF.length;
            }
            if (connection.publishOnly)
            {
                if (type == ':')
                {
                    final int next = integer(buffer, index, limit);
                    if (next >= 0)
                    {
                        handler.onPublishReply(connection, integer);
                    }
                    return next;
                }
                final int crlf = lineEnd(buffer, index, limit);
                if (crlf < 0)
                {
                    return INCOMPLETE;
                }
                if (equalsBytes(buffer, index, crlf, PONG))
                {
                    handler.onPong(connection);
                    return crlf + CRLF.length;
                }
                return MALFORMED;
            }

            // Subscriber: *3 $7 message $n <channel> $n <payload>, or *3 $9 subscribe $n <channel> :<count>.
            if (type != '*')
            {
                return MALFORMED;
            }
            int next = header(buffer, index, limit, (byte)'*');
            if (next < 0)
            {
                return next;
            }
            if (integer != 3)
            {
                return skipUnexpected(connection, buffer, index, limit, handler);
            }
            next = bulk(buffer, next, limit);
            if (next < 0)
            {
                return next;
            }
            final boolean message = equalsBytes(buffer, bulkStart, bulkEnd, MESSAGE);
            if (!message && !equalsBytes(buffer, bulkStart, bulkEnd, SUBSCRIBE))
            {
                return skipUnexpected(connection, buffer, index, limit, handler);
            }
            next = bulk(buffer, next, limit);
            if (next < 0)
            {
                return next;
            }
            final int channelStart = bulkStart;
            final int channelEnd = bulkEnd;
            if (!message)
            {
                next = integer(buffer, next, limit);
                if (next >= 0)
                {
                    handler.onSubscribed(connection, buffer, channelStart, channelEnd);
                }
                return next;
            }
            next = bulk(buffer, next, limit);
            if (next < 0)
            {
                return next;
            }
            if (isOwnSubject(connection, buffer, channelStart, channelEnd))
            {
                handler.onMessage(connection, buffer, FrameHandler.SENDER_IN_PAYLOAD, bulkStart, bulkEnd);
            }
            else
            {
                handler.onCorrupt(connection, buffer, index, Math.min(next, index + 120),
                    "Redis message on a channel this peer did not subscribe to");
            }
            return next;
        }

        private int skipUnexpected(
            final PeerConnection connection, final ByteBuffer buffer, final int index, final int limit,
            final FrameHandler handler)
        {
            final int next = skip(buffer, index, limit, 0);
            if (next >= 0)
            {
                handler.onCorrupt(connection, buffer, index, Math.min(next, index + 120), "unexpected Redis reply");
            }
            return next;
        }

        /** Skips one complete RESP2 value of any type. */
        private int skip(final ByteBuffer buffer, final int index, final int limit, final int depth)
        {
            if (index >= limit)
            {
                return INCOMPLETE;
            }
            switch (buffer.get(index))
            {
                case '+':
                case '-':
                case ':':
                {
                    final int crlf = lineEnd(buffer, index, limit);
                    return crlf < 0 ? INCOMPLETE : crlf + CRLF.length;
                }
                case '$':
                    return bulk(buffer, index, limit);
                case '*':
                {
                    if (depth >= MAX_SKIP_DEPTH)
                    {
                        return MALFORMED;
                    }
                    int next = header(buffer, index, limit, (byte)'*');
                    final long count = integer;
                    for (long i = 0; i < count && next >= 0; i++)
                    {
                        next = skip(buffer, next, limit, depth + 1);
                    }
                    return next;
                }
                default:
                    return MALFORMED;
            }
        }

        /** {@code $<n>\r\n<n bytes>\r\n}: sets the content bounds. */
        private int bulk(final ByteBuffer buffer, final int index, final int limit)
        {
            final int next = header(buffer, index, limit, (byte)'$');
            if (next < 0)
            {
                return next;
            }
            final long end = next + integer;
            if (end + CRLF.length > limit)
            {
                return end + CRLF.length - index > buffer.capacity() ? MALFORMED : INCOMPLETE;
            }
            if (buffer.get((int)end) != '\r' || buffer.get((int)end + 1) != '\n')
            {
                return MALFORMED;
            }
            bulkStart = next;
            bulkEnd = (int)end;
            return (int)end + CRLF.length;
        }

        /** {@code :<n>\r\n}: sets the integer. */
        private int integer(final ByteBuffer buffer, final int index, final int limit)
        {
            return header(buffer, index, limit, (byte)':');
        }

        /** {@code <type><non-negative decimal>\r\n}: sets the integer. */
        private int header(final ByteBuffer buffer, final int index, final int limit, final byte type)
        {
            if (index >= limit)
            {
                return INCOMPLETE;
            }
            if (buffer.get(index) != type)
            {
                return MALFORMED;
            }
            final int crlf = lineEnd(buffer, index, limit);
            if (crlf < 0)
            {
                return limit - index > MAX_HEADER_BYTES ? MALFORMED : INCOMPLETE;
            }
            integer = parseDecimal(buffer, index + 1, crlf);
            return integer < 0 ? MALFORMED : crlf + CRLF.length;
        }
    }

    /** @return the index of the {@code \r} of the first CRLF at or after {@code index}, or -1 if none yet. */
    static int lineEnd(final ByteBuffer buffer, final int index, final int limit)
    {
        for (int i = index; i + 1 < limit; i++)
        {
            if (buffer.get(i) == '\r' && buffer.get(i + 1) == '\n')
            {
                return i;
            }
        }
        return -1;
    }
}
