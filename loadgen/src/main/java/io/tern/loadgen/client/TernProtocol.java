/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.client.Destinations;
import io.tern.client.ErrorKind;
import io.tern.client.ErrorReply;
import io.tern.client.LineDecoder;
import io.tern.client.ReceivedMessage;
import io.tern.loadgen.workload.Workload;
import io.tern.transport.Protocol;

import java.nio.ByteBuffer;

/**
 * tern's line protocol (README, "The protocol"): a peer's first line is its name; a message is one line
 * {@code dest1, dest2: text}; what arrives is {@code from <sender>: text} or {@code error: ...}.
 * <pre>
 *   sends     lg1-3: &lt;payload&gt;\n                  (fanout: lg1-1, lg1-2, ...: &lt;payload&gt;\n, one line for K)
 *   arrives   from lg1-0: &lt;payload&gt;\n              the sender is parsed from the name, and must match the
 *             error: no peer 'lg1-3'\n               payload's sender field
 * </pre>
 * Registration: {@link Registrar}, probes until every peer is known.
 * <p>
 * The line protocol itself is the client library's ({@code io.tern.client}): lines are framed with its
 * {@link io.tern.client.Destinations} and split and typed by its {@link LineDecoder}, the same garbage-free code a
 * {@code TernClient}'s I/O thread runs. The loadgen's agents drive the I/O themselves (one sender thread writes every
 * connection, one receiver thread reads them all, as for NATS and Redis), so the targets differ only in the server.
 */
final class TernProtocol extends WireProtocol
{
    /**
     * Longest line the broker can send us beyond the payload: {@code from <name>: } and the newline, for the longest
     * name the broker accepts by default, and one byte to spare.
     */
    private static final int MAX_FROM_OVERHEAD_BYTES =
        Protocol.deliveryOverheadBytes(Protocol.DEFAULT_MAX_NAME_BYTES) + 1;
    private static final byte[] TRAILER = {Protocol.LINE_END};
    private static final byte[] FROM = ascii(Protocol.FROM_PREFIX);
    /** Mesh senders have no fixed destinations (each message picks one); never sent. */
    private static final byte[] NO_FIXED_DESTINATIONS = ascii(": ");

    TernProtocol(final Workload workload, final int payloadBytes)
    {
        this(workload, payloadBytes, null, 1);
    }

    TernProtocol(final Workload workload, final int payloadBytes, final ClientTls tls, final int nodeCount)
    {
        super(workload, payloadBytes, tls, nodeCount);
    }

    @Override
    public Target target()
    {
        return Target.TERN;
    }

    @Override
    public String describe()
    {
        return "tern line protocol: first line the peer's name; a message is 'dest1, dest2: text'";
    }

    @Override
    public PeerConnection[] connectAndRegister(final PeerNodes nodes, final long timeoutNs)
        throws RegistrationException
    {
        return Registrar.connectAndRegister(this, nodes, timeoutNs);
    }

    @Override
    byte[][] framePrefixesOfSender(final int sender)
    {
        final Destinations fixed = workload.destinationsOfSender(sender);
        return new byte[][]{null == fixed ? NO_FIXED_DESTINATIONS : fixed.prefixBytes()};
    }

    @Override
    byte[][] framePrefixesToReceiver(final int receiver)
    {
        return new byte[][]{workload.destinationsOfReceiver(receiver).prefixBytes()};
    }

    @Override
    byte[] frameTrailer()
    {
        return TRAILER;
    }

    @Override
    int arrivalOverheadBytes()
    {
        return MAX_FROM_OVERHEAD_BYTES;
    }

    @Override
    FrameParser newFrameParser()
    {
        return new Parser();
    }

    /**
     * Splits lines with the client's {@link LineDecoder}, remembering how far it scanned; the client types each line
     * and this hands it on to the receiver. One per reading thread, like every {@link FrameParser}.
     */
    private final class Parser implements FrameParser, LineDecoder.Handler
    {
        private final LineDecoder decoder = new LineDecoder();
        private PeerConnection peer;
        private FrameHandler handler;

        @Override
        public void onBytes(final PeerConnection peer, final FrameHandler handler)
        {
            this.peer = peer;
            this.handler = handler;
            final ByteBuffer buffer = peer.readBuffer;
            final int limit = buffer.position();
            int lineStart = 0;
            if (peer.discardingLongLine)
            {
                // The end of a line longer than the buffer: drop up to its line end, then decode as usual.
                final int end = LineDecoder.indexOf(buffer, peer.scanIndex, limit, Protocol.LINE_END);
                if (end < 0)
                {
                    buffer.clear();
                    peer.scanIndex = 0;
                    return;
                }
                peer.discardingLongLine = false;
                lineStart = end + 1;
                buffer.limit(limit).position(lineStart);
                buffer.compact();
                peer.scanIndex = 0;
                onBytes(peer, handler);
                return;
            }
            lineStart = decoder.decode(buffer, limit, peer.scanIndex, this);
            if (lineStart > 0)
            {
                buffer.limit(limit).position(lineStart);
                buffer.compact();
                peer.scanIndex = buffer.position();
            }
            else if (limit == buffer.capacity())
            {
                // No newline in a full buffer: a line longer than anything the broker should send us.
                handler.onCorrupt(peer, buffer, 0, Math.min(limit, 80), "line longer than the read buffer");
                peer.discardingLongLine = true;
                buffer.clear();
                peer.scanIndex = 0;
            }
            else
            {
                peer.scanIndex = limit;
            }
        }

        @Override
        public void onMessage(final ReceivedMessage message)
        {
            handler.onMessage(peer, message.buffer(),
                workload.peerOfName(message.buffer(), message.senderOffset(), message.senderLength()),
                message.textOffset(), message.textOffset() + message.textLength());
        }

        @Override
        public void onError(final ErrorReply error)
        {
            handler.onServerError(peer, error.buffer(), error.lineOffset(), error.lineOffset() + error.lineLength(),
                error.kind() == ErrorKind.SLOW_CONSUMER);
        }

        @Override
        public void onMalformedLine(final ByteBuffer buffer, final int start, final int end)
        {
            handler.onCorrupt(peer, buffer, start, end, LineDecoder.startsWith(buffer, start, end, FROM) ?
                "not 'from <name>: <text>'" : "unexpected line");
        }
    }
}
