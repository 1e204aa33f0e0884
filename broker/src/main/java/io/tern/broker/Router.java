/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BiConsumer;

import com.lmax.disruptor.EventHandler;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.Object2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import io.tern.broker.metrics.ClaimLatency;
import io.tern.broker.metrics.ErrorKind;
import io.tern.broker.metrics.NameSnapshot;
import io.tern.broker.metrics.NameSnapshotRequests;
import io.tern.broker.metrics.PeerSnapshot;
import io.tern.broker.metrics.PeerSnapshotRequests;
import io.tern.broker.metrics.RouterMetrics;
import io.tern.transport.Connection;
import io.tern.transport.InboundBatch;
import io.tern.transport.Outbound;
import io.tern.transport.OutboundBudgetListener;
import io.tern.transport.OutboundScheduler;
import io.tern.transport.Protocol;

/**
 * The broker: the single event handler of the Disruptor ring. It alone owns the name-to-peer map and every peer's
 * state, and it is the only producer into every peer's outbound ring.
 * <p>
 * For a message {@code dest1, dest2: text} it writes {@code from <sender>: <text>\n} straight into each recipient's
 * ring, reading the line in place from the reader's arena; peers that got output are handed to their writer once,
 * at the end of the Disruptor batch. A recipient whose queue would pass its bound ({@code max-queued-bytes-per-peer})
 * is a slow consumer and is cut off; so is the peer with the largest backlog when the outbound budget runs out
 * ({@link #onOutboundBudgetExceeded(Connection)}). This thread never waits for a peer. It also gives back the outbound
 * memory of idle peers: a few per batch and per event, more when there is nothing to route
 * ({@link #onIdle()}).
 * <p>
 * A line holding a control character ({@link Protocol#indexOfControl}; the reader finds them as it frames, and hands
 * such a line on as {@link InboundBatch#CONTROL_LINE}) is refused whole, so that no text can show as a line from
 * another peer. Garbage-free per message: names are looked up with a flyweight key, replies are built from
 * constant byte arrays and the line's own bytes. Allocation happens only when a peer connects (its {@link Peer} and
 * name copy; a name beyond ASCII is decoded to be checked) and in log lines for connection events.
 */
final class Router implements EventHandler<InboundEvent>, OutboundBudgetListener
{
    /** Idle peers looked at per batch: bounded, so a batch's cost does not grow with the peers connected. */
    private static final int IDLE_SCAN_PER_BATCH = 16;
    /**
     * And per event of the batch, so the scan keeps up with peers taking memory however large the batches: a burst of
     * connections arrives in batches of thousands of events, each new peer's first reply takes a segment, and with
     * only {@link #IDLE_SCAN_PER_BATCH} a batch the segments of peers long idle stayed taken (and pooled for good)
     * until the burst ended. Bounded per event, as routing it is.
     */
    private static final int IDLE_SCAN_PER_EVENT = 2;
    /** Idle peers looked at when there is nothing to route. */
    private static final int IDLE_SCAN_WHEN_IDLE = 4096;

    private static final System.Logger LOG = System.getLogger(Router.class.getName());

    private static final byte[] FROM = Protocol.bytes(Protocol.FROM_PREFIX);
    private static final byte[] COLON_SPACE = Protocol.bytes(Protocol.FROM_SEPARATOR);
    private static final byte[] NO_PEER_PREFIX = Protocol.bytes(Protocol.NO_PEER_PREFIX);
    private static final byte[] NO_PEER_END = Protocol.lineBytes(Protocol.NO_PEER_SUFFIX);
    private static final byte[] BAD_LINE = Protocol.lineBytes(Protocol.BAD_LINE);
    private static final byte[] CONTROL_IN_LINE = Protocol.lineBytes(Protocol.CONTROL_IN_LINE);
    private static final byte[] NAME_TAKEN_PREFIX = Protocol.bytes(Protocol.NAME_TAKEN_PREFIX);
    private static final byte[] NAME_TAKEN_END = Protocol.lineBytes(Protocol.NAME_TAKEN_SUFFIX);
    private static final byte[] CLUSTER_UNAVAILABLE = Protocol.lineBytes(Protocol.CLUSTER_UNAVAILABLE);

    private final OutboundScheduler output;
    private final int maxNameBytes;
    private final Protocol.NameCharset nameCharset;
    /** The {@code error: invalid name: ...} line for each {@link Protocol.NameError}, by ordinal. */
    private final byte[][] invalidNameReplies;
    private final byte[] lineTooLong;
    private final byte[] nameTimeout;
    private final byte[] partialLineTimeout;
    private final byte[] idleTimeout;
    private final Object2ObjectHashMap<NameKey, Peer> peersByName;
    private final NameKey lookupKey = new NameKey();
    /**
     * Every peer by its connection's {@link Connection#slot() slot}: the router's own state stays in the broker
     * (the transport knows no Peer), garbage-free, pre-sized to max-connections which bounds the slots.
     */
    private Peer[] peersBySlot;
    private final int maxDestinations;
    private final byte[] tooManyDestinations;
    /** Numbers the lines routed, so a recipient named twice in one line is delivered to once. */
    private long lineNumber;
    private final Peer[] dirtyPeers;
    private int dirtyCount;
    /** Events since the last {@link #flushBatch()}: how many idle peers it looks at. */
    private int eventsInBatch;
    private final RouterMetrics metrics;
    /** Stamps of the message being routed: when its line was read, and when this thread began routing it. */
    private long messageReadNs;
    private long messageRouteNs;
    /** Slots below this have held a peer: a /connz request looks no further (slots stay below the peak open). */
    private int slotsUsed;
    /** Admin threads' requests for who is connected (/connz), answered at the end of a batch or when idle. */
    private final PeerSnapshotRequests snapshotRequests = new PeerSnapshotRequests();
    private final int maxLineBytes;

