/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A blocking line-protocol client over a loopback socket for the campaign (the package-private {@code LineClient}
 * of {@code io.tern.broker} is not visible here).
 * <p>
 * Lines are split on {@code \n} only; a returned line never includes it. Every read has a deadline and fails the
 * test when it passes. One reading thread and one writing thread at most.
 */
final class PeerClient implements AutoCloseable
{
    /** Generous: two cores shared with the broker, the fuzzers and other builds. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private volatile String name;

    private byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;
    private int scanFrom;
    private boolean eof;

    private PeerClient(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.name = "client" + socket.getLocalSocketAddress();
    }

    /**
     * Connects, with SO_RCVBUF set before connecting when {@code receiveBufferBytes > 0} so the TCP window is small
     * from the start.
     */
    static PeerClient connect(final InetSocketAddress address, final int receiveBufferBytes) throws IOException
    {
        final Socket socket = new Socket();
        try
        {
            if (receiveBufferBytes > 0)
            {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.setTcpNoDelay(true);
            socket.connect(address, (int)DEFAULT_TIMEOUT.toMillis());
            return new PeerClient(socket);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex;
        }
    }

    static PeerClient connect(final InetSocketAddress address) throws IOException
    {
        return connect(address, 0);
    }

    String name()
    {
        return name;
    }

    PeerClient name(final String name)
    {
        this.name = name;
        return this;
    }

    Socket socket()
    {
        return socket;
    }

    void send(final String line) throws IOException
    {
        sendRaw((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    void sendRaw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    void sendRaw(final byte[] bytes, final int offset, final int length) throws IOException
    {
        out.write(bytes, offset, length);
        out.flush();
    }

    void shutdownOutput() throws IOException
    {
        socket.shutdownOutput();
    }

    /** Closes abortively: SO_LINGER 0 makes the kernel send RST. */
    void abort() throws IOException
    {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }

    /** @return the next line, failing the test if none arrives within {@code timeout} or the connection ends. */
    String readLine(final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final byte[] line = nextBufferedLine();
            if (null != line)
            {
                return new String(line, StandardCharsets.UTF_8);
            }
            if (eof)
            {
                return fail(name + ": connection closed by the broker while waiting for a line" + partial());
            }
            try
            {
                if (!fill(deadlineNs))
                {
                    return fail(name + ": timed out after " + timeout.toMillis() + " ms waiting for a line" +
                        partial());
                }
            }
            catch (final SocketException ex)
            {
                return fail(name + ": connection failed (" + ex.getMessage() + ") waiting for a line" + partial(), ex);
            }
        }
    }

    String readLine() throws IOException
    {
        return readLine(DEFAULT_TIMEOUT);
    }

    /**
     * @return the next line, or null at end of stream (or reset) with no complete line left; fails on timeout.
     */
    String readLineOrEof(final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final byte[] line = nextBufferedLine();
            if (null != line)
            {
                return new String(line, StandardCharsets.UTF_8);
            }
            if (eof)
            {
                return null;
            }
            try
            {
                if (!fill(deadlineNs))
                {
                    return fail(name + ": timed out after " + timeout.toMillis() + " ms waiting for a line or EOF" +
                        partial());
                }
            }
            catch (final SocketException ex)
            {
                eof = true; // a reset is an end too
            }
        }
    }

    void expectLine(final String expected) throws IOException
    {
        assertEquals(expected, readLine(), name + " received an unexpected line");
    }

    /** Reads until the broker closes the connection, returning the complete lines received before that. */
    List<String> awaitClosed(final Duration timeout) throws IOException
    {
        final List<String> lines = new ArrayList<>();
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final String line = readLineOrEof(Duration.ofNanos(Math.max(1, deadlineNs - System.nanoTime())));
            if (null == line)
            {
                return lines;
            }
            lines.add(line);
        }
    }

    List<String> awaitClosed() throws IOException
    {
        return awaitClosed(DEFAULT_TIMEOUT);
    }

    /** @return bytes after the last {@code \n} received. */
    String trailingFragment()
    {
        return new String(buffer, start, end - start, StandardCharsets.UTF_8);
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

    /** @return false when the deadline has passed with nothing read. */
    private boolean fill(final long deadlineNs) throws IOException
    {
        final long remainingMs = (deadlineNs - System.nanoTime()) / 1_000_000;
        if (remainingMs <= 0)
        {
            return false;
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
            return false;
        }
        if (read < 0)
        {
            eof = true;
        }
        else
        {
            end += read;
        }
        return true;
    }

    private String partial()
    {
        return end > start ? "; received without '\\n': " +
            new String(buffer, start, Math.min(end - start, 200), StandardCharsets.UTF_8) : "";
    }
}
