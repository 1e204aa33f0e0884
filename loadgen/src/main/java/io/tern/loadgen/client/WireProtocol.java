/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.client.LineDecoder;
import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * How the loadgen speaks to a server it drives over its own sockets, NATS and Redis ({@link Target}; tern goes through
 * the client library, {@link TernConnections}): registration, the framing of each message the
 * sender writes, and the parser of what the receiver reads. Everything else (workloads, schedule, payload checks,
 * histograms, reports) is the same for every target, so their numbers compare.
 * <pre>
 *              sender writes per message                          receiver parses per message
 *   (tern      dest1, dest2: &lt;payload&gt;\n                           from &lt;sender&gt;: &lt;payload&gt;\n, by the client)
 *   nats       PUB &lt;dest&gt; &lt;n&gt;\r\n&lt;payload&gt;\r\n                     MSG &lt;dest&gt; &lt;sid&gt; &lt;n&gt;\r\n&lt;payload&gt;\r\n
 *   redis      *3 $7 PUBLISH $&lt;len&gt; &lt;dest&gt; $&lt;n&gt; &lt;payload&gt;        *3 $7 message $&lt;len&gt; &lt;dest&gt; $&lt;n&gt; &lt;payload&gt;
 *              (on a second, publisher connection)                (and :&lt;subscribers&gt; replies on the publisher one)
 * </pre>
 * tern names the sender; NATS and Redis do not, so there the receiver takes the sender from the payload's sender
 * field (covered by its checksum) and checks instead that the message came on its own subject or channel. Lost,
 * duplicated, out-of-order and corrupt messages are then counted by the same code for all three.
 * <p>
 * Why not the official clients (jnats, Jedis, Lettuce): each brings its own I/O and dispatcher threads, queues and
 * per-message objects, so the loadgen would measure a different client per target. Both protocols are short text
 * protocols, so the loadgen speaks them itself over NIO connections driven by the same two agents as tern's clients
 * ({@link SocketConnections}); tern's own client is garbage free and driven by those agents too.
 * <p>
 * Immutable once built, except what {@link #newFrameParser()} returns (one per reading thread). Registration runs on
 * the receiving thread before the agents start.
 */
public abstract class WireProtocol
{

    /** Smallest read and write buffer per connection. */
    static final int MIN_BUFFER_BYTES = 64 * 1024;
    /** The text of registration probes; run payloads are at least 64 bytes, so never look like one. */
    static final byte[] PROBE = "probe".getBytes(StandardCharsets.US_ASCII);
    /** The longest probe text: {@code probe-<peer index>}, as NATS and Redis send it across several nodes. */
    static final int MAX_PROBE_BYTES = PROBE.length + 1 + 10;

    final Workload workload;
    final int payloadBytes;
    /** The client side of TLS ({@code --tls}); null for plain TCP. */
    final ClientTls tls;
    /** Nodes the peers are spread over ({@code --nodes}); 1 for one server. */
    final int nodeCount;

    WireProtocol(final Workload workload, final int payloadBytes, final ClientTls tls, final int nodeCount)
    {
        this.workload = workload;
        this.payloadBytes = payloadBytes;
        this.tls = tls;
        this.nodeCount = nodeCount;
    }

    /**
     * @param target        the kind of server.
     * @param workload      the run's topology.
     * @param payloadBytes  text bytes per message.
     * @param fanoutPublish NATS and Redis fanout: one shared subject or one publish per receiver.
     * @return the protocol for that server.
     */
    public static WireProtocol of(
        final Target target, final Workload workload, final int payloadBytes, final FanoutPublish fanoutPublish)
    {
        return of(target, workload, payloadBytes, fanoutPublish, null);
    }

    /**
     * @param target        the kind of server.
     * @param workload      the run's topology.
     * @param payloadBytes  text bytes per message.
     * @param fanoutPublish NATS and Redis fanout: one shared subject or one publish per receiver.
     * @param tls           the client side of TLS, or null for plain TCP.
     * @return the protocol for that server, over TLS when given.
     */
    public static WireProtocol of(
        final Target target,
        final Workload workload,
        final int payloadBytes,
        final FanoutPublish fanoutPublish,
        final ClientTls tls)
    {
        return of(target, workload, payloadBytes, fanoutPublish, tls, 1);
    }

    /**
     * @param target        the kind of server.
     * @param workload      the run's topology.
     * @param payloadBytes  text bytes per message.
     * @param fanoutPublish NATS and Redis fanout: one shared subject or one publish per receiver.
     * @param tls           the client side of TLS, or null for plain TCP.
     * @param nodeCount     nodes of a cluster the peers are spread over ({@link PeerNodes}), 1 for one server.
     * @return the protocol for that server, over TLS when given.
     */
    public static WireProtocol of(
        final Target target,
        final Workload workload,
        final int payloadBytes,
        final FanoutPublish fanoutPublish,
        final ClientTls tls,
        final int nodeCount)
    {
        switch (target)
        {
            case NATS:
                return new NatsProtocol(workload, payloadBytes, fanoutPublish, tls, nodeCount);
            case REDIS:
                return new RedisProtocol(workload, payloadBytes, fanoutPublish, tls, nodeCount);
            default:
                throw new IllegalArgumentException("target=" + target.optionValue() +
                    ": tern is driven through the client library, see TernConnections");
        }
    }

    /** @return which server this speaks to. */
    public abstract Target target();

    /** @return one line on how peers and messages map onto the server, for the settings printed at start. */
    public abstract String describe();

    /**
     * Connects every peer to one server and makes sure the server can route to every one of them before anything is
     * measured. Calling thread, before the agents start.
     *
     * @param address   of the server.
     * @param timeoutNs deadline for the whole registration.
     * @return the connections indexed by peer, non-blocking, registered with no selector.
     * @throws RegistrationException naming the peer and the reason; every connection is closed then.
     */
    public final PeerConnection[] connectAndRegister(final InetSocketAddress address, final long timeoutNs)
        throws RegistrationException
    {
        return connectAndRegister(PeerNodes.one(address, workload), timeoutNs);
    }

    /**
     * Connects every peer to its node and makes sure the servers can route to every one of them, across nodes,
     * before anything is measured. Calling thread, before the agents start.
     *
     * @param nodes     which node each peer connects to.
     * @param timeoutNs deadline for the whole registration.
     * @return the connections indexed by peer, non-blocking, registered with no selector.
     * @throws RegistrationException naming the peer and the reason; every connection is closed then.
     */
    public abstract PeerConnection[] connectAndRegister(PeerNodes nodes, long timeoutNs)
        throws RegistrationException;

    /**
     * The frames of one message of a sender whose destinations are fixed (pairs, fanout): each is this prefix,
     * the payload, then {@link #frameTrailer()}.
     *
     * @param sender index.
     * @return one prefix per frame the message takes; allocated here, once.
     */
    abstract byte[][] framePrefixesOfSender(int sender);

    /**
     * @param receiver index.
     * @return the frame prefixes of a message to one receiver (mesh picks one per message).
     */
    abstract byte[][] framePrefixesToReceiver(int receiver);

    /** @return what ends every frame after its payload. */
    abstract byte[] frameTrailer();

    /** @return the frame that answers a server's PING, or null when the server never pings. */
    byte[] pongFrame()
    {
        return null;
    }

    /**
     * @return Redis: how many subscribers each PUBLISH must reach (its integer reply); -1 when there is no reply.
     */
    long subscribersPerPublish()
    {
        return -1;
    }

    /**
     * @return true when each publish reply's subscriber count is checked against {@link #subscribersPerPublish()}:
     * with one server. Redis Cluster answers with the subscribers on the publisher's node alone.
     */
    final boolean subscriberCountChecked()
    {
        return nodeCount == 1;
    }

    /** @return a new parser of what this server sends, for one reading thread. */
    abstract FrameParser newFrameParser();

    /** @return bytes a message may take on the wire beyond its payload when it arrives. */
    abstract int arrivalOverheadBytes();

    /** @return bytes per connection for reading: at least four of the largest frame that can arrive. */
    public int readBufferBytes()
    {
        return Math.max(MIN_BUFFER_BYTES, 4 * (payloadBytes + arrivalOverheadBytes()));
    }

    /** @return bytes per connection for writing: at least four of the largest message a sender writes. */
    public int writeBufferBytes()
    {
        return Math.max(MIN_BUFFER_BYTES, 4 * maxMessageBytes());
    }

    /** @return the most bytes one message of any sender takes on the wire, every frame of it. */
    public int maxMessageBytes()
    {
        int most = 0;
        for (int s = 0; s < workload.senderCount(); s++)
        {
            most = Math.max(most, messageBytes(framePrefixesOfSender(s)));
        }
        if (workload.kind() == WorkloadKind.MESH)
        {
            for (int r = 0; r < workload.receiverCount(); r++)
            {
                most = Math.max(most, messageBytes(framePrefixesToReceiver(r)));
            }
        }
        return most;
    }

    /**
     * @param prefixes of the frames of one message.
     * @return bytes the message takes: every prefix, payload and trailer.
     */
    final int messageBytes(final byte[][] prefixes)
    {
        int bytes = 0;
        for (final byte[] prefix : prefixes)
        {
            bytes += prefix.length + payloadBytes + frameTrailer().length;
        }
        return bytes;
    }

    /**
     * Opens a peer's connection: TCP, then over TLS the handshake (after the line a server sends in plain text
     * first, see {@link #beforeHandshake}). Calling thread.
     *
     * @param address     of the server.
     * @param peer        index.
     * @param publishOnly true for a Redis publisher connection.
     * @param deadlineNs  to be connected by.
     * @return the connection, non-blocking, registered with no selector.
     * @throws RegistrationException naming the connection and the reason; nothing is left open then.
     */
    final PeerConnection openPeer(
        final InetSocketAddress address, final int peer, final boolean publishOnly, final long deadlineNs)
        throws RegistrationException
    {
        final String name = workload.peerName(peer);
        final String what = publishOnly ? "the publisher connection of peer " + name : "peer " + name;
        final SocketChannel channel = openChannel(address, what, deadlineNs);
        if (null == tls)
        {
            return new PeerConnection(peer, workload.senderOfPeer(peer), workload.receiverOfPeer(peer),
                publishOnly ? name + " (publisher)" : name, channel, null, readBufferBytes(), writeBufferBytes(),
                publishOnly);
        }
        PeerConnection connection = null;
        try
        {
            beforeHandshake(channel, what, address, deadlineNs);
            connection = new PeerConnection(peer, workload.senderOfPeer(peer), workload.receiverOfPeer(peer),
                publishOnly ? name + " (publisher)" : name, channel, tls.start(channel, address, what), readBufferBytes(),
                writeBufferBytes(), publishOnly);
            tls.handshake(connection.tls, channel, address, what, connection.readBuffer, deadlineNs);
            return connection;
        }
        catch (final RegistrationException | RuntimeException ex)
        {
            if (null != connection)
            {
                connection.close();
            }
            else
            {
                try
                {
                    channel.close();
                }
                catch (final IOException ignore)
                {
                    // Already failing.
                }
            }
            throw ex;
        }
    }

    /**
     * Over TLS, before the handshake: reads what the server sends in plain text first. Nothing by default.
     *
     * @param channel    connected, non-blocking.
     * @param what       names the connection in errors.
     * @param address    of the server.
     * @param deadlineNs to be done by.
     * @throws RegistrationException when the server does not offer TLS.
     */
    void beforeHandshake(
        final SocketChannel channel, final String what, final InetSocketAddress address, final long deadlineNs)
        throws RegistrationException
    {
    }

    /**
     * Opens one blocking-connected, then non-blocking, TCP connection with {@code TCP_NODELAY}.
     *
     * @param address    of the server.
     * @param what       names the connection in the error.
     * @param deadlineNs to connect by.
     * @return the channel.
     * @throws RegistrationException when it cannot connect in time.
     */
    static SocketChannel openChannel(final InetSocketAddress address, final String what, final long deadlineNs)
        throws RegistrationException
    {
        final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
        if (remainingMs <= 0)
        {
            throw new RegistrationException("timed out connecting " + what + " to " + address);
        }
        SocketChannel channel = null;
        try
        {
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.socket().connect(address, (int)Math.min(Integer.MAX_VALUE, remainingMs));
            channel.configureBlocking(false);
            return channel;
        }
        catch (final IOException ex)
        {
            if (null != channel)
            {
                try
                {
                    channel.close();
                }
                catch (final IOException ignore)
                {
                    // Already failing with the connect error.
                }
            }
            throw new RegistrationException("cannot connect " + what + " to " + address + ": " + ex.getMessage(), ex);
        }
    }

    // ---------------------------------------------------------------- allocation-free helpers for the parsers
    // The client library's, which every target's parser shares (the tern target's decoder is the client's own).

    /** @return true when {@code [start, end)} of the buffer begins with the prefix. */
    static boolean startsWith(final ByteBuffer buffer, final int start, final int end, final byte[] prefix)
    {
        return LineDecoder.startsWith(buffer, start, end, prefix);
    }

    /** @return true when {@code [start, end)} of the buffer is exactly these bytes. */
    static boolean equalsBytes(final ByteBuffer buffer, final int start, final int end, final byte[] bytes)
    {
        return LineDecoder.equalsBytes(buffer, start, end, bytes);
    }

    /** @return the index of the first {@code b} in {@code [from, limit)}, or -1; eight bytes a step. */
    static int indexOf(final ByteBuffer buffer, final int from, final int limit, final byte b)
    {
        return LineDecoder.indexOf(buffer, from, limit, b);
    }

    /** @return the unsigned decimal in {@code [start, end)} (at most 18 digits), or -1. */
    static long parseDecimal(final ByteBuffer buffer, final int start, final int end)
    {
        return LineDecoder.parseDecimal(buffer, start, end);
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static String ascii(final ByteBuffer buffer, final int start, final int end)
    {
        final byte[] bytes = new byte[Math.max(0, end - start)];
        buffer.get(start, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