    // In a cluster only (null or empty otherwise): see docs/cluster.md.
    private ClusterLink cluster;
    /** Names held on other nodes, as the directory told: where to send a message for them. */
    private Object2ObjectHashMap<NameKey, RemoteName> remoteNames;
    /** Peers whose name is asked of the directory, by claim id. */
    private Long2ObjectHashMap<Peer> pendingClaims;
    private long lastClaimId;
    /** Whether this node is joined to the directory; until then, and after it is lost, no name is admitted. */
    private boolean clusterUp;
    /** A frame to another node is built here; allocated once. */
    private UnsafeBuffer frame;
    /** Most bytes a pending peer's held lines may take; beyond it the peer is cut as a slow consumer. */
    private int maxHeldBytes;
    private final ClusterCounters clusterCounters = new ClusterCounters();
    /** Admin threads' requests for the names held in the cluster (/clusterz), answered as /connz's are. */
    private final NameSnapshotRequests nameSnapshotRequests = new NameSnapshotRequests();
    /** The /clusterz request being filled, for {@link #addRemoteName}, held in a field so no lambda is made. */
    private NameSnapshot nameRequest;
    private final BiConsumer<NameKey, RemoteName> addRemoteName = this::addRemoteName;
    /** A view of a stored name's bytes as a buffer; rewrapped, never allocated. */
    private final UnsafeBuffer nameView = new UnsafeBuffer(new byte[0]);

    Router(
        final OutboundScheduler output,
        final RouterMetrics metrics,
        final int maxNameBytes,
        final int maxLineBytes,
        final int maxDestinations,
        final long nameTimeoutMs,
        final int maxConnections,
        final long partialLineTimeoutMs,
        final long idleTimeoutMs,
        final Protocol.NameCharset nameCharset)
    {
        this.maxDestinations = maxDestinations;
        this.maxLineBytes = maxLineBytes;
        this.tooManyDestinations = Protocol.lineBytes(Protocol.tooManyDestinations(maxDestinations));
        this.output = output;
        this.metrics = metrics;
        this.maxNameBytes = maxNameBytes;
        this.nameCharset = nameCharset;
        final Protocol.NameError[] nameErrors = Protocol.NameError.values();
        this.invalidNameReplies = new byte[nameErrors.length][];
        for (final Protocol.NameError error : nameErrors)
        {
            invalidNameReplies[error.ordinal()] = Protocol.lineBytes(Protocol.invalidName(error, maxNameBytes));
        }
        this.lineTooLong = Protocol.lineBytes(Protocol.lineTooLong(maxLineBytes));
        this.nameTimeout = Protocol.lineBytes(Protocol.nameTimeout(nameTimeoutMs));
        this.partialLineTimeout = Protocol.lineBytes(Protocol.partialLineTimeout(partialLineTimeoutMs));
        this.idleTimeout = Protocol.lineBytes(Protocol.idleTimeout(idleTimeoutMs));
        this.peersByName = new Object2ObjectHashMap<>(Math.max(16, maxConnections * 2), 0.65f);
        this.dirtyPeers = new Peer[maxConnections];
        this.peersBySlot = new Peer[maxConnections];
    }

    long slowConsumerDisconnects()
    {
        return metrics.slowConsumerDisconnects();
    }

    long messagesDelivered()
    {
        return metrics.messagesDelivered();
    }

    /** @return this thread's counters and read-to-route recorder, for the metrics thread to read. */
    RouterMetrics metrics()
    {
        return metrics;
    }

    /** @return the queue through which admin threads ask this thread who is connected. */
    PeerSnapshotRequests snapshotRequests()
    {
        return snapshotRequests;
    }

    /**
     * Makes this router one node of a cluster: names are asked of the directory, and messages for names held elsewhere
     * go to their node over {@code link}. Before the broker's threads start.
     */
    void cluster(final ClusterLink link, final int maxConnections)
    {
        this.cluster = link;
        this.remoteNames = new Object2ObjectHashMap<>(Math.max(16, maxConnections * 2), 0.65f);
        this.pendingClaims = new Long2ObjectHashMap<>(Math.max(16, maxConnections), 0.65f);
        this.frame = new UnsafeBuffer(new byte[NodeMessageDescriptor.HEADER_LENGTH + 2 * maxNameBytes + maxLineBytes]);
        this.maxHeldBytes = 4 * (maxLineBytes + 4);
        this.clusterCounters.nodes(link.nodeCount());
    }

    /** @return the queue through which admin threads ask this thread which names the cluster holds. */
    NameSnapshotRequests nameSnapshotRequests()
    {
        return nameSnapshotRequests;
    }

    /** @return the cluster's counters, read by any thread (plain longs written by the broker thread only). */
    ClusterCounters clusterCounters()
    {
        return clusterCounters;
    }

