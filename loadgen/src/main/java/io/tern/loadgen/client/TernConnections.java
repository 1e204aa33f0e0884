/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.client.ConnectionListener;
import io.tern.client.ConnectionState;
import io.tern.client.Destinations;
import io.tern.client.ErrorHandler;
import io.tern.client.ErrorKind;
import io.tern.client.ErrorReply;
import io.tern.client.MessageHandler;
import io.tern.client.ReceivedMessage;
import io.tern.client.TernClient;
import io.tern.client.TernClientConfig;
import io.tern.client.TernClientException;
import io.tern.client.TernEventLoop;
import io.tern.loadgen.workload.PayloadDescriptor;
import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tern: one {@link TernClient} per peer, every one on one invoker {@link TernEventLoop} that the receiving thread
 * polls; the client library speaks the protocol, the loadgen only drives it.
 * <pre>
 *   loadgen-sender     offer: payload encoded into one direct buffer, client.queue(destinations, buffer) copies it
 *                      into the client's write buffer (its send ring while the loop writes or the write buffer is
 *                      full); afterBatch: writeQueued() once per client that took one, which
 *                      writes through on this thread (the loop writes what a busy lock or a full socket left)
 *   loadgen-receiver   poll: loop.poll(timeout) reads, decodes and calls each client's handlers, here a
 *                      {@link Peer}, which hands the flyweight's bytes to the receiver's {@link FrameHandler}
 * </pre>
 * Both paths are the client's garbage-free ones: a {@link Destinations} per sender (or per receiver for mesh) made
 * once, a reused buffer, and a {@code messageHandler} that reads the {@code ReceivedMessage} flyweight.
 * <p>
 * Registration, on the receiving thread (the only thread that may poll the loop): every client is started at once and
 * the loop polled until each is {@link ConnectionState#CONNECTED} (its name routed, proved by its own sync line);
 * then each peer sends {@code probe} to itself and to every peer it will exchange messages with, and
 * {@code error: no peer 'x'} makes it send that probe again shortly after: across the nodes of a cluster a name
 * reaches the other nodes a little after its own node admitted it.
 * <p>
 * A line from the broker that is neither {@code from} nor {@code error:} comes to the error handler as
 * {@link ErrorKind#MALFORMED_LINE} and counts as corrupt, as the other targets' unreadable frames do.
 */
public final class TernConnections extends Connections
{
    private static final byte[] PROBE = WireProtocol.PROBE;
    private static final String PROBE_TEXT = "probe";
    private static final String NOT_A_TERN_LINE = "neither a from line nor an error line";
    private static final long RETRY_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long REGISTER_POLL_MS = 10;
    /** The client's own connect timeout exceeds the registration's, so that the loadgen's deadline is the one met. */
    private static final Duration CLIENT_TIMEOUT_MARGIN = Duration.ofSeconds(1);
    /** Smallest send ring per client; the client's own minimum is 64 KiB. */
    private static final int MIN_SEND_BUFFER_BYTES = 128 * 1024;
    /** Bytes of a send ring's record header beyond the line (the client's). */
    private static final int SEND_RECORD_OVERHEAD_BYTES = 64;

    private final Workload workload;
    private final TernEventLoop loop;
    private final Peer[] peers;
    private final Peer[] senderPeers;
    private final Destinations[] senderDestinations;
    private final Destinations[] receiverDestinations;
    private final boolean mesh;
    private final int payloadBytes;
    private final ByteBuffer payload;
    private final UnsafeBuffer payloadView;
    private final Peer[] touched;
    /** {dueNs, fromPeer, toPeer} of probes answered {@code no peer}, to send again. Registration only. */
    private final ArrayDeque<long[]> retries = new ArrayDeque<>();

    // Sending thread only.
    private int touchedCount;
    private long writeFailures;

    // Receiving thread only.
    private FrameHandler handler;
    private boolean registering = true;
    private String registrationFailure;
    private volatile boolean closing;

    private TernConnections(final Workload workload, final int payloadBytes)
    {
        this.workload = workload;
        this.payloadBytes = payloadBytes;
        this.loop = TernEventLoop.invoker(Math.max(1, workload.peerCount()));
        this.peers = new Peer[workload.peerCount()];
        this.senderPeers = new Peer[workload.senderCount()];
        this.mesh = workload.kind() == WorkloadKind.MESH;
        this.senderDestinations = new Destinations[workload.senderCount()];
        this.receiverDestinations = new Destinations[mesh ? workload.receiverCount() : 0];
        for (int s = 0; s < senderDestinations.length; s++)
        {
            senderDestinations[s] = workload.destinationsOfSender(s);
        }
        for (int r = 0; r < receiverDestinations.length; r++)
        {
            receiverDestinations[r] = workload.destinationsOfReceiver(r);
        }
        this.payload = ByteBuffer.allocateDirect(payloadBytes);
        this.payloadView = new UnsafeBuffer(payload);
        this.touched = new Peer[workload.senderCount()];
    }

    /**
     * Starts a client per peer and waits until the broker routes to every one, across nodes. Receiving thread (it
     * then polls the loop for good), before the agents start.
     *
     * @param workload     the run's topology.
     * @param nodes        the node each peer connects to.
     * @param tls          the client side of TLS, or null for plain TCP.
     * @param timeoutNs    deadline for the whole registration.
     * @param payloadBytes text bytes per message.
     * @return the registered clients.
     * @throws RegistrationException naming the peer and the reason; every client is closed then.
     */
    public static TernConnections register(
        final Workload workload,
        final PeerNodes nodes,
        final ClientTls tls,
        final long timeoutNs,
        final int payloadBytes) throws RegistrationException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final TernConnections connections = new TernConnections(workload, payloadBytes);
        boolean ok = false;
        try
        {
            connections.startClients(nodes, tls, timeoutNs);
            connections.awaitConnected(deadlineNs);
            connections.probe(nodes, deadlineNs);
            connections.registering = false;
            ok = true;
            return connections;
        }
        finally
        {
            if (!ok)
            {
                connections.close();
            }
        }
    }

    private void startClients(final PeerNodes nodes, final ClientTls tls, final long timeoutNs)
        throws RegistrationException
    {
        int longestPrefix = 0;
        for (final Destinations to : senderDestinations)
        {
            longestPrefix = Math.max(longestPrefix, null == to ? 0 : to.prefixLength());
        }
        for (final Destinations to : receiverDestinations)
        {
            longestPrefix = Math.max(longestPrefix, to.prefixLength());
        }
        // The ring takes a line of at most an eighth of its size (Agrona's many-to-one ring).
        final int sendBufferBytes = Math.max(MIN_SEND_BUFFER_BYTES,
            Integer.highestOneBit(8 * (longestPrefix + payloadBytes + SEND_RECORD_OVERHEAD_BYTES) - 1) << 1);
        final Duration timeout = Duration.ofNanos(timeoutNs).plus(CLIENT_TIMEOUT_MARGIN);
        for (int p = 0; p < peers.length; p++)
        {
            final InetSocketAddress address = nodes.addressOfPeer(p);
            final Peer peer = new Peer(p, workload.receiverOfPeer(p), workload.peerName(p), address);
            final TernClientConfig config = new TernClientConfig()
                .host(address.getHostString()).port(address.getPort()).name(peer.name)
                .connectTimeout(timeout)
                .nameTakenRetry(Duration.ZERO) // a taken name is another loadgen's: fail at once
                .sendBufferBytes(sendBufferBytes)
                .messageHandler(peer).errorHandler(peer).connectionListener(peer);
            if (null != tls)
            {
                config.tls(tls.context())
                    .tlsServerName(tls.host());
            }
            peers[p] = peer;
            try
            {
                peer.client = TernClient.start(config, loop);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new RegistrationException("peer " + peer.name + ": " + ex.getMessage(), ex);
            }
            final int s = workload.senderOfPeer(p);
            if (s >= 0)
            {
                senderPeers[s] = peer;
            }
        }
    }

    private void awaitConnected(final long deadlineNs) throws RegistrationException
    {
        while (true)
        {
            int connected = 0;
            for (final Peer peer : peers)
            {
                final ConnectionState state = peer.client.state();
                if (state == ConnectionState.CONNECTED)
                {
                    connected++;
                }
                else if (state == ConnectionState.CLOSED)
                {
                    throw refused(peer, peer.client.failure());
                }
            }
            if (connected == peers.length)
            {
                return;
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new RegistrationException("registration timed out: " + connected + " of " + peers.length +
                    " peers registered with the broker" + waitingFor(false));
            }
            loop.poll(REGISTER_POLL_MS);
        }
    }

    private static RegistrationException refused(final Peer peer, final TernClientException failure)
    {
        if (null != failure && failure.kind() == ErrorKind.NAME_TAKEN)
        {
            return new RegistrationException("the broker already has a peer named " + peer.name +
                " (another loadgen running?); choose another --name-prefix: " + failure.getMessage(), failure);
        }
        return new RegistrationException("cannot connect peer " + peer.name + " to " + peer.address + ": " +
            (null == failure ? "closed" : failure.getMessage() + tlsHint(failure)), failure);
    }

    private static String tlsHint(final Throwable failure)
    {
        for (Throwable cause = failure; null != cause; cause = cause.getCause())
        {
            if (cause instanceof javax.net.ssl.SSLException)
            {
                return ClientTls.hint((javax.net.ssl.SSLException)cause);
            }
        }
        return "";
    }

    private void probe(final PeerNodes nodes, final long deadlineNs) throws RegistrationException
    {
        for (int p = 0; p < peers.length; p++)
        {
            final List<String> names = new ArrayList<>();
            for (final int target : workload.probeTargetsOf(p))
            {
                names.add(workload.peerName(target));
                peers[target].probesExpected++;
            }
            sendProbe(peers[p], Destinations.of(names));
        }
        while (true)
        {
            if (null != registrationFailure)
            {
                throw new RegistrationException(registrationFailure);
            }
            final long nowNs = System.nanoTime();
            while (!retries.isEmpty() && retries.peekFirst()[0] - nowNs <= 0)
            {
                final long[] retry = retries.pollFirst();
                sendProbe(peers[(int)retry[1]], Destinations.of(workload.peerName((int)retry[2])));
            }
            if (retries.isEmpty() && allProbesArrived())
            {
                return;
            }
            if (nowNs - deadlineNs >= 0)
            {
                int confirmed = 0;
                for (final Peer peer : peers)
                {
                    confirmed += peer.probesReceived == peer.probesExpected ? 1 : 0;
                }
                throw new RegistrationException("registration timed out: " + confirmed + " of " + peers.length +
                    " peers confirmed by their probes (registered with " + nodes.addressesText() + ")" +
                    waitingFor(true));
            }
            loop.poll(1);
        }
    }

    private void sendProbe(final Peer from, final Destinations to) throws RegistrationException
    {
        final long id = from.client.send(to, PROBE_TEXT);
        if (id <= 0)
        {
            throw refused(from, from.client.failure());
        }
    }

    private boolean allProbesArrived()
    {
        for (final Peer peer : peers)
        {
            if (peer.probesReceived < peer.probesExpected)
            {
                return false;
            }
        }
        return true;
    }

    private String waitingFor(final boolean probes)
    {
        final StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (int p = 0; p < peers.length && shown < 5; p++)
        {
            final Peer peer = peers[p];
            if (probes ? peer.probesReceived < peer.probesExpected : peer.client.state() != ConnectionState.CONNECTED)
            {
                sb.append(shown++ == 0 ? "; waiting for " : ", ").append(peer.name);
                if (probes)
                {
                    sb.append(" (").append(peer.probesReceived).append('/').append(peer.probesExpected)
                        .append(" probes)");
                }
            }
        }
        return sb.toString();
    }

    @Override
    public int peerCount()
    {
        return peers.length;
    }

    @Override
    public String tlsSession()
    {
        final javax.net.ssl.SSLSession session = peers.length > 0 ? peers[0].client.tlsSession() : null;
        return null == session ? null : session.getProtocol() + " " + session.getCipherSuite();
    }

    // ---------------------------------------------------------------- sending thread

    @Override
    void beforeBatch()
    {
        // The clients answer nothing on the sender's behalf: tern never pings.
    }

    @Override
    int offer(final int sender, final int receiver, final long sequence, final long dueNs, final long sendTimeNs)
    {
        final Peer peer = senderPeers[sender];
        if (peer.sendClosed)
        {
            return SKIPPED;
        }
        PayloadDescriptor.encode(payload, 0, payloadBytes, sender, sequence, dueNs, sendTimeNs);
        final long id = peer.client.queue(
            mesh ? receiverDestinations[receiver] : senderDestinations[sender], payloadView, 0, payloadBytes);
        if (!peer.touched)
        {
            // Written once at the end of the batch; also after a refusal, so that what the ring holds goes out.
            peer.touched = true;
            touched[touchedCount++] = peer;
        }
        if (id > 0)
        {
            return SENT;
        }
        if (id == TernClient.CLOSED)
        {
            // The connection is gone (the receiver hears of it from the client): the rest of this sender's messages
            // are not sent; what it had sent shows up as lost.
            peer.sendClosed = true;
            writeFailures++;
            return SKIPPED;
        }
        return BLOCKED; // the client's buffers are full: the broker takes bytes more slowly than we send
    }

    @Override
    void afterBatch()
    {
        for (int i = 0; i < touchedCount; i++)
        {
            final Peer peer = touched[i];
            peer.touched = false;
            touched[i] = null;
            peer.client.writeQueued(); // writes through here, unless the loop is writing: then the loop does
        }
        touchedCount = 0;
    }

    @Override
    boolean hasUnwritten()
    {
        return false; // the client writes what its ring holds: the loop when the socket takes more
    }

    @Override
    long unwrittenBytes()
    {
        return 0; // held by the clients, which drop it at close; it shows as lost
    }

    @Override
    long writeFailures()
    {
        return writeFailures;
    }

    // ---------------------------------------------------------------- receiving thread

    @Override
    int poll(final long timeoutMs, final FrameHandler handler)
    {
        this.handler = handler;
        return loop.poll(timeoutMs);
    }

    @Override
    void wake()
    {
        loop.wake();
    }

    @Override
    public void close()
    {
        closing = true;
        loop.close();
    }

    /**
     * One peer: its client and the client's handlers, which run on the receiving thread (the loop's poller) and hand
     * each line on to the receiver's {@link FrameHandler}, or to the registration before it. Allocates nothing per
     * message.
     */
    private final class Peer implements ReceivingPeer, MessageHandler, ErrorHandler, ConnectionListener
    {
        final int index;
        final int receiverIndex;
        final String name;
        final InetSocketAddress address;
        TernClient client;

        // Sending thread only.
        boolean touched;
        boolean sendClosed;

        // Receiving thread only.
        int probesExpected;
        int probesReceived;
        boolean disconnected;

        Peer(final int index, final int receiverIndex, final String name, final InetSocketAddress address)
        {
            this.index = index;
            this.receiverIndex = receiverIndex;
            this.name = name;
            this.address = address;
        }

        @Override
        public int receiverIndex()
        {
            return receiverIndex;
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public void onMessage(final ReceivedMessage message)
        {
            final ByteBuffer buffer = message.buffer();
            final int textStart = message.textOffset();
            final int textEnd = textStart + message.textLength();
            if (registering)
            {
                onProbe(buffer, textStart, textEnd, message);
                return;
            }
            final FrameHandler handler = TernConnections.this.handler;
            handler.onArrival(message.readTimeNs()); // the client's read time: no clock read per message
            handler.onMessage(this, buffer,
                workload.peerOfName(buffer, message.senderOffset(), message.senderLength()), textStart, textEnd);
        }

        private void onProbe(final ByteBuffer buffer, final int textStart, final int textEnd,
            final ReceivedMessage message)
        {
            if (!WireProtocol.equalsBytes(buffer, textStart, textEnd, PROBE))
            {
                fail("unexpected line to peer " + name + " during registration: " + message);
            }
            else if (++probesReceived > probesExpected)
            {
                fail("peer " + name + " received more probes than were sent to it: " + message);
            }
        }

        @Override
        public void onError(final ErrorReply error)
        {
            if (registering)
            {
                final int target = error.kind() == ErrorKind.NO_SUCH_PEER ?
                    workload.peerOfName(error.buffer(), error.subjectOffset(), error.subjectLength()) : -1;
                if (target >= 0)
                {
                    retries.addLast(new long[]{System.nanoTime() + RETRY_DELAY_NS, index, target});
                }
                else
                {
                    fail("unexpected line to peer " + name + " during registration: " + error.textAsString());
                }
                return;
            }
            final int end = error.lineOffset() + error.lineLength();
            if (error.kind() == ErrorKind.MALFORMED_LINE)
            {
                handler.onCorrupt(this, error.buffer(), error.lineOffset(), Math.min(end, error.lineOffset() + 120),
                    NOT_A_TERN_LINE);
                return;
            }
            handler.onServerError(this, error.buffer(), error.lineOffset(), end,
                error.kind() == ErrorKind.SLOW_CONSUMER);
        }

        @Override
        public void onStateChange(final TernClient client, final ConnectionState state, final Object reason)
        {
            // Registration watches the states itself; at the end every client is closed on purpose.
            if (registering || closing || disconnected)
            {
                return;
            }
            if (state == ConnectionState.DISCONNECTED || state == ConnectionState.CLOSED)
            {
                disconnected = true;
                handler.onDisconnect(this, reason);
            }
        }

        private void fail(final String failure)
        {
            if (null == registrationFailure)
            {
                registrationFailure = failure;
            }
        }
    }
}
