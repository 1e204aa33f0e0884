/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client and a server {@link TlsChannel} over loopback, both non-blocking and driven from the test thread, with
 * certificates made by {@code openssl} for the test.
 */
class TlsChannelTest
{
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    static Path certDir;
    static TestCertificates certs;
    static SSLContext serverContext;
    static SSLContext clientContext;

    private final TlsBufferPool pool = new TlsBufferPool(TlsBufferPool.CACHE_BUFFERS);
    private ServerSocketChannel listener;
    private SocketChannel clientSocket;
    private SocketChannel serverSocket;
    private TlsChannel client;
    private TlsChannel server;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certs = TestCertificates.make(certDir, "ec");
        serverContext = TlsContexts.fromPem(certs.serverCert, certs.serverKey, certs.caCert, null);
        clientContext = certs.trustingClient;
    }

    @AfterEach
    void closeAll() throws IOException
    {
        for (final java.io.Closeable c : new java.io.Closeable[]{client, server, clientSocket, serverSocket, listener})
        {
            if (null != c)
            {
                c.close();
            }
        }
    }

    @Test
    @Timeout(20)
    void shouldHandshakeAndCarryLinesBothWays() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.NONE, clientContext, "127.0.0.1");
        assertTrue(client.isHandshaking());
        handshake();
        assertEquals("TLSv1.3", server.session().getProtocol());

        send(client, "alice\nhello bob\n");
        assertEquals("alice\nhello bob\n", receive(server, 16));
        send(server, "from carol: hi\n");
        assertEquals("from carol: hi\n", receive(client, 15));
        assertEquals(0, pool.inUseBytes(), "an idle TLS connection holds no buffer");
    }

    /**
     * A large write leaves as several records per system call: one call per 16 KiB record made large messages over
     * TLS cost a call each 16 KiB. Counted with the thread's own write calls ({@code /proc/thread-self/io}).
     */
    @Test
    @Timeout(20)
    void shouldSendSeveralRecordsInOneWrite() throws Exception
    {
        final Path io = Path.of("/proc/thread-self/io");
        Assumptions.assumeTrue(Files.isReadable(io), "no per-thread I/O counts on this system");
        connect(serverContext, TlsChannel.ClientAuth.NONE, clientContext, null);
        handshake();
        serverSocket.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20); // the socket takes all without reads
        clientSocket.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        final byte[] sent = new byte[128 * 1024]; // 8 records of 16 KiB
        new Random(7).nextBytes(sent);

        final long writesBefore = writeCalls(io);
        final int consumed = server.write(ByteBuffer.wrap(sent));
        final long writes = writeCalls(io) - writesBefore;

        assertEquals(sent.length, consumed);
        assertFalse(server.hasPendingOutput(), "the socket took every record");
        assertTrue(writes <= 3, "8 records in " + writes + " write calls");
        final ByteBuffer received = ByteBuffer.allocate(sent.length);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (received.hasRemaining())
        {
            assertTrue(client.read(received) >= 0, "ended early");
            assertTrue(System.nanoTime() < deadline, "received " + received.position());
        }
        assertArrayEquals(sent, received.array());
        assertEquals(0, pool.inUseBytes(), "every buffer given back once drained");
    }

    private static long writeCalls(final Path io) throws IOException
    {
        for (final String line : Files.readAllLines(io))
        {
            if (line.startsWith("syscw:"))
            {
                return Long.parseLong(line.substring("syscw:".length()).trim());
            }
        }
        throw new IllegalStateException("no syscw in " + io);
    }

    @Test
    @Timeout(30)
    void shouldCarryAMegabyteThroughFullSocketsAndSmallReads() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.NONE, clientContext, null);
        handshake();
        final byte[] sent = new byte[1 << 20];
        new Random(42).nextBytes(sent);
        final ByteBuffer src = ByteBuffer.wrap(sent);
        final byte[] received = new byte[sent.length];
        final ByteBuffer small = ByteBuffer.allocate(100); // smaller than a record: decrypts into the channel's buffer
        int receivedBytes = 0;
        boolean sawPendingOutput = false;
        boolean sawBufferedInput = false;
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (receivedBytes < sent.length)
        {
            if (src.hasRemaining() || client.hasPendingOutput())
            {
                if (client.hasPendingOutput())
                {
                    sawPendingOutput = true;
                    client.flush();
                }
                else
                {
                    client.write(src);
                }
            }
            // read only every few rounds so the socket fills up and records wait in the channel
            if (!src.hasRemaining() || client.hasPendingOutput())
            {
                small.clear();
                final int n = server.read(small);
                assertTrue(n >= 0);
                small.flip();
                small.get(received, receivedBytes, n);
                receivedBytes += n;
                sawBufferedInput |= server.hasBufferedInput();
            }
            assertTrue(System.nanoTime() < deadline, "received " + receivedBytes);
        }
        assertArrayEquals(sent, received);
        assertTrue(sawPendingOutput, "the socket never filled: the pending-output path went untested");
        assertTrue(sawBufferedInput, "reads never left bytes buffered: that path went untested");
        assertFalse(server.hasBufferedInput());
        assertEquals(0, pool.inUseBytes(), "every buffer given back once drained");
    }

    @Test
    @Timeout(20)
    void shouldReadMinusOneAfterCloseNotify() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.NONE, clientContext, null);
        handshake();
        readSessionTicket();
        send(client, "bye\n");
        client.close();
        client = null;
        assertEquals("bye\n", receive(server, 4));
        assertEquals(-1, readUntilNotZero(server));
        assertTrue(server.closeNotifyReceived());
        server.close();
        server = null;
        assertEquals(0, pool.inUseBytes());
    }

    @Test
    @Timeout(20)
    void shouldReadMinusOneWhenThePeerVanishesWithoutCloseNotify() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.NONE, clientContext, null);
        handshake();
        readSessionTicket();
        clientSocket.close();
        assertEquals(-1, readUntilNotZero(server));
        assertFalse(server.closeNotifyReceived());
        assertEquals(0, pool.inUseBytes());
    }

    @Test
    @Timeout(20)
    void shouldFailTheHandshakeWhenTheClientDoesNotTrustTheServer() throws Exception
    {
        final SSLContext stranger = TlsContexts.forTrustOnly(certs.otherCaCert, null);
        connect(serverContext, TlsChannel.ClientAuth.NONE, stranger, null);
        final SSLException clientFailure = handshakeFailure(true);
        assertTrue(clientFailure instanceof SSLHandshakeException, clientFailure.toString());
        assertTrue(client.isHandshaking());
        // the client's alert tells the server why, so it fails too rather than waiting
        assertServerFails();
        assertTrue(server.isHandshaking(), "a failed handshake is not a finished one (its callers log it as failed)");
    }

    @Test
    @Timeout(20)
    void shouldFailTheHandshakeWhenTheServerNameDoesNotMatch() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.NONE, clientContext, "example.org");
        final SSLException clientFailure = handshakeFailure(true);
        assertTrue(clientFailure.getMessage().contains("example.org"), clientFailure.getMessage());
    }

    @Test
    @Timeout(20)
    void shouldRefuseAClientWithoutACertificateWhenOneIsNeeded() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.NEED, clientContext, null);
        final SSLException failure = handshakeFailure(false);
        assertTrue(failure instanceof SSLHandshakeException, failure.toString());
    }

    @Test
    @Timeout(20)
    void shouldRefuseAClientCertificateFromAnotherCa() throws Exception
    {
        final SSLContext mallory = TestCertificates.presenting(certs.strangerCert, certs.strangerKey, certs.caCert);
        connect(serverContext, TlsChannel.ClientAuth.NEED, mallory, null);
        final SSLException failure = handshakeFailure(false);
        assertTrue(failure instanceof SSLHandshakeException, failure.toString());
    }

    @Test
    @Timeout(20)
    void shouldAcceptAClientCertificateFromTheTrustedCa() throws Exception
    {
        final SSLContext alice = TlsContexts.fromPem(certs.clientCert, certs.clientKey, certs.caCert, null);
        connect(serverContext, TlsChannel.ClientAuth.NEED, alice, null);
        handshake();
        send(client, "alice\n");
        assertEquals("alice\n", receive(server, 6));
        final X509Certificate peer = (X509Certificate)server.session().getPeerCertificates()[0];
        assertEquals("CN=alice", peer.getSubjectX500Principal().getName());
    }

    @Test
    @Timeout(20)
    void shouldAcceptAClientWithoutACertificateWhenOneIsOnlyWanted() throws Exception
    {
        connect(serverContext, TlsChannel.ClientAuth.WANT, clientContext, null);
        handshake();
        send(client, "anonymous\n");
        assertEquals("anonymous\n", receive(server, 10));
    }

    @Test
    @Timeout(20)
    void shouldFailCleanlyOnPlainTextInsteadOfAClientHello() throws Exception
    {
        listen();
        clientSocket = SocketChannel.open(listener.getLocalAddress());
        serverSocket = accept();
        server = TlsChannel.server(serverContext, serverSocket, TlsChannel.ClientAuth.NONE, pool);
        clientSocket.write(ByteBuffer.wrap("alice\nhello\n".getBytes(StandardCharsets.US_ASCII)));
        final ByteBuffer dst = ByteBuffer.allocate(64);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        try
        {
            while (server.read(dst) == 0)
            {
                assertTrue(System.nanoTime() < deadline);
            }
            fail("plain text was read as TLS");
        }
        catch (final SSLException expected)
        {
            // the point: a failure the caller can log and close on
        }
        assertTrue(server.isHandshaking());
        assertEquals(-1, server.read(dst), "reads nothing more after a failure");
        server.close();
        server = null;
        assertEquals(0, pool.inUseBytes());
    }

    @Test
    @Timeout(20)
    void shouldServeTlsV12ClientsToo() throws Exception
    {
        connectTlsV12Client();
        assertEquals("TLSv1.2", server.session().getProtocol());
        send(client, "old\n");
        assertEquals("old\n", receive(server, 4));
        client.close();
        client = null;
        assertEquals(-1, readUntilNotZero(server));
    }

    @Test
    @Timeout(20)
    void shouldRefuseATlsV12Renegotiation() throws Exception
    {
        final SSLEngine engine = connectTlsV12Client();
        send(client, "before\n");
        assertEquals("before\n", receive(server, 7));

        engine.beginHandshake(); // the client asks for a new handshake
        final SSLException refused = handshakeFailure(false);
        assertEquals("TLS renegotiation refused", refused.getMessage());
    }

    @Test
    @Timeout(20)
    void shouldEnableTlsV13AndV12Only() throws Exception
    {
        final SSLEngine engine = TlsContexts.configure(serverContext.createSSLEngine());
        assertArrayEquals(new String[]{"TLSv1.3", "TLSv1.2"}, engine.getEnabledProtocols());
        assertArrayEquals(new String[]{"TLSv1.3", "TLSv1.2"}, TlsContexts.parameters(serverContext).getProtocols());
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A TLSv1.3 server sends a session ticket after the handshake; a client that closes with it unread makes its
     * kernel reset the connection rather than end it. Reading a line from the server first reads the ticket too.
     */
    private void readSessionTicket() throws IOException
    {
        send(server, "ok\n");
        assertEquals("ok\n", receive(client, 3));
    }

    private void listen() throws IOException
    {
        listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_RCVBUF, 8 * 1024); // inherited by the accepted socket
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    private SocketChannel accept() throws IOException
    {
        final SocketChannel accepted = listener.accept();
        accepted.configureBlocking(false);
        return accepted;
    }

    private void connect(
        final SSLContext serverCtx, final TlsChannel.ClientAuth auth, final SSLContext clientCtx, final String name)
        throws IOException
    {
        listen();
        clientSocket = SocketChannel.open();
        clientSocket.setOption(StandardSocketOptions.SO_SNDBUF, 8 * 1024);
        clientSocket.connect(listener.getLocalAddress());
        clientSocket.configureBlocking(false);
        serverSocket = accept();
        server = TlsChannel.server(serverCtx, serverSocket, auth, pool);
        client = TlsChannel.client(clientCtx, clientSocket, name, pool);
    }

    /** A client that offers TLSv1.2 only, handshaken with a server that asks for no certificate. */
    private SSLEngine connectTlsV12Client() throws IOException
    {
        listen();
        clientSocket = SocketChannel.open(listener.getLocalAddress());
        clientSocket.configureBlocking(false);
        serverSocket = accept();
        server = TlsChannel.server(serverContext, serverSocket, TlsChannel.ClientAuth.NONE, pool);
        final SSLEngine engine = clientContext.createSSLEngine();
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[]{"TLSv1.2"});
        client = TlsChannel.start(clientSocket, engine, pool);
        handshake();
        return engine;
    }

    private void handshake() throws IOException
    {
        final ByteBuffer scratch = ByteBuffer.allocate(64);
        awaitTrue(() -> step(client, scratch) && step(server, scratch) &&
            !client.isHandshaking() && !server.isHandshaking());
        assertEquals(0, scratch.position(), "no application bytes during the handshake");
    }

    /** Drives the handshake until one side fails; returns that side's failure. */
    private SSLException handshakeFailure(final boolean clientSide)
    {
        final ByteBuffer scratch = ByteBuffer.allocate(64);
        final TlsChannel failing = clientSide ? client : server;
        final TlsChannel other = clientSide ? server : client;
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (System.nanoTime() < deadline)
        {
            try
            {
                failing.read(scratch);
                failing.flush();
            }
            catch (final SSLException ex)
            {
                return ex;
            }
            catch (final IOException ex)
            {
                fail(ex);
            }
            try
            {
                other.read(scratch);
                other.flush();
            }
            catch (final IOException ignore)
            {
                // the other side may see the alert first
            }
        }
        return fail("the handshake did not fail");
    }

    private void assertServerFails()
    {
        final ByteBuffer scratch = ByteBuffer.allocate(64);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (System.nanoTime() < deadline)
        {
            try
            {
                if (server.read(scratch) < 0)
                {
                    return;
                }
            }
            catch (final IOException expected)
            {
                return;
            }
        }
        fail("the server kept waiting after the client gave up");
    }

    private static boolean step(final TlsChannel channel, final ByteBuffer scratch)
    {
        try
        {
            channel.read(scratch);
            channel.flush();
            return true;
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static void send(final TlsChannel channel, final String text) throws IOException
    {
        final ByteBuffer src = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (src.hasRemaining() || channel.hasPendingOutput())
        {
            if (channel.hasPendingOutput())
            {
                channel.flush();
            }
            else
            {
                channel.write(src);
            }
            assertTrue(System.nanoTime() < deadline);
        }
    }

    private static String receive(final TlsChannel channel, final int bytes) throws IOException
    {
        final ByteBuffer dst = ByteBuffer.allocate(bytes);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (dst.hasRemaining())
        {
            assertTrue(channel.read(dst) >= 0, "ended early");
            assertTrue(System.nanoTime() < deadline, "received " + dst.position() + " of " + bytes);
        }
        return new String(Arrays.copyOf(dst.array(), dst.position()), StandardCharsets.US_ASCII);
    }

    private static int readUntilNotZero(final TlsChannel channel) throws IOException
    {
        final ByteBuffer dst = ByteBuffer.allocate(64);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        int n;
        while ((n = channel.read(dst)) == 0)
        {
            assertTrue(System.nanoTime() < deadline);
        }
        return n;
    }

    private static void awaitTrue(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "condition not met in time");
            Thread.onSpinWait();
        }
    }
}
