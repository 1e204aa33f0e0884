/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.function.Consumer;

import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Drains the outbound chains of its share of connections into their sockets.
 * <p>
 * Runs as the agent {@code writer-N} (its own thread, or the shared one); it is the only agent that writes to or closes
 * a socket once it has been handed to a reader: each such connection is handed to its writer too
 * ({@link #adopt(Connection)}), so the writer closes whatever is still open in its {@link #onClose()}. The broker
 * queues a connection here when it has put bytes in its ring (once per Disruptor batch) or wants it closed. A visit
 * gathers as many queued messages as fit into the writer's one staging buffer per {@code write} call; a partial write
 * moves the unwritten rest into a buffer of the connection's own, from the writer's {@link BufferPool}, registers
 * {@code OP_WRITE} and the writer moves on, so one slow socket never holds up the others. The next write sends that
 * rest and a fresh staging fill together (a gathering write), and gives the buffer back once it is all written: a
 * connection with nothing unwritten holds no write memory: the stamps of the messages staged stay with the writer too,
 * and move to the connection (a {@link WriteStamps} from the writer's cache) only with an unwritten rest. Garbage-free
 * in steady state.
 * <pre>
 *   outbound ring ──drainTo──▶ staging (per writer) ──write(unwritten, staging)──▶ socket
 *                                   └── partial write: the rest ──▶ unwritten (per connection, pooled, ≤ staging)
 * </pre>
 * <p>
 * Closing after an error reply ({@link Connection.CloseMode#FLUSH}): once the reply is written the writer lingers
 * ({@link LingeringClose}): the output is shut down, the connection's key on this writer's own selector selects
 * reads, and what the client still sends is read into the staging buffer and dropped until the client closes or the
 * linger deadline (in the closing list) passes; only then is the socket closed and the slot released.
 * <p>
 * Stage latencies: for each stamped message it records route-to-write and read-to-write into its own recorders when
 * the {@code write()} that hands the message's last byte to the socket returns (see {@link WriteStamps}).
 */
final class Writer implements Agent
{
    private static final System.Logger LOG = System.getLogger(Writer.class.getName());
    private static final int MAX_BYTES_PER_VISIT = 256 * 1024;
    /** WriteStamps kept for connections' unwritten rests beyond those in use (about 6 KiB each). */
    private static final int STAMPS_CACHE = 64;
    private static final long SELECT_TIMEOUT_MS = 100;
    private static final long CLOSING_SELECT_TIMEOUT_MS = 10;
    private static final byte[] SLOW_CONSUMER = Protocol.lineBytes(Protocol.SLOW_CONSUMER);

    private final String roleName;
    private final Selector selector;
    private final OneToOneConcurrentArrayQueue<Connection> workQueue;
    private final OneToOneConcurrentArrayQueue<Connection> adopted;
    private final ArrayList<Connection> connections;
    private final long flushTimeoutNs;
    private final AgentIdleStrategy idleStrategy;
    private final OwnSelectorWriteInterest ownWriteInterest;
    private WriteInterest writeInterest;
    private final Consumer<Connection> onScheduled = this::onScheduled;
    private final Consumer<Connection> onAdopted = this::onAdopted;
    private final Consumer<Connection> onWritable = this::flush;
    private final Consumer<SelectionKey> onWritableKey = this::onWritableKey;
    private ArrayList<Connection> again;
    private ArrayList<Connection> againSwap;
    private final ArrayList<Connection> closing;
    private final ByteBuffer slowConsumerReply = ByteBuffer.allocateDirect(SLOW_CONSUMER.length);
    private final AtomicCounter closedConnections;
    private final AtomicCounter bytesWritten;
    private final SingleWriterRecorder routeToWrite = LatencyRecorders.newRecorder();
    private final SingleWriterRecorder readToWrite = LatencyRecorders.newRecorder();

    private final ConnectionSlots slots;
    private final AtomicCounter outboundTaken;
    /** Closed connections whose outbound chains the broker's queue had no room for yet; retried every duty cycle. */
    private final ArrayList<Connection> chainsToReturn;
    /** Staging for every connection of this writer: filled from one ring, written, emptied before the next. */
    private final ByteBuffer staging;
    private final BufferPool unwrittenPool;
    private final ByteBuffer[] gather = new ByteBuffer[2];
    /** Stamps of the fill being written, for a connection with no unwritten rest (and so no stamps of its own). */
    private WriteStamps fillStamps = new WriteStamps();
    private final WriteStamps[] freeStamps = new WriteStamps[STAMPS_CACHE];
    private int freeStampsCount;
    /** Closes after an error reply without losing it; discarded input lands in {@code staging}. */
    private final LingeringClose linger;
    /** Connections lingering: selected for reads on this writer's own selector until closed. */
    private int lingeringCount;
    /**
     * A closed connection had a key on this writer's own selector. A channel closed while registered keeps its
     * descriptor until every selector it was on has selected again, and with shared threading nothing else selects
     * this one once no connection lingers or waits on it: so the next duty cycle selects it once.
     */
    private boolean ownKeysCancelled;
    private long stopDeadlineNs;
    private volatile boolean stopRequested;

    Writer(
        final int index,
        final int maxConnections,
        final long flushTimeoutNs,
        final IdleStrategyKind idleKind,
        final ConnectionSlots slots,
        final int writeBufferBytes,
        final AtomicCounter bytesWritten,
        final AtomicCounter closedConnections,
        final AtomicCounter outboundTaken,
        final long lingerMs) throws IOException
    {
        this.outboundTaken = outboundTaken;
        this.chainsToReturn = new ArrayList<>(Math.min(maxConnections, 1024));
        this.staging = ByteBuffer.allocateDirect(writeBufferBytes);
        this.unwrittenPool = new BufferPool(Math.max(BufferPool.MIN_CLASS_BYTES, writeBufferBytes));
        this.bytesWritten = bytesWritten;
        this.closedConnections = closedConnections;
        this.slots = slots;
        this.roleName = "writer-" + index;
        this.selector = Selector.open();
        this.workQueue = new OneToOneConcurrentArrayQueue<>(maxConnections);
        this.flushTimeoutNs = flushTimeoutNs;
        this.adopted = new OneToOneConcurrentArrayQueue<>(maxConnections);
        this.connections = new ArrayList<>(Math.min(maxConnections, 1024));
        this.idleStrategy = new AgentIdleStrategy(idleKind, this::block);
        this.ownWriteInterest = new OwnSelectorWriteInterest(selector, idleKind != IdleStrategyKind.BUSY_SPIN);
        this.writeInterest = ownWriteInterest;
        this.again = new ArrayList<>(Math.min(maxConnections, 1024));
        this.againSwap = new ArrayList<>(Math.min(maxConnections, 1024));
        this.closing = new ArrayList<>(Math.min(maxConnections, 1024));
        this.linger = new LingeringClose(lingerMs, staging);
    }

    AgentIdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    /** @return counts the bytes this writer takes from its connections' outbounds; written by this writer only. */
    AtomicCounter outboundTakenCounter()
    {
        return outboundTaken;
    }

    /** @return write-readiness on this writer's own selector, the default {@link WriteInterest}. */
    OwnSelectorWriteInterest ownWriteInterest()
    {
        return ownWriteInterest;
    }

    /**
     * Replaces where this writer waits for write-readiness. Only before the writer runs, by the thread composing it.
     *
     * @param writeInterest the strategy.
     */
    void writeInterest(final WriteInterest writeInterest)
    {
        this.writeInterest = writeInterest;
    }

    /**
     * Hands the writer a connection it is to close at the latest when it stops. Acceptor thread, or the authenticator
     * thread when authentication is on (one producer either way); the connection goes to its reader at the same time.
     *
     * @param connection a connection of this writer.
     * @return false if the queue is full, which sizing to max-connections rules out.
     */
    boolean adopt(final Connection connection)
    {
        return adopted.offer(connection);
    }

    /**
     * Queues a connection that has work. Broker thread only (the queue has one producer).
     *
     * @param connection a connection of this writer.
     * @return false if the queue is full, which sizing to max-connections rules out.
     */
    boolean offer(final Connection connection)
    {
        return workQueue.offer(connection);
    }

    /** Ends a blocking wait so queued work is seen now. Broker thread, at most once per writer per batch. */
    void wakeup()
    {
        writeInterest.wakeup();
    }

    /** Asks the writer to flush what it has within the deadline and stop. Any thread. */
    void requestStop(final long deadlineNs)
    {
        stopDeadlineNs = deadlineNs;
        stopRequested = true;
        selector.wakeup();
    }

    /** @return connections this writer has closed. Any thread. */
    long closedConnections()
    {
        return closedConnections.get();
    }

    /** @return bytes of the buffers holding connections' unwritten bytes now. Any thread; a snapshot. */
    long unwrittenBufferBytes()
    {
        return unwrittenPool.inUseBytes();
    }

    /** @return bytes of this writer's staging buffer and its pool's buffers, in use or cached. Any thread. */
    long writeMemoryBytes()
    {
        return staging.capacity() + unwrittenPool.allocatedBytes();
    }

    /** @return this writer's route-to-write recorder; other threads only take interval histograms from it. */
    SingleWriterRecorder routeToWriteRecorder()
    {
        return routeToWrite;
    }

    /** @return this writer's read-to-write recorder; other threads only take interval histograms from it. */
    SingleWriterRecorder readToWriteRecorder()
    {
        return readToWrite;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    @Override
    public int doWork()
    {
        int work = adopted.drain(onAdopted);
        work += workQueue.drain(onScheduled);

        if (!again.isEmpty())
        {
            // Swap rather than addAll: ArrayList.addAll copies through toArray(), an allocation per duty cycle.
            final ArrayList<Connection> visit = again;
            again = againSwap;
            againSwap = visit;
            for (int i = 0, size = visit.size(); i < size; i++)
            {
                final Connection connection = visit.get(i);
                connection.inAgain = false;
                flush(connection);
            }
            work += visit.size();
            visit.clear();
        }

        work += writeInterest.poll(onWritable);

        if (lingeringCount > 0 || ownKeysCancelled)
        {
            work += pollOwnSelector();
        }

        if (!closing.isEmpty())
        {
            work += expireClosing(System.nanoTime());
        }

        if (!chainsToReturn.isEmpty())
        {
            work += returnChains();
        }

        if (stopRequested)
        {
            final boolean flushed = writeInterest.isEmpty() && again.isEmpty() && workQueue.isEmpty();
            if (flushed || System.nanoTime() - stopDeadlineNs > 0)
            {
                throw new AgentTerminationException();
            }
        }
        return work;
    }

    /** @return true if a duty cycle has work that no selector will report: queued connections or unfinished flushes. */
    boolean hasPendingWork()
    {
        return !again.isEmpty() || !workQueue.isEmpty();
    }

    /** @return how long the thread may block elsewhere before this writer needs its selector polled. */
    long maxBlockMs()
    {
        if (writeInterest.needsPolling())
        {
            return 1;
        }
        return closing.isEmpty() && !stopRequested ? SELECT_TIMEOUT_MS : CLOSING_SELECT_TIMEOUT_MS;
    }

    private void block()
    {
        try
        {
            selector.select(onWritableKey, closing.isEmpty() && !stopRequested ?
                SELECT_TIMEOUT_MS : CLOSING_SELECT_TIMEOUT_MS);
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            LOG.log(System.Logger.Level.WARNING, roleName + " select failed: " + ex);
        }
    }

    private void onAdopted(final Connection connection)
    {
        if (!connection.closed)
        {
            connection.writerSlot = connections.size();
            connections.add(connection);
        }
    }

    private void onScheduled(final Connection connection)
    {
        // Busy first, then unscheduled: the broker reclaims an idle outbound only if it sees both flags say so.
        connection.outbound().markBusy();
        // Clear before draining: bytes the broker adds after this are either seen by this visit or re-queue us.
        connection.clearScheduled();
        flush(connection);
    }

    private void onWritableKey(final SelectionKey key)
    {
        if (key.isValid())
        {
            flush((Connection)key.attachment());
        }
    }

    private void flush(final Connection connection)
    {
        if (connection.closed)
        {
            return;
        }
        if (connection.lingering)
        {
            // Selected for reads, not writes: its reply and FIN are out; discard what the client still sends.
            if (linger.drain(connection))
            {
                close(connection);
            }
            return;
        }
        final Connection.CloseMode mode = connection.closeMode;
        if (mode == Connection.CloseMode.DISCARD)
        {
            close(connection);
            return;
        }
        if (mode == Connection.CloseMode.SLOW_CONSUMER)
        {
            closeSlowConsumer(connection);
            return;
        }
        if (mode == Connection.CloseMode.FLUSH && !connection.closing)
        {
            connection.closing = true;
            connection.closeDeadlineNs = System.nanoTime() + flushTimeoutNs;
            closing.add(connection);
        }

        if (connection.writeFailed)
        {
            discardQueued(connection);
            if (mode == Connection.CloseMode.FLUSH)
            {
                close(connection);
            }
            return;
        }

        final ByteBuffer staging = this.staging;
        final TlsChannel tls = connection.tls;
        int budget = MAX_BYTES_PER_VISIT;
        try
        {
            if (null != tls)
            {
                if (tls.isHandshaking())
                {
                    // Not reachable as composed (the authenticator hands a TLS connection on once handshaken), kept
                    // so that it can never become a spin on OP_WRITE: nothing can be sent before the handshake ends,
                    // so a close closes now and anything else waits.
                    if (mode != Connection.CloseMode.NONE)
                    {
                        discardQueued(connection);
                        close(connection);
                    }
                    return;
                }
                if (tls.hasPendingOutput() && !tls.flush())
                {
                    setWriteInterest(connection, true); // records made earlier go first, once the socket takes them
                    return;
                }
            }
            while (true)
            {
                final ByteBuffer unwritten = connection.unwritten;
                WriteStamps stamps = connection.writeStamps;
                if (null == stamps)
                {
                    stamps = fillStamps;
                    stamps.clear(); // nothing of this connection is unwritten: count from zero
                }
                // What this write leaves behind must fit one pooled buffer: with a rest, stage only what fits beside
                // it (a fill too small for the next record stages nothing; the rest goes alone).
                staging.clear();
                if (null != unwritten)
                {
                    staging.limit(staging.capacity() - unwritten.remaining());
                }
                stamps.beginFill();
                final int staged = connection.outbound().drainTo(staging, stamps);
                stamps.endFill(staged);
                staging.flip();

                final long written;
                if (null == unwritten)
                {
                    if (0 == staged)
                    {
                        setWriteInterest(connection, false);
                        if (mode == Connection.CloseMode.FLUSH)
                        {
                            closeAfterReply(connection);
                        }
                        else if (!connection.inAgain)
                        {
                            // Nothing staged or queued, no write interest, no visit pending: untouched until
                            // scheduled. A connection still in "again" gets one more visit, which marks it then.
                            connection.outbound().markIdle();
                        }
                        return;
                    }
                    written = connection.write(staging);
                }
                else if (0 == staged)
                {
                    written = connection.write(unwritten);
                }
                else
                {
                    final ByteBuffer[] gather = this.gather;
                    gather[0] = unwritten;
                    gather[1] = staging;
                    written = connection.write(gather, 0, 2);
                    gather[0] = null;
                }
                bytesWritten.getAndAddRelease(written);
                if (written > 0)
                {
                    connection.onWrote();
                }
                stamps.onWrote(written, routeToWrite, readToWrite);
                budget -= (int)written;
                if (staging.hasRemaining() || (null != unwritten && unwritten.hasRemaining()))
                {
                    keepUnwritten(connection, unwritten);
                    if (stamps == fillStamps)
                    {
                        // The stamps go with the rest; the writer takes another set for the next connection.
                        connection.writeStamps = stamps;
                        fillStamps = takeStamps();
                    }
                    setWriteInterest(connection, true);
                    return;
                }
                if (null != unwritten)
                {
                    connection.unwritten = null;
                    unwrittenPool.release(unwritten);
                }
                releaseStamps(connection); // all written, so every stamp was recorded
                if (null != tls && tls.hasPendingOutput())
                {
                    // TLS took all the plaintext but the socket not all its records: OP_WRITE, then flush() above.
                    setWriteInterest(connection, true);
                    return;
                }
                if (budget <= 0)
                {
                    if (!connection.inAgain) // once: a second entry would visit after the first marked it idle
                    {
                        connection.inAgain = true;
                        again.add(connection); // fairness: let the other connections have a turn
                    }
                    return;
                }
            }
        }
        catch (final IOException ex)
        {
            onWriteFailed(connection, ex);
        }
    }

    /**
     * Keeps what the last write left of the connection's earlier rest and of the staging buffer, in that order, in
     * one pooled buffer of the connection's (in flush mode), so staging is free for the next connection. Together
     * they never exceed the staging buffer's capacity, the pool's largest class.
     */
    private void keepUnwritten(final Connection connection, final ByteBuffer unwritten)
    {
        final ByteBuffer staging = this.staging;
        if (!staging.hasRemaining())
        {
            return; // only the earlier rest is left, where it is
        }
        final int rest = null == unwritten ? 0 : unwritten.remaining();
        final int needed = rest + staging.remaining();
        ByteBuffer target = unwritten;
        if (null != unwritten && unwritten.capacity() >= needed)
        {
            unwritten.compact();
        }
        else
        {
            target = unwrittenPool.acquire(needed);
            if (null != unwritten)
            {
                target.put(unwritten);
                unwrittenPool.release(unwritten);
            }
        }
        target.put(staging);
        target.flip();
        connection.unwritten = target;
    }

    private void discardQueued(final Connection connection)
    {
        releaseUnwritten(connection);
        final ByteBuffer staging = this.staging;
        do
        {
            staging.clear();
        }
        while (connection.outbound().drainTo(staging) > 0);
    }

    private void releaseUnwritten(final Connection connection)
    {
        final ByteBuffer unwritten = connection.unwritten;
        if (null != unwritten)
        {
            connection.unwritten = null;
            unwrittenPool.release(unwritten);
        }
        releaseStamps(connection);
    }

    private WriteStamps takeStamps()
    {
        if (freeStampsCount > 0)
        {
            final WriteStamps stamps = freeStamps[--freeStampsCount];
            freeStamps[freeStampsCount] = null;
            return stamps;
        }
        return new WriteStamps(); // only while more rests are pending than ever before (or than the cache keeps)
    }

    private void releaseStamps(final Connection connection)
    {
        final WriteStamps stamps = connection.writeStamps;
        if (null != stamps)
        {
            connection.writeStamps = null;
            stamps.clear();
            if (freeStampsCount < freeStamps.length)
            {
                freeStamps[freeStampsCount++] = stamps;
            }
        }
    }

    private void onWriteFailed(final Connection connection, final IOException ex)
    {
        connection.writeFailed = true;
        setWriteInterest(connection, false);
        discardQueued(connection);
        if (connection.closeMode != Connection.CloseMode.NONE)
        {
            close(connection);
            return;
        }
        // Make the reader see the end of input, so the broker learns of it and releases the name in order.
        if (null == connection.writeFailure)
        {
            connection.writeFailure = "write failed: " + ex; // the first failure is the cause
        }
        try
        {
            connection.channel().shutdownInput();
        }
        catch (final IOException ignore)
        {
            // The reader gets the same error from its next read.
        }
    }

    private void closeSlowConsumer(final Connection connection)
    {
        final ByteBuffer unwritten = connection.unwritten;
        try
        {
            // Best effort and never blocking: finish the line on the wire if the socket takes it, then the error.
            if (!connection.writeFailed && (null == unwritten || unwritten.get(unwritten.limit() - 1) == '\n'))
            {
                if (null != unwritten)
                {
                    bytesWritten.getAndAddRelease(connection.write(unwritten));
                }
                if (null == unwritten || !unwritten.hasRemaining())
                {
                    slowConsumerReply.clear();
                    slowConsumerReply.put(SLOW_CONSUMER).flip();
                    bytesWritten.getAndAddRelease(connection.write(slowConsumerReply));
                }
            }
        }
        catch (final IOException ignore)
        {
            // Closing anyway.
        }
        close(connection);
    }

    private void setWriteInterest(final Connection connection, final boolean interested)
    {
        if (!interested)
        {
            writeInterest.drop(connection);
            return;
        }
        try
        {
            writeInterest.request(connection);
        }
        catch (final ClosedChannelException ex)
        {
            onWriteFailed(connection, ex);
        }
    }

    private int expireClosing(final long nowNs)
    {
        int expired = 0;
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            final Connection connection = closing.get(i);
            if (connection.closed)
            {
                closing.remove(i);
            }
            else if (nowNs - connection.closeDeadlineNs > 0)
            {
                close(connection);
                closing.remove(i);
                expired++;
            }
        }
        return expired;
    }

    /**
     * Closes a connection whose error reply is written, lingering first ({@link LingeringClose}): its selection key
     * on this writer's own selector is switched to reads (its write interest was dropped), it joins the closing list
     * with the linger deadline, and {@link #flush(Connection)} discards what it reads until it may close.
     */
    private void closeAfterReply(final Connection connection)
    {
        if (!linger.begin(connection, System.nanoTime()))
        {
            close(connection);
            return;
        }
        try
        {
            final SelectionKey key = connection.writerKey;
            if (null == key)
            {
                connection.writerKey = connection.channel().register(selector, SelectionKey.OP_READ, connection);
            }
            else
            {
                key.interestOps(SelectionKey.OP_READ);
            }
        }
        catch (final ClosedChannelException | java.nio.channels.CancelledKeyException ex)
        {
            connection.lingering = false;
            close(connection);
            return;
        }
        lingeringCount++;
        connection.closeDeadlineNs = connection.lingerDeadlineNs;
        if (!connection.closing)
        {
            connection.closing = true;
            closing.add(connection);
        }
    }

    /**
     * Reads from lingering connections whose input is ready (their keys are on this writer's own selector), and lets
     * the selector drop the keys of connections closed since: only then is a closed channel's descriptor released.
     */
    private int pollOwnSelector()
    {
        ownKeysCancelled = false;
        try
        {
            return selector.selectNow(onWritableKey);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(roleName + " selector failed", ex);
        }
    }

    private void close(final Connection connection)
    {
        if (connection.closed)
        {
            return;
        }
        connection.closed = true;
        if (connection.lingering)
        {
            connection.lingering = false;
            lingeringCount--;
            // Its read interest is no write interest: cancelled here, the write-interest count stays right.
            connection.writerKey.cancel();
        }
        setWriteInterest(connection, false);
        forget(connection);
        if (null != connection.writerKey)
        {
            ownKeysCancelled = true;
        }
        try
        {
            connection.closeChannel();
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, () -> connection + " close failed: " + ex);
        }
        // The broker asked for this close (closeMode) after its last write to the outbound, and this writer is done
        // with the outbound and its unwritten rest: reusable. Before the count, so the acceptor finds the slot once
        // it sees the room.
        releaseUnwritten(connection);
        if (!connection.outbound().returnChain())
        {
            chainsToReturn.add(connection);
        }
        slots.release(connection.slot);
        closedConnections.incrementRelease();
    }

    private int returnChains()
    {
        int returned = 0;
        for (int i = chainsToReturn.size() - 1; i >= 0; i--)
        {
            if (chainsToReturn.get(i).outbound().returnChain())
            {
                chainsToReturn.remove(i);
                returned++;
            }
        }
        return returned;
    }

    private void forget(final Connection connection)
    {
        final int slot = connection.writerSlot;
        if (slot >= 0 && slot < connections.size() && connections.get(slot) == connection)
        {
            final Connection last = connections.remove(connections.size() - 1);
            if (last != connection)
            {
                connections.set(slot, last);
                last.writerSlot = slot;
            }
        }
        connection.writerSlot = -1;
    }

    /** Closes every connection still open (what could not be flushed in time) and this writer's selector. */
    @Override
    public void onClose()
    {
        adopted.drain(onAdopted);
        for (int i = 0, size = connections.size(); i < size; i++)
        {
            final Connection connection = connections.get(i);
            connection.closed = true;
            connection.closeChannelQuietly();
            releaseUnwritten(connection);
        }
        connections.clear();
        unwrittenPool.close();
        CloseHelper.quietClose(selector);
    }
}
