/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A line-protocol client for the cluster tests, as {@code nc} would be. Test thread only. */
final class Client implements AutoCloseable
{
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    Client(final InetSocketAddress address, final String name) throws IOException
    {
        socket = new Socket();
        socket.connect(address, 5000);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(10_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
        send(name);
    }

    void send(final String line) throws IOException
    {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** @return the next line, or null at end of stream. */
    String read() throws IOException
    {
        return in.readLine();
    }

    /** @return the next line within {@code timeoutMs}, or null if none came (or the stream ended). */
    String poll(final int timeoutMs) throws IOException
    {
        socket.setSoTimeout(timeoutMs);
        try
        {
            return in.readLine();
        }
        catch (final SocketTimeoutException ex)
        {
            return null;
        }
        finally
        {
            socket.setSoTimeout(10_000);
        }
    }

    /**
     * Waits until a message from {@code from} reaches {@code to} (the directory has told every node the name), then
     * drains what the waiting left behind: the no-peer replies and extra pings.
     */
    static void awaitRoutable(final Client from, final String toName, final Client to) throws IOException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true)
        {
            from.send(toName + ": ping");
            final String got = to.poll(100);
            if (null != got)
            {
                assertTrue(got.endsWith(": ping"), got);
                while (null != from.poll(50))
                {
                }
                while (null != to.poll(50))
                {
                }
                return;
            }
            assertTrue(System.nanoTime() - deadlineNs < 0, toName + " never became reachable");
        }
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