    /**
     * Nothing to route for a while (the Disruptor's wait timed out, or the shared thread's poll found nothing): give
     * back the outbound memory of peers that went idle. Broker thread; garbage-free.
     */
    void onIdle()
    {
        output.releaseIdleMemory(IDLE_SCAN_WHEN_IDLE);
        answerSnapshotRequests();
    }

    /**
     * Fills the admin threads' pending /connz requests with every open peer: one volatile read when there is none.
     * Broker thread; garbage-free (the request's arrays were made by the admin thread).
     */
    private void answerSnapshotRequests()
    {
        PeerSnapshot request;
        while (null != (request = snapshotRequests.poll()))
        {
            for (int slot = 0; slot < slotsUsed; slot++)
            {
                final Peer peer = peersBySlot[slot];
                if (null != peer && peer.state != Peer.CLOSED)
                {
                    final Outbound out = peer.connection.outbound();
                    request.add(peer.connection, peer.name, peer.messagesIn, peer.bytesIn, peer.messagesOut,
                        out.committedBytes(), out.queuedBytes(), out.maxQueuedBytes());
                }
            }
            request.complete();
        }
        if (null != cluster)
        {
            answerNameSnapshotRequests();
        }
    }

    /** Fills the admin threads' pending /clusterz requests: this node's granted names, then the replica's. */
    private void answerNameSnapshotRequests()
    {
        NameSnapshot request;
        while (null != (request = nameSnapshotRequests.poll()))
        {
            final int nodeId = cluster.nodeId();
            for (int slot = 0; slot < slotsUsed; slot++)
            {
                final Peer peer = peersBySlot[slot];
                if (null != peer && peer.state == Peer.NAMED)
                {
                    request.add(peer.name, nodeId);
                }
            }
            nameRequest = request;
            remoteNames.forEach(addRemoteName);
            nameRequest = null;
            request.complete();
        }
    }

    private void addRemoteName(final NameKey name, final RemoteName remote)
    {
        nameRequest.add(name, remote.node);
    }

    @Override
    public void onTimeout(final long sequence)
    {
        onIdle();
    }

    /** The outbound budget ran out: cut the peer with the largest backlog. Broker thread, inside a tryBegin. */
    @Override
    public void onOutboundBudgetExceeded(final Connection victim)
    {
        final int slot = victim.slot();
        final Peer peer = slot < peersBySlot.length ? peersBySlot[slot] : null;
        if (null != peer && peer.connection == victim)
        {
            slowConsumer(peer, "outbound budget exhausted");
        }
        else
        {
            // Not a peer of this router (cannot happen: only peers are written to); cut it all the same.
            output.close(victim, Connection.CloseMode.SLOW_CONSUMER);
            output.schedule(victim);
            metrics.onSlowConsumer();
        }
    }

    @Override
    public void onEvent(final InboundEvent event, final long sequence, final boolean endOfBatch)
    {
        eventsInBatch++;
        try
        {
            if (null == event.connection)
            {
                onClusterEvent(event);
                return;
            }
            final Peer peer = peerOf(event.connection);
            if (null == peer)
            {
                return;
            }

            switch (event.type)
            {
                case InboundBatch.MESSAGE:
                    messageReadNs = event.readNs;
                    messageRouteNs = System.nanoTime();
                    onMessage(peer, event.arena.buffer(), event.offset, event.length);
                    break;

                case InboundBatch.CONTROL_LINE:
                    messageReadNs = event.readNs;
                    messageRouteNs = System.nanoTime();
                    onControlLine(peer, event.length);
                    break;

                case InboundBatch.NEW_PEER:
                    onNewPeer(peer, event.arena.buffer(), event.offset, event.length);
                    break;

                case InboundBatch.DISCONNECT:
                    onDisconnect(peer, event.reason);
                    break;

                default:
                    throw new IllegalStateException("unknown event type " + event.type);
            }
        }
        finally
        {
            event.arena.releaseTo(event.arenaEndPosition);
            event.clear();
            if (endOfBatch)
            {
                flushBatch();
            }
        }
    }

    /**
     * The connection's peer, created on its first event. A slot taken by a later connection holds the later one's
     * peer: an event still coming from the earlier connection (the reader had not noticed the close yet) is dropped,
     * as the earlier peer, closed by this router, would have dropped it.
     *
     * @return the peer, or null to drop the event.
     */
    private Peer peerOf(final Connection connection)
    {
        final int slot = connection.slot();
        if (slot >= peersBySlot.length)
        {
            // Not while slots stay below max-connections; stay correct (allocation on a connection event only).
            peersBySlot = java.util.Arrays.copyOf(peersBySlot, Math.max(slot + 1, peersBySlot.length * 2));
        }
        final Peer peer = peersBySlot[slot];
        if (null != peer && peer.connection == connection)
        {
            return peer;
        }
        if (connection.closeRequested())
        {
            return null;
        }
        final Peer created = new Peer(connection);
        peersBySlot[slot] = created;
        slotsUsed = Math.max(slotsUsed, slot + 1);
        return created;
    }

