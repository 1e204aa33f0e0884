/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.TlsChannel;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * One connection to the broker: a non-blocking socket with {@code TCP_NODELAY}, and over it the broker's own
 * {@link TlsChannel} when TLS is on, its handshake done by {@link #open}. The thread that opened it then reads and
 * writes it (the client's I/O thread).
 */
final class ClientChannel implements AutoCloseable
{
    private static final long HANDSHAKE_POLL_MS = 10;

    final SocketChannel socket;
    final TlsChannel tls;
    /** What reads and writes go through: {@link #socket}, or {@link #tls} over it. */
    final ByteChannel io;

    private ClientChannel(final SocketChannel socket, final TlsChannel tls)
    {
        this.socket = socket;
        this.tls = tls;
        this.io = null != tls ? tls : socket;
    }

    /**
     * Connects, then over TLS completes the handshake (the broker's certificate checked against the context's trust
     * store and against {@code serverName}).
     *
     * @param address    of the broker.
     * @param context    TLS, or null for plain TCP.
     * @param serverName what the certificate must name.
     * @param scratch    where plaintext arriving with the end of the handshake goes (fill mode).
     * @param deadlineNs to be done by.
     * @return the open connection, non-blocking, registered with no selector.
     * @throws IOException when it cannot connect or the handshake fails, or the deadline passes.
     */
    static ClientChannel open(
        final InetSocketAddress address, final SSLContext context, final String serverName, final ByteBuffer scratch,
        final long deadlineNs) throws IOException
    {
        final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
        if (remainingMs <= 0)
        {
            throw new IOException("timed out connecting to " + address);
        }
        final SocketChannel socket = SocketChannel.open();
        TlsChannel tls = null;
        try
        {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            socket.socket().connect(address, (int)Math.min(Integer.MAX_VALUE, remainingMs));
            socket.configureBlocking(false);
            if (null != context)
            {
                tls = TlsChannel.client(context, socket, serverName);
                handshake(tls, socket, scratch, deadlineNs);
            }
            return new ClientChannel(socket, tls);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != tls)
            {
                tls.close();
            }
            socket.close();
            throw ex;
        }
    }

    private static void handshake(
        final TlsChannel tls, final SocketChannel socket, final ByteBuffer scratch, final long deadlineNs)
        throws IOException
    {
        try (Selector selector = Selector.open())
        {
            final SelectionKey key = socket.register(selector, 0);
            while (tls.isHandshaking() || tls.hasPendingOutput())
            {
                if (tls.hasPendingOutput())
                {
                    tls.flush();
                }
                // A read drives the handshake: unwraps what came, wraps what is due, runs delegated tasks.
                if (tls.read(scratch) < 0)
                {
                    throw new IOException("the broker closed the connection during the TLS handshake (is this its " +
                        "TLS port?)");
                }
                if (!tls.isHandshaking() && !tls.hasPendingOutput())
                {
                    break;
                }
                if (tls.hasBufferedInput())
                {
                    continue;
                }
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    throw new IOException("timed out in the TLS handshake");
                }
                key.interestOps(SelectionKey.OP_READ | (tls.hasPendingOutput() ? SelectionKey.OP_WRITE : 0));
                selector.select(Math.max(1, Math.min(HANDSHAKE_POLL_MS, TimeUnit.NANOSECONDS.toMillis(remainingNs))));
                selector.selectedKeys().clear();
            }
            key.cancel();
            selector.selectNow(); // completes the cancellation so the socket can join the client's selector
        }
    }

    /** @return true when a read may return more without the socket becoming readable (TLS records held). */
    boolean hasBufferedInput()
    {
        return null != tls && tls.hasBufferedInput();
    }

    /** @return true when TLS records are made and not yet on the socket. */
    boolean hasPendingOutput()
    {
        return null != tls && tls.hasPendingOutput();
    }

    /** Sends a TLS close_notify if it can, and closes the socket. */
    @Override
    public void close()
    {
        try
        {
            if (null != tls)
            {
                tls.close();
            }
            socket.close();
        }
        catch (final IOException ignore)
        {
            // Closing a connection that is over either way.
        }
    }
}
