/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.tern.broker.BrokerConfig;
import io.tern.broker.LineClient;
import io.tern.transport.TestCertificates;
import io.tern.transport.TlsContexts;

import static io.tern.transport.TestSockets.openSockets;
import static io.tern.transport.TestSockets.readUntilEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link FaultTest}'s faults on the TLS port, and the ones only TLS has: a reset in the middle of a TLS record, a
 * half-close ({@code close_notify}), clients that never read, clients that connect and never handshake (or stop half
 * way through a ClientHello), and plain text where a ClientHello should be. Each case leaves the broker serving
 * everyone else, TLS and plain peers alike.
 */
class TlsFaultTest extends CampaignSupport
{
    private static final long SEED = Long.getLong("tern.fault.seed", 42);

    @TempDir
    static Path certDir;
    static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certs = TestCertificates.make(certDir, "ec");
    }

    /** A TLS client layered over a plain socket the caller keeps, to write raw bytes under TLS or reset it. */
    private static final class Layered
    {
        final Socket tcp;
        final LineClient lines;

        Layered(final InetSocketAddress address) throws IOException
        {
            tcp = new Socket(address.getAddress(), address.getPort());
            tcp.setTcpNoDelay(true);
            final SSLSocket tls = (SSLSocket)certs.trustingClient.getSocketFactory()
                .createSocket(tcp, address.getHostString(), address.getPort(), false);
            tls.setSSLParameters(TlsContexts.parameters(certs.trustingClient));
            tls.startHandshake();
            lines = LineClient.over(tls, CLIENT_TIMEOUT);
        }
    }

    /** Registers {@code name} over TLS, retrying while the broker still holds it for a connection just gone. */
    private Layered registerLayered(final String name) throws IOException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            final Layered layered = new Layered(tlsAddress);
            layered.lines.name(name);
            final String probe = nextProbe();
            layered.lines.send(name + "\n" + name + ": " + probe);
            final String first = layered.lines.readLine();
            if (first.equals("from " + name + ": " + probe))
            {
                return layered;
            }
            assertEquals("error: name '" + name + "' is taken", first);
            layered.lines.awaitClosed();
            layered.tcp.close();
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("name '" + name + "' still taken");
            }
        }
    }

    /**
     * The connection is reset with a complete line delivered and a partial TLS record (a header announcing 16 KiB and
     * part of its body, written under TLS) buffered with the reader: the complete line arrives, nothing of the partial
     * record does, the name is released.
     */
    @Test
    @Timeout(120)
    void shouldDeliverCompleteLinesAndReleaseTheNameWhenResetMidRecord() throws Exception
    {
        startTlsBroker(new BrokerConfig(), certs);
        final LineClient observer = register("obs");
        final Random random = new Random(SEED);
        final int rounds = 60;
        for (int k = 0; k < rounds; k++)
        {
            final Layered layered = registerLayered("rst");
            layered.lines.send("obs: complete-" + k);
            observer.expectLine("from rst: complete-" + k);
            final byte[] partialRecord = new byte[5 + 1 + random.nextInt(12_000)];
            random.nextBytes(partialRecord);
            partialRecord[0] = 0x17; // application data
            partialRecord[1] = 0x03;
            partialRecord[2] = 0x03;
            partialRecord[3] = 0x40; // 16,384 bytes announced, fewer sent
            partialRecord[4] = 0x00;
            final OutputStream raw = layered.tcp.getOutputStream();
            raw.write(partialRecord);
            raw.flush();
            layered.tcp.setSoLinger(true, 0);
            layered.tcp.close();
            assertNextLineIsProbe(observer, observer);
        }
        registerLayered("rst").tcp.close();
        assertNextLineIsProbe(observer, register("prober"));
        System.out.println("TlsFaultTest reset mid-record: " + rounds + " resets, " + rounds +
            " complete lines delivered");
        assertBrokerHealthy("after resets mid-record");
    }

    /**
     * Half-close over TLS: two lines and a final partial one, then {@code close_notify} and the socket's output shut.
     * All three lines are delivered, the broker closes the connection and releases the name.
     */
    @Test
    @Timeout(120)
    void shouldDeliverEverythingAndCloseWhenATlsClientHalfCloses() throws Exception
    {
        startTlsBroker(new BrokerConfig(), certs);
        final LineClient observer = register("obs");
        final int rounds = 60;
        for (int k = 0; k < rounds; k++)
        {
            final Layered layered = registerLayered("half");
            layered.lines.sendRaw(("obs: h-" + k + "-1\nobs: h-" + k + "-2\r\nobs: h-" + k + "-final").getBytes(
                StandardCharsets.US_ASCII));
            layered.lines.shutdownOutput(); // close_notify, then FIN
            assertEquals(List.of(), layered.lines.awaitClosed(), "half-closed client " + k + " got lines");
            layered.tcp.close();
            observer.expectLine("from half: h-" + k + "-1");
            observer.expectLine("from half: h-" + k + "-2");
            observer.expectLine("from half: h-" + k + "-final");
        }
        assertNextLineIsProbe(observer, register("prober"));
        assertBrokerHealthy("after TLS half-closes");
    }

    /**
     * TLS clients that never read, flooded by a plain sender: each is cut as a slow consumer, exactly as on the plain
     * port; a TLS pair and the sender are not disturbed.
     */
    @Test
    @Timeout(120)
    void shouldCutTlsClientsThatNeverReadAndNobodyElse() throws Exception
    {
        startTlsBroker(new BrokerConfig().maxQueuedBytesPerPeer(1024 * 1024), certs);
        final LineClient pairSender = registerTls("wb-s", certs.trustingClient, 0);
        final LineClient pairReceiver = registerTls("wb-r", certs.trustingClient, 0);
        final SequencedPair pair = new SequencedPair(pairSender, pairReceiver, 2_000, 20, 200_000, false)
            .start(executor);
        final int nonReaders = 5;
        final List<LineClient> deaf = new ArrayList<>();
        for (int i = 0; i < nonReaders; i++)
        {
            deaf.add(registerTls("deaf-" + i, certs.trustingClient, 4096));
        }
        final LineClient sender = register("sender");
        final Future<Integer> senderErrors = readNoPeerErrorsUntilDone(sender);
        floodNonReadersUntilCut(sender, nonReaders, nonReaders);
        sender.send("sender: done");
        join(senderErrors, Duration.ofSeconds(30), "the sender's replies");
        assertCutAsSlowConsumers(deaf);
        assertEquals(nonReaders, broker.slowConsumerDisconnects(), "exactly the non-readers are cut");
        pair.awaitAndCheck(Duration.ofSeconds(60));
        registerTls("deaf-0-again", certs.trustingClient, 0);
        assertBrokerHealthy("after TLS non-readers");
    }

    /**
     * Clients that connect to the TLS port and never handshake (nothing at all, or the first 3 bytes of a ClientHello)
     * are cut at the name deadline, which covers the handshake, and not only at the flush deadline (set far longer
     * here): nothing can be sent to a connection still handshaking. Everyone else is served meanwhile.
     */
    @Test
    @Timeout(120)
    void shouldCutClientsThatNeverHandshakeAtTheNameDeadline() throws Exception
    {
        final long nameTimeoutMs = 500;
        startTlsBroker(new BrokerConfig().nameTimeoutMs(nameTimeoutMs).flushTimeoutMs(15_000), certs);
        final int socketsBaseline = openSockets();
        final List<Socket> silent = new ArrayList<>();
        final long startNs = System.nanoTime();
        for (int i = 0; i < 40; i++)
        {
            final Socket socket = new Socket(tlsAddress.getAddress(), tlsAddress.getPort());
            if (i % 2 == 0)
            {
                socket.getOutputStream().write(new byte[]{0x16, 0x03, 0x01}); // a ClientHello's first bytes, no more
            }
            silent.add(socket);
        }
        final LineClient secure = registerTls("secure", certs.trustingClient, 0);
        final LineClient plain = register("plain");
        assertNextLineIsProbe(secure, plain);
        for (final Socket socket : silent)
        {
            socket.setSoTimeout((int)CLIENT_TIMEOUT.toMillis());
            assertEndOfStream(socket);
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs < 10_000, "cut after " + tookMs + " ms: not at the name deadline of " + nameTimeoutMs);
        for (final Socket socket : silent)
        {
            socket.close();
        }
        awaitCondition("sockets released (sockets " + openSockets() + ")", Duration.ofSeconds(15),
            () -> openSockets() <= socketsBaseline + 2 * 2);
        assertNextLineIsProbe(plain, secure);
        System.out.println("TlsFaultTest never handshaking: 40 connections cut after " + tookMs + " ms");
        assertBrokerHealthy("after clients that never handshake");
    }

    /**
     * Plain text where a ClientHello should be (a client that forgot TLS): the connection is closed at once, not at
     * the name deadline (set far longer here), the text is never taken for lines, and the broker is fine.
     */
    @Test
    @Timeout(120)
    void shouldCloseAtOnceOnPlainTextInsteadOfAClientHello() throws Exception
    {
        startTlsBroker(new BrokerConfig().nameTimeoutMs(60_000), certs);
        final LineClient observer = register("obs");
        final int rounds = 100;
        final long startNs = System.nanoTime();
        for (int i = 0; i < rounds; i++)
        {
            try (Socket socket = new Socket(tlsAddress.getAddress(), tlsAddress.getPort()))
            {
                socket.setSoTimeout((int)CLIENT_TIMEOUT.toMillis());
                socket.getOutputStream().write(("mistaken-" + i + "\nobs: plain text on the TLS port\n")
                    .getBytes(StandardCharsets.US_ASCII));
                assertEndOfStream(socket);
            }
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs < 30_000, rounds + " closes took " + tookMs + " ms");
        // the observer got none of that text
        assertNextLineIsProbe(observer, registerTls("secure", certs.trustingClient, 0));
        final LineClient check = register("check");
        check.send("mistaken-0: are you there");
        check.expectLine("error: no peer 'mistaken-0'");
        awaitCondition("only the 3 peers connected", Duration.ofSeconds(10), () -> broker.connectionsOpen() == 3);
        System.out.println("TlsFaultTest plain text on the TLS port: " + rounds + " connections closed in " + tookMs +
            " ms");
        assertBrokerHealthy("after plain text on the TLS port");
    }

    /**
     * A TLSv1.2 client that asks for a new handshake once served (renegotiation, which would make its reader do a
     * handshake's work each time): the connection is closed, its name released, and nobody else notices.
     */
    @Test
    @Timeout(120)
    void shouldCloseATlsV12ClientThatRenegotiates() throws Exception
    {
        startTlsBroker(new BrokerConfig(), certs);
        final LineClient observer = register("obs");
        final int rounds = 20;
        for (int k = 0; k < rounds; k++)
        {
            final SSLSocket socket = (SSLSocket)certs.trustingClient.getSocketFactory()
                .createSocket(tlsAddress.getAddress(), tlsAddress.getPort());
            socket.setEnabledProtocols(new String[]{"TLSv1.2"});
            socket.startHandshake();
            final LineClient lines = track(LineClient.over(socket, CLIENT_TIMEOUT)).name("reneg-" + k);
            lines.send("reneg-" + k);
            assertNextLineIsProbe(lines, lines);
            lines.send("obs: before-" + k);
            observer.expectLine("from reneg-" + k + ": before-" + k);
            try
            {
                socket.startHandshake(); // renegotiation: refused, the connection closed
                lines.send("obs: after-" + k);
                lines.awaitClosed();
            }
            catch (final IOException refused)
            {
                // the alert or the close reached the client first
            }
            socket.close();
            untrack(lines);
            registerRetrying("reneg-" + k, Duration.ofSeconds(10)).close(); // the name is free again
            assertNextLineIsProbe(observer, observer); // "after-k" never arrived
        }
        assertBrokerHealthy("after renegotiations");
    }

    /** Reads until the end of the stream (a TLS alert may come first) or a reset; fails if the deadline passes. */
    private static void assertEndOfStream(final Socket socket) throws IOException
    {
        try
        {
            readUntilEnd(socket.getInputStream(), new ByteArrayOutputStream()); // an alert, at most
        }
        catch (final SocketException reset)
        {
            // a reset ends it too
        }
    }
}
