/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import com.lmax.disruptor.EventHandler;
import org.agrona.DirectBuffer;
import org.agrona.collections.Object2ObjectHashMap;

import io.tern.broker.metrics.ErrorKind;
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
            if (peer.connection.outbound().tryBegin(NAME_TAKEN_PREFIX.length + nameLength + NAME_TAKEN_END.length))
            {
                final Outbound out = peer.connection.outbound();
                out.append(NAME_TAKEN_PREFIX);
                out.append(line, start, nameLength);
                out.append(NAME_TAKEN_END);
                out.commit();
                markDirty(peer);
                metrics.onErrorSent(ErrorKind.NAME_TAKEN);
            }
            close(peer, Connection.CloseMode.FLUSH);
            final String name = NameKey.toString(line, start, nameLength);
            LOG.log(System.Logger.Level.INFO, () -> peer.describe() + " refused: name '" + name + "' is taken");
            return;
        }

        peer.name = NameKey.copyOf(line, start, nameLength);
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
        if (null == recipient)
        {
            if (sender.state == Peer.NAMED)
            {
                final Outbound out = sender.connection.outbound();
                if (out.tryBegin(NO_PEER_PREFIX.length + nameLength + NO_PEER_END.length))
                {
                    out.append(NO_PEER_PREFIX);
                    out.append(line, nameOffset, nameLength);
                    out.append(NO_PEER_END);
                    out.commit();
                    markDirty(sender);
                    metrics.onErrorSent(ErrorKind.NO_PEER);
                }
                else
                {
                    slowConsumer(sender);
                }
            }
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
        if (peer.state == Peer.NAMED)
        {
            peersByName.remove(peer.name);
            metrics.onPeersRegistered(peersByName.size());
        }
        peer.state = Peer.CLOSED;
        output.close(peer.connection, mode);
        markDirty(peer);
    }
}
