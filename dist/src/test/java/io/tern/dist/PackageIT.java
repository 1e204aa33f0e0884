/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The package as a user gets it: unpacks the tarball the build made (tern-&lt;version&gt;.tar.gz) and runs what it
 * holds: both launchers, the broker with the example config replaying the README's {@code nc} session over
 * sockets, the launcher's JVM sizing, and {@code systemd-analyze verify} on the unit.
 */
class PackageIT
{
    private static final String VERSION = System.getProperty("tern.version");
    private static final Pattern LISTENING = Pattern.compile("tern broker listening on 127\\.0\\.0\\.1:([0-9]+)");
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    @TempDir
    static Path unpacked;

    private static Path home;

    @BeforeAll
    static void unpack() throws Exception
    {
        final Path tarball = Path.of(System.getProperty("tern.tarball"));
        assertTrue(Files.isRegularFile(tarball), tarball + " is built by `package`");
        final Result tar = run(new ProcessBuilder("tar", "xzf", tarball.toString(), "-C", unpacked.toString()));
        assertEquals(0, tar.status, tar.output);
        home = unpacked.resolve("tern-" + VERSION);
    }

    @Test
    @Timeout(10)
    void shouldHoldLaunchersJarsConfigUnitLicenseAndReadme() throws IOException
    {
        for (final String launcher : List.of("bin/tern-broker", "bin/tern-loadgen"))
        {
            assertTrue(Files.isExecutable(home.resolve(launcher)), launcher);
            assertTrue(Files.readString(home.resolve(launcher)).startsWith("#!/bin/sh\n"), launcher + " is POSIX sh");
        }
        for (final String file : List.of("etc/tern.conf", "systemd/tern.service", "LICENSE", "README.md",
            "docs/install.md", "docs/configuration.md"))
        {
            assertTrue(Files.isRegularFile(home.resolve(file)), file);
        }
        assertTrue(Files.readString(home.resolve("README.md")).startsWith("# tern " + VERSION + "\n"),
            "the README names the version it came with");
        try (var jars = Files.list(home.resolve("lib")))
        {
            final List<String> names = jars.map(jar -> jar.getFileName().toString()).toList();
            for (final String module : List.of("tern-transport", "tern-broker", "tern-loadgen"))
            {
                assertTrue(names.contains(module + "-" + VERSION + ".jar"), module + " in " + names);
            }
            assertTrue(names.stream().anyMatch(name -> name.startsWith("disruptor-")), names.toString());
            assertTrue(names.stream().noneMatch(name -> name.startsWith("junit") || name.startsWith("jmh")),
                "no test jars: " + names);
        }
        final String unit = Files.readString(home.resolve("systemd/tern.service"));
        assertTrue(unit.contains("\nLimitNOFILE="), unit);
        assertTrue(unit.contains("\nUser=tern\n"), unit);
        assertTrue(unit.contains("\nRestart=on-failure\n"), unit);
    }

    @Test
    @Timeout(30)
    void shouldPrintTheVersionFromBothLaunchersWithJavaFromJavaHomeOrPath() throws Exception
    {
        final Pattern line = Pattern.compile("tern-(broker|loadgen) " + Pattern.quote(VERSION) + " \\(\\S+\\)\n");
        final Result broker = launch(Map.of(), "bin/tern-broker", "--version");
        assertEquals(0, broker.status, broker.output);
        assertTrue(line.matcher(broker.output).matches() && broker.output.startsWith("tern-broker "), broker.output);
        final Result loadgen = launch(Map.of(), "bin/tern-loadgen", "--version");
        assertEquals(0, loadgen.status, loadgen.output);
        assertTrue(line.matcher(loadgen.output).matches() && loadgen.output.startsWith("tern-loadgen "),
            loadgen.output);

        // Without JAVA_HOME the launchers take the java on PATH.
        final ProcessBuilder noJavaHome = new ProcessBuilder(home.resolve("bin/tern-broker").toString(), "--version");
        noJavaHome.environment().remove("JAVA_HOME");
        noJavaHome.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
        final Result onPath = run(noJavaHome);
        assertEquals(0, onPath.status, onPath.output);
        assertEquals(broker.output, onPath.output);

        final Result help = launch(Map.of(), "bin/tern-broker", "--help");
        assertEquals(0, help.status, help.output);
        assertTrue(help.output.startsWith("Usage: tern-broker [--config=FILE]"), "the usage names the launcher: " +
            help.output);

        final Result badJavaHome = launch(Map.of("JAVA_HOME", unpacked.resolve("no-java").toString()),
            "bin/tern-broker", "--version");
        assertEquals(1, badJavaHome.status, badJavaHome.output);
        assertTrue(badJavaHome.output.contains("has no bin/java"), badJavaHome.output);
    }

