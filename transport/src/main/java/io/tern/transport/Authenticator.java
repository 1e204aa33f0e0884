/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * When authentication is on, every new connection passes through here before it joins a reader: this agent reads
 * its first line ({@code name secret}), has the {@link FirstLineVerifier} check it, and then either hands the
 * connection to its reader with the first line cut down to the name, or sends {@code error: not authorized} and
 * closes it.
 * <p>
 * Runs on its own thread {@code authenticator} so that a deliberately slow key-derivation function never delays a
 * reader or the broker. TLS handshakes run here too, for the same reason: on a connection from the TLS port the
 * first reads drive the handshake (its tasks inline, on this thread). Without authentication (no verifier) the
 * transport still makes this agent when there is a TLS port, and it only handshakes: a TLS connection is handed on
 * once its handshake is done, with whatever its first read brought after it; plain connections never come here. Until it hands a connection on, this thread owns it entirely (reads, the one error write and
 * the close). The name deadline applies here too.
 * <p>
 * Reads go into one heap buffer of its own ({@code read-buffer-bytes} per read); a first line still incomplete is kept
 * with its connection in a buffer of its size class from this agent's {@link BufferPool}, each read appending to it as
 * a reader keeps partial lines, and given back once the line is complete or the connection closed; the complete line is
 * then put together once, in a second buffer of this agent's, for the verifier. What is handed to the reader, the first
 * line cut down to the name and whatever followed it in the same read, travels in a small array made once per
 * connection.
 */
final class Authenticator implements Agent
{
    private static final System.Logger LOG = System.getLogger(Authenticator.class.getName());
    private static final byte[] NOT_AUTHORIZED = Protocol.lineBytes(Protocol.NOT_AUTHORIZED);
    private static final long SELECT_TIMEOUT_MS = 50;

    private final Selector selector;
    private final ConnectionSlots slots;
    private final OneToOneConcurrentArrayQueue<Connection> incoming;
    private final ArrayList<Connection> waiting;
    private final FirstLineVerifier verifier;
    private final Reader[] readers;
    private final Writer[] writers;
    private final int maxLineBytes;
    private final ByteBuffer readBuffer;
    private final byte[] firstLine;
    private final BufferPool partials;
    private final long nameTimeoutNs;
    private final byte[] nameTimeoutReply;
    private final Consumer<SelectionKey> onReadable = this::onReadable;
    private final AgentIdleStrategy idleStrategy;
    private final AtomicCounter closedConnections;
    private final AtomicCounter refusedConnections;
    private final AtomicCounter bytesIn;
    /** TLS connections among {@code waiting}: only while there are any is that list scanned for buffered input. */
    private int tlsWaiting;
    private volatile boolean stopRequested;

    Authenticator(
        final int maxConnections,
        final FirstLineVerifier verifier,
        final Reader[] readers,
        final Writer[] writers,
        final int readBufferBytes,
        final int maxLineBytes,
        final long nameTimeoutNs,
        final ConnectionSlots slots,
        final AtomicCounter bytesRead,
        final AtomicCounter closedConnections,
        final AtomicCounter refusedConnections) throws IOException
    {
        this.bytesIn = bytesRead;
        this.closedConnections = closedConnections;
        this.refusedConnections = refusedConnections;
        this.slots = slots;
        this.selector = Selector.open();
        this.incoming = new OneToOneConcurrentArrayQueue<>(maxConnections);
        this.waiting = new ArrayList<>(Math.min(maxConnections, 1024));
        this.verifier = verifier;
        this.readers = readers;
        this.writers = writers;
        this.maxLineBytes = maxLineBytes;
        // Heap: the verifier reads the first line from an array.
        this.readBuffer = ByteBuffer.allocate(readBufferBytes);
        this.firstLine = new byte[maxLineBytes + 1];
        this.partials = new BufferPool(Math.max(BufferPool.MIN_CLASS_BYTES, maxLineBytes + 1));
        this.nameTimeoutNs = nameTimeoutNs;
        this.nameTimeoutReply = Protocol.lineBytes(Protocol.nameTimeout(TimeUnit.NANOSECONDS.toMillis(nameTimeoutNs)));
        this.idleStrategy = new AgentIdleStrategy(IdleStrategyKind.BLOCK, this::block);
    }

    AgentIdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    /**
     * @return true if it checks first lines; false if it only runs TLS handshakes (authentication off). Any thread.
     */
    boolean verifies()
    {
        return null != verifier;
    }

    /** Acceptor thread only. */
    boolean offer(final Connection connection)
    {
        if (!incoming.offer(connection))
        {
            return false;
        }
        selector.wakeup();
        return true;
    }

    void requestStop()
    {
        stopRequested = true;
        selector.wakeup();
    }

    long closedConnections()
    {
        return closedConnections.get();
    }

