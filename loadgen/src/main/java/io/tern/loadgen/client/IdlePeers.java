/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.NodeSpread;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Idle peers ({@code --idle-peers N}): N extra connections, each known to the server under its own name, that then
 * stay open and silent for the whole run, so that a server's cost per idle connection (memory, and what its loops
 * pay for connections that do nothing) shows beside the workload.
 * <pre>
 *   calling thread: connect(...)                         loadgen-idle thread: startHolding() .. close()
 *   +-----------------------------------------------+    +--------------------------------------------------+
 *   | non-blocking connects, at most MAX_PENDING not |    | one selector over all N: answers NATS PINGs,     |
 *   | yet registered; write the registration; read  | -&gt; | counts disconnects and any unexpected line;      |
 *   | until each is confirmed ({@link IdleProtocol}) |    | otherwise asleep in select                      |
 *   +-----------------------------------------------+    +--------------------------------------------------+
 * </pre>
 * One selector and one thread whatever N is: no thread per connection. Per peer the loadgen keeps a few dozen bytes
 * and a small line buffer; reads go through one shared buffer. (That is why tern's idle peers do not use the client
 * library, whose buffers per connection are thousands of times larger: see {@link IdleProtocol}.)
 * <p>
 * <b>Source addresses.</b> A TCP connection is known by its two addresses and ports, so one source address can
 * reach one server address from at most as many ports as the ephemeral range holds (32768-60999 by default: 28,232),
 * shared with every other connection from that address, the workload's included, and with the connections of
 * earlier runs that still wait in TIME_WAIT (60 s on Linux, on the side that closed first: the loadgen). So when the
 * server is on loopback and N is more than {@link #SPREAD_ABOVE}, the peers are spread over
 * {@code 127.0.0.1 .. 127.0.0.k} (every 127.x address is local on Linux), at most {@link #PEERS_PER_SOURCE_ADDRESS}
 * per address, each socket bound to its source address before it connects. That leaves room on every address for
 * the TIME_WAITs of a few more such runs within the minute. SO_REUSEADDR is not set: with it, the kernel's search
 * for a free port slows down by orders of magnitude once a few thousand ports of the address are taken.
 * (redis-server's protected mode, on unless a password is set, admits only 127.0.0.1: run it with
 * {@code --protected-mode no} beside spread idle peers.)
 * <p>
 * Threads: {@link #connect} on the calling thread; then {@link #startHolding()} hands everything to the
 * {@code loadgen-idle} thread, and {@link #close()} (calling thread) stops it and closes every connection. The counts
 * ({@link #disconnects()}, {@link #unexpectedLines()}) may be read from any thread.
 */
public final class IdlePeers implements AutoCloseable
{
    /** Above this many idle peers to a loopback server, they are spread over source addresses; see the javadoc. */
    public static final int SPREAD_ABOVE = 10_000;
    /** Most idle peers per local source address once they are spread. */
    public static final int PEERS_PER_SOURCE_ADDRESS = 5_000;
    /** Bytes kept of each line read; longer lines are judged by their start. */
    static final int LINE_PREFIX_BYTES = 128;
    /**
     * Most connections begun but not yet confirmed: well below the servers' accept backlogs (tern 1024, redis 511,
     * nats-server the kernel's somaxconn), so no SYN is dropped for a full accept queue (a dropped SYN costs a 1 s
     * retransmit), and enough to keep the server busy.
     */
    static final int MAX_PENDING = 256;
    private static final long RETRY_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long SELECT_MS = 10;
    private static final long HOLD_SELECT_MS = 200;

    private final IdleProtocol protocol;
    private final Peer[] peers;
    private final Selector selector;
    private final List<InetAddress> sourceAddresses;
    private final long registerNs;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong unexpectedLines = new AtomicLong();
    private final List<String> problems = new ArrayList<>();
    private volatile boolean holding;
    private Thread holder;

    /** One idle connection. Calling thread while connecting, then the holder thread. */
    private static final class Peer
    {
        final String name;
        final InetAddress source;
        /** The node this peer connects to. */
        final InetSocketAddress server;
        final byte[] line = new byte[LINE_PREFIX_BYTES];
        SocketChannel channel;
        SelectionKey key;
        ByteBuffer pendingWrite;
        int lineLength;
        boolean confirmed;
        boolean closed;

        Peer(final String name, final InetAddress source, final InetSocketAddress server)
        {
            this.name = name;
            this.source = source;
            this.server = server;
        }
    }

    private IdlePeers(
        final IdleProtocol protocol,
        final Peer[] peers,
        final Selector selector,
        final List<InetAddress> sourceAddresses,
        final long registerNs)
    {
        this.protocol = protocol;
        this.peers = peers;
        this.selector = selector;
        this.sourceAddresses = sourceAddresses;
        this.registerNs = registerNs;
    }

    /**
     * The local addresses that N peers to this server are spread over: none (let the kernel choose) unless the
     * server is on loopback and N is more than {@link #SPREAD_ABOVE}.
     *
     * @param server the server's address.
     * @param count  N.
     * @return {@code 127.0.0.1 .. 127.0.0.k}, or an empty list.
     */
    public static List<InetAddress> sourceAddresses(final InetSocketAddress server, final int count)
    {
        final List<InetAddress> sources = new ArrayList<>();
        final InetAddress address = server.getAddress();
        if (count <= SPREAD_ABOVE || !(address instanceof Inet4Address) || !address.isLoopbackAddress())
        {
            return sources;
        }
        final int k = (count + PEERS_PER_SOURCE_ADDRESS - 1) / PEERS_PER_SOURCE_ADDRESS;
        for (int i = 1; i <= k; i++)
        {
            try
            {
                sources.add(InetAddress.getByAddress(new byte[]{127, 0, 0, (byte)i}));
            }
            catch (final UnknownHostException ex)
            {
                throw new IllegalStateException(ex); // four bytes are always an address
            }
        }
        return sources;
    }

    /**
     * Connects N peers named {@code <namePrefix><i>} and waits until the server confirms every one. Calling thread.
     *
     * @param target     the kind of server.
     * @param servers    the address of each node (one for one server); idle peer i connects to node
     *                   {@link NodeSpread#nodeOfIdlePeer(int, int)}.
     * @param namePrefix of every idle peer's name; must differ from the workload's.
     * @param count      N, at least 1.
     * @param timeoutNs  deadline for connecting and registering all of them.
     * @return the peers, every one registered, not yet held by a thread.
     * @throws RegistrationException naming the peer and the reason; every connection is closed then.
     */
    public static IdlePeers connect(
        final Target target,
        final List<InetSocketAddress> servers,
        final String namePrefix,
        final int count,
        final long timeoutNs) throws RegistrationException
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + timeoutNs;
        final IdleProtocol protocol = IdleProtocol.of(target);
        // A source port is taken per server address, so the peers to one node are what counts; the first node
        // stands for every node (they all take about count / nodes).
        final InetSocketAddress server = servers.get(0);
        final List<InetAddress> sources = sourceAddresses(server, (count + servers.size() - 1) / servers.size());
        final Peer[] peers = new Peer[count];
        for (int i = 0; i < count; i++)
        {
            final int node = NodeSpread.nodeOfIdlePeer(i, servers.size());
            final int perNode = i / servers.size();
            peers[i] = new Peer(namePrefix + i, sources.isEmpty() ? null : sources.get(perNode % sources.size()),
                servers.get(node));
        }

        Selector selector = null;
        boolean ok = false;
        try
        {
            selector = Selector.open();
            final Connecting connecting = new Connecting(protocol, peers, selector);
            connecting.run(deadlineNs);
            ok = true;
            return new IdlePeers(protocol, peers, selector, List.copyOf(sources), System.nanoTime() - startNs);
        }
        catch (final IOException ex)
        {
            if (ex instanceof RegistrationException)
            {
                throw (RegistrationException)ex;
            }
            throw new RegistrationException("idle peers: registration with " + target.optionValue() + " at " +
                servers.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")) +
                " failed: " + ex, ex);
        }
        finally
        {
            if (!ok)
            {
                closeAll(peers);
                if (null != selector)
                {
                    try
                    {
                        selector.close();
                    }
                    catch (final IOException ignore)
                    {
                        // Already failing.
                    }
                }
            }
        }
    }

    /** The connect-and-register phase: its state lives only while {@link IdlePeers#connect} runs. */
    private static final class Connecting
    {
        private final IdleProtocol protocol;
        private final Peer[] peers;
        private final Selector selector;
        private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
        private final ArrayDeque<Peer> retries = new ArrayDeque<>();
        private final ArrayDeque<Long> retryDueNs = new ArrayDeque<>();
        private int started;
        private int confirmed;
        private String failure;

        Connecting(final IdleProtocol protocol, final Peer[] peers, final Selector selector)
        {
            this.protocol = protocol;
            this.peers = peers;
            this.selector = selector;
        }

        void run(final long deadlineNs) throws IOException
        {
            while (confirmed < peers.length)
            {
                final long nowNs = System.nanoTime();
                if (nowNs - deadlineNs >= 0)
                {
                    throw new RegistrationException("idle peers: timed out after " + confirmed + " of " +
                        peers.length + " were registered (" + started + " connections begun); raise " +
                        "--connect-timeout, or see the server's log");
                }
                while (started < peers.length && started - confirmed < MAX_PENDING)
                {
                    begin(peers[started++]);
                }
                while (!retries.isEmpty() && retryDueNs.peekFirst() - nowNs <= 0)
                {
                    retryDueNs.pollFirst();
                    final Peer peer = retries.pollFirst();
                    write(peer, protocol.retryBytes(peer.name));
                }

                selector.select(Math.max(1, Math.min(SELECT_MS, TimeUnit.NANOSECONDS.toMillis(deadlineNs - nowNs))));
                for (final SelectionKey key : selector.selectedKeys())
                {
                    onReady((Peer)key.attachment(), key);
                    if (null != failure)
                    {
                        throw new RegistrationException(failure);
                    }
                }
                selector.selectedKeys().clear();
            }
        }

        private void begin(final Peer peer) throws RegistrationException
        {
            final String from = null == peer.source ? "" : " from " + peer.source.getHostAddress();
            try
            {
                final SocketChannel channel = SocketChannel.open();
                peer.channel = channel;
                channel.configureBlocking(false);
                if (null != peer.source)
                {
                    channel.bind(new InetSocketAddress(peer.source, 0));
                }
                if (channel.connect(peer.server))
                {
                    peer.key = channel.register(selector, SelectionKey.OP_READ, peer);
                    write(peer, protocol.registrationBytes(peer.name));
                }
                else
                {
                    peer.key = channel.register(selector, SelectionKey.OP_CONNECT, peer);
                }
            }
            catch (final IOException ex)
            {
                throw new RegistrationException("idle peers: cannot connect " + peer.name + from + " to " + peer.server +
                    " after " + confirmed + " were registered: " + ex.getMessage() + hint(ex), ex);
            }
        }

        private void onReady(final Peer peer, final SelectionKey key) throws RegistrationException
        {
            try
            {
                if (key.isConnectable())
                {
                    if (!peer.channel.finishConnect())
                    {
                        return;
                    }
                    key.interestOps(SelectionKey.OP_READ);
                    write(peer, protocol.registrationBytes(peer.name));
                }
                if (key.isValid() && key.isWritable())
                {
                    flushPending(peer);
                }
                if (key.isValid() && key.isReadable())
                {
                    readBuffer.clear();
                    final int read = peer.channel.read(readBuffer);
                    if (read < 0)
                    {
                        failure = "idle peers: the server closed the connection of " + peer.name + " during " +
                            "registration, after " + confirmed + " were registered (a connection limit? see its log)";
                        return;
                    }
                    readBuffer.flip();
                    while (readBuffer.hasRemaining() && null == failure)
                    {
                        if (nextLine(peer, readBuffer))
                        {
                            onLine(peer);
                        }
                    }
                }
            }
            catch (final IOException ex)
            {
                throw new RegistrationException("idle peers: connection of " + peer.name + " to " + peer.server +
                    " failed after " + confirmed + " were registered: " + ex.getMessage() + hint(ex), ex);
            }
        }

        private void onLine(final Peer peer)
        {
            final boolean truncated = peer.lineLength > LINE_PREFIX_BYTES;
            final String line = lineText(peer);
            peer.lineLength = 0;
            switch (protocol.onLine(peer.name, line, truncated))
            {
                case IdleProtocol.CONFIRMED:
                    if (!peer.confirmed)
                    {
                        peer.confirmed = true;
                        confirmed++;
                    }
                    break;
                case IdleProtocol.RETRY:
                    retries.addLast(peer);
                    retryDueNs.addLast(System.nanoTime() + RETRY_DELAY_NS);
                    break;
                case IdleProtocol.PING:
                    write(peer, protocol.pongBytes());
                    break;
                case IdleProtocol.REFUSED:
                    failure = "idle peers: the server refused " + peer.name +
                        (null == peer.source ? "" : " from " + peer.source.getHostAddress()) + " after " + confirmed +
                        " were registered: " + line + (line.contains("protected mode") ?
                        " (redis-server admits only 127.0.0.1 in protected mode: start it with --protected-mode no)" :
                        "");
                    break;
                case IdleProtocol.UNEXPECTED:
                    failure = "idle peers: unexpected reply to " + peer.name + " during registration (another " +
                        "loadgen with the same --name-prefix?): " + line;
                    break;
                default:
                    break;
            }
        }

        private void write(final Peer peer, final byte[] bytes)
        {
            try
            {
                if (null != peer.pendingWrite)
                {
                    final ByteBuffer both = ByteBuffer.allocate(peer.pendingWrite.remaining() + bytes.length);
                    peer.pendingWrite = both.put(peer.pendingWrite).put(bytes).flip();
                }
                else
                {
                    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
                    peer.channel.write(buffer);
                    if (buffer.hasRemaining())
                    {
                        peer.pendingWrite = buffer;
                        peer.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    }
                }
            }
            catch (final IOException ex)
            {
                failure = "idle peers: cannot write to " + peer.name + ": " + ex.getMessage();
            }
        }

        private String hint(final IOException ex)
        {
            final String message = String.valueOf(ex.getMessage());
            if (message.contains("Cannot assign requested address") || message.contains("Address already in use"))
            {
                return " (no free local port: the ephemeral ports of this source address are taken, by connections " +
                    "or by earlier ones in TIME_WAIT; wait a minute, or use fewer peers)";
            }
            if (message.contains("Too many open files"))
            {
                return " (the process's file limit, ulimit -n, is too low for this many connections)";
            }
            return "";
        }
    }

    private static void flushPending(final Peer peer) throws IOException
    {
        if (null == peer.pendingWrite)
        {
            return;
        }
        peer.channel.write(peer.pendingWrite);
        if (!peer.pendingWrite.hasRemaining())
        {
            peer.pendingWrite = null;
            peer.key.interestOps(SelectionKey.OP_READ);
        }
    }

    /**
     * Feeds bytes of the buffer into the peer's current line up to the next line end.
     *
     * @return true when a line ended (its first bytes are in {@code peer.line}, its length in {@code lineLength}).
     */
    private static boolean nextLine(final Peer peer, final ByteBuffer buffer)
    {
        while (buffer.hasRemaining())
        {
            final byte b = buffer.get();
            if (b == '\n')
            {
                return true;
            }
            if (peer.lineLength < LINE_PREFIX_BYTES)
            {
                peer.line[peer.lineLength] = b;
            }
            peer.lineLength++;
        }
        return false;
    }

    /** @return the line's kept bytes as text, without a trailing CR. */
    private static String lineText(final Peer peer)
    {
        int length = Math.min(peer.lineLength, LINE_PREFIX_BYTES);
        if (peer.lineLength <= LINE_PREFIX_BYTES && length > 0 && peer.line[length - 1] == '\r')
        {
            length--;
        }
        return new String(peer.line, 0, length, StandardCharsets.US_ASCII);
    }

    /** Starts the {@code loadgen-idle} thread that holds every peer until {@link #close()}. Calling thread, once. */
    public void startHolding()
    {
        if (null != holder)
        {
            throw new IllegalStateException("already holding");
        }
        holding = true;
        holder = new Thread(this::hold, "loadgen-idle");
        holder.setDaemon(true);
        holder.start();
    }

    private void hold()
    {
        try
        {
            while (holding)
            {
                selector.select(HOLD_SELECT_MS);
                for (final SelectionKey key : selector.selectedKeys())
                {
                    onHeldReady((Peer)key.attachment(), key);
                }
                selector.selectedKeys().clear();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            synchronized (problems)
            {
                problems.add("the idle peers' thread failed: " + ex);
            }
        }
    }

    private void onHeldReady(final Peer peer, final SelectionKey key)
    {
        try
        {
            if (key.isValid() && key.isWritable())
            {
                flushPending(peer);
            }
            if (!key.isValid() || !key.isReadable())
            {
                return;
            }
            readBuffer.clear();
            if (peer.channel.read(readBuffer) < 0)
            {
                onDisconnect(peer, key, "closed by the server");
                return;
            }
            readBuffer.flip();
            while (readBuffer.hasRemaining())
            {
                if (!nextLine(peer, readBuffer))
                {
                    break;
                }
                final boolean truncated = peer.lineLength > LINE_PREFIX_BYTES;
                final String line = lineText(peer);
                peer.lineLength = 0;
                final int kind = protocol.onLine(peer.name, line, truncated);
                if (kind == IdleProtocol.PING)
                {
                    final ByteBuffer pong = ByteBuffer.wrap(protocol.pongBytes());
                    if (null == peer.pendingWrite)
                    {
                        peer.channel.write(pong);
                        if (pong.hasRemaining())
                        {
                            peer.pendingWrite = pong;
                            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                        }
                    }
                }
                else if (kind != IdleProtocol.IGNORED)
                {
                    if (unexpectedLines.getAndIncrement() < 3)
                    {
                        addProblem("idle peer " + peer.name + " got: " + line);
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            onDisconnect(peer, key, ex.getMessage());
        }
    }

    private void onDisconnect(final Peer peer, final SelectionKey key, final String why)
    {
        key.cancel();
        closeQuietly(peer);
        if (disconnects.getAndIncrement() < 3)
        {
            addProblem("idle peer " + peer.name + " disconnected: " + why);
        }
    }

    private void addProblem(final String problem)
    {
        synchronized (problems)
        {
            problems.add(problem);
        }
    }

    /** @return N. */
    public int count()
    {
        return peers.length;
    }

    /** @return nanoseconds from the first connect to the last confirmation. */
    public long registerNs()
    {
        return registerNs;
    }

    /** @return the local addresses the peers were spread over; empty when the kernel chose (one address). */
    public List<InetAddress> sourceAddresses()
    {
        return sourceAddresses;
    }

    /** @return idle connections lost since they were registered. Any thread. */
    public long disconnects()
    {
        return disconnects.get();
    }

    /** @return lines an idle peer should never get (messages, errors), since they were registered. Any thread. */
    public long unexpectedLines()
    {
        return unexpectedLines.get();
    }

    /** @return the first few disconnects and unexpected lines, in words. Any thread. */
    public List<String> problems()
    {
        synchronized (problems)
        {
            return List.copyOf(problems);
        }
    }

    /** Stops the holder thread, if started, and closes every connection. Calling thread; idempotent. */
    @Override
    public void close()
    {
        holding = false;
        if (null != holder)
        {
            selector.wakeup();
            try
            {
                holder.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        closeAll(peers);
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // Closing at the end of a run.
        }
    }

    private static void closeAll(final Peer[] peers)
    {
        for (final Peer peer : peers)
        {
            closeQuietly(peer);
        }
    }

    private static void closeQuietly(final Peer peer)
    {
        if (null != peer && null != peer.channel && !peer.closed)
        {
            peer.closed = true;
            try
            {
                peer.channel.close();
            }
            catch (final IOException ignore)
            {
                // Nothing to do about it.
            }
        }
    }
}
