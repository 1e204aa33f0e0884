/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.tern.transport.TestSockets.openSockets;
import static io.tern.transport.TestSockets.readUntilEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Error replies that end a connection survive the close: the broker lingers (shuts its output down, reads and drops
 * what the client still sends until the client closes) rather than closing under the client's feet, which resets the
 * connection and can drop the reply before the client reads it.
 */
// A blocking socket write cannot be interrupted: a broker that neither read nor closed would hang the test in the
// test's own thread, so the timeout runs it in a separate thread and fails it.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BrokerLingeringCloseTest extends BrokerTestSupport
{
    private static final int TRIES = 20;
    /** What nc reads from its input and writes at once. */
    private static final int NC_CHUNK_BYTES = 16 * 1024;
    private static final int SEND_BUFFER_BYTES = 16 * 1024;
    /** Sent after the line that ends the connection: well within what the broker discards while it lingers. */
    private static final int TRAILING_BYTES = 512 * 1024;
    private static final String LINE_TOO_LONG = "error: line too long (max 65536 bytes)";

    @TempDir
    Path dir;

    /**
     * The attack as reported: a 70,000-byte line sent through nc, which writes everything it has, then reads. Here the
     * client also keeps sending 512 KiB after the long line, which is what makes the broker's close land while the
     * client's bytes are still arriving. Every try must read the reply: before the broker lingered, every write after
     * the close failed (broken pipe) and nc, like this client, never got to read.
     */
    @Test
    void shouldDeliverLineTooLongEveryTimeToAClientStillSending() throws Exception
    {
        startBroker(new BrokerConfig());
        assertEveryTryReads(ncStyleRequest("nc", 70_000, TRAILING_BYTES), LINE_TOO_LONG);
    }

    @Test
    void shouldDeliverLineTooLongEveryTimeWithAThreadForEachDuty() throws Exception
    {
        startBroker(new BrokerConfig().threading("dedicated"));
        assertEveryTryReads(ncStyleRequest("nc", 70_000, TRAILING_BYTES), LINE_TOO_LONG);
    }

    /** An error the broker thread finds (the reader is still reading then): the invalid name. */
    @Test
    void shouldDeliverInvalidNameEveryTimeToAClientStillSending() throws Exception
    {
        startBroker(new BrokerConfig().threading("dedicated"));
        assertEveryTryReads(concat(utf8("a,b\n"), ncStyleRequest("x", 10, TRAILING_BYTES)),
            "error: invalid name: contains ','");
    }

    /** The authenticator's refusal lingers too. */
    @Test
    void shouldDeliverNotAuthorizedEveryTimeToAClientStillSending() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1_000);
        startBroker(new BrokerConfig().authFile(users));
        assertEveryTryReads(concat(utf8("alice wrong\n"), ncStyleRequest("x", 10, TRAILING_BYTES)),
            "error: not authorized");
    }

    /**
     * A client that stops sending after the error is closed once it closes, not after the whole linger; and the
     * socket is released, not only counted as closed (with shared threading the writer's own selector, where the
     * lingering connection waited, selects again only if asked to).
     */
    @Test
    void shouldCloseAtOnceWhenTheClientCloses() throws Exception
    {
        startBroker(new BrokerConfig().lingerMs(60_000));
        final int socketsBaseline = openSockets();
        final long startNs = System.nanoTime();
        assertEveryTryReads(ncStyleRequest("nc", 70_000, TRAILING_BYTES), LINE_TOO_LONG);
        final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        assertTrue(elapsedMs < 30_000, TRIES + " tries took " + elapsedMs + " ms");
        awaitCondition("every connection closed", Duration.ofSeconds(10), () -> 0 == broker.connectionsOpen());
        awaitCondition("every socket released (" + socketsBaseline + " before)", Duration.ofSeconds(10),
            () -> openSockets() <= socketsBaseline);
    }

    /** A client that neither closes nor stops sending is closed at the linger deadline. */
    @Test
    void shouldCloseAtTheLingerDeadlineAClientThatNeverCloses() throws Exception
    {
        startBroker(new BrokerConfig().lingerMs(300));
        final LineClient client = connect();
        client.sendRaw(ncStyleRequest("nc", 70_000, 0));
        assertEquals(List.of(LINE_TOO_LONG), client.awaitClosed(Duration.ofSeconds(10)));
        awaitCondition("the connection closed", Duration.ofSeconds(10), () -> 0 == broker.connectionsOpen());
    }

    private void assertEveryTryReads(final byte[] request, final String reply) throws IOException
    {
        assertEveryTryReads(TRIES, reply, () -> sendAllThenRead(address, request));
    }

    /** One try of a client that sends, then reads until the broker closes. */
    @FunctionalInterface
    interface SendThenRead
    {
        /** @return what was read, or what went wrong and what was read before. */
        String tryOnce() throws IOException;
    }

    /** Makes {@code tries} tries, each of which must read {@code reply} as its first line. */
    static void assertEveryTryReads(final int tries, final String reply, final SendThenRead sendThenRead)
        throws IOException
    {
        final List<String> failures = new ArrayList<>();
        for (int i = 0; i < tries; i++)
        {
            final String outcome = sendThenRead.tryOnce();
            if (!outcome.startsWith(reply + "\n"))
            {
                failures.add("try " + i + ": " + outcome);
            }
        }
        assertEquals(List.of(), failures, "tries that did not read '" + reply + "', of " + tries);
    }

    /** name, a line of {@code longLineBytes}, then {@code trailingBytes} more of short lines. */
    static byte[] ncStyleRequest(final String name, final int longLineBytes, final int trailingBytes)
    {
        final byte[] bytes = new byte[name.length() + 1 + longLineBytes + 1 + trailingBytes];
        int i = 0;
        for (final byte b : (name + "\n").getBytes(StandardCharsets.US_ASCII))
        {
            bytes[i++] = b;
        }
        Arrays.fill(bytes, i, i + longLineBytes, (byte)'x');
        i += longLineBytes;
        bytes[i++] = '\n';
        for (int j = 0; j < trailingBytes; j++)
        {
            bytes[i + j] = (byte)(j % 80 == 79 ? '\n' : 'y');
        }
        return bytes;
    }

    /**
     * As nc does: write the whole request, shut the output down, then read until the end of input or a reset.
     *
     * @return what was read, or what went wrong and what was read before.
     */
    static String sendAllThenRead(final InetSocketAddress address, final byte[] request) throws IOException
    {
        try (Socket socket = new Socket())
        {
            // A small send buffer, set before connecting (no autotuning): the client is still writing when the broker
            // has replied, as a client on a real network is, rather than done because loopback buffers took it all.
            socket.setSendBufferSize(SEND_BUFFER_BYTES);
            socket.connect(address, 5_000);
            socket.setSoTimeout(10_000);
            return writeAllThenRead(socket, request, true);
        }
    }

    /**
     * Writes the whole request in nc's chunks (a write failing ends the try, as it ends nc), shuts the output down if
     * asked, then reads until the end of input or a reset. The socket may be a TLS one.
     *
     * @return what was read, or what went wrong and what was read before.
     */
    static String writeAllThenRead(final Socket socket, final byte[] request, final boolean shutdownOutput)
        throws IOException
    {
        final OutputStream out = socket.getOutputStream();
        try
        {
            // In nc's chunks: the broker's close lands between two writes rather than after one large one.
            for (int offset = 0; offset < request.length; offset += NC_CHUNK_BYTES)
            {
                out.write(request, offset, Math.min(NC_CHUNK_BYTES, request.length - offset));
            }
            if (shutdownOutput)
            {
                socket.shutdownOutput();
            }
        }
        catch (final IOException ex)
        {
            return "write failed: " + ex;
        }
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        try
        {
            readUntilEnd(socket.getInputStream(), received);
        }
        catch (final IOException ex)
        {
            return "read failed: " + ex + " after '" + received.toString(StandardCharsets.UTF_8) + "'";
        }
        return received.toString(StandardCharsets.UTF_8);
    }
}