    @Test
    @Timeout(30)
    void shouldSizeTheJvmFromTheSettingsAndLetTernJavaOptsOverride() throws Exception
    {
        // Defaults: 128 MiB + 3 KiB x 100,000 connections of heap; direct memory twice the default 1 GiB budget.
        final String defaults = dryRun(Map.of(), "--config", "etc/tern.conf");
        assertTrue(defaults.contains(" -Xms421m -Xmx421m -XX:MaxDirectMemorySize=2048m "), defaults);
        assertTrue(defaults.contains(" -cp " + home.resolve("lib") + "/* io.tern.broker.BrokerMain --config " +
            "etc/tern.conf\n"), defaults);

        // The config file, then the command line: 256 MiB budget + 2 x (1 MiB + 3 MiB) + 2 x (256 KiB + 4 MiB)
        // + 64 MiB = 336.5 MiB of direct memory; 128 MiB + 3 x 1,000 KiB of heap.
        final Path conf = Files.writeString(unpacked.resolve("sized.conf"),
            "outbound-budget-bytes = 268435456  # 256 MiB\nmax-connections 5000\nreaders 2\n");
        final String sized = dryRun(Map.of("TERN_JAVA_OPTS", "-Xmx1g -XX:+AlwaysPreTouch"),
            "--config", conf.toString(), "--max-connections", "1000", "--writers=2");
        assertTrue(sized.contains(" -Xms131m -Xmx131m -XX:MaxDirectMemorySize=337m "), sized);
        assertTrue(sized.contains(" -Xmx1g -XX:+AlwaysPreTouch -cp "), "TERN_JAVA_OPTS come last: " + sized);
    }

