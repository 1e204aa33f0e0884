/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.transport.TlsChannel;
import io.tern.transport.TlsContexts;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The loadgen's side of TLS ({@code --tls}): one client {@link SSLContext}, and the handshake of each connection,
 * done before anything is measured.
 * <pre>
 *   openChannel (plain TCP, non-blocking) --&gt; [NATS: read the plain INFO line] --&gt; secure(): TlsChannel over it,
 *   handshake driven to its end here --&gt; the peer reads and writes plaintext through the TlsChannel
 * </pre>
 * The server's certificate is verified against the trusted CAs and against the host the loadgen connects to (the
 * name or address given as {@code --host}), as any client that cares must. Once a connection's handshake is over, its
 * sender thread only writes to its {@link TlsChannel} and its receiver thread only reads from it.
 * <p>
 * Calling thread only (registration), like the rest of connecting: it keeps one selector for waiting on handshakes.
 */
public final class ClientTls implements AutoCloseable
{
    private static final long POLL_MS = 10;
    private static final int MAX_PLAIN_LINE_BYTES = 16 * 1024;

    private final SSLContext context;
    private final String host;
    private Selector selector;

    private ClientTls(final SSLContext context, final String host)
    {
        this.context = context;
        this.host = host;
    }

    /**
     * @param host   the server's name or address as given, which its certificate must match.
     * @param caFile CA certificates to trust (PEM bundle or PKCS#12), or null for the JDK's default CAs.
     * @param cert   a client certificate chain (PEM) to present, or null for none.
     * @param key    its PKCS#8 PEM private key, or null.
     * @return the client side of TLS.
     * @throws IllegalArgumentException naming the file that cannot be used and why.
     */
    public static ClientTls of(final String host, final Path caFile, final Path cert, final Path key)
    {
        final SSLContext context = null != cert ?
            TlsContexts.fromPem(cert, key, caFile, null) : TlsContexts.forTrustOnly(caFile, null);
        return new ClientTls(context, host);
    }

    /**
     * @param channel connected, non-blocking.
     * @param server  its address.
     * @param what    names the connection in errors.
     * @return a client TLS channel over it (TLSv1.3 or TLSv1.2, the server's certificate checked against the trusted
     * CAs and against --host), its handshake not yet done: see {@link #handshake}.
     * @throws RegistrationException if the engine cannot start.
     */
    /** @return the context every connection's engine comes from (tern's clients take it as their TLS setting). */
    SSLContext context()
    {
        return context;
    }

    /** @return the server's name or address, which its certificate must match. */
    String host()
    {
        return host;
    }

    TlsChannel start(final SocketChannel channel, final InetSocketAddress server, final String what)
        throws RegistrationException
    {
        try
        {
            return TlsChannel.client(context, channel, host);
        }
        catch (final IOException ex)
        {
            throw new RegistrationException("TLS: cannot start on " + what + " to " + server + ": " + ex, ex);
        }
    }

    /**
     * Completes the handshake of a channel from {@link #start}; closes it if that fails.
     *
     * @param tls        the TLS channel.
     * @param channel    the socket under it, registered with no selector.
     * @param server     its address.
     * @param what       names the connection in errors.
     * @param scratch    where any plaintext that arrives with the end of the handshake is kept (fill mode).
     * @param deadlineNs to be done by.
     * @throws RegistrationException when the handshake fails (e.g. the certificate is not trusted) or times out.
     */
    void handshake(
        final TlsChannel tls,
        final SocketChannel channel,
        final InetSocketAddress server,
        final String what,
        final ByteBuffer scratch,
        final long deadlineNs) throws RegistrationException
    {
        try
        {
            final SelectionKey key = channel.register(selector(), 0);
            try
            {
                while (tls.isHandshaking() || tls.hasPendingOutput())
                {
                    if (tls.hasPendingOutput())
                    {
                        tls.flush();
                    }
                    // A read drives the handshake: unwraps what came, wraps what is due, runs delegated tasks.
                    if (tls.read(scratch) < 0)
                    {
                        throw new RegistrationException("TLS: the server closed " + what + " during the handshake " +
                            "(does " + server + " speak TLS? see the server's log)");
                    }
                    if (!tls.isHandshaking() && !tls.hasPendingOutput())
                    {
                        break;
                    }
                    if (tls.hasBufferedInput())
                    {
                        continue;
                    }
                    await(key, tls.hasPendingOutput(), what, server, deadlineNs);
                }
            }
            finally
            {
                key.cancel();
                selector.selectNow(); // completes the cancellation so the channel can join another selector
            }
        }
        catch (final SSLException ex)
        {
            closeQuietly(tls);
            throw new RegistrationException("TLS: handshake of " + what + " with " + server + " failed: " +
                ex.getMessage() + hint(ex), ex);
        }
        catch (final IOException ex)
        {
            closeQuietly(tls);
            if (ex instanceof RegistrationException)
            {
                throw (RegistrationException)ex;
            }
            throw new RegistrationException("TLS: handshake of " + what + " with " + server + " failed: " + ex, ex);
        }
    }

