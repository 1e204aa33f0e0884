/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.broker.BrokerConfig;
import io.tern.broker.CredentialsFile;
import io.tern.broker.Settings;
import io.tern.transport.TestCertificates;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The client against a real broker over loopback: delivery, the replies a single broker can be made to send (those to
 * lines this client never sends from a raw socket, through its decoder; docs/testing.md lists which), limits,
 * authentication, TLS, reconnect, concurrent senders.
 */
class TernClientTest extends ClientTestSupport
{
    @TempDir
    Path dir;

    @Test
    @Timeout(30)
    void shouldDeliverToEveryListedPeerAndTieNoPeerRepliesToTheirSend() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        final Recorded carol = new Recorded();
        final TernClient a = connect(config("alice", alice));
        connect(config("bob", bob));
        connect(config("carol", carol));

        final long first = a.send("bob, carol", "hello both");
        final long second = a.send("dave, bob, erin, dave", "anyone?");
        assertTrue(first > 0 && second > first);
        assertTrue(a.flush(WAIT));

        assertEquals("alice: hello both", bob.nextMessage());
        assertEquals("alice: anyone?", bob.nextMessage());
        assertEquals("alice: hello both", carol.nextMessage());
        // Every no-peer reply has reached the handler by the time flush returns, each tied to its send.
        assertEquals(List.of(new ErrorRecord(ErrorKind.NO_SUCH_PEER, second, "dave", -1, "error: no peer 'dave'"),
            new ErrorRecord(ErrorKind.NO_SUCH_PEER, second, "erin", -1, "error: no peer 'erin'"),
            new ErrorRecord(ErrorKind.NO_SUCH_PEER, second, "dave", -1, "error: no peer 'dave'")),
            new ArrayList<>(alice.errors));
        assertTrue(alice.messages.isEmpty(), "the sync lines are not shown as messages: " + alice.messages);
    }

    @Test
    @Timeout(30)
    void shouldStampEachMessageWithTheTimeOfTheReadThatBroughtIt() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final java.util.concurrent.BlockingQueue<long[]> stamps = new java.util.concurrent.LinkedBlockingQueue<>();
        connect(config("bob", new Recorded())
            .messageHandler(message -> stamps.add(new long[]{message.readTimeNs(), System.nanoTime()})));
        final TernClient a = connect(config("alice", new Recorded()));

        long previousReadNs = 0;
        for (int i = 0; i < 3; i++)
        {
            final long sentNs = System.nanoTime();
            assertTrue(a.send("bob", "stamp " + i) > 0);
            final long[] stamp = stamps.poll(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            assertTrue(null != stamp, "message " + i + " never arrived");
            // Read after it was sent, before its handler ran, and by a read of its own (each waits for the last).
            assertTrue(stamp[0] - sentNs > 0, "read " + (stamp[0] - sentNs) + " ns after the send");
            assertTrue(stamp[1] - stamp[0] >= 0, "handler " + (stamp[1] - stamp[0]) + " ns after the read");
            assertTrue(i == 0 || stamp[0] - previousReadNs > 0, "the same read time as the message before");
            previousReadNs = stamp[0];
        }
    }

    @Test
    @Timeout(30)
    void shouldTieRepliesOnlyToAsManyRecentSendsAsItIsSetToTrack() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        assertThrows(IllegalArgumentException.class, () -> TernClient.connect(config("alice", new Recorded())
            .trackedSends(3)));
        final Recorded alice = new Recorded();
        final TernClient a = connect(config("alice", alice).trackedSends(2));
        final UnsafeBuffer text = new UnsafeBuffer("x".getBytes(StandardCharsets.US_ASCII));
        // Queued together, so all three are noted before any reply comes back: the first is no longer tracked.
        a.queue(Destinations.of("nobody1"), text, 0, 1);
        final long second = a.queue(Destinations.of("nobody2"), text, 0, 1);
        final long third = a.queue(Destinations.of("nobody3"), text, 0, 1);
        a.writeQueued(); // no flush: its sync line would take a tracked place too
        assertEquals(ErrorReply.NO_SEND, alice.nextError().sendId());
        assertEquals(second, alice.nextError().sendId());
        assertEquals(third, alice.nextError().sendId());
    }

    @Test
    @Timeout(30)
    void shouldTieEachPerSendReplyToItsSend() throws Exception
    {
        startBroker(new BrokerConfig().port(0).maxDestinations(3).maxLineBytes(1000));
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", alice));
        connect(config("bob", bob));

        final long ok = a.send("bob", "fine");
        final long control = a.send("bob", "bell\u0007");
        final long tooMany = a.send("bob, bob, bob, bob", "four");
        final long missing = a.send("nobody", "x");
        assertTrue(a.flush(WAIT));
        assertEquals("alice: fine", bob.nextMessage());
        assertEquals(new ErrorRecord(ErrorKind.CONTROL_CHARACTER, control, "error: control character in line", -1,
            "error: control character in line"), alice.nextError());
        final ErrorRecord destinations = alice.nextError();
        assertEquals(ErrorKind.TOO_MANY_DESTINATIONS, destinations.kind());
        assertEquals(tooMany, destinations.sendId());
        assertEquals(3, destinations.limit());
        assertEquals(missing, alice.nextError().sendId());
        assertTrue(ok > 0);

        // Longer than the broker's line limit: refused, tied to its send, and the broker closes the connection.
        final long tooLong = a.send("bob", "y".repeat(1000));
        final ErrorRecord lineTooLong = alice.nextError();
        assertEquals(ErrorKind.LINE_TOO_LONG, lineTooLong.kind());
        assertEquals(tooLong, lineTooLong.sendId());
        assertEquals(1000, lineTooLong.limit());
        alice.awaitState(ConnectionState.CLOSED);
        assertEquals(TernClient.CLOSED, a.send("bob", "after"));
    }

    @Test
    @Timeout(30)
    void shouldDeliverALineOfExactlyTheBrokersLimit() throws Exception
    {
        final int maxLine = 65536;
        startBroker(new BrokerConfig().port(0).maxLineBytes(maxLine));
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", new Recorded()));
        connect(config("bob", bob));
        final Destinations toBob = Destinations.of("bob");
        final String text = "z".repeat(maxLine - toBob.prefixLength());
        assertTrue(a.send(toBob, text) > 0);
        assertTrue(a.flush(WAIT));
        assertEquals("alice: " + text, bob.nextMessage());
    }

    @Test
    @Timeout(30)
    void shouldThrowTypedExceptionsForRefusedRegistrations() throws Exception
    {
        startBroker(new BrokerConfig().port(0).maxConnections(2));
        connect(config("alice", new Recorded()));

        final TernClientException taken = assertThrows(TernClientException.class,
            () -> connect(config("alice", new Recorded()).nameTakenRetry(Duration.ZERO)));
        assertEquals(ErrorKind.NAME_TAKEN, taken.kind());

        // The broker's name limit is 64 bytes; this client is told the limit is higher, so only the broker refuses.
        final TernClientException invalid = assertThrows(TernClientException.class,
            () -> connect(config("n".repeat(65), new Recorded()).brokerLimits(65536, 100)));
        assertEquals(ErrorKind.INVALID_NAME, invalid.kind());

        connect(config("bob", new Recorded()));
        final TernClientException full = assertThrows(TernClientException.class,
            () -> connect(config("carol", new Recorded())));
        assertEquals(ErrorKind.TOO_MANY_CONNECTIONS, full.kind());
    }

    @Test
    @Timeout(30)
    void shouldThrowATypedExceptionWhenTheBrokerRefusesOneMoreConnectionFromTheAddress() throws Exception
    {
        // Loopback is exempt from the per-address limit by default; here it is held to it, at one connection.
        startBroker(new BrokerConfig().port(0).maxConnectionsPerAddress(1).set("per-address-exempt", "none"));
        connect(config("alice", new Recorded()));
        final TernClientException refused = assertThrows(TernClientException.class,
            () -> connect(config("bob", new Recorded())));
        assertEquals(ErrorKind.TOO_MANY_FROM_ADDRESS, refused.kind(), refused.getMessage());
    }

    @Test
    @Timeout(30)
    void shouldReportTheBrokersIdleTimeoutAndCloseWithoutReconnect() throws Exception
    {
        startBroker(new BrokerConfig().port(0).idleTimeoutMs(300));
        final Recorded alice = new Recorded();
        final TernClient a = connect(config("alice", alice));
        final ErrorRecord idle = alice.nextError();
        assertEquals(ErrorKind.IDLE_TIMEOUT, idle.kind());
        assertEquals(300, idle.limit());
        alice.awaitState(ConnectionState.CLOSED);
        assertEquals(ConnectionState.CLOSED, a.state());
    }

    @Test
    @Timeout(60)
    void shouldLogInWithASecretAndBeRefusedWithoutIt() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), 1_000);
        CredentialsFile.addUser(users, "bob", "hunter2".toCharArray(), 1_000);
        startBroker(new BrokerConfig().port(0).authFile(users));
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", new Recorded()).secret("s3cret"));
        connect(config("bob", bob).secret("hunter2"));
        a.send("bob", "authenticated");
        assertEquals("alice: authenticated", bob.nextMessage());

        final TernClientException refused = assertThrows(TernClientException.class,
            () -> connect(config("carol", new Recorded()).secret("guess")));
        assertEquals(ErrorKind.NOT_AUTHORIZED, refused.kind());
    }

    @Test
    @Timeout(30)
    void shouldThrowATypedExceptionWhenTheBrokerHasTooManyLoginsWaitingForACheck() throws Exception
    {
        // One verifier, one login allowed to wait, and checks of 2 million iterations: about half a second of one
        // core, over a second under load, against some 100 ms for the client's login to arrive (the entry is written
        // by hand, so making the file costs nothing). While one login is being checked and one waits, the broker
        // refuses the next as busy, at once and without a check.
        final int slowCheck = 2_000_000;
        final Path users = dir.resolve("users.txt");
        java.nio.file.Files.writeString(users, "alice:" + slowCheck + ":" + base64(16) + ":" + base64(32) + "\n");
        startBroker(new BrokerConfig().port(0).authFile(users).set(Settings.AUTH_VERIFIERS, 1)
            .set(Settings.AUTH_MAX_PENDING, 1).set(Settings.AUTH_MAX_ITERATIONS, slowCheck)
            .set(Settings.AUTH_MAX_FAILURES, 0));
        rawLogin("mallory guess1");
        await(() -> broker.loginsChecking() == 1, "the first login being checked");
        rawLogin("mallory guess2");
        await(() -> broker.loginsChecking() == 2, "the second login waiting for the verifier");

        final Recorded carol = new Recorded();
        final TernClientException busy = assertThrows(TernClientException.class,
            () -> connect(config("carol", carol).secret("s3cret")));
        assertEquals(ErrorKind.BUSY, busy.kind(), busy.getMessage());
        assertEquals(new ErrorRecord(ErrorKind.BUSY, ErrorReply.NO_SEND, "error: busy", -1, "error: busy"),
            carol.nextError());
    }

    @Test
    @Timeout(30)
    void shouldTypeTheBrokersOwnBytesForTheRepliesOnlyARawConnectionCanProvoke() throws Exception
    {
        // This client sends its name at once, only lines with a destination list, and whole lines: a line without
        // ':', a name never sent and a line never finished come only from a raw connection. What the broker sends
        // it, byte for byte, goes through the decoder the client reads with.
        startBroker(new BrokerConfig().port(0).nameTimeoutMs(300).partialLineTimeoutMs(300).lingerMs(100));
        final Socket silent = track(new Socket("127.0.0.1", port()));
        final Socket raw = track(new Socket("127.0.0.1", port()));
        raw.getOutputStream().write("bob\nno colon in it\nbob: never finished".getBytes(StandardCharsets.US_ASCII));

        assertEquals(List.of("NAME_TIMEOUT|error: no name within 300 ms|300"), decodeUntilClosed(silent));
        assertEquals(List.of("BAD_LINE|error: expected 'name[, name...]: text'|-1",
            "PARTIAL_LINE_TIMEOUT|error: line not finished within 300 ms|300"), decodeUntilClosed(raw));
    }

    @Test
    @Timeout(60)
    void shouldTalkToAPlainPeerOverTls() throws Exception
    {
        final TestCertificates certs = TestCertificates.make(dir, "ec");
        startBroker(new BrokerConfig().port(0).set(io.tern.broker.Settings.TLS_PORT, 0)
            .set(io.tern.broker.Settings.TLS_CERT, certs.serverCert)
            .set(io.tern.broker.Settings.TLS_KEY, certs.serverKey));
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", alice).port(broker.tlsAddress().getPort())
            .tls(certs.trustingClient));
        final TernClient b = connect(config("bob", bob));
        assertTrue(a.tlsSession().getProtocol().startsWith("TLSv1."), a.tlsSession().getProtocol());
        assertNull(b.tlsSession(), "a plain connection has none");
        a.send("bob", "over tls");
        assertEquals("alice: over tls", bob.nextMessage());
        b.send("alice", "plain back");
        assertEquals("bob: plain back", alice.nextMessage());
        a.send("nobody", "x");
        assertEquals(ErrorKind.NO_SUCH_PEER, alice.nextError().kind());
        a.close();
        assertNull(a.tlsSession(), "none once closed");

        // A client that does not trust the broker's certificate does not connect.
        assertThrows(TernClientException.class, () -> connect(config("carol", new Recorded())
            .port(broker.tlsAddress().getPort()).tls(javax.net.ssl.SSLContext.getDefault())
            .connectTimeout(Duration.ofSeconds(5))));
    }

    @Test
    @Timeout(60)
    void shouldReconnectAfterTheBrokerRestartsAndSendWhatWasBuffered() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final int port = port();
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", alice).reconnect(true)
            .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200)));
        final TernClient b = connect(config("bob", bob).reconnect(true)
            .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200)));
        a.send("bob", "before");
        assertEquals("alice: before", bob.nextMessage());

        broker.close();
        alice.awaitState(ConnectionState.DISCONNECTED);
        bob.awaitState(ConnectionState.DISCONNECTED);
        broker = null;
        startBroker(new BrokerConfig().port(port).set("admin-port", "off"));
        alice.awaitState(ConnectionState.CONNECTED);
        bob.awaitState(ConnectionState.CONNECTED);
        a.send("bob", "after");
        assertEquals("alice: after", bob.nextMessage());
        b.send("alice", "back too");
        assertEquals("bob: back too", alice.nextMessage());
    }

    @Test
    @Timeout(60)
    void shouldRetryATakenNameUntilTheOldConnectionIsReleasedThenSendWhatWasBuffered() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        // Waits of 0.5 to 1 s before each attempt: time for the holder to take the name first.
        final TernClient a = connect(config("alice", alice).reconnect(true)
            .reconnectDelay(Duration.ofSeconds(1), Duration.ofSeconds(1)).nameTakenRetry(Duration.ofSeconds(20)));
        connect(config("bob", bob));

        // Cut alice's connection, and hold her name from another connection as an old one not yet released would.
        a.cutConnection();
        alice.awaitState(ConnectionState.DISCONNECTED);
        try (Socket holder = takeName("alice"))
        {
            // While the name is held, sends are buffered and registration is retried on each 'name is taken'.
            assertTrue(a.send("bob", "buffered while away") > 0);
            assertEquals(ErrorKind.NAME_TAKEN, alice.nextError().kind());
            assertEquals(ErrorKind.NAME_TAKEN, alice.nextError().kind());
            assertNotEquals(ConnectionState.CONNECTED, a.state());
        }
        alice.awaitState(ConnectionState.CONNECTED);
        assertEquals("alice: buffered while away", bob.nextMessage());
    }

    @Test
    @Timeout(30)
    void shouldRefuseSendsOnceTheBufferIsFullWhileDisconnected() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final int port = port();
        final Recorded alice = new Recorded();
        final TernClient a = connect(config("alice", alice).reconnect(true).sendBufferBytes(64 * 1024)
            .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(100)));
        broker.close();
        broker = null;
        alice.awaitState(ConnectionState.DISCONNECTED);
        final Destinations toBob = Destinations.of("bob");
        final byte[] text = new byte[1000];
        java.util.Arrays.fill(text, (byte)'x');
        int buffered = 0;
        long result;
        while ((result = a.send(toBob, text, 0, text.length)) > 0)
        {
            buffered++;
        }
        assertEquals(TernClient.NOT_CONNECTED, result);
        assertTrue(buffered > 50 && buffered < 66, "64 KiB holds about 63 lines of 1 KiB: " + buffered);

        // Once back, the buffered lines go out and sending works again.
        final Recorded bob = new Recorded();
        startBroker(new BrokerConfig().port(port).set("admin-port", "off"));
        connect(config("bob", bob));
        alice.awaitState(ConnectionState.CONNECTED);
        assertTrue(a.flush(WAIT));
        assertTrue(a.send(toBob, text, 0, text.length) > 0);
    }

    @Test
    @Timeout(60)
    void shouldDeliverEveryMessageOfConcurrentSendersInEachSendersOrder() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final int threads = 4;
        final int perThread = 5_000;
        final Map<Integer, Integer> nextByThread = new HashMap<>();
        final List<String> outOfOrder = new ArrayList<>();
        final CountDownLatch all = new CountDownLatch(threads * perThread);
        connect(new TernClientConfig().port(port()).name("bob").messageHandler(message ->
        {
            final String[] parts = message.textAsString().split(" ");
            final int thread = Integer.parseInt(parts[0]);
            final int seq = Integer.parseInt(parts[1]);
            final int expected = nextByThread.getOrDefault(thread, 0);
            if (seq != expected)
            {
                outOfOrder.add(thread + ": " + seq + " after " + (expected - 1));
            }
            nextByThread.put(thread, seq + 1);
            all.countDown();
        }));
        final TernClient a = connect(config("alice", new Recorded()));
        final Destinations toBob = Destinations.of("bob");
        final List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int thread = t;
            final Thread sender = new Thread(() ->
            {
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[32]);
                for (int i = 0; i < perThread; i++)
                {
                    final int length = buffer.putStringWithoutLengthAscii(0, thread + " " + i);
                    while (a.send(toBob, buffer, 0, length) == TernClient.BACK_PRESSURED)
                    {
                        Thread.onSpinWait();
                    }
                }
            }, "sender-" + t);
            senders.add(sender);
            sender.start();
        }
        for (final Thread sender : senders)
        {
            sender.join();
        }
        assertTrue(all.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "missing " + all.getCount());
        assertEquals(List.of(), outOfOrder);
    }

    @Test
    @Timeout(30)
    void shouldRefuseTextThatWouldBreakTheLineBeforeSendingIt() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", new Recorded()).brokerLimits(100, 64));
        connect(config("bob", bob));
        final Destinations toBob = Destinations.of("bob");
        final UnsafeBuffer injected = new UnsafeBuffer("hi there\nbob: forged".getBytes(StandardCharsets.US_ASCII));
        final IllegalArgumentException lineEnd = assertThrows(IllegalArgumentException.class,
            () -> a.send(toBob, injected, 0, injected.capacity()));
        assertTrue(lineEnd.getMessage().contains("index 8"), lineEnd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.send("bob", "a\nb"));
        assertThrows(IllegalArgumentException.class, () -> a.send(toBob, "x".repeat(100 - toBob.prefixLength() + 1)));
        assertThrows(IllegalArgumentException.class, () -> a.send("bob, ca:rol", "x"));

        a.send(toBob, "x".repeat(100 - toBob.prefixLength()));
        assertTrue(a.flush(WAIT));
        assertEquals("alice: " + "x".repeat(100 - toBob.prefixLength()), bob.nextMessage());
        assertTrue(bob.messages.isEmpty());
    }

    @Test
    @Timeout(30)
    void shouldDeliverEverythingSentBeforeClose() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final CountDownLatch all = new CountDownLatch(20_000);
        connect(new TernClientConfig().port(port()).name("bob").messageHandler(message -> all.countDown()));
        final TernClient a = TernClient.connect(config("alice", new Recorded()));
        final Destinations toBob = Destinations.of("bob");
        final byte[] text = "m".repeat(100).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 20_000; i++)
        {
            while (a.send(toBob, text, 0, text.length) == TernClient.BACK_PRESSURED)
            {
                Thread.onSpinWait();
            }
        }
        a.close();
        assertEquals(ConnectionState.CLOSED, a.state());
        assertEquals(TernClient.CLOSED, a.send(toBob, text, 0, text.length));
        assertTrue(all.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "missing " + all.getCount());
    }

    @Test
    @Timeout(60)
    void shouldReconnectAfterBeingCutAsASlowConsumer() throws Exception
    {
        startBroker(new BrokerConfig().port(0).maxLineBytes(4096).maxQueuedBytesPerPeer(64 * 1024));
        final CountDownLatch release = new CountDownLatch(1);
        final Recorded bob = new Recorded();
        connect(config("bob", bob).reconnect(true).reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(50))
            .onMessage((from, text) ->
            {
                try
                {
                    release.await(); // bob's I/O thread stops reading, as a stalled application would make it
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                bob.messages.add(from + ": " + text);
            }));
        final TernClient a = connect(config("alice", new Recorded()));
        final Destinations toBob = Destinations.of("bob");
        final byte[] text = new byte[1000];
        java.util.Arrays.fill(text, (byte)'s');
        while (broker.slowConsumerDisconnects() == 0)
        {
            for (int i = 0; i < 100; i++)
            {
                a.send(toBob, text, 0, text.length);
            }
            assertTrue(a.flush(WAIT));
        }
        release.countDown();
        bob.awaitState(ConnectionState.DISCONNECTED);
        bob.awaitState(ConnectionState.CONNECTED);
        // What the broker says before it cuts is best effort; when it arrives it is typed.
        for (final ErrorRecord error : bob.errors)
        {
            assertEquals(ErrorKind.SLOW_CONSUMER, error.kind());
        }
        bob.messages.clear();
        a.send(toBob, "after the cut");
        await(() -> bob.messages.contains("alice: after the cut"), "bob receives again");
    }

    @Test
    @Timeout(30)
    void shouldReconnectAfterTheConnectionIsCutAndTellTheListener() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        final TernClient a = connect(config("alice", alice).reconnect(true)
            .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(50)));
        connect(config("bob", bob));
        alice.states.clear();
        a.cutConnection();
        alice.awaitState(ConnectionState.DISCONNECTED);
        alice.awaitState(ConnectionState.CONNECTING);
        alice.awaitState(ConnectionState.CONNECTED);
        a.send("bob", "back");
        assertEquals("alice: back", bob.nextMessage());
    }

    @Test
    @Timeout(30)
    void shouldCloseForGoodWhenCutWithoutReconnect() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded alice = new Recorded();
        final TernClient a = connect(config("alice", alice));
        a.cutConnection();
        alice.awaitState(ConnectionState.CLOSED);
        assertEquals(TernClient.CLOSED, a.send("bob", "gone"));
        assertFalse(a.flush(Duration.ofSeconds(1)));
    }

    @Test
    @Timeout(30)
    void shouldTimeOutConnectingToAServerThatNeverConfirmsTheName() throws Exception
    {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1,
            java.net.InetAddress.getLoopbackAddress()))
        {
            final long startNs = System.nanoTime();
            final TernClientException timedOut = assertThrows(TernClientException.class, () -> connect(
                new TernClientConfig().port(silent.getLocalPort()).name("alice")
                    .connectTimeout(Duration.ofMillis(500))));
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertNull(timedOut.kind(), timedOut.getMessage());
            assertTrue(tookMs >= 500 && tookMs < 5_000, "took " + tookMs + " ms: " + timedOut.getMessage());
        }
    }

    /**
     * A server that is not a tern broker: it echoes the client's sync lines (so the client registers), then sends lines
     * the protocol does not have between two deliveries. Each reaches the error handler as MALFORMED_LINE, typed and
     * in order, and the connection reads on.
     */
    @Test
    @Timeout(30)
    void shouldHandEachLineTheProtocolDoesNotHaveToTheErrorHandlerAndReadOn() throws Exception
    {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            final Thread fake = new Thread(() ->
            {
                try (Socket socket = server.accept())
                {
                    final java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                    final OutputStream out = socket.getOutputStream();
                    boolean registered = false;
                    for (String line = in.readLine(); null != line; line = in.readLine())
                    {
                        if (line.startsWith("alice: "))
                        {
                            out.write(("from alice: " + line.substring("alice: ".length()) + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                            if (!registered)
                            {
                                registered = true;
                                out.write("from bob: one\n+OK\nfrom bob two\nPING\nfrom bob: three\n"
                                    .getBytes(StandardCharsets.UTF_8));
                            }
                            out.flush();
                        }
                    }
                }
                catch (final java.io.IOException ignore)
                {
                    // The client closed.
                }
            }, "fake-server");
            fake.setDaemon(true);
            fake.start();

            final Recorded alice = new Recorded();
            final TernClient a = connect(new TernClientConfig().port(server.getLocalPort()).name("alice")
                .onMessage((from, text) -> alice.messages.add(from + ": " + text))
                .errorHandler(error -> alice.errors.add(new ErrorRecord(error.kind(), error.sendId(),
                    error.subjectAsString(), error.limit(), error.textAsString()))));
            assertEquals("bob: one", alice.nextMessage());
            assertEquals("bob: three", alice.nextMessage());
            assertEquals(new ErrorRecord(ErrorKind.MALFORMED_LINE, ErrorReply.NO_SEND, "+OK", -1, "+OK"),
                alice.nextError());
            assertEquals(new ErrorRecord(ErrorKind.MALFORMED_LINE, ErrorReply.NO_SEND, "from bob two", -1,
                "from bob two"), alice.nextError());
            assertEquals("PING", alice.nextError().line());
            assertEquals(ConnectionState.CONNECTED, a.state());
            a.close();
            fake.join(WAIT.toMillis());
        }
    }

    @Test
    @Timeout(30)
    void shouldGiveUpAFlushAtItsTimeoutWhileTheIoThreadIsHeldUp() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch holding = new CountDownLatch(1);
        final TernClient a = connect(new TernClientConfig().port(port()).name("alice").onMessage((from, text) ->
        {
            holding.countDown();
            try
            {
                release.await(); // alice's own handler holds her I/O thread
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }));
        a.send("alice", "to myself");
        assertTrue(holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        final long startNs = System.nanoTime();
        assertFalse(a.flush(Duration.ofMillis(300)));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs >= 300 && tookMs < 5_000, "took " + tookMs + " ms");
        release.countDown();
        assertTrue(a.flush(WAIT));
    }

    @Test
    @Timeout(30)
    void shouldRetryATakenNameWhileConnectingAndGiveUpAfterTheRetryTime() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Socket holder = takeName("alice");

        // Without reconnect, connect itself retries a taken name: released after the first refusal, it succeeds.
        final Recorded alice = new Recorded();
        final java.util.concurrent.CompletableFuture<TernClient> connecting = java.util.concurrent.CompletableFuture
            .supplyAsync(() ->
            {
                try
                {
                    return connect(config("alice", alice).nameTakenRetry(Duration.ofSeconds(20))
                        .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(50)));
                }
                catch (final TernClientException ex)
                {
                    throw new java.util.concurrent.CompletionException(ex);
                }
            });
        assertEquals(ErrorKind.NAME_TAKEN, alice.nextError().kind());
        holder.close();
        final TernClient a = connecting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(ConnectionState.CONNECTED, a.state());

        // With reconnect, a name held for longer than the retry time ends the client.
        final Recorded again = new Recorded();
        // Waits of 1 to 2 s before each attempt: time for the squatter to take the name first.
        final TernClient b = connect(config("carol", again).reconnect(true).nameTakenRetry(Duration.ofMillis(300))
            .reconnectDelay(Duration.ofSeconds(2), Duration.ofSeconds(2)));
        b.cutConnection();
        again.awaitState(ConnectionState.DISCONNECTED);
        takeName("carol");
        again.awaitState(ConnectionState.CLOSED);
        assertEquals(ErrorKind.NAME_TAKEN, again.errors.stream().reduce((x, y) -> y).orElseThrow().kind());
    }

    /**
     * @return what the broker sent the socket until it closed it, each line as the client's {@link LineDecoder}
     * types it ({@code KIND|line|limit}, or {@code malformed line}); fails if the last line is left unfinished.
     */
    private static List<String> decodeUntilClosed(final Socket socket) throws Exception
    {
        socket.setSoTimeout((int)WAIT.toMillis());
        final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        io.tern.transport.TestSockets.readUntilEnd(socket.getInputStream(), received);
        final byte[] bytes = received.toByteArray();
        final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(bytes.length).put(bytes);
        final List<String> lines = new ArrayList<>();
        final int decoded = new LineDecoder().decode(buffer, bytes.length, 0, new LineDecoder.Handler()
        {
            @Override
            public void onMessage(final ReceivedMessage message)
            {
                lines.add("message " + message.senderAsString() + ": " + message.textAsString());
            }

            @Override
            public void onError(final ErrorReply error)
            {
                lines.add(error.kind() + "|" + error.textAsString() + "|" + error.limit());
            }

            @Override
            public void onMalformedLine(final java.nio.ByteBuffer buffer, final int start, final int end)
            {
                lines.add("malformed " + ReceivedMessage.string(buffer, start, end - start));
            }
        });
        assertEquals(bytes.length, decoded, "every byte in a complete line: " + lines);
        return lines;
    }

    /** Sends a login's first line from a plain socket, kept open until the test ends. */
    private void rawLogin(final String firstLine) throws Exception
    {
        final Socket socket = track(new Socket("127.0.0.1", port()));
        socket.getOutputStream().write((firstLine + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static String base64(final int bytes)
    {
        return java.util.Base64.getEncoder().encodeToString(new byte[bytes]);
    }

    /**
     * Registers {@code name} from a plain socket, as an old connection not yet released would hold it: tries until
     * the broker has let go of any earlier holder, proved by a self-probe (lines of one connection are handled in
     * order, so the probe's echo comes only after the name is registered).
     */
    private Socket takeName(final String name) throws Exception
    {
        final long deadlineNs = System.nanoTime() + WAIT.toNanos();
        while (true)
        {
            final Socket socket = new Socket("127.0.0.1", port());
            socket.getOutputStream().write((name + "\n" + name + ": probe\n").getBytes(StandardCharsets.UTF_8));
            final String reply = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                StandardCharsets.UTF_8)).readLine();
            if (("from " + name + ": probe").equals(reply))
            {
                return track(socket);
            }
            socket.close();
            assertTrue(System.nanoTime() - deadlineNs < 0, "could not take " + name + ": " + reply);
        }
    }
}
