/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reading a test's blocking socket to its end, and counting this process's sockets: for this module's tests and,
 * through its test-jar, the broker's.
 * Stateless; any thread may call it, one thread per socket.
 */
public final class TestSockets
{
    private TestSockets()
    {
    }

    /**
     * Open sockets of this JVM (Linux), which holds both the broker and the test's clients where the broker runs in
     * the test's process. Sockets only: the JVM opens other descriptors of its own at any time (a dependency's jar on
     * its first class load, for one), and those say nothing about whether the broker closed its connections. A socket
     * counts until its descriptor is released, which for a channel closed while registered with a selector is only
     * once that selector has selected again.
     *
     * @return descriptors of this process that are sockets, or -1 where {@code /proc/self/fd} cannot be read.
     */
    public static int openSockets()
    {
        final File[] fds = new File("/proc/self/fd").listFiles();
        if (null == fds)
        {
            return -1;
        }
        int sockets = 0;
        for (final File fd : fds)
        {
            try
            {
                if (Files.readSymbolicLink(fd.toPath()).toString().startsWith("socket:"))
                {
                    sockets++;
                }
            }
            catch (final IOException ignore)
            {
                // closed between the listing and the read: not open any more
            }
        }
        return sockets;
    }

    /**
     * Reads {@code in} into {@code into} until the end of the stream. A read that fails (a reset, the socket's
     * timeout) is thrown with what came before it left in {@code into}: whether that also ends the stream is the
     * caller's to say.
     */
    public static void readUntilEnd(final InputStream in, final ByteArrayOutputStream into) throws IOException
    {
        final byte[] chunk = new byte[4096];
        int n;
        while ((n = in.read(chunk)) >= 0)
        {
            into.write(chunk, 0, n);
        }
    }

    /**
     * @return everything the server sent before it closed the connection, as ASCII; fails the test if the socket's
     * timeout passes first.
     */
    public static String replyThenClose(final Socket socket) throws IOException
    {
        final ByteArrayOutputStream reply = new ByteArrayOutputStream();
        try
        {
            readUntilEnd(socket.getInputStream(), reply);
        }
        catch (final SocketTimeoutException ex)
        {
            fail("still open after " + socket.getSoTimeout() + " ms; read so far: " + reply, ex);
        }
        return reply.toString(StandardCharsets.US_ASCII);
    }

    /**
     * Waits for a condition, failing after 10 s.
     *
     * @param condition what must come true.
     * @param what      what it means, for the failure.
     */
    public static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("not within 10 s: " + what);
            }
            Thread.onSpinWait();
        }
    }
}
