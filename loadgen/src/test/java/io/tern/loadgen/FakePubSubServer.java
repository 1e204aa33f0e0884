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
 * What the in-test fake NATS and Redis servers share: blocking sockets and a thread per connection on loopback port
 * 0, a subject (channel) to subscribers map, and routing of publishes that can misbehave on one message: drop it,
 * deliver it twice, corrupt one byte of it, or (Redis) report that it reached the wrong number of subscribers.
 * <p>
 * Probe messages (payload {@code probe}) are routed normally and do not count as routed messages.
 */
abstract class FakePubSubServer implements AutoCloseable
{
    enum Fault
    {
        NONE, DROP, DUPLICATE, CORRUPT, WRONG_REACH
    }

    /** One client connection; writes are serialised on it. */
    static final class Client
    {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(final Socket socket) throws IOException
        {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 65536);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 65536);
        }

        synchronized void write(final byte[]... parts)
        {
            try
            {
                for (final byte[] part : parts)
                {
                    out.write(part);
                }
            }
            catch (final IOException ex)
            {
                // the client went away; like a server, carry on for the others
            }
        }

        synchronized void flush()
        {
            try
            {
                out.flush();
            }
            catch (final IOException ex)
            {
                // the client went away
            }
        }
    }

    /** One subscription of a client: NATS has a sid per subscription, Redis does not. */
    record Subscription(Client client, String sid)
    {
    }

    private final ServerSocket serverSocket;
    private final Fault fault;
    private final long faultyIndex;
    private final AtomicLong routed = new AtomicLong();
    private final AtomicLong faultsApplied = new AtomicLong();
    final Map<String, List<Subscription>> subscriptions = new ConcurrentHashMap<>();
    final List<Client> clients = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    FakePubSubServer(final Fault fault, final long faultyIndex, final String name) throws IOException
    {
        this.fault = fault;
        this.faultyIndex = faultyIndex;
        serverSocket = new ServerSocket();
        serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final Thread acceptor = new Thread(this::acceptLoop, name + "-acceptor");
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

    /** @return publishes of non-probe messages routed so far (one per subscriber reached). */
    long routed()
    {
        return routed.get();
    }

    /**
     * Serves one connection until it closes.
     *
     * @param client the connection.
     * @throws IOException when it fails.
     */
    abstract void serve(Client client) throws IOException;

    /**
     * Writes one message to a subscriber, in the protocol's framing.
     *
     * @param subscription who gets it.
     * @param subject      it was published to.
     * @param payload      its bytes.
     */
    abstract void deliver(Subscription subscription, String subject, byte[] payload);

    /**
     * Routes one publish to every subscriber of the subject, applying the fault to the chosen routed message.
     *
     * @param subject published to.
     * @param payload its bytes.
     * @return how many subscribers the server says it reached (wrong by one for the WRONG_REACH fault).
     */
    int publish(final String subject, final byte[] payload)
    {
        final List<Subscription> subscribers = subscriptions.getOrDefault(subject, List.of());
        final boolean probe = new String(payload, StandardCharsets.US_ASCII).equals("probe");
        int reached = 0;
        for (final Subscription subscription : subscribers)
        {
            reached++;
            if (probe)
            {
                deliver(subscription, subject, payload);
                continue;
            }
            final long index = routed.getAndIncrement();
            if (index != faultyIndex || fault == Fault.NONE)
            {
                deliver(subscription, subject, payload);
                continue;
            }
            faultsApplied.incrementAndGet();
            switch (fault)
            {
                case DROP:
                    break;
                case DUPLICATE:
                    deliver(subscription, subject, payload);
                    deliver(subscription, subject, payload);
                    break;
                case CORRUPT:
                    // one padding byte changed to another valid-looking byte: only the checksum can tell
                    final byte[] corrupted = payload.clone();
                    final int at = corrupted.length - 3;
                    corrupted[at] = (byte)(corrupted[at] == 'a' ? 'b' : 'a');
                    deliver(subscription, subject, corrupted);
                    break;
                default: // WRONG_REACH: delivered, but the reply says it reached one more
                    deliver(subscription, subject, payload);
                    reached++;
                    break;
            }
        }
        return reached;
    }

    void flushAll()
    {
        for (final Client client : clients)
        {
            client.flush();
        }
    }

    void unsubscribeAll(final Client client)
    {
        for (final List<Subscription> list : subscriptions.values())
        {
            list.removeIf(s -> s.client() == client);
        }
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            try
            {
                final Socket socket = serverSocket.accept();
                socket.setTcpNoDelay(true);
                final Client client = new Client(socket);
                clients.add(client);
                final Thread reader = new Thread(() ->
                {
                    try (socket)
                    {
                        serve(client);
                    }
                    catch (final IOException ex)
                    {
                        // connection gone
                    }
                    finally
                    {
                        clients.remove(client);
                        unsubscribeAll(client);
                    }
                }, "fake-server-conn");
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

    /** @return bytes up to CRLF (or LF), without it; null at end of stream. */
    static String readLine(final InputStream in) throws IOException
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

    /** Reads exactly n bytes and the CRLF after them. */
    static byte[] readPayload(final InputStream in, final int length) throws IOException
    {
        final byte[] bytes = in.readNBytes(length);
        if (bytes.length != length || in.read() != '\r' || in.read() != '\n')
        {
            throw new IOException("short payload or no CRLF after it");
        }
        return bytes;
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        serverSocket.close();
        for (final Client client : clients)
        {
            client.socket.close();
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
