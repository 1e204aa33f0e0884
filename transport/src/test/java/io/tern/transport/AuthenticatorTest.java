/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.tern.transport.TestSockets.await;
import static io.tern.transport.TestSockets.replyThenClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The authenticator and its verifiers over real loopback sockets, with a verifier the test holds at a gate: a check
 * runs only when the test releases one, so what waits, what is cut and in which order checks run are exact. Logins
 * from a second source address bind the client socket to 127.0.0.2 (all of 127/8 is loopback on Linux).
 */
@Timeout(30)
class AuthenticatorTest
{
    private static final InetAddress SOURCE_A = address(127, 0, 0, 1);
    private static final InetAddress SOURCE_B = address(127, 0, 0, 2);

    /** Admits {@code name ok}, refuses anything else; each check waits for a permit from the test. */
    private static final class GatedVerifier implements FirstLineVerifier
    {
        final Semaphore permits = new Semaphore(0);
        final ConcurrentLinkedQueue<String> started = new ConcurrentLinkedQueue<>();

        @Override
        public int verify(final byte[] line, final int offset, final int length)
        {
            final String text = new String(line, offset, length, StandardCharsets.US_ASCII);
            started.add(text);
            try
            {
                if (!permits.tryAcquire(20, TimeUnit.SECONDS))
                {
                    return -1;
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return -1;
            }
            return text.endsWith(" ok") ? length - 3 : -1;
        }
    }

    private final GatedVerifier verifier = new GatedVerifier();
    private final ConcurrentLinkedQueue<String> admitted = new ConcurrentLinkedQueue<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private Transport transport;
    private Thread acceptorThread;

    private void start(final long nameTimeoutMs, final AuthenticatorSettings auth) throws Exception
    {
        final TransportSettings settings = new TransportSettings(
            "127.0.0.1", 0, 1, 1, 256, 1000, 4096, 256 * 1024L, 64L << 20, 256, 64, 16,
            IdleStrategyKind.BLOCK, 1000, nameTimeoutMs);
        transport = new Transport(settings, this::onBatch, verifier, auth,
            TransportCounters.newCountersManager(TransportCounters.count(settings)));
        runners.add(runner(transport.writer(0)));
        runners.add(runner(transport.reader(0)));
        for (int i = 0; i < transport.verifierCount(); i++)
        {
            runners.add(runner(transport.verifier(i)));
        }
        runners.add(runner(transport.authenticator()));
        transport.bind();
        runners.forEach(AgentRunner::startOnThread);
        acceptorThread = new Thread(transport.acceptor(), "acceptor");
        acceptorThread.start();
    }

    @AfterEach
    void stop() throws Exception
    {
        verifier.permits.release(1000); // no verifier stays parked on the gate
        sockets.forEach(CloseHelper::quietClose);
        if (null != transport)
        {
            transport.stopAccepting();
            acceptorThread.join();
            runners.forEach(CloseHelper::quietClose);
            transport.close();
        }
    }

    private static AgentRunner runner(final TransportAgent agent)
    {
        return new AgentRunner(agent.idleStrategy(), Throwable::printStackTrace, null, agent.agent());
    }

