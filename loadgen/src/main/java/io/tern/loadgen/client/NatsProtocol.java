/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.Workload;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;

import static java.nio.charset.StandardCharsets.US_ASCII;

/**
 * Core NATS (the client protocol of {@code nats-server}), spoken directly: one TCP connection per peer.
 * <pre>
 *   server: INFO {...}\r\n                                         on connect; ignored
 *   peer:   CONNECT {"verbose":false,"pedantic":false,...}\r\n     no +OK per command, as tern sends no acks
 *           SUB &lt;own name&gt; 1\r\n   [SUB &lt;prefix&gt;fanout 2\r\n]        a fanout receiver, shared mode
 *           PING\r\n                 -&gt; PONG\r\n                      the SUBs are in effect
 *   send:   PUB &lt;receiver name&gt; &lt;n&gt;\r\n&lt;payload&gt;\r\n                  fanout: one PUB to &lt;prefix&gt;fanout, or
 *                                                                  one per receiver (--fanout-publish)
 *   arrive: MSG &lt;subject&gt; &lt;sid&gt; [reply-to] &lt;n&gt;\r\n&lt;payload&gt;\r\n      subject must be one this peer subscribed
 *           PING\r\n  -&gt; the sender thread answers PONG\r\n         (the server pings ~2 s after connect, then
 *           -ERR '...'\r\n                                          every 2 min; unanswered, it disconnects)
 *           +OK\r\n, INFO {...}\r\n                                 ignored
 * </pre>
 * The payload is length-prefixed, so it is taken by its length, and the CRLF after it is checked.
 */
