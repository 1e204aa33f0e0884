/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What NATS and Redis pub/sub have in common: each peer subscribes to a subject (channel) named after itself, a
 * message to peer X is a publish on subject X, and nothing tells the receiver who published, so the payload's sender
 * field does. Fanout receivers, with {@link FanoutPublish#SHARED}, also subscribe to one shared subject,
 * {@code <prefix>fanout}, that a fanout sender publishes each line to once.
 * <p>
 * Registration, before anything is measured, in two steps:
 * <ol>
 *   <li>subscribe every peer and wait for the server's confirmation that the subscription is in effect (NATS: a
 *       {@code PING} after the {@code SUB}s, answered by {@code PONG} only once they are processed; Redis: the
 *       {@code subscribe} reply to each channel, and {@code +PONG} on the publisher connection);</li>
 *   <li>as for tern, every peer publishes a {@code probe} to itself and to every peer it exchanges messages with
 *       (and a fanout sender to the shared subject), and registration waits until each has arrived exactly once.
 *       Every subscription being confirmed first, none can be dropped for want of a subscriber. Across several
 *       nodes ({@link PeerNodes}) a subscription reaches the other nodes a little after its own node confirmed it,
 *       so each probe names its sender and is sent again until it has arrived; a late copy is ignored.</li>
 * </ol>
 * Then every peer is known to the server before measuring, for all three targets alike.
 */
abstract class PubSubProtocol extends WireProtocol
{
    private static final long POLL_MS = 10;
    /** Several nodes: how long a probe may take before it is sent again (see {@code Registration}). */
    private static final long PROBE_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Several nodes: a probe's text is this and the sending peer's index. */
    private static final String PROBE_FROM = "probe-";
    private static final byte[] PROBE_FROM_BYTES = ascii(PROBE_FROM);

    final boolean sharedFanout;
    final byte[] sharedSubject;

    PubSubProtocol(
        final Workload workload,
        final int payloadBytes,
        final FanoutPublish fanoutPublish,
        final ClientTls tls,
        final int nodeCount)
    {
        super(workload, payloadBytes, tls, nodeCount);
        this.sharedFanout = workload.kind() == WorkloadKind.FANOUT && fanoutPublish == FanoutPublish.SHARED;
        this.sharedSubject = ascii(workload.namePrefix() + "fanout");
    }

    /**
     * @param destination subject or channel, ASCII.
     * @param textBytes   length of the text that follows.
     * @return the bytes of a publish up to its text: {@code PUB x n\r\n}, or the RESP array head of PUBLISH.
     */
    abstract byte[] publishPrefix(byte[] destination, int textBytes);

    /** @return true when a peer needs a second connection to publish on (Redis). */
    abstract boolean needsPublisherConnection();

    /**
     * Queues what subscribes this peer and asks for a confirmation, into its write buffer(s).
     *
     * @param peer     its connection.
     * @param subjects to subscribe to, its own name first.
     */
    abstract void queueSubscribe(PeerConnection peer, List<byte[]> subjects) throws RegistrationException;

    /**
     * @param peer     whose subscriptions were queued.
     * @param subjects how many.
     * @return how many confirmations ({@link FrameHandler#onPong}, {@link FrameHandler#onSubscribed}) mean the
     * peer's subscriptions are in effect.
     */
    abstract int confirmationsExpected(PeerConnection peer, int subjects);

    /** @return for fanout, how a line reaches its receivers, in words; empty otherwise. */
    final String fanoutWords(final String publish, final String subscribes)
    {
        if (workload.kind() != WorkloadKind.FANOUT)
        {
            return "";
        }
        return sharedFanout ? " (fanout: one " + publish + " per line to " + new String(sharedSubject,
            java.nio.charset.StandardCharsets.US_ASCII) + ", which every receiver also " + subscribes + " to)" :
            " (fanout: one " + publish + " per receiver per line)";
    }

    /** @return true when the subject (channel) a message came on is one this peer subscribed to. */
    final boolean isOwnSubject(final PeerConnection peer, final ByteBuffer buffer, final int start, final int end)
    {
        return equalsBytes(buffer, start, end, workload.peerNameBytes(peer.peerIndex)) ||
            (sharedFanout && peer.receiverIndex >= 0 && equalsBytes(buffer, start, end, sharedSubject));
    }

    @Override
    byte[][] framePrefixesOfSender(final int sender)
    {
        if (sharedFanout)
        {
            return new byte[][]{publishPrefix(sharedSubject, payloadBytes)};
        }
        final List<byte[]> prefixes = new ArrayList<>();
        for (int r = 0; r < workload.receiverCount(); r++)
        {
            if (workload.sendsTo(sender, r) && workload.kind() != WorkloadKind.MESH)
            {
                prefixes.add(publishPrefix(workload.peerNameBytes(workload.peerOfReceiver(r)), payloadBytes));
            }
        }
        return prefixes.toArray(new byte[0][]);
    }

