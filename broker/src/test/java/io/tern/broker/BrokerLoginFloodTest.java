/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Authentication cannot be used to stall the broker: login floods at the real cost of a check (PBKDF2, the default
 * 210,000 iterations, some 50 to 90 ms of one core each), from other loopback addresses (127.0.0.2 and up: all of
 * 127/8 is loopback on Linux), while a legitimate user logs in from 127.0.0.1. Before the verifier pool, 300 wrong
 * logins in flight made a legitimate login wait about 15 s; a flooding address was never refused.
 */
@Timeout(60)
class BrokerLoginFloodTest extends BrokerTestSupport
{
    private static final int FLOOD = 300;
    private static final long LOGIN_BOUND_MS = 2_000;

    @TempDir
    Path dir;
    private final List<Socket> raw = new ArrayList<>();

    private Path users(final int iterations) throws IOException
    {
        final Path users = dir.resolve("users.txt");
        CredentialsFile.addUser(users, "alice", "s3cret".toCharArray(), iterations);
        CredentialsFile.addUser(users, "bob", "hunter2".toCharArray(), iterations);
        return users;
    }

    @Test
    void shouldAdmitALegitimateLoginWithinTwoSecondsWhileHundredsOfWrongLoginsWait() throws Exception
    {
        // Throttling off: the verifier pool and the turns by source address alone must bound alice's wait.
        startBroker(new BrokerConfig().authFile(users(CredentialsFile.DEFAULT_ITERATIONS)).nameTimeoutMs(60_000)
            .set(Settings.AUTH_MAX_FAILURES, 0));
        try
        {
            // What one login costs on this machine now, with no flood: a shared machine under load can make a
            // check several times slower, and during the flood both verifiers compete for its cores, so the bound
            // is two seconds or ten such logins, whichever is longer. Alice waits for the checks running when her
            // line arrives, then her own; serial checks would make her wait for some 128 (256 waiting, two
            // verifiers), well past either bound.
            final long baselineStartNs = System.nanoTime();
            registerAs(utf8("bob hunter2"), "bob", 0);
            final long baselineMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - baselineStartNs);
            final long boundMs = Math.max(LOGIN_BOUND_MS, 10 * baselineMs);

            for (int i = 0; i < FLOOD; i++)
            {
                rawLogin(loopback(2 + i % 2), "mallory wrong" + i);
            }
            awaitCondition("the flood waiting for checks", Duration.ofSeconds(20),
                () -> broker.loginsChecking() >= 250);

            final long startNs = System.nanoTime();
            registerAs(utf8("alice s3cret"), "alice", 0);
            final long loginMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            final int stillWaiting = broker.loginsChecking();
            System.out.println("login during a flood of " + FLOOD + " wrong logins: " + loginMs + " ms (one login " +
                "alone: " + baselineMs + " ms); " + stillWaiting + " of the flood still waiting");
            assertTrue(loginMs < boundMs, "alice's login took " + loginMs + " ms; one login alone " + baselineMs +
                " ms");
            assertTrue(stillWaiting >= 200, "the flood was still in flight: " + stillWaiting);

            // What an operator sees: the logins waiting, and those past the 256 allowed to wait refused as busy.
            final java.util.Map<String, Double> metrics = new AdminClient(broker.adminAddress()).metrics();
            assertTrue(metrics.get("tern_logins_checking") >= 200, "logins checking " + metrics);
            final double busy = metrics.get(AdminClient.series("tern_connections_refused_total", "reason", "busy"));
            assertTrue(busy >= 1 && busy <= FLOOD - 256, "busy refusals: " + busy);
        }
        finally
        {
            closeRaw();
        }
    }

    @Test
    void shouldCutLoginsStillWaitingForACheckAtTheNameDeadline() throws Exception
    {
        // One verifier and a one-second deadline: at the real cost, a few dozen checks at most fit in it.
        startBroker(new BrokerConfig().authFile(users(CredentialsFile.DEFAULT_ITERATIONS)).nameTimeoutMs(1_000)
            .set(Settings.AUTH_MAX_FAILURES, 0).set(Settings.AUTH_VERIFIERS, 1));
        try
        {
            final long startNs = System.nanoTime();
            final List<Socket> flood = new ArrayList<>();
            for (int i = 0; i < 100; i++)
            {
                flood.add(rawLogin(loopback(2), "mallory wrong" + i));
            }
            int cut = 0;
            for (final Socket login : flood)
            {
                final String reply = replyThenClose(login);
                if ("error: no name within 1000 ms\n".equals(reply))
                {
                    cut++;
                }
                else
                {
                    assertEquals("error: not authorized\n", reply);
                }
            }
            final long allAnsweredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            System.out.println("100 wrong logins, one verifier, a 1 s name deadline: " + cut + " cut at the " +
                "deadline, " + (100 - cut) + " checked; all answered in " + allAnsweredMs + " ms");
            assertTrue(cut >= 50, "only " + cut + " of 100 cut at the deadline");
            // The deadline, at most one check abandoned when it passed, and the test's own reading.
            assertTrue(allAnsweredMs < 5_000, "answered in " + allAnsweredMs + " ms");
        }
        finally
        {
            closeRaw();
        }
    }

    @Test
    void shouldRefuseAThrottledAddressAtOnceWithoutCheckingWhileOthersLogIn() throws Exception
    {
        startBroker(new BrokerConfig().authFile(users(CredentialsFile.DEFAULT_ITERATIONS)).nameTimeoutMs(60_000)
            .set(Settings.AUTH_MAX_FAILURES, 5).set(Settings.AUTH_FAILURE_WINDOW_MS, 10_000L)
            .set(Settings.AUTH_BACKOFF_MS, 60_000L));
        try
        {
            final InetAddress attacker = loopback(2);
            for (int i = 0; i < 5; i++)
            {
                assertEquals("error: not authorized\n", replyThenClose(rawLogin(attacker, "bob guess" + i)));
            }

            // 200 more from the same address, the right secret among them: each check would cost 50 ms or more of
            // a core, 5 s or more on two verifiers; refused without one, they are all answered at once.
            final long startNs = System.nanoTime();
            final List<Socket> attempts = new ArrayList<>();
            for (int i = 0; i < 200; i++)
            {
                attempts.add(rawLogin(attacker, i % 2 == 0 ? "bob hunter2" : "bob guess" + i));
            }
            final LineClient alice = registerAs(utf8("alice s3cret"), "alice", 0);
            for (final Socket attempt : attempts)
            {
                assertEquals("error: not authorized\n", replyThenClose(attempt));
            }
            final long refusedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            System.out.println("200 logins from a throttled address refused in " + refusedMs + " ms");
            assertTrue(refusedMs < 2_000, "200 throttled logins took " + refusedMs + " ms: were they checked?");

            // The attacker's neighbour on another address is not throttled.
            registerAs(utf8("bob hunter2"), "bob", 0);
            alice.send("bob: still here");
        }
        finally
        {
            closeRaw();
        }
    }

    @Test
    void shouldAdmitAUserAddedToTheFileWithoutSighupOrRestart() throws Exception
    {
        final Path users = users(1_000);
        startBroker(new BrokerConfig().authFile(users).nameTimeoutMs(5_000)
            .set(Settings.AUTH_FILE_POLL_MS, 100L).set(Settings.AUTH_MAX_FAILURES, 0));
        final LineClient before = connect();
        before.sendRaw(utf8("carol c4rol\n"));
        assertEquals(List.of("error: not authorized"), before.awaitClosed(Duration.ofSeconds(5)));

        CredentialsFile.addUser(users, "carol", "c4rol".toCharArray(), 1_000);
        final long addedNs = System.nanoTime();
        final long deadlineNs = addedNs + TimeUnit.SECONDS.toNanos(5);
        while (true)
        {
            final LineClient carol = connect();
            carol.sendRaw(utf8("carol c4rol\ncarol: hello me\n"));
            final String reply = carol.readLineOrEof(Duration.ofSeconds(5));
            if ("from carol: hello me".equals(reply))
            {
                break;
            }
            assertEquals("error: not authorized", reply);
            assertTrue(System.nanoTime() - deadlineNs < 0, "carol not admitted within 5 s of being added");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // a poll with a deadline
        }
        System.out.println("a user added to the file logged in after " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - addedNs) + " ms");
    }

    private Socket rawLogin(final InetAddress from, final String firstLine) throws IOException
    {
        final Socket socket = new Socket();
        raw.add(socket);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(address);
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((firstLine + "\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    private void closeRaw()
    {
        for (final Socket socket : raw)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ignore)
            {
                // cleaning up
            }
        }
        raw.clear();
    }

    /** @return everything the broker sent before it closed the connection. */
    private static String replyThenClose(final Socket socket) throws IOException
    {
        final InputStream in = socket.getInputStream();
        final ByteArrayOutputStream reply = new ByteArrayOutputStream();
        try
        {
            for (int b; (b = in.read()) >= 0; )
            {
                reply.write(b);
            }
        }
        catch (final SocketTimeoutException ex)
        {
            fail("still open after 10 s; read so far: " + reply);
        }
        return reply.toString(StandardCharsets.US_ASCII);
    }

    private static InetAddress loopback(final int last)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte)last});
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
