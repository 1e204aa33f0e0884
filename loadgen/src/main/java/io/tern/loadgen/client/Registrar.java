/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.Workload;
import io.tern.transport.Protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
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
    private static final long RETRY_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private Registrar()
    {
    }

    /**
     * @param protocol  tern's, which knows the workload, the buffer sizes and how to connect (TLS or not).
     * @param address   of the broker.
     * @param timeoutNs deadline for the whole registration.
     * @return the connections, indexed by peer, non-blocking, every peer known to the broker.
     * @throws RegistrationException naming the peer and the reason; every connection is closed then.
     */
    public static PeerConnection[] connectAndRegister(
        final WireProtocol protocol,
        final InetSocketAddress address,
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
                peers[p] = protocol.openPeer(address, p, false, deadlineNs);
                queue(peers[p], workload.peerName(p) + "\n");
            }

            final int[] expectedProbes = new int[peerCount];
            for (int p = 0; p < peerCount; p++)
            {
                final List<Integer> targets = workload.probeTargetsOf(p);
                final StringBuilder line = new StringBuilder();
                for (final int target : targets)
                {
                    line.append(line.length() == 0 ? "" : ", ").append(workload.peerName(target));
                    expectedProbes[target]++;
                }
                queue(peers[p], line.append(": ").append(PROBE_TEXT).append('\n').toString());
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
            throw new RegistrationException("registration with " + address + " failed: " + ex, ex);
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

    private static void queue(final PeerConnection peer, final String line) throws RegistrationException
    {
        final byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
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
                    queue(peers[(int)retry[1]], workload.peerName((int)retry[2]) + ": " + PROBE_TEXT + "\n");
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
                    for (String line = nextLine(peer.readBuffer); null != line; line = nextLine(peer.readBuffer))
                    {
                        if (line.startsWith(Protocol.FROM_PREFIX) &&
                            line.endsWith(Protocol.FROM_SEPARATOR + PROBE_TEXT))
                        {
                            if (++receivedProbes[peer.peerIndex] == expectedProbes[peer.peerIndex])
                            {
                                confirmedPeers++;
                            }
                            else if (receivedProbes[peer.peerIndex] > expectedProbes[peer.peerIndex])
                            {
                                throw new RegistrationException("peer " + peer.name + " received more probes " +
                                    "than were sent to it: '" + line + "'");
                            }
                        }
                        else if (line.startsWith(Protocol.NO_PEER_PREFIX) && line.endsWith(Protocol.NO_PEER_SUFFIX))
                        {
                            final String missing = line.substring(Protocol.NO_PEER_PREFIX.length(),
                                line.length() - Protocol.NO_PEER_SUFFIX.length());
                            final ByteBuffer name = ByteBuffer.wrap(missing.getBytes(StandardCharsets.US_ASCII));
                            final int target = workload.peerOfName(name, 0, name.limit());
                            if (target < 0)
                            {
                                throw new RegistrationException("unexpected reply to peer " + peer.name + ": " + line);
                            }
                            retries.addLast(new long[]{System.nanoTime() + RETRY_DELAY_NS, peer.peerIndex, target});
                        }
                        else if (line.startsWith(Protocol.NAME_TAKEN_PREFIX) &&
                            line.endsWith(Protocol.NAME_TAKEN_SUFFIX))
                        {
                            throw new RegistrationException("the broker already has a peer named " + peer.name +
                                " (another loadgen running?); choose another --name-prefix: " + line);
                        }
                        else
                        {
                            throw new RegistrationException("unexpected line to peer " + peer.name +
                                " during registration: " + line);
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

    /** Takes one complete line out of a fill-mode buffer, or returns null when there is none yet. */
    private static String nextLine(final ByteBuffer buffer)
    {
        final int end = buffer.position();
        for (int i = 0; i < end; i++)
        {
            if (buffer.get(i) == '\n')
            {
                final byte[] bytes = new byte[i];
                buffer.get(0, bytes);
                buffer.flip().position(i + 1);
                buffer.compact();
                final int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.US_ASCII);
            }
        }
        if (end == buffer.capacity())
        {
            buffer.clear();
            return "(a line longer than " + buffer.capacity() + " bytes)";
        }
        return null;
    }
}