    /**
     * Reads one line that the server sends in plain text before TLS starts (NATS: its INFO), without reading past it.
     *
     * @param channel    connected, non-blocking, registered with no selector.
     * @param what       names the connection in errors.
     * @param deadlineNs to be done by.
     * @return the line, without its line end.
     * @throws RegistrationException when none comes in time, or the connection closes.
     */
    String readPlainLine(final SocketChannel channel, final String what, final long deadlineNs)
        throws RegistrationException
    {
        // A byte at a time: nothing after the line may be taken, it is the server's first TLS record.
        final ByteBuffer one = ByteBuffer.allocate(1);
        final StringBuilder line = new StringBuilder();
        try
        {
            final SelectionKey key = channel.register(selector(), 0);
            try
            {
                while (line.length() < MAX_PLAIN_LINE_BYTES)
                {
                    one.clear();
                    final int read = channel.read(one);
                    if (read < 0)
                    {
                        throw new RegistrationException("the server closed " + what + " before its first line");
                    }
                    if (read == 0)
                    {
                        await(key, false, what, null, deadlineNs);
                        continue;
                    }
                    final char c = (char)(one.get(0) & 0xFF);
                    if (c == '\n')
                    {
                        final int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ?
                            line.length() - 1 : line.length();
                        return line.substring(0, end);
                    }
                    line.append(c);
                }
                throw new RegistrationException("the first line from the server on " + what + " is longer than " +
                    MAX_PLAIN_LINE_BYTES + " bytes: " + line.substring(0, 80));
            }
            finally
            {
                key.cancel();
                selector.selectNow();
            }
        }
        catch (final IOException ex)
        {
            if (ex instanceof RegistrationException)
            {
                throw (RegistrationException)ex;
            }
            throw new RegistrationException("reading the first line on " + what + " failed: " + ex, ex);
        }
    }

    private void await(
        final SelectionKey key, final boolean writable, final String what, final InetSocketAddress server,
        final long deadlineNs) throws IOException
    {
        final long remainingNs = deadlineNs - System.nanoTime();
        if (remainingNs <= 0)
        {
            throw new RegistrationException("TLS: timed out " + (null == server ? "waiting for the first line on " +
                what : "in the handshake of " + what + " with " + server));
        }
        key.interestOps(SelectionKey.OP_READ | (writable ? SelectionKey.OP_WRITE : 0));
        selector.select(Math.max(1, Math.min(POLL_MS, TimeUnit.NANOSECONDS.toMillis(remainingNs))));
        selector.selectedKeys().clear();
    }

    private Selector selector() throws IOException
    {
        if (null == selector)
        {
            selector = Selector.open();
        }
        return selector;
    }

    /** @return a few words on what to do about a failed handshake, or an empty String. */
    static String hint(final SSLException ex)
    {
        final String message = String.valueOf(ex.getMessage());
        if (message.contains("PKIX") || message.contains("certification path"))
        {
            return " (the server's certificate is not signed by a CA the loadgen trusts: give its CA with --tls-ca)";
        }
        if (message.contains("No subject alternative") || message.contains("doesn't match"))
        {
            return " (the server's certificate does not name --host: connect by a name or address it lists)";
        }
        if (message.contains("plaintext") || message.contains("Unsupported or unrecognized SSL message"))
        {
            return " (the server does not speak TLS on this port)";
        }
        return "";
    }

    private static void closeQuietly(final TlsChannel tls)
    {
        try
        {
            tls.close();
        }
        catch (final IOException ignore)
        {
            // Already failing with the handshake error.
        }
    }

    /** Closes the selector used for waiting; the connections are their peers' to close. */
    @Override
    public void close()
    {
        if (null != selector)
        {
            try
            {
                selector.close();
            }
            catch (final IOException ignore)
            {
                // Nothing registered with it any more.
            }
        }
    }
}
