/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.agrona.CloseHelper;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Reads its share of connections, frames lines and hands them to the {@link InboundSink} in batches.
 * <p>
 * Runs as the agent {@code reader-N} (its own thread, or the shared one). It alone touches its selector, its
 * {@link LineArena} and the read side of its connections. Back-pressure: when the sink has no room (the Disruptor ring
 * is full) or the arena has no room for a read (the broker is behind), the reader keeps what it has, stops reading
 * every socket and retries with a short park; TCP then pushes back on the senders. Nothing already read is dropped.
 * <p>
 * Sockets are read straight into the arena, up to {@code read-buffer-bytes} per socket read, into free space claimed
 * for the read; one read per ready connection per duty cycle (level-triggered, so a busy connection is read again on
 * the next cycle, after the others had their turn). Complete lines are published where they landed: no copy. The
 * arena is shared by all the reader's connections, so a trailing partial line cannot stay there: it is kept with the
 * connection, in a buffer of its size class from the reader's {@link BufferPool}. The claim for the connection's next
 * read leaves room in front for it; reads that bring no newline append to the kept buffer (moving it to a larger
 * class as it grows), and once a newline (or the end of input) completes the line, the kept part is copied into the
 * room left for it, so the line is contiguous, and the buffer goes back to the pool. Each byte of a partial line is
 * copied once out and once back, however many reads the line takes. A connection between lines holds no read memory.
 * That copy is avoided where it can be: when a read fills its claim and leaves a line open, more bytes are most likely
 * waiting, so the same socket is read again at once into the room right behind the open line (claimed from the line's
 * start, if the arena has a read's room there), up to {@code read-buffer-bytes + max-line-bytes} per connection per
 * duty cycle, for an open line of at least a sixteenth of a read; only what is still open after that, or after a read
 * that did not fill its claim, is kept.
 * <pre>
 *   connection.partial (pooled):  | line so far |
 *                                       │ copied in once a newline has arrived
 *                                       ▼
 *   arena claim:                  |   room    |rest\n| line | line | start of the next ...|
 *                                  └─── read ──────────────────────────────────────────┘ ─▶ kept again
 * </pre>
 * Garbage-free in steady state: the arena, the batch and the selector callbacks are allocated up front, and partial
 * line buffers come from the pool's cache.
 * <p>
 * Deadlines, checked in the duty cycle (every 50 ms at most): the name line within {@code name-timeout-ms} of the
 * accept; a line begun and not finished within {@code partial-line-timeout-ms} of the read that began it (a
 * connection joins a list when it starts keeping a partial line, at most once until the next check); and, when set,
 * {@code idle-timeout-ms} for a named connection that neither sent nor was written to (its writer counts its writes,
 * the reader compares). Each cuts the connection as a line too long does: input dropped, a disconnect with its reason
 * for the broker, which replies and closes. A connection the broker has closed is not read any more.
 */
final class Reader implements Agent
{
    private static final System.Logger LOG = System.getLogger(Reader.class.getName());
    private static final long STALLED_PARK_NS = 50_000;
    private static final long SELECT_TIMEOUT_MS = 100;
    private static final long NAME_CHECK_INTERVAL_NS = 50_000_000;
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final String roleName;
    private final Selector selector;
    private final OneToOneConcurrentArrayQueue<Connection> newConnections;
    private final LineArena arena;
    private final InboundBatch batch;
    private final InboundSink sink;
    private final int maxLineBytes;
    private final Consumer<SelectionKey> onReadable = this::onReadable;
    private final AgentIdleStrategy idleStrategy;
    private final AtomicCounter bytesIn;
    private final int readChunkBytes;
    // Views of the arena's memory: the reader reads sockets into it and scans it for newlines.
    private final ByteBuffer readTarget;
    private final UnsafeBuffer arenaView;
    private final long arenaAddress;
    private final BufferPool partials;
    // Offsets in the arena of the bytes of one connection being framed (from the claim made for its read), also
    // across a stall (stalled is that connection); all three are 0 otherwise.
    private int lineStart;
    private int scanPosition;
    private int readEnd;
    // Where the claim the latest socket read went into ends, while the bytes to frame are that read's (and so may be
    // continued by reading again behind them); -1 otherwise. With the bytes one turn of a connection has read so far.
    private int claimEnd = -1;
    private int turnBytes;
    private final int turnBudgetBytes;
    private final int readBehindMinBytes;
    private boolean frameAgain;
    // While the arena has no room for a read: the bytes a claim needs before the reader tries again; 0 otherwise.
    private int arenaWaitBytes;

    private final long nameTimeoutNs;
    private final ArrayList<Connection> awaitingName;
    /** TLS connections to read again without waiting for the selector (swapped with the second list each cycle). */
    private ArrayList<Connection> tlsAgain = new ArrayList<>();
    private ArrayList<Connection> tlsAgainSwap = new ArrayList<>();
    private long nextNameCheckNs;
    private final long partialLineTimeoutNs;
    /** Connections that kept a partial line since the last check (the check drops those that finished it). */
    private final ArrayList<Connection> partialLines;
    private final long idleTimeoutNs;
    private final long idleCheckIntervalNs;
    private long nextIdleCheckNs;
    private boolean batchPending;
    private Connection stalled;
    private volatile boolean stopRequested;

    Reader(
        final int index,
        final int maxConnections,
        final int inboundBufferBytes,
        final int batchCapacity,
        final int readBufferBytes,
        final int maxLineBytes,
        final long nameTimeoutNs,
        final long partialLineTimeoutNs,
        final long idleTimeoutNs,
        final InboundSink sink,
        final IdleStrategyKind idleKind,
        final AtomicCounter bytesRead) throws IOException
    {
        this.bytesIn = bytesRead;
        this.roleName = "reader-" + index;
        this.selector = Selector.open();
        this.newConnections = new OneToOneConcurrentArrayQueue<>(maxConnections);
        this.arena = new LineArena(inboundBufferBytes);
        this.batch = new InboundBatch(arena, batchCapacity);
        this.sink = sink;
        this.maxLineBytes = maxLineBytes;
        this.readChunkBytes = readBufferBytes;
        // One long line's worth beyond a read: a line split across reads is read whole, and no connection holds the
        // reader much longer than one long line takes.
        this.turnBudgetBytes = readBufferBytes + maxLineBytes;
        // Small lines (4 KiB open at most with default reads) are kept as before: their copy is cheap, and a turn that
        // reads on for them would only change how reads interleave between connections.
        this.readBehindMinBytes = Math.max(1, readBufferBytes / 16);
        this.arenaView = arena.readerBuffer();
        this.readTarget = arenaView.byteBuffer().duplicate();
        this.arenaAddress = arenaView.addressOffset();
        this.partials = new BufferPool(Math.max(BufferPool.MIN_CLASS_BYTES, maxLineBytes + 1));
        this.nameTimeoutNs = nameTimeoutNs;
        this.awaitingName = new ArrayList<>(Math.min(maxConnections, 1024));
        this.partialLineTimeoutNs = partialLineTimeoutNs;
        this.partialLines = new ArrayList<>(Math.min(maxConnections, 1024));
        this.idleTimeoutNs = idleTimeoutNs;
        // An idle check walks every connection: often enough for the deadline's precision, at most once a second.
        this.idleCheckIntervalNs = Math.max(NAME_CHECK_INTERVAL_NS, Math.min(1_000_000_000L, idleTimeoutNs / 8));
        this.idleStrategy = new AgentIdleStrategy(idleKind, this::block);
    }

    AgentIdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    /** @return bytes of the pooled buffers holding partial lines now. Any thread; a snapshot. */
    long partialLineBytes()
    {
        return partials.inUseBytes();
    }

    /** @return bytes of this reader's pool's buffers, in use or cached (it reads into its arena). Any thread. */
    long readMemoryBytes()
    {
        return partials.allocatedBytes();
    }

    /**
     * Hands a new connection to this reader. Acceptor thread only.
     *
     * @param connection the connection.
     * @return false if the queue is full.
     */
    boolean offer(final Connection connection)
    {
        if (!newConnections.offer(connection))
        {
            return false;
        }
        selector.wakeup();
        return true;
    }

    /** Ends a blocking select: work came from elsewhere (the cluster agent's events for the shared thread). Any thread. */
    void wakeup() { selector.wakeup(); }

    /**
     * Has a channel that another duty of this thread reads (the cluster's UDP sockets, read by an Aeron media driver
     * the shared thread runs) end this reader's wait when it is readable, and tell its owner so. The reader never reads
     * it: the readiness counts as work, so the duty cycle runs on and the owner reads it. The key goes with the
     * channel's close. This reader's thread, or before it starts.
     *
     * @param channel    a non-blocking channel.
     * @param onReadable run on this thread each time the selector finds the channel readable.
     * @throws ClosedChannelException if the channel is closed.
     */
    void watch(final SelectableChannel channel, final Runnable onReadable) throws ClosedChannelException
    {
        channel.register(selector, SelectionKey.OP_READ, onReadable);
    }

    /** Asks the reader to publish what it has already framed and stop. Any thread. */
    void requestStop()
    {
        stopRequested = true;
        selector.wakeup();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    @Override
    public int doWork()
    {
        return doWork(true);
    }

    /**
     * One duty cycle.
     *
     * @param selectNow false to skip polling the selector, when the caller has just blocked in it (and so handled
     *                  every key that was ready): another poll would be a system call that finds nothing.
     * @return work done.
     */
    int doWork(final boolean selectNow)
    {
        int work = 0;
        if (batchPending)
        {
            if (!sink.tryPublish(batch))
            {
                return 0;
            }
            batch.clear();
            batchPending = false;
            work++;
        }

        if (arenaWaitBytes > 0)
        {
            if (!stopRequested && 0 == arena.tryClaim(arenaWaitBytes, arenaWaitBytes))
            {
                return work; // the broker is still behind: no read, no system call, until it frees enough
            }
            arenaWaitBytes = 0; // a stop needs no room: it reads nothing more
        }

        if (null != stalled)
        {
            final Connection connection = stalled;
            stalled = null;
            work += frame(connection);
            if (!isBlocked() && null != connection.handoff)
            {
                work += feedHandoff(connection);
            }
            publish();
            if (isBlocked())
            {
                return work;
            }
        }

        if (stopRequested)
        {
            // Everything already read has been framed and published; lines still partial are not complete lines.
            throw new AgentTerminationException();
        }

        Connection connection;
        while (!isBlocked() && null != (connection = newConnections.poll()))
        {
            onNewConnection(connection);
            work++;
        }
        if (selectNow)
        {
            try
            {
                work += selector.selectNow(onReadable);
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(roleName + " selector failed", ex);
            }
        }
        if (!tlsAgain.isEmpty())
        {
            work += readTlsAgain();
        }
        if (!awaitingName.isEmpty() || !partialLines.isEmpty())
        {
            work += expireNameDeadlines();
        }
        if (idleTimeoutNs > 0)
        {
            work += expireIdle();
        }
        publish();
        return work;
    }

    private void block()
    {
        block(SELECT_TIMEOUT_MS);
    }

    /**
     * Waits for a socket to be readable (handling it) or a wakeup, at most {@code timeoutMs}; parks briefly instead
     * while back-pressure keeps the reader from reading. Reader (or shared) thread only.
     */
    void block(final long timeoutMs)
    {
        if (isBlocked())
        {
            LockSupport.parkNanos(STALLED_PARK_NS);
            return;
        }
        try
        {
            if (tlsAgain.isEmpty())
            {
                selector.select(onReadable, timeoutMs);
            }
            else
            {
                selector.selectNow(onReadable); // TLS bytes already read wait: no sleeping on the socket
            }
            publish();
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            LOG.log(System.Logger.Level.WARNING, roleName + " select failed: " + ex);
        }
    }

    /**
     * @return true while back-pressure holds read lines back or keeps the reader from reading: the duty cycle must
     * run again to publish them or to retry.
     */
    boolean isBlocked()
    {
        return batchPending || null != stalled || arenaWaitBytes > 0;
    }

    private void publish()
    {
        if (!batchPending && batch.size() > 0)
        {
            if (sink.tryPublish(batch))
            {
                batch.clear();
            }
            else
            {
                batchPending = true;
            }
        }
    }

    /**
     * Closes connections that have not sent a complete first line within the name deadline, and those whose partial
     * line has been in progress longer than the partial-line deadline. Checked about every 100 ms (the selector's
     * timeout bounds how late), so a deadline may be overshot by that much.
     */
    private int expireNameDeadlines()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextNameCheckNs < 0)
        {
            return 0;
        }
        nextNameCheckNs = nowNs + NAME_CHECK_INTERVAL_NS;
        int expired = 0;
        for (int i = awaitingName.size() - 1; i >= 0 && !isBlocked(); i--)
        {
            final Connection connection = awaitingName.get(i);
            if (connection.named || connection.inputEnded)
            {
                removeAwaitingName(i);
            }
            else if (Protocol.isNameOverdue(connection.acceptedNs(), nowNs, nameTimeoutNs))
            {
                removeAwaitingName(i);
                discardInput(connection, InboundBatch.REASON_NAME_TIMEOUT);
                frameDisconnect(connection);
                expired++;
            }
        }
        for (int i = partialLines.size() - 1; i >= 0 && !isBlocked(); i--)
        {
            final Connection connection = partialLines.get(i);
            if (null == connection.partial || connection.inputEnded)
            {
                connection.partialTracked = false;
                removeSwap(partialLines, i);
            }
            else if (nowNs - connection.partialSinceNs > partialLineTimeoutNs)
            {
                // A line begun and never finished (a peer dribbling bytes) would hold its slot and buffer forever.
                connection.partialTracked = false;
                removeSwap(partialLines, i);
                discardInput(connection, InboundBatch.REASON_PARTIAL_LINE_TIMEOUT);
                frameDisconnect(connection);
                expired++;
            }
        }
        return expired;
    }

    /**
     * Closes named connections that have neither sent nor been written to for the idle deadline. Walks the selector's
     * keys (every connection this reader still reads) about every eighth of the deadline, between 50 ms and 1 s: a
     * connection whose writer wrote since the last walk counts as active from this walk on, so a deadline may be
     * overshot by up to one interval. The walk's iterator is its only allocation, and it runs only with the deadline
     * on.
     */
    private int expireIdle()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextIdleCheckNs < 0)
        {
            return 0;
        }
        nextIdleCheckNs = nowNs + idleCheckIntervalNs;
        int expired = 0;
        for (final SelectionKey key : selector.keys())
        {
            if (isBlocked())
            {
                break;
            }
            if (!(key.attachment() instanceof Connection))
            {
                continue; // a watched channel
            }
            final Connection connection = (Connection)key.attachment();
            if (!key.isValid() || !connection.named || connection.inputEnded || null != connection.handoff)
            {
                continue;
            }
            final long writes = connection.writes();
            if (writes != connection.writesSeen)
            {
                connection.writesSeen = writes;
                connection.quietSinceNs = nowNs;
            }
            final long lastActiveNs = connection.lastReadNs - connection.quietSinceNs > 0 ?
                connection.lastReadNs : connection.quietSinceNs;
            if (nowNs - lastActiveNs > idleTimeoutNs && !connection.closeRequested())
            {
                discardInput(connection, InboundBatch.REASON_IDLE_TIMEOUT);
                frameDisconnect(connection);
                expired++;
            }
        }
        return expired;
    }

    private static void removeSwap(final ArrayList<Connection> list, final int i)
    {
        final int last = list.size() - 1;
        list.set(i, list.get(last));
        list.remove(last);
    }

    private void removeAwaitingName(final int i)
    {
        final int last = awaitingName.size() - 1;
        awaitingName.set(i, awaitingName.get(last));
        awaitingName.remove(last);
    }

    private void onNewConnection(final Connection connection)
    {
        try
        {
            connection.readerKey = connection.channel().register(selector, SelectionKey.OP_READ, connection);
            connection.quietSinceNs = connection.acceptedNs();
            if (nameTimeoutNs > 0)
            {
                awaitingName.add(connection);
            }
        }
        catch (final IOException ex)
        {
            // The channel closed before we saw it; tell the broker so the connection is accounted for and closed.
            connection.inputFailure = ex.toString();
            connection.inputEnded = true;
            connection.pendingDisconnectReason = InboundBatch.REASON_IO_ERROR;
        }
        if (null != connection.tls && connection.tls.hasBufferedInput())
        {
            markTlsAgain(connection); // the authenticator's last read through TLS left bytes behind
        }
        if (null != connection.handoff)
        {
            feedHandoff(connection); // the input, if it has ended, ends after these bytes
        }
        else if (connection.inputEnded)
        {
            frame(connection);
        }
    }

    /**
     * Frames what the authenticator read (the name line and whatever followed it) as reads would be, at most a read
     * at a time, copied into the arena; a stall, or an arena without room, stops it and the duty cycle resumes it
     * before reading the socket again.
     *
     * @return lines added to the batch.
     */
    private int feedHandoff(final Connection connection)
    {
        final byte[] handoff = connection.handoff;
        int added = 0;
        while (null != connection.handoff && !isBlocked())
        {
            final int keptBytes = keptBytes(connection);
            final int claimed = claim(keptBytes);
            if (0 == claimed)
            {
                stalled = connection; // resumed (an empty frame, then here) once the arena has room
                return added;
            }
            final int start = arena.claimOffset() + keptBytes;
            final int offset = connection.handoffOffset;
            final int length = Math.min(claimed - keptBytes, handoff.length - offset);
            arenaView.putBytes(start, handoff, offset, length);
            lineStart = start;
            scanPosition = start;
            readEnd = start + length;
            claimEnd = -1; // not a socket read: nothing to read behind it
            connection.handoffOffset = offset + length;
            final boolean last = connection.handoffOffset == handoff.length;
            if (last)
            {
                connection.handoff = null; // from here on an ended input may end: see frame
            }
            added += frame(connection);
        }
        return added;
    }

    private void onReadable(final SelectionKey key)
    {
        final Object attachment = key.attachment();
        if (!(attachment instanceof Connection))
        {
            ((Runnable)attachment).run(); // a watched channel: its owner reads it
            return;
        }
        if (isBlocked() || !key.isValid() || (key.readyOps() & SelectionKey.OP_READ) == 0)
        {
            return; // level-triggered: the key will be selected again once we can take more
        }
        read((Connection)attachment, key);
    }

    /**
     * Reads TLS connections again whose last read left decrypted bytes, whole records or the end behind (the socket
     * will not report them), or whose handshake still has records to send (a read sends them). Only while not blocked;
     * what remains stays for the next duty cycle.
     */
    private int readTlsAgain()
    {
        final ArrayList<Connection> visit = tlsAgain;
        tlsAgain = tlsAgainSwap;
        tlsAgainSwap = visit;
        int work = 0;
        for (int i = 0, size = visit.size(); i < size; i++)
        {
            final Connection connection = visit.get(i);
            connection.tlsAgain = false;
            if (isBlocked())
            {
                markTlsAgain(connection);
            }
            else if (null != connection.readerKey && connection.readerKey.isValid())
            {
                read(connection, connection.readerKey);
                work++;
            }
        }
        visit.clear();
        return work;
    }

    private void markTlsAgain(final Connection connection)
    {
        if (!connection.tlsAgain && !connection.inputEnded)
        {
            connection.tlsAgain = true;
            tlsAgain.add(connection);
        }
    }

    private void read(final Connection connection, final SelectionKey key)
    {
        if (connection.inputEnded)
        {
            return;
        }
        if (connection.closeRequested())
        {
            // The broker has closed it (an error reply, a slow consumer): its lines would be dropped. Stop reading;
            // its writer reads and discards what is left while it lingers, or closes it.
            discardInput(connection, InboundBatch.REASON_CLOSED);
            frameDisconnect(connection);
            return;
        }

        final int keptBytes = keptBytes(connection);
        final int claimed = claim(keptBytes);
        if (0 == claimed)
        {
            return; // the broker is behind; the key stays selected and is read once the arena has room
        }
        // The read lands after room for the kept partial line, which joins it there if a newline completes it.
        final int start = arena.claimOffset() + keptBytes;
        final int bytesRead = readSocket(connection, key, start, arena.claimOffset() + claimed);
        if (0 == bytesRead)
        {
            return;
        }
        lineStart = start;
        scanPosition = start;
        turnBytes = Math.max(0, bytesRead);
        frame(connection);
    }

    /**
     * Reads the connection's socket into the arena from {@code start} to {@code end} (the end of the claim), and sets
     * {@code readEnd} after the bytes read; marks the input ended on end of stream or an error.
     *
     * @return bytes read, 0 if none were ready, negative if the input has ended.
     */
    private int readSocket(final Connection connection, final SelectionKey key, final int start, final int end)
    {
        final ByteBuffer buffer = readTarget;
        buffer.clear();
        buffer.position(start).limit(end);
        int bytesRead;
        try
        {
            bytesRead = connection.read(buffer);
        }
        catch (final IOException ex)
        {
            connection.inputFailure = ex.toString();
            bytesRead = -2;
        }
        // One clock reading per socket read: it stamps every line this read completes (read-to-route/-write).
        connection.lastReadNs = System.nanoTime();
        final TlsChannel tls = connection.tls;
        if (null != tls && bytesRead >= 0 &&
            (tls.hasBufferedInput() || (tls.isHandshaking() && tls.hasPendingOutput())))
        {
            markTlsAgain(connection);
        }
        if (0 == bytesRead)
        {
            return 0;
        }
        readEnd = buffer.position();
        if (bytesRead > 0)
        {
            bytesIn.getAndAddRelease(bytesRead);
            claimEnd = end;
        }
        else
        {
            connection.inputEnded = true;
            connection.pendingDisconnectReason = -1 == bytesRead ?
                InboundBatch.REASON_CLOSED : InboundBatch.REASON_IO_ERROR;
            stopSelecting(key);
        }
        return bytesRead;
    }

    /**
     * When the connection's latest read filled its claim and left a line open, reads the same socket again into the
     * arena right behind that line (claimed from where the line starts, its kept part, if any, joined in front), so
     * that a line split across reads is not copied out to a pooled buffer and back. A turn of one connection reads at
     * most {@code turnBudgetBytes} this way, so that the reader's other connections wait no longer than for one
     * long line; and only while the arena has a read's room there, contiguous (else the line is kept as before).
     *
     * @return true if the socket was read again (bytes, or the end of input) behind the open line: frame them.
     */
    private boolean readBehind(final Connection connection)
    {
        final SelectionKey key = connection.readerKey;
        if (readEnd != claimEnd || turnBytes >= turnBudgetBytes || null == key || null != connection.handoff ||
            stopRequested || connection.closeRequested())
        {
            return false;
        }
        claimEnd = -1;
        final int keptBytes = keptBytes(connection);
        final int open = keptBytes + readEnd - lineStart;
        if (open < readBehindMinBytes)
        {
            return false; // short: copied out and back for less than a longer turn would change for the others
        }
        final int from = lineStart - keptBytes; // the room the claim left for the kept part
        final int least = open + Math.max(1, Math.min(readChunkBytes, arena.capacity() / 2 - open));
        final int claimed = arena.tryClaimFrom(from, least, open + readChunkBytes);
        if (0 == claimed)
        {
            return false;
        }
        joinKept(connection);
        final int bytesRead = readSocket(connection, key, readEnd, from + claimed);
        if (0 == bytesRead)
        {
            return false;
        }
        turnBytes += Math.max(0, bytesRead);
        return true;
    }

    /**
     * Publishes (into the batch) every complete line in the arena from {@code lineStart} to {@code readEnd}, which
     * holds this connection's bytes (the first line joined to the connection's kept partial line, if any, copied into
     * the room in front), then, if its input has ended, its final partial line and the disconnect; otherwise keeps the
     * trailing partial line with the connection. Leaves nothing to frame unless it stalls (then {@code stalled} is this
     * connection).
     *
     * @return lines added to the batch.
     */
    private int frame(final Connection connection)
    {
        int added = 0;
        do
        {
            added += frameRegion(connection);
        }
        while (frameAgain);
        return added;
    }

    /**
     * One pass of {@link #frame(Connection)} over the bytes read so far; sets {@code frameAgain} if it read the socket
     * again behind a line left open ({@link #readBehind(Connection)}): the new bytes are still to frame.
     */
    private int frameRegion(final Connection connection)
    {
        frameAgain = false;
        final int end = readEnd;
        int added = 0;

        int i = scanPosition;
        while ((i = scanLine(connection, arenaAddress, i, end)) >= 0)
        {
            joinKept(connection);
            final int length = lineLength(i);
            if (length > maxLineBytes)
            {
                lineTooLong(connection);
                return added + (frameDisconnect(connection) ? 1 : 0);
            }
            if (!addLine(connection, length, i + 1))
            {
                scanPosition = i;
                stalled = connection;
                return added;
            }
            lineStart = ++i;
            added++;
        }
        scanPosition = end;

        if (connection.inputEnded && null == connection.handoff) // bytes handed over are before the end
        {
            joinKept(connection);
            final int partial = end - lineStart;
            if (partial > 0)
            {
                // A final line without '\n' still counts as a line.
                final int length = lastByte(connection, end) == '\r' ? partial - 1 : partial;
                if (length > maxLineBytes)
                {
                    lineTooLong(connection);
                }
                else
                {
                    if (!addLine(connection, length, end))
                    {
                        stalled = connection;
                        return added;
                    }
                    lineStart = end;
                    added++;
                }
            }
            return added + (frameDisconnect(connection) ? 1 : 0);
        }

        // A partial line longer than the maximum can already be refused: even a '\r\n' would not save it.
        final int partial = keptBytes(connection) + end - lineStart;
        if (partial > maxLineBytes + 1 || (partial == maxLineBytes + 1 && lastByte(connection, end) != '\r'))
        {
            lineTooLong(connection);
            return added + (frameDisconnect(connection) ? 1 : 0);
        }

        if (readBehind(connection))
        {
            frameAgain = true;
            return added;
        }
        keepPartial(connection, partial);
        emptyRegion();
        return added;
    }

    private static int keptBytes(final Connection connection)
    {
        final ByteBuffer kept = connection.partial;
        return null == kept ? 0 : kept.position();
    }

    /**
     * @return arena bytes claimed for the connection's kept partial line and a read after it, from
     * {@link LineArena#claimOffset()}; 0 if the arena has no room (then {@code arenaWaitBytes} is set: the reader
     * waits for the broker). A claim takes a whole read or, if the arena could never offer that much in one piece
     * (its free space, even empty, may be split at its end), as much as it always can, so the reader never waits for
     * room that cannot come.
     */
    private int claim(final int keptBytes)
    {
        final int least = keptBytes + Math.max(1, Math.min(readChunkBytes, arena.capacity() / 2 - keptBytes));
        final int claimed = arena.tryClaim(least, keptBytes + readChunkBytes);
        if (0 == claimed)
        {
            arenaWaitBytes = least;
        }
        return claimed;
    }

    /**
     * Copies the connection's kept partial line, if any, into the room left for it in front of {@code lineStart},
     * so that the line it begins is contiguous, and gives its buffer back.
     */
    private void joinKept(final Connection connection)
    {
        final ByteBuffer kept = connection.partial;
        if (null != kept)
        {
            final int keptBytes = kept.position();
            lineStart -= keptBytes;
            arenaView.putBytes(lineStart, kept, 0, keptBytes);
            connection.partial = null;
            partials.release(kept);
        }
    }

    /**
     * @return the length of the line from {@code lineStart} (joined to any kept part) ending at the newline at
     * {@code newlineIndex}, without the newline and a '\r' before it.
     */
    private int lineLength(final int newlineIndex)
    {
        final int length = newlineIndex - lineStart;
        return length > 0 && arenaView.getByte(newlineIndex - 1) == '\r' ? length - 1 : length;
    }

    /** @return the byte before {@code index} in the line: in the arena, or the kept partial line's last. */
    private byte lastByte(final Connection connection, final int index)
    {
        if (index > lineStart)
        {
            return arenaView.getByte(index - 1);
        }
        final ByteBuffer kept = connection.partial;
        return null == kept || 0 == kept.position() ? 0 : kept.get(kept.position() - 1);
    }

    /**
     * Adds the line of {@code length} bytes from {@code lineStart}, whose bytes (its line end included) end at
     * {@code endOffset}.
     */
    private boolean addLine(final Connection connection, final int length, final int endOffset)
    {
        final int type;
        if (!connection.named)
        {
            type = InboundBatch.NEW_PEER;
        }
        else if (connection.lineMayHoldControl && Protocol.indexOfControl(arenaView, lineStart, lineStart + length) >= 0)
        {
            type = InboundBatch.CONTROL_LINE;
        }
        else
        {
            type = InboundBatch.MESSAGE;
        }
        if (!add(type, 0, connection, lineStart, length, endOffset))
        {
            return false;
        }
        connection.named = true;
        connection.lineMayHoldControl = false;
        return true;
    }

    /**
     * Keeps the trailing bytes (from {@code lineStart}) with the connection, after those it already keeps, in a
     * pooled buffer of the size class of all {@code partial} bytes.
     */
    private void keepPartial(final Connection connection, final int partial)
    {
        final int fresh = readEnd - lineStart;
        if (0 == fresh)
        {
            return;
        }
        ByteBuffer kept = connection.partial;
        if (null == kept)
        {
            kept = partials.acquire(partial);
            connection.partial = kept;
            connection.partialSinceNs = connection.lastReadNs; // the read that began the line
            if (partialLineTimeoutNs > 0 && !connection.partialTracked)
            {
                connection.partialTracked = true;
                partialLines.add(connection);
            }
        }
        else if (kept.capacity() < partial)
        {
            final ByteBuffer larger = partials.acquire(partial);
            kept.flip();
            larger.put(kept);
            partials.release(kept);
            kept = larger;
            connection.partial = kept;
        }
        final int position = kept.position();
        arenaView.getBytes(lineStart, kept, position, fresh);
        kept.position(position + fresh);
    }

    private void emptyRegion()
    {
        claimEnd = -1;
        lineStart = 0;
        scanPosition = 0;
        readEnd = 0;
    }

    /**
     * @return the index of the first '\n' in the arena from {@code from} (inclusive) to {@code to}, or -1. Marks the
     * connection's line as one that {@linkplain Connection#lineMayHoldControl may hold a control character} if a byte
     * before that newline may be one ({@link Protocol#suspects(long)}; the {@code \r} just before the newline aside),
     * so that the line's own check ({@link Protocol#indexOfControl}) runs only on such lines: one pass over the bytes
     * finds both.
     * <p>
     * Thirty-two bytes a step (then eight): one quick test ({@link Protocol#maySuspect(long)}) flags every newline,
     * every control character, tab and byte above 0x7F; for ASCII text without tabs it flags only the words holding a
     * newline, which get the exact tests. This scan is the reader's largest cost for long lines, so it reads the
     * memory directly: {@code to} is within the arena.
     */
    private static int scanLine(final Connection connection, final long address, final int from, final int to)
    {
        int i = from;
        for (final int last = to - 4 * Long.BYTES; i <= last; i += 4 * Long.BYTES)
        {
            final long word1 = littleEndian(UnsafeApi.getLong(address + i));
            final long word2 = littleEndian(UnsafeApi.getLong(address + i + Long.BYTES));
            final long word3 = littleEndian(UnsafeApi.getLong(address + i + 2 * Long.BYTES));
            final long word4 = littleEndian(UnsafeApi.getLong(address + i + 3 * Long.BYTES));
            if (0 != ((Protocol.maySuspect(word1) | Protocol.maySuspect(word2) |
                Protocol.maySuspect(word3) | Protocol.maySuspect(word4)) & HIGH_BITS))
            {
                // The exact tests only for the words the quick one flagged: a short line's end costs no more than
                // it did sixteen bytes a step.
                int found = -1;
                if (0 != (Protocol.maySuspect(word1) & HIGH_BITS))
                {
                    found = newlineIn(connection, word1, i);
                }
                if (found < 0 && 0 != (Protocol.maySuspect(word2) & HIGH_BITS))
                {
                    found = newlineIn(connection, word2, i + Long.BYTES);
                }
                if (found < 0 && 0 != (Protocol.maySuspect(word3) & HIGH_BITS))
                {
                    found = newlineIn(connection, word3, i + 2 * Long.BYTES);
                }
                if (found < 0)
                {
                    found = newlineIn(connection, word4, i + 3 * Long.BYTES);
                }
                if (found >= 0)
                {
                    return found;
                }
            }
        }
        for (final int last = to - Long.BYTES; i <= last; i += Long.BYTES)
        {
            final long word = littleEndian(UnsafeApi.getLong(address + i));
            if (0 != (Protocol.maySuspect(word) & HIGH_BITS))
            {
                final int found = newlineIn(connection, word, i);
                if (found >= 0)
                {
                    return found;
                }
            }
        }
        for (; i < to; i++)
        {
            final byte b = UnsafeApi.getByte(address + i);
            if (b == '\n')
            {
                return i;
            }
            if (Protocol.isSuspect(b) && (b != '\r' || i + 1 == to || UnsafeApi.getByte(address + i + 1) != '\n'))
            {
                connection.lineMayHoldControl = true;
            }
        }
        return -1;
    }

    /**
     * The exact tests for one word (its first byte lowest) of the scan at arena index {@code index}.
     *
     * @return the index of its first newline, or -1; marks the line if a suspect byte comes before that newline.
     */
    private static int newlineIn(final Connection connection, final long word, final int index)
    {
        final long newlines = Protocol.equalBytes(word, NEWLINES) & HIGH_BITS;
        final long suspects = Protocol.suspects(word) & HIGH_BITS;
        if (0 == newlines)
        {
            if (0 != suspects)
            {
                connection.lineMayHoldControl = true; // a '\r' last in the word may end the line: checked in full
            }
            return -1;
        }
        final int newlineBit = Long.numberOfTrailingZeros(newlines); // the high bit of the newline's byte
        final int newlineByte = newlineBit >>> 3;
        long before = suspects & ((1L << (newlineBit - 7)) - 1);
        if (newlineByte > 0 && (byte)(word >>> (newlineBit - 15)) == '\r')
        {
            before &= ~(1L << (newlineBit - 8)); // the '\r' of a "\r\n" line end
        }
        if (0 != before)
        {
            connection.lineMayHoldControl = true;
        }
        return index + newlineByte;
    }

    private static long littleEndian(final long nativeWord)
    {
        return LITTLE_ENDIAN ? nativeWord : Long.reverseBytes(nativeWord);
    }

    /**
     * Stops selecting a key for reads (only: any other interest on the key is not the reader's). The writer may close
     * the channel at any moment (a slow consumer, an error reply flushed), which cancels the key under us: that is not
     * an error, the broker already knows.
     */
    private static void stopSelecting(final SelectionKey key)
    {
        try
        {
            key.interestOpsAnd(~SelectionKey.OP_READ);
        }
        catch (final CancelledKeyException ignore)
        {
            // closed by the writer meanwhile
        }
    }

    private void lineTooLong(final Connection connection)
    {
        discardInput(connection, InboundBatch.REASON_LINE_TOO_LONG);
    }

    /**
     * Drops what is buffered of a partial line and reads nothing more from this connection. If the arena's claim holds
     * this connection's bytes (a line too long), what is left of them is dropped too.
     */
    private void discardInput(final Connection connection, final int reason)
    {
        lineStart = readEnd;
        scanPosition = readEnd;
        final ByteBuffer partial = connection.partial;
        if (null != partial)
        {
            connection.partial = null;
            partials.release(partial);
        }
        connection.handoff = null;
        connection.inputEnded = true;
        connection.pendingDisconnectReason = reason;
        if (null != connection.tls)
        {
            connection.tls.releaseInbound(); // nothing more is read through TLS: its record buffers go back now
        }
        if (null != connection.readerKey)
        {
            stopSelecting(connection.readerKey);
        }
    }

    private boolean frameDisconnect(final Connection connection)
    {
        if (connection.pendingDisconnectReason < 0)
        {
            return false;
        }
        if (!add(InboundBatch.DISCONNECT, connection.pendingDisconnectReason, connection, 0, 0, -1))
        {
            stalled = connection;
            return false;
        }
        connection.pendingDisconnectReason = -1;
        final ByteBuffer partial = connection.partial;
        if (null != partial)
        {
            connection.partial = null;
            partials.release(partial);
        }
        emptyRegion();
        if (null != connection.readerKey)
        {
            connection.readerKey.cancel();
        }
        return true;
    }

    /**
     * Adds an entry for {@code length} bytes at {@code offset} in the arena, already there (read into the claim), and
     * commits them up to {@code endOffset}; an entry without bytes ({@code endOffset} -1) carries the append position.
     *
     * @return false if the batch is full and the sink has no room for it: nothing was added.
     */
    private boolean add(final int type, final int reason, final Connection connection, final int offset,
        final int length, final int endOffset)
    {
        if (batch.isFull())
        {
            if (batchPending || !sink.tryPublish(batch))
            {
                batchPending = true;
                return false;
            }
            batch.clear();
        }
        final long endPosition = endOffset < 0 ? arena.appendPosition() : arena.commit(endOffset);
        batch.add(type, reason, connection, offset, length, endPosition);
        return true;
    }

    /**
     * Closes this reader's selector. Its connections' sockets are not the reader's to close: their writer closes them
     * (each connection was handed to it as well as to this reader), possibly after this reader has stopped.
     */
    @Override
    public void onClose()
    {
        newConnections.clear();
        partials.close(); // buffers still with connections are theirs until collected: a stopped reader frees none
        CloseHelper.quietClose(selector);
    }
}
