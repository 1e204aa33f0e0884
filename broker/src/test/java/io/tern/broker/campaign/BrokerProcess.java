/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The broker as a separate operating-system process: {@code io.tern.broker.BrokerMain} in a child JVM, run from this
 * test JVM's own class path, so it is exactly the code under test (the shaded {@code tern-broker.jar} is only built in
 * the {@code package} phase, after the tests, and may be stale). Its stdout and stderr go to files in {@code dir}.
 * <p>
 * Also reads the process's figures from outside: resident set size and thread and descriptor counts from
 * {@code /proc}, heap after a full GC through {@code jcmd}.
 */
final class BrokerProcess implements AutoCloseable
{
    private static final Pattern LISTENING = Pattern.compile("tern broker listening on ([0-9.]+):([0-9]+)");
    private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final InetSocketAddress address;

    private BrokerProcess(final Process process, final Path stdout, final Path stderr, final InetSocketAddress address)
    {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.address = address;
    }

    /**
     * Starts the broker on an ephemeral loopback port and waits until it prints the address it listens on.
     *
     * @param dir        where its output and GC log go.
     * @param jvmOptions e.g. {@code -Xmx256m}.
     * @param brokerArgs broker options besides {@code --port 0}.
     */
    static BrokerProcess start(final Path dir, final List<String> jvmOptions, final List<String> brokerArgs)
        throws IOException, InterruptedException
    {
        return start(dir, jvmOptions, brokerArgs, 0);
    }

    /**
     * As {@link #start(Path, List, List)}, with the process's open-file limit ({@code ulimit -n}) set to
     * {@code maxOpenFiles} when it is positive.
     */
    static BrokerProcess start(final Path dir, final List<String> jvmOptions, final List<String> brokerArgs,
        final int maxOpenFiles) throws IOException, InterruptedException
    {
        Files.createDirectories(dir);
        final Path stdout = dir.resolve("broker.out");
        final Path stderr = dir.resolve("broker.err");
        final List<String> command = new ArrayList<>();
        if (maxOpenFiles > 0)
        {
            // exec keeps the pid: the process we watch is the JVM itself
            command.addAll(List.of("/bin/sh", "-c", "ulimit -n " + maxOpenFiles + " && exec \"$@\"", "sh"));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports");
        command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("-Xlog:gc*:file=" + dir.resolve("broker-gc.log"));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(testClassPath());
        command.add("io.tern.broker.BrokerMain");
        command.add("--port");
        command.add("0");
        command.addAll(brokerArgs);
        final Process process = new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            final Matcher matcher = LISTENING.matcher(Files.readString(stdout, StandardCharsets.UTF_8));
            if (matcher.find())
            {
                return new BrokerProcess(process, stdout, stderr,
                    new InetSocketAddress(matcher.group(1), Integer.parseInt(matcher.group(2))));
            }
            if (!process.isAlive() || System.nanoTime() - deadlineNs > 0)
            {
                process.destroyForcibly();
                fail("broker process did not start: " + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            process.waitFor(20, TimeUnit.MILLISECONDS); // poll the output, or see an early exit at once
        }
    }

    /** The class path surefire gives this JVM: test classes, main classes of every module, dependencies. */
    static String testClassPath()
    {
        final String classPath = System.getProperty("java.class.path");
        assertTrue(classPath.contains("classes"), "unexpected java.class.path: " + classPath);
        final String surefire = System.getProperty("surefire.test.class.path");
        return null != surefire && !surefire.isEmpty() ? surefire : classPath;
    }

    InetSocketAddress address()
    {
        return address;
    }

    long pid()
    {
        return process.pid();
    }

    Process process()
    {
        return process;
    }

    Path stdout()
    {
        return stdout;
    }

    Path stderr()
    {
        return stderr;
    }

    String stderrText() throws IOException
    {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    String stdoutText() throws IOException
    {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** Sends SIGTERM (ProcessHandle.destroy is SIGTERM on Linux). */
    void terminate()
    {
        process.destroy();
    }

    /** @return exit status, failing the test if the process does not exit in time. */
    int awaitExit(final Duration timeout) throws InterruptedException
    {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            fail("broker process did not exit within " + timeout.toMillis() + " ms");
        }
        return process.exitValue();
    }

    /** @return resident set size in KiB, from /proc/pid/status. */
    long rssKiB() throws IOException
    {
        return statusField("VmRSS");
    }

    /** @return the number of threads of the process, from /proc/pid/status. */
    long threads() throws IOException
    {
        return statusField("Threads");
    }

    /** @return CPU time (user + system) the process has used, in milliseconds, from /proc/pid/stat. */
    long cpuTimeMs() throws IOException
    {
        final String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        final long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /** @return open file descriptors of the process. */
    long openFileDescriptors()
    {
        final String[] fds = new File("/proc/" + pid() + "/fd").list();
        return null == fds ? -1 : fds.length;
    }

    private long statusField(final String field) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status")))
        {
            if (line.startsWith(field + ":"))
            {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        return fail("no " + field + " in /proc/" + pid() + "/status");
    }

    /** Runs a full GC in the broker ({@code jcmd GC.run}) and returns the heap then used, in KiB. */
    long heapAfterGcKiB() throws IOException, InterruptedException
    {
        jcmd("GC.run");
        final String info = jcmd("GC.heap_info");
        final Matcher matcher = HEAP_USED.matcher(info);
        if (!matcher.find())
        {
            return fail("cannot parse jcmd GC.heap_info: " + info);
        }
        return Long.parseLong(matcher.group(1));
    }

    private String jcmd(final String command) throws IOException, InterruptedException
    {
        final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        final Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command)
            .redirectErrorStream(true)
            .start();
        final StringBuilder output = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                output.append(line).append('\n');
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            p.destroyForcibly();
            fail("jcmd " + command + " failed: " + output);
        }
        return output.toString();
    }

    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