    /** Hands every peer that got output in this batch to its writer, then wakes those writers. */
    private void flushBatch()
    {
        for (int i = 0; i < dirtyCount; i++)
        {
            final Peer peer = dirtyPeers[i];
            dirtyPeers[i] = null;
            peer.dirty = false;
            output.schedule(peer.connection);
        }
        dirtyCount = 0;
        output.wakeWriters();
        if (null != cluster)
        {
            cluster.flush();
        }
        final int scans = IDLE_SCAN_PER_BATCH + IDLE_SCAN_PER_EVENT * Math.min(eventsInBatch, IDLE_SCAN_WHEN_IDLE);
        eventsInBatch = 0;
        output.releaseIdleMemory(scans);
        answerSnapshotRequests();
    }

    private void markDirty(final Peer peer)
    {
        if (!peer.dirty)
        {
            if (dirtyCount == dirtyPeers.length)
            {
                flushBatch(); // cannot happen while open connections are capped at max-connections; stay correct
            }
            peer.dirty = true;
            dirtyPeers[dirtyCount++] = peer;
        }
    }

    private void onNewPeer(final Peer peer, final DirectBuffer line, final int offset, final int length)
    {
        if (peer.state != Peer.CONNECTED)
        {
            return;
        }
        final int end = offset + length;
        final int start = Protocol.skipBlanks(line, offset, end);
        final int nameEnd = Protocol.trimBlanksEnd(line, start, end);
        final int nameLength = nameEnd - start;

        final Protocol.NameError invalid = Protocol.checkName(line, start, nameEnd, maxNameBytes, nameCharset);
        if (null != invalid)
        {
            reply(peer, invalidNameReplies[invalid.ordinal()], ErrorKind.INVALID_NAME);
            close(peer, Connection.CloseMode.FLUSH);
            // The name as sent, escaped; a first line of up to max-line-bytes is cut to max-name-bytes for the log.
            LOG.log(System.Logger.Level.INFO, () -> peer.describe() + " refused: invalid name '" +
                NameKey.toString(line, start, Math.min(nameLength, maxNameBytes)) +
                (nameLength > maxNameBytes ? "...' (" + nameLength + " bytes)" : "'") + ": " +
                invalid.reason(maxNameBytes));
            return;
        }

        if (peersByName.containsKey(lookupKey.wrap(line, start, nameLength)))
        {
            replyNaming(peer, NAME_TAKEN_PREFIX, line, start, nameLength, NAME_TAKEN_END, ErrorKind.NAME_TAKEN);
            close(peer, Connection.CloseMode.FLUSH);
            final String name = NameKey.toString(line, start, nameLength);
            LOG.log(System.Logger.Level.INFO, () -> peer.describe() + " refused: name '" + name + "' is taken");
            return;
        }

        peer.name = NameKey.copyOf(line, start, nameLength);
        if (null != cluster)
        {
            claim(peer, line, start, nameLength);
            return;
        }
        peer.state = Peer.NAMED;
        peersByName.put(peer.name, peer);
        metrics.onPeersRegistered(peersByName.size());
        if (LOG.isLoggable(System.Logger.Level.INFO))
        {
            // No lambda: its first run would make a class while peers connect (see Connection.addressText).
            LOG.log(System.Logger.Level.INFO, peer.describe(" connected"));
        }
    }

    /**
     * A line holding a control character (the reader found it as it framed the line): a lone '\r' or an escape
     * sequence would let the text show as a line from someone else, so nothing of it is delivered.
     */
    private void onControlLine(final Peer sender, final int length)
    {
        if (sender.state == Peer.NAMED)
        {
            metrics.onMessageIn(messageRouteNs - messageReadNs);
            sender.countIn(length);
            reply(sender, CONTROL_IN_LINE, ErrorKind.CONTROL_IN_LINE);
        }
    }

    private void onMessage(final Peer sender, final DirectBuffer line, final int offset, final int length)
    {
        if (sender.state != Peer.NAMED)
        {
            if (sender.state == Peer.PENDING)
            {
                hold(sender, line, offset, length);
            }
            return; // the connection is being closed by the broker; what it still sent is dropped
        }
        metrics.onMessageIn(messageRouteNs - messageReadNs);
        sender.countIn(length);
        final int end = offset + length;
        int colon = -1;
        for (int i = offset; i < end; i++)
        {
            if (line.getByte(i) == Protocol.TEXT_SEPARATOR)
            {
                colon = i;
                break;
            }
        }
        if (colon < 0)
        {
            if (Protocol.skipBlanks(line, offset, end) < end)
            {
                reply(sender, BAD_LINE, ErrorKind.BAD_LINE);
            }
            return; // an empty (or blank) line is ignored
        }

        final int textStart = Protocol.skipBlanks(line, colon + 1, end);
        final int textEnd = Protocol.trimBlanksEnd(line, textStart, end);
        if (countNames(line, offset, colon) > maxDestinations)
        {
            reply(sender, tooManyDestinations, ErrorKind.TOO_MANY_DESTINATIONS);
            return; // refused whole: one line cannot make the broker queue more than max-destinations copies
        }
        lineNumber++;

        int destinations = 0;
        int tokenStart = offset;
        while (tokenStart <= colon)
        {
            int tokenEnd = tokenStart;
            while (tokenEnd < colon && line.getByte(tokenEnd) != Protocol.DESTINATION_SEPARATOR)
            {
                tokenEnd++;
            }
            final int nameStart = Protocol.skipBlanks(line, tokenStart, tokenEnd);
            final int nameEnd = Protocol.trimBlanksEnd(line, nameStart, tokenEnd);
            if (nameEnd > nameStart)
            {
                destinations++;
                deliver(sender, line, nameStart, nameEnd - nameStart, textStart, textEnd - textStart);
            }
            tokenStart = tokenEnd + 1;
        }

        if (0 == destinations)
        {
            reply(sender, BAD_LINE, ErrorKind.BAD_LINE);
        }
    }