    @Test
    @Timeout(60)
    void shouldRunTheReadmeSessionOnTheBrokerTheLauncherStarts() throws Exception
    {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Process broker = startBroker(lines, "--admin-port", "0");
        try
        {
            final Matcher listening = LISTENING.matcher(awaitLine(lines, "tern broker listening on "));
            assertTrue(listening.find());
            final int port = Integer.parseInt(listening.group(1));
            awaitLine(lines, "tern broker settings: ");

            try (Peer alice = new Peer(port); Peer bob = new Peer(port))
            {
                alice.send("alice");                                        // 1
                awaitLine(lines, "peer 'alice'", "connected");
                bob.send("bob");                                            // 2
                awaitLine(lines, "peer 'bob'", "connected");
                alice.send("bob: hi bob");                                  // 3
                assertEquals("from alice: hi bob", bob.receive());
                bob.send("alice: hello alice");                             // 4
                assertEquals("from bob: hello alice", alice.receive());
                alice.send("bob, carol: anyone else?");                     // 5
                assertEquals("from alice: anyone else?", bob.receive());
                assertEquals("error: no peer 'carol'", alice.receive());
                bob.close();                                                // 6
                awaitLine(lines, "peer 'bob'", "disconnected");             // the broker has seen it go
                alice.send("bob: still there?");                            // 7
                assertEquals("error: no peer 'bob'", alice.receive());
            }

            // SIGTERM, as systemd stops it: the launcher exec'd java, so the JVM gets it. (Process.destroy() would
            // also close the pipe the last lines come through; the handle only signals.)
            assertTrue(broker.toHandle().destroy());
            assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "the broker stops on SIGTERM");
            assertEquals(0, broker.exitValue());
            awaitLine(lines, "tern broker stopped");
        }
        finally
        {
            broker.destroyForcibly();
        }
    }

    @Test
    @Timeout(60)
    void shouldWriteTheLogToTheLogFileInsteadOfTheConsole() throws Exception
    {
        // --log-file takes effect only in the broker's own main (tests that run the broker in-process keep their
        // logging), so only a real process shows that the setting reaches java.util.logging.
        final Path log = unpacked.resolve("broker.log");
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Process broker = startBroker(lines, "--admin-port", "off", "--log-file", log.toString());
        try
        {
            final Matcher listening = LISTENING.matcher(awaitLine(lines, "tern broker listening on "));
            assertTrue(listening.find());
            try (Peer alice = new Peer(Integer.parseInt(listening.group(1))))
            {
                alice.send("alice");
                alice.send("alice: here");
                assertEquals("from alice: here", alice.receive());
            }
            assertTrue(broker.toHandle().destroy());
            assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "the broker stops on SIGTERM");
            assertEquals(0, broker.exitValue());
            pumps.get(broker).join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS)); // it ends at the pipe's end
            final String console = String.join("\n", lines);
            final String file = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(file.contains(" INFO io.tern.broker.Router: peer 'alice' (connection #0 from ") &&
                file.contains(") connected\n"), "the connection's log line is in the file: " + file);
            assertTrue(!console.contains("peer 'alice'"), "and not on the console: " + console);
        }
        finally
        {
            broker.destroyForcibly();
        }
    }

    @Test
    @Timeout(60)
    void shouldPassSystemdAnalyzeVerify() throws Exception
    {
        final boolean present = Files.isExecutable(Path.of("/usr/bin/systemd-analyze")) ||
            Files.isExecutable(Path.of("/bin/systemd-analyze"));
        if (!present && null != System.getenv("CI"))
        {
            fail("CI installs systemd-analyze (.ci/run): the unit must be checked there");
        }
        assumeTrue(present, "systemd-analyze is not installed");

        // verify checks that ExecStart's program exists: point it at the unpacked launcher instead of /opt/tern.
        final Path unit = unpacked.resolve("tern.service");
        Files.writeString(unit, Files.readString(home.resolve("systemd/tern.service"))
            .replace("/opt/tern/bin/tern-broker", home.resolve("bin/tern-broker").toString()));
        final Result verify = run(new ProcessBuilder("systemd-analyze", "verify", unit.toString()));
        // verify exits 0 on a directive it cannot parse, but says so: any output is a finding.
        assertEquals(0, verify.status, verify.output);
        assertEquals("", verify.output.strip(), "systemd-analyze verify found problems");
    }

    private Result launch(final Map<String, String> environment, final String... command) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of(command));
        args.set(0, home.resolve(command[0]).toString());
        final ProcessBuilder builder = new ProcessBuilder(args).directory(home.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("TERN_JAVA_OPTS");
        builder.environment().putAll(environment);
        return run(builder);
    }

    private String dryRun(final Map<String, String> environment, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("bin/tern-broker"));
        command.addAll(List.of(args));
        final Map<String, String> withDryRun = new java.util.HashMap<>(environment);
        withDryRun.put("TERN_DRY_RUN", "1");
        final Result result = launch(withDryRun, command.toArray(String[]::new));
        assertEquals(0, result.status, result.output);
        return result.output;
    }

    private static Result run(final ProcessBuilder builder) throws Exception
    {
        final Process process = builder.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(20, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            fail(builder.command() + " did not finish: " + output);
        }
        return new Result(process.exitValue(), output);
    }

    /** The thread pumping each started broker's output. */
    private final Map<Process, Thread> pumps = new ConcurrentHashMap<>();

    /**
     * Starts {@code bin/tern-broker} of the unpacked package with its example config on an ephemeral port, its output
     * pumped into {@code lines} by a daemon thread.
     */
    private Process startBroker(final BlockingQueue<String> lines, final String... extraArgs) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(home.resolve("bin/tern-broker").toString(),
            "--config", "etc/tern.conf", "--port", "0", "--stats-interval-ms", "0"));
        command.addAll(List.of(extraArgs));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        final Process broker = builder.start();
        final Thread pump = new Thread(() -> pump(broker, lines), "broker-output");
        pump.setDaemon(true);
        pump.start();
        pumps.put(broker, pump);
        return broker;
    }

    private static void pump(final Process process, final BlockingQueue<String> lines)
    {
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                lines.add(line);
            }
        }
        catch (final IOException ignore)
        {
            // the process ended
        }
    }

    /** Waits for the broker's next line containing everything {@code wanted}, skipping the lines before it. */
    private static String awaitLine(final BlockingQueue<String> lines, final String... wanted)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        final StringBuilder seen = new StringBuilder();
        while (true)
        {
            final String line = lines.poll(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (null == line)
            {
                fail("no line with " + List.of(wanted) + " from the broker; it printed:\n" + seen);
            }
            if (java.util.Arrays.stream(wanted).allMatch(line::contains))
            {
                return line;
            }
            seen.append(line).append('\n');
        }
    }

    private record Result(int status, String output)
    {
    }

    /** One client, as {@code nc} would be: lines out, lines in, with a read deadline. */
    private static final class Peer implements AutoCloseable
    {
        private final Socket socket;
        private final OutputStream out;
        private final BufferedReader in;

        Peer(final int port) throws IOException
        {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout((int)TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
            out = socket.getOutputStream();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        void send(final String line) throws IOException
        {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        String receive() throws IOException
        {
            final String line = in.readLine();
            assertNotNull(line, "the broker closed the connection");
            return line;
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