final class NatsProtocol extends PubSubProtocol
{
    /** {@code MSG <subject up to 64> <sid> <reply-to up to 64> <length>\r\n} and the CRLF after the payload. */
    private static final int MAX_MSG_OVERHEAD_BYTES = 4 + 64 + 1 + 10 + 1 + 64 + 1 + 10 + 2 + 2;
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] PING = ascii("PING");
    private static final byte[] PONG = ascii("PONG");
    private static final byte[] PING_FRAME = ascii("PING\r\n");
    private static final byte[] PONG_FRAME = ascii("PONG\r\n");
    private static final byte[] MSG = ascii("MSG ");
    private static final byte[] OK = ascii("+OK");
    private static final byte[] ERR = ascii("-ERR");
    private static final byte[] INFO = ascii("INFO");
    private static final byte[] SLOW_CONSUMER = ascii("slow consumer");

    NatsProtocol(final Workload workload, final int payloadBytes, final FanoutPublish fanoutPublish)
    {
        this(workload, payloadBytes, fanoutPublish, null, 1);
    }

    NatsProtocol(
        final Workload workload,
        final int payloadBytes,
        final FanoutPublish fanoutPublish,
        final ClientTls tls,
        final int nodeCount)
    {
        super(workload, payloadBytes, fanoutPublish, tls, nodeCount);
    }

    @Override
    public Target target()
    {
        return Target.NATS;
    }

    @Override
    public String describe()
    {
        return "core NATS: each peer SUBs to its own name; a message is PUB <receiver>" + fanoutWords("PUB", "SUBs");
    }

    @Override
    byte[] publishPrefix(final byte[] destination, final int textBytes)
    {
        return ascii("PUB " + new String(destination, US_ASCII) + " " +
            textBytes + "\r\n");
    }

    @Override
    byte[] frameTrailer()
    {
        return CRLF;
    }

    @Override
    byte[] pongFrame()
    {
        return PONG_FRAME;
    }

    @Override
    boolean needsPublisherConnection()
    {
        return false;
    }

    @Override
    void queueSubscribe(final PeerConnection peer, final List<byte[]> subjects) throws RegistrationException
    {
        // verbose=false: no +OK per command; pedantic=false: no extra checks. Echo stays on (the default) so a peer's
        // probe to itself comes back.
        queue(peer, ascii("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"" + peer.name +
            "\",\"lang\":\"java\",\"version\":\"tern-loadgen\",\"protocol\":0}\r\n"));
        for (int i = 0; i < subjects.size(); i++)
        {
            queue(peer, ascii("SUB " + new String(subjects.get(i), US_ASCII) + " " +
                (i + 1) + "\r\n"));
        }
        // The server handles a connection's commands in order, so its PONG proves the SUBs are in effect.
        queue(peer, PING_FRAME);
    }

    /**
     * nats-server greets every client in plain text, {@code INFO {...,"tls_required":true,...}}, and only then
     * expects the client's handshake (there is no second INFO over TLS).
     */
    @Override
    void beforeHandshake(
        final SocketChannel channel, final String what, final InetSocketAddress address, final long deadlineNs)
        throws RegistrationException
    {
        final String info = tls.readPlainLine(channel, what, deadlineNs);
        if (!info.startsWith("INFO"))
        {
            throw new RegistrationException("the server at " + address + " greeted " + what + " with '" +
                info.substring(0, Math.min(80, info.length())) + "', not a NATS INFO line; is it a nats-server?");
        }
        if (!info.contains("\"tls_required\":true") && !info.contains("\"tls_available\":true"))
        {
            throw new RegistrationException("the nats-server at " + address + " does not offer TLS (its INFO has " +
                "no tls_required): configure tls { cert_file, key_file } in it, or drop --tls");
        }
    }

    @Override
    int confirmationsExpected(final PeerConnection peer, final int subjects)
    {
        return 1;
    }

    @Override
    int arrivalOverheadBytes()
    {
        return MAX_MSG_OVERHEAD_BYTES;
    }

    @Override
    FrameParser newFrameParser()
    {
        return new Parser();
    }

    /** Parses NATS server frames in place. One per reading thread: it keeps the token bounds of a MSG line. */
    private final class Parser implements FrameParser
    {
        private static final int INCOMPLETE = -1;
        private final int[] tokenStart = new int[5];
        private final int[] tokenEnd = new int[5];

        @Override
        public void onBytes(final PeerConnection connection, final FrameHandler handler)
        {
            final ByteBuffer buffer = connection.readBuffer;
            final int limit = buffer.position();
            int index = 0;
            while (index < limit)
            {
                final int next = onFrame(connection, buffer, index, limit, handler);
                if (next == INCOMPLETE)
                {
                    break;
                }
                index = next;
            }

            FrameParser.keepIncompleteFrame(connection, buffer, index, limit, handler, "frame longer than the read buffer");
        }

        /** @return the index after the frame at {@code index}, or {@link #INCOMPLETE}. */
        private int onFrame(
            final PeerConnection connection, final ByteBuffer buffer, final int index, final int limit,
            final FrameHandler handler)
        {
            final int newline = indexOf(buffer, index, limit, (byte)'\n');
            if (newline < 0)
            {
                return INCOMPLETE;
            }
            final int end = newline > index && buffer.get(newline - 1) == '\r' ? newline - 1 : newline;
            final int afterLine = newline + 1;

            if (startsWith(buffer, index, end, MSG))
            {
                return onMsg(connection, buffer, index, end, afterLine, limit, handler);
            }
            if (equalsBytes(buffer, index, end, PING))
            {
                handler.onPing(connection);
            }
            else if (equalsBytes(buffer, index, end, PONG))
            {
                handler.onPong(connection);
            }
            else if (startsWith(buffer, index, end, ERR))
            {
                handler.onServerError(connection, buffer, index, end, containsIgnoreCase(buffer, index, end,
                    SLOW_CONSUMER));
            }
            else if (!equalsBytes(buffer, index, end, OK) && !startsWith(buffer, index, end, INFO))
            {
                handler.onCorrupt(connection, buffer, index, Math.min(end, index + 120), "unexpected NATS frame");
            }
            return afterLine;
        }

        /** {@code MSG <subject> <sid> [reply-to] <#bytes>\r\n<payload>\r\n} */
        private int onMsg(
            final PeerConnection connection, final ByteBuffer buffer, final int index, final int end,
            final int afterLine, final int limit, final FrameHandler handler)
        {
            int tokens = 0;
            int i = index + MSG.length;
            while (i < end && tokens < tokenStart.length)
            {
                while (i < end && (buffer.get(i) == ' ' || buffer.get(i) == '\t'))
                {
                    i++;
                }
                if (i == end)
                {
                    break;
                }
                tokenStart[tokens] = i;
                while (i < end && buffer.get(i) != ' ' && buffer.get(i) != '\t')
                {
                    i++;
                }
                tokenEnd[tokens++] = i;
            }
            final long length = tokens == 3 || tokens == 4 ?
                parseDecimal(buffer, tokenStart[tokens - 1], tokenEnd[tokens - 1]) : -1;
            if (length < 0)
            {
                handler.onCorrupt(connection, buffer, index, Math.min(end, index + 120), "malformed NATS MSG line");
                return afterLine;
            }
            final long frameEnd = afterLine + length + CRLF.length;
            if (frameEnd > limit)
            {
                if (frameEnd - index > buffer.capacity())
                {
                    handler.onCorrupt(connection, buffer, index, Math.min(end, index + 120),
                        "NATS MSG longer than the read buffer");
                    return afterLine;
                }
                return INCOMPLETE;
            }
            final int textEnd = afterLine + (int)length;
            if (buffer.get(textEnd) != '\r' || buffer.get(textEnd + 1) != '\n')
            {
                handler.onCorrupt(connection, buffer, index, Math.min(textEnd, index + 120),
                    "NATS MSG payload not followed by CRLF");
                return afterLine;
            }
            if (!isOwnSubject(connection, buffer, tokenStart[0], tokenEnd[0]))
            {
                handler.onCorrupt(connection, buffer, index, Math.min(textEnd, index + 120),
                    "NATS MSG on a subject this peer did not subscribe to");
            }
            else
            {
                handler.onMessage(connection, buffer, FrameHandler.SENDER_IN_PAYLOAD, afterLine, textEnd);
            }
            return (int)frameEnd;
        }
    }

    /** @return true when {@code [start, end)} contains the lower-case ASCII needle, in any case. */
    static boolean containsIgnoreCase(final ByteBuffer buffer, final int start, final int end, final byte[] needle)
    {
        for (int i = start; i + needle.length <= end; i++)
        {
            int j = 0;
            while (j < needle.length && Character.toLowerCase((char)buffer.get(i + j)) == needle[j])
            {
                j++;
            }
            if (j == needle.length)
            {
                return true;
            }
        }
        return false;
    }
}
