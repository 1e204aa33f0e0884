/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.tern.transport.TlsContexts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A blocking line-protocol client over a real loopback socket, for black-box broker tests.
 * <p>
 * Lines are split on {@code \n} only, so a {@code \r} the broker passes through stays visible; the returned line
 * never includes the {@code \n}. Every read has a deadline and fails the test when it passes, so a test never hangs
 * on a silent broker. Reads and writes may be done by two different threads (one reader, one writer), but not by
 * several readers or several writers at once.
 * <p>
 * Public for the campaign tests in {@code io.tern.broker.campaign}, which connect with a longer default timeout.
 */
public final class LineClient implements AutoCloseable
{
    /**
     * The default timeout unless one is given to {@link #connect(InetSocketAddress, int, Duration)}. Generous: the
     * machine has two cores shared with the broker and a developer.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Duration defaultTimeout;
    private volatile String name;

    private byte[] buffer = new byte[64 * 1024];
    private int start;    // first unread byte in buffer
    private int end;      // one past the last byte read from the socket
    private int scanFrom; // bytes in [start, scanFrom) are known to hold no '\n'
    private boolean eof;

    private LineClient(final Socket socket, final Duration defaultTimeout) throws IOException
    {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.defaultTimeout = defaultTimeout;
        this.name = "client" + socket.getLocalSocketAddress();
    }

    /**
     * Connects to the broker, with the {@link #DEFAULT_TIMEOUT}.
     *
     * @param address the address the broker actually bound.
     * @return a connected client that has sent nothing.
     */
    public static LineClient connect(final InetSocketAddress address) throws IOException
    {
        return connect(address, 0);
    }

    /**
     * Connects with a given receive buffer, set before connecting so that the TCP window is small from the start:
     * a client that then stops reading backs the broker up after a few KiB instead of megabytes. Uses the
     * {@link #DEFAULT_TIMEOUT}.
     *
     * @param address            the address the broker actually bound.
     * @param receiveBufferBytes SO_RCVBUF, or 0 for the system default.
     * @return a connected client that has sent nothing.
     */
    public static LineClient connect(final InetSocketAddress address, final int receiveBufferBytes) throws IOException
    {
        return connect(address, receiveBufferBytes, DEFAULT_TIMEOUT);
    }