    /** @return the names (non-blank entries) in the destination list {@code [offset, colon)}, repeats counted. */
    private static int countNames(final DirectBuffer line, final int offset, final int colon)
    {
        int names = 0;
        boolean inName = false;
        for (int i = offset; i < colon; i++)
        {
            final byte b = line.getByte(i);
            if (b == Protocol.DESTINATION_SEPARATOR)
            {
                inName = false;
            }
            else if (!inName && !Protocol.isBlank(b))
            {
                inName = true;
                names++;
            }
        }
        return names;
    }

    private void deliver(final Peer sender, final DirectBuffer line, final int nameOffset, final int nameLength,
        final int textOffset, final int textLength)
    {
        final Peer recipient = peersByName.get(lookupKey.wrap(line, nameOffset, nameLength));
        if (null == recipient || recipient.state != Peer.NAMED)
        {
            if (null != cluster && null == recipient)
            {
                final RemoteName remote = remoteNames.get(lookupKey);
                if (null != remote)
                {
                    sendToNode(sender, remote, line, nameOffset, nameLength, textOffset, textLength);
                    return;
                }
            }
            replyNoPeer(sender, line, nameOffset, nameLength);
            return;
        }

        if (recipient.lastLine == lineNumber)
        {
            return; // named again in the same line: it has this line already
        }
        recipient.lastLine = lineNumber;

        final NameKey senderName = sender.name;
        final Outbound out = recipient.connection.outbound();
        if (!out.tryBegin(FROM.length + senderName.length() + COLON_SPACE.length + textLength + 1, messageReadNs,
            messageRouteNs))
        {
            slowConsumer(recipient);
            return;
        }
        out.append(FROM);
        out.append(senderName.bytes());
        out.append(COLON_SPACE);
        out.append(line, textOffset, textLength);
        out.append(Protocol.LINE_END);
        out.commit();
        markDirty(recipient);
        metrics.onDelivered();
        recipient.messagesOut++;
    }

    private void onDisconnect(final Peer peer, final int reason)
    {
        if (peer.state == Peer.CLOSED)
        {
            return; // the broker already closed it; this is the reader noticing
        }
        final String description = peer.describe();
        if (reason == InboundBatch.REASON_LINE_TOO_LONG)
        {
            replyAndClose(peer, lineTooLong, ErrorKind.LINE_TOO_LONG, description, "line too long");
        }
        else if (reason == InboundBatch.REASON_NAME_TIMEOUT)
        {
            replyAndClose(peer, nameTimeout, ErrorKind.NAME_TIMEOUT, description, "no name in time");
        }
        else if (reason == InboundBatch.REASON_PARTIAL_LINE_TIMEOUT)
        {
            replyAndClose(peer, partialLineTimeout, ErrorKind.PARTIAL_LINE_TIMEOUT, description,
                "line not finished in time");
        }
        else if (reason == InboundBatch.REASON_IDLE_TIMEOUT)
        {
            replyAndClose(peer, idleTimeout, ErrorKind.IDLE_TIMEOUT, description, "idle too long");
        }
        else
        {
            close(peer, Connection.CloseMode.DISCARD);
            final String failure = peer.connection.failure();
            LOG.log(System.Logger.Level.INFO, () -> description + " disconnected" +
                (null == failure ? "" : ": " + failure));
        }
    }

    /** The reader's reason to end the connection, told to the peer: the reply, then a close once it is flushed. */
    private void replyAndClose(
        final Peer peer, final byte[] message, final ErrorKind kind, final String description, final String why)
    {
        reply(peer, message, kind);
        close(peer, Connection.CloseMode.FLUSH);
        LOG.log(System.Logger.Level.INFO, () -> description + " disconnected: " + why);
    }

    private void reply(final Peer peer, final byte[] message, final ErrorKind kind)
    {
        final Outbound out = peer.connection.outbound();
        if (out.tryBegin(message.length))
        {
            out.append(message);
            out.commit();
            markDirty(peer);
            metrics.onErrorSent(kind);
        }
        else
        {
            slowConsumer(peer);
        }
    }

    private void slowConsumer(final Peer peer)
    {
        slowConsumer(peer, null);
    }

    private void slowConsumer(final Peer peer, final String why)
    {
        if (peer.state == Peer.CLOSED)
        {
            return;
        }
        final Outbound out = peer.connection.outbound();
        final int queuedBytes = out.queuedBytes();
        close(peer, Connection.CloseMode.SLOW_CONSUMER);
        metrics.onSlowConsumer();
        LOG.log(System.Logger.Level.WARNING, () -> peer.describe() + " disconnected: slow consumer (" + queuedBytes +
            " bytes queued, at most " + out.maxQueuedBytes() + (null == why ? "" : "; " + why) + ")");
    }