    /** Reader thread: records the name of each peer handed on. */
    private boolean onBatch(final InboundBatch batch)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            if (batch.type(i) == InboundBatch.NEW_PEER)
            {
                final byte[] bytes = new byte[batch.length(i)];
                batch.arena().buffer().getBytes(batch.offset(i), bytes);
                admitted.add(new String(bytes, StandardCharsets.US_ASCII));
            }
            batch.arena().releaseTo(batch.endPosition(i));
        }
        return true;
    }

    private Socket login(final InetAddress from, final String firstLine) throws IOException
    {
        final Socket socket = new Socket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), transport.localAddress().getPort()));
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((firstLine + "\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    @Test
    void shouldCutLoginsWaitingForACheckAtTheNameDeadlineWithoutCheckingThem() throws Exception
    {
        start(2_000, new AuthenticatorSettings(1, 256, 0, 10_000, 30_000, 100));
        final Socket running = login(SOURCE_A, "running ok");
        await(() -> verifier.started.size() == 1, "the first check started");
        final List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            waiting.add(login(SOURCE_A, "waiting" + i + " ok"));
        }
        await(() -> transport.loginsChecking() == 6, "five logins waiting behind the running one");

        for (final Socket socket : waiting)
        {
            assertEquals("error: no name within 2000 ms\n", replyThenClose(socket));
        }
        // The one being checked is cut too; its verifier is freed once the check ends.
        assertEquals("error: no name within 2000 ms\n", replyThenClose(running));
        verifier.permits.release();

        final Socket later = login(SOURCE_A, "later ok");
        verifier.permits.release();
        await(() -> admitted.contains("later"), "a later login admitted");
        assertEquals(List.of("running ok", "later ok"), List.copyOf(verifier.started),
            "the logins cut while waiting were never checked");
        assertTrue(later.isConnected());
        assertEquals(List.of("later"), List.copyOf(admitted));
    }

    @Test
    void shouldAnswerBusyPastTheWaitingBoundSheddingFromTheSourceHoldingTheMost() throws Exception
    {
        start(0, new AuthenticatorSettings(1, 2, 0, 10_000, 30_000, 100));
        login(SOURCE_A, "a0 ok");
        await(() -> verifier.started.size() == 1, "the first check started");
        login(SOURCE_A, "a1 ok");
        final Socket a2 = login(SOURCE_A, "a2 ok");
        await(() -> transport.loginsChecking() == 3, "two logins waiting, the bound");

        final Socket a3 = login(SOURCE_A, "a3 ok");
        assertEquals("error: busy\n", replyThenClose(a3), "its own source holds the most: the newcomer is refused");
        login(SOURCE_B, "b0 ok");
        assertEquals("error: busy\n", replyThenClose(a2), "the other source's newest gives way to it");
        assertEquals(2, transport.connectionsRefusedBusy());
        assertEquals(0, transport.connectionsRefusedNotAuthorized(), "busy is no verdict on the client");

        verifier.permits.release(3);
        await(() -> admitted.size() == 3, "three admitted");
        assertEquals(List.of("a0 ok", "b0 ok", "a1 ok"), List.copyOf(verifier.started),
            "a source with nothing waiting takes the next turn");
    }

    @Test
    void shouldCheckANewSourcesLoginNextWhateverOneSourceHasWaiting() throws Exception
    {
        start(0, new AuthenticatorSettings(1, 256, 0, 10_000, 30_000, 100));
        for (int i = 0; i < 50; i++)
        {
            login(SOURCE_B, "flood" + i + " wrong");
        }
        await(() -> transport.loginsChecking() == 50, "fifty logins from one source waiting or being checked");
        login(SOURCE_A, "alice ok");
        await(() -> transport.loginsChecking() == 51, "alice's login waiting too");

        verifier.permits.release(); // the flood's running check ends
        await(() -> verifier.started.size() >= 2, "the next check started");
        assertEquals("alice ok", List.copyOf(verifier.started).get(1), "checked right after the running one");
        verifier.permits.release();
        await(() -> admitted.contains("alice"), "alice admitted");
    }

    @Test
    void shouldRefuseAThrottledSourceWithoutACheckUntilItsBackOffPasses() throws Exception
    {
        start(0, new AuthenticatorSettings(1, 256, 3, 10_000, 1_500, 100));
        verifier.permits.release(1000); // checks run freely in this test
        for (int i = 0; i < 3; i++)
        {
            assertEquals("error: not authorized\n", replyThenClose(login(SOURCE_B, "bob wrong")));
        }
        assertEquals("error: not authorized\n", replyThenClose(login(SOURCE_B, "bob ok")),
            "refused, right secret or not, while its source backs off");
        assertEquals(3, verifier.started.size(), "without a check");

        login(SOURCE_A, "alice ok");
        await(() -> admitted.contains("alice"), "another source admitted meanwhile");

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!admitted.contains("bob"))
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "bob not admitted once the back-off passed");
            final Socket attempt = login(SOURCE_B, "bob ok");
            final long triedNs = System.nanoTime();
            await(() -> admitted.contains("bob") || isClosedByPeer(attempt), "an answer");
            if (!admitted.contains("bob"))
            {
                // Refused while still backing off: try again a little later (a poll with a deadline).
                final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - triedNs);
                assertTrue(elapsedMs < 1_000, "a throttled refusal comes at once: " + elapsedMs + " ms");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    private static boolean isClosedByPeer(final Socket socket)
    {
        try
        {
            return socket.getInputStream().available() > 0;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    private static InetAddress address(final int a, final int b, final int c, final int d)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {(byte)a, (byte)b, (byte)c, (byte)d});
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
