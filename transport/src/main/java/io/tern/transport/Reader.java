/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
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
 * is full) or the arena is full (the broker is behind), the reader keeps what it has, stops reading every socket and
 * retries with a short park; TCP then pushes back on the senders. Nothing already read is dropped.
 * <p>
 * Reads go into one buffer of the reader's own, up to {@code read-buffer-bytes} per socket read, one read per ready
 * connection per duty cycle (level-triggered, so a busy connection is read again on the next cycle, after the others
 * had their turn). Complete lines are copied from there into the arena; only a trailing partial line is kept with
 * the connection, in a buffer of its size class from the reader's {@link BufferPool}. Later reads append to it
 * (moving it to a larger class as it grows) until a newline completes it; then the line goes to the arena in two
 * parts, kept and new, and the buffer goes back to the pool. Each byte of a partial line is copied once into it and
 * once out, however many reads the line takes. A connection between lines holds no read memory.
 * <pre>
 *   connection.partial (pooled):  | line so far |
 *   read buffer (per reader):     |rest\n| line | line | start of the next ...|
 *                                        └─ arena: partial + rest, then each line, then the new partial is kept
 * </pre>
 * Garbage-free in steady state: buffers, the batch and the selector callbacks are allocated up front, and partial
 * line buffers come from the pool's cache.
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
    private final ByteBuffer readBuffer;
    private final UnsafeBuffer readView;
    private final long readAddress;
    private final BufferPool partials;
    // What the read buffer holds: one connection's bytes while they are framed, and across a stall (stalled is that
    // connection); all three are 0 otherwise.
    private int lineStart;
    private int scanPosition;
    private int readEnd;

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
        final int readBufferBytes,
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
        this.readChunkBytes = readBufferBytes;
        this.readBuffer = ByteBuffer.allocateDirect(readBufferBytes);
        this.readView = new UnsafeBuffer(readBuffer);
        this.readAddress = readView.addressOffset();
        this.partials = new BufferPool(Math.max(BufferPool.MIN_CLASS_BYTES, maxLineBytes + 1));
        this.nameTimeoutNs = nameTimeoutNs;
        this.awaitingName = new ArrayList<>(Math.min(maxConnections, 1024));
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

    /** @return bytes of this reader's read buffer and its pool's buffers, in use or cached. Any thread. */
    long readMemoryBytes()
    {
        return readBuffer.capacity() + partials.allocatedBytes();
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
        }
        catch (final IOException ex)
        {
            // The channel closed before we saw it; tell the broker so the connection is accounted for and closed.
            connection.inputFailure = ex.toString();
            connection.inputEnded = true;
            connection.pendingDisconnectReason = InboundBatch.REASON_IO_ERROR;
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
     * Frames what the authenticator read (the name line and whatever followed it) as reads would be, a read buffer at
     * a time; a stall stops it and the duty cycle resumes it before reading the socket again.
     *
     * @return lines added to the batch.
     */
    private int feedHandoff(final Connection connection)
    {
        final byte[] handoff = connection.handoff;
        int added = 0;
        while (null != connection.handoff && !isBlocked())
        {
            final int offset = connection.handoffOffset;
            final int length = Math.min(readBuffer.capacity(), handoff.length - offset);
            readView.putBytes(0, handoff, offset, length);
            lineStart = 0;
            scanPosition = 0;
            readEnd = length;
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
        if (isBlocked() || !key.isValid() || (key.readyOps() & SelectionKey.OP_READ) == 0)
        {
            return; // level-triggered: the key will be selected again once we can take more
        }

        final Connection connection = (Connection)key.attachment();
        if (connection.inputEnded)
        {
            return;
        }

        final ByteBuffer buffer = readBuffer;
        buffer.clear();
        lineStart = 0;
        scanPosition = 0;
        int bytesRead;
        try
        {
            bytesRead = connection.channel().read(buffer);
        }
        catch (final IOException ex)
        {
            connection.inputFailure = ex.toString();
            bytesRead = -2;
        }
        // One clock reading per socket read: it stamps every line this read completes (read-to-route/-write).
        connection.lastReadNs = System.nanoTime();
        readEnd = buffer.position();
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
     * Publishes (into the batch) every complete line in the read buffer, which holds this connection's bytes (the
     * first one joined to the connection's kept partial line, if any), then, if its input has ended, its final partial
     * line and the disconnect; otherwise keeps the trailing partial line with the connection. Leaves the read buffer
     * empty unless it stalls (then {@code stalled} is this connection and the kept partial, if any, is still kept).
     *
     * @return lines added to the batch.
     */
    private int frame(final Connection connection)
    {
        final int end = readEnd;
        int added = 0;

        int i = scanPosition;
        while ((i = indexOfNewline(i, end)) >= 0)
        {
            final int length = lineLength(connection, i);
            if (length > maxLineBytes)
            {
                lineTooLong(connection);
                return added + (frameDisconnect(connection) ? 1 : 0);
            }
            if (!addLine(connection, length))
            {
                scanPosition = i;
                stalled = connection;
                return added;
            }
            lineStart = ++i;
            added++;
        }
        scanPosition = end;

        final ByteBuffer kept = connection.partial;
        final int partial = (null == kept ? 0 : kept.position()) + end - lineStart;
        if (connection.inputEnded && null == connection.handoff) // bytes handed over are before the end
        {
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
                    if (!addLine(connection, length))
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
        if (partial > maxLineBytes + 1 || (partial == maxLineBytes + 1 && lastByte(connection, end) != '\r'))
        {
            lineTooLong(connection);
            return added + (frameDisconnect(connection) ? 1 : 0);
        }

        keepPartial(connection, partial);
        emptyReadBuffer();
        return added;
    }

    /**
     * @return the length of the line ending at the newline at {@code newlineIndex}, without the newline and a '\r'
     * before it: from {@code lineStart}, after the connection's kept partial line if it has one.
     */
    private int lineLength(final Connection connection, final int newlineIndex)
    {
        final ByteBuffer kept = connection.partial;
        final int length = (null == kept ? 0 : kept.position()) + newlineIndex - lineStart;
        return length > 0 && lastByte(connection, newlineIndex) == '\r' ? length - 1 : length;
    }

    /** @return the byte before {@code index} in the line: in the read buffer, or the kept partial line's last. */
    private byte lastByte(final Connection connection, final int index)
    {
        if (index > lineStart)
        {
            return readView.getByte(index - 1);
        }
        final ByteBuffer kept = connection.partial;
        return null == kept || 0 == kept.position() ? 0 : kept.get(kept.position() - 1);
    }

    /** Adds the line of {@code length} bytes: the kept partial line, if any, then from {@code lineStart}. */
    private boolean addLine(final Connection connection, final int length)
    {
        final ByteBuffer kept = connection.partial;
        final int keptBytes = null == kept ? 0 : Math.min(kept.position(), length);
        if (!add(connection.named ? InboundBatch.MESSAGE : InboundBatch.NEW_PEER, 0, connection, kept, keptBytes,
            lineStart, length - keptBytes))
        {
            return false;
        }
        connection.named = true;
        if (null != kept)
        {
            connection.partial = null;
            partials.release(kept);
        }
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
        readView.getBytes(lineStart, kept, position, fresh);
        kept.position(position + fresh);
    }

    private void emptyReadBuffer()
    {
        lineStart = 0;
        scanPosition = 0;
        readEnd = 0;
    }

    /**
     * @return the index of the first '\n' in the read buffer from {@code from} (inclusive) to {@code to}, or -1.
     * Sixteen bytes a step: a byte of {@code word ^ NEWLINES} is zero where a newline is, and the lowest flagged byte
     * of the classic has-zero-byte test is always a true one (read little-endian, the first byte is the lowest). This
     * scan is the reader's largest cost for long lines, so it reads the memory directly: {@code to} is within the
     * buffer.
     */
    private int indexOfNewline(final int from, final int to)
    {
        final long address = readAddress;
        int i = from;
        for (final int last = to - 2 * Long.BYTES; i <= last; i += 2 * Long.BYTES)
        {
            final long word1 = littleEndian(UnsafeApi.getLong(address + i)) ^ NEWLINES;
            final long word2 = littleEndian(UnsafeApi.getLong(address + i + Long.BYTES)) ^ NEWLINES;
            final long found1 = (word1 - LOW_BITS) & ~word1 & HIGH_BITS;
            final long found2 = (word2 - LOW_BITS) & ~word2 & HIGH_BITS;
            if (0 != (found1 | found2))
            {
                return 0 != found1 ?
                    i + (Long.numberOfTrailingZeros(found1) >>> 3) :
                    i + Long.BYTES + (Long.numberOfTrailingZeros(found2) >>> 3);
            }
        }
        for (; i < to; i++)
        {
            if (UnsafeApi.getByte(address + i) == '\n')
            {
                return i;
            }
        }
        return -1;
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
     * Drops what is buffered of a partial line and reads nothing more from this connection. If the read buffer holds
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
        if (!add(InboundBatch.DISCONNECT, connection.pendingDisconnectReason, connection, null, 0, 0, 0))
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
        emptyReadBuffer();
        if (null != connection.readerKey)
        {
            connection.readerKey.cancel();
        }
        return true;
    }

    private boolean add(final int type, final int reason, final Connection connection, final ByteBuffer head,
        final int headLength, final int start, final int length)
    {
        if (batch.isFull() || !arena.tryAppend(head, headLength, readBuffer, start, length))
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
            if (!arena.tryAppend(head, headLength, readBuffer, start, length))
            {
                return false;
            }
        }
        batch.add(type, reason, connection, (int)arena.lastOffset(), headLength + length, arena.lastEndPosition());
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