    /**
     * Connects with a given receive buffer (see {@link #connect(InetSocketAddress, int)}) and default timeout.
     *
     * @param address            the address the broker actually bound.
     * @param receiveBufferBytes SO_RCVBUF, or 0 for the system default.
     * @param defaultTimeout     for the connect itself and for every wait that is not given a timeout of its own:
     *                           {@link #readLine()}, {@link #expectLine(String)}, {@link #expectLineBytes(byte[])}
     *                           and {@link #awaitClosed()}.
     * @return a connected client that has sent nothing.
     */
    public static LineClient connect(
        final InetSocketAddress address, final int receiveBufferBytes, final Duration defaultTimeout) throws IOException
    {
        final Socket socket = new Socket();
        try
        {
            if (receiveBufferBytes > 0)
            {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.setTcpNoDelay(true);
            socket.connect(address, (int)defaultTimeout.toMillis());
            return new LineClient(socket, defaultTimeout);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /**
     * Connects over TLS: an {@code SSLSocket} from {@code context}, which must trust the broker's certificate (and
     * holds the client's key if the broker asks for one). The handshake runs on connecting, so a refused certificate
     * fails here with an {@code SSLException}.
     *
     * @param address            the broker's TLS port.
     * @param context            the client's TLS context.
     * @param receiveBufferBytes SO_RCVBUF, or 0 for the system default.
     * @param defaultTimeout     as for {@link #connect(InetSocketAddress, int, Duration)}; bounds the handshake too.
     * @return a connected client that has sent nothing.
     */
    public static LineClient connectTls(
        final InetSocketAddress address,
        final SSLContext context,
        final int receiveBufferBytes,
        final Duration defaultTimeout) throws IOException
    {
        final SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket();
        try
        {
            socket.setSSLParameters(TlsContexts.parameters(context));
            if (receiveBufferBytes > 0)
            {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.setTcpNoDelay(true);
            socket.connect(address, (int)defaultTimeout.toMillis());
            socket.setSoTimeout((int)defaultTimeout.toMillis());
            socket.startHandshake();
            return new LineClient(socket, defaultTimeout);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /**
     * Connects from a given local address, e.g. {@code 127.0.0.2} (Linux routes all of 127/8 to loopback), so that
     * a test can play clients on several hosts.
     *
     * @param address        the address the broker actually bound.
     * @param localAddress   the address to connect from (any free port).
     * @param defaultTimeout as in {@link #connect(InetSocketAddress, int, Duration)}.
     * @return a connected client that has sent nothing.
     */
    public static LineClient connectFrom(
        final InetSocketAddress address, final java.net.InetAddress localAddress, final Duration defaultTimeout)
        throws IOException
    {
        final Socket socket = new Socket();
        try
        {
            socket.setTcpNoDelay(true);
            socket.bind(new InetSocketAddress(localAddress, 0));
            socket.connect(address, (int)defaultTimeout.toMillis());
            return new LineClient(socket, defaultTimeout);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex;
        }
    }

    /**
     * A client over a socket the test made itself (e.g. an {@code SSLSocket} layered over a plain one it keeps, to
     * write raw bytes underneath), connected.
     *
     * @param socket         a connected socket.
     * @param defaultTimeout for every wait that is not given a timeout of its own.
     * @return the client.
     */
    public static LineClient over(final Socket socket, final Duration defaultTimeout) throws IOException
    {
        socket.setSoTimeout((int)defaultTimeout.toMillis());
        return new LineClient(socket, defaultTimeout);
    }

    /** @return the peer name this client registered (or a placeholder), used in failure messages and probes. */
    public String name()
    {
        return name;
    }

    public LineClient name(final String name)
    {
        this.name = name;
        return this;
    }

    /**
     * The underlying socket, for a test that reads or configures it directly. Bytes read from its input stream
     * bypass this client's buffer, so do not mix such reads with this client's own reads of the same bytes.
     *
     * @return the connected socket.
     */
    public Socket socket()
    {
        return socket;
    }

    /** Sends {@code line + "\n"} encoded as UTF-8, in one write. */
    public void send(final String line) throws IOException
    {
        sendRaw((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Sends exactly these bytes, in one write. */
    public void sendRaw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    /** Sends these bytes one write per byte (TCP_NODELAY is on), so the broker sees a line in many pieces. */
    public void sendByteByByte(final byte[] bytes) throws IOException
    {
        for (final byte b : bytes)
        {
            out.write(b);
            out.flush();
        }
    }

    /** Half-closes: the broker reads end-of-stream after everything sent so far. */
    public void shutdownOutput() throws IOException
    {
        socket.shutdownOutput();
    }

    /** Closes abortively: SO_LINGER 0 makes the kernel send RST, as when a client crashes or its link fails. */
    public void abort() throws IOException
    {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /**
     * Reads the next line as raw bytes, failing the test if none arrives within the timeout or the connection ends.
     *
     * @param timeout how long to wait for the whole line.
     * @return the line without its {@code \n}.
     */
    public byte[] readLineBytes(final Duration timeout) throws IOException
    {
        return readLineBytes(timeout, "a line");
    }

    private byte[] readLineBytes(final Duration timeout, final String waitingFor) throws IOException
    {
        return readLineBytes(timeout, waitingFor, false);
    }

    /**
     * Reads the next line, failing the test if none arrives in time.
     *
     * @param timeout     how long to wait for the whole line.
     * @param waitingFor  what the failure message says the test was waiting for.
     * @param endExpected true to return null when the connection ends (end-of-stream or reset) with no complete
     *                    line left, false to fail the test then.
     * @return the line without its {@code \n}, or null at the end when {@code endExpected}.
     */
    private byte[] readLineBytes(final Duration timeout, final String waitingFor, final boolean endExpected)
        throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final byte[] line = nextBufferedLine();
            if (null != line)
            {
                return line;
            }
            if (eof)
            {
                if (endExpected)
                {
                    return null;
                }
                fail(name + ": connection closed by the broker while waiting for " + waitingFor + partialDescription());
            }
            try
            {
                fill(deadlineNs, timeout, waitingFor);
            }
            catch (final SocketException ex)
            {
                if (endExpected)
                {
                    eof = true; // a reset is an end too
                }
                else
                {
                    fail(name + ": connection failed (" + ex.getMessage() + ") while waiting for " + waitingFor +
                        partialDescription(), ex);
                }
            }
        }
    }

    public String readLine(final Duration timeout) throws IOException
    {
        return new String(readLineBytes(timeout), StandardCharsets.UTF_8);
    }

    public String readLine() throws IOException
    {
        return readLine(defaultTimeout);
    }

    /**
     * Reads the next line or the end of the connection, failing the test if neither comes within the timeout.
     *
     * @param timeout how long to wait for the whole line or the end.
     * @return the line without its {@code \n}, or null at end-of-stream or reset with no complete line left (see
     * {@link #trailingFragment()} for a partial one).
     */
    public String readLineOrEof(final Duration timeout) throws IOException
    {
        final byte[] line = readLineBytes(timeout, "a line or the end of the connection", true);
        return null == line ? null : new String(line, StandardCharsets.UTF_8);
    }

    /** Reads the next line and asserts it equals {@code expected}. */
    public void expectLine(final String expected) throws IOException
    {
        final String actual = new String(readLineBytes(defaultTimeout, "the line " + abbreviate(expected)),
            StandardCharsets.UTF_8);
        assertEquals(expected, actual, name + " received an unexpected line");
    }

    /** Reads the next line and asserts its bytes equal {@code expected} (which has no {@code \n}). */
    public void expectLineBytes(final byte[] expected) throws IOException
    {
        final byte[] actual = readLineBytes(defaultTimeout, "the line " + printable(expected));
        assertArrayEquals(expected, actual, () -> name + " received an unexpected line: expected " +
            printable(expected) + " but was " + printable(actual));
    }

    /**
     * Asserts the broker closes this connection (end-of-stream or reset) within the timeout, reading and returning
     * whatever complete lines arrive before that.
     *
     * @param timeout how long the broker has to close the connection.
     * @return the complete lines received before the close; see {@link #trailingFragment()} for a partial one.
     */
    public List<String> awaitClosed(final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final List<String> lines = new ArrayList<>();
        while (true)
        {
            byte[] line;
            while (null != (line = nextBufferedLine()))
            {
                lines.add(new String(line, StandardCharsets.UTF_8));
            }
            if (eof)
            {
                return lines;
            }
            try
            {
                fill(deadlineNs, timeout, "the broker to close the connection (lines so far: " + tail(lines) + ")");
            }
            catch (final SocketException | javax.net.ssl.SSLException ex)
            {
                // A reset is a close too: the broker may abort a connection it gives up on (over TLS the socket may
                // report it as a TLS failure).
                eof = true;
            }
        }
    }

    public List<String> awaitClosed() throws IOException
    {
        return awaitClosed(defaultTimeout);
    }

    /** @return bytes received after the last {@code \n}, e.g. after {@link #awaitClosed(Duration)}; usually empty. */
    public String trailingFragment()
    {
        return new String(buffer, start, end - start, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }

    private byte[] nextBufferedLine()
    {
        for (int i = scanFrom; i < end; i++)
        {
            if (buffer[i] == '\n')
            {
                final byte[] line = Arrays.copyOfRange(buffer, start, i);
                start = i + 1;
                scanFrom = start;
                return line;
            }
        }
        scanFrom = end;
        return null;
    }

    private void fill(final long deadlineNs, final Duration timeout, final String waitingFor) throws IOException
    {
        final long remainingMs = (deadlineNs - System.nanoTime()) / 1_000_000;
        if (remainingMs <= 0)
        {
            fail(name + ": timed out after " + timeout.toMillis() + " ms waiting for " + waitingFor +
                partialDescription());
        }
        if (start > 0)
        {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            scanFrom -= start;
            start = 0;
        }
        if (end == buffer.length)
        {
            buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        socket.setSoTimeout((int)Math.min(Integer.MAX_VALUE, remainingMs));
        final int read;
        try
        {
            read = in.read(buffer, end, buffer.length - end);
        }
        catch (final SocketTimeoutException ex)
        {
            fail(name + ": timed out after " + timeout.toMillis() + " ms waiting for " + waitingFor +
                partialDescription());
            return;
        }
        if (read < 0)
        {
            eof = true;
        }
        else
        {
            end += read;
        }
    }

    private String partialDescription()
    {
        return end > start ? "; received without '\\n': " + printable(Arrays.copyOfRange(buffer, start,
            Math.min(end, start + 200))) : "";
    }

    private static String abbreviate(final String line)
    {
        return line.length() <= 80 ? "\"" + line + "\"" : "\"" + line.substring(0, 80) + "...\"";
    }

    private static String tail(final List<String> lines)
    {
        return lines.size() <= 5 ? lines.toString() : lines.size() + " lines ending " +
            lines.subList(lines.size() - 5, lines.size());
    }

    /** Shows bytes for a failure message: printable ASCII as is, everything else as \xNN. */
    public static String printable(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder("\"");
        final int shown = Math.min(bytes.length, 300);
        for (int i = 0; i < shown; i++)
        {
            final int b = bytes[i] & 0xFF;
            if (b >= 0x20 && b < 0x7F && b != '\\')
            {
                sb.append((char)b);
            }
            else
            {
                sb.append(String.format("\\x%02X", b));
            }
        }
        if (shown < bytes.length)
        {
            sb.append("...(").append(bytes.length).append(" bytes)");
        }
        return sb.append('"').toString();
    }
}