    @Override
    byte[][] framePrefixesToReceiver(final int receiver)
    {
        return new byte[][]{publishPrefix(workload.peerNameBytes(workload.peerOfReceiver(receiver)), payloadBytes)};
    }

    @Override
    public PeerConnection[] connectAndRegister(final PeerNodes nodes, final long timeoutNs)
        throws RegistrationException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final int peerCount = workload.peerCount();
        final PeerConnection[] peers = new PeerConnection[peerCount];
        boolean ok = false;
        try
        {
            for (int p = 0; p < peerCount; p++)
            {
                // A Redis peer publishes from its own node too: the spread decides both of its connections.
                peers[p] = openPeer(nodes.addressOfPeer(p), p, false, deadlineNs);
                if (needsPublisherConnection())
                {
                    peers[p].publisher = openPeer(nodes.addressOfPeer(p), p, true, deadlineNs);
                }
            }

            try (Registration registration = new Registration(peers, nodes.several()))
            {
                register(registration, peers, deadlineNs);
            }
            ok = true;
            return peers;
        }
        catch (final IOException ex)
        {
            if (ex instanceof RegistrationException)
            {
                throw (RegistrationException)ex;
            }
            throw new RegistrationException("registration with " + target().optionValue() + " at " +
                nodes.addressesText() + " failed: " + ex, ex);
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

    private void register(final Registration registration, final PeerConnection[] peers, final long deadlineNs)
        throws IOException
    {
        for (final PeerConnection peer : peers)
        {
            final List<byte[]> subjects = new ArrayList<>();
            subjects.add(workload.peerNameBytes(peer.peerIndex));
            if (sharedFanout && peer.receiverIndex >= 0)
            {
                subjects.add(sharedSubject);
            }
            queueSubscribe(peer, subjects);
            registration.confirmationsExpected[peer.peerIndex] = confirmationsExpected(peer, subjects.size());
        }
        registration.await(deadlineNs, true);

        for (final PeerConnection peer : peers)
        {
            for (final int target : workload.probeTargetsOf(peer.peerIndex))
            {
                registration.queueProbe(peer, workload.peerNameBytes(target), 1, target);
                registration.probesExpected[target]++;
            }
            if (sharedFanout && peer.senderIndex >= 0)
            {
                registration.queueProbe(peer, sharedSubject, workload.receiverCount(), -1);
                for (int r = 0; r < workload.receiverCount(); r++)
                {
                    registration.probesExpected[workload.peerOfReceiver(r)]++;
                }
            }
        }
        registration.await(deadlineNs, false);
    }

    static void queue(final PeerConnection connection, final byte[]... parts) throws RegistrationException
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        if (connection.writeBuffer.remaining() < length)
        {
            throw new RegistrationException("registration frames of " + length + " bytes for " + connection.name +
                " do not fit the write buffer");
        }
        for (final byte[] part : parts)
        {
            connection.writeBuffer.put(part);
        }
    }

    /** The registration's state: one selector over every connection, what is expected and what came. */
    private final class Registration implements FrameHandler, AutoCloseable
    {
        private final PeerConnection[] peers;
        /**
         * Several nodes: a subscription is confirmed by its own node at once, but reaches the others a little later
         * (NATS routes send interest asynchronously), and a publish there before it arrives is dropped. So each probe
         * names its sender ({@code probe-<peer>}), is counted once per sender and receiver, and is sent again every
         * {@link #PROBE_RETRY_NS} until it has arrived; a copy that arrives late is ignored, here and by the
         * receiver. Redis Cluster's PUBLISH answers with the subscribers on the publisher's node only, so that count
         * is not checked.
         */
        private final boolean severalNodes;
        /** Several nodes: every probe sent, {fromPeer, toPeer (-1: the shared fanout subject), subscribers}. */
        private final List<int[]> probesSent = new ArrayList<>();
        /** Several nodes: {@code fromPeer * peers + toPeer} of every probe that arrived. */
        private final Set<Long> probesArrived = new HashSet<>();
        private long nextProbeRetryNs;
        private final List<PeerConnection> connections = new ArrayList<>();
        private final FrameParser parser = newFrameParser();
        private final Selector selector;
        final int[] confirmationsExpected;
        final int[] confirmations;
        final int[] probesExpected;
        final int[] probes;
        /** Redis: per peer, the subscriber counts its pending PUBLISH replies must show, in order. */
        private final List<ArrayDeque<Long>> repliesExpected = new ArrayList<>();
        private String failure;