    /**
     * Releases the name at once and asks the writer to close the connection. The first decision stands: an error
     * reply that did not fit has already closed the peer as a slow consumer (discard its backlog now), and the close
     * that follows the reply must not turn that into a flush lasting up to the flush deadline.
     */
    private void close(final Peer peer, final Connection.CloseMode mode)
    {
        if (peer.state == Peer.CLOSED)
        {
            return;
        }
        if (peer.state == Peer.NAMED || peer.state == Peer.PENDING)
        {
            peersByName.remove(peer.name);
            metrics.onPeersRegistered(peersByName.size());
            if (null != cluster)
            {
                if (peer.state == Peer.NAMED)
                {
                    clusterCounters.addNames(cluster.nodeId(), -1);
                }
                if (!release(peer.name))
                {
                    clusterCounters.releasesNotQueued++; // released with this node's session instead
                }
            }
        }
        peer.state = Peer.CLOSED;
        peer.held = null;
        output.close(peer.connection, mode);
        markDirty(peer);
    }

    // ---- cluster: see docs/cluster.md ----------------------------------------------------------------------------

    /** A name the directory says is held on another node. Allocated when the name is taken there, not per message. */
    static final class RemoteName
    {
        final int node;
        /** As {@link Peer#lastLine}: a name repeated in one line gets it once. */
        long lastLine;

        RemoteName(final int node)
        {
            this.node = node;
        }
    }

    /**
     * The cluster's counters: written by the broker thread only, read by others for display. Those counted per
     * message are released (an ordered store, no fence), the rest, counted per connection or state change, volatile.
     * The per-node arrays are indexed by node id (this node's own entry counts nothing sent or received) and made
     * once, before the broker's threads start.
     */
    static final class ClusterCounters
    {
        AtomicLongArray framesSent = new AtomicLongArray(0);
        AtomicLongArray bytesSent = new AtomicLongArray(0);
        AtomicLongArray framesReceived = new AtomicLongArray(0);
        AtomicLongArray bytesReceived = new AtomicLongArray(0);
        AtomicLongArray sendsFailed = new AtomicLongArray(0);
        /** Names held on each node: the replica's for the others, the granted peers for this one. */
        AtomicLongArray names = new AtomicLongArray(0);
        final ClaimLatency claimLatency = new ClaimLatency();
        volatile long claims;
        volatile long claimsGranted;
        volatile long claimsTaken;
        volatile long claimsUnavailable;
        volatile long releasesNotQueued;
        volatile long remoteNames;
        volatile long peersDroppedOnLoss;
        volatile boolean connected;

        /** Before the broker's threads start. */
        void nodes(final int count)
        {
            framesSent = new AtomicLongArray(count);
            bytesSent = new AtomicLongArray(count);
            framesReceived = new AtomicLongArray(count);
            bytesReceived = new AtomicLongArray(count);
            sendsFailed = new AtomicLongArray(count);
            names = new AtomicLongArray(count);
        }

        /** Broker thread: adds to a per-node count with an ordered store (its only writer). */
        static void add(final AtomicLongArray counts, final int node, final long delta)
        {
            counts.setRelease(node, counts.getPlain(node) + delta);
        }

        void addNames(final int node, final long delta)
        {
            add(names, node, delta);
        }

        /** @return the sum over every node. Any thread. */
        static long sum(final AtomicLongArray counts)
        {
            long sum = 0;
            for (int node = 0; node < counts.length(); node++)
            {
                sum += counts.get(node);
            }
            return sum;
        }
    }

    /** The name is free here: reserve it and ask the directory. Broker thread; allocation per connection only. */
    private void claim(final Peer peer, final DirectBuffer line, final int start, final int nameLength)
    {
        if (!clusterUp)
        {
            refuseUnavailable(peer);
            return;
        }
        final long claimId = ++lastClaimId;
        if (!cluster.claim(claimId, line, start, nameLength))
        {
            refuseUnavailable(peer);
            return;
        }
        peer.state = Peer.PENDING;
        peer.claimId = claimId;
        peer.claimNs = System.nanoTime();
        peersByName.put(peer.name, peer);
        pendingClaims.put(claimId, peer);
        clusterCounters.claims++;
    }

    private boolean release(final NameKey name)
    {
        nameView.wrap(name.bytes());
        return cluster.release(nameView, 0, name.length());
    }

    private void refuseUnavailable(final Peer peer)
    {
        clusterCounters.claimsUnavailable++;
        reply(peer, CLUSTER_UNAVAILABLE, ErrorKind.CLUSTER_UNAVAILABLE);
        close(peer, Connection.CloseMode.FLUSH);
        LOG.log(System.Logger.Level.INFO, () -> peer.describe() + " refused: cluster unavailable");
    }

    /** A line from a peer whose name is not answered yet: kept, in order, to be routed once it is granted. */
    private void hold(final Peer peer, final DirectBuffer line, final int offset, final int length)
    {
        if (null == peer.held)
        {
            peer.held = new ExpandableArrayBuffer(Math.min(maxHeldBytes, 4 + length + 256));
        }
        if (peer.heldBytes + 4 + length > maxHeldBytes)
        {
            slowConsumer(peer, "sent more than " + maxHeldBytes + " bytes before its name was granted");
            return;
        }
        peer.held.putInt(peer.heldBytes, length);
        peer.held.putBytes(peer.heldBytes + 4, line, offset, length);
        peer.heldBytes += 4 + length;
    }