    /** @return bytes of the pooled buffers holding incomplete first lines now. Any thread; a snapshot. */
    long partialLineBytes()
    {
        return partials.inUseBytes();
    }

    /** @return bytes of this agent's read buffer and its pool's buffers, in use or cached. Any thread. */
    long readMemoryBytes()
    {
        return readBuffer.capacity() + firstLine.length + partials.allocatedBytes();
    }

    @Override
    public String roleName()
    {
        return "authenticator";
    }

    @Override
    public int doWork()
    {
        if (stopRequested)
        {
            throw new AgentTerminationException();
        }
        int work = 0;
        Connection connection;
        while (null != (connection = incoming.poll()))
        {
            try
            {
                connection.authKey = connection.channel().register(selector, SelectionKey.OP_READ, connection);
                waiting.add(connection);
                tlsWaiting += connection.isTls() ? 1 : 0;
            }
            catch (final IOException ex)
            {
                close(connection);
            }
            work++;
        }
        try
        {
            work += selector.selectNow(onReadable);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("authenticator selector failed", ex);
        }
        if (tlsWaiting > 0)
        {
            work += readTlsAgain();
        }
        if (nameTimeoutNs > 0 && !waiting.isEmpty())
        {
            work += expireDeadlines(System.nanoTime());
        }
        return work;
    }

    /**
     * Reads again the TLS connections whose last read left bytes the socket will not report (or handshake records to
     * send): a first line may be complete in them.
     */
    private int readTlsAgain()
    {
        int work = 0;
        for (int i = waiting.size() - 1; i >= 0; i--)
        {
            final Connection connection = i < waiting.size() ? waiting.get(i) : null;
            final TlsChannel tls = null == connection ? null : connection.tls;
            if (null != tls &&
                (tls.hasBufferedInput() || (tls.isHandshaking() && tls.hasPendingOutput())) &&
                connection.authKey.isValid())
            {
                onReadable(connection.authKey);
                work++;
            }
        }
        return work;
    }

