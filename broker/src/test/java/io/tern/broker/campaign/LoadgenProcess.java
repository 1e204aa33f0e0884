/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
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
 * The load generator as a separate process, from {@code loadgen/target/tern-loadgen.jar}. The loadgen module is
 * built after the broker module, so that jar must exist before the campaign's slow tests run: build it first with
 * {@code mvn -B -q -DskipTests package}. Its summary is read from the {@code <label>.json} it writes.
 */
final class LoadgenProcess implements AutoCloseable
{
    private final Process process;
    private final Path output;
    private final Path json;

    private LoadgenProcess(final Process process, final Path output, final Path json)
    {
        this.process = process;
        this.output = output;
        this.json = json;
    }

    static Path jar()
    {
        final Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        final Path jar = basedir.resolveSibling("loadgen").resolve("target").resolve("tern-loadgen.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build it first with 'mvn -B -q -DskipTests package'");
        return jar;
    }

    /** Starts the loadgen against {@code broker} with {@code args}; output and files go to {@code dir}. */
    static LoadgenProcess start(final Path dir, final String label, final InetSocketAddress broker,
        final List<String> args) throws IOException
    {
        Files.createDirectories(dir);
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("-jar");
        command.add(jar().toString());
        command.add("--host");
        command.add(broker.getAddress().getHostAddress());
        command.add("--port");
        command.add(Integer.toString(broker.getPort()));
        command.add("--out");
        command.add(dir.toString());
        command.add("--label");
        command.add(label);
        command.addAll(args);
        final Path output = dir.resolve(label + ".out");
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
        return new LoadgenProcess(process, output, dir.resolve(label + ".json"));
    }

    Process process()
    {
        return process;
    }

    /** @return true once exited; waits at most {@code timeout}. */
    boolean waitFor(final Duration timeout) throws InterruptedException
    {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    int awaitExit(final Duration timeout) throws InterruptedException
    {
        if (!waitFor(timeout))
        {
            process.destroyForcibly();
            fail("loadgen did not exit within " + timeout.toMillis() + " ms");
        }
        return process.exitValue();
    }

    String outputText() throws IOException
    {
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    String jsonText() throws IOException
    {
        assertTrue(Files.isRegularFile(json), "loadgen wrote no summary " + json + "; its output:\n" + outputText());
        return Files.readString(json, StandardCharsets.UTF_8);
    }

    /** @return a count from the summary's {@code counts} object, e.g. {@code lost}. */
    long count(final String name) throws IOException
    {
        final Matcher matcher = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(jsonText());
        if (!matcher.find())
        {
            return fail("no count '" + name + "' in " + json);
        }
        return Long.parseLong(matcher.group(1));
    }

    /** @return a latency figure in microseconds, e.g. {@code ("corrected", "p99")}. */
    double latencyMicros(final String kind, final String percentile) throws IOException
    {
        final String text = jsonText();
        final int at = text.indexOf("\"" + kind + "\"");
        final Matcher matcher = Pattern.compile("\"" + percentile + "\"\\s*:\\s*([0-9.]+)").matcher(text);
        if (at < 0 || !matcher.find(at))
        {
            return fail("no latency " + kind + "." + percentile + " in " + json);
        }
        return Double.parseDouble(matcher.group(1));
    }

    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
        }
    }
}
