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
import java.nio.channels.SocketChannel;

/**
 * One connection to the broker: a non-blocking socket with {@code TCP_NODELAY}, connected without blocking, and over
 * it the broker's own {@link TlsChannel} when TLS is on, its handshake driven step by step by the polling thread.
 */
final class ClientChannel implements AutoCloseable
{
    final SocketChannel socket;
    private TlsChannel tls;
    /** What reads and writes go through: {@link #socket}, or {@link #tls} over it. */
    private ByteChannel io;

    private ClientChannel(final SocketChannel socket)
    {
        this.socket = socket;
        this.io = socket;
    }

    /**
     * Starts connecting without blocking.
     *
     * @param address of the broker.
     * @return the connection, connected already or to be finished by {@link #finishConnect()}.
     * @throws IOException when the socket cannot be made or the connect fails at once.
     */
    static ClientChannel open(final InetSocketAddress address) throws IOException
    {
        final SocketChannel socket = SocketChannel.open();
        try
        {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            socket.configureBlocking(false);
            socket.connect(address);
            return new ClientChannel(socket);
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /** @return true once the TCP connection is up. */
    boolean finishConnect() throws IOException
    {
        return socket.isConnected() || socket.finishConnect();
    }

    /**
     * Puts TLS over the connected socket; {@link #handshake(ByteBuffer)} then drives the handshake.
     *
     * @param context    TLS.
     * @param serverName what the broker's certificate must name.
     */
    void startTls(final SSLContext context, final String serverName) throws IOException
    {
        tls = TlsChannel.client(context, socket, serverName);
        io = tls;
    }

    /** @return true over TLS. */
    boolean isTls()
    {
        return null != tls;
    }

    /** @return the TLS session, or null for a plain connection. */
    javax.net.ssl.SSLSession tlsSession()
    {
        final TlsChannel current = tls;
        return null == current ? null : current.session();
    }

    /**
     * One step of the TLS handshake, as far as the bytes that have come allow.
     *
     * @param scratch where plaintext arriving with the end of the handshake goes (fill mode).
     * @return true when the handshake is done and nothing of it waits to be written.
     * @throws IOException when the broker closes the connection or the handshake fails.
     */
    boolean handshake(final ByteBuffer scratch) throws IOException
    {
        while (true)
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
                return true;
            }
            if (!tls.hasBufferedInput())
            {
                return false;
            }
        }
    }

    /** Reads into the buffer, as {@link ByteChannel#read(ByteBuffer)}. */
    int read(final ByteBuffer buffer) throws IOException
    {
        return io.read(buffer);
    }

    /** Writes from the buffer, as {@link ByteChannel#write(ByteBuffer)}, after any TLS records still waiting. */
    int write(final ByteBuffer buffer) throws IOException
    {
        if (null != tls && tls.hasPendingOutput() && !tls.flush())
        {
            return 0;
        }
        return buffer.hasRemaining() ? io.write(buffer) : 0;
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
