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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Connects every peer, sends its name, and waits until the broker knows every peer, before anything is measured.
 * <p>
 * The protocol has no acknowledgement, so registration is proved by probes: each peer sends one line
 * {@code itself, partner1, ...: probe} to itself and to every peer it will exchange messages with (both ways). A
 * peer's own probe comes back only after the broker registered it, and a probe reaching a partner proves the route.
 * {@code error: no peer 'x'} means x is not registered yet: the probe to x alone is retried shortly after. Done when
 * every expected probe has arrived exactly once; nothing else is then in flight.
 * <p>
 * Runs on the calling thread, before the agents start; allocation here does not matter.
 */
public final class Registrar
{
    private static final String PROBE_TEXT = "probe";
    private static final byte[] PROBE_LINE_END = (PROBE_TEXT + "\n").getBytes(StandardCharsets.US_ASCII);
    private static final long RETRY_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private Registrar()
    {
    }

    /**
     * @param protocol  tern's, which knows the workload, the buffer sizes and how to connect (TLS or not).
     * @param nodes     the broker's node each peer connects to (one, or several of a cluster: a name registered on
     *                  one node is known to the others a little later, which the retried probes wait for).
     * @param timeoutNs deadline for the whole registration.
     * @return the connections, indexed by peer, non-blocking, every peer known to the broker.
     * @throws RegistrationException naming the peer and the reason; every connection is closed then.
     */
    public static PeerConnection[] connectAndRegister(
        final WireProtocol protocol,
        final PeerNodes nodes,
        final long timeoutNs) throws RegistrationException
    {
        final Workload workload = protocol.workload;
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final int peerCount = workload.peerCount();
        final PeerConnection[] peers = new PeerConnection[peerCount];
        boolean ok = false;
        try
        {
            for (int p = 0; p < peerCount; p++)
            {
                peers[p] = protocol.openPeer(nodes.addressOfPeer(p), p, false, deadlineNs);
                queue(peers[p], (workload.peerName(p) + "\n").getBytes(StandardCharsets.UTF_8)); // the name line
            }

            final int[] expectedProbes = new int[peerCount];
            for (int p = 0; p < peerCount; p++)
            {
                final List<Integer> targets = workload.probeTargetsOf(p);
                final List<String> names = new ArrayList<>();
                for (final int target : targets)
                {
                    names.add(workload.peerName(target));
                    expectedProbes[target]++;
                }
                queueProbe(peers[p], Destinations.of(names));
            }

            awaitProbes(peers, workload, expectedProbes, deadlineNs);
            ok = true;
            return peers;
        }
        catch (final IOException ex)
        {
            if (ex instanceof RegistrationException)
            {
                throw (RegistrationException)ex;
            }
            throw new RegistrationException("registration with " + nodes.addressesText() + " failed: " + ex, ex);
        }
        finally
        {
            if (!ok)
            {
                for (final PeerConnection peer : peers)
                {
                    if (null != peer)
                    {
                        peer.close();
                    }
                }
            }
        }
    }

    /** Queues a probe line, {@code dest1, dest2: probe}, framed by the client's {@link Destinations}. */
    private static void queueProbe(final PeerConnection peer, final Destinations to) throws RegistrationException
    {
        final byte[] prefix = to.prefixBytes();
        final byte[] line = java.util.Arrays.copyOf(prefix, prefix.length + PROBE_LINE_END.length);
        System.arraycopy(PROBE_LINE_END, 0, line, prefix.length, PROBE_LINE_END.length);
        queue(peer, line);
    }

    private static void queue(final PeerConnection peer, final byte[] bytes) throws RegistrationException
    {
        if (peer.writeBuffer.remaining() < bytes.length)
        {
            throw new RegistrationException("probe line of " + bytes.length + " bytes for peer " + peer.name +
                " does not fit the write buffer");
        }
        peer.writeBuffer.put(bytes);
    }

