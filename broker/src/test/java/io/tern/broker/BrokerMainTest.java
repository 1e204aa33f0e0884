/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.tern.transport.BuildInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The command line, run in this JVM through {@link BrokerMain#execute}: help, exit codes, the config file, and what
 * the broker prints when it starts.
 */
class BrokerMainTest
{
    private static final Pattern LISTENING = Pattern.compile("tern broker listening on ([0-9.]+):([0-9]+)\n");
    private static final Pattern ADMIN = Pattern.compile("tern broker admin on http://[0-9.]+:([0-9]+)/");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "broker-main"));

    @TempDir
    Path dir;

    @AfterEach
    void after()
    {
        executor.shutdownNow();
    }

    @Test
    @Timeout(10)
    void shouldPrintUsageWithEveryOptionForHelpAndExitZero() throws Exception
    {
        assertEquals(0, run("--help"));
        final String help = text(out);
        assertTrue(help.startsWith("Usage: java -jar tern-broker.jar"), help);
        for (final Setting<?> setting : Settings.all())
        {
            assertTrue(help.contains("--" + setting.name() + "="), setting.name());
        }
        assertTrue(help.contains("adduser"), help);
        assertFalse(help.contains("settings:"), "help is usage, not a settings dump");
        assertEquals(0, run("-h"));
    }

    @Test
    @Timeout(10)
    void shouldPrintTheVersionAndCommitAndExitZero() throws Exception
    {
        assertEquals(0, run("--version"));
        assertEquals("tern-broker " + BuildInfo.version() + " (" + BuildInfo.commit() + ")\n", text(out));
        assertTrue(text(out).matches("tern-broker \\d+\\.\\d+\\.\\d+\\S* \\(\\S+\\)\n"), text(out));
        assertEquals(0, run("-V"));
    }

    @Test
    @Timeout(10)
    void shouldExitTwoForABadOptionOrValueOrConfigFile() throws Exception
    {
        assertEquals(BrokerMain.EXIT_USAGE, run("--no-such-option", "1"));
        assertTrue(text(err).contains("--no-such-option"), text(err));
        assertEquals(BrokerMain.EXIT_USAGE, run("--ring-size", "1000"));
        assertTrue(text(err).contains("tern-broker: --ring-size=1000: must be a power of two"), text(err));
        assertEquals(BrokerMain.EXIT_USAGE, run("--port"));
        assertEquals(BrokerMain.EXIT_USAGE, run("stray"));
        assertEquals(BrokerMain.EXIT_USAGE, run("--config", dir.resolve("missing.conf").toString()));
        assertTrue(text(err).contains("missing.conf"), text(err));
        final Path conf = Files.writeString(dir.resolve("bad.conf"), "port 0\nprot 1\n");
        assertEquals(BrokerMain.EXIT_USAGE, run("--config", conf.toString()));
        assertTrue(text(err).contains("bad.conf:2: unknown setting 'prot'"), text(err));
        // A setting the threading mode would ignore is refused before anything starts.
        assertEquals(BrokerMain.EXIT_USAGE, run("--port", "0", "--wait-strategy", "yielding"));
        assertTrue(text(err).contains("tern-broker: --wait-strategy=yielding: only used with --threading dedicated"),
            text(err));
    }

    @Test
    @Timeout(10)
    void shouldExitOneWhenThePortIsTaken() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            assertEquals(BrokerMain.EXIT_START_FAILED, run("--port", Integer.toString(taken.getLocalPort()),
                "--admin-port", "off"));
            assertTrue(text(err).contains("cannot start on 127.0.0.1:" + taken.getLocalPort()), text(err));
        }
    }

    @Test
    @Timeout(30)
    void shouldPrintTheEffectiveSettingsAfterTheListeningLineAndStopWhenTold() throws Exception
    {
        final Path conf = Files.writeString(dir.resolve("broker.conf"),
            "port 0\nmax-connections 10\nstats-interval-ms 0\n");
        final CountDownLatch stop = new CountDownLatch(1);
        final PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        final Future<Integer> status = executor.submit(() -> BrokerMain.execute(
            new String[]{"--config", conf.toString(), "--max-connections=20"},
            outStream, new PrintStream(err, true, StandardCharsets.UTF_8), InputStream.nullInputStream(), stop));

        final String started = awaitOutput("tern broker settings: ", status);
        final Matcher listening = LISTENING.matcher(started);
        assertTrue(listening.find(), started);
        final Matcher admin = ADMIN.matcher(started);
        assertTrue(admin.find(), started);
        final String settings = started.substring(started.indexOf("tern broker settings: "));
        assertTrue(settings.contains(" port=" + listening.group(2) + " "), "the port bound, not 0: " + settings);
        assertTrue(settings.contains(" admin-port=" + admin.group(1) + " "), "the admin port bound: " + settings);
        assertTrue(settings.contains(" threading=shared "), "auto resolved: " + settings);
        assertTrue(settings.contains(" max-connections=20 "), "the option over the file: " + settings);
        assertTrue(started.indexOf("tern broker listening on") < started.indexOf("tern broker settings: "), started);
        try (var socket = new java.net.Socket())
        {
            socket.connect(new InetSocketAddress(listening.group(1), Integer.parseInt(listening.group(2))), 5000);
        }

        stop.countDown();
        assertEquals(0, status.get(20, TimeUnit.SECONDS));
        assertTrue(text(out).endsWith("tern broker stopped\n"), text(out));
        assertTrue(text(out).contains("tern broker file descriptors: " + BrokerMain.maxFileDescriptors() +
            " may be open\n"), text(out));
    }

    @Test
    @Timeout(10)
    void shouldSayWhenTheDescriptorLimitComesBeforeMaxConnections()
    {
        assertEquals("tern broker file descriptors: 20000 may be open",
            BrokerMain.fileDescriptorLine(19_000, 20_000));
        assertEquals("tern broker file descriptors: 20000 may be open; max-connections=100000 needs about 100100, " +
            "so at most about 19900 connections will be accepted: raise the limit (ulimit -n, or LimitNOFILE in a " +
            "systemd unit)", BrokerMain.fileDescriptorLine(100_000, 20_000));
        assertTrue(BrokerMain.maxFileDescriptors() > 0, "Linux reports its descriptor limit");
    }

    @Test
    @Timeout(60)
    void shouldAddAUserReadingTheSecretFromStandardInput() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        assertEquals(0, BrokerMain.execute(new String[]{"adduser", users.toString(), "alice", "1000"},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)), new CountDownLatch(1)));
        assertTrue(text(out).contains("added 'alice' to " + users), text(out));
        assertTrue(Files.readString(users).contains("alice:1000:"), Files.readString(users));

        assertEquals(BrokerMain.EXIT_USAGE, run("adduser", users.toString()));
        assertTrue(text(err).contains("tern-broker adduser: "), text(err));
        assertEquals(BrokerMain.EXIT_USAGE, run("adduser", users.toString(), "bob", "many"));
    }

    @Test
    @Timeout(30)
    void shouldAddUsersWithAuthIterationsAndRefuseMoreThanTheBrokerAccepts(@TempDir final Path dir) throws Exception
    {
        final Path users = dir.resolve("users.txt");
        assertEquals(0, BrokerMain.execute(new String[]{"--auth-iterations", "2000", "adduser", users.toString(),
            "alice"}, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)), new CountDownLatch(1)));
        assertTrue(Files.readString(users).contains("alice:2000:"), Files.readString(users));

        assertEquals(BrokerMain.EXIT_USAGE, run("--auth-max-iterations", "5000", "adduser", users.toString(), "bob",
            "6000"));
        assertTrue(text(err).contains("ITERATIONS=6000: must be 1 to --auth-max-iterations=5000"), text(err));
        assertFalse(Files.readString(users).contains("bob:"));
    }

    private int run(final String... args) throws InterruptedException
    {
        out.reset();
        err.reset();
        return BrokerMain.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), InputStream.nullInputStream(), new CountDownLatch(1));
    }

    private String awaitOutput(final String wanted, final Future<Integer> status) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true)
        {
            final String text = text(out);
            if (text.contains(wanted) && text.endsWith("\n"))
            {
                return text;
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("no '" + wanted + "' in: " + text + text(err));
            }
            try
            {
                // Poll the output, or see an early exit at once.
                fail("the broker exited with " + status.get(20, TimeUnit.MILLISECONDS) + ": " + text(err));
            }
            catch (final TimeoutException ex)
            {
                // still running
            }
        }
    }

    private static String text(final ByteArrayOutputStream stream)
    {
        synchronized (stream)
        {
            return stream.toString(StandardCharsets.UTF_8);
        }
    }
}
