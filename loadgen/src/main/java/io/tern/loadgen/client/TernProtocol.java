/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.Workload;
import io.tern.transport.Protocol;

import java.net.InetSocketAddress;
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
    private static final byte[] FROM_SEPARATOR = ascii(Protocol.FROM_SEPARATOR);
    private static final byte[] ERROR = ascii(Protocol.ERROR_PREFIX);
    private static final byte[] SLOW_CONSUMER = ascii(Protocol.SLOW_CONSUMER);

    TernProtocol(final Workload workload, final int payloadBytes)
    {
        this(workload, payloadBytes, null);
    }

    TernProtocol(final Workload workload, final int payloadBytes, final ClientTls tls)
    {
        super(workload, payloadBytes, tls);
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
    public PeerConnection[] connectAndRegister(final InetSocketAddress address, final long timeoutNs)
        throws RegistrationException
    {
        return Registrar.connectAndRegister(this, address, timeoutNs);
    }

    @Override
    byte[][] framePrefixesOfSender(final int sender)
    {
        return new byte[][]{workload.destinationPrefixOfSender(sender)};
    }

    @Override
    byte[][] framePrefixesToReceiver(final int receiver)
    {
        return new byte[][]{workload.destinationPrefixOfReceiver(receiver)};
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
        return this::onBytes;
    }

    /** Splits lines at {@code \n} (dropping one {@code \r} before it), remembering how far it scanned. */
    private void onBytes(final PeerConnection peer, final FrameHandler handler)
    {
        final ByteBuffer buffer = peer.readBuffer;
        final int limit = buffer.position();
        int lineStart = 0;
        int i = peer.scanIndex;
        while ((i = indexOf(buffer, i, limit, Protocol.LINE_END)) >= 0)
        {
            if (peer.discardingLongLine)
            {
                peer.discardingLongLine = false;
            }
            else
            {
                final int end = i > lineStart && buffer.get(i - 1) == Protocol.CARRIAGE_RETURN ? i - 1 : i;
                onLine(peer, buffer, lineStart, end, handler);
            }
            lineStart = ++i;
        }

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

    private void onLine(
        final PeerConnection peer, final ByteBuffer buffer, final int start, final int end, final FrameHandler handler)
    {
        if (startsWith(buffer, start, end, FROM))
        {
            final int nameStart = start + FROM.length;
            final int colon = indexOf(buffer, nameStart, end, Protocol.TEXT_SEPARATOR); // a name holds no ':'
            if (colon < 0 || !startsWith(buffer, colon, end, FROM_SEPARATOR))
            {
                handler.onCorrupt(peer, buffer, start, end, "not 'from <name>: <text>'");
                return;
            }
            handler.onMessage(peer, buffer, workload.peerOfName(buffer, nameStart, colon - nameStart),
                colon + FROM_SEPARATOR.length, end);
        }
        else if (startsWith(buffer, start, end, ERROR))
        {
            handler.onServerError(peer, buffer, start, end, equalsBytes(buffer, start, end, SLOW_CONSUMER));
        }
        else
        {
            handler.onCorrupt(peer, buffer, start, end, "unexpected line");
        }
    }
}
