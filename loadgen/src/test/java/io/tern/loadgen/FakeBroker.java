/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny broker for tests: speaks the line protocol with blocking sockets and a thread per connection, on loopback
 * port 0, and misbehaves on one routed message: drops it, delivers it twice, corrupts it, delivers it after the next
 * one to the same peer, or cuts its receiver as a slow consumer. Only for these faults, which the real broker cannot
 * be made to produce on demand; every run that should be clean runs against the real broker.
 * <p>
 * Probe messages (text {@code probe}) and the client's sync lines are routed normally and do not count as routed
 * messages.
 */
final class FakeBroker implements AutoCloseable
{
    enum Fault
    {
        DROP, DUPLICATE, CORRUPT, SWAP_WITH_NEXT, SLOW_CONSUMER
    }

    private final ServerSocket serverSocket;
    private final Fault fault;
    private final long faultyIndex;
    private final AtomicLong routed = new AtomicLong();
    private final AtomicLong faultsApplied = new AtomicLong();
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private static final class Peer
    {
        final String name;
        final Socket socket;
        final OutputStream out;
        byte[] held;

        Peer(final String name, final Socket socket, final OutputStream out)
        {
            this.name = name;
            this.socket = socket;
            this.out = out;
        }
    }

    /**
     * @param fault       what to do to one message.
     * @param faultyIndex which routed delivery (counting from 0 over all peers, probes excluded) to do it to.
     */
    FakeBroker(final Fault fault, final long faultyIndex) throws IOException
    {
        this.fault = fault;
        this.faultyIndex = faultyIndex;
        serverSocket = new ServerSocket();
        serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final Thread acceptor = new Thread(this::acceptLoop, "fake-broker-acceptor");
        acceptor.setDaemon(true);
        threads.add(acceptor);
        acceptor.start();
    }

    int port()
    {
        return serverSocket.getLocalPort();
    }

    /** @return how many times the fault was applied (0 or 1). */
    long faultsApplied()
    {
        return faultsApplied.get();
    }

    /** @return deliveries of non-probe messages routed so far. */
    long routed()
    {
        return routed.get();
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            try
            {
                final Socket socket = serverSocket.accept();
                socket.setTcpNoDelay(true);
                sockets.add(socket);
                final Thread reader = new Thread(() -> serve(socket), "fake-broker-conn");
                reader.setDaemon(true);
                threads.add(reader);
                reader.start();
            }
            catch (final IOException ex)
            {
                return; // closed
            }
        }
    }

    private void serve(final Socket socket)
    {
        Peer self = null;
        try (socket)
        {
            final InputStream in = new BufferedInputStream(socket.getInputStream(), 65536);
            final OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            final String name = readLine(in);
            if (null == name)
            {
                return;
            }
            final Peer peer = new Peer(name, socket, out);
            if (null != peers.putIfAbsent(name, peer))
            {
                write(peer, ("error: name '" + name + "' is taken\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            }
            self = peer;
            for (String line = readLine(in); null != line; line = readLine(in))
            {
                route(peer, line, in.available() == 0);
            }
        }
        catch (final IOException ex)
        {
            // connection gone
        }
        finally
        {
            if (null != self)
            {
                peers.remove(self.name, self);
            }
        }
    }

    private void route(final Peer sender, final String line, final boolean flush) throws IOException
    {
        final int colon = line.indexOf(':');
        if (colon < 0)
        {
            return;
        }
        final String text = line.substring(colon + 1).strip();
        // The client's sync lines (registration, flush) go back to their sender, like probes, and are not counted.
        final boolean probe = text.equals("probe") || text.startsWith("~tern-client-sync ");
        for (final String destination : line.substring(0, colon).split(","))
        {
            final String name = destination.strip();
            final Peer target = peers.get(name);
            if (null == target)
            {
                write(sender, ("error: no peer '" + name + "'\n").getBytes(StandardCharsets.US_ASCII));
                continue;
            }
            final byte[] bytes = ("from " + sender.name + ": " + text + "\n").getBytes(StandardCharsets.US_ASCII);
            if (probe)
            {
                write(target, bytes);
                continue;
            }
            final long index = routed.getAndIncrement();
            if (index != faultyIndex)
            {
                write(target, bytes);
                continue;
            }
            faultsApplied.incrementAndGet();
            switch (fault)
            {
                case DROP:
                    break;
                case DUPLICATE:
                    write(target, bytes);
                    write(target, bytes);
                    break;
                case CORRUPT:
                    // change one padding/header byte to another valid-looking byte: only the checksum can tell
                    final int at = bytes.length - 10;
                    bytes[at] = (byte)(bytes[at] == 'a' ? 'b' : 'a');
                    write(target, bytes);
                    break;
                case SLOW_CONSUMER:
                    // what a real broker does to a reader that falls behind: tell it, then disconnect it
                    write(target, "error: slow consumer\n".getBytes(StandardCharsets.US_ASCII));
                    synchronized (target)
                    {
                        target.out.flush();
                        target.socket.close();
                    }
                    break;
                default:
                    synchronized (target)
                    {
                        target.held = bytes;
                    }
                    break;
            }
        }
        if (flush)
        {
            flushAll();
        }
    }

    private void write(final Peer peer, final byte[] bytes) throws IOException
    {
        synchronized (peer)
        {
            try
            {
                peer.out.write(bytes);
                if (null != peer.held && bytes != peer.held)
                {
                    final byte[] held = peer.held;
                    peer.held = null;
                    peer.out.write(held);
                }
            }
            catch (final IOException ex)
            {
                // the target went away; like a broker, carry on for the others
            }
        }
    }

    private void flushAll()
    {
        for (final Peer peer : peers.values())
        {
            synchronized (peer)
            {
                try
                {
                    peer.out.flush();
                }
                catch (final IOException ex)
                {
                    // the target went away
                }
            }
        }
    }

    private static String readLine(final InputStream in) throws IOException
    {
        final StringBuilder sb = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read())
        {
            if (b == '\n')
            {
                final int length = sb.length();
                return length > 0 && sb.charAt(length - 1) == '\r' ? sb.substring(0, length - 1) : sb.toString();
            }
            sb.append((char)b);
        }
        return null;
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        serverSocket.close();
        for (final Socket socket : sockets)
        {
            socket.close();
        }
        for (final Thread thread : threads)
        {
            try
            {
                thread.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
