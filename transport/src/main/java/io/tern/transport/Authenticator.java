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
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * When authentication is on, every new connection passes through here before it joins a reader: this agent reads
 * its first line ({@code name secret}), has a {@link Verifier} thread run the {@link FirstLineVerifier} check on it,
 * and then either hands the connection to its reader with the first line cut down to the name, or sends
 * {@code error: not authorized} and closes it.
 * <pre>
 *   acceptor ──▶ authenticator: read the first line ──▶ LoginSources: per-source turns ──▶ verifier-0..V-1
 *                      ▲   (refuse: throttled source, busy, name deadline)                      │ check (ms)
 *                      └──────────────────────── results queue + selector wakeup ◀─────────────┘
 *                      └──▶ writer adopt + reader offer (admitted)   or   error reply + close (refused)
 * </pre>
 * Runs on its own thread {@code authenticator}, which never runs a check itself: it only reads first lines, keeps the
 * waiting checks and hands one at a time to each free verifier, so that neither a deliberately slow key derivation
 * nor a flood of logins delays a reader, the broker, or this thread's reading of other logins. Until it hands a
 * connection on, this thread owns it entirely (reads, the one error write and the close); a verifier sees only a
 * copy of the first line.
 * <p>
 * Bounds against a login flood ({@link AuthenticatorSettings}): the checks waiting are shared out round robin by
 * source address, so one source's hundred waiting checks delay another source's by one; at most
 * {@code maxPendingChecks} wait, past which a login is answered {@code error: busy} and closed; a source with
 * {@code maxFailures} failed checks within the window has its logins refused with {@code error: not authorized},
 * without a check, until its back-off passes. The name deadline covers a connection until it is handed on: a check
 * still waiting when it passes is never run, and one running is abandoned; either way the connection gets the
 * name-timeout reply. Every refusal lingers before the close so that the reply survives it ({@link LingeringClose}).
 * <p>
 * TLS handshakes run here too, for the same reason: on a connection from the TLS port the first reads drive the
 * handshake (its tasks inline, on this thread). Without authentication (no verifier) the transport still makes this
 * agent when there is a TLS port, and it only handshakes: a TLS connection is handed on once its handshake is done,
 * with whatever its first read brought after it; plain connections never come here. The name deadline covers the
 * handshake.
 * <p>
 * Reads go into one heap buffer of its own ({@code read-buffer-bytes} per read); a first line still incomplete is kept
 * with its connection in a buffer of its size class from this agent's {@link BufferPool}, each read appending to it as
 * a reader keeps partial lines, and given back once the line is complete or the connection closed. The complete line
 * and whatever followed it in the same read are copied into a {@link LoginCheck} made once per login (the connect
 * path, not the message path); nothing more is read from the connection until its check is done. What is handed to
 * the reader, the first line cut down to the name and whatever followed it, travels in a small array made once per
 * connection.
 */
final class Authenticator implements Agent
{
    private static final System.Logger LOG = System.getLogger(Authenticator.class.getName());
    private static final byte[] NOT_AUTHORIZED = Protocol.lineBytes(Protocol.NOT_AUTHORIZED);
    private static final byte[] BUSY = Protocol.lineBytes(Protocol.BUSY);
    private static final long SELECT_TIMEOUT_MS = 50;

    private final Selector selector;
    private final ConnectionSlots slots;
    private final OneToOneConcurrentArrayQueue<Connection> incoming;
    private final ArrayList<Connection> waiting;
    private final AuthenticatorSettings authSettings;
    private final LoginSources sources;
    private final Verifier[] verifiers;
    /** The check each verifier has, or null while it has none. */
    private final LoginCheck[] dispatched;
    private final ManyToOneConcurrentArrayQueue<LoginCheck> results;
    /** Connections whose first line is complete: their checks waiting, or out with a verifier. */
    private final ArrayList<LoginCheck> checking;
    /** Logins answered {@code error: busy}. Written by this agent only; read by any thread. */
    private volatile long busyRefusals;
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
    private LingeringClose linger = new LingeringClose(0, null);
    private volatile boolean stopRequested;
    /** Logins with a complete first line not yet admitted or refused, as of this agent's latest duty cycle. */
    private volatile int loginsChecking;
    /** No verifier: authentication is off and this agent only runs the TLS port's handshakes. */
    private final boolean handshakeOnly;

    Authenticator(
        final int maxConnections,
        final FirstLineVerifier verifier,
        final AuthenticatorSettings authSettings,
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
        this.handshakeOnly = null == verifier;
        this.authSettings = authSettings;
        this.sources = new LoginSources(authSettings.maxFailures(),
            TimeUnit.MILLISECONDS.toNanos(authSettings.failureWindowMs()),
            TimeUnit.MILLISECONDS.toNanos(authSettings.backoffMs()), authSettings.maxSources(),
            authSettings.maxPendingChecks());
        this.verifiers = new Verifier[authSettings.verifiers()];
        this.dispatched = new LoginCheck[verifiers.length];
        // Holds at most one check per verifier: each has at most one at a time.
        this.results = new ManyToOneConcurrentArrayQueue<>(Math.max(2, verifiers.length));
        for (int i = 0; i < verifiers.length; i++)
        {
            verifiers[i] = new Verifier(i, verifier, results, selector::wakeup);
        }
        this.checking = new ArrayList<>(Math.min(authSettings.maxPendingChecks() + verifiers.length, 1024));
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
        return !handshakeOnly;
    }

