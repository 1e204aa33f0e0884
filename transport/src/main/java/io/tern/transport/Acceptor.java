/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import jdk.net.ExtendedSocketOptions;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Accepts connections and deals them out to readers, round robin, handing each to its writer as well (which closes it
 * at the latest when it stops). Runs on its own thread {@code acceptor}, blocked in {@code accept()} while there is
 * nothing to do; closing the server channel ends it. With a TLS port it serves both listening sockets, blocked in a
 * selector over the two (then {@link #wakeup()} after the close ends it), taking turns when both have connections
 * waiting; a connection from the TLS port gets its {@link TlsChannel} here, its handshake later on whoever reads it.
 * <p>
 * Allocation here is per connection, never per message. Failures to accept (such as running out of file descriptors)
 * back off from 1 ms up to 1 s, so they never spin a core, and are logged once per burst: the burst's start and its end,
 * with the count. While descriptors are scarce, accepting often flaps (each connection accepted from the backlog
 * takes a descriptor back), so a burst starting within {@value #QUIET_LOG_INTERVAL_MS} ms of the last one logged is
 * folded into the next line logged rather than logged on its own.
 * <p>
 * Limits on accept: {@code max-connections} in all, and {@code max-connections-per-address} from one source address
 * (loopback exempt unless configured otherwise), so one host reconnecting as fast as it can holds at most its share
 * and others still get in. Accepted sockets get TCP keepalive, with the probe timing from {@code tcp-keepalive-s}
 * where the JDK offers it (Linux, macOS), so a peer whose host vanished without a reset is found and its name freed.
 */
final class Acceptor implements Runnable
{
    private static final System.Logger LOG = System.getLogger(Acceptor.class.getName());
    private static final byte[] TOO_MANY = Protocol.lineBytes(Protocol.TOO_MANY_CONNECTIONS);
    private static final byte[] TOO_MANY_FROM_ADDRESS = Protocol.lineBytes(Protocol.TOO_MANY_FROM_ADDRESS);
    /** Most bytes a refusal reads and drops before closing, so that a name already sent does not cause a reset. */
    private static final int REFUSAL_DRAIN_BYTES = 4096;
    private static final byte[] OUT_OF_MEMORY = Protocol.lineBytes(Protocol.SERVER_OUT_OF_MEMORY);
    private static final long MIN_BACKOFF_NS = 1_000_000;
    private static final long MAX_BACKOFF_NS = 1_000_000_000;
    private static final long QUIET_LOG_INTERVAL_MS = 10_000;

    private final ServerSocketChannel serverChannel;
    /** The TLS port's listening socket and its settings, or null without TLS; then accept() blocks on the plain one. */
    private final ServerSocketChannel tlsServerChannel;
    private final TlsEndpoint tls;
    /** With TLS: both listening sockets, non-blocking, registered for OP_ACCEPT; the acceptor blocks here. */
    private final Selector selector;
    /** Which port the latest accepted socket came from, and which port to try first next (so neither starves). */
    private boolean acceptedTls;
    private boolean preferTls;
    private final TransportSettings settings;
    private final Reader[] readers;
    private final Writer[] writers;
    private final Authenticator authenticator;
    private final ConnectionSlots slots;
    private final OutboundSegmentPool outboundPool;
    private volatile boolean running;
    private long nextId;
    private long accepted;
    private long rejected;
    private final AtomicCounter acceptedCounter;
    private final AtomicCounter rejectedCounter;
    private final boolean keepAliveTimes;
    private final ByteBuffer refusalDrain = ByteBuffer.allocate(REFUSAL_DRAIN_BYTES);

    Acceptor(final ServerSocketChannel serverChannel, final TransportSettings settings, final Reader[] readers,
        final Writer[] writers, final Authenticator authenticator, final ConnectionSlots slots,
        final OutboundSegmentPool outboundPool, final AtomicCounter acceptedCounter,
        final AtomicCounter rejectedCounter) throws IOException
    {
        this(serverChannel, null, null, settings, readers, writers, authenticator, slots, outboundPool, acceptedCounter,
            rejectedCounter);
    }

    /**
     * @param tlsServerChannel the TLS port's bound listening socket, or null for none.
     * @param tls              its settings, or null for none.
     * @throws IOException if the selector for two listening sockets cannot be opened.
     */
    Acceptor(final ServerSocketChannel serverChannel, final ServerSocketChannel tlsServerChannel,
        final TlsEndpoint tls, final TransportSettings settings, final Reader[] readers,
        final Writer[] writers, final Authenticator authenticator, final ConnectionSlots slots,
        final OutboundSegmentPool outboundPool, final AtomicCounter acceptedCounter,
        final AtomicCounter rejectedCounter) throws IOException
    {
        this.tlsServerChannel = tlsServerChannel;
        this.tls = tls;
        if (null != tlsServerChannel)
        {
            selector = Selector.open();
            serverChannel.configureBlocking(false);
            tlsServerChannel.configureBlocking(false);
            serverChannel.register(selector, SelectionKey.OP_ACCEPT);
            tlsServerChannel.register(selector, SelectionKey.OP_ACCEPT);
        }
        else
        {
            selector = null;
        }
        this.outboundPool = outboundPool;
        this.acceptedCounter = acceptedCounter;
        this.rejectedCounter = rejectedCounter;
        this.slots = slots;
        this.authenticator = authenticator;
        this.serverChannel = serverChannel;
        this.settings = settings;
        this.readers = readers;
        this.writers = writers;
        this.keepAliveTimes = settings.tcpKeepAliveS() > 0 && keepAliveTimesSupported();
    }

    private static boolean keepAliveTimesSupported()
    {
        try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open())
        {
            return probe.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE) &&
                probe.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPINTERVAL) &&
                probe.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPCOUNT);
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** @return true while {@link #run()} runs. Any thread. */
    boolean isRunning()
    {
        return running;
    }

    @Override
    public void run()
    {
        running = true;
        try
        {
            acceptUntilClosed();
        }
        finally
        {
            running = false;
            if (null != selector)
            {
                try
                {
                    selector.close();
                }
                catch (final IOException ignore)
                {
                    // nothing more to do
                }
            }
        }
    }

    private void acceptUntilClosed()
    {
        long backoffNs = 0;
        long failuresInBurst = 0;
        long unloggedFailures = 0;
        boolean burstLogged = false;
        long lastLogNs = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(QUIET_LOG_INTERVAL_MS);
        while (serverChannel.isOpen())
        {
            final SocketChannel channel;
            try
            {
                channel = null == selector ? serverChannel.accept() : acceptEither();
                if (null == channel)
                {
                    continue; // woken to stop: the loop condition decides
                }
            }
            catch (final ClosedChannelException ex)
            {
                break;
            }
            catch (final IOException ex)
            {
                failuresInBurst++;
                // A burst is logged when it starts, or, if it started too soon after the last line, once it has
                // lasted past the quiet interval: a lasting failure is always logged.
                if (!burstLogged &&
                    System.nanoTime() - lastLogNs >= TimeUnit.MILLISECONDS.toNanos(QUIET_LOG_INTERVAL_MS))
                {
                    LOG.log(System.Logger.Level.WARNING, "accept failed, backing off: " + ex);
                    burstLogged = true;
                    lastLogNs = System.nanoTime();
                }
                backoffNs = Math.min(MAX_BACKOFF_NS, Math.max(MIN_BACKOFF_NS, backoffNs * 2));
                LockSupport.parkNanos(backoffNs);
                continue;
            }

            if (failuresInBurst > 0)
            {
                unloggedFailures += failuresInBurst;
                if (burstLogged)
                {
                    LOG.log(System.Logger.Level.WARNING, "accepting again after " + unloggedFailures +
                        " failed accepts");
                    unloggedFailures = 0;
                    burstLogged = false;
                    lastLogNs = System.nanoTime();
                }
                failuresInBurst = 0;
                backoffNs = 0;
            }
            try
            {
                onAccepted(channel);
            }
            catch (final RuntimeException ex)
            {
                // A bug must cost one connection, never the acceptor thread.
                LOG.log(System.Logger.Level.ERROR, "accepting a connection failed", ex);
                closeQuietly(channel);
            }
        }
    }

    /**
     * With a TLS port: the next connection from either listening socket, trying first the one not served last, or
     * null when woken with neither ready (to stop).
     */
    private SocketChannel acceptEither() throws IOException
    {
        final ServerSocketChannel first = preferTls ? tlsServerChannel : serverChannel;
        final ServerSocketChannel second = preferTls ? serverChannel : tlsServerChannel;
        SocketChannel channel = first.accept();
        acceptedTls = preferTls;
        if (null == channel)
        {
            channel = second.accept();
            acceptedTls = !preferTls;
        }
        if (null != channel)
        {
            preferTls = !acceptedTls;
            return channel;
        }
        selector.select();
        selector.selectedKeys().clear();
        return null;
    }

    /** Ends a blocking wait for a connection, once the listening sockets are closed. Any thread. */
    void wakeup()
    {
        if (null != selector)
        {
            selector.wakeup();
        }
    }

    private long openConnections()
    {
        long closed = null == authenticator ? 0 : authenticator.closedConnections();
        for (final Writer writer : writers)
        {
            closed += writer.closedConnections();
        }
        return accepted - closed;
    }

    private void onAccepted(final SocketChannel channel)
    {
        final boolean isTls = null != selector && acceptedTls;
        SocketAddress remote = null;
        final TlsChannel tlsChannel;
        try
        {
            remote = channel.getRemoteAddress(); // the channel's own object: kept, its text made only for a log line
            channel.configureBlocking(false);
            if (openConnections() >= settings.maxConnections())
            {
                reject(channel, remote, isTls);
                return;
            }
            final InetAddress source = countedSource(remote);
            if (null != source && slots.openFrom(source) >= settings.maxConnectionsPerAddress())
            {
                rejectFromAddress(channel, remote, isTls);
                return;
            }
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            setKeepAlive(channel);
            // The engine only: the handshake runs on the authenticator, which reads a TLS connection first.
            tlsChannel = isTls ? TlsChannel.server(tls.context(), channel, tls.clientAuth()) : null;
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.INFO, "connection from " + Connection.addressText(remote) +
                " failed while accepting: " + ex);
            closeQuietly(channel);
            return;
        }

        final long id = nextId++;
        final int readerIndex = (int)(id % readers.length);
        final int writerIndex = (int)(id % writers.length);
        final Connection connection;
        ConnectionSlots.Slot slot = null;
        try
        {
            slot = slots.acquire(countedSource(remote));
            connection = new Connection(
                id,
                channel,
                tlsChannel,
                remote,
                slot,
                outboundPool,
                writers[writerIndex].outboundTakenCounter(),
                readerIndex,
                writerIndex);
        }
        catch (final OutOfMemoryError ex)
        {
            // The heap ran out for its objects (a connection takes no direct memory when accepted; its buffers
            // come from pools as bytes arrive): refuse this one connection, give its slot back, keep accepting.
            if (null != slot)
            {
                slots.release(slot);
            }
            refuse(channel, remote, isTls ? null : OUT_OF_MEMORY,
                "out of memory for its objects (" + ex.getMessage() + ")");
            return;
        }
        accepted++;
        // Through the authenticator when it checks first lines, or for TLS (it runs the handshake).
        final boolean handedOn = null == authenticator || !(authenticator.verifies() || connection.isTls()) ?
            writers[connection.writerIndex()].adopt(connection) && readers[readerIndex].offer(connection) :
            authenticator.offer(connection);
        if (!handedOn)
        {
            // Sized to max-connections, so only reachable through a bug; never leave the socket dangling.
            LOG.log(System.Logger.Level.ERROR, connection + " dropped: queue full");
            accepted--;
            closeQuietly(channel);
            slots.release(connection.slot);
        }
        acceptedCounter.setRelease(accepted);
    }

    private void reject(final SocketChannel channel, final SocketAddress remote, final boolean isTls)
    {
        // A TLS client could not read a plain-text reply: it is just closed.
        refuse(channel, remote, isTls ? null : TOO_MANY, "too many connections (" + settings.maxConnections() + ")");
    }

    private void rejectFromAddress(final SocketChannel channel, final SocketAddress remote, final boolean isTls)
    {
        refuse(channel, remote, isTls ? null : TOO_MANY_FROM_ADDRESS, "too many connections from its address (" +
            settings.maxConnectionsPerAddress() + ")");
    }

    /**
     * @return the address a connection from {@code remote} counts against for max-connections-per-address, or null
     * if it counts against none (loopback when exempt, or a limit no source can reach).
     */
    private InetAddress countedSource(final SocketAddress remote)
    {
        if (settings.maxConnectionsPerAddress() >= settings.maxConnections() ||
            !(remote instanceof java.net.InetSocketAddress))
        {
            return null;
        }
        final InetAddress address = ((java.net.InetSocketAddress)remote).getAddress();
        return settings.loopbackExempt() && address.isLoopbackAddress() ? null : address;
    }

    private void setKeepAlive(final SocketChannel channel) throws IOException
    {
        final int idleS = settings.tcpKeepAliveS();
        if (idleS <= 0)
        {
            return;
        }
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        if (keepAliveTimes)
        {
            // As redis-server does: probes after idleS of silence, then every third of it, three times; a vanished
            // host is found within about twice idleS.
            channel.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, idleS);
            channel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, Math.max(1, idleS / 3));
            channel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 3);
        }
    }

    private void refuse(
        final SocketChannel channel, final SocketAddress remote, final byte[] reply, final String why)
    {
        rejected++;
        rejectedCounter.setRelease(rejected);
        if (Long.bitCount(rejected) == 1)
        {
            // Logged on the 1st, 2nd, 4th, 8th... refusal: visible, but a connection flood cannot flood the log.
            LOG.log(System.Logger.Level.WARNING, "connection from " + Connection.addressText(remote) +
                " refused: " + why + "; " + rejected +
                " refused so far");
        }
        if (null != reply)
        {
            try
            {
                channel.write(ByteBuffer.wrap(reply)); // best effort: a fresh socket's send buffer takes it
                channel.shutdownOutput();
                // A close with unread input resets the connection, and the reset can drop the reply before the client
                // reads it: read (and drop) what has arrived already, typically a name line. Never blocks.
                final ByteBuffer drain = refusalDrain;
                drain.clear();
                while (drain.hasRemaining() && channel.read(drain) > 0)
                {
                    // discard
                }
            }
            catch (final IOException ignore)
            {
                // closing anyway
            }
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing more to do
        }
    }
}
