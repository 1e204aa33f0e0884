/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Reads its share of connections, frames lines and hands them to the {@link InboundSink} in batches.
 * <p>
 * Runs as the agent {@code reader-N} (its own thread, or the shared one). It alone touches its selector, its
 * {@link LineArena} and the read side of its connections. Back-pressure: when the sink has no room (the Disruptor ring
 * is full) or the arena is full (the broker is behind), the reader keeps what it has, stops reading every socket and
 * retries with a short park; TCP then pushes back on the senders. Nothing already read is dropped.
 * <p>
 * Garbage-free in steady state: buffers, the batch and the selector callbacks are allocated up front; a connection's
 * read buffer grows (once) only for a line longer than its initial size.
 */
final class Reader implements Agent
{
    private static final System.Logger LOG = System.getLogger(Reader.class.getName());
    private static final long STALLED_PARK_NS = 50_000;
    private static final long SELECT_TIMEOUT_MS = 100;
    private static final long NAME_CHECK_INTERVAL_NS = 50_000_000;

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

    private final long nameTimeoutNs;
    private final ArrayList<Connection> awaitingName;
    private long nextNameCheckNs;
    private boolean batchPending;
    private Connection stalled;
    private volatile boolean stopRequested;

    Reader(
        final int index,
        final int maxConnections,
        final int inboundBufferBytes,
        final int batchCapacity,
        final int maxLineBytes,
        final long nameTimeoutNs,
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
        this.nameTimeoutNs = nameTimeoutNs;
        this.awaitingName = new ArrayList<>(Math.min(maxConnections, 1024));
        this.idleStrategy = new AgentIdleStrategy(idleKind, this::block);
    }