    private void block()
    {
        try
        {
            selector.select(onReadable, SELECT_TIMEOUT_MS);
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "authenticator select failed: " + ex);
        }
    }

    private int expireDeadlines(final long nowNs)
    {
        int expired = 0;
        for (int i = waiting.size() - 1; i >= 0; i--)
        {
            final Connection connection = waiting.get(i);
            if (Protocol.isNameOverdue(connection.acceptedNs(), nowNs, nameTimeoutNs))
            {
                if (null == verifier)
                {
                    // Handshake-only: not a refusal of credentials; nothing can be sent before the handshake ends.
                    LOG.log(System.Logger.Level.INFO, () -> connection + " closed: no TLS handshake within the " +
                        "name deadline");
                    forget(connection);
                    close(connection);
                }
                else
                {
                    refuse(connection, nameTimeoutReply, "no name within the deadline");
                }
                expired++;
            }
        }
        return expired;
    }

    private void onReadable(final SelectionKey key)
    {
        final Connection connection = (Connection)key.attachment();
        final ByteBuffer in = readBuffer;
        final ByteBuffer partial = connection.partial;
        final int kept = null == partial ? 0 : partial.position();
        in.clear();
        final int bytesRead;
        try
        {
            bytesRead = connection.read(in);
        }
        catch (final IOException ex)
        {
            if (null != connection.tls && connection.tls.isHandshaking())
            {
                LOG.log(System.Logger.Level.INFO, () -> connection + " TLS handshake failed: " + ex);
            }
            forget(connection);
            close(connection);
            return;
        }
        // As a reader does: stamp the read (lines after the first one, handed on with the connection, carry it).
        connection.lastReadNs = System.nanoTime();
        if (bytesRead > 0)
        {
            bytesIn.getAndAddRelease(bytesRead);
        }
        if (null == verifier)
        {
            onHandshakeRead(connection, bytesRead);
            return;
        }

        final int end = in.position();
        final byte[] bytes = in.array();
        int newline = -1;
        for (int i = 0; i < end; i++)
        {
            if (bytes[i] == '\n')
            {
                newline = i;
                break;
            }
        }

        if (newline < 0)
        {
            if (bytesRead < 0 || kept + end > maxLineBytes + 1)
            {
                // Closed before a complete first line, or a first line longer than any line may be.
                refuse(connection, NOT_AUTHORIZED, bytesRead < 0 ? "closed before authenticating" : "line too long");
            }
            else if (end > 0)
            {
                keepPartial(connection, kept, end);
            }
            return;
        }

        // The whole first line in one array: what was kept, then this read's bytes up to the newline.
        final byte[] line;
        final int lineEnd;
        if (0 == kept)
        {
            line = bytes;
            lineEnd = newline;
        }
        else if (kept + newline > maxLineBytes + 1)
        {
            refuse(connection, NOT_AUTHORIZED, "line too long");
            return;
        }
        else
        {
            line = firstLine;
            partial.get(0, line, 0, kept);
            System.arraycopy(bytes, 0, line, kept, newline);
            lineEnd = kept + newline;
        }
        final int length = lineEnd > 0 && line[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        final int keep = verifier.verify(line, 0, length);
        if (keep < 0 || keep > length)
        {
            refuse(connection, NOT_AUTHORIZED, "not authorized");
            return;
        }

        // Hand on "<name>\n" followed by whatever the client sent after its first line.
        final int rest = end - (newline + 1);
        final byte[] handoff = new byte[keep + 1 + rest];
        System.arraycopy(line, 0, handoff, 0, keep);
        handoff[keep] = '\n';
        System.arraycopy(bytes, newline + 1, handoff, keep + 1, rest);
        connection.handoff = handoff;
        releasePartial(connection);

        forget(connection);
        connection.authKey.cancel();
        if (!writers[connection.writerIndex()].adopt(connection))
        {
            LOG.log(System.Logger.Level.ERROR, connection + " dropped: writer queue full");
            close(connection);
        }
        else if (!readers[connection.readerIndex()].offer(connection))
        {
            // Its writer closes it when it stops; until then nothing reads it. Only reachable through a bug.
            LOG.log(System.Logger.Level.ERROR, connection + " dropped: reader queue full");
        }
    }

    /**
     * Handshake-only mode (TLS, no authentication): once the handshake is done, hands the connection on with what this
     * read brought after it (the reader frames it first, then whatever TLS still holds); until then, waits.
     */
    private void onHandshakeRead(final Connection connection, final int bytesRead)
    {
        if (bytesRead < 0)
        {
            LOG.log(System.Logger.Level.INFO, () -> connection + " closed during the TLS handshake");
            forget(connection);
            close(connection);
            return;
        }
        if (connection.tls.isHandshaking())
        {
            return;
        }
        if (bytesRead > 0)
        {
            connection.handoff = java.util.Arrays.copyOf(readBuffer.array(), readBuffer.position());
        }
        forget(connection);
        connection.authKey.cancel();
        if (!writers[connection.writerIndex()].adopt(connection))
        {
            LOG.log(System.Logger.Level.ERROR, connection + " dropped: writer queue full");
            close(connection);
        }
        else if (!readers[connection.readerIndex()].offer(connection))
        {
            // Its writer closes it when it stops; until then nothing reads it. Only reachable through a bug.
            LOG.log(System.Logger.Level.ERROR, connection + " dropped: reader queue full");
        }
    }

    /**
     * Appends this read's {@code fresh} bytes, at the start of the read buffer, to the incomplete first line kept with
     * the connection ({@code keptBytes} so far), moving it to a larger buffer when it no longer fits.
     */
    private void keepPartial(final Connection connection, final int keptBytes, final int fresh)
    {
        ByteBuffer kept = connection.partial;
        if (null == kept)
        {
            kept = partials.acquire(fresh);
            connection.partial = kept;
        }
        else if (kept.capacity() < keptBytes + fresh)
        {
            final ByteBuffer larger = partials.acquire(keptBytes + fresh);
            kept.flip();
            larger.put(kept);
            partials.release(kept);
            kept = larger;
            connection.partial = kept;
        }
        kept.put(readBuffer.array(), 0, fresh);
    }

    private void releasePartial(final Connection connection)
    {
        final ByteBuffer partial = connection.partial;
        if (null != partial)
        {
            connection.partial = null;
            partials.release(partial);
        }
    }

    private void refuse(final Connection connection, final byte[] reply, final String why)
    {
        refusedConnections.incrementRelease();
        LOG.log(System.Logger.Level.INFO, () -> connection + " refused: " + why);
        try
        {
            connection.write(ByteBuffer.wrap(reply)); // best effort, never blocks (TLS: only once handshaken)
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
        forget(connection);
        close(connection);
    }

    private void forget(final Connection connection)
    {
        final int i = waiting.indexOf(connection);
        if (i >= 0)
        {
            tlsWaiting -= connection.isTls() ? 1 : 0;
            final int last = waiting.size() - 1;
            waiting.set(i, waiting.get(last));
            waiting.remove(last);
        }
    }

    private void close(final Connection connection)
    {
        if (null != connection.authKey)
        {
            connection.authKey.cancel();
        }
        connection.closeChannelQuietly();
        releasePartial(connection);
        slots.release(connection.slot); // neither the broker nor a writer has seen this connection
        closedConnections.incrementRelease();
    }

    /** Closes the connections still authenticating (they have sent nothing the broker saw) and the selector. */
    @Override
    public void onClose()
    {
        for (int i = 0, size = waiting.size(); i < size; i++)
        {
            waiting.get(i).closeChannelQuietly();
        }
        waiting.clear();
        Connection pending;
        while (null != (pending = incoming.poll()))
        {
            pending.closeChannelQuietly();
        }
        partials.close();
        CloseHelper.quietClose(selector);
    }
}