    private static void awaitProbes(
        final PeerConnection[] peers,
        final Workload workload,
        final int[] expectedProbes,
        final long deadlineNs) throws IOException
    {
        final int[] receivedProbes = new int[peers.length];
        final ArrayDeque<long[]> retries = new ArrayDeque<>(); // {dueNs, fromPeer, toPeer}
        int confirmedPeers = 0;
        for (int p = 0; p < peers.length; p++)
        {
            if (expectedProbes[p] == 0)
            {
                confirmedPeers++;
            }
        }

        final LineDecoder decoder = new LineDecoder();
        final Replies replies = new Replies(workload);
        try (Selector selector = Selector.open())
        {
            for (final PeerConnection peer : peers)
            {
                peer.channel.register(selector, SelectionKey.OP_READ, peer);
            }

            while (confirmedPeers < peers.length || !retries.isEmpty() || anyQueued(peers))
            {
                final long nowNs = System.nanoTime();
                if (nowNs - deadlineNs >= 0)
                {
                    throw new RegistrationException("registration timed out: " + confirmedPeers + " of " +
                        peers.length + " peers confirmed by their probes" + missingPeers(peers, expectedProbes,
                        receivedProbes));
                }

                while (!retries.isEmpty() && retries.peekFirst()[0] - nowNs <= 0)
                {
                    final long[] retry = retries.pollFirst();
                    queueProbe(peers[(int)retry[1]], Destinations.of(workload.peerName((int)retry[2])));
                }
                for (final PeerConnection peer : peers)
                {
                    peer.flush();
                }

                selector.select(Math.max(1, Math.min(10, TimeUnit.NANOSECONDS.toMillis(deadlineNs - nowNs))));
                for (final SelectionKey key : selector.selectedKeys())
                {
                    final PeerConnection peer = (PeerConnection)key.attachment();
                    final int read = peer.readAvailable();
                    if (read < 0)
                    {
                        throw new RegistrationException("broker closed the connection of peer " + peer.name +
                            " during registration");
                    }
                    final ByteBuffer buffer = peer.readBuffer;
                    final int limit = buffer.position();
                    final int consumed = decoder.decode(buffer, limit, 0, replies);
                    buffer.limit(limit).position(consumed);
                    buffer.compact();
                    if (0 == consumed && limit == buffer.capacity())
                    {
                        throw new RegistrationException("a line longer than " + buffer.capacity() + " bytes to peer " +
                            peer.name + " during registration");
                    }
                    for (final Reply reply : replies.take())
                    {
                        if (reply.kind == null)
                        {
                            if (++receivedProbes[peer.peerIndex] == expectedProbes[peer.peerIndex])
                            {
                                confirmedPeers++;
                            }
                            else if (receivedProbes[peer.peerIndex] > expectedProbes[peer.peerIndex])
                            {
                                throw new RegistrationException("peer " + peer.name + " received more probes " +
                                    "than were sent to it: '" + reply.line + "'");
                            }
                        }
                        else if (reply.kind == ErrorKind.NO_SUCH_PEER)
                        {
                            if (reply.target < 0)
                            {
                                throw new RegistrationException("unexpected reply to peer " + peer.name + ": " +
                                    reply.line);
                            }
                            retries.addLast(new long[]{System.nanoTime() + RETRY_DELAY_NS, peer.peerIndex,
                                reply.target});
                        }
                        else if (reply.kind == ErrorKind.NAME_TAKEN)
                        {
                            throw new RegistrationException("the broker already has a peer named " + peer.name +
                                " (another loadgen running?); choose another --name-prefix: " + reply.line);
                        }
                        else
                        {
                            throw new RegistrationException("unexpected line to peer " + peer.name +
                                " during registration: " + reply.line);
                        }
                    }
                }
                selector.selectedKeys().clear();
            }

            for (final SelectionKey key : selector.keys())
            {
                key.cancel();
            }
            selector.selectNow(); // completes the cancellation so the channels can join another selector
        }
    }

    private static boolean anyQueued(final PeerConnection[] peers)
    {
        for (final PeerConnection peer : peers)
        {
            if (peer.hasQueued())
            {
                return true;
            }
        }
        return false;
    }

    private static String missingPeers(final PeerConnection[] peers, final int[] expected, final int[] received)
    {
        final StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (int p = 0; p < peers.length && shown < 5; p++)
        {
            if (received[p] < expected[p])
            {
                sb.append(shown++ == 0 ? "; waiting for " : ", ").append(peers[p].name)
                    .append(" (").append(received[p]).append('/').append(expected[p]).append(" probes)");
            }
        }
        return sb.toString();
    }

    /** What one reply line during registration is: a probe (kind null), or an error with its kind. */
    private static final class Reply
    {
        final ErrorKind kind;
        final int target;
        final String line;

        Reply(final ErrorKind kind, final int target, final String line)
        {
            this.kind = kind;
            this.target = target;
            this.line = line;
        }
    }

    /**
     * Types the lines the client's {@link LineDecoder} finds during registration; allocates freely, registration is
     * not measured.
     */
    private static final class Replies implements LineDecoder.Handler
    {
        private final Workload workload;
        private final List<Reply> replies = new ArrayList<>();

        Replies(final Workload workload)
        {
            this.workload = workload;
        }

        List<Reply> take()
        {
            final List<Reply> taken = new ArrayList<>(replies);
            replies.clear();
            return taken;
        }

        @Override
        public void onMessage(final ReceivedMessage message)
        {
            final String text = message.textAsString();
            replies.add(PROBE_TEXT.equals(text) ? new Reply(null, -1, message.toString()) :
                new Reply(ErrorKind.UNKNOWN, -1, message.toString()));
        }

        @Override
        public void onError(final ErrorReply error)
        {
            final int target = error.kind() == ErrorKind.NO_SUCH_PEER ?
                workload.peerOfName(error.buffer(), error.subjectOffset(), error.subjectLength()) : -1;
            replies.add(new Reply(error.kind(), target, error.textAsString()));
        }

        @Override
        public void onMalformedLine(final ByteBuffer buffer, final int start, final int end)
        {
            final byte[] bytes = new byte[end - start];
            buffer.get(start, bytes);
            replies.add(new Reply(ErrorKind.UNKNOWN, -1, new String(bytes, StandardCharsets.UTF_8)));
        }
    }
}