    AgentIdleStrategy idleStrategy()
    {
        return idleStrategy;
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

        if (null != stalled)
        {
            final Connection connection = stalled;
            stalled = null;
            work += frame(connection);
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
        if (!awaitingName.isEmpty())
        {
            work += expireNameDeadlines();
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
            selector.select(onReadable, timeoutMs);
            publish();
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            LOG.log(System.Logger.Level.WARNING, roleName + " select failed: " + ex);
        }
    }

    /** @return true while back-pressure holds read lines back: the duty cycle must run again to publish them. */
    boolean isBlocked()
    {
        return batchPending || null != stalled;
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
     * Closes connections that have not sent a complete first line within the name deadline. Checked about every
     * 100 ms (the selector's timeout bounds how late), so a deadline may be overshot by that much.
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
        return expired;
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
            if (nameTimeoutNs > 0)
            {
                awaitingName.add(connection);
            }
            if (connection.in.position() > 0)
            {
                frame(connection); // bytes the authenticator read after the first line
            }
        }
        catch (final IOException ex)
        {
            // The channel closed before we saw it; tell the broker so the connection is accounted for and closed.
            connection.inputFailure = ex.toString();
            connection.inputEnded = true;
            connection.pendingDisconnectReason = InboundBatch.REASON_IO_ERROR;
            frame(connection);
        }
    }

    private void onReadable(final SelectionKey key)
    {
        if (isBlocked() || !key.isValid() || (key.readyOps() & SelectionKey.OP_READ) == 0)
        {
            return; // level-triggered: the key will be selected again once we can take more
        }

        final Connection connection = (Connection)key.attachment();
        if (connection.inputEnded)
        {
            return;
        }

        int bytesRead;
        try
        {
            bytesRead = connection.channel().read(connection.in);
        }
        catch (final IOException ex)
        {
            connection.inputFailure = ex.toString();
            bytesRead = -2;
        }
        // One clock reading per socket read: it stamps every line this read completes (read-to-route/-write).
        connection.lastReadNs = System.nanoTime();
        if (bytesRead > 0)
        {
            bytesIn.getAndAddRelease(bytesRead);
        }

        if (bytesRead < 0)
        {
            connection.inputEnded = true;
            connection.pendingDisconnectReason = -1 == bytesRead ?
                InboundBatch.REASON_CLOSED : InboundBatch.REASON_IO_ERROR;
            stopSelecting(key);
        }
        frame(connection);
    }

    /**
     * Publishes (into the batch) every complete line buffered for the connection, then, if its input has ended, its
     * final partial line and the disconnect.
     *
     * @return lines added to the batch.
     */
    private int frame(final Connection connection)
    {
        final ByteBuffer in = connection.in;
        final int end = in.position();
        int added = 0;

        for (int i = connection.scanPosition; i < end; i++)
        {
            if (in.get(i) == '\n')
            {
                final int length = lineLength(in, connection.lineStart, i);
                if (length > maxLineBytes)
                {
                    lineTooLong(connection);
                    return added + (frameDisconnect(connection) ? 1 : 0);
                }
                if (!add(connection.named ? InboundBatch.MESSAGE : InboundBatch.NEW_PEER, 0, connection,
                    connection.lineStart, length))
                {
                    connection.scanPosition = i;
                    stalled = connection;
                    return added;
                }
                connection.named = true;
                connection.lineStart = i + 1;
                added++;
            }
        }
        connection.scanPosition = end;

        final int partial = end - connection.lineStart;
        if (connection.inputEnded)
        {
            if (partial > 0)
            {
                // A final line without '\n' still counts as a line.
                final int length = lineLength(in, connection.lineStart, end);
                if (length > maxLineBytes)
                {
                    lineTooLong(connection);
                }
                else
                {
                    if (!add(connection.named ? InboundBatch.MESSAGE : InboundBatch.NEW_PEER, 0, connection,
                        connection.lineStart, length))
                    {
                        stalled = connection;
                        return added;
                    }
                    connection.named = true;
                    connection.lineStart = end;
                    added++;
                }
            }
            return added + (frameDisconnect(connection) ? 1 : 0);
        }

        // A partial line longer than the maximum can already be refused: even a '\r\n' would not save it.
        if (partial > maxLineBytes + 1 || (partial == maxLineBytes + 1 && in.get(end - 1) != '\r'))
        {
            lineTooLong(connection);
            return added + (frameDisconnect(connection) ? 1 : 0);
        }

        compact(connection);
        return added;
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

        private static int lineLength(final ByteBuffer in, final int start, final int newlineIndex)
    {
        int length = newlineIndex - start;
        if (length > 0 && in.get(newlineIndex - 1) == '\r')
        {
            length--;
        }
        return length;
    }

    private void lineTooLong(final Connection connection)
    {
        discardInput(connection, InboundBatch.REASON_LINE_TOO_LONG);
    }

    /** Drops what is buffered of a partial line and reads nothing more from this connection. */
    private static void discardInput(final Connection connection, final int reason)
    {
        connection.lineStart = connection.in.position();
        connection.scanPosition = connection.lineStart;
        connection.inputEnded = true;
        connection.pendingDisconnectReason = reason;
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
        if (!add(InboundBatch.DISCONNECT, connection.pendingDisconnectReason, connection, 0, 0))
        {
            stalled = connection;
            return false;
        }
        connection.pendingDisconnectReason = -1;
        connection.in = EMPTY;
        connection.lineStart = 0;
        connection.scanPosition = 0;
        if (null != connection.readerKey)
        {
            connection.readerKey.cancel();
        }
        return true;
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private boolean add(final int type, final int reason, final Connection connection, final int start,
        final int length)
    {
        if (batch.isFull() || !arena.tryAppend(connection.in, start, length))
        {
            // Hand over what we have, then try once more: the broker may have freed arena space meanwhile.
            if (batch.size() > 0)
            {
                if (batchPending || !sink.tryPublish(batch))
                {
                    batchPending = true;
                    return false;
                }
                batch.clear();
            }
            if (!arena.tryAppend(connection.in, start, length))
            {
                return false;
            }
        }
        batch.add(type, reason, connection, (int)arena.lastOffset(), length, arena.lastEndPosition());
        return true;
    }

    private void compact(final Connection connection)
    {
        final ByteBuffer in = connection.in;
        final int lineStart = connection.lineStart;
        if (lineStart > 0)
        {
            final int end = in.position();
            in.limit(end).position(lineStart);
            in.compact();
            connection.scanPosition -= lineStart;
            connection.lineStart = 0;
        }
        if (!in.hasRemaining() && in.capacity() < maxLineBytes + 2)
        {
            // Only a line longer than the initial buffer gets here; the larger buffer is kept for the connection.
            final ByteBuffer bigger = ByteBuffer.allocate(Math.min(in.capacity() * 2, maxLineBytes + 2));
            in.flip();
            bigger.put(in);
            connection.in = bigger;
        }
    }

    /**
     * Closes this reader's selector. Its connections' sockets are not the reader's to close: their writer closes them
     * (each connection was handed to it as well as to this reader), possibly after this reader has stopped.
     */
    @Override
    public void onClose()
    {
        newConnections.clear();
        CloseHelper.quietClose(selector);
    }
}