        Registration(final PeerConnection[] peers, final boolean severalNodes) throws IOException
        {
            this.peers = peers;
            this.severalNodes = severalNodes;
            confirmationsExpected = new int[peers.length];
            confirmations = new int[peers.length];
            probesExpected = new int[peers.length];
            probes = new int[peers.length];
            selector = Selector.open();
            for (final PeerConnection peer : peers)
            {
                connections.add(peer);
                peer.channel.register(selector, SelectionKey.OP_READ, peer);
                if (null != peer.publisher)
                {
                    connections.add(peer.publisher);
                    peer.publisher.channel.register(selector, SelectionKey.OP_READ, peer.publisher);
                }
                repliesExpected.add(new ArrayDeque<>());
            }
        }

        void queueProbe(final PeerConnection peer, final byte[] destination, final int subscribers, final int toPeer)
            throws RegistrationException
        {
            final byte[] text = severalNodes ? ascii(PROBE_FROM + probeId(peer.peerIndex, toPeer)) : PROBE;
            queue(peer.sendConnection(), publishPrefix(destination, text.length), text, frameTrailer());
            if (subscribersPerPublish() >= 0)
            {
                repliesExpected.get(peer.peerIndex).addLast(severalNodes ? -1L : (long)subscribers);
            }
            if (severalNodes)
            {
                probesSent.add(new int[]{peer.peerIndex, toPeer, subscribers});
                nextProbeRetryNs = System.nanoTime() + PROBE_RETRY_NS;
            }
        }

        /** Several nodes: sends again every probe to a peer that has not had all of its probes yet. */
        private void retryProbes(final long nowNs) throws RegistrationException
        {
            if (!severalNodes || probesSent.isEmpty() || nowNs - nextProbeRetryNs < 0)
            {
                return;
            }
            final List<int[]> again = new ArrayList<>();
            for (final int[] probe : probesSent)
            {
                if (probe[1] >= 0 ? !arrived(probe[0], probe[1]) :
                    !arrivedAtEveryReceiver(probeId(probe[0], probe[1])))
                {
                    again.add(probe);
                }
            }
            probesSent.clear();
            for (final int[] probe : again)
            {
                queueProbe(peers[probe[0]], probe[1] >= 0 ? workload.peerNameBytes(probe[1]) : sharedSubject,
                    probe[2], probe[1]);
            }
            nextProbeRetryNs = nowNs + PROBE_RETRY_NS;
        }

        /**
         * @return what a probe's text names: the sending peer, or for a fanout sender's probe to the shared subject
         * (which reaches receivers it also probes directly) the peer plus the peer count.
         */
        private int probeId(final int fromPeer, final int toPeer)
        {
            return toPeer >= 0 ? fromPeer : peers.length + fromPeer;
        }

        private boolean arrived(final int probeId, final int toPeer)
        {
            return probesArrived.contains((long)probeId * peers.length + toPeer);
        }

        private boolean arrivedAtEveryReceiver(final int probeId)
        {
            for (int r = 0; r < workload.receiverCount(); r++)
            {
                if (!arrived(probeId, workload.peerOfReceiver(r)))
                {
                    return false;
                }
            }
            return true;
        }

        void await(final long deadlineNs, final boolean subscriptions) throws IOException
        {
            while (!done(subscriptions) || anyQueued())
            {
                final long nowNs = System.nanoTime();
                if (nowNs - deadlineNs >= 0)
                {
                    throw new RegistrationException("registration with " + target().optionValue() + " timed out " +
                        (subscriptions ? "waiting for subscriptions to be confirmed" : "waiting for probes") +
                        missing(subscriptions));
                }
                if (!subscriptions)
                {
                    retryProbes(nowNs);
                }
                poll(deadlineNs);
            }
        }

        /** Flushes every connection, then reads what arrives within one poll interval (or until the deadline). */
        private void poll(final long deadlineNs) throws IOException
        {
            for (final PeerConnection connection : connections)
            {
                connection.flush();
            }
            final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
            selector.select(Math.max(1, Math.min(POLL_MS, remainingMs)));
            for (final SelectionKey key : selector.selectedKeys())
            {
                final PeerConnection connection = (PeerConnection)key.attachment();
                if (connection.readAvailable() < 0)
                {
                    throw new RegistrationException("the " + target().optionValue() + " server closed the " +
                        "connection of " + connection.name + " during registration");
                }
                parser.onBytes(connection, this);
                if (null != failure)
                {
                    throw new RegistrationException(failure);
                }
            }
            selector.selectedKeys().clear();
        }

        private boolean done(final boolean subscriptions)
        {
            for (int p = 0; p < peers.length; p++)
            {
                if (subscriptions ? confirmations[p] < confirmationsExpected[p] :
                    probes[p] < probesExpected[p] || !repliesExpected.get(p).isEmpty())
                {
                    return false;
                }
            }
            return true;
        }