    private void onClusterEvent(final InboundEvent event)
    {
        switch (event.type)
        {
            case InboundEvent.NODE_FRAME:
                onNodeFrame(event.reason, event.arena.buffer(), event.offset, event.length);
                break;

            case InboundEvent.CLAIM_RESULT:
                onClaimResult(event.correlationId, event.reason);
                break;

            case InboundEvent.NAME_HELD:
                onNameHeld(event.reason, event.arena.buffer(), event.offset, event.length);
                break;

            case InboundEvent.NAME_RELEASED:
                onNameReleased(event.reason, event.arena.buffer(), event.offset, event.length);
                break;

            case InboundEvent.CLUSTER_STATE:
                onClusterState(event.reason);
                break;

            case InboundEvent.CLUSTER_NOTHING:
                break;

            default:
                throw new IllegalStateException("unknown cluster event type " + event.type);
        }
    }

    private void onClaimResult(final long claimId, final int result)
    {
        final Peer peer = pendingClaims.remove(claimId);
        if (null == peer || peer.state != Peer.PENDING)
        {
            return; // closed meanwhile: its release is already on its way, after the claim
        }
        clusterCounters.claimLatency.recordNs(System.nanoTime() - peer.claimNs);
        if (result == ClusterEvents.CLAIM_GRANTED)
        {
            clusterCounters.claimsGranted++;
            clusterCounters.addNames(cluster.nodeId(), 1);
            peer.state = Peer.NAMED;
            metrics.onPeersRegistered(peersByName.size());
            if (LOG.isLoggable(System.Logger.Level.INFO))
            {
                LOG.log(System.Logger.Level.INFO, peer.describe(" connected"));
            }
            final ExpandableArrayBuffer held = peer.held;
            final int heldBytes = peer.heldBytes;
            peer.held = null;
            peer.heldBytes = 0;
            for (int at = 0; at < heldBytes && peer.state == Peer.NAMED; )
            {
                final int length = held.getInt(at);
                messageReadNs = System.nanoTime();
                messageRouteNs = messageReadNs;
                onMessage(peer, held, at + 4, length);
                at += 4 + length;
            }
            return;
        }

        peersByName.remove(peer.name);
        peer.state = Peer.CONNECTED; // not named: close() has no name to release
        if (result == ClusterEvents.CLAIM_TAKEN)
        {
            clusterCounters.claimsTaken++;
            nameView.wrap(peer.name.bytes());
            replyNaming(peer, NAME_TAKEN_PREFIX, nameView, 0, peer.name.length(), NAME_TAKEN_END, ErrorKind.NAME_TAKEN);
            close(peer, Connection.CloseMode.FLUSH);
            LOG.log(System.Logger.Level.INFO, () -> peer.describe() + " refused: name is taken on another node");
        }
        else
        {
            refuseUnavailable(peer);
        }
    }

    private void onNameHeld(final int node, final DirectBuffer name, final int offset, final int length)
    {
        if (node == cluster.nodeId())
        {
            return; // this node's own names are its peers
        }
        final NameKey key = NameKey.copyOf(name, offset, length);
        final RemoteName previous = remoteNames.get(key);
        if (null == previous || previous.node != node)
        {
            remoteNames.put(key, new RemoteName(node));
            if (null != previous)
            {
                clusterCounters.addNames(previous.node, -1);
            }
            clusterCounters.addNames(node, 1);
        }
        clusterCounters.remoteNames = remoteNames.size();
    }

    private void onNameReleased(final int node, final DirectBuffer name, final int offset, final int length)
    {
        final RemoteName remote = remoteNames.get(lookupKey.wrap(name, offset, length));
        if (null != remote && remote.node == node)
        {
            remoteNames.remove(lookupKey);
            clusterCounters.addNames(node, -1);
        }
        clusterCounters.remoteNames = remoteNames.size();
    }

    private void onClusterState(final int state)
    {
        if (state == ClusterEvents.CLUSTER_CONNECTED)
        {
            clusterUp = true;
            clusterCounters.connected = true;
            LOG.log(System.Logger.Level.INFO, "cluster: joined the directory as node " + cluster.nodeId());
            return;
        }
        // Lost: drop every peer of this node before the directory can give their names to anyone else.
        clusterUp = false;
        clusterCounters.connected = false;
        remoteNames.clear();
        clusterCounters.remoteNames = 0;
        for (int node = 0; node < clusterCounters.names.length(); node++)
        {
            if (node != cluster.nodeId())
            {
                clusterCounters.names.setRelease(node, 0);
            }
        }
        int dropped = 0;
        for (final Peer peer : peersBySlot)
        {
            if (null != peer && (peer.state == Peer.NAMED || peer.state == Peer.PENDING))
            {
                reply(peer, CLUSTER_UNAVAILABLE, ErrorKind.CLUSTER_UNAVAILABLE);
                close(peer, Connection.CloseMode.FLUSH);
                dropped++;
            }
        }
        pendingClaims.clear();
        clusterCounters.peersDroppedOnLoss += dropped;
        LOG.log(System.Logger.Level.WARNING, "cluster: lost the directory; dropped " + dropped +
            " peers, admitting no names until it is back");
    }

