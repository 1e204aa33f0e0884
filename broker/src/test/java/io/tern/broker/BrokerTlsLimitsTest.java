/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.tern.transport.Protocol;
import io.tern.transport.TestCertificates;
import io.tern.transport.TlsContexts;

import static io.tern.transport.TestSockets.readUntilEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS port under the same limits as the plain one: the per-address cap (shared by both ports), the partial-line
 * and idle deadlines, the lingering close after an error reply, and, with authentication, the name deadline covering
 * the handshake and the per-source throttle. Hosts are played by loopback addresses (Linux routes 127/8 to lo).
 */
// A blocking socket write cannot be interrupted: a broker that neither read nor closed would hang the test in the
// test's own thread, so the timeout runs it in a separate thread and fails it.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BrokerTlsLimitsTest extends BrokerTestSupport
{
    private static final long DEADLINE_MS = 500;

    @TempDir
    static Path certDir;
    static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certs = TestCertificates.make(certDir, "ec");
    }

    /** A TLS client from a given local address, handshaken. */
    private LineClient connectTlsFrom(final InetAddress localAddress) throws IOException
    {
        final Socket plain = new Socket();
        try
        {
            plain.setTcpNoDelay(true);
            plain.bind(new InetSocketAddress(localAddress, 0));
            plain.connect(tlsAddress, (int)clientTimeout.toMillis());
            final SSLSocket socket = (SSLSocket)certs.trustingClient.getSocketFactory().createSocket(
                plain, tlsAddress.getHostString(), tlsAddress.getPort(), true);
            socket.setSSLParameters(TlsContexts.parameters(certs.trustingClient));
            socket.setSoTimeout((int)clientTimeout.toMillis());
            socket.startHandshake();
            return track(LineClient.over(socket, clientTimeout));
        }
        catch (final IOException ex)
        {
            plain.close();
            throw ex;
        }
    }

    private LineClient registerTlsFrom(final String name, final InetAddress localAddress) throws IOException
    {
        final LineClient client = connectTlsFrom(localAddress).name(name);
        client.send(name);
        assertNextLineIsProbe(client, client);
        return client;
    }

    private LineClient registerTls(final String name) throws IOException
    {
        return registerTlsFrom(name, InetAddress.getLoopbackAddress());
    }

    @Test
    void shouldHoldBothPortsToOnePerAddressLimit() throws Exception
    {
        startTlsBroker(new BrokerConfig()
            .maxConnections(100)
            .maxConnectionsPerAddress(2)
            .set(Settings.PER_ADDRESS_EXEMPT, BrokerConfig.AddressExemption.NONE)
            .nameTimeoutMs(60_000), certs);
        final InetAddress host = InetAddress.getByName("127.0.0.2");
        final LineClient first = registerTlsFrom("first", host);
        final LineClient second = track(LineClient.connectFrom(address, host, clientTimeout)).name("second");
        second.send("second");
        assertNextLineIsProbe(second, second);

        // The host's TLS connection counts on the plain port: a third plain one gets the error line.
        final LineClient third = track(LineClient.connectFrom(address, host, clientTimeout));
        third.send("third");
        assertEquals(List.of(Protocol.TOO_MANY_FROM_ADDRESS), third.awaitClosed());
        // And the TLS port checks the same count: refused before any handshake (no plain text a TLS client could read).
        assertThrows(IOException.class, () -> connectTlsFrom(host));

        // Another host gets in over TLS; a slot freed on the first host can be taken over TLS again.
        final LineClient other = registerTlsFrom("other", InetAddress.getByName("127.0.0.3"));
        assertNextLineIsProbe(other, first);
        first.close();
        awaitCondition("the first host's slot to free up", Duration.ofSeconds(10), () ->
        {
            try
            {
                registerTlsFrom("again" + System.nanoTime(), host);
                return true;
            }
            catch (final AssertionError | IOException ex)
            {
                return false;
            }
        });
    }

    @Test
    void shouldCutATlsPeerThatNeverFinishesItsLine() throws Exception
    {
        startTlsBroker(new BrokerConfig().partialLineTimeoutMs(DEADLINE_MS).idleTimeoutMs(60_000), certs);
        final LineClient alice = registerTls("alice");
        final LineClient dribbler = registerTls("dribbler");
        final long startNs = System.nanoTime();
        dribbler.sendRaw("alice: begun and never ".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of(Protocol.partialLineTimeout(DEADLINE_MS)), dribbler.awaitClosed(Duration.ofSeconds(10)));
        final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        assertTrue(elapsedMs >= DEADLINE_MS && elapsedMs < DEADLINE_MS + 5_000, "cut after " + elapsedMs + " ms");
        assertNextLineIsProbe(alice, alice);
        final LineClient again = registerTls("dribbler"); // its name is free again
        assertNextLineIsProbe(again, alice);
    }

    @Test
    void shouldCutASilentTlsPeerAtTheIdleDeadline() throws Exception
    {
        startTlsBroker(new BrokerConfig().idleTimeoutMs(DEADLINE_MS), certs);
        final LineClient silent = registerTls("silent");
        assertEquals(List.of(Protocol.idleTimeout(DEADLINE_MS)), silent.awaitClosed(Duration.ofSeconds(10)));
    }

    /**
     * An error reply that ends a TLS connection whose client is still sending: it reads the reply every time, as on
     * the plain port, because the broker sends it, then close_notify and a FIN, and discards what still arrives.
     */
    @Test
    void shouldDeliverLineTooLongOverTlsEveryTimeToAClientStillSending() throws Exception
    {
        startTlsBroker(new BrokerConfig(), certs);
        final byte[] request = BrokerLingeringCloseTest.ncStyleRequest("nc", 70_000, 512 * 1024);
        BrokerLingeringCloseTest.assertEveryTryReads(10, "error: line too long (max 65536 bytes)",
            () -> sendAllThenRead(request));
        awaitCondition("every connection closed", Duration.ofSeconds(10), () -> 0 == broker.connectionsOpen());
    }

    /**
     * With authentication: the name deadline counts from the accept, so it covers the handshake (a connection that
     * never handshakes is closed, without a reply), and a handshaken client that sends no first line gets the
     * name-timeout reply through TLS; a client that logs in is served.
     */
    @Test
    void shouldCoverTheHandshakeAndTheFirstLineWithTheNameDeadline() throws Exception
    {
        final Path users = certDir.resolve("users-" + System.nanoTime() + ".txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1000);
        startTlsBroker(new BrokerConfig().authFile(users).nameTimeoutMs(DEADLINE_MS), certs);

        try (Socket never = new Socket())
        {
            never.connect(tlsAddress, (int)clientTimeout.toMillis());
            never.setSoTimeout(10_000);
            final long startNs = System.nanoTime();
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            try
            {
                readUntilEnd(never.getInputStream(), received);
            }
            catch (final IOException ex)
            {
                // a reset is a close too
            }
            final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
            final byte[] bytes = received.toByteArray();
            // No reply line: at most a TLS alert record (content type 21), the engine's word that it gives up.
            assertTrue(0 == bytes.length || 21 == bytes[0], "sent to a client that never handshakes: " +
                LineClient.printable(bytes));
            assertTrue(elapsedMs >= DEADLINE_MS - 50 && elapsedMs < DEADLINE_MS + 5_000, "closed after " + elapsedMs +
                " ms");
        }

        final LineClient silent = connectTlsFrom(InetAddress.getLoopbackAddress());
        assertEquals(List.of(Protocol.nameTimeout(DEADLINE_MS)), silent.awaitClosed(Duration.ofSeconds(10)));

        final LineClient alice = connectTlsFrom(InetAddress.getLoopbackAddress()).name("alice");
        alice.send("alice s3cret");
        assertNextLineIsProbe(alice, alice);
        awaitCondition("no login left waiting", Duration.ofSeconds(10), () -> 0 == broker.loginsChecking());
    }

    /** The per-source throttle holds for TLS logins: past the failures allowed, even the right secret is refused. */
    @Test
    void shouldThrottleFailedTlsLoginsBySource() throws Exception
    {
        final Path users = certDir.resolve("users-" + System.nanoTime() + ".txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1000);
        startTlsBroker(new BrokerConfig().authFile(users)
            .set(Settings.AUTH_MAX_FAILURES, 2)
            .set(Settings.AUTH_BACKOFF_MS, 60_000L), certs);
        final InetAddress host = InetAddress.getByName("127.0.0.2");
        for (int i = 0; i < 2; i++)
        {
            final LineClient wrong = connectTlsFrom(host);
            wrong.send("alice wrong");
            assertEquals(List.of(Protocol.NOT_AUTHORIZED), wrong.awaitClosed());
        }
        final LineClient throttled = connectTlsFrom(host);
        throttled.send("alice s3cret");
        assertEquals(List.of(Protocol.NOT_AUTHORIZED), throttled.awaitClosed());

        // Another source is not held back.
        final LineClient alice = connectTlsFrom(InetAddress.getByName("127.0.0.3")).name("alice");
        alice.send("alice s3cret");
        assertNextLineIsProbe(alice, alice);
    }

    /** Writes all of the request over TLS in 16 KiB writes, output left open, then reads until the broker closes. */
    private String sendAllThenRead(final byte[] request) throws IOException
    {
        final Socket plain = new Socket();
        plain.setSendBufferSize(16 * 1024); // still writing when the broker replies, as on a real network
        plain.connect(tlsAddress, 5_000);
        try (SSLSocket socket = (SSLSocket)certs.trustingClient.getSocketFactory().createSocket(
            plain, tlsAddress.getHostString(), tlsAddress.getPort(), true))
        {
            socket.setSSLParameters(TlsContexts.parameters(certs.trustingClient));
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return BrokerLingeringCloseTest.writeAllThenRead(socket, request, false);
        }
    }
}