        private boolean anyQueued()
        {
            for (final PeerConnection connection : connections)
            {
                if (connection.hasQueued())
                {
                    return true;
                }
            }
            return false;
        }

        private String missing(final boolean subscriptions)
        {
            final StringBuilder sb = new StringBuilder();
            int shown = 0;
            for (int p = 0; p < peers.length && shown < 5; p++)
            {
                final int have = subscriptions ? confirmations[p] : probes[p];
                final int want = subscriptions ? confirmationsExpected[p] : probesExpected[p];
                if (have < want)
                {
                    sb.append(shown++ == 0 ? "; waiting for " : ", ").append(peers[p].name)
                        .append(" (").append(have).append('/').append(want)
                        .append(subscriptions ? " confirmations)" : " probes)");
                }
            }
            return sb.toString();
        }

        private void fail(final String reason)
        {
            if (null == failure)
            {
                failure = reason;
            }
        }

        @Override
        public void onMessage(
            final ReceivingPeer peer,
            final ByteBuffer buffer,
            final int senderPeer,
            final int textStart,
            final int textEnd)
        {
            final PeerConnection connection = (PeerConnection)peer; // this protocol's parsers frame only these
            if (severalNodes)
            {
                final long id = startsWith(buffer, textStart, textEnd, PROBE_FROM_BYTES) ?
                    parseDecimal(buffer, textStart + PROBE_FROM_BYTES.length, textEnd) : -1;
                if (id < 0 || id >= 2L * peers.length)
                {
                    fail("unexpected message to " + connection.name + " during registration (another loadgen with " +
                        "the same --name-prefix?): " + ascii(buffer, textStart, Math.min(textEnd, textStart + 80)));
                }
                else if (probesArrived.add(id * peers.length + connection.peerIndex) &&
                    ++probes[connection.peerIndex] > probesExpected[connection.peerIndex])
                {
                    fail("peer " + connection.name + " received a probe from " + peers[(int)(id % peers.length)].name +
                        ", which sent it none (another loadgen with the same --name-prefix?)");
                }
            }
            else if (!equalsBytes(buffer, textStart, textEnd, PROBE))
            {
                fail("unexpected message to " + connection.name + " during registration (another loadgen with the " +
                    "same --name-prefix?): " + ascii(buffer, textStart, Math.min(textEnd, textStart + 80)));
            }
            else if (++probes[connection.peerIndex] > probesExpected[connection.peerIndex])
            {
                fail("peer " + connection.name + " received more probes than were sent to it (another loadgen " +
                    "with the same --name-prefix?)");
            }
        }

        @Override
        public void onServerError(
            final ReceivingPeer connection, final ByteBuffer buffer, final int start, final int end,
            final boolean slowConsumer)
        {
            fail("the " + target().optionValue() + " server refused " + connection.name() + " during registration: " +
                ascii(buffer, start, end));
        }

        @Override
        public void onCorrupt(
            final ReceivingPeer connection, final ByteBuffer buffer, final int start, final int end,
            final String reason)
        {
            fail("unexpected reply to " + connection.name() + " during registration (" + reason + "; is this a " +
                target().optionValue() + " server?): " + ascii(buffer, start, Math.min(end, start + 120)));
        }

        @Override
        public void onPing(final PeerConnection connection)
        {
            try
            {
                queue(connection, pongFrame());
            }
            catch (final RegistrationException ex)
            {
                fail(ex.getMessage());
            }
        }

        @Override
        public void onPong(final PeerConnection connection)
        {
            confirmations[connection.peerIndex]++;
        }

        @Override
        public void onSubscribed(
            final PeerConnection connection, final ByteBuffer buffer, final int channelStart, final int channelEnd)
        {
            if (isOwnSubject(connection, buffer, channelStart, channelEnd))
            {
                confirmations[connection.peerIndex]++;
            }
            else
            {
                fail("subscription confirmed for a channel " + connection.name + " did not ask for: " +
                    ascii(buffer, channelStart, channelEnd));
            }
        }

        @Override
        public void onPublishReply(final PeerConnection connection, final long subscribers)
        {
            final Long expected = repliesExpected.get(connection.peerIndex).pollFirst();
            if (null == expected)
            {
                fail("a PUBLISH reply to " + connection.name + " that answers no probe");
            }
            else if (expected >= 0 && subscribers != expected)
            {
                fail("a probe published by " + connection.name + " reached " + subscribers + " subscribers, " +
                    "expected " + expected + (subscribers > expected ? " (another loadgen with the same " +
                    "--name-prefix?)" : ""));
            }
        }

        /** Cancels every key so the channels can join the receiver's selector. */
        @Override
        public void close() throws IOException
        {
            for (final SelectionKey key : selector.keys())
            {
                key.cancel();
            }
            selector.selectNow();
            selector.close();
        }
    }
}