    /** A message for a name held on another node: one frame to that node, or {@code error: no peer}. */
    private void sendToNode(final Peer sender, final RemoteName remote, final DirectBuffer line,
        final int nameOffset, final int nameLength, final int textOffset, final int textLength)
    {
        if (remote.lastLine == lineNumber)
        {
            return; // named again in the same line
        }
        remote.lastLine = lineNumber;
        final byte[] senderName = sender.name.bytes();
        final UnsafeBuffer frame = this.frame;
        frame.putByte(NodeMessageDescriptor.TYPE_OFFSET, NodeMessageDescriptor.MESSAGE);
        frame.putShort(NodeMessageDescriptor.SENDER_LENGTH_OFFSET, (short)senderName.length);
        frame.putShort(NodeMessageDescriptor.RECIPIENT_LENGTH_OFFSET, (short)nameLength);
        int at = NodeMessageDescriptor.HEADER_LENGTH;
        frame.putBytes(at, senderName);
        at += senderName.length;
        frame.putBytes(at, line, nameOffset, nameLength);
        at += nameLength;
        frame.putBytes(at, line, textOffset, textLength);
        at += textLength;
        if (cluster.send(remote.node, frame, 0, at) == ClusterLink.SENT)
        {
            ClusterCounters.add(clusterCounters.framesSent, remote.node, 1);
            ClusterCounters.add(clusterCounters.bytesSent, remote.node, at);
        }
        else
        {
            ClusterCounters.add(clusterCounters.sendsFailed, remote.node, 1);
            replyNoPeer(sender, line, nameOffset, nameLength);
        }
    }

    private void replyNoPeer(final Peer sender, final DirectBuffer name, final int nameOffset, final int nameLength)
    {
        if (sender.state != Peer.NAMED)
        {
            return;
        }
        if (!replyNaming(sender, NO_PEER_PREFIX, name, nameOffset, nameLength, NO_PEER_END, ErrorKind.NO_PEER))
        {
            slowConsumer(sender);
        }
    }

    /**
     * Queues an error reply that quotes a name, {@code prefix name end}, and counts it. Broker thread; garbage-free.
     *
     * @return false if it does not fit the peer's bound (nothing was queued).
     */
    private boolean replyNaming(
        final Peer to,
        final byte[] prefix,
        final DirectBuffer name,
        final int nameOffset,
        final int nameLength,
        final byte[] end,
        final ErrorKind kind)
    {
        final Outbound out = to.connection.outbound();
        if (!out.tryBegin(prefix.length + nameLength + end.length))
        {
            return false;
        }
        out.append(prefix);
        out.append(name, nameOffset, nameLength);
        out.append(end);
        out.commit();
        markDirty(to);
        metrics.onErrorSent(kind);
        return true;
    }

    /** A frame from another node: a message for a peer here, or a recipient there was not. Garbage-free. */
    private void onNodeFrame(final int fromNode, final DirectBuffer buffer, final int offset, final int length)
    {
        if (null != NodeMessageDescriptor.check(buffer, offset, length))
        {
            // Cannot happen between nodes of one version; never routed.
            ClusterCounters.add(clusterCounters.sendsFailed, fromNode, 1);
            return;
        }
        ClusterCounters.add(clusterCounters.framesReceived, fromNode, 1);
        ClusterCounters.add(clusterCounters.bytesReceived, fromNode, length);
        final int senderLength = NodeMessageDescriptor.senderLength(buffer, offset);
        final int recipientLength = NodeMessageDescriptor.recipientLength(buffer, offset);
        final int senderOffset = offset + NodeMessageDescriptor.HEADER_LENGTH;
        final int recipientOffset = senderOffset + senderLength;
        final int textOffset = recipientOffset + recipientLength;
        final int textLength = offset + length - textOffset;

        if (NodeMessageDescriptor.type(buffer, offset) == NodeMessageDescriptor.NO_PEER)
        {
            final Peer sender = peersByName.get(lookupKey.wrap(buffer, senderOffset, senderLength));
            if (null != sender)
            {
                replyNoPeer(sender, buffer, recipientOffset, recipientLength);
            }
            return;
        }

        final Peer recipient = peersByName.get(lookupKey.wrap(buffer, recipientOffset, recipientLength));
        if (null == recipient || recipient.state != Peer.NAMED)
        {
            // Gone while the message travelled: the sender's node tells the sender, as a single node would.
            final UnsafeBuffer frame = this.frame;
            frame.putByte(NodeMessageDescriptor.TYPE_OFFSET, NodeMessageDescriptor.NO_PEER);
            frame.putShort(NodeMessageDescriptor.SENDER_LENGTH_OFFSET, (short)senderLength);
            frame.putShort(NodeMessageDescriptor.RECIPIENT_LENGTH_OFFSET, (short)recipientLength);
            frame.putBytes(NodeMessageDescriptor.HEADER_LENGTH, buffer, senderOffset, senderLength);
            frame.putBytes(NodeMessageDescriptor.HEADER_LENGTH + senderLength, buffer, recipientOffset,
                recipientLength);
            cluster.send(fromNode, frame, 0, NodeMessageDescriptor.HEADER_LENGTH + senderLength + recipientLength);
            return;
        }

        final Outbound out = recipient.connection.outbound();
        if (!out.tryBegin(FROM.length + senderLength + COLON_SPACE.length + textLength + 1))
        {
            slowConsumer(recipient);
            return;
        }
        out.append(FROM);
        out.append(buffer, senderOffset, senderLength);
        out.append(COLON_SPACE);
        out.append(buffer, textOffset, textLength);
        out.append(Protocol.LINE_END);
        out.commit();
        markDirty(recipient);
        metrics.onDelivered();
    }
}
