/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.PayloadDescriptor;
import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * NATS and Redis: the loadgen's own NIO connections, one per peer (two for Redis), framed and parsed by the target's
 * {@link WireProtocol}.
 * <p>
 * Sending: each message is encoded into its sender's direct write buffer (frame prefixes built up front; a message of
 * K frames encodes its payload once and copies it); every connection that took one is written once at the end of the
 * batch. NATS: the server PINGs every connection now and then and closes one that does not answer. Only the sending
 * thread writes to the connections, so it also writes the {@code PONG}s, between whole frames, for the PINGs the
 * receiver counted.
 * <p>
 * Receiving: one selector holds every connection, polled with {@link Selector#select(Consumer, long)} and a handler
 * held in a final field (no selected-key set, no iterator). The arrival time is taken right after each read; the
 * protocol's {@link FrameParser} splits what was read in place.
 * <p>
 * Owns the connections; the write buffers belong to the sending thread, the read buffers and the selector to the
 * receiving thread. Over TLS a connection's {@link io.tern.transport.TlsChannel} is written by the sending thread only
 * and read by the receiving thread only, the split its contract allows.
 */
public final class SocketConnections extends Connections
{
    private final PeerConnection[] peers;
    private final long subscribersPerPublish;
    private final PeerConnection[] senderPeers;
    private final FrameParser parser;
    private final int payloadBytes;
    private final byte[][][] senderFrames;
    private final int[] senderMessageBytes;
    private final byte[][][] receiverFrames;
    private final int[] receiverMessageBytes;
    private final byte[] trailer;
    private final byte[] pongFrame;
    private final LoadCounters counters;
    private final PeerConnection[] queued;
    private final Selector selector;
    private final Consumer<SelectionKey> onReadyKey = this::onReadyKey;

    // Sending thread only.
    private int queuedCount;
    private long pongsQueued;
    private long writeFailures;

    // Receiving thread only.
    private FrameHandler handler;

    /**
     * Connects and registers every peer. Receiving thread, before the agents start.
     *
     * @param protocol     the target's.
     * @param nodes        which node each peer connects to.
     * @param timeoutNs    deadline for the whole registration.
     * @param payloadBytes text bytes per message.
     * @param counters     shared counters: the NATS PINGs the receiver counted.
     * @return the registered connections.
     * @throws RegistrationException naming the peer and the reason; nothing is left open then.
     */
    public static SocketConnections register(
        final WireProtocol protocol,
        final PeerNodes nodes,
        final long timeoutNs,
        final int payloadBytes,
        final LoadCounters counters) throws RegistrationException
    {
        final PeerConnection[] peers = protocol.connectAndRegister(nodes, timeoutNs);
        try
        {
            return new SocketConnections(protocol, peers, payloadBytes, counters);
        }
        catch (final IOException | RuntimeException ex)
        {
            for (final PeerConnection peer : peers)
            {
                peer.close();
            }
            throw new RegistrationException("cannot open a selector: " + ex, ex);
        }
    }

    SocketConnections(
        final WireProtocol protocol,
        final PeerConnection[] peers,
        final int payloadBytes,
        final LoadCounters counters) throws IOException
    {
        final Workload workload = protocol.workload;
        this.subscribersPerPublish = protocol.subscriberCountChecked() ? protocol.subscribersPerPublish() : -1;
        this.peers = peers.clone();
        this.parser = protocol.newFrameParser();
        this.payloadBytes = payloadBytes;
        this.counters = counters;
        final int senders = workload.senderCount();
        senderPeers = new PeerConnection[senders];
        senderFrames = new byte[senders][][];
        senderMessageBytes = new int[senders];
        for (int s = 0; s < senders; s++)
        {
            senderPeers[s] = peers[workload.peerOfSender(s)].sendConnection();
            senderFrames[s] = protocol.framePrefixesOfSender(s);
            senderMessageBytes[s] = protocol.messageBytes(senderFrames[s]);
        }
        final int receivers = workload.kind() == WorkloadKind.MESH ? workload.receiverCount() : 0;
        receiverFrames = new byte[receivers][][];
        receiverMessageBytes = new int[receivers];
        for (int r = 0; r < receivers; r++)
        {
            receiverFrames[r] = protocol.framePrefixesToReceiver(r);
            receiverMessageBytes[r] = protocol.messageBytes(receiverFrames[r]);
        }
        trailer = protocol.frameTrailer();
        pongFrame = protocol.pongFrame();
        queued = new PeerConnection[senders + peers.length]; // each connection at most once: senders' and PONG targets
        selector = Selector.open();
        for (final PeerConnection peer : peers)
        {
            peer.channel.register(selector, SelectionKey.OP_READ, peer);
            if (null != peer.publisher)
            {
                peer.publisher.channel.register(selector, SelectionKey.OP_READ, peer.publisher);
            }
        }
    }

    @Override
    public int peerCount()
    {
        return peers.length;
    }

    @Override
    long subscribersPerPublish()
    {
        return subscribersPerPublish;
    }

    @Override
    public String tlsSession()
    {
        return peers.length == 0 ? null : peers[0].tlsSession();
    }

    // ---------------------------------------------------------------- sending thread

    /**
     * Queues a PONG for every PING the receiver has seen and not yet answered, if there is room (otherwise on a
     * later cycle). Cheap when there is nothing to do: one volatile read.
     */
    @Override
    void beforeBatch()
    {
        if (null == pongFrame || counters.pingsReceived.getAcquire() == pongsQueued)
        {
            return;
        }
        for (final PeerConnection peer : peers)
        {
            final long owed = peer.pingsReceived.getAcquire() - peer.pongsQueued;
            for (long i = 0; i < owed; i++)
            {
                if (peer.writeFailed)
                {
                    // Gone: nothing to answer. Count them answered so this is not looked at again.
                    peer.pongsQueued += owed - i;
                    pongsQueued += owed - i;
                    break;
                }
                if (peer.writeBuffer.remaining() < pongFrame.length)
                {
                    flush(peer);
                    if (peer.writeBuffer.remaining() < pongFrame.length)
                    {
                        break; // the server is not reading: a later cycle
                    }
                }
                peer.writeBuffer.put(pongFrame);
                peer.pongsQueued++;
                pongsQueued++;
                enqueue(peer);
            }
        }
    }

    @Override
    int offer(final int sender, final int receiver, final long sequence, final long dueNs, final long sendTimeNs)
    {
        final PeerConnection peer = senderPeers[sender];
        if (peer.writeFailed)
        {
            return SKIPPED;
        }
        final boolean mesh = receiverFrames.length > 0;
        final byte[][] prefixes = mesh ? receiverFrames[receiver] : senderFrames[sender];
        final int messageBytes = mesh ? receiverMessageBytes[receiver] : senderMessageBytes[sender];

        final ByteBuffer buffer = peer.writeBuffer;
        if (buffer.remaining() < messageBytes)
        {
            flush(peer);
            if (peer.writeFailed)
            {
                return SKIPPED;
            }
            if (buffer.remaining() < messageBytes)
            {
                return BLOCKED;
            }
        }

        buffer.put(prefixes[0]);
        final int payloadIndex = buffer.position();
        PayloadDescriptor.encode(buffer, payloadIndex, payloadBytes, sender, sequence, dueNs, sendTimeNs);
        buffer.position(payloadIndex + payloadBytes);
        buffer.put(trailer);
        for (int frame = 1; frame < prefixes.length; frame++)
        {
            // One publish per receiver (NATS, Redis): the same payload, copied within the buffer.
            buffer.put(prefixes[frame]);
            final int copyIndex = buffer.position();
            buffer.put(copyIndex, buffer, payloadIndex, payloadBytes);
            buffer.position(copyIndex + payloadBytes);
            buffer.put(trailer);
        }
        enqueue(peer);
        return SENT;
    }

    private void enqueue(final PeerConnection peer)
    {
        if (!peer.writeQueued)
        {
            peer.writeQueued = true;
            queued[queuedCount++] = peer;
        }
    }

    /** Writes every connection that has queued bytes, once each; keeps those the socket did not take. */
    @Override
    void afterBatch()
    {
        int kept = 0;
        for (int i = 0; i < queuedCount; i++)
        {
            final PeerConnection peer = queued[i];
            flush(peer);
            if (peer.hasQueued() && !peer.writeFailed)
            {
                queued[kept++] = peer;
            }
            else
            {
                peer.writeQueued = false;
            }
        }
        for (int i = kept; i < queuedCount; i++)
        {
            queued[i] = null;
        }
        queuedCount = kept;
    }

    @Override
    boolean hasUnwritten()
    {
        return queuedCount > 0;
    }

    private void flush(final PeerConnection peer)
    {
        try
        {
            peer.flush();
        }
        catch (final IOException ex)
        {
            // The connection is gone: its queued messages are counted sent and will show up as lost; the receiver
            // counts the disconnect. Keep sending for the other senders.
            peer.writeFailed = true;
            peer.writeBuffer.clear();
            writeFailures++;
        }
    }

    @Override
    long unwrittenBytes()
    {
        long bytes = 0;
        for (final PeerConnection peer : senderPeers)
        {
            bytes += peer.writeBuffer.position();
        }
        return bytes;
    }

    @Override
    long writeFailures()
    {
        return writeFailures;
    }

    // ---------------------------------------------------------------- receiving thread

    @Override
    int poll(final long timeoutMs, final FrameHandler handler) throws IOException
    {
        this.handler = handler;
        return timeoutMs > 0 ? selector.select(onReadyKey, timeoutMs) : selector.selectNow(onReadyKey);
    }

    @Override
    void wake()
    {
        selector.wakeup();
    }

    private void onReadyKey(final SelectionKey key)
    {
        final PeerConnection peer = (PeerConnection)key.attachment();
        final ByteBuffer buffer = peer.readBuffer;
        try
        {
            while (true)
            {
                final int read = peer.read();
                if (read < 0)
                {
                    onDisconnect(peer, key, null);
                    return;
                }
                if (read == 0)
                {
                    return;
                }
                handler.onArrival(System.nanoTime());
                parser.onBytes(peer, handler);
                if (buffer.hasRemaining() && !peer.hasBufferedInput())
                {
                    return; // the socket had less than the free space (and TLS holds no records): drained for now
                }
            }
        }
        catch (final ClosedChannelException ex)
        {
            key.cancel();
        }
        catch (final IOException ex)
        {
            onDisconnect(peer, key, ex);
        }
    }

    private void onDisconnect(final PeerConnection peer, final SelectionKey key, final IOException cause)
    {
        key.cancel();
        peer.closeSocket(); // the sender may be writing to it still: the run's end closes the rest
        if (!peer.closed)
        {
            peer.closed = true;
            handler.onDisconnect(peer, cause);
        }
    }

    @Override
    public void close()
    {
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // Shutting down.
        }
        for (final PeerConnection peer : peers)
        {
            peer.close();
        }
    }
}