    /**
     * After a refusal, linger ({@link LingeringClose}) so that the reply survives the close. Before the agent runs.
     *
     * @param lingerMs how long at most; 0 to close at once.
     */
    void lingerAfterRefusal(final long lingerMs)
    {
        linger = new LingeringClose(lingerMs, readBuffer);
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

    /** @return its verifiers, for the caller to run each on a thread of its own. */
    Verifier[] verifiers()
    {
        return verifiers;
    }

    /** Any thread: stops this agent and its verifiers at their next duty cycles. */
    void requestStop()
    {
        stopRequested = true;
        selector.wakeup();
        for (final Verifier verifier : verifiers)
        {
            verifier.requestStop();
        }
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
        final long nowNs = System.nanoTime();
        work += drainResults(nowNs);
        if (!waiting.isEmpty() || !checking.isEmpty()) // lingering connections wait too, with or without a name deadline
        {
            work += expireDeadlines(nowNs);
        }
        if (sources.pending() > 0)
        {
            work += dispatch(nowNs);
        }
        if (loginsChecking != checking.size())
        {
            loginsChecking = checking.size();
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

    /** @return logins whose first line is complete, waiting for a check or being checked. Any thread; a snapshot. */
    int loginsChecking()
    {
        return loginsChecking;
    }

    /** @return logins answered {@code error: busy} since start. Any thread. */
    long busyRefusals()
    {
        return busyRefusals;
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
            if (connection.lingering)
            {
                if (LingeringClose.isOverdue(connection, nowNs))
                {
                    forget(connection);
                    close(connection);
                }
            }
            else if (Protocol.isNameOverdue(connection.acceptedNs(), nowNs, nameTimeoutNs))
            {
                if (handshakeOnly)
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
        for (int i = checking.size() - 1; i >= 0; i--)
        {
            final LoginCheck check = checking.get(i);
            if (Protocol.isNameOverdue(check.connection.acceptedNs(), nowNs, nameTimeoutNs))
            {
                if (!sources.remove(check))
                {
                    // Out with a verifier: it hands the check back (unchecked if it had not started), which frees it.
                    check.abandoned = true;
                }
                check.tryCancel();
                refuseCheck(check, nameTimeoutReply, System.Logger.Level.INFO,
                    "no name within the deadline while waiting for a credentials check");
                expired++;
            }
        }
        return expired;
    }

    /** Hands each free verifier the next waiting check, in turns by source. */
    private int dispatch(final long nowNs)
    {
        int work = 0;
        for (int i = 0; i < verifiers.length && sources.pending() > 0; i++)
        {
            if (null != dispatched[i])
            {
                continue;
            }
            LoginCheck check;
            while (null != (check = sources.next()))
            {
                if (nameTimeoutNs > 0 && Protocol.isNameOverdue(check.connection.acceptedNs(), nowNs, nameTimeoutNs))
                {
                    check.tryCancel();
                    refuseCheck(check, nameTimeoutReply, System.Logger.Level.INFO,
                        "no name within the deadline while waiting for a credentials check");
                }
                else if (sources.isBlocked(check.source, nowNs))
                {
                    // Its source failed too often while this one waited: refused as a new attempt would be.
                    check.tryCancel();
                    refuseCheck(check, NOT_AUTHORIZED, System.Logger.Level.DEBUG,
                        "not authorized: too many failed logins from " + check.source);
                }
                else
                {
                    break;
                }
                work++;
            }
            if (null == check)
            {
                break;
            }
            dispatched[i] = check;
            check.dispatched(i);
            verifiers[i].offer(check);
            work++;
        }
        return work;
    }

    /** Takes back the checks the verifiers have finished (or found cancelled) and admits or refuses each login. */
    private int drainResults(final long nowNs)
    {
        int work = 0;
        LoginCheck check;
        while (null != (check = results.poll()))
        {
            work++;
            dispatched[check.verifierIndex] = null;
            if (check.failed() && sources.onFailure(check.source, nowNs))
            {
                LOG.log(System.Logger.Level.WARNING, "logins from " + check.source + " refused for " +
                    authSettings.backoffMs() + " ms without a check: " + authSettings.maxFailures() +
                    " failed within " + authSettings.failureWindowMs() + " ms");
            }
            if (check.abandoned)
            {
                continue; // refused when its deadline passed
            }
            final int keep = check.keep;
            if (check.state() != LoginCheck.DONE || keep < 0 || keep > check.line.length)
            {
                refuseCheck(check, NOT_AUTHORIZED, System.Logger.Level.INFO, "not authorized");
            }
            else
            {
                admit(check, keep);
            }
        }
        return work;
    }

    private void onReadable(final SelectionKey key)
    {
        final Connection connection = (Connection)key.attachment();
        if (connection.lingering)
        {
            if (linger.drain(connection))
            {
                forget(connection);
                close(connection);
            }
            return;
        }
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
        if (handshakeOnly)
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
        final byte[] lineCopy = Arrays.copyOfRange(line, 0, length);
        final byte[] rest = Arrays.copyOfRange(bytes, newline + 1, end);
        releasePartial(connection);
        forget(connection);
        key.interestOps(0); // nothing more is read from it until its check is done
        submit(connection, lineCopy, rest);
    }

    /** Queues the check of a complete first line, unless its source is throttled or too many checks wait. */
    private void submit(final Connection connection, final byte[] line, final byte[] rest)
    {
        final LoginSources.Source source;
        try
        {
            source = sources.source(LoginSources.sourceOf(connection.channel().getRemoteAddress()));
        }
        catch (final IOException ex)
        {
            Arrays.fill(line, (byte)0);
            close(connection);
            return;
        }
        final LoginCheck check = new LoginCheck(connection, source, line, rest);
        checking.add(check);
        if (sources.isBlocked(source, System.nanoTime()))
        {
            check.tryCancel();
            refuseCheck(check, NOT_AUTHORIZED, System.Logger.Level.DEBUG,
                "not authorized: too many failed logins from " + source);
            return;
        }
        final LoginCheck shed = sources.enqueue(check);
        if (null != shed)
        {
            shed.tryCancel();
            busyRefusals++;
            // Logged on the 1st, 2nd, 4th, 8th... such refusal: visible, but a login flood cannot flood the log.
            final long refusals = busyRefusals;
            refuseCheck(shed, BUSY, Long.bitCount(refusals) == 1 ? System.Logger.Level.WARNING :
                System.Logger.Level.DEBUG, "busy: " + authSettings.maxPendingChecks() + " logins waiting for a " +
                "credentials check; " + refusals + " refused busy so far");
        }
    }

    /** Hands a login whose check passed to its writer and reader, with its first line cut down to the name. */
    private void admit(final LoginCheck check, final int keep)
    {
        removeChecking(check);
        final Connection connection = check.connection;
        // Hand on "<name>\n" followed by whatever the client sent after its first line.
        final byte[] rest = check.rest;
        final byte[] handoff = new byte[keep + 1 + rest.length];
        System.arraycopy(check.line, 0, handoff, 0, keep);
        handoff[keep] = '\n';
        System.arraycopy(rest, 0, handoff, keep + 1, rest.length);
        Arrays.fill(check.line, (byte)0);
        connection.handoff = handoff;

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

    /** Refuses a connection whose first line is complete (its check waiting, out, done or never made). */
    private void refuseCheck(
        final LoginCheck check, final byte[] reply, final System.Logger.Level level, final String why)
    {
        removeChecking(check);
        if (check.state() != LoginCheck.RUNNING)
        {
            Arrays.fill(check.line, (byte)0); // a running verifier zeroes it itself when done
        }
        refuse(check.connection, reply, level, why);
    }

    private void removeChecking(final LoginCheck check)
    {
        final int i = checking.indexOf(check);
        if (i >= 0)
        {
            final int last = checking.size() - 1;
            checking.set(i, checking.get(last));
            checking.remove(last);
        }
    }

    private void refuse(final Connection connection, final byte[] reply, final String why)
    {
        refuse(connection, reply, System.Logger.Level.INFO, why);
    }

    private void refuse(
        final Connection connection, final byte[] reply, final System.Logger.Level level, final String why)
    {
        if (reply != BUSY) // counted apart, as they are no verdict on the client
        {
            refusedConnections.incrementRelease();
        }
        LOG.log(level, () -> connection + " refused: " + why);
        try
        {
            connection.write(ByteBuffer.wrap(reply)); // best effort, never blocks (TLS: only once handshaken)
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
        releasePartial(connection); // a refused first line is not kept while the connection lingers
        if (linger.begin(connection, System.nanoTime()))
        {
            // Selected for reads again (a connection whose check was under way was not) and waiting: closed once the
            // client has closed or the linger is over.
            if (null != connection.authKey && connection.authKey.isValid())
            {
                connection.authKey.interestOps(SelectionKey.OP_READ);
            }
            if (!waiting.contains(connection))
            {
                waiting.add(connection);
            }
            return;
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

    /**
     * Closes the connections still authenticating, their checks too (they have sent nothing the broker saw), and the
     * selector. The verifiers are agents of their own, stopped with this one ({@link #requestStop()}).
     */
    @Override
    public void onClose()
    {
        for (int i = 0, size = waiting.size(); i < size; i++)
        {
            waiting.get(i).closeChannelQuietly();
        }
        waiting.clear();
        for (int i = 0, size = checking.size(); i < size; i++)
        {
            checking.get(i).connection.closeChannelQuietly();
        }
        checking.clear();
        Connection pending;
        while (null != (pending = incoming.poll()))
        {
            pending.closeChannelQuietly();
        }
        partials.close();
        CloseHelper.quietClose(selector);
    }
}
