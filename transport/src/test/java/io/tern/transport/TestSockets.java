/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reading a test's blocking socket to its end: for this module's tests and, through its test-jar, the broker's.
 * Stateless; any thread may call it, one thread per socket.
 */
public final class TestSockets
{
    private TestSockets()
    {
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
}
